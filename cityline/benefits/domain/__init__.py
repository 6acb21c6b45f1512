"""Pure-Python benefit realisation logic: no Django here."""
