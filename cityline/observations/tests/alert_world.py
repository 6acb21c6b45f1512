"""A small city with air-quality series and alert rules, for the alert, operations and alert open data tests.

``make_alert_city(key)`` returns ``(city, r)``: organisation ``council``; series ``air-harbour`` (public)
and ``air-station`` (not public), both PM2.5 in µg/m3 (group ``air``), and ``water-level`` (no rule);
rule ``pm25-high`` (above 25 for an hour, critical) over both air series; rule ``pm25-jump`` (a rise of
20 within 30 minutes) over the harbour series.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from cityline.core import actions
from cityline.core.models import City, Organisation
from cityline.observations import models as m
from cityline.observations.ingest import write_observations

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_alert_city(key: str = "vale", *, webhook_url: str = ""):
    city = actions.create(City, key=key, name=key.title(), country="GB")
    r: dict = {"city": city}
    r["council"] = actions.create(Organisation, city=city, key="council", name="City council", sector="public")
    common = dict(city=city, entity_type="AirQualityObserved", attribute="pm25", unit="µg/m3", group="air",
                  organisation=r["council"])
    r["harbour"] = actions.create(m.Series, key="air-harbour", name="PM2.5 at the harbour", public=True,
                                  entity_id="urn:ngsi-ld:AirQualityObserved:harbour", district="Harbour", **common)
    r["station"] = actions.create(m.Series, key="air-station", name="PM2.5 at the station",
                                  entity_id="urn:ngsi-ld:AirQualityObserved:station", **common)
    r["water"] = actions.create(m.Series, city=city, key="water-level", name="Reservoir level", group="water",
                                entity_type="WaterObserved", attribute="height", unit="m")
    r["rule"] = actions.create(m.AlertRule, city=city, key="pm25-high", name="PM2.5 above 25 for an hour",
                               threshold=Decimal("25"), duration_seconds=3600, severity="critical",
                               webhook_url=webhook_url, m2m={"series": [r["harbour"], r["station"]]})
    r["jump"] = actions.create(m.AlertRule, city=city, key="pm25-jump", name="PM2.5 jumps by 20",
                               kind="rate_of_change", threshold=Decimal("20"), window_seconds=1800,
                               m2m={"series": [r["harbour"]]})
    return city, r


def write(city, series: str, readings: list[tuple[float, float]]):
    """Store ``(minutes after T0, value)`` readings of one series through the one ingest path."""
    return write_observations(city, [{"series": series, "time": at(t), "value": v} for t, v in readings])


class Receiver:
    """A real HTTP server in a thread that records the JSON bodies POSTed to it and answers ``status``."""

    def __init__(self, status: int = 204):
        self.status = status
        self.bodies: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append({"json": json.loads(self.rfile.read(length)),
                                        "content_type": self.headers.get("Content-Type")})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Trickle:
    """A receiver on a real socket that answers one byte every ``pause`` seconds, for ever: its body only (which
    it says is 100 000 bytes long), or also the status line and headers (``headers=True``)."""

    def __init__(self, *, headers: bool = False, pause: float = 0.2):
        self.headers, self.pause = headers, pause
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: text/plain\r\n\r\n"
        with conn:
            try:
                conn.recv(65536)
                if not self.headers:
                    conn.sendall(answer)
                    answer = b""
                for byte in (answer + b"x" * 100_000):
                    if self.stop.wait(self.pause):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.server.close()
