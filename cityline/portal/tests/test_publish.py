"""`cityline publish --out DIR`: the whole public site as static files."""

from __future__ import annotations

import json
import posixpath
import re
import sys
import types
from argparse import Namespace
from pathlib import Path

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.shortcuts import render
from django.urls import include, path, reverse
from django.utils import translation

from cityline.cli import main
from cityline.portal import publish, registry
from cityline.strategy.tests.factories import PUBLISHED_URL, make_strategy_city

pytestmark = pytest.mark.django_db

LINK = re.compile(r'\b(href|src)="([^"]*)"')
#: Links to the outside world that come from the city's own data (a published document).
CONTENT_LINKS = {PUBLISHED_URL}


def exported_links(root: Path):
    for html_file in root.rglob("*.html"):
        rel = html_file.relative_to(root).as_posix()
        for attr, target in LINK.findall(html_file.read_text(encoding="utf-8")):
            yield rel, attr, target


def test_publish_writes_every_page_download_and_asset_with_working_relative_links(city, tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["publish", "--out", str(out)]) == 0
    assert "Published" in capsys.readouterr().out
    # every registered page and download, both languages (detail pages: every record's page)
    for prefix, lang in (("", "en"), ("fr/", "fr")):
        assert (out / prefix / "index.html").is_file()
        with translation.override(lang):
            for page in registry.pages("city"):
                for path in page.paths(city):
                    assert (out / publish.output_file(path)).is_file(), (lang, page.name, path)
                if not isinstance(page, registry.DetailPage):
                    name = "" if page.name == "city" else f"{page.name}/"
                    # a page the city does not have (e.g. an assessment it does not publish) is not exported
                    written = (out / prefix / "riverford" / name / "index.html").is_file()
                    assert written == page.shown_for(city), (prefix, page.name)
    for download in ("procurement.json", "procurement.csv", "roadmap-quick-wins.csv", "glossary.json"):
        assert (out / "riverford" / download).is_file()
    assert (out / "static" / "portal" / "site.css").is_file()
    data = json.loads((out / "riverford" / "roadmap.json").read_text(encoding="utf-8"))
    assert data["provenance"]["city"] == "riverford"
    assert "Feuille de route" in (out / "fr" / "riverford" / "roadmap" / "index.html").read_text(encoding="utf-8")

    checked = 0
    for page, attr, target in exported_links(out):
        if target.startswith(("#", "mailto:", "tel:", "data:")):
            continue
        if target in CONTENT_LINKS:
            assert attr == "href"
            continue
        assert not re.match(r"^[a-z]+:|^//", target), f"{page}: absolute link {target}"
        assert not target.startswith("/"), f"{page}: site-absolute link {target}"
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), target.split("#")[0]))
        assert (out / resolved).is_file(), f"{page}: {target} points at missing {resolved}"
        checked += 1
    assert checked > 100
    text = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "testserver" not in text and "127.0.0.1" not in text


def test_publish_one_city_and_unknown_city(tmp_path, capsys, db):
    make_strategy_city()
    make_strategy_city("lakeside", "Lakeside")
    report = publish.publish(tmp_path / "one", "lakeside", progress=False)
    assert (tmp_path / "one" / "lakeside" / "roadmap" / "index.html").is_file()
    assert not (tmp_path / "one" / "riverford").exists()
    assert report.pages > 0 and report.downloads > 0
    code = publish.run(Namespace(out=tmp_path / "none", city="atlantis"))
    assert code == 2
    err = capsys.readouterr().err
    assert "no city with key 'atlantis'" in err and "lakeside, riverford" in err
    assert not (tmp_path / "none").exists()


def test_a_newly_registered_page_joins_the_site_and_the_export(city, tmp_path, monkeypatch, settings):
    """Later issues only register a page: URLs, navigation and the export pick it up."""

    def extra_view(request, city):
        from cityline.core.models import City

        return render(request, "portal/city.html", {"city": City.objects.get(key=city), "sections": [],
                                                    "page": extra})

    extra = registry.Page(name="extra-test", title="Extra test page", route="<slug:city>/extra/", view=extra_view,
                          paths=lambda c: [reverse("portal:extra-test", kwargs={"city": c.key})], order=99)
    monkeypatch.setitem(registry._pages, "extra-test", extra)
    urlconf = types.ModuleType("cityline_test_extra_urls")
    urlconf.urlpatterns = i18n_patterns(path("", include((registry.urlpatterns(), "portal"))),
                                        prefix_default_language=False)
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    settings.ROOT_URLCONF = urlconf.__name__

    publish.publish(tmp_path, progress=False)
    assert (tmp_path / "riverford" / "extra" / "index.html").is_file()
    assert (tmp_path / "fr" / "riverford" / "extra" / "index.html").is_file()
    roadmap = (tmp_path / "riverford" / "roadmap" / "index.html").read_text(encoding="utf-8")
    assert 'href="../extra/index.html">Extra test page</a>' in roadmap


def test_publishing_again_removes_what_is_no_longer_public_and_nothing_else(tmp_path, db):
    from cityline.benefits.models import Kpi
    from cityline.benefits.testing import make_realisation_city

    make_strategy_city()
    city, _nodes = make_realisation_city()
    out = tmp_path / "site"
    publish.publish(out, progress=False)
    kpi_files = [out / "testville" / "kpis" / "no2" / "index.html", out / "fr" / "testville" / "kpis" / "no2.json"]
    assert all(f.is_file() for f in kpi_files)
    (out / "README.txt").write_text("the city's own file", encoding="utf-8")

    Kpi.objects.filter(city=city, key="no2").update(published=False)  # no longer public (C2.f)
    report = publish.publish(out, "testville", progress=False)  # one city: the other city's pages stay
    assert not any(f.exists() for f in kpi_files)
    assert not (out / "testville" / "kpis" / "no2").exists()
    assert report.removed >= len(kpi_files)
    assert (out / "testville" / "kpis" / "cycling-share" / "index.html").is_file()
    assert (out / "riverford" / "roadmap" / "index.html").is_file()
    assert (out / "README.txt").read_text(encoding="utf-8") == "the city's own file"

    publish.publish(out, progress=False)  # the whole site again: the manifest still knows every file
    assert (out / "riverford" / "roadmap" / "index.html").is_file() and not kpi_files[0].exists()
