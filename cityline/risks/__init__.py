"""Key risks (D): the risk register, tied to the benefit-map nodes each risk threatens (C3.c)."""
