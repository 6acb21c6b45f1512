"""Change history across a city's operating model, built on django-simple-history.

simple-history keeps one historical table per model; this module merges them into
one timeline per city and turns each entry into plain data (who, when, what, the
before/after of every changed field) for the editor, the API and the CLI.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import models

from .models import City, CityRecord

KIND = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class Change:
    when: datetime
    kind: str
    model: str
    model_label: str
    object_id: int
    object_repr: str
    user: str | None
    reason: str
    version: int | None
    fields: list[dict[str, Any]] = field(default_factory=list)
    #: ``reason`` as a reader without a role may read it (:func:`public_reason`)
    public_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "when": self.when.isoformat(),
            "kind": self.kind,
            "model": self.model,
            "model_label": self.model_label,
            "object_id": self.object_id,
            "object": self.object_repr,
            "user": self.user,
            "reason": self.reason,
            "version": self.version,
            "fields": self.fields,
        }


def tracked_models() -> list[type[models.Model]]:
    """Every operating-model class with a history (city records and the city itself)."""
    return [m for m in apps.get_models() if issubclass(m, CityRecord) and hasattr(m, "history")]


def _display(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def public_reason(reason: str, model: type[models.Model]) -> str:
    """``reason`` without the names of linked records, for readers without a role (B10, C2.f).

    :func:`cityline.core.actions.save` appends a note per many-to-many set a write changes to the
    caller's reason (``"teams reviewed; kpis: [] → [Cycling share, Noise]"``), naming the linked
    records, which may be hidden from the reader (an unpublished KPI). The notes come last, so
    everything from the first one on is replaced by the names of the sets that changed
    (``"teams reviewed; kpis: links changed"``); the caller's own text before them is kept. This
    works at read time on the stored (and sealed) reasons, old ones included.
    """
    from django.utils.translation import gettext as _

    names = [f.name for f in model._meta.many_to_many]
    if not reason or not names:
        return reason
    starts = [i for name in names for i in _note_starts(reason, name)]
    if not starts:
        return reason
    first = min(starts)
    tail = reason[first:]
    changed = sorted({name for name in names if _note_starts(tail, name)}, key=lambda n: min(_note_starts(tail, n)))
    notes = [_("%(field)s: links changed") % {"field": name} for name in changed]
    return "; ".join([t for t in [reason[:first].removesuffix("; "), *notes] if t])


def _note_starts(text: str, name: str) -> list[int]:
    """Where a many-to-many note of field ``name`` starts in ``text`` (at the start or after "; ")."""
    head = f"{name}: ["
    found = [0] if text.startswith(head) else []
    i = text.find("; " + head)
    while i != -1:
        found.append(i + 2)
        i = text.find("; " + head, i + 1)
    return found


def to_change(record) -> Change:
    model = record.instance_type
    fields = []
    prev = record.prev_record if record.history_type == "~" else None
    if prev is not None:
        delta = record.diff_against(prev, excluded_fields=["version", "updated_at"])
        for c in delta.changes:
            fields.append({"field": c.field, "before": _display(c.old), "after": _display(c.new)})
    user = record.history_user
    reason = record.history_change_reason or ""
    return Change(
        when=record.history_date,
        kind=KIND[record.history_type],
        model=model._meta.label_lower,
        model_label=str(model._meta.verbose_name),
        object_id=record.id,
        object_repr=str(record.instance) if record.history_type != "-" else str(record.history_object),
        user=user.get_username() if user else None,
        reason=reason,
        version=getattr(record, "version", None),
        fields=fields,
        public_reason=public_reason(reason, model),
    )


def object_history(instance: models.Model) -> list[Change]:
    """Every change of one record, newest first."""
    return [to_change(r) for r in instance.history.all().select_related("history_user")]


def city_history(
    city: City,
    *,
    limit: int = 100,
    model: type[models.Model] | None = None,
    models_: list[type[models.Model]] | None = None,
    user: str | None = None,
    restrict: Callable[[type[models.Model], models.QuerySet], models.QuerySet] | None = None,
) -> list[Change]:
    """The latest ``limit`` changes to a city's operating model, newest first.

    Narrow it to one ``model`` or a list ``models_``, and to the changes made by one
    ``user`` (username); each filter is applied in the database before the limit.
    ``restrict(model, historical_rows)`` narrows each model's rows further (e.g. to the
    records a signed-out reader may see, :func:`cityline.api.generic.public_history`).
    """
    chosen = [model] if model else (models_ if models_ is not None else tracked_models())
    streams = []
    for m in chosen:
        qs = m.history.filter(city_id=city.pk)
        if restrict is not None:
            qs = restrict(m, qs)
        if user:
            qs = qs.filter(history_user__username=user)
        streams.append(qs.select_related("history_user").order_by("-history_date")[:limit])
    merged = heapq.merge(*streams, key=lambda r: r.history_date, reverse=True)
    out = []
    for record in merged:
        out.append(to_change(record))
        if len(out) >= limit:
            break
    return out


def print_history(city_key: str | None, limit: int) -> int:
    cities = City.objects.all()
    if city_key:
        cities = cities.filter(key=city_key)
        if not cities.exists():
            known = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
            print(f"error: no city with key {city_key!r} (cities here: {known})", file=sys.stderr)
            return 2
    for city in cities:
        print(f"# {city.name} ({city.key})")
        for ch in city_history(city, limit=limit):
            who = ch.user or "system"
            print(f"{ch.when:%Y-%m-%d %H:%M:%S} {who:12} {ch.kind:8} {ch.model_label}: {ch.object_repr}")
            for f in ch.fields:
                print(f"    {f['field']}: {f['before']!r} → {f['after']!r}")
            if ch.reason:
                print(f"    ({ch.reason})")
    return 0
