"""A small city with air-quality series and alert rules, for the alert, operations and alert open data tests.

``make_alert_city(key)`` returns ``(city, r)``: organisation ``council``; series ``air-harbour`` (public)
and ``air-station`` (not public), both PM2.5 in µg/m3 (group ``air``), and ``water-level`` (no rule);
rule ``pm25-high`` (above 25 for an hour, critical) over both air series; rule ``pm25-jump`` (a rise of
20 within 30 minutes) over the harbour series.
"""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

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


class _HttpServed:
    """An ``http.server`` on 127.0.0.1 (``self.server``) served from a thread while the ``with`` block runs."""

    def serve(self, handler) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Receiver(_HttpServed):
    """A real HTTP server in a thread that records the JSON bodies POSTed to it and answers ``status``; over TLS
    with the certificate and key files ``tls`` (:func:`certificate`)."""

    def __init__(self, status: int = 204, *, tls: tuple[Path, Path] | None = None):
        self.status = status
        self.bodies: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append({"json": json.loads(self.rfile.read(length)),
                                        "content_type": self.headers.get("Content-Type"),
                                        "headers": dict(self.headers)})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.serve(Handler)
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}/hook"


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


def certificate(folder: Path, ip: str) -> tuple[Path, Path]:
    """A self-signed certificate for the IP address ``ip`` and its key, as PEM files in ``folder``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "receiver.pem", folder / "receiver.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class ForwardProxy(_HttpServed):
    """A real forward proxy on 127.0.0.1, in a thread: it forwards absolute-URI requests (plain HTTP) and opens
    CONNECT tunnels (HTTPS), each to where ``routes`` sends the requested ``(host, port)`` (its own resolution:
    ``(host, port)`` on this machine); anything else gets 502. It records every connection made to it
    (``connections``) and every request (``requests``: method, target and headers)."""

    def __init__(self, routes: dict[tuple[str, int], tuple[str, int]]):
        self.routes = routes
        self.connections = 0
        self.requests: list[tuple[str, str, dict]] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                proxy.connections += 1
                super().setup()

            def do_CONNECT(self):
                proxy.requests.append(("CONNECT", self.path, dict(self.headers)))
                host, _, port = self.path.rpartition(":")
                to = proxy.routes.get((host.strip("[]"), int(port)))
                if to is None:
                    self.send_error(502)
                    return
                upstream = socket.create_connection(to, timeout=10)
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                _relay(self.connection, upstream)

            def do_POST(self):
                proxy.requests.append(("POST", self.path, dict(self.headers)))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlsplit(self.path)
                to = proxy.routes.get((url.hostname, url.port or 80)) if url.scheme == "http" else None
                if to is None:
                    self.send_error(502)
                    return
                hop = ("connection", "proxy-connection", "proxy-authorization", "keep-alive")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
                upstream = http.client.HTTPConnection(*to, timeout=10)
                try:
                    upstream.request("POST", url.path or "/", body, headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.serve(Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways between two sockets until both sides have finished sending."""

    def pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            try:
                target.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join(10)
    upstream.close()
