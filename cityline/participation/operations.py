"""Staff-side helpers of the participation area, shared by the editor and the CLI (B1.b, B3).

Reads only: which changes a response item can point at ("you said, we did"), the consultations
of a city with their figures, and finding a consultation by city and key with an error that
names it. Writes go through :mod:`.services`.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .records import LABELS, find_record, record_model
from .models import SUBJECT_FIELDS, Consultation


class NotFound(LookupError):
    """An unknown city or consultation; the message names it and lists what exists."""


def opened_at(consultation: Consultation) -> datetime:
    """The start of the consultation's opening day, in the site's time zone."""
    return timezone.make_aware(datetime.combine(consultation.opens_on, time.min))


KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def change_label(row) -> str:
    """``date - fields changed - reason`` of a history row: how a change is offered for a response item."""
    when = timezone.localtime(row.history_date).strftime("%Y-%m-%d")
    names: list[str] = []
    previous = row.prev_record if row.history_type == "~" else None
    if previous is not None:
        delta = row.diff_against(previous, excluded_fields=["version", "updated_at"])
        names = [c.field.replace("_", " ") for c in delta.changes]
    fields = ", ".join(names) or KINDS.get(row.history_type, "")
    return " - ".join(x for x in (when, fields, row.history_change_reason or "") if x)


def change_choices(record, *, since: datetime | None = None) -> list[tuple[int, str]]:
    """(history id, label) of each change of ``record`` from ``since`` on, newest first."""
    rows = record.history.filter(id=record.pk)
    if since is not None:
        rows = rows.filter(history_date__gte=since)
    rows = rows.order_by("-history_date", "-history_id").select_related("history_user")
    return [(row.history_id, change_label(row)) for row in rows]


def subject_records(consultation: Consultation) -> list[tuple[str, object]]:
    """(record type, record) for every record the consultation is about, in :data:`SUBJECT_FIELDS` order."""
    out = []
    for field, label in SUBJECT_FIELDS:
        for record in getattr(consultation, field).order_by("pk"):
            out.append((label, record))
    return out


def record_heading(record_type: str, record) -> str:
    return f"{record_model(record_type)._meta.verbose_name}: {record} ({record.key})"


def response_change_choices(consultation: Consultation, named: list[tuple[str, str]] = ()) -> list:
    """Grouped choices for a response item's change: the changes since the consultation opened of every
    record it is about, and of any other record an item names (``named``: (record type, key) pairs)."""
    since = opened_at(consultation)
    records = subject_records(consultation)
    seen = {(t, r.pk) for t, r in records}
    for record_type, key in named:
        if record_type not in LABELS or not key:
            continue
        record = find_record(consultation.city_id, record_type, key)
        if record is not None and (record_type, record.pk) not in seen:
            seen.add((record_type, record.pk))
            records.append((record_type, record))
    groups: list = [("", _("No change (or not in Cityline)"))]
    for record_type, record in records:
        options = change_choices(record, since=since)
        if options:
            groups.append((record_heading(record_type, record), options))
    return groups


def find_city(key: str):
    from cityline.core.models import City

    city = City.objects.filter(key=key).first()
    if city is None:
        keys = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
        raise NotFound(f"no city {key!r} (cities: {keys})")
    return city


def find_consultation(city, key: str) -> Consultation:
    consultation = Consultation.objects.filter(city=city, key=key).first()
    if consultation is None:
        keys = ", ".join(Consultation.objects.filter(city=city).order_by("key").values_list("key", flat=True))
        raise NotFound(f"no consultation {key!r} in {city.key} (consultations: {keys or 'none'})")
    return consultation


def consultation_rows(city) -> list[dict]:
    """Every consultation of the city with its status, dates and figures, newest first."""
    qs = (Consultation.objects.filter(city=city)
          .annotate(n_participants=Count("participants", distinct=True),
                    n_contributions=Count("contributions", distinct=True))
          .order_by("-opens_on", "key"))
    return [{"key": c.key, "title": c.title, "status": c.status, "opens_on": c.opens_on, "closes_on": c.closes_on,
             "closed_on": c.closed_on, "participants": c.n_participants, "contributions": c.n_contributions}
            for c in qs]
