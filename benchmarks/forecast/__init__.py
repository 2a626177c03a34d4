"""Forecast accuracy and speed benchmark: M3 monthly, Tourism monthly, generated weekly series."""
