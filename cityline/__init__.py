"""Cityline: the system of record and public window of a city's smart city programme (ISO 37106)."""

__version__ = "0.1.0"
