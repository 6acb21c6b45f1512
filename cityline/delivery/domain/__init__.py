"""Pure rules of benefit delivery (C3): no Django imports here."""
