"""districtstat: performance management for school districts."""

__version__ = "0.1.0"
