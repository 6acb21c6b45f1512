"""Benefit realisation (C1–C3): the benefit map, KPIs, status and forecast, benefit delivery."""
