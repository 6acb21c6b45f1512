"""The records a consultation is about, and the changes a response points at (closing the loop).

A response item names a record by type and key (so it travels in the city pack) and, where the
city changed the record in Cityline, the exact entry of its change history, whose before and
after a reader sees on the public page.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.utils.translation import gettext as _

from cityline.core.history import Change, to_change

from .models import SUBJECT_FIELDS

LABELS = [label for _field, label in SUBJECT_FIELDS]


def record_model(record_type: str):
    """The model class of a response item's record type (one of :data:`LABELS`)."""
    if record_type not in LABELS:
        raise LookupError(record_type)
    return apps.get_model(record_type)


def find_record(city_id: int, record_type: str, key: str):
    """The city's record of that type and key, or None."""
    return record_model(record_type)._default_manager.filter(city_id=city_id, key=key).first()


def find_change(record, history_id: int):
    """The historical row ``history_id`` of ``record``, or None."""
    return record.history.filter(history_id=history_id, id=record.pk).select_related("history_user").first()


def record_problem(city_id: int, record_type: str, key: str, history_id: int | None) -> str | None:
    """Why a response item's record reference is wrong, or None (named for the editor and pack errors)."""
    try:
        record = find_record(city_id, record_type, key)
    except LookupError:
        return _("unknown record type %(t)s; use one of %(allowed)s") % {"t": record_type,
                                                                          "allowed": ", ".join(LABELS)}
    if record is None:
        return _("no %(t)s with the key %(k)s in this city") % {"t": record_type, "k": key}
    if history_id is not None and find_change(record, history_id) is None:
        return _("change %(h)s is not in the history of %(t)s %(k)s") % {"h": history_id, "t": record_type,
                                                                          "k": key}
    return None


def changes_of(record, *, since=None) -> list[Change]:
    """The record's changes (newest first), from ``since`` on: what staff choose from when responding."""
    rows = record.history.filter(id=record.pk)
    if since is not None:
        rows = rows.filter(history_date__gte=since)
    return [to_change(r) for r in rows.order_by("-history_date").select_related("history_user")]


def public_change(record, history_id: int) -> dict | None:
    """Before and after of one change, for the public page: no user names, only the fields that changed."""
    row = find_change(record, history_id)
    if row is None:
        return None
    change = to_change(row)
    fields = [{**f, "before": _plain(f["before"]), "after": _plain(f["after"])} for f in change.fields]
    return {"when": change.when, "kind": change.kind, "reason": change.public_reason, "fields": fields,
            "version": change.version}


_DECIMAL = re.compile(r"-?\d+\.\d+")


def _plain(value):
    """A stored decimal as a reader writes it: "55.0000" -> "55", "12.5000" -> "12.5"."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return value.rstrip("0").rstrip(".")
    return value
