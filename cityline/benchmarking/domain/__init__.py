"""Pure rules of cross-city comparison (no Django)."""
