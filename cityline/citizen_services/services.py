"""Queries and computations over stored citizen-service records, feeding the domain rules (B9, B11)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext as _

from .domain import audit, shift


def _year_totals(rows) -> tuple[int, Decimal]:
    agg = rows.aggregate(t=Sum("transactions"), c=Sum("total_cost"))
    return int(agg["t"] or 0), Decimal(agg["c"] or 0)


def compute_scenario(scenario) -> None:
    """Fill a scenario's saved results from its inputs and the audit of its baseline year (B11.b).

    Raises ValidationError naming the input when the audit holds no baseline.
    """
    from .models import ChannelAudit

    rows = ChannelAudit.objects.filter(city_id=scenario.city_id, year=scenario.baseline_year)
    t_from, c_from = _year_totals(rows.filter(service_id=scenario.service_id, channel_id=scenario.from_channel_id))
    if t_from == 0:
        raise ValidationError({"baseline_year": _(
            "the channel audit has no transactions of this service on the from channel in %(year)s"
        ) % {"year": scenario.baseline_year}})
    u_from = scenario.from_unit_cost
    if u_from is None:
        u_from = audit.unit_cost(c_from, t_from)
    u_to = scenario.to_unit_cost
    if u_to is None:
        t_to, c_to = _year_totals(rows.filter(service_id=scenario.service_id, channel_id=scenario.to_channel_id))
        if t_to == 0:
            t_to, c_to = _year_totals(rows.filter(channel_id=scenario.to_channel_id))
        if t_to == 0:
            raise ValidationError({"to_unit_cost": _(
                "the channel audit has no transactions on the to channel in %(year)s; give its unit cost"
            ) % {"year": scenario.baseline_year}})
        u_to = audit.unit_cost(c_to, t_to)
    try:
        result = shift.calculate(t_from, u_from, u_to, scenario.share_moved, scenario.years,
                                 scenario.set_aside, start_year=scenario.baseline_year + 1)
    except shift.ShiftError as exc:
        raise ValidationError({exc.field if hasattr(scenario, exc.field) else "__all__": exc.message}) from exc
    scenario.baseline_transactions = result.baseline_transactions
    scenario.used_from_unit_cost = result.from_unit_cost
    scenario.used_to_unit_cost = result.to_unit_cost
    scenario.moved_transactions = result.moved_transactions
    scenario.annual_saving = result.annual_saving
    scenario.total_saving = result.total_saving
    scenario.total_set_aside = result.total_set_aside
    scenario.total_net_saving = result.total_net_saving
    scenario.yearly = [y.as_dict() for y in result.years]
