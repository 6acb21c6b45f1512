"""Derived views of the channel audit (B11.a) and the service catalogue (B9): plain data in, plain data out.

Each function takes plain records (the dataclasses below) and returns plain results
sorted in a stated order, so the editor, the API, the public pages and the tests see
the same thing. Money is Decimal, rounded as documented in :mod:`.money`.

Periods: audit rows are quarters. :func:`window` picks the rows a view looks at:
one calendar year when asked, otherwise the *latest four quarters* present in the
data (a rolling year ending at the newest quarter anyone reported).

Rates (completion, satisfaction, service level met) of several rows are combined
weighted by transactions; rows that leave a rate empty do not count for that rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from . import money as m
from .channels import DEFAULT_SERVICE_LEVEL_THRESHOLD, is_digital


@dataclass(frozen=True)
class AuditRow:
    service: str
    channel: str
    year: int
    quarter: int
    transactions: int
    total_cost: Decimal
    completion_rate: Decimal | None = None
    satisfaction: Decimal | None = None
    service_level_met: Decimal | None = None

    @property
    def index(self) -> int:
        """Quarters since year 0, so that consecutive quarters differ by one."""
        return self.year * 4 + self.quarter - 1


@dataclass(frozen=True)
class ChannelInfo:
    key: str
    name: str
    kind: str
    it_system: str = ""

    @property
    def digital(self) -> bool:
        return is_digital(self.kind)


@dataclass(frozen=True)
class Offering:
    """A service on a channel; ``it_system`` is the system actually used (the offering's, else the channel's)."""

    service: str
    channel: str
    it_system: str = ""


@dataclass(frozen=True)
class ServiceInfo:
    key: str
    name: str
    providers: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    one_stop: bool = False
    device_candidate: bool = False


def unit_cost(total_cost: Decimal, transactions: int) -> Decimal | None:
    """Cost per transaction to four decimal places (half up); ``None`` when there were no transactions."""
    if not transactions:
        return None
    return m.unit(m.as_decimal(total_cost) / Decimal(transactions))


def window(rows: Iterable[AuditRow], year: int | None = None) -> list[AuditRow]:
    """The rows of ``year``, or of the latest four quarters present when no year is given."""
    rows = list(rows)
    if year is not None:
        return [r for r in rows if r.year == year]
    if not rows:
        return []
    last = max(r.index for r in rows)
    return [r for r in rows if last - 3 <= r.index <= last]


def period_label(rows: Iterable[AuditRow]) -> str:
    """``2024-Q3 to 2025-Q2`` for the span of some rows ('' when there are none)."""
    rows = list(rows)
    if not rows:
        return ""
    first = min(rows, key=lambda r: r.index)
    last = max(rows, key=lambda r: r.index)
    a, b = f"{first.year}-Q{first.quarter}", f"{last.year}-Q{last.quarter}"
    return a if a == b else f"{a} to {b}"


def weighted_rate(rows: Iterable[AuditRow], attr: str) -> Decimal | None:
    """A rate of several rows weighted by transactions, to two decimals; ``None`` when no row gives it."""
    num = Decimal("0")
    den = 0
    for r in rows:
        rate = getattr(r, attr)
        if rate is not None and r.transactions:
            num += rate * r.transactions
            den += r.transactions
    if not den:
        return None
    return m.percent(num / den)


@dataclass(frozen=True)
class Totals:
    transactions: int
    total_cost: Decimal
    unit_cost: Decimal | None
    completion_rate: Decimal | None
    satisfaction: Decimal | None
    service_level_met: Decimal | None


def totals(rows: Iterable[AuditRow]) -> Totals:
    rows = list(rows)
    t = sum(r.transactions for r in rows)
    c = m.money(sum((r.total_cost for r in rows), Decimal("0")))
    return Totals(t, c, unit_cost(c, t), weighted_rate(rows, "completion_rate"),
                  weighted_rate(rows, "satisfaction"), weighted_rate(rows, "service_level_met"))


# --- cost per service across channels -------------------------------------------------------


@dataclass(frozen=True)
class ChannelCost:
    channel: str
    transactions: int
    total_cost: Decimal
    unit_cost: Decimal | None
    share: Decimal  # % of the service's transactions, two decimals


@dataclass(frozen=True)
class ServiceCost:
    service: str
    transactions: int
    total_cost: Decimal
    unit_cost: Decimal | None  # the service's blended cost per transaction across its channels
    channels: tuple[ChannelCost, ...]


def cost_per_service(rows: Iterable[AuditRow]) -> list[ServiceCost]:
    """Per service (by key): volume, cost and blended unit cost, and the same per channel (by key) with its share."""
    by: dict[str, dict[str, list[AuditRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by[r.service][r.channel].append(r)
    out = []
    for service in sorted(by):
        per = by[service]
        all_rows = [r for rs in per.values() for r in rs]
        total = totals(all_rows)
        chans = []
        for channel in sorted(per):
            t = totals(per[channel])
            share = m.percent(Decimal(t.transactions) * m.HUNDRED / total.transactions) if total.transactions \
                else m.percent(0)
            chans.append(ChannelCost(channel, t.transactions, t.total_cost, t.unit_cost, share))
        out.append(ServiceCost(service, total.transactions, total.total_cost, total.unit_cost, tuple(chans)))
    return out


# --- unit-cost league table -----------------------------------------------------------------


@dataclass(frozen=True)
class LeagueRow:
    rank: int | None
    channel: str
    kind: str
    digital: bool
    transactions: int
    total_cost: Decimal
    unit_cost: Decimal | None
    services: int


def league_table(rows: Iterable[AuditRow], channels: Iterable[ChannelInfo]) -> list[LeagueRow]:
    """Channels from the cheapest cost per transaction to the dearest, across all services.

    Ties share a rank (1, 2, 2, 4); channels without transactions come last, unranked.
    Channels that are not in the audit at all are left out.
    """
    info = {c.key: c for c in channels}
    by: dict[str, list[AuditRow]] = defaultdict(list)
    for r in rows:
        by[r.channel].append(r)
    items = []
    for key, rs in by.items():
        t = totals(rs)
        c = info.get(key) or ChannelInfo(key, key, "")
        items.append((t, c, len({r.service for r in rs})))
    items.sort(key=lambda x: (x[0].unit_cost is None, x[0].unit_cost or 0, x[1].key))
    out = []
    rank = 0
    previous = None
    for i, (t, c, n) in enumerate(items, start=1):
        if t.unit_cost is None:
            r = None
        else:
            if t.unit_cost != previous:
                rank, previous = i, t.unit_cost
            r = rank
        out.append(LeagueRow(r, c.key, c.kind, c.digital, t.transactions, t.total_cost, t.unit_cost, n))
    return out


# --- services with no digital channel --------------------------------------------------------


def services_without_digital(services: Iterable[ServiceInfo], offerings: Iterable[Offering],
                             channels: Iterable[ChannelInfo]) -> list[str]:
    """Keys (sorted) of services not offered through any digital channel (web, app, kiosk, asset-to-device)."""
    digital = {c.key for c in channels if c.digital}
    served = {o.service for o in offerings if o.channel in digital}
    return sorted(s.key for s in services if s.key not in served)


# --- channels below the service-level standard -----------------------------------------------


@dataclass(frozen=True)
class BelowStandard:
    channel: str
    service_level_met: Decimal
    threshold: Decimal
    shortfall: Decimal  # threshold - level, in percentage points
    services: tuple[tuple[str, Decimal], ...]  # (service, level) of the services below the threshold on it


def below_standard(rows: Iterable[AuditRow], threshold: Decimal | None = None) -> list[BelowStandard]:
    """Channels whose service level met (weighted across services) is under the threshold, worst first.

    The threshold defaults to :data:`~.channels.DEFAULT_SERVICE_LEVEL_THRESHOLD`; a
    channel exactly at the threshold meets it. Each result lists the services that
    are below the threshold on that channel (worst first, then by key).
    """
    threshold = m.as_decimal(threshold if threshold is not None else DEFAULT_SERVICE_LEVEL_THRESHOLD)
    by: dict[str, list[AuditRow]] = defaultdict(list)
    for r in rows:
        by[r.channel].append(r)
    out = []
    for channel, rs in by.items():
        level = weighted_rate(rs, "service_level_met")
        if level is None or level >= threshold:
            continue
        per_service: dict[str, list[AuditRow]] = defaultdict(list)
        for r in rs:
            per_service[r.service].append(r)
        below = []
        for service, srs in per_service.items():
            sl = weighted_rate(srs, "service_level_met")
            if sl is not None and sl < threshold:
                below.append((service, sl))
        below.sort(key=lambda x: (x[1], x[0]))
        out.append(BelowStandard(channel, level, threshold, threshold - level, tuple(below)))
    out.sort(key=lambda b: (b.service_level_met, b.channel))
    return out


# --- duplicated channel IT --------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicatedIt:
    service: str
    systems: tuple[tuple[str, tuple[str, ...]], ...]  # (system, channels on it), by system name


def duplicated_it(offerings: Iterable[Offering]) -> list[DuplicatedIt]:
    """Services whose channels run on two or more separate IT systems (B11.a), by service key.

    Offerings without an IT system (a counter with no system behind it) are ignored;
    system names are compared ignoring case and every space ("Customer Portal",
    "customer  portal" and "CustomerPortal" are one system), as the docs say.
    """
    by: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    names: dict[str, str] = {}
    for o in offerings:
        system = (o.it_system or "").strip()
        if not system:
            continue
        norm = "".join(system.split()).casefold()
        names.setdefault(norm, system)
        by[o.service][norm].add(o.channel)
    out = []
    for service in sorted(by):
        systems = by[service]
        if len(systems) >= 2:
            out.append(DuplicatedIt(service, tuple(sorted(((names[s], tuple(sorted(ch))) for s, ch in systems.items()),
                                                          key=lambda x: x[0].casefold()))))
    return out


# --- silo gaps per segment -------------------------------------------------------------------


@dataclass(frozen=True)
class SiloGap:
    need: str
    organisations: tuple[str, ...]
    services: tuple[str, ...]


def silo_gaps(segment_needs: Iterable[str], services: Iterable[ServiceInfo]) -> list[SiloGap]:
    """Needs of a segment for which people must deal with two or more organisations (B9), by need key.

    For each need of the segment, the services that meet it are gathered with their
    providers. It is a gap when those services involve two or more organisations
    and none of them is a one-stop service (one front door that meets the need on
    its own, whoever provides it behind).
    """
    services = list(services)
    out = []
    for need in sorted(set(segment_needs)):
        meeting = [s for s in services if need in s.needs]
        if any(s.one_stop for s in meeting):
            continue
        orgs = sorted({p for s in meeting for p in s.providers})
        if len(orgs) >= 2:
            out.append(SiloGap(need, tuple(orgs), tuple(sorted(s.key for s in meeting))))
    return out


def segment_services(segment_needs: Iterable[str], in_scope: Iterable[str], services: Iterable[ServiceInfo]) -> list[str]:
    """Keys (sorted) of the services that touch a segment: those meeting one of its needs or in a franchise scope."""
    needs = set(segment_needs)
    keys = set(in_scope)
    keys |= {s.key for s in services if needs & set(s.needs)}
    return sorted(keys)


# --- asset-to-device candidates ---------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCandidate:
    service: str
    transactions: int  # in the window, on channels other than asset-to-device
    total_cost: Decimal
    channels: tuple[str, ...] = field(default=())


def device_candidates(services: Iterable[ServiceInfo], rows: Iterable[AuditRow],
                      channels: Iterable[ChannelInfo]) -> list[DeviceCandidate]:
    """Services flagged as candidates for asset-to-device connection (B11.b.2), with the volume they still carry.

    The volume is the transactions (and their cost) of the rows given, on every
    channel except asset-to-device ones, i.e. what a connected asset could take away.
    Largest volume first, then by key.
    """
    device = {c.key for c in channels if c.kind == "asset_to_device"}
    rows = [r for r in rows if r.channel not in device]
    out = []
    for s in services:
        if not s.device_candidate:
            continue
        rs = [r for r in rows if r.service == s.key]
        t = totals(rs)
        out.append(DeviceCandidate(s.key, t.transactions, t.total_cost, tuple(sorted({r.channel for r in rs}))))
    out.sort(key=lambda d: (-d.transactions, d.service))
    return out
