"""`python -m districtstat.data.synthetic OUT_DIR`: what running the module did before it became a package."""

from districtstat.data.synthetic.files import main

main()
