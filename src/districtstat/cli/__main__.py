"""`python -m districtstat.cli`: the `districtstat` command."""

import sys

from districtstat.cli import main

sys.exit(main())
