"""Plain rules of citizen services and channels (B9, B11): no Django imports here."""
