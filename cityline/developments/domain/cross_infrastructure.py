"""The cross-infrastructure view (B12.b): projects that could share works or sensors.

Plain data in, plain data out.

**The matching rule.** Two projects are an opportunity when both hold:

1. *the same place*: their area names are equal (ignoring case and surrounding
   spaces), **or** their extents intersect. A project's extent is its bounding box
   (edges included), or, without one, its point as a box of zero size; a project with
   neither has no extent and can only match by area name;
2. *the same time*: both have a start and an end date and the periods
   ``[start, end]`` (both days included) share at least one day.

Projects already in operation are left out (their works are finished), and so are
projects without both dates (they are listed as *undated*, so the gap is visible).

Each pair carries its reasons (``same_area``, ``overlapping_extent``), the shared
window (latest start, earliest end), the infrastructure types of both, and whether it
crosses infrastructures (the two projects do not build exactly the same types).
Pairs are grouped: a group is a set of projects linked by pairs (connected
components), so three works on one street appear together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

#: Stages whose works are over: they cannot share works any more.
FINISHED_STAGES = ("operation",)

SAME_AREA = "same_area"
OVERLAPPING_EXTENT = "overlapping_extent"


@dataclass(frozen=True)
class Box:
    """A bounding box in degrees: west (min longitude), south, east, north; edges included."""

    west: Decimal
    south: Decimal
    east: Decimal
    north: Decimal

    def intersects(self, other: Box) -> bool:
        return (self.west <= other.east and other.west <= self.east
                and self.south <= other.north and other.south <= self.north)


@dataclass(frozen=True)
class Site:
    """What the view needs to know about one project."""

    key: str
    area: str = ""
    start: date | None = None
    end: date | None = None
    types: tuple[str, ...] = ()
    stage: str = ""
    box: Box | None = None
    point: tuple[Decimal, Decimal] | None = None  # (latitude, longitude)

    @property
    def extent(self) -> Box | None:
        if self.box is not None:
            return self.box
        if self.point is not None:
            lat, lon = self.point
            return Box(lon, lat, lon, lat)
        return None


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    reasons: tuple[str, ...]
    window_start: date
    window_end: date
    types: tuple[str, ...]
    cross_infrastructure: bool


@dataclass(frozen=True)
class Group:
    keys: tuple[str, ...]
    areas: tuple[str, ...]
    types: tuple[str, ...]


@dataclass
class CrossView:
    pairs: list[Pair] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    #: Projects left out because a date is missing (B12.b needs the timing to coordinate).
    undated: list[str] = field(default_factory=list)
    #: Projects left out because their works are finished.
    finished: list[str] = field(default_factory=list)


def _norm(area: str) -> str:
    return " ".join(area.split()).casefold()


def match(a: Site, b: Site) -> Pair | None:
    """The opportunity between two projects, or None (see the module docstring for the rule)."""
    if not (a.start and a.end and b.start and b.end):
        return None
    window_start, window_end = max(a.start, b.start), min(a.end, b.end)
    if window_start > window_end:
        return None
    reasons = []
    if _norm(a.area) and _norm(a.area) == _norm(b.area):
        reasons.append(SAME_AREA)
    ea, eb = a.extent, b.extent
    if ea is not None and eb is not None and ea.intersects(eb):
        reasons.append(OVERLAPPING_EXTENT)
    if not reasons:
        return None
    first, second = sorted((a, b), key=lambda s: s.key)
    return Pair(first.key, second.key, tuple(reasons), window_start, window_end,
                tuple(sorted(set(a.types) | set(b.types))), set(a.types) != set(b.types))


def cross_view(sites: Iterable[Site]) -> CrossView:
    """Every opportunity among ``sites``: pairs sorted by keys, groups sorted by their first key."""
    view = CrossView()
    live: list[Site] = []
    for s in sorted(sites, key=lambda s: s.key):
        if s.stage in FINISHED_STAGES:
            view.finished.append(s.key)
        elif not (s.start and s.end):
            view.undated.append(s.key)
        else:
            live.append(s)
    for i, a in enumerate(live):
        for b in live[i + 1:]:
            pair = match(a, b)
            if pair is not None:
                view.pairs.append(pair)
    # groups: connected components of the pairs (union-find)
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for p in view.pairs:
        ra, rb = find(p.a), find(p.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for k in parent:
        members.setdefault(find(k), []).append(k)
    by_key = {s.key: s for s in live}
    for keys in sorted((sorted(v) for v in members.values()), key=lambda ks: ks[0]):
        sites = [by_key[k] for k in keys]
        areas = sorted({" ".join(s.area.split()) for s in sites if s.area.strip()})
        types = sorted({t for s in sites for t in s.types})
        view.groups.append(Group(tuple(keys), tuple(areas), tuple(types)))
    return view
