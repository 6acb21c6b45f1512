"""Decimal arithmetic for the channel audit and the channel-shift calculator: never float.

Rounding is ROUND_HALF_UP everywhere (0.5 goes away from zero), at these places only:

- money (costs, savings, set-asides): to the penny, ``0.01``;
- unit costs (cost per transaction): to four decimal places, ``0.0001``, so that a
  unit cost of a fraction of a penny (asset-to-device, web) still compares;
- percentages (weighted rates): to two decimal places;
- transactions: to whole transactions.

Intermediate products are exact (Python's Decimal context has 28 significant
digits, far beyond any city's budget); only results are rounded.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
UNIT = Decimal("0.0001")
HUNDRED = Decimal("100")


def money(value: Decimal | int) -> Decimal:
    """Round an amount of money to the penny (half up)."""
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


def unit(value: Decimal | int) -> Decimal:
    """Round a unit cost to four decimal places (half up)."""
    return Decimal(value).quantize(UNIT, rounding=ROUND_HALF_UP)


def percent(value: Decimal | int) -> Decimal:
    """Round a percentage to two decimal places (half up)."""
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


def whole(value: Decimal | int) -> int:
    """Round a number of transactions to a whole number (half up)."""
    return int(Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def as_decimal(value) -> Decimal:
    """A Decimal from a Decimal, int or string; floats are refused so that no binary rounding creeps in."""
    if isinstance(value, float):
        raise TypeError("money and rates are Decimal, never float")
    return value if isinstance(value, Decimal) else Decimal(value)
