"""Public pages of the core: the transparency record of decisions and KPI changes (B2.g)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityline.portal import registry

from .transparency import change_rows, transparency

registry.register(registry.DataPage(
    name="transparency", title=_("Record of decisions and KPI changes"), order=110, data=transparency,
    template="portal/core/transparency.html",
    description=_("Every change to the city's published KPIs, adopted and published documents and governance "
                  "meetings, with before and after, each sealed in a tamper-evident audit chain."),
    tables={"": change_rows},
))
