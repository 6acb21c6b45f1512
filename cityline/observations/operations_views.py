"""The operations page for a city's staff (issue 6, real-time city management): reads only.

- ``/<city>/operations/``: open alerts first, then the latest reading of every series (value,
  unit, time, age) and the recent alert history; a plain page with a refresh link, which a
  small script (``observations/operations.js``, no inline code, CSP-compatible) refreshes every
  few seconds from the JSON face, announcing new alerts in a polite live region;
- ``/<city>/operations/live.json``: the same figures as display text (:func:`.live.snapshot`).

Staff only: a role in the city (``authz.is_staff_of``: contributor, steward, benefit owner or
administrator there, or a platform administrator). Signed-out visitors of the page are sent to the
sign-in page; the JSON answers 403 to anyone else, signed in or not. Never cached.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cityline.accounts import authz
from cityline.accounts.principals import principal_for
from cityline.core.models import City

from . import live

#: Seconds between two refreshes of the page's script.
REFRESH_SECONDS = 5


def _staff_city(request: HttpRequest, city_key: str) -> City:
    city = get_object_or_404(City, key=city_key)
    if not authz.is_staff_of(principal_for(request), city.pk):
        raise PermissionDenied("the operations page needs a role in the city")
    return city


@require_GET
@never_cache
def operations(request: HttpRequest, city: str) -> HttpResponse:
    if not principal_for(request).authenticated:
        return HttpResponseRedirect(reverse("accounts:sign-in") + "?" + urlencode({"next": request.path}))
    city_obj = _staff_city(request, city)
    data = live.snapshot(city_obj)
    return render(request, "observations/operations.html", {
        "city": city_obj, "data": data, "refresh_seconds": REFRESH_SECONDS,
        "page": {"name": "operations", "title": _("Operations")},
        "live_url": reverse("observations-operations:live", kwargs={"city": city_obj.key}),
    })


@require_GET
@never_cache
def operations_json(request: HttpRequest, city: str) -> JsonResponse:
    city_obj = _staff_city(request, city)
    return JsonResponse(live.snapshot(city_obj), json_dumps_params={"ensure_ascii": False})
