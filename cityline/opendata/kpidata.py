"""KPI data as open data (C2.g): every published KPI's measurements as a dataset of the catalogue.

For each published KPI, Cityline keeps one :class:`.Dataset` (``source_kpi`` = the KPI,
key ``kpi-<kpi key>``, the KPI's title and licence, published by the organisation of the
KPI's benefit owner or else the city's first public organisation) with two held
distributions written by Cityline itself (``generated``):

- ``kpi-<key>-csv`` (``kpi-measurements-csv``) and ``kpi-<key>-json``
  (``kpi-measurements-json``): one row per measurement — ``kpi``, ``period_end``,
  ``value``, ``unit``, ``expected`` (what the KPI's trajectory planned for that date,
  C2.b), ``quality`` and ``source``. Notes are left out: they are free text for the
  editors.

Every file goes through the one write path (:func:`.services.upload_version`): it is
validated, converted to Parquet, versioned and checked by the privacy gate like any upload.
A new version is written only when the content changed (the checksum of the built file
differs from the latest version's upload), so :func:`sync_kpi` and :func:`sync_city` can
run any number of times.

Kept up to date through :data:`cityline.core.actions.record_changed` (sent after commit)
for :class:`~cityline.benefits.models.Kpi`, :class:`~cityline.benefits.models.Measurement`,
:class:`~cityline.benefits.models.KpiTarget` and
:class:`~cityline.benefits.models.TrajectoryPoint`: after commit, so that a pack import of a
thousand measurements writes one version per KPI (the first callback sees every
measurement; the others find the content unchanged), and a failure here never undoes the
measurement that caused it (it is logged). Unpublishing a KPI unpublishes its dataset.
``cityline opendata sync-kpis CITY`` does the whole city (and refreshes the take-up dataset).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityline.benefits.domain.kpi import KpiDataError
from cityline.benefits.models import Kpi, KpiTarget, Measurement, TrajectoryPoint
from cityline.core import actions
from cityline.core.models import City, Organisation

from . import choices
from .domain import tabular
from .generated import cell
from .models import Dataset, Distribution

log = logging.getLogger(__name__)

GENERATED_CSV = "kpi-measurements-csv"
GENERATED_JSON = "kpi-measurements-json"
SKIPPED = "skipped"
HEADER = ["kpi", "period_end", "value", "unit", "expected", "quality", "source"]
DEFAULT_LICENCE = "CC-BY-4.0"

#: KPI reporting frequency → EU frequency code of the dataset.
FREQUENCIES = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "quarterly": "QUARTERLY",
               "annual": "ANNUAL", "biennial": "IRREG"}


@dataclass
class SyncResult:
    """What :func:`sync_kpi` did for one KPI: ``action`` is one of created, updated, unchanged,
    unpublished, skipped; ``versions`` the distributions that got a new version."""

    kpi: str
    dataset: str | None
    action: str
    versions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"kpi": self.kpi, "dataset": self.dataset, "action": self.action, "versions": self.versions,
                "problems": self.problems}


def dataset_key(kpi: Kpi) -> str:
    return f"kpi-{kpi.key}"[:80]


def licence_for(kpi: Kpi) -> str:
    """The KPI's own licence when the catalogue knows it as open, else CC-BY-4.0 (C2.g)."""
    return kpi.licence if kpi.licence in choices.OPEN_LICENCES else DEFAULT_LICENCE


def publisher_for(kpi: Kpi) -> Organisation | None:
    """The organisation of the KPI's benefit owner, else the city's first public organisation."""
    owner = kpi.node.benefit_owner if kpi.node_id and kpi.node.benefit_owner_id else None
    if owner is not None and owner.organisation_id:
        return owner.organisation
    orgs = Organisation.objects.filter(city_id=kpi.city_id).order_by("key")
    return orgs.filter(sector="public").first() or orgs.first()


def _number(value: Decimal | float | None):
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)
    return round(float(value), 6)


def measurement_rows(kpi: Kpi) -> tuple[list[dict], KpiDataError | None]:
    """The rows of the KPI's open data files, oldest period first, and None; or no rows and the error
    when the KPI's stored data cannot be read (:func:`cityline.benefits.realisation.readable_kpi`: a row
    saved before a check existed, or written around validation), which names the field at fault."""
    from cityline.benefits.domain import trajectory
    from cityline.benefits.realisation import readable_kpi

    plain, problem = readable_kpi(kpi)
    if problem is not None:
        return [], problem
    rows = []
    for m in kpi.measurements.order_by("period_end"):
        try:
            expected = trajectory.expected(plain, m.period_end)
        except (ValueError, ZeroDivisionError):  # an incomplete plan has no expected value
            expected = None
        rows.append({"kpi": kpi.key, "period_end": m.period_end.isoformat(), "value": _number(m.value),
                     "unit": kpi.unit, "expected": _number(expected), "quality": m.quality, "source": m.source})
    return rows, None


def build_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for row in rows:
        w.writerow([cell(row[h]) for h in HEADER])  # text a spreadsheet would run as a formula gets a "'"
    return buf.getvalue().encode("utf-8")


def build_json(rows: list[dict]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")


def _description(kpi: Kpi) -> str:
    return _("Every measurement of the KPI “%(title)s”, kept up to date by Cityline from the city's KPI records, "
             "with the value its trajectory expected for each period.") % {"title": kpi.title}


def _ensure_dataset(kpi: Kpi, user=None) -> tuple[Dataset | None, str, list[str]]:
    """Create or update the KPI's dataset; returns (dataset, action, problems)."""
    dataset = Dataset.objects.filter(source_kpi=kpi).first()
    wanted = {"title": kpi.title[:300], "licence": licence_for(kpi), "published": True,
              "frequency": FREQUENCIES.get(kpi.frequency, "UNKNOWN")}
    if dataset is None:
        key = dataset_key(kpi)
        existing = Dataset.objects.filter(city_id=kpi.city_id, key=key).first()
        if existing is not None:
            # A city pack carries the dataset but not ``source_kpi``: adopt it when it serves this KPI only.
            if existing.source_kpi_id is None and list(existing.kpis.values_list("pk", flat=True)) == [kpi.pk]:
                dataset = actions.update(existing, user=user, source_kpi=kpi, reason="KPI data as open data (C2.g)",
                                         **{k: v for k, v in wanted.items() if getattr(existing, k) != v})
                return dataset, "updated", []
            return None, SKIPPED, [f"a dataset with key {key!r} exists and is not this KPI's: rename it"]
        publisher = publisher_for(kpi)
        if publisher is None:
            return None, SKIPPED, ["the city has no organisation to publish the dataset"]
        dataset = actions.create(
            Dataset, user=user, city=kpi.city, key=key, description=_description(kpi),
            keywords="KPI", publisher=publisher, source_kpi=kpi,
            issued=timezone.localdate(), spatial=kpi.scope[:200], m2m={"kpis": [kpi]},
            reason="KPI data as open data (C2.g)", **wanted,
        )
        return dataset, "created", []
    changes = {name: value for name, value in wanted.items() if getattr(dataset, name) != value}
    if changes:
        dataset = actions.update(dataset, user=user, reason="KPI data as open data (C2.g)", **changes)
        return dataset, "updated", []
    return dataset, "unchanged", []


def _ensure_distribution(dataset: Dataset, generated: str, user=None) -> Distribution:
    dist = dataset.distributions.filter(generated=generated).first()
    if dist is not None:
        return dist
    csv_kind = generated == GENERATED_CSV
    suffix = "csv" if csv_kind else "json"
    adopted = dataset.distributions.filter(key=f"{dataset.key[:75]}-{suffix}", generated="").first()
    if adopted is not None:  # from a city pack, which does not carry ``generated``
        return actions.update(adopted, user=user, generated=generated, reason="KPI data as open data (C2.g)")
    return actions.create(
        Distribution, user=user, city=dataset.city, dataset=dataset, key=f"{dataset.key[:75]}-{suffix}",
        title=_("Measurements (CSV)") if csv_kind else _("Measurements (JSON)"), kind="file",
        format="CSV" if csv_kind else "JSON", media_type="text/csv" if csv_kind else "application/json",
        key_columns="kpi, period_end", generated=generated, reason="KPI data as open data (C2.g)",
    )


def write_if_changed(dist: Distribution, content: bytes, name: str, *, user=None,
                     note: str = "KPI measurements changed") -> bool:
    """Upload ``content`` as the next version of ``dist`` unless the latest version has the same bytes."""
    from . import services

    latest = dist.latest_version()
    if latest is not None and latest.source_checksum == hashlib.sha256(content).hexdigest():
        return False
    with tempfile.TemporaryDirectory(prefix="cityline-kpi-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        services.upload_version(dist, path, original_name=name, user=user, note=note)
    return True


def sync_kpi(kpi: Kpi, *, user=None) -> SyncResult:
    """Bring one KPI's dataset in line with the KPI: publish, unpublish, write new versions."""
    kpi = Kpi.objects.select_related("city", "node__benefit_owner").get(pk=kpi.pk)
    if not kpi.published:
        dataset = Dataset.objects.filter(source_kpi=kpi).first()
        if dataset is not None and dataset.published:
            actions.update(dataset, user=user, published=False, reason="the KPI is no longer published")
            return SyncResult(kpi.key, dataset.key, "unpublished")
        return SyncResult(kpi.key, dataset.key if dataset else None, "unchanged")
    rows, problem = measurement_rows(kpi)
    if problem is not None:  # skipped: its dataset, if any, keeps what it published until the data is fixed
        published = Dataset.objects.filter(source_kpi=kpi).values_list("key", flat=True).first()
        return SyncResult(kpi.key, published, SKIPPED,
                          problems=[_("the KPI's data cannot be read (%(problem)s): fix it, then sync again")
                                    % {"problem": problem}])
    with transaction.atomic():
        dataset, action, problems = _ensure_dataset(kpi, user=user)
        if dataset is None:
            return SyncResult(kpi.key, None, action, problems=problems)
        dists = {g: _ensure_distribution(dataset, g, user=user) for g in (GENERATED_CSV, GENERATED_JSON)}
    result = SyncResult(kpi.key, dataset.key, action, problems=problems)
    if not rows:
        return result  # nothing measured yet: the dataset waits for its first value
    for generated, content, ext in ((GENERATED_CSV, build_csv(rows), "csv"), (GENERATED_JSON, build_json(rows), "json")):
        dist = dists[generated]
        try:
            if write_if_changed(dist, content, f"{dataset.key}.{ext}", user=user):
                result.versions.append(dist.key)
        except (tabular.IngestError, ValueError) as exc:
            result.problems.append(f"{dist.key}: {exc}")
    if result.versions and result.action == "unchanged":
        result.action = "updated"
    return result


def sync_city(city: City, *, user=None) -> list[SyncResult]:
    """Every KPI of the city with a dataset or published: idempotent (``cityline opendata sync-kpis``).

    A KPI whose data cannot be read is skipped (``action`` "skipped", the problem naming the field at fault)
    and the others are synced: :func:`skipped` lists them for the caller to report."""
    kpis = Kpi.objects.filter(city=city).order_by("key")
    with_dataset = set(Dataset.objects.filter(city=city, source_kpi__isnull=False).values_list("source_kpi", flat=True))
    return [sync_kpi(k, user=user) for k in kpis if k.published or k.pk in with_dataset]


def skipped(results: list[SyncResult]) -> list[str]:
    """The keys of the KPIs :func:`sync_city` left out (their data cannot be read, or their dataset key is taken)."""
    return [r.kpi for r in results if r.action == SKIPPED]


# --- kept up to date ----------------------------------------------------------------------------

def _kpi_id_of(sender, instance) -> int | None:
    return instance.pk if sender is Kpi else getattr(instance, "kpi_id", None)


def _on_change(sender, instance=None, kind=None, reason=None, **_: object) -> None:
    """After a KPI or one of its measurements, targets or trajectory points changed (and committed).

    Changes made by a city pack import are left to the import's own follow-up (``opendata/pack.py``
    syncs the whole city once the import commits), not synced once per measurement.
    """
    if sender not in (Kpi, Measurement, KpiTarget, TrajectoryPoint) or instance is None:
        return
    from cityline.core.packs.importer import REASON as PACK_IMPORT_REASON

    if reason == PACK_IMPORT_REASON:
        return
    try:
        if sender is Kpi and kind == "delete":
            return  # a deleted KPI takes its dataset with it (on_delete=CASCADE)
        kpi = Kpi.objects.filter(pk=_kpi_id_of(sender, instance)).first()
        if kpi is not None:
            sync_kpi(kpi)
    except Exception:  # never let open data bookkeeping break the write that caused it
        log.exception("could not update the open data of KPI %s", getattr(instance, "pk", "?"))


actions.record_changed.connect(_on_change, dispatch_uid="opendata-kpi-data")
