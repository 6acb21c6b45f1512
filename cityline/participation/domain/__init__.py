"""Plain-Python rules and computations of the participation area."""
