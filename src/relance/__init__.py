"""Relance: credit control and debt collection for French businesses."""

__version__ = "0.1.0"
