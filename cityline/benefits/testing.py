"""Small hand-made benefit maps with KPIs for tests (status, escalation, pages, board pack).

Not test code itself: a factory that tests of several areas share, written through
:mod:`cityline.core.actions` like every other write.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cityline.core import actions
from cityline.core.testing import make_city, make_person

from .models import BenefitLink, BenefitNode, CityIndicator, Kpi, KpiTarget, Measurement


def node(city, key, kind, **fields):
    return actions.create(BenefitNode, city=city, key=key, kind=kind, title=fields.pop("title", key.replace("-", " ")),
                          **fields)


def link(city, source, target, **fields):
    return actions.create(BenefitLink, city=city, source=source, target=target,
                          evidence=fields.pop("evidence", "evaluated"), **fields)


def kpi(city, key, node_, kind, *, baseline, target, values, direction="higher_is_better", frequency="annual",
        published=True, **fields):
    """A KPI on ``node_`` from baseline (value, date) to one target (value, date) with yearly ``values``.

    ``values`` maps a year to the value measured for the year ending 31 December.
    """
    indicator = actions.create(CityIndicator, city=city, key=f"{key}-indicator", name=fields.pop("name", key))
    record = actions.create(Kpi, city=city, key=key, title=fields.pop("title", key.replace("-", " ").capitalize()),
                            indicator=indicator, node=node_, kind=kind, unit=fields.pop("unit", "%"),
                            direction=direction, frequency=frequency, evaluation_method="periodic_survey",
                            baseline_value=Decimal(str(baseline[0])), baseline_date=baseline[1],
                            published=published, **fields)
    actions.create(KpiTarget, city=city, kpi=record, label=str(target[1].year), value=Decimal(str(target[0])),
                   date=target[1])
    for year, value in values.items():
        actions.create(Measurement, city=city, kpi=record, period_end=date(year, 12, 31),
                       value=Decimal(str(value)), source="test data")
    return record


def _through_last_year(values: dict[int, float], step: float) -> dict[int, float]:
    """``values`` continued by ``step`` a year up to last year, so the data stays current whatever today is."""
    out = dict(values)
    last = max(out)
    for year in range(last + 1, date.today().year):
        out[year] = round(out[year - 1] + step, 2)
    return out


def make_realisation_city(key: str = "testville"):
    """A city whose leading indicator is off track, so the outcomes downstream are at risk.

    Map: ``bikes`` (investment, 1 M) → ``lanes`` (output, enabler; leading KPI ``lanes-built``
    far behind plan) → ``mobility-data`` (governance change) → ``more-cycling`` (intermediate
    outcome; KPI ``cycling-share`` on track) → ``cleaner-air`` (end outcome, owner Ada Owner;
    KPI ``no2`` on track) → ``environment`` (purpose). Also ``quiet-streets`` (end outcome, no
    owner, unpublished KPI ``noise`` off track) fed by ``lanes``. The plans run from 2019 to
    2030; measurements are fixed for 2020–2025 and continue the same trends up to last year, so
    the statuses hold on any date from 2026 to 2030 (tests pin a date where they can).
    Returns ``(city, nodes)``.
    """
    city = make_city(key)
    owner = make_person(city, "ada-owner", name="Ada Owner")
    n = {
        "bikes": node(city, "bikes", "investment", cost=Decimal("1000000")),
        "lanes": node(city, "lanes", "output", output_type="enabler"),
        "mobility-data": node(city, "mobility-data", "output", output_type="governance_change",
                              governance_change="real_time_management"),
        "more-cycling": node(city, "more-cycling", "intermediate_outcome"),
        "cleaner-air": node(city, "cleaner-air", "end_outcome", benefit_owner=owner),
        "quiet-streets": node(city, "quiet-streets", "end_outcome"),
        "environment": node(city, "environment", "purpose", purpose="environment"),
    }
    for a, b in [("bikes", "lanes"), ("lanes", "mobility-data"), ("mobility-data", "more-cycling"),
                 ("more-cycling", "cleaner-air"), ("cleaner-air", "environment"), ("lanes", "quiet-streets"),
                 ("quiet-streets", "environment")]:
        link(city, n[a], n[b])
    start, end = date(2019, 12, 31), date(2030, 12, 31)
    kpi(city, "lanes-built", n["lanes"], "leading", baseline=(0, start), target=(110, end), unit="km",
        values=_through_last_year({2020: 1, 2021: 2, 2022: 2, 2023: 3, 2024: 3, 2025: 4}, 0.6))
    kpi(city, "cycling-share", n["more-cycling"], "outcome", baseline=(4, start), target=(15, end),
        values=_through_last_year({2020: 5, 2021: 6, 2022: 7, 2023: 8, 2024: 9, 2025: 10}, 1))
    kpi(city, "no2", n["cleaner-air"], "outcome", baseline=(40, start), target=(29, end), unit="µg/m³",
        direction="lower_is_better",
        values=_through_last_year({2020: 39, 2021: 38, 2022: 37, 2023: 36, 2024: 35, 2025: 34}, -1))
    kpi(city, "noise", n["quiet-streets"], "outcome", baseline=(60, start), target=(50, end), unit="dB",
        direction="lower_is_better", published=False,
        values=_through_last_year({2020: 61, 2021: 62, 2022: 62, 2023: 63, 2024: 64, 2025: 64}, 0.6))
    return city, n
