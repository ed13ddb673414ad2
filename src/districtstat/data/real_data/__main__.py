"""`python -m districtstat.data.real_data NAME OUT_DIR`."""

from districtstat.data.real_data import main

main()
