"""pdxtui: a terminal browser for the City of Portland's open data."""

__version__ = "0.1.0"
