"""Derived views of the channel audit (B11.a) and the service catalogue (B9): plain data in, plain data out.

Filled in below; see docs/services-and-channels.md.
"""

from __future__ import annotations

from decimal import Decimal

from . import money as m


def unit_cost(total_cost: Decimal, transactions: int) -> Decimal | None:
    """Cost per transaction to four decimal places (half up); ``None`` when there were no transactions."""
    if not transactions:
        return None
    return m.unit(m.as_decimal(total_cost) / Decimal(transactions))
