"""Risk scoring, heat map and review rules: plain Python, no Django."""
