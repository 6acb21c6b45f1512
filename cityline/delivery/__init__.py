"""Benefit delivery (C3): realisation plans, the programme board's escalation list and board pack, owner engagement."""
