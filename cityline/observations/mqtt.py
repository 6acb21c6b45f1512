"""The MQTT consumer behind ``cityline ingest mqtt`` (issue 6, streaming ingestion): no acknowledged reading lost.

How it keeps that promise:

- **QoS 1, persistent session, stable client id.** MQTT 5 with ``clean_start`` off and a session
  expiry (MQTT 3.1.1: ``clean_session`` off), so the broker keeps the subscription and queues
  readings while the consumer is down.
- **Manual acknowledgements.** paho-mqtt runs with ``manual_ack=True``: a message's PUBACK is sent
  only after its batch is durably in the store (the store fsyncs each Parquet part and renames it
  into place) or, for a message that cannot become a reading, after it is quarantined in the
  database. A consumer killed at any moment (SIGKILL included) has acknowledged only what is stored;
  the broker redelivers the rest when it comes back.
- **Idempotent writes.** A redelivered reading has the same natural key ``(series, time)`` (and
  message id) and the store keeps one observation per key, so redelivery never makes a duplicate.
- **Batches.** The network thread only buffers messages; the main thread writes them every
  ``batch_ms`` milliseconds (or sooner when ``batch_size`` are waiting) through
  :func:`.ingest.write_observations`, then runs the alert rules (:data:`.ingest.AFTER_WRITE`), then
  acknowledges. MQTT 5's Receive Maximum (``inflight``) lets the broker keep that many unacknowledged
  messages in flight, which bounds the buffer.
- **Bad messages** (malformed payload, unknown series) are counted, logged with the reason on the
  ``cityline.observations`` logger, kept as :class:`.models.QuarantinedMessage`, then acknowledged:
  never dropped silently, never a crash. Whatever reading one message raises (not only
  :class:`.domain.payload.PayloadError`) quarantines that message with the error as its reason; only a
  failure to store or quarantine holds the batch back for another try.
- **Broker loss**: paho reconnects (1 s to 30 s back-off); messages received on a connection that
  has since dropped are stored but not acknowledged (their packet ids belonged to that connection),
  so the broker sends them again and the store keeps one copy.
- **Stop**: :meth:`Consumer.stop` (SIGTERM, SIGINT) writes and acknowledges what is buffered, then
  disconnects.
- **Compaction in the background**: every ``compact_every`` minutes (default 1; 0: never) a thread
  (:class:`.maintenance.Compactor`) runs :func:`.maintenance.compact` on the city's store (the month
  being written is merged by size tiers), so the small part each batch writes does not pile up. No
  batch waits for it (it replaces only the parts it listed) and it runs at the lowest CPU priority,
  though near saturation it still takes CPU from the batches (bench/README.md, "MQTT streaming
  ingestion"). It takes the store's upkeep lock (a cron'd ``cityline observations compact`` waits
  for it, and it for that), reads no database, and a failure is logged and tried again next time.

The broker must be allowed to queue enough for a consumer that is down or behind: Mosquitto keeps
at most ``max_queued_messages`` (default 1000) per client beyond those in flight and drops the rest
(see docs/observations.md, "MQTT").
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pyarrow as pa

from . import maintenance
from .domain.payload import Mappings, PayloadError, Reading

logger = logging.getLogger("cityline.observations")

#: Environment variables read for the broker options not given on the command line.
ENV = {"host": "CITYLINE_MQTT_HOST", "port": "CITYLINE_MQTT_PORT", "username": "CITYLINE_MQTT_USERNAME",
       "password": "CITYLINE_MQTT_PASSWORD", "tls": "CITYLINE_MQTT_TLS", "ca_file": "CITYLINE_MQTT_CA_FILE"}
_RECENT_KEYS = 200_000  # how many recent (series, time) keys are remembered to count duplicates


class SettingError(ValueError):
    """A ``CITYLINE_MQTT_*`` environment variable holds a value that cannot be used (the message names both)."""


def _port(var: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{var}={raw!r} is not a whole number: give the broker's port, 1 to 65535") from None
    if not 1 <= value <= 65535:
        raise SettingError(f"{var}={raw!r}: give the broker's port, 1 to 65535")
    return value


def _switch(var: str, raw: str) -> bool:
    if raw.strip() not in ("0", "1"):
        raise SettingError(f"{var}={raw!r}: give 1 (connect over TLS) or 0 (plain TCP)")
    return raw.strip() == "1"


#: How the value of each broker option read from the environment is checked and converted (others: as they are).
_PARSE = {"port": _port, "tls": _switch}


@dataclass
class Broker:
    """Where the broker is and how to log in (command-line options, else ``CITYLINE_MQTT_*``, else defaults)."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    client_id: str = ""
    keepalive: int = 30
    mqtt_version: str = "5"
    session_expiry: int = 7 * 24 * 3600
    inflight: int = 20_000

    @classmethod
    def from_env(cls, **given) -> Broker:
        """The options ``given``, the others from ``CITYLINE_MQTT_*`` (:data:`ENV`); a value there that cannot be
        used (a port that is not a whole number from 1 to 65535, TLS not 0 or 1) is a :class:`SettingError`."""
        values = {}
        for name, var in ENV.items():
            if given.get(name) is not None:
                values[name] = given[name]
            elif os.environ.get(var):
                raw = os.environ[var]
                values[name] = _PARSE[name](var, raw) if name in _PARSE else raw
        rest = {k: v for k, v in given.items() if k not in ENV and v is not None}
        return cls(**values, **rest)

    def client(self, *, manual_ack: bool, client_id: str | None = None):
        """A paho-mqtt 2 client for this broker (callbacks API version 2)."""
        from paho.mqtt import client as mqtt

        protocol = mqtt.MQTTv5 if self.mqtt_version == "5" else mqtt.MQTTv311
        kwargs = {} if protocol == mqtt.MQTTv5 else {"clean_session": False}
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or self.client_id,
                             protocol=protocol, manual_ack=manual_ack, **kwargs)
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(ca_certs=self.ca_file or None)
        return client

    def connect_properties(self):
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        if self.mqtt_version != "5":
            return None
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        props.ReceiveMaximum = max(1, min(self.inflight, 65535))
        return props

    def describe(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"


@dataclass
class Stats:
    received: int = 0
    stored: int = 0
    quarantined: int = 0
    duplicates: int = 0
    redelivered: int = 0
    batches: int = 0
    write_errors: int = 0
    reasons: dict = field(default_factory=dict)

    def snapshot(self) -> dict:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.__dict__.items()}


@dataclass
class _Message:
    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes
    received: float
    dup: bool


class Consumer:
    """Reads a city's MQTT topics into its observation store (see the module docstring).

    ``out`` receives the human-readable lines (connection, stats); the CLI prints them.
    """

    def __init__(self, city, mappings: Mappings, broker: Broker, *, batch_ms: int = 150, batch_size: int = 5000,
                 stats_seconds: float = 10.0, compact_every: float = 1.0, out=None):
        self.city = city
        self.mappings = mappings
        self.broker = broker
        if not broker.client_id:
            broker.client_id = f"cityline-{city.key}-ingest"
        self.batch_seconds = max(batch_ms, 1) / 1000
        self.batch_size = batch_size
        self.stats_seconds = stats_seconds
        self.out = out or (lambda line: logger.info("%s", line))
        self._compactor = maintenance.Compactor(lambda: [city], compact_every, out=self.out)
        self.stats = Stats()
        self._buffer: list[_Message] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._generation = 0
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._recent: OrderedDict = OrderedDict()
        self._groups: dict[str, str] = {}
        self._groups_loaded = 0.0
        self.client = None

    # --- network thread ---------------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            logger.error("MQTT broker %s refused the connection: %s", self.broker.describe(), reason_code)
            self.out(f"broker {self.broker.describe()} refused the connection: {reason_code}")
            return
        self._generation += 1
        self._connected.set()
        present = getattr(flags, "session_present", False)
        self.out(f"connected to {self.broker.describe()} as {self.broker.client_id!r} "
                 f"(session {'resumed' if present else 'new'})")
        if self._generation > 1 and not present:
            logger.warning("the MQTT broker had no session for %s: readings published while it was away may "
                           "be lost (broker restarted without persistence, or session expired)", self.broker.client_id)
        if self.broker.mqtt_version == "5":
            from paho.mqtt.subscribeoptions import SubscribeOptions

            topics = [(t, SubscribeOptions(qos=1)) for t in self.mappings.subscriptions]
        else:
            topics = [(t, 1) for t in self.mappings.subscriptions]
        client.subscribe(topics)

    def _on_subscribe(self, client, userdata, mid, reason_code_list, properties):
        failed = [str(rc) for rc in reason_code_list if rc.is_failure]
        if failed:
            logger.error("MQTT subscription refused: %s", ", ".join(failed))
            self.out(f"subscription refused: {', '.join(failed)}")
            return
        self.out(f"listening on {', '.join(self.mappings.subscriptions)} (QoS 1)")
        self._subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._connected.clear()
        self._subscribed.clear()
        if not self._stop.is_set():
            logger.warning("MQTT broker connection lost (%s); reconnecting", reason_code)
            self.out(f"connection lost ({reason_code}); reconnecting")

    def _on_message(self, client, userdata, message):
        item = _Message(self._generation, message.mid, message.qos, message.topic, message.payload, time.time(),
                        bool(message.dup))
        with self._lock:
            self._buffer.append(item)
            full = len(self._buffer) >= self.batch_size
        if full:
            self._wake.set()

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (in the background; paho retries until the broker answers) and subscribe."""
        client = self.broker.client(manual_ack=True)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client = client
        self._load_groups()
        clean = {"clean_start": False} if self.broker.mqtt_version == "5" else {}
        client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive,
                             properties=self.broker.connect_properties(), **clean)
        client.loop_start()

    def wait_subscribed(self, timeout: float) -> bool:
        return self._subscribed.wait(timeout)

    def run(self, until=None, timeout: float | None = None) -> None:
        """Write batches until :meth:`request_stop` (or ``until()`` is true, or ``timeout`` seconds have passed).

        The caller then calls :meth:`stop` (the CLI does it in ``finally``)."""
        started = last_stats = time.monotonic()
        last = dict(self.stats.snapshot())
        while not self._stop.is_set():
            self._wake.wait(self.batch_seconds)
            self._wake.clear()
            self.flush()
            now = time.monotonic()
            self._compactor.poke(now)
            if self.stats_seconds and now - last_stats >= self.stats_seconds:
                self.out(self.stats_line(last, now - last_stats))
                last, last_stats = self.stats.snapshot(), now
            if until is not None and until():
                break
            if timeout is not None and now - started > timeout:
                break

    def request_stop(self, *args) -> None:
        """Ask :meth:`run` to finish (signal handlers call this)."""
        self._stop.set()
        self._wake.set()

    def stop(self) -> None:
        """Write and acknowledge what is buffered, then disconnect."""
        self._stop.set()
        if self.client is None:
            return
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()
        self.client = None
        self._compactor.stop()
        self.out(self.stats_line(None, None))

    def stats_line(self, last: dict | None, seconds: float | None) -> str:
        s = self.stats
        if last is None or not seconds:
            return (f"total: received {s.received}, stored {s.stored}, quarantined {s.quarantined}, "
                    f"duplicates {s.duplicates}, redelivered {s.redelivered}")

        def rate(name):
            return (getattr(s, name) - last[name]) / seconds

        with self._lock:
            pending = len(self._buffer)
        return (f"received {s.received} ({rate('received'):.0f}/s), stored {s.stored} ({rate('stored'):.0f}/s), "
                f"quarantined {s.quarantined}, duplicates {s.duplicates}, redelivered {s.redelivered}, "
                f"pending {pending}")

    # --- main thread: batches ---------------------------------------------------------------------

    def _load_groups(self) -> None:
        from .registry import series_groups

        self._groups = series_groups(self.city)
        self._groups_loaded = time.monotonic()

    def _known(self, series: str) -> bool:
        if series in self._groups:
            return True
        if time.monotonic() - self._groups_loaded > 2.0:  # a series added since: look again, not on every message
            self._load_groups()
        return series in self._groups

    def flush(self) -> int:
        """Store, quarantine and acknowledge the buffered messages; returns how many were handled.

        When the store or the database fails, nothing of the batch is acknowledged: the messages go back
        to the buffer and are tried again (the broker also keeps them until they are acknowledged).
        """
        with self._lock:
            items, self._buffer = self._buffer, []
        if not items:
            return 0
        try:
            self._handle(items)
        except Exception:
            logger.exception("could not store a batch of %d MQTT messages; trying again", len(items))
            self.stats.write_errors += 1
            from django.db import close_old_connections

            close_old_connections()
            with self._lock:
                self._buffer[:0] = items
            time.sleep(min(5.0, 0.5 * self.stats.write_errors))
            return 0
        return len(items)

    def _handle(self, items: list[_Message]) -> None:
        readings: list[Reading] = []
        rejected: list[tuple[_Message, str]] = []
        for item in items:
            received = datetime.fromtimestamp(item.received, timezone.utc)
            try:
                reading = self.mappings.read(item.topic, item.payload, received)
            except PayloadError as exc:
                rejected.append((item, str(exc)))
                continue
            except Exception as exc:  # a mapping bug must not hold up the batch: this one message is quarantined
                logger.exception("could not read an MQTT message on %s", item.topic)
                rejected.append((item, f"payload cannot be read ({type(exc).__name__}: {exc})"))
                continue
            if not self._known(reading.series):
                rejected.append((item, f"no series {reading.series!r} in {self.city.key}; add it first "
                                       "(editor, API or city pack)"))
                continue
            readings.append(reading)
        stored, more_rejected = self._store(readings, items) if readings else (0, [])
        rejected += more_rejected
        if rejected:
            self._quarantine(rejected)
        self._ack(items)
        self.stats.received += len(items)
        self.stats.redelivered += sum(1 for i in items if i.dup)
        self.stats.stored += stored
        self.stats.batches += 1

    def _store(self, readings: list[Reading], items) -> tuple[int, list]:
        from . import ingest
        from .store import BatchError, normalise

        # One row per key within the batch (the last delivered wins, as in the store); count the duplicates
        # seen recently (a redelivery, or a sensor sending the same reading twice).
        latest: dict[tuple, Reading] = {}
        for reading in readings:
            key = (reading.series, reading.time)
            if key in latest or key in self._recent:
                self.stats.duplicates += 1
            latest[key] = reading
        for key in latest:
            self._recent[key] = None
        while len(self._recent) > _RECENT_KEYS:
            self._recent.popitem(last=False)
        rows = list(latest.values())
        table = normalise(pa.table({
            "series": pa.array([r.series for r in rows], pa.string()),
            "time": pa.array([r.time for r in rows], pa.timestamp("us", tz="UTC")),
            "value": pa.array([r.value for r in rows], pa.float64()),
            "quality": pa.array([r.quality for r in rows], pa.string()),
            "message_id": pa.array([r.message_id for r in rows], pa.string()),
        }))
        try:
            ingest.write_observations(self.city, table, groups=self._groups, react=False)
        except (BatchError, ValueError, ArithmeticError) as exc:
            # Should not happen (every reading was checked), but one bad row must not hold up the rest:
            # write them one by one and quarantine the ones the store refuses (an OSError, a full disk or
            # a lost database, is not the readings' fault: the batch is tried again).
            logger.warning("a batch of MQTT readings was refused (%s); writing them one by one", exc)
            return self._store_one_by_one(rows, table)
        self._react(table)
        return table.num_rows, []

    def _store_one_by_one(self, rows: list[Reading], table: pa.Table) -> tuple[int, list]:
        from . import ingest
        from .store import BatchError

        stored, rejected = 0, []
        for i, reading in enumerate(rows):
            one = table.slice(i, 1)
            try:
                ingest.write_observations(self.city, one, groups=self._groups, react=False)
            except (BatchError, ValueError, ArithmeticError) as exc:
                payload = repr(reading.as_row()).encode()
                rejected.append((_Message(0, 0, 0, reading.series, payload, time.time(), False), str(exc)))
                continue
            self._react(one)
            stored += 1
        return stored, rejected

    def _react(self, table: pa.Table) -> None:
        """The alert rules (:data:`.ingest.AFTER_WRITE`), as :func:`.ingest.write_observations` runs them; a rule
        that fails is logged and does not hold the readings back (they are stored)."""
        from . import ingest

        for hook in ingest.AFTER_WRITE:
            try:
                hook(self.city, table)
            except Exception:
                logger.exception("an after-write hook (%s) failed on %d MQTT readings", getattr(hook, "__name__", hook),
                                 table.num_rows)

    def _quarantine(self, rejected: list[tuple[_Message, str]]) -> None:
        from .choices import IngestSource
        from .models import QuarantinedMessage

        records = []
        for item, reason in rejected:
            try:
                text = item.payload.decode("utf-8")
            except UnicodeDecodeError:
                text = base64.b64encode(item.payload).decode("ascii")
            if "\x00" in text:  # PostgreSQL text cannot hold NUL
                text = base64.b64encode(item.payload).decode("ascii")
            logger.warning("quarantined MQTT message on %s: %s", item.topic, reason)
            self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
            records.append(QuarantinedMessage(
                city=self.city, source=IngestSource.MQTT, origin=item.topic[:300], payload=text[:100_000],
                reason=reason[:500], received_at=datetime.fromtimestamp(item.received, timezone.utc)))
        QuarantinedMessage.objects.bulk_create(records)
        self.stats.quarantined += len(records)

    def _ack(self, items: list[_Message]) -> None:
        client, generation = self.client, self._generation
        if client is None:
            return
        for item in items:
            # A message from a connection that has since dropped: its packet id meant something on that
            # connection only; the broker sends it again on this one and it is acknowledged then.
            if item.generation == generation and item.qos > 0:
                client.ack(item.mid, item.qos)


def new_client_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
