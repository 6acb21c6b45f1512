"""The portal's own public pages: the home page (all cities) and each city's front page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import registry, views

registry.register(registry.Page(
    name="home", title=_("Cities"), route="", view=views.home, scope="site", nav=False, order=0,
    paths=lambda city: [reverse("portal:home")],
))
registry.register(registry.Page(
    name="city", title=_("Overview"), route="<slug:city>/", view=views.city, scope="city", nav=True, order=0,
    paths=lambda city: [reverse("portal:city", kwargs={"city": city.key})],
))
