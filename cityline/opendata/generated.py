"""Datasets Cityline writes itself: one CSV distribution built from records, kept up to date (C2.g, B8).

The shared machinery of a generated CSV dataset (as in :mod:`.kpidata`, :mod:`.takeup` and
:mod:`cityline.participation.opendata`), for new users:

- :class:`Generated`: what the dataset is (key, title, description, keywords, header, key columns);
- :func:`build_csv`: the file, with cells guarded against spreadsheet formula injection (a text
  cell starting with ``=``, ``+``, ``-`` or ``@`` gets a leading ``'``; numbers are left alone);
- :func:`publisher`: the city's first public organisation, else its first organisation;
- :func:`ensure`: the dataset and its distribution, created the first time (adopting a dataset
  and distribution of the same keys from a city pack, which does not carry ``generated``);
- :func:`publish`: all of it, writing a new version only when the file would change
  (:func:`.kpidata.write_if_changed`: through the one upload path, privacy gate included).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

#: A text cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Generated:
    key: str
    title: object
    description: object
    header: list[str]
    key_columns: str
    keywords: str = ""
    distribution_title: object = ""
    frequency: str = "DAILY"
    licence: str = "CC-BY-4.0"
    reason: str = "generated open data"

    @property
    def generated(self) -> str:
        return f"{self.key}-csv"[:30]

    @property
    def distribution_key(self) -> str:
        return f"{self.key}-csv"


def cell(value) -> str:
    """One CSV cell: empty for None, ISO dates, true/false, numbers as written, guarded text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def build_csv(header: list[str], rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([cell(row.get(h)) for h in header])
    return buf.getvalue().encode("utf-8")


def publisher(city):
    from cityline.core.models import Organisation

    orgs = Organisation.objects.filter(city=city).order_by("key")
    return orgs.filter(sector="public").first() or orgs.first()


def ensure(city, spec: Generated, *, user=None):
    """``(dataset, distribution, action, problem)``; action is created or unchanged, or skipped with a problem."""
    from cityline.core import actions

    from .models import Dataset, Distribution

    dataset = Dataset.objects.filter(city=city, key=spec.key).first()
    action = "unchanged"
    if dataset is None:
        org = publisher(city)
        if org is None:
            return None, None, "skipped", "the city has no organisation to publish the dataset"
        dataset = actions.create(
            Dataset, user=user, city=city, key=spec.key, title=str(spec.title), description=str(spec.description),
            keywords=spec.keywords, publisher=org, licence=spec.licence, frequency=spec.frequency, published=True,
            issued=timezone.localdate(), reason=spec.reason)
        action = "created"
    dist = dataset.distributions.filter(generated=spec.generated).first()
    adopted = dataset.distributions.filter(key=spec.distribution_key, generated="").first()
    if dist is None and adopted is not None and dataset.distributions.count() == 1:
        dist = actions.update(adopted, user=user, generated=spec.generated, reason=spec.reason)  # from a city pack
    if dist is None:
        if dataset.distributions.exists() and action != "created":
            return dataset, None, "skipped", f"dataset {spec.key!r} exists and is not the one Cityline generates"
        dist = actions.create(Distribution, user=user, city=city, dataset=dataset, key=spec.distribution_key,
                              title=str(spec.distribution_title or spec.title) + " (CSV)", kind="file", format="CSV",
                              media_type="text/csv", key_columns=spec.key_columns, generated=spec.generated,
                              reason=spec.reason)
    return dataset, dist, action, None


def publish(city, spec: Generated, rows: list[dict], *, user=None, note: str = "figures refreshed") -> dict:
    """Create or refresh the dataset; ``{"dataset", "action", "version"}`` (+ ``problem`` when skipped).

    A dataset with no rows yet has no file (an upload needs a row).
    """
    from .kpidata import write_if_changed

    dataset, dist, action, problem = ensure(city, spec, user=user)
    result: dict = {"dataset": spec.key, "action": action, "version": None}
    if problem:
        return {**result, "problem": problem}
    if rows and write_if_changed(dist, build_csv(spec.header, rows), f"{spec.key}.csv", user=user, note=note):
        result.update(action="updated" if action == "unchanged" else action, version=dist.latest_version().number)
    return result
