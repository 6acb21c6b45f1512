"""The page registry's contract: a page a city does not have is neither served nor exported."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from cityline.portal import registry

pytestmark = pytest.mark.django_db


def test_a_detail_page_the_city_does_not_have_is_404_and_not_exported(city):
    page = registry.DetailPage(
        name="hidden-detail-test", title="Hidden", segment="hidden", template="portal/city.html",
        data=lambda c, key: {"key": key, "provenance": None}, keys=lambda c: ["one"],
        tables={"": lambda data: (["key"], [[data["key"]]])}, shown=lambda c: False,
    )
    request = RequestFactory().get("/")
    for view, kwargs in ((page._html_view, {}), (page._json_view, {}), (page._csv_view, {"table": ""})):
        with pytest.raises(Http404):
            view(request, city=city.key, key="one", **kwargs)
    assert page.paths(city) == []
