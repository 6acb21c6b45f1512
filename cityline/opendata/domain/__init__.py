"""Plain-Python domain logic of the open data platform (no Django imports)."""
