"""The `districtstat` command.

Exit status: 0 success; 1 the data fail their contracts, a notebook failed, the disclosure audit found a problem or a
verified release does not reproduce; 2 a usage or settings error; 130 stopped by Ctrl-C (nothing published, unless
it says the release was: Ctrl-C after the swap of the site folder).

The submodules: ``common`` (console, exit statuses, default params), ``commands`` (one function per command),
``new`` (the scaffolds), ``arguments`` (the parser) and ``__main__`` (``python -m districtstat.cli``).
"""

from __future__ import annotations

from districtstat.cli.arguments import parser
from districtstat.cli.common import STOPPED, USAGE, _console
from districtstat.config import ParamsError, UsageError
from districtstat.data.contracts import ContractError

__all__ = ["main", "parser"]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ParamsError, UsageError, ContractError, FileNotFoundError) as error:
        _console().print(f"districtstat {args.command}: {error}", markup=False)
        return USAGE
    except KeyboardInterrupt:
        _console().print("districtstat: stopped; nothing was published")
        return STOPPED
