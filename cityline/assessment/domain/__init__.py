"""Pure assessment logic (no Django): maturity roll-ups, levels and gap ranking."""
