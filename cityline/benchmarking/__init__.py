"""Cross-city comparison (B3.c, C2.c): peer cities' published indicator values beside the city's own KPIs."""
