"""annual-figures: figures from Chinese people's congress work reports, with provenance."""

__version__ = "0.1.0"
