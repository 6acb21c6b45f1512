"""Template helpers of the public benefit pages: KPI charts, the benefit map, signed numbers (C1, C2.f)."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cityline.benefits import charts
from cityline.benefits.domain.kpi import percent_decimals
from cityline.benefits.domain.status import EPS

register = template.Library()


@register.simple_tag
def kpi_chart(kpi, sparkline=False):
    """A KPI's chart as inline SVG (a sparkline on the dashboard), labelled for assistive technology."""
    if sparkline:
        title = _("Trend of %(title)s against its plan") % {"title": kpi["title"]}
        desc = ""  # the figures are in the same table row
    else:
        title = _("Chart of %(title)s") % {"title": kpi["title"]}
        desc = _("Baseline, planned trajectory, targets, measured values and the forecast with its uncertainty "
                 "band. The table after the chart gives the same figures.")
    svg = charts.kpi_chart(kpi, chart_id=f"chart-{kpi['key']}{'-spark' if sparkline else ''}", title=title,
                           desc=desc, sparkline=sparkline)
    return mark_safe(svg)  # noqa: S308 - built from escaped text in cityline.benefits.charts


@register.simple_tag
def benefit_map_svg(data):
    """The whole benefit map as SVG (the page's script makes its nodes selectable)."""
    kinds = [(k["kind"], k["label"]) for k in data["kinds"]]
    links = [(lk["source"], lk["target"]) for lk in data["links"]]
    svg = charts.benefit_map_svg(
        data["nodes"], links, kinds, map_id="map",
        title=_("Benefit map"),
        desc=_("Investments on the left lead through outputs and outcomes to the purposes on the right. "
               "The list after the map holds the same content."),
    )
    return mark_safe(svg)  # noqa: S308 - built from escaped text in cityline.benefits.charts


@register.simple_tag
def kpi_groups(data):
    """The dashboard's groups with each KPI key replaced by the KPI's data."""
    by_key = {k["key"]: k for k in data["kpis"]}
    return [{**g, "outcomes": [{**o, "kpis": [by_key[k] for k in o["kpis"]]} for o in g["outcomes"]]}
            for g in data["groups"]]


@register.simple_tag
def en_text():
    """``lang="en"`` for text the rules write in English, when the page is in another language."""
    return mark_safe(' lang="en"') if (get_language() or "en")[:2] != "en" else ""


@register.filter
def num(value, digits=2):
    """A number for reading: at most ``digits`` decimals, grouped thousands, in the page's locale."""
    if value is None or value == "":
        return "—"
    value = round(float(value), int(digits))
    if value == int(value):
        value = int(value)
    return number_format(value, decimal_pos=None, use_l10n=True, force_grouping=True)


@register.filter
def signed(value, digits=2):
    """A variance with its sign: +1.5, −0.3 (a true minus sign)."""
    if value is None:
        return "—"
    value = round(float(value), int(digits))  # a sign only on what shows: never "−0"
    text = num(abs(value), digits)
    return ("+" if value > 0 else "−" if value < 0 else "") + text


@register.filter
def percent(value):
    """0.125 → +12.5% (signed); a share that one decimal would round to 0 keeps two significant digits (+0.0025%),
    so a variance under 0.05 % does not read as 0 %; one within the status rules' tolerance of 0 is 0%."""
    if value is None:
        return ""
    if abs(float(value)) <= EPS:
        return "0%"
    share = float(value) * 100
    return signed(share, percent_decimals(share)) + "%"
