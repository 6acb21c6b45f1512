"""Importing from another Cityline's API follows links to that server only (SSRF, B3.c, C2.c).

Real HTTP servers in threads (``http.server``): the peer's pages point their ``next`` link (or a redirect)
to a second server, which must never be asked; the import is refused naming the link and nothing is stored.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from cityline.benchmarking import imports
from cityline.benchmarking.models import PeerCity, PeerValue
from cityline.core import actions
from cityline.core.models import City

pytestmark = pytest.mark.django_db

CITY = {"key": "peerton", "name": "Peerton", "country": "FR", "population": 50000}
INDICATOR = {"key": "unemployment", "source": "iso37120_2014", "code": "5.1", "name": "Unemployment", "unit": "%"}
KPI = {"key": "jobs", "indicator": "unemployment", "published": True}
MEASUREMENT = {"kpi": "jobs", "period_end": "2025-12-31", "value": 7.5}


@contextmanager
def serving(routes):
    """A local HTTP server answering ``routes`` (path with query → (status, headers, JSON body)); yields its
    address and the list of paths it was asked."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append(self.path)
            status, headers, body = routes(self.path, base) if callable(routes) else routes.get(
                self.path, (404, {}, {"detail": "not found"}))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def peer_api(next_link=None, *, redirect_to=None):
    """The routes of a small Cityline API; ``next_link(base)`` is the kpis page's next link."""
    root = "/api/v1/cities/peerton"

    def routes(path, base):
        def page(results, nxt=None):
            return 200, {}, {"count": len(results), "next": nxt, "previous": None, "results": results}

        if path == root:
            return 200, {}, CITY
        if path == f"{root}/city-indicators?_limit=500":
            if redirect_to is not None:
                return 302, {"Location": redirect_to(base)}, {}
            return page([INDICATOR])
        if path == f"{root}/kpis?_limit=500":
            return page([], next_link(base) if next_link else None)
        if path == f"{root}/kpis?_limit=500&_offset=500":
            return page([KPI])
        if path == f"{root}/measurements?_limit=500":
            return page([MEASUREMENT])
        return 404, {}, {"detail": "not found"}

    return routes


@pytest.fixture
def home():
    return actions.create(City, key="home", name="Home", country="GB")


@pytest.fixture
def elsewhere():
    """Another server (an internal service, say) the peer points to; it must never be asked."""
    with serving(lambda path, base: (200, {}, {"count": 1, "next": None, "results": [KPI]})) as (url, asked):
        yield url, asked


def test_next_link_to_another_server_is_refused_and_not_followed(home, elsewhere):
    other, other_asked = elsewhere
    with serving(peer_api(lambda base: f"{other}/api/v1/cities/peerton/kpis?_limit=500&_offset=500")) as (base, _a):
        with pytest.raises(imports.BenchmarkImportError) as exc:
            imports.import_api(home, base, "peerton")
    assert other_asked == []
    [problem] = exc.value.problems
    assert problem.startswith(f"{base}/api/v1/cities/peerton/kpis?_limit=500: ")
    assert f"{other}/api/v1/cities/peerton/kpis?_limit=500&_offset=500" in problem and base in problem
    assert not PeerCity.objects.exists() and not PeerValue.objects.exists()


@pytest.mark.parametrize("change", ["scheme", "port"])
def test_next_link_on_the_same_host_but_another_scheme_or_port_is_refused(home, elsewhere, change):
    other, other_asked = elsewhere
    other_port = urlsplit(other).port

    def link(base):
        port = urlsplit(base).port
        if change == "scheme":
            return f"https://127.0.0.1:{port}/api/v1/cities/peerton/kpis?_limit=500&_offset=500"
        return f"http://127.0.0.1:{other_port}/api/v1/cities/peerton/kpis?_limit=500&_offset=500"

    with serving(peer_api(link)) as (base, _asked):
        with pytest.raises(imports.BenchmarkImportError) as exc:
            imports.import_api(home, base, "peerton")
    assert link(base) in exc.value.problems[0] and "only links to the same server are followed" in exc.value.problems[0]
    assert other_asked == [] and not PeerCity.objects.exists()


def test_redirect_to_another_server_is_refused(home, elsewhere):
    other, other_asked = elsewhere
    with serving(peer_api(redirect_to=lambda base: f"{other}/steal")) as (base, _asked):
        with pytest.raises(imports.BenchmarkImportError) as exc:
            imports.import_api(home, base, "peerton")
    assert other_asked == []
    assert f"{other}/steal" in exc.value.problems[0]
    assert not PeerCity.objects.exists()


def test_next_links_on_the_same_server_are_followed(home):
    # absolute, with the default address form the server writes, and relative links are both the same server
    for make in (lambda base: f"{base}/api/v1/cities/peerton/kpis?_limit=500&_offset=500",
                 lambda base: "/api/v1/cities/peerton/kpis?_limit=500&_offset=500"):
        with serving(peer_api(make)) as (base, asked):
            result = imports.import_api(home, base, "peerton")
        assert "/api/v1/cities/peerton/kpis?_limit=500&_offset=500" in asked
        assert result is not None
        peer = PeerCity.objects.get(city=home, key="peerton")
        assert [(v.code, v.value) for v in PeerValue.objects.filter(peer=peer)] == [("5.1", pytest.approx(7.5))]


def test_same_server_redirects_are_followed(home):
    with serving(peer_api(redirect_to=lambda base: f"{base}/api/v1/cities/peerton/city-indicators-moved")) as (
            base, asked):
        with pytest.raises(imports.BenchmarkImportError) as exc:
            imports.import_api(home, base, "peerton")
    # the redirect on the same server was followed (and answered 404 there)
    assert "/api/v1/cities/peerton/city-indicators-moved" in asked
    assert "HTTP 404" in exc.value.problems[0]
