"""Alerts sent to a webhook (issue 6): a JSON POST when an alert opens and when it closes.

The receiver is the rule's ``webhook_url``, else the instance's ``CITYLINE_ALERT_WEBHOOK``
setting; with neither, nothing is sent (``webhook_status`` stays "none").

Ingestion never waits for a receiver: :func:`schedule` marks the alert pending in the transaction that
records it and hands the delivery to a small pool of background threads once that transaction has
committed. Each delivery tries up to :data:`ATTEMPTS` times, each attempt ending after :data:`TIMEOUT`
seconds in all (connecting, sending and the whole answer, whatever the receiver does), with a growing
pause between them (:data:`BACKOFF` seconds, doubled each time), retrying when the receiver cannot be
reached, times out or answers 5xx, 408 or 429; another 4xx answer is final. The events of one alert are
delivered one after the other, in the order they happened (a "closed" never overtakes an "opened" still
being retried); different alerts are delivered side by side. The outcome is recorded on the alert:
``webhook_status`` (pending while one of its events waits to be delivered; then sent, or failed once any
of its events could not be delivered: a later success does not hide it), ``webhook_attempts`` (all
attempts so far, opening and closing together) and ``webhook_error`` (the event and problem of the last
failure, empty while none failed).

A process's exit waits up to :data:`EXIT_WAIT` seconds for the deliveries under way (the threads do not
hold it longer); those not finished, like those of a process that was killed, stay pending, and
:func:`resume` queues them again in the next process that stores readings of the city (at most every
:data:`RESUME_EVERY` seconds, once they have been pending :data:`STALE` seconds): an alert is sent at
least once, perhaps twice.

Addresses: only http and https, and never a loopback (unless ``CITYLINE_WEBHOOK_ALLOW_LOOPBACK``, for
development and tests), link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10) or
unspecified one (:func:`refusal`): refused when a rule is saved if the address is written out
(:func:`check_url`) and when sending, on every address the host name resolves to, the one connected to
(:class:`_Guarded`), before any connection, so the error says nothing about the ports there. Private
ranges stay allowed: cities run their incident systems on premises.

Proxy: with ``CITYLINE_WEBHOOK_PROXY`` (``http://`` or ``https://``, e.g. ``http://proxy.internal:3128``,
credentials in the address if the proxy asks for them) every delivery goes through that forward proxy: plain
HTTP as an absolute-URI request, HTTPS through a CONNECT tunnel (TLS from end to end, the receiver's certificate
checked here). The proxy's address is the operator's and is not checked (it may be private or on this host); the
receiver's host is resolved here and refused exactly as without a proxy, before the proxy is asked
(:class:`_Transport`). The proxy then resolves the name itself: what it lets through is its own policy. Without the
setting, deliveries connect directly, whatever ``HTTP_PROXY``/``HTTPS_PROXY`` say. A value that is not such an
address makes every delivery fail at once with an error naming the setting (:func:`proxy`), and ``cityline check``
reports it.

The body (``Content-Type: application/json``)::

    {"event": "opened" | "closed", "city": "...", "rule": "...", "rule_name": "...", "severity": "...",
     "kind": "...", "comparison": "...", "threshold": 25.0, "series": "...", "series_name": "...",
     "entity_id": "...", "entity_type": "...", "attribute": "...", "unit": "...", "value": 31.0,
     "peak_value": 35.0, "started_at": "...", "raised_at": "...", "ended_at": null, "message": "...",
     "end_note": ""}

``end_note`` says why Cityline closed an alert whose condition still held (its rule was deactivated
or no longer watches the series); it is empty otherwise.

httpx does the HTTP; the pause-and-retry loop is a few lines here rather than a transport's
``retries`` option, which only retries failed connections, not timeouts or 5xx answers.
"""

from __future__ import annotations

import atexit
import functools
import ipaddress
import logging
import math
import queue
import socket
import threading
import time
from collections import deque
from datetime import timedelta
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import WebhookStatus

log = logging.getLogger("cityline.observations")

ATTEMPTS = 3
BACKOFF = 1.0
#: Seconds one attempt may take in all: connecting, sending and the whole answer.
TIMEOUT = 5.0
#: Seconds a process's exit waits for the deliveries under way (one whole delivery: 3 attempts of 5 s and the
#: pauses take 18 s); those not finished stay pending.
EXIT_WAIT = 20.0
#: Seconds after which an alert still pending (raised, and ended if closed, that long ago) is taken as left by
#: a process that ended before delivering it: far more than a delivery takes (3 attempts: under 20 seconds).
STALE = 600.0
#: How often (seconds) a process storing a city's readings looks for the city's alerts left pending.
RESUME_EVERY = 60.0
WORKERS = 2
SCHEMES = ("http", "https")
USER_AGENT = "Cityline alerts"
#: The setting (and environment variable) naming the forward proxy deliveries go through.
PROXY_SETTING = "CITYLINE_WEBHOOK_PROXY"
_DEFAULT_PORTS = {"http": 80, "https": 443}

_work: queue.SimpleQueue[int] = queue.SimpleQueue()  # alert ids whose queue a worker should deliver
_workers: list[threading.Thread] = []
#: Events waiting for delivery by alert id, in order; an alert is in it while one of its deliveries runs.
_queues: dict[int, deque[str]] = {}
_lock = threading.Lock()
_idle = threading.Condition(_lock)  # notified when an alert leaves _queues
_resumed: dict[int, float] = {}  # city id -> when this process last looked for its alerts left pending


def target(rule) -> str:
    """Where the rule's alerts go ("" when nowhere)."""
    return rule.webhook_url or getattr(settings, "CITYLINE_ALERT_WEBHOOK", "") or ""


# --- addresses --------------------------------------------------------------------------------------

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this host on this network": reaches the host itself


def refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why alerts may not be posted to ``ip`` ("" when they may)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "" if getattr(settings, "CITYLINE_WEBHOOK_ALLOW_LOOPBACK", False) else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified or (ip.version == 4 and ip in _THIS_NETWORK):
        return "an unspecified address"
    return ""


def check_url(value: str) -> None:
    """Validator of a webhook address (beside Django's URL check): http or https, and not an address
    :func:`refusal` refuses when one is written out (an IP address, ``localhost``). A host name is checked
    when sending, once resolved: DNS may point anywhere."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return  # not a URL: Django's URL check says so
    if parts.scheme and parts.scheme.lower() not in SCHEMES:
        raise ValidationError(_("Alerts are posted to http:// or https:// addresses only."), code="scheme")
    host = (host or "").rstrip(".")
    if not host:
        return
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always the loopback
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address("127.0.0.1")
    else:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return
    problem = refusal(ip)
    if problem:
        raise ValidationError(_("%(host)s is %(problem)s: alerts are not posted there."),
                              params={"host": host, "problem": problem}, code="address")


class Refused(Exception):
    """The receiver's host is, or resolves to, an address alerts are not posted to (final: not retried)."""


class ProxySettingError(ValueError):
    """``CITYLINE_WEBHOOK_PROXY`` is not the address of a proxy deliveries can go through (the message names it)."""


def proxy() -> httpx.Proxy | None:
    """The forward proxy deliveries go through (``CITYLINE_WEBHOOK_PROXY``); None: they connect directly.

    Raises :class:`ProxySettingError` when the value is not ``http://`` or ``https://`` with a host (and perhaps
    a port and credentials), nothing else."""
    value = (getattr(settings, PROXY_SETTING, "") or "").strip()
    return _proxy(value) if value else None


@functools.lru_cache(maxsize=4)
def _proxy(value: str) -> httpx.Proxy:
    shown = _without_password(value)
    example = "give it as http://host:port or https://host:port, e.g. http://proxy.example.org:3128"
    # The parsers' own messages are not shown: they quote parts of the address, a password among them.
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number from 0 to 65535 is a ValueError
    except ValueError:
        raise ProxySettingError(f"{PROXY_SETTING}={shown!r} is not a proxy address (its port is not a number from "
                                f"0 to 65535, or a password holds '/', '?' or '#' unencoded): {example}") from None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise ProxySettingError(f"{PROXY_SETTING}={shown!r} is not an http:// or https:// address of a proxy: "
                                f"{example}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxySettingError(f"{PROXY_SETTING}={shown!r}: a proxy address has no path, query or fragment; "
                                f"{example}")
    try:
        return httpx.Proxy(value)
    except (httpx.InvalidURL, ValueError):
        raise ProxySettingError(f"{PROXY_SETTING}={shown!r} is not a proxy address: {example}") from None


def _without_password(value: str) -> str:
    """``value`` as shown in an error: what stands between the user name and the last ``@`` (a password, which
    may itself hold ``/``, ``?``, ``#`` or ``@`` when the setting is wrong) replaced by ``***``."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "", value
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return value
    user = userinfo.split(":", 1)[0].split("/", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def _addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, all of them permitted (else :class:`Refused`)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"{host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    for address in addresses:
        problem = refusal(ipaddress.ip_address(address))
        if problem:
            shown = host if host == address else f"{host} ({address})"
            raise Refused(f"refused: {shown} is {problem}, where alerts are not posted")
    return addresses


class _Guarded(httpcore.SyncBackend):
    """httpcore's sockets, with the address check and the attempt's deadline.

    httpx has no timeout for a whole request: its timeouts bound each step (connect, each read, each write),
    so a receiver sending a byte of its answer now and then would hold a delivery for ever. Here each step
    waits at most until :attr:`deadline` (set before each attempt), so an attempt ends then whatever the
    receiver does. The host name is resolved here and the connection made to the address checked, so DNS
    cannot answer one address to the check and another to the connection. (The resolver's own wait is the
    system's, outside the deadline.)
    """

    deadline = math.inf

    def __init__(self, through: httpx.Proxy | None = None):
        # The proxy's host and port, as httpcore names them when it connects there: not checked (the operator's).
        self._proxy = None if through is None else (
            through.url.raw_host.decode("ascii"), through.url.port or _DEFAULT_PORTS[through.url.scheme])

    def left(self, timeout: float | None, expired: type[Exception]) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise expired("the attempt's time is up")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if (host, port) == self._proxy:
            stream = super().connect_tcp(host, port, self.left(timeout, httpcore.ConnectTimeout), local_address,
                                         socket_options)
            return _Stream(stream, self)
        error: Exception | None = None
        for address in _addresses(host, port):
            try:
                stream = super().connect_tcp(address, port, self.left(timeout, httpcore.ConnectTimeout),
                                             local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
            else:
                return _Stream(stream, self)
        raise error or httpcore.ConnectError(f"{host}: no address")


class _Stream(httpcore.NetworkStream):
    """A connection whose every step ends by its backend's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, backend: _Guarded):
        self._stream, self._backend = stream, backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._backend.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._backend.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> _Stream:
        tls = self._stream.start_tls(ssl_context, server_hostname, self._backend.left(timeout, httpcore.ConnectTimeout))
        return _Stream(tls, self._backend)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _Transport(httpx.HTTPTransport):
    """httpx's transport over :class:`_Guarded` sockets (httpx takes no network backend: its pool is replaced),
    directly or through the forward proxy ``through`` (:func:`proxy`).

    Being given a transport, httpx uses no proxy from the environment: only the one given here."""

    def __init__(self, backend: _Guarded, through: httpx.Proxy | None = None):
        # HTTPTransport.__init__ is not called: it would build an SSL context (the CA bundle read) and a pool,
        # both replaced here. The context is built once per process. The proxy pool is the one httpx builds for
        # its ``proxy=`` option (absolute-URI requests for http://, a CONNECT tunnel for https://).
        self._through = through
        if through is None:
            self._pool = httpcore.ConnectionPool(ssl_context=_ssl_context(), network_backend=backend)
            return
        url = through.url
        self._pool = httpcore.HTTPProxy(
            proxy_url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            proxy_auth=through.raw_auth, proxy_headers=through.headers.raw, ssl_context=_ssl_context(),
            proxy_ssl_context=_ssl_context() if url.scheme == "https" else None, network_backend=backend)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._through is not None:
            # Through a proxy the only connection made here is to the proxy: the receiver's host is resolved and
            # checked now, as a direct delivery checks it when connecting, before the proxy hears of it.
            url = request.url
            try:
                _addresses(url.raw_host.decode("ascii"), url.port or _DEFAULT_PORTS[url.scheme])
            except httpcore.ConnectError as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc
        return super().handle_request(request)


@functools.lru_cache(maxsize=1)
def _ssl_context():
    """httpx's default SSL context (certificates verified against certifi's CA bundle), built once."""
    return httpx.create_ssl_context()


# --- sending ----------------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def payload(alert, event: str) -> dict:
    rule, series = alert.rule, alert.series
    return {
        "event": event, "city": alert.city.key, "rule": rule.key, "rule_name": rule.name,
        "severity": rule.severity, "kind": rule.kind, "comparison": rule.comparison,
        "threshold": float(rule.threshold), "series": series.key, "series_name": series.name,
        "entity_id": series.entity_id, "entity_type": series.entity_type, "attribute": series.attribute,
        "unit": series.unit, "value": alert.trigger_value, "peak_value": alert.peak_value,
        "started_at": _iso(alert.started_at), "raised_at": _iso(alert.raised_at), "ended_at": _iso(alert.ended_at),
        "message": alert.message, "end_note": alert.end_note,
    }


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def post(url: str, body: dict, *, attempts: int = ATTEMPTS, backoff: float = BACKOFF,
         timeout: float | None = None) -> tuple[bool, int, str]:
    """POST ``body`` as JSON with retries, each attempt ending after ``timeout`` seconds (default
    :data:`TIMEOUT`) in all; returns (delivered, attempts made, last error)."""
    timeout = TIMEOUT if timeout is None else timeout
    if urlsplit(url).scheme.lower() not in SCHEMES:
        return False, 1, "refused: alerts are posted to http:// or https:// addresses only"
    try:
        through = proxy()
    except ProxySettingError as exc:  # the instance's setting: final, nothing is sent
        return False, 1, str(exc)
    error = ""
    backend = _Guarded(through)
    with httpx.Client(transport=_Transport(backend, through), timeout=timeout, headers={"User-Agent": USER_AGENT},
                      follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            backend.deadline = time.monotonic() + timeout
            try:
                response = client.post(url, json=body)
            except Refused as exc:
                return False, attempt, str(exc)
            except httpx.TimeoutException as exc:
                error = f"{type(exc).__name__}: no complete answer within {timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            else:
                if 200 <= response.status_code < 300:
                    return True, attempt, ""
                error = f"HTTP {response.status_code} from the receiver"
                if not _retryable(response.status_code):
                    return False, attempt, error
            if attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
    return False, attempts, error


def deliver(alert_id: int, event: str, *, attempts: int | None = None, backoff: float | None = None) -> str:
    """Send one alert now and record the outcome; returns the webhook status.

    A "closed" of an alert whose opening was never attempted (the process that should have sent it ended
    first) is preceded by its "opened": a receiver never gets the closing of an alert it was not told of.
    """
    from .models import Alert

    try:
        alert = Alert.objects.select_related("rule", "series", "city").filter(pk=alert_id).first()
        if alert is None:
            return WebhookStatus.NONE
        url = target(alert.rule)
        if not url:  # the receiver was taken away meanwhile
            Alert.objects.filter(pk=alert_id, webhook_status=WebhookStatus.PENDING).update(
                webhook_status=WebhookStatus.NONE)
            return WebhookStatus.NONE
        if event == "closed" and not alert.webhook_attempts:
            _send(alert, url, "opened", attempts, backoff)
        return _send(alert, url, event, attempts, backoff)
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # a pool thread's connections are its own: never leave them open


def _send(alert, url: str, event: str, attempts: int | None, backoff: float | None) -> str:
    """POST one event of the alert and record the outcome in one update."""
    from .models import Alert

    ok, made, error = post(url, payload(alert, event), attempts=attempts or ATTEMPTS,
                           backoff=BACKOFF if backoff is None else backoff)
    # Settled unless a later event is due (the alert closed after this "opened", or opened again after this
    # "closed"): it stays pending until that one is delivered. An earlier event's failure stays visible.
    later = When(ended_at__isnull=event != "opened", then=F("webhook_status"))
    if ok:
        status = Case(later, When(webhook_error="", then=Value(WebhookStatus.SENT)),
                      default=Value(WebhookStatus.FAILED))
        Alert.objects.filter(pk=alert.pk).update(webhook_attempts=F("webhook_attempts") + made, webhook_status=status)
        return WebhookStatus.SENT
    Alert.objects.filter(pk=alert.pk).update(
        webhook_attempts=F("webhook_attempts") + made, webhook_error=f"{event}: {error}"[:300],
        webhook_status=Case(later, default=Value(WebhookStatus.FAILED)))
    log.warning("alert %s: webhook %s (%s) failed after %s attempt(s): %s", alert.pk, url, event, made, error)
    return WebhookStatus.FAILED


# --- the background threads -------------------------------------------------------------------------


def _submit(alert_id: int, event: str, *, unless_queued: bool = False) -> bool:
    """Queue the event after the alert's earlier ones; start a delivery run unless one is under way.

    ``unless_queued``: queue nothing if the alert has events waiting here already (returns False)."""
    with _lock:
        waiting = _queues.get(alert_id)
        if waiting is not None:
            if unless_queued:
                return False
            waiting.append(event)
            return True
        _queues[alert_id] = deque([event])
        if not _workers:
            for n in range(WORKERS):  # daemon threads: an exit waits EXIT_WAIT seconds for them, not more
                worker = threading.Thread(target=_work_loop, name=f"cityline-webhook-{n}", daemon=True)
                worker.start()
                _workers.append(worker)
            atexit.register(_at_exit)
    _work.put(alert_id)
    return True


def _work_loop() -> None:
    while True:
        _deliver_in_order(_work.get())


def _deliver_in_order(alert_id: int) -> None:
    """Deliver the alert's queued events one by one until none is left (each whatever the previous did)."""
    while True:
        with _lock:
            waiting = _queues[alert_id]
            if not waiting:
                del _queues[alert_id]
                _idle.notify_all()
                return
            event = waiting.popleft()
        try:
            deliver(alert_id, event)
        except Exception:  # one event's crash must not strand the alert's later events
            log.exception("alert %s: webhook delivery of %s crashed", alert_id, event)


def schedule(alert, event: str) -> bool:
    """Send the alert in the background once the current transaction commits (False: no receiver).

    The alert is marked pending in that transaction: if this process ends before delivering the event,
    the next one finds it (:func:`resume`)."""
    from .models import Alert

    if not target(alert.rule):
        return False
    alert_id = alert.pk
    if alert.webhook_status != WebhookStatus.PENDING:  # (an alert just recorded is created pending)
        Alert.objects.filter(pk=alert_id).update(webhook_status=WebhookStatus.PENDING)
        alert.webhook_status = WebhookStatus.PENDING
    transaction.on_commit(lambda: _submit(alert_id, event))
    return True


def drain(timeout: float | None = None) -> bool:
    """Wait for the deliveries under way (tests, and a process's exit); True when none is left."""
    with _idle:
        return _idle.wait_for(lambda: not _queues, timeout)


def _at_exit() -> None:
    """At a process's exit, wait up to :data:`EXIT_WAIT` seconds for the deliveries under way (a second
    Ctrl+C stops waiting); the alerts not delivered stay pending, for :func:`resume` in the next process."""
    try:
        if drain(EXIT_WAIT):
            return
    except KeyboardInterrupt:
        pass
    with _lock:
        left = len(_queues)
    log.warning("exit: the webhook of %s alert(s) is not delivered yet; they stay pending and the next process "
                "storing readings of their city sends them", left)


# --- alerts left pending by a process that ended ----------------------------------------------------


def resume(city) -> int:
    """Queue again the events of the city's alerts left pending by a process that ended before delivering them.

    Left: pending for :data:`STALE` seconds (raised, and ended if closed, that long ago; a process delivering
    them would have finished long since) and not waiting in this process. Queued: "opened" if the alert is
    open, else "closed" (preceded by "opened" if that was never attempted: :func:`deliver`). The receiver may
    get an event twice (one whose delivery was cut short). Returns how many alerts.
    """
    from .models import Alert

    cutoff = timezone.now() - timedelta(seconds=STALE)
    left = (Alert.objects.filter(city_id=city.pk, webhook_status=WebhookStatus.PENDING, raised_at__lte=cutoff)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__lte=cutoff)).order_by("raised_at", "pk")
            .values_list("pk", "ended_at"))
    queued = 0
    for alert_id, ended_at in left:
        queued += _submit(alert_id, "opened" if ended_at is None else "closed", unless_queued=True)
    if queued:
        log.info("%s: the webhook of %s alert(s) left pending by an earlier process is sent again", city.key, queued)
    return queued


def resume_due(city) -> None:
    """:func:`resume` at most every :data:`RESUME_EVERY` seconds per city (on each stored batch); never raises."""
    now = time.monotonic()
    with _lock:
        if now - _resumed.get(city.pk, -math.inf) < RESUME_EVERY:
            return
        _resumed[city.pk] = now
    try:
        resume(city)
    except Exception:  # the readings are stored whatever happens here; the next look tries again
        log.exception("%s: alerts left pending could not be looked for", city.key)
