"""The consultations page in the portal's registry: city navigation, static export, accessibility audit.

The pages themselves are the participation app's views (``cityline.participation.urls``, mounted
before the portal's URL patterns), so the registry entry adds no URL pattern of its own: it names
the list page for the navigation, and ``paths(city)`` lists the list, every public consultation
and its ``results.json`` for ``cityline publish`` (which renders them without the forms).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cityline.portal import registry

from . import views


class ConsultationsPage(registry.Page):
    def urlpatterns(self) -> list:
        return []

    def nav_url(self, city) -> str:
        return reverse("participation:consultations", kwargs={"city": city.key})


def has_consultations(city) -> bool:
    return views.public_consultations(city).exists()


def consultation_paths(city) -> list[str]:
    if city is None or not has_consultations(city):
        return []
    out = [reverse("participation:consultations", kwargs={"city": city.key})]
    for key in views.public_consultations(city).order_by("key").values_list("key", flat=True):
        out.append(reverse("participation:consultation", kwargs={"city": city.key, "key": key}))
        out.append(reverse("participation:results-json", kwargs={"city": city.key, "key": key}))
    return out


PAGE = registry.register(ConsultationsPage(
    name="consultations", title=_("Consultations"), route="<slug:city>/consultations/",
    view=views.consultations, paths=consultation_paths, order=35, shown=has_consultations,
))
PAGE.description = _("Questions the city puts to the public: take part while they are open, and read what the "
                     "city did with the answers.")
