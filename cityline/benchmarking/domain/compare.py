"""Compare a city's KPIs with peer cities on the indicators both track (B3.c, C2.c).

Pure Python: plain data in, plain data out, no Django. The face
(:mod:`cityline.benchmarking.services`) turns records into :class:`CityKpi` and
:class:`PeerSeries`, and words the :class:`Warning` objects in the reader's language.

Rules (documented in docs/benchmarking.md):

* **Matching.** A KPI takes part when its indicator comes from a published list
  (``source`` other than ``city``) and has an identifier. A peer series matches on the
  same list and identifier. The other edition of a list does not match: ISO 37120:2014
  and :2018 number their indicators differently (21.7 is water loss in 2014, an urban
  planning indicator in 2018), so the same identifier is not the same indicator.
* **Units.** Units are compared after trimming, lower-casing and writing "percent",
  "per cent" and "percentage" as "%". A peer whose unit still differs is left out of
  the position with a ``unit`` warning: no conversion is guessed. A peer that gave the
  indicator in several units has one series per unit: the one in the city's unit is
  placed (the others each get a ``unit`` warning); without one, its series with the
  latest value is shown, not placed.
* **Years.** Each member's value for a year is the value of its last period ending in
  that year. The comparison year is the latest year the city has a value in that at
  least one comparable peer also has; without one, the city's latest year. A peer
  without a value in that year contributes its value of the nearest year (the earlier
  on a tie); more than ``max_year_gap`` years away, it is still placed, with a
  ``year_gap`` warning.
* **Trend.** The Theil–Sen slope of the yearly values (change per year), for members
  with at least two years; ``improving`` or ``worsening`` follow the KPI's direction.
* **Position.** Rank 1 is best (ties share a rank, the next rank skips); the
  percentile is the share of the *other* compared members the city does strictly
  better than, in per cent. Target-band KPIs rank by distance outside the band.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from scipy.stats import theilslopes

HIGHER = "higher_is_better"
LOWER = "lower_is_better"
BAND = "target_band"
CITY_DEFINED = "city"

PERCENT_WORDS = ("percentage", "per cent", "percent", "pct")


@dataclass(frozen=True)
class CityKpi:
    """One of the city's KPIs, with its indicator and measured values."""

    key: str
    title: str
    source: str
    code: str
    indicator: str
    unit: str
    direction: str
    points: Sequence[tuple[date, float]]
    band_low: float | None = None
    band_high: float | None = None


@dataclass(frozen=True)
class PeerSeries:
    """A peer city's values of one indicator."""

    peer: str
    peer_name: str
    source: str
    code: str
    unit: str
    points: Sequence[tuple[date, float]]


@dataclass(frozen=True)
class Warning:
    """Something a reader must know before trusting a comparison; ``kind`` names the rule."""

    kind: str  # "unit", "year_gap", "no_data"
    peer: str = ""
    params: dict = field(default_factory=dict)


@dataclass
class Member:
    """The city or one peer on one indicator."""

    key: str
    name: str
    is_city: bool
    unit: str
    year: int | None = None
    value: float | None = None
    trend: float | None = None
    trend_direction: str | None = None  # "improving", "worsening", "flat"
    compared: bool = True
    rank: int | None = None
    years: dict[int, float] = field(default_factory=dict)


@dataclass
class Row:
    """The comparison on one KPI."""

    kpi: CityKpi
    year: int | None
    members: list[Member]
    warnings: list[Warning]

    @property
    def city(self) -> Member:
        return next(m for m in self.members if m.is_city)

    @property
    def compared(self) -> list[Member]:
        return [m for m in self.members if m.compared and m.value is not None]

    @property
    def group_size(self) -> int:
        return len(self.compared)

    @property
    def rank(self) -> int | None:
        return self.city.rank

    @property
    def percentile(self) -> float | None:
        """Share (%) of the other compared members the city does strictly better than."""
        city = self.city
        if city.rank is None or self.group_size < 2:
            return None
        worse = sum(1 for m in self.compared if not m.is_city and m.rank > city.rank)
        return round(100 * worse / (self.group_size - 1), 1)


@dataclass
class Comparison:
    rows: list[Row]
    city_defined: list[str]  # KPI keys left out: their indicator belongs to no published list
    unmatched: list[str]  # KPI keys on a list indicator no peer publishes
    peer_only: list[tuple[str, str]]  # (source, code) published by a peer but tracked by no KPI


def normalise_unit(unit: str) -> str:
    """``" Percent of homes "`` → ``"% of homes"``: the form units are compared in."""
    text = " ".join((unit or "").split()).lower()
    for word in PERCENT_WORDS:
        if text == word or text.startswith(word + " "):
            return "%" + text[len(word):]
    return text


def yearly(points: Iterable[tuple[date, float]]) -> dict[int, float]:
    """One value per year: the value of the last period ending in that year."""
    out: dict[int, tuple[date, float]] = {}
    for day, value in points:
        if day.year not in out or day > out[day.year][0]:
            out[day.year] = (day, float(value))
    return {year: out[year][1] for year in sorted(out)}


def trend(years: dict[int, float]) -> float | None:
    """Theil–Sen slope of yearly values (change per year); None with fewer than two years."""
    if len(years) < 2:
        return None
    slope = theilslopes(list(years.values()), list(years.keys()))[0]
    return round(float(slope), 6)


def _trend_direction(slope: float | None, direction: str) -> str | None:
    if slope is None or direction not in (HIGHER, LOWER):
        return None
    if math.isclose(slope, 0.0, abs_tol=1e-12):
        return "flat"
    return "improving" if (slope > 0) == (direction == HIGHER) else "worsening"


def _badness(kpi: CityKpi, value: float) -> float:
    """Smaller is better."""
    if kpi.direction == LOWER:
        return value
    if kpi.direction == BAND:
        low = -math.inf if kpi.band_low is None else kpi.band_low
        high = math.inf if kpi.band_high is None else kpi.band_high
        return max(low - value, value - high, 0.0)
    return -value


def _nearest_year(years: dict[int, float], target: int) -> int:
    return min(years, key=lambda y: (abs(y - target), y))


def matches(series: PeerSeries, kpi: CityKpi) -> bool:
    """The series reports the KPI's indicator: the same list (and edition) and identifier."""
    return series.source == kpi.source and series.code == kpi.code


def _pick(candidates: list[PeerSeries], unit: str) -> PeerSeries:
    """The peer's series in the city's unit if it has one, else its series with the latest value."""
    for series in candidates:
        if normalise_unit(series.unit) == unit:
            return series
    return max(candidates, key=lambda s: max((day for day, _ in s.points), default=date.min))


def compare_kpi(kpi: CityKpi, city_name: str, peers: Sequence[PeerSeries], max_year_gap: int = 1) -> Row:
    """The comparison on one KPI with the peer series that match its indicator."""
    by_peer: dict[str, list[PeerSeries]] = {}
    for s in peers:
        if matches(s, kpi):
            by_peer.setdefault(s.peer, []).append(s)
    warnings: list[Warning] = []
    city_years = yearly(kpi.points)
    city = Member(key="", name=city_name, is_city=True, unit=kpi.unit, years=city_years)
    members = [city]
    unit = normalise_unit(kpi.unit)
    for peer_key in sorted(by_peer):
        candidates = sorted(by_peer[peer_key], key=lambda s: normalise_unit(s.unit))
        series = _pick(candidates, unit)
        years = yearly(series.points)
        member = Member(key=peer_key, name=series.peer_name, is_city=False, unit=series.unit, years=years)
        member.compared = normalise_unit(series.unit) == unit
        for other in candidates:
            if normalise_unit(other.unit) != unit:
                # ``ranked``: the peer also has a series in the city's unit, compared instead of this one
                warnings.append(Warning("unit", peer_key, {"peer_unit": other.unit, "city_unit": kpi.unit,
                                                           "ranked": member.compared}))
        members.append(member)

    if not city_years:
        warnings.append(Warning("no_data"))
        for m in members:
            m.compared = False
    peers_in = [m for m in members if not m.is_city and m.compared and m.years]
    common = [y for y in city_years if any(y in m.years for m in peers_in)]
    year = common[-1] if common else (max(city_years) if city_years else None)

    for m in members:
        m.trend = trend(m.years)
        m.trend_direction = _trend_direction(m.trend, kpi.direction)
        if year is None or not m.years:
            continue
        m.year = year if year in m.years else _nearest_year(m.years, year)
        m.value = m.years[m.year]
        if not m.is_city and m.compared and abs(m.year - year) > max_year_gap:
            warnings.append(Warning("year_gap", m.key, {"peer_year": m.year, "year": year,
                                                        "max_gap": max_year_gap}))

    ranked = [m for m in members if m.compared and m.value is not None]
    for m in ranked:
        badness = _badness(kpi, m.value)
        m.rank = 1 + sum(1 for o in ranked if _badness(kpi, o.value) < badness)
    members.sort(key=lambda m: (m.rank is None, m.rank or 0, not m.is_city, m.name))
    return Row(kpi=kpi, year=year, members=members, warnings=warnings)


def compare(city_name: str, kpis: Sequence[CityKpi], peers: Sequence[PeerSeries],
            max_year_gap: int = 1) -> Comparison:
    """Compare every KPI on a published indicator with the peers that publish it too."""
    rows, city_defined, unmatched = [], [], []
    tracked = set()
    for kpi in sorted(kpis, key=lambda k: (k.source, k.code, k.key)):
        if kpi.source == CITY_DEFINED or not kpi.code:
            city_defined.append(kpi.key)
            continue
        tracked.add((kpi.source, kpi.code))
        matching = [s for s in peers if matches(s, kpi)]
        if not matching:
            unmatched.append(kpi.key)
            continue
        rows.append(compare_kpi(kpi, city_name, matching, max_year_gap))
    peer_only = sorted({(s.source, s.code) for s in peers if (s.source, s.code) not in tracked})
    return Comparison(rows=rows, city_defined=city_defined, unmatched=unmatched, peer_only=peer_only)
