"""The channel-shift calculator (B11.b, B11.b.3.i): plain Decimal arithmetic, no Django.

Move a share of one service's yearly transactions from one channel to another,
building up in equal steps over a number of years, and keep a share of the saving
to fund assisted digital provision. The formulas (see docs/services-and-channels.md,
whose worked example is a test):

- unit saving ``d = from_unit_cost - to_unit_cost`` (negative when the new channel costs more);
- transactions moved at full shift ``M = whole(T x p / 100)``;
- in year ``k`` of ``n``: moved ``m_k = whole(M x k / n)``, gross saving ``g_k = money(m_k x d)``,
  set aside ``a_k = money(g_k x s / 100)`` (nothing is set aside from a loss: ``a_k = 0`` when ``g_k <= 0``),
  net saving ``g_k - a_k``;
- yearly saving at full shift ``money(M x d)``; totals are the sums of the yearly rows.

Rounding is in :mod:`.money` (half up; pennies for money, whole transactions).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import money as m


class ShiftError(ValueError):
    """Inputs the calculator cannot work with; ``field`` names the input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ShiftYear:
    year: int  # 1, 2, ... or a calendar year when a start year is given
    moved: int
    gross_saving: Decimal
    set_aside: Decimal
    net_saving: Decimal

    def as_dict(self) -> dict:
        return {"year": self.year, "moved": self.moved, "gross_saving": str(self.gross_saving),
                "set_aside": str(self.set_aside), "net_saving": str(self.net_saving)}


@dataclass(frozen=True)
class ShiftResult:
    baseline_transactions: int
    from_unit_cost: Decimal
    to_unit_cost: Decimal
    unit_saving: Decimal
    moved_transactions: int
    annual_saving: Decimal
    years: tuple[ShiftYear, ...]
    total_saving: Decimal
    total_set_aside: Decimal
    total_net_saving: Decimal

    def as_dict(self) -> dict:
        return {
            "baseline_transactions": self.baseline_transactions,
            "from_unit_cost": str(self.from_unit_cost),
            "to_unit_cost": str(self.to_unit_cost),
            "unit_saving": str(self.unit_saving),
            "moved_transactions": self.moved_transactions,
            "annual_saving": str(self.annual_saving),
            "years": [y.as_dict() for y in self.years],
            "total_saving": str(self.total_saving),
            "total_set_aside": str(self.total_set_aside),
            "total_net_saving": str(self.total_net_saving),
        }


def calculate(annual_transactions: int, from_unit_cost, to_unit_cost, share_moved, years: int = 1,
              set_aside=Decimal("0"), start_year: int | None = None) -> ShiftResult:
    """Savings of moving ``share_moved`` % of ``annual_transactions`` over ``years`` years (see module docstring).

    ``start_year`` labels the rows with calendar years (the first year of the shift);
    without it they are numbered 1, 2, ...
    """
    t = int(annual_transactions)
    if t < 0:
        raise ShiftError("baseline_transactions", "transactions cannot be negative")
    u_from, u_to = m.unit(m.as_decimal(from_unit_cost)), m.unit(m.as_decimal(to_unit_cost))
    if u_from < 0:
        raise ShiftError("from_unit_cost", "a unit cost cannot be negative")
    if u_to < 0:
        raise ShiftError("to_unit_cost", "a unit cost cannot be negative")
    p = m.as_decimal(share_moved)
    if not Decimal("0") <= p <= m.HUNDRED:
        raise ShiftError("share_moved", "the share moved is a percentage between 0 and 100")
    s = m.as_decimal(set_aside)
    if not Decimal("0") <= s <= m.HUNDRED:
        raise ShiftError("set_aside", "the share set aside is a percentage between 0 and 100")
    n = int(years)
    if n < 1:
        raise ShiftError("years", "the shift takes at least one year")

    d = u_from - u_to
    moved = m.whole(Decimal(t) * p / m.HUNDRED)
    rows = []
    for k in range(1, n + 1):
        moved_k = m.whole(Decimal(moved) * k / n)
        gross = m.money(moved_k * d)
        aside = m.money(gross * s / m.HUNDRED) if gross > 0 else m.money(0)
        rows.append(ShiftYear(year=(start_year + k - 1) if start_year is not None else k, moved=moved_k,
                              gross_saving=gross, set_aside=aside, net_saving=gross - aside))
    total = sum((r.gross_saving for r in rows), Decimal("0.00"))
    total_aside = sum((r.set_aside for r in rows), Decimal("0.00"))
    return ShiftResult(
        baseline_transactions=t, from_unit_cost=u_from, to_unit_cost=u_to, unit_saving=d,
        moved_transactions=moved, annual_saving=m.money(moved * d), years=tuple(rows),
        total_saving=total, total_set_aside=total_aside, total_net_saving=total - total_aside,
    )
