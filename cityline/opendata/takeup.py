"""Take-up of the open data platform (B7.d, B8): views, downloads and API calls per dataset and day.

Counters only. Nothing about the person asking is kept: no IP address, no user, no
user agent. Each call adds one to the day's row for (dataset, distribution, kind).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import choices
from .generated import cell
from .models import Dataset, Distribution, TakeUpCount

VIEW, DOWNLOAD, API = choices.TakeUpKind.VIEW, choices.TakeUpKind.DOWNLOAD, choices.TakeUpKind.API


def record(dataset: Dataset, kind: str, *, distribution: Distribution | None = None, count: int = 1) -> None:
    """Count one view, download or API call of ``dataset`` (and ``distribution``) today."""
    day = timezone.localdate()
    with transaction.atomic():
        rows = TakeUpCount.objects.filter(dataset=dataset, distribution=distribution, kind=kind, day=day)
        pk = rows.values_list("pk", flat=True).first()
        if pk is not None:
            TakeUpCount.objects.filter(pk=pk).update(count=F("count") + count)
        else:
            TakeUpCount.objects.create(city_id=dataset.city_id, dataset=dataset, distribution=distribution,
                                       kind=kind, day=day, count=count)


# --- figures for stewards, and the take-up dataset ----------------------------------------------

KINDS = [VIEW, DOWNLOAD, API]
TAKE_UP_KEY = "take-up"
GENERATED = "take-up-csv"
HEADER = ["month", "dataset", "distribution", "kind", "count"]


def monthly(city, *, public_only: bool = False, dataset: Dataset | None = None) -> list[dict]:
    """Counts summed by month × dataset × distribution × kind, oldest month first.

    ``public_only`` keeps public datasets only (what the open take-up dataset may show);
    ``distribution`` is ``""`` for counts of the dataset as a whole (page views).
    """
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    rows = TakeUpCount.objects.filter(city=city)
    if public_only:
        rows = rows.filter(dataset__public=True)
    if dataset is not None:
        rows = rows.filter(dataset=dataset)
    grouped = (rows.annotate(month=TruncMonth("day"))
               .values("month", "dataset__key", "distribution__key", "kind")
               .annotate(total=Sum("count"))
               .order_by("month", "dataset__key", "distribution__key", "kind"))
    return [{"month": r["month"].strftime("%Y-%m"), "dataset": r["dataset__key"],
             "distribution": r["distribution__key"] or "", "kind": r["kind"], "count": int(r["total"])}
            for r in grouped]


def totals(dataset: Dataset) -> dict[str, int]:
    """All-time counts of one dataset by kind: ``{"view": n, "download": n, "api": n}``."""
    from django.db.models import Sum

    sums = dict(TakeUpCount.objects.filter(dataset=dataset).values_list("kind").annotate(total=Sum("count")))
    return {kind: int(sums.get(kind) or 0) for kind in KINDS}


def summary(city) -> dict:
    """For stewards: the monthly rows and each dataset's totals (every dataset, public or not)."""
    rows = monthly(city)
    by_dataset: dict[str, dict[str, int]] = {}
    for row in rows:
        entry = by_dataset.setdefault(row["dataset"], {kind: 0 for kind in KINDS})
        entry[row["kind"]] += row["count"]
    return {"city": city.key, "months": rows,
            "datasets": [{"dataset": key, **counts} for key, counts in sorted(by_dataset.items())],
            "totals": {kind: sum(c[kind] for c in by_dataset.values()) for kind in KINDS}}


def build_csv(rows: list[dict]) -> bytes:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for row in rows:
        w.writerow([cell(row[h]) for h in HEADER])  # text a spreadsheet would run as a formula gets a "'"
    return buf.getvalue().encode("utf-8")


def publish(city, *, user=None) -> dict:
    """Publish the take-up figures of public datasets as the open dataset ``take-up`` (B7.d, B8).

    Creates the dataset and its CSV distribution the first time; writes a new version only when
    the figures changed. Returns ``{"dataset", "action", "version"}`` (version None when unchanged).
    """
    from django.utils.translation import gettext as _

    from cityline.core import actions
    from cityline.core.models import Organisation

    from .kpidata import write_if_changed

    dataset = Dataset.objects.filter(city=city, key=TAKE_UP_KEY).first()
    action = "unchanged"
    if dataset is None:
        orgs = Organisation.objects.filter(city=city).order_by("key")
        publisher = orgs.filter(sector="public").first() or orgs.first()
        if publisher is None:
            return {"dataset": None, "action": "skipped", "version": None,
                    "problem": "the city has no organisation to publish the dataset"}
        dataset = actions.create(
            Dataset, user=user, city=city, key=TAKE_UP_KEY, title=_("Take-up of the open data platform"),
            description=_("How often each public dataset was viewed, downloaded and called through the API, by "
                          "month. Counters only: nothing about the people asking is kept."),
            keywords="open data, take-up, statistics", publisher=publisher, licence="CC-BY-4.0",
            frequency="DAILY", published=True, issued=timezone.localdate(), reason="take-up (B7.d)",
        )
        action = "created"
    dist = dataset.distributions.filter(generated=GENERATED).first()
    adopted = dataset.distributions.filter(key=f"{TAKE_UP_KEY}-csv", generated="").first()
    if dist is None and adopted is not None and dataset.distributions.count() == 1:
        # from a city pack, which does not carry ``generated``
        dist = actions.update(adopted, user=user, generated=GENERATED, reason="take-up (B7.d)")
    if dist is None:
        if dataset.distributions.exists() and action != "created":
            return {"dataset": dataset.key, "action": "skipped", "version": None,
                    "problem": f"dataset {TAKE_UP_KEY!r} exists and is not Cityline's take-up dataset"}
        dist = actions.create(Distribution, user=user, city=city, dataset=dataset, key=f"{TAKE_UP_KEY}-csv",
                              title=_("Take-up by month (CSV)"), kind="file", format="CSV", media_type="text/csv",
                              key_columns="month, dataset, distribution, kind", generated=GENERATED,
                              reason="take-up (B7.d)")
    rows = monthly(city, public_only=True)
    if not rows:  # nothing counted yet: an upload needs at least one row
        return {"dataset": dataset.key, "action": action, "version": None}
    content = build_csv(rows)
    if not write_if_changed(dist, content, "take-up.csv", user=user, note="take-up figures refreshed"):
        return {"dataset": dataset.key, "action": action, "version": None}
    return {"dataset": dataset.key, "action": "updated" if action == "unchanged" else action,
            "version": dist.latest_version().number}
