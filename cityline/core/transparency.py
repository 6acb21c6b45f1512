"""The public record of decisions and KPI changes, each sealed in the audit chain (B2.g).

What counts as a public decision or KPI change, and what the public sees of it:

- **published KPIs** (``benefits.Kpi`` with ``published``): the KPI's own changes while it was
  published, and the changes to its targets, trajectory and measurements from the moment it was
  first published. A KPI that is not published now shows nothing at all.
- **documents** adopted or published (``core.Document``): the changes that left the document
  adopted or published. Drafts never show.
- **governance meetings** (``strategy.Meeting``): meetings and their papers are public (B2.g).

Each change shows its date, what changed (before and after, from
:func:`cityline.core.history.to_change`), and the hash of its audit entry, beside the chain's
head and the result of verifying the chain for the city. Nothing personal is shown: no user,
no pseudonym, no change reason (free text that may name people), and only the fields listed in
``FIELDS`` for each model.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db.models import DecimalField, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .history import to_change
from .models import AuditEntry

#: model label → the fields whose changes are shown (before → after)
FIELDS: dict[str, tuple[str, ...]] = {
    "benefits.kpi": ("title", "scope", "unit", "direction", "frequency", "baseline_value", "baseline_date",
                     "trajectory", "tolerance_on_track", "tolerance_at_risk", "tolerance_basis", "licence",
                     "published"),
    "benefits.kpitarget": ("label", "value", "date"),
    "benefits.trajectorypoint": ("date", "value"),
    "benefits.measurement": ("period_end", "value", "quality"),
    "core.document": ("title", "doc_type", "status", "adopted_on", "published_on", "summary", "url"),
    "strategy.meeting": ("date", "title", "summary"),
}
#: how many changes the page lists, newest first
LIMIT = 200
#: how long the verification result is reused (seconds)
VERIFY_TTL = 600


def _streams(city) -> list:
    Kpi = apps.get_model("benefits", "Kpi")
    Document = apps.get_model("core", "Document")
    Meeting = apps.get_model("strategy", "Meeting")
    published = list(Kpi.objects.filter(city=city, published=True).values_list("pk", flat=True))
    first_published = dict(
        Kpi.history.filter(city_id=city.pk, id__in=published, published=True)
        .values_list("id").annotate(first=Min("history_date"))
    )
    since = Q(pk__in=[])
    for kpi_id, first in first_published.items():
        since |= Q(kpi_id=kpi_id, history_date__gte=first)
    streams = [
        Kpi.history.filter(city_id=city.pk, id__in=published, published=True),
        Document.history.filter(city_id=city.pk, status__in=["adopted", "published"],
                                id__in=Document.objects.filter(city=city, status__in=["adopted", "published"])
                                .values("pk")),
        Meeting.history.filter(city_id=city.pk),
    ]
    for name in ("KpiTarget", "TrajectoryPoint", "Measurement"):
        streams.append(apps.get_model("benefits", name).history.filter(since, city_id=city.pk))
    return streams


def _public_change(record, entry: AuditEntry | None) -> dict[str, Any] | None:
    change = to_change(record)
    shown = FIELDS[change.model]
    meta = record.instance_type._meta
    fields = []
    for f in change.fields:
        if f["field"] not in shown:
            continue
        model_field = meta.get_field(f["field"])
        before, after = f["before"], f["after"]
        if isinstance(model_field, DecimalField):  # 6.400000 → 6.4
            before, after = (None if v is None else format(Decimal(str(v)).normalize(), "f") for v in (before, after))
        fields.append({"field": f["field"], "label": str(model_field.verbose_name), "before": before, "after": after})
    if change.kind == "changed" and not fields:
        return None  # only internal fields changed
    return {
        "when": change.when.isoformat(), "kind": change.kind, "model": change.model,
        "model_label": change.model_label, "object": change.object_repr, "fields": fields,
        "seq": entry.seq if entry else None, "hash": entry.hash if entry else None,
    }


def chain_status(city) -> dict[str, Any]:
    """The chain head and the result of verifying it for ``city`` (reused for ``VERIFY_TTL`` seconds)."""
    key = f"cityline.audit.verify.{city.pk}"
    seq, head = audit.head()
    status = cache.get(key)
    if status is None or status["head_seq"] != seq:
        report = audit.verify(city)
        status = {"head_seq": report.head_seq, "head_hash": report.head_hash, "verified": report.ok,
                  "problems": len(report.problems), "entries": report.entries, "rows": report.rows,
                  "checked_at": timezone.now().isoformat(timespec="seconds")}
        cache.set(key, status, VERIFY_TTL)
    return status


def transparency(city) -> dict[str, Any]:
    """The latest public decisions and KPI changes of ``city``, newest first, with their audit hashes."""
    records = []
    for qs in _streams(city):
        records.extend(qs.order_by("-history_date")[:LIMIT])
    records.sort(key=lambda r: r.history_date, reverse=True)
    entries: dict[tuple[str, int], AuditEntry] = {}
    by_model: dict[str, list[int]] = {}
    for r in records:
        by_model.setdefault(r.instance_type._meta.label_lower, []).append(r.history_id)
    for label, ids in by_model.items():
        for e in AuditEntry.objects.filter(model=label, history_id__in=ids):
            entries[(label, e.history_id)] = e
    changes = []
    for r in records:
        item = _public_change(r, entries.get((r.instance_type._meta.label_lower, r.history_id)))
        if item is not None:
            changes.append(item)
        if len(changes) >= LIMIT:
            break
    kinds = {"created": _("created"), "changed": _("changed"), "deleted": _("deleted")}
    for c in changes:
        c["kind_label"] = kinds[c["kind"]]
    last = max([city.updated_at] + [r.history_date for r in records[:1]])
    return {
        "chain": chain_status(city),
        "changes": changes,
        "limit": LIMIT,
        "provenance": {"city": city.key, "city_name": city.name, "last_updated": last.isoformat()},
    }


def change_rows(data: dict[str, Any]):
    header = ["when", "kind", "model", "object", "field", "before", "after", "seq", "hash"]
    rows = []
    for c in data["changes"]:
        for f in c["fields"] or [{"field": "", "before": None, "after": None}]:
            rows.append([c["when"], c["kind"], c["model"], c["object"], f["field"], f["before"], f["after"],
                         c["seq"], c["hash"]])
    return header, rows

