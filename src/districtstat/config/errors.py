"""The two errors a params file or a command can raise, said in the words of the file or the command."""

from __future__ import annotations

import re


RELEASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ParamsError(ValueError):
    """A params file that cannot be used, said in the words of the file."""


class UsageError(ValueError):
    """A command asked for something that cannot be done as asked (an option that does not apply, say)."""


