"""The registry of public pages: every public page says who it is once, here.

A page registers its name, title, URL pattern, the data function that feeds it and
a function listing its concrete paths for a city. From that one entry

- ``cityline.portal.urls`` builds the URL patterns (the HTML page and its
  ``.json`` / ``.csv`` downloads),
- the city navigation lists it,
- ``cityline publish`` renders it for every city and language, so a page added by a
  later issue joins the static site with no change to the exporter.

Apps register their pages in a module named ``public`` (``cityline/<app>/public.py``),
which the portal imports at start-up (see ``PortalConfig.ready``). Most pages are
*data pages*: one data function returning plain, JSON-serialisable data feeds the
HTML page, the JSON download and the CSV tables (the Datasette pattern, see
``docs/portal.md``)::

    registry.register(registry.DataPage(
        name="procurement", title=_("Procurement pipeline"), data=procurement,
        template="portal/strategy/procurement.html",
        tables={"": procurement_rows},   # procurement.csv
        order=40,
    ))

Pages about one record each (a KPI, an outcome) are ``DetailPage`` entries: their
data function takes the city and a key, and ``keys(city)`` lists the published keys.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse

from cityline.opendata.generated import cell

#: A CSV table builder: takes the page data, returns the header row and the rows.
Table = Callable[[dict[str, Any]], tuple[list[str], Iterable[list[Any]]]]


@dataclass
class Page:
    """A public page that is not a data page (e.g. the home page).

    ``route`` is a Django route relative to the site root (the language prefix is
    added by ``i18n_patterns``). ``paths(city)`` returns the concrete URL paths of
    the page and its downloads for one city (or for the site when ``city`` is
    ``None``, for ``scope == "site"``), in the active language.
    """

    name: str
    title: Any
    route: str
    view: Callable[..., HttpResponse]
    paths: Callable[[Any], list[str]]
    scope: str = "city"  # "city": one per city, route has <slug:city>; "site": one for the whole site
    nav: bool = True
    order: int = 100
    #: ``shown(city)``: whether the city has this page at all (e.g. only when it publishes it); default always
    shown: Callable[[Any], bool] | None = None

    def shown_for(self, city) -> bool:
        return self.shown is None or city is None or bool(self.shown(city))

    def urlpatterns(self) -> list:
        return [path(self.route, self.view, name=self.name)]

    def nav_url(self, city) -> str:
        return reverse(f"portal:{self.name}", kwargs={"city": city.key} if self.scope == "city" else {})


@dataclass
class DataPage(Page):
    """A city page fed by one data function: HTML at ``<city>/<name>/``, ``<city>/<name>.json``,
    and one CSV per entry of ``tables`` (``""`` → ``<name>.csv``, ``"x"`` → ``<name>-x.csv``).

    ``data(city)`` returns plain data (dicts, lists, strings, numbers, booleans,
    ``None``) with a ``provenance`` entry; the template receives it as ``data``.
    """

    data: Callable[[Any], dict[str, Any]] = None  # type: ignore[assignment]
    template: str = ""
    tables: dict[str, Table] = field(default_factory=dict)
    description: Any = ""
    route: str = ""
    view: Callable[..., HttpResponse] = None  # type: ignore[assignment]
    paths: Callable[[Any], list[str]] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.data is None or not self.template:
            raise ValueError(f"data page {self.name!r} needs a data function and a template")
        self.route = self.route or f"<slug:city>/{self.name}/"
        self.view = self.view or self._html_view
        self.paths = self.paths or self._paths

    # --- URL patterns -------------------------------------------------------------

    def urlpatterns(self) -> list:
        patterns = [
            path(self.route, self.view, name=self.name),
            path(f"<slug:city>/{self.name}.json", self._json_view, name=f"{self.name}-json"),
        ]
        for table in self.tables:
            patterns.append(
                path(f"<slug:city>/{self.csv_filename(table)}", self._csv_view, {"table": table},
                     name=self.csv_url_name(table))
            )
        return patterns

    def csv_filename(self, table: str) -> str:
        return f"{self.name}-{table}.csv" if table else f"{self.name}.csv"

    def csv_url_name(self, table: str) -> str:
        return f"{self.name}-csv-{table}" if table else f"{self.name}-csv"

    def downloads(self, city) -> list[dict[str, str]]:
        """Links to this page's data downloads, for the page footer and the export."""
        items = [{"format": "JSON", "filename": f"{self.name}.json",
                  "url": reverse(f"portal:{self.name}-json", kwargs={"city": city.key})}]
        for table in self.tables:
            items.append({"format": "CSV", "filename": self.csv_filename(table),
                          "url": reverse(f"portal:{self.csv_url_name(table)}", kwargs={"city": city.key})})
        return items

    def _paths(self, city) -> list[str]:
        if not self.shown_for(city):
            return []
        return [reverse(f"portal:{self.name}", kwargs={"city": city.key})] + [d["url"] for d in self.downloads(city)]

    # --- views: one data function, three faces ------------------------------------

    def _load(self, city_key: str):
        from cityline.core.models import City

        city = get_object_or_404(City, key=city_key)
        if not self.shown_for(city):
            raise Http404(f"{city_key} has no {self.name} page")
        return city, self.data(city)

    def _html_view(self, request: HttpRequest, city: str) -> HttpResponse:
        city_obj, data = self._load(city)
        context = {"city": city_obj, "data": data, "page": self, "downloads": self.downloads(city_obj),
                   "provenance": data.get("provenance")}
        return render(request, self.template, context)

    def _json_view(self, request: HttpRequest, city: str) -> HttpResponse:
        _city, data = self._load(city)
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})

    def _csv_view(self, request: HttpRequest, city: str, table: str) -> HttpResponse:
        if table not in self.tables:
            raise Http404
        _city, data = self._load(city)
        header, rows = self.tables[table](data)
        return HttpResponse(to_csv(header, rows), content_type="text/csv; charset=utf-8")


@dataclass
class DetailPage(DataPage):
    """A city page per record (a KPI, an outcome, a purpose): one HTML page and downloads per key.

    ``data(city, key)`` returns plain data for one record and raises ``LookupError``
    (e.g. ``KeyError``) for a key the city does not publish, which answers 404.
    ``keys(city)`` lists the keys of every page the city publishes, so ``paths(city)``
    names every concrete page and download and ``cityline publish`` exports them all.
    With ``segment="kpis"`` and a table builder ``""`` and ``"x"``:

    - ``<city>/kpis/<key>/`` (HTML), ``<city>/kpis/<key>.json``,
    - ``<city>/kpis/<key>.csv`` and ``<city>/kpis/<key>.x.csv`` (a dot, since keys may hold hyphens).

    Detail pages stay out of the navigation: the pages that list them link to them.
    """

    keys: Callable[[Any], Iterable[str]] = None  # type: ignore[assignment]
    segment: str = ""
    nav: bool = False

    def __post_init__(self) -> None:
        if self.keys is None or not self.segment:
            raise ValueError(f"detail page {self.name!r} needs a keys function and a URL segment")
        self.route = self.route or f"<slug:city>/{self.segment}/<slug:key>/"
        super().__post_init__()

    def urlpatterns(self) -> list:
        base = f"<slug:city>/{self.segment}/<slug:key>"
        patterns = [
            path(self.route, self.view, name=self.name),
            path(f"{base}.json", self._json_view, name=f"{self.name}-json"),
        ]
        for table in self.tables:
            patterns.append(path(f"{base}{self.csv_suffix(table)}", self._csv_view, {"table": table},
                                 name=self.csv_url_name(table)))
        return patterns

    @staticmethod
    def csv_suffix(table: str) -> str:
        return f".{table}.csv" if table else ".csv"

    def nav_url(self, city) -> str:
        raise ValueError(f"detail page {self.name!r} has no single URL; use url(city, key)")

    def url(self, city, key: str) -> str:
        """The HTML page of one record."""
        return reverse(f"portal:{self.name}", kwargs={"city": city.key, "key": key})

    def downloads(self, city, key: str | None = None) -> list[dict[str, str]]:  # type: ignore[override]
        kwargs = {"city": city.key, "key": key}
        items = [{"format": "JSON", "filename": f"{key}.json", "url": reverse(f"portal:{self.name}-json", kwargs=kwargs)}]
        for table in self.tables:
            items.append({"format": "CSV", "filename": f"{key}{self.csv_suffix(table)}",
                          "url": reverse(f"portal:{self.csv_url_name(table)}", kwargs=kwargs)})
        return items

    def _paths(self, city) -> list[str]:
        result: list[str] = []
        if not self.shown_for(city):
            return result
        for key in self.keys(city):
            result.append(self.url(city, key))
            result.extend(d["url"] for d in self.downloads(city, key))
        return result

    def _load(self, city_key: str, key: str = ""):  # type: ignore[override]
        from cityline.core.models import City

        city = get_object_or_404(City, key=city_key)
        if not self.shown_for(city):
            raise Http404(f"{city_key} has no {self.name} pages")
        try:
            return city, self.data(city, key)
        except LookupError as exc:
            raise Http404(f"no {self.name} {key!r} in {city_key}") from exc

    def _html_view(self, request: HttpRequest, city: str, key: str = "") -> HttpResponse:  # type: ignore[override]
        city_obj, data = self._load(city, key)
        context = {"city": city_obj, "data": data, "page": self, "key": key,
                   "downloads": self.downloads(city_obj, key), "provenance": data.get("provenance")}
        return render(request, self.template, context)

    def _json_view(self, request: HttpRequest, city: str, key: str = "") -> HttpResponse:  # type: ignore[override]
        _city, data = self._load(city, key)
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})

    def _csv_view(self, request: HttpRequest, city: str, table: str, key: str = "") -> HttpResponse:  # type: ignore[override]
        if table not in self.tables:
            raise Http404
        _city, data = self._load(city, key)
        header, rows = self.tables[table](data)
        return HttpResponse(to_csv(header, rows), content_type="text/csv; charset=utf-8")


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    """CSV text (RFC 4180, CRLF line ends) with ``None`` as an empty cell and booleans as true/false.

    Text starting like a spreadsheet formula (``=``, ``+``, ``-``, ``@``, tab, CR) is prefixed with ``'`` so a
    record named ``=HYPERLINK(...)`` opens as text; numbers stay numbers (:func:`cityline.opendata.generated.cell`).
    """
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buf.getvalue()


_pages: dict[str, Page] = {}


def register(page: Page) -> Page:
    """Add a public page; names are unique (they are URL names and file names)."""
    if page.name in _pages and _pages[page.name] is not page:
        raise ValueError(f"a public page named {page.name!r} is already registered")
    _pages[page.name] = page
    return page


def pages(scope: str | None = None) -> list[Page]:
    """Registered pages in display order, optionally only one scope ("city" or "site")."""
    found = [p for p in _pages.values() if scope is None or p.scope == scope]
    return sorted(found, key=lambda p: (p.order, p.name))


def get(name: str) -> Page:
    return _pages[name]


def nav(city) -> list[dict[str, str]]:
    """The city navigation: title and URL of every city page shown in the menu."""
    return [{"name": p.name, "title": p.title, "url": p.nav_url(city)} for p in pages("city")
            if p.nav and p.shown_for(city)]


def urlpatterns() -> list:
    result: list = []
    for page in pages():
        result.extend(page.urlpatterns())
    return result
