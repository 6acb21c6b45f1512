"""The periods of a KPI's frequency (benefits.choices.Frequency) that a computed KPI gets a value for.

A period is a range of UTC days ``[start, end]`` (both included); its measurement is dated ``end``,
the period's last day, and its readings are those with ``start 00:00 UTC <= time < end + 1 day``.

- ``daily``: one day; ``weekly``: an ISO week, Monday to Sunday; ``monthly``, ``quarterly``,
  ``annual``: calendar months, quarters and years; ``biennial``: two calendar years, ending in an
  odd year unless the computation's first period end says otherwise.

Plain Python (no Django).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual", "biennial")
_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12, "biennial": 24}


def _month_start(day: date, months: int, odd_end: bool) -> date:
    """First day of the period of ``months`` calendar months that contains ``day``."""
    index = day.year * 12 + day.month - 1
    if months == 24:
        # two-year periods: aligned so that they end in an odd year (or an even one when asked)
        offset = 12 if not odd_end else 0
        index -= (index - offset) % 24
    else:
        index -= index % months
    return date(index // 12, index % 12 + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(frequency: str, day: date, *, odd_end: bool = True) -> tuple[date, date]:
    """``(first day, last day)`` of the period of ``frequency`` containing ``day``."""
    if frequency == "daily":
        return day, day
    if frequency == "weekly":
        start = day - timedelta(days=day.isoweekday() - 1)
        return start, start + timedelta(days=6)
    if frequency in _MONTHS:
        months = _MONTHS[frequency]
        start = _month_start(day, months, odd_end)
        return start, _add_months(start, months) - timedelta(days=1)
    raise ValueError(f"unknown frequency {frequency!r}; the frequencies are {', '.join(FREQUENCIES)}")


def ended_periods(frequency: str, first_day: date, today: date, *, odd_end: bool = True) -> list[tuple[date, date]]:
    """Every period from the one containing ``first_day`` to the last one that ended before ``today``."""
    out = []
    start, end = period_of(frequency, first_day, odd_end=odd_end)
    while end < today:
        out.append((start, end))
        start, end = period_of(frequency, end + timedelta(days=1), odd_end=odd_end)
    return out


def bounds(period: tuple[date, date]) -> tuple[datetime, datetime]:
    """The period as UTC instants ``[start, end)`` for :mod:`.sql`."""
    start, last = period
    return (datetime.combine(start, time(0), timezone.utc),
            datetime.combine(last + timedelta(days=1), time(0), timezone.utc))
