"""Writes of the observations records beyond plain actions: every face (editor, API, city pack) goes through these.

Series, KPI computations and alert rules are operating-model records written with
:mod:`cityline.core.actions`; the rules below run on every such write, whichever face asks:

- **A KPI spec's version** (``KpiComputation.spec_version``) starts at 1 and increases by one
  each time the spec changes (what a caller sends as ``spec_version`` is ignored); every
  computation run records the version it used, so a value can be traced to the spec that made it.
  Specs that differ only in key order or ``1`` vs ``1.0`` are the same spec.
- **A series' key cannot be one whose readings a deleted series left under another group** (they would be read
  as the new series' own: readers take a series' readings by key); under the same group it brings them back.
- **A series' group and key cannot change once it has readings.** Readings are stored under
  ``group=<group>/month=<month>/`` in Parquet parts shared with the other series of the group, and
  name their series by key: moving them would mean rewriting every part of the old group, which a
  request (or a pack import inside a transaction) cannot do atomically with the database. The
  write is refused with the reason; create a new series instead (and keep the old one for its
  history), or change the group before the first reading.
- **A series cannot be deleted while alert rules name it** (take it out of the rules first: a
  rule left without its series would silently stop watching anything), **nor while it has alerts
  in its history** (they would go with it: the alert history is open data), **nor while it has
  readings**, unless :func:`delete_series` is asked to ``forget_readings`` (the editor's action
  "Delete, leaving the readings in the store"). The readings stay in the store either way (the
  Parquet parts are shared with the group's other series): they are no longer read by anything
  that goes through the series (API, KPI specs, public pages); the retention run removes them once
  older than the longest retention of the group's series (never while a series of the group keeps
  its readings for ever, nor when the group has no series left), and until then a series
  created again with the same key and group shows them again. Deleting a whole city deletes its
  series without these checks.
- **A KPI computation keeps its KPI once it has runs.** Its runs (and the measurements they wrote)
  belong to that KPI, and what is due is worked out from them: moved, the old KPI's runs would be
  served as the new KPI's and the new KPI's history never filled. Create a new computation for the
  other KPI instead (and deactivate this one).
- **An alert rule watches at least one series** (a rule without any would silently watch nothing),
  and is one the evaluator can run (:class:`.domain.rules.Rule`, checked in ``AlertRule.clean``: e.g.
  a rate-of-change rule needs a window of at least one second).
- **An alert rule with alerts in its history is not deleted**: its alerts are the public alert
  history (open data), and an open one would vanish without the webhook's "closed" event.
  Deactivate it instead: that closes its open alerts and keeps the history. A rule that never raised
  an alert can be deleted; deleting a whole city deletes its rules and alerts without this check.
- **An alert rule deactivated, or a series taken out of a rule, closes its open alerts** at the time
  of the change, with a note saying why and the webhook's "closed" event (nothing would close them
  otherwise); a ``post_save`` and ``m2m_changed`` receiver, so every face that saves rules does it.

Errors are ``ValidationError`` naming the field (``group``, ``key``, ``kpi``, ``series``) or the record.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import duckdb
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from cityline.core import actions

from . import registry
from .models import AlertRule, ComputationRun, KpiComputation, Series

_forgetting: ContextVar[bool] = ContextVar("cityline_observations_forget_readings", default=False)


# --- readings of one series ----------------------------------------------------------------------


def readings_count(series: Series, *, group: str | None = None, key: str | None = None) -> int:
    """How many rows the store holds for the series (under its stored group and key unless given).

    Reads only the group's Parquet files (their row-group statistics let DuckDB skip most of them);
    rewritten readings count once per write, which is enough to tell "none" from "some".
    """
    group = series.group if group is None else group
    key = series.key if key is None else key
    files = [str(p) for p in registry.store_to_read(series.city).group_files(group)]
    if not files:
        return 0
    with duckdb.connect() as con:
        return con.sql("SELECT count(*) FROM read_parquet(?) WHERE series = ?", params=[files, key]).fetchall()[0][0]


def has_readings(series: Series, **where: Any) -> bool:
    return readings_count(series, **where) > 0


# --- rules on every write --------------------------------------------------------------------------


@actions.register_rule(KpiComputation)
def _spec_version_rule(instance: KpiComputation, old: dict[str, Any] | None) -> None:
    if old is None:
        instance.spec_version = 1
    elif old["spec"] != instance.spec:
        instance.spec_version = old["spec_version"] + 1
    else:
        instance.spec_version = old["spec_version"]


@actions.register_rule(KpiComputation)
def _computation_kpi_rule(instance: KpiComputation, old: dict[str, Any] | None) -> None:
    if old is None or old["kpi_id"] == instance.kpi_id:
        return
    count = ComputationRun.objects.filter(computation_id=instance.pk).count()
    if not count:
        return
    from cityline.benefits.models import Kpi

    kpi = Kpi.objects.filter(pk=old["kpi_id"]).values_list("key", flat=True).first()
    raise ValidationError({"kpi": _(
        "cannot change once the computation has runs: %(count)s runs computed the KPI %(kpi)s, and its history "
        "is worked out from them. Create a new computation for that KPI instead (and deactivate this one)."
    ) % {"count": count, "kpi": kpi}})


@actions.register_rule(Series)
def _series_storage_rule(instance: Series, old: dict[str, Any] | None) -> None:
    if old is None or old["group"] != instance.group or old["key"] != instance.key:
        # the series' own readings (under its stored key and group) are the rule below's
        _key_free_in_other_groups(instance, own=old["group"] if old and old["key"] == instance.key else None)
    if old is None or (old["group"] == instance.group and old["key"] == instance.key):
        return
    stored = Series(city=instance.city, key=old["key"], group=old["group"])
    count = readings_count(stored)
    if not count:
        return
    field = "group" if old["group"] != instance.group else "key"
    raise ValidationError({field: _(
        "cannot change once the series has readings: %(count)s readings are stored under group "
        "%(group)s and key %(key)s. Create a new series instead, or change it before the first reading."
    ) % {"count": count, "group": old["group"], "key": old["key"]}})


def _key_free_in_other_groups(instance: Series, own: str | None = None) -> None:
    """A key with readings in another group (left by a deleted series) is not taken by a series of this group.

    Every reader takes a series' readings by key (the store's files hold no series id); readings a deleted series
    left under its key and group would be read as the new series' own. Under the same group that is the
    documented way back to them; under another group it would mix two series' readings, so it is refused
    (another key, or the old group; the group's retention removes the readings in time).
    """
    if instance.city_id is None:
        return
    store = registry.store_to_read(instance.city)
    files = [str(p) for group in store.groups() if group not in (instance.group, own) for p in store.group_files(group)]
    if not files:
        return
    with duckdb.connect() as con:  # one scan of the other groups' files (their statistics skip most of them)
        found = con.execute("SELECT \"group\", count(*) FROM read_parquet(?, hive_partitioning = true, "
                            "hive_types = {'group': VARCHAR}) WHERE series = ? GROUP BY 1 ORDER BY 1 LIMIT 1",
                            [files, instance.key]).fetchall()
    if found:
        (group, count), = found
        raise ValidationError({"key": _(
            "%(count)s readings of an earlier series with the key %(key)s are stored under group %(group)s: "
            "a series of group %(new)s with this key would read them as its own. Choose another key, or the "
            "group %(group)s."
        ) % {"count": count, "key": instance.key, "group": group, "new": instance.group}})


@actions.register_delete_rule(Series)
def series_delete_refusal(instance: Series) -> str | None:
    """Why deleting ``instance`` on its own is refused (see the module docstring), or None."""
    rules = sorted(instance.alert_rules.values_list("key", flat=True))
    if rules:
        return _("series %(series)s is watched by the alert rules %(rules)s: take it out of them "
                 "first") % {"series": instance.key, "rules": ", ".join(rules)}
    alerts = instance.alerts.count()
    if alerts:
        return _(
            "series %(series)s has %(count)s alerts in its history, which deleting it would delete too (the alert "
            "history is open data when the series is public): keep the series, and no rule watches it any more."
        ) % {"series": instance.key, "count": alerts}
    if not _forgetting.get():
        count = readings_count(instance)
        if count:
            return _(
                "series %(series)s has %(count)s readings in the store. Its readings would stay there, unread; "
                "to delete it anyway, use the editor's action \"Delete, leaving the readings in the store\"."
            ) % {"series": instance.key, "count": count}
    return None


@actions.register_m2m_rule(AlertRule)
def _rule_watches_series(instance: AlertRule, sets: dict[str, list]) -> None:
    if "series" not in sets and not instance._state.adding:
        return  # the write leaves the rule's series as they are
    if not sets.get("series"):
        raise ValidationError({"series": _("choose at least one series for the rule to watch: a rule without "
                                           "series would silently watch nothing")})


@actions.register_delete_rule(AlertRule)
def rule_delete_refusal(instance: AlertRule) -> str | None:
    """Why deleting ``instance`` on its own is refused (see the module docstring), or None."""
    count = instance.alerts.count()
    if not count:
        return None
    still_open = instance.alerts.filter(ended_at__isnull=True).count()
    return _(
        "alert rule %(rule)s has %(count)s alerts in its history (%(open)s open), which deleting it would "
        "delete too: deactivate the rule instead, which closes its open alerts and keeps the history."
    ) % {"rule": instance.key, "count": count, "open": still_open}


@receiver(post_save, sender=AlertRule, dispatch_uid="observations_inactive_rule_closes_alerts")
def _inactive_rule_closes_alerts(sender, instance: AlertRule, raw: bool = False, **kwargs) -> None:
    if raw or instance.active:
        return
    from . import alerts

    alerts.close_open(instance, note=_("closed because the rule was deactivated"))


@receiver(m2m_changed, sender=AlertRule.series.through, dispatch_uid="observations_removed_series_closes_alerts")
def _removed_series_closes_alerts(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    """Close the alerts of series taken out of a rule (from either side of the relation)."""
    if action not in ("post_remove", "pre_clear"):
        return
    from . import alerts

    note = _("closed because the series was taken out of the rule")
    if not reverse:  # instance: the rule; pk_set: the series taken out (all of them on clear)
        alerts.close_open(instance, None if action == "pre_clear" else pk_set, note=note)
        return
    where = {"series": instance} if action == "pre_clear" else {"pk__in": pk_set}
    rules = AlertRule.objects.filter(**where)
    for rule in rules:
        alerts.close_open(rule, [instance.pk], note=note)


def delete_series(series: Series, *, user=None, expected_version: int | None = None,
                  forget_readings: bool = False, reason: str | None = None) -> None:
    """Delete a series (refused while alert rules name it; with readings only when ``forget_readings``)."""
    token = _forgetting.set(forget_readings)
    try:
        actions.delete(series, user=user, expected_version=expected_version, reason=reason)
    finally:
        _forgetting.reset(token)
