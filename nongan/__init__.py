"""Nongan (农安): agricultural product quality and safety supervision."""

__version__ = "0.1.0"
