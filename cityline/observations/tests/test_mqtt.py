"""The MQTT consumer (issue 6) against a real Mosquitto broker and, for the SIGKILL test, real processes.

- The machine's broker (127.0.0.1:1883, CITYLINE_TEST_MQTT_URL to point elsewhere) serves the tests that
  run the consumer in the test process: duplicate and out-of-order delivery, malformed payloads,
  unknown series, the simulator.
- THE SIGKILL TEST starts a private Mosquitto (``/usr/sbin/mosquitto``, own configuration with
  ``max_queued_messages 0`` on a free port) so that the broker queues everything for the consumer while
  it is down, whatever the machine broker's limits; it runs ``cityline ingest mqtt`` as a subprocess,
  kills it twice with SIGKILL while a publisher streams 10,000 numbered readings, and checks that the
  store holds every reading the broker acknowledged exactly once.

A missing broker skips these tests on a developer's machine, and FAILS them when CITYLINE_REQUIRE_MQTT=1
or CITYLINE_REQUIRE_POSTGRES=1 (CI), like a missing PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import queue
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from cityline.core import actions
from cityline.core.testing import make_city
from cityline.observations.domain.payload import Mapping, Mappings, default_topic, topic_for
from cityline.observations.models import QuarantinedMessage, Series
from cityline.observations.mqtt import Broker, Consumer
from cityline.observations.registry import store_for
from cityline.observations.store import ObservationStore

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
DEADLINE = 180  # seconds: a failure deadline on a loaded machine, not a timing assertion


def _required() -> bool:
    return os.environ.get("CITYLINE_REQUIRE_MQTT") == "1" or os.environ.get("CITYLINE_REQUIRE_POSTGRES") == "1"


def _missing(what: str):
    if _required():
        pytest.fail(f"{what} (required: CITYLINE_REQUIRE_MQTT or CITYLINE_REQUIRE_POSTGRES is 1)")
    pytest.skip(what)


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def machine_broker() -> tuple[str, int]:
    url = urlsplit(os.environ.get("CITYLINE_TEST_MQTT_URL", "mqtt://127.0.0.1:1883"))
    host, port = url.hostname or "127.0.0.1", url.port or 1883
    if not _reachable(host, port):
        _missing(f"no MQTT broker at {host}:{port}")
    return host, port


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def private_broker(tmp_path) -> tuple[str, int]:
    """A Mosquitto of our own that queues without limit for an offline persistent session."""
    if not Path(MOSQUITTO).exists():
        _missing(f"no Mosquitto at {MOSQUITTO}")
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 0\nmax_inflight_messages 0\nlog_dest stderr\nlog_type error\n"
                    "log_type warning\n")
    process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not _reachable("127.0.0.1", port):
            if process.poll() is not None:
                pytest.fail(f"mosquitto exited: {process.stderr.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail("mosquitto did not listen within 30 s")
            time.sleep(0.1)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


class Publisher:
    """A QoS 1 publisher that remembers which messages the broker acknowledged (PUBACK)."""

    def __init__(self, host: str, port: int):
        from paho.mqtt import client as mqtt

        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(200)
        self.client.connect(host, port)
        self.client.loop_start()
        self.sent: list = []

    def publish(self, topic: str, payload: bytes | str, tag=None):
        info = self.client.publish(topic, payload, qos=1)
        self.sent.append((tag, info))
        return info

    def acknowledged(self) -> list:
        for _tag, info in self.sent:
            info.wait_for_publish(timeout=60)
        return [tag for tag, info in self.sent if info.is_published()]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def reading(when: datetime, value: float, **extra) -> bytes:
    return json.dumps({"time": when.isoformat(), "value": value, **extra}).encode()


def make_series(city, *keys: str, group: str = "air", **extra):
    for key in keys:
        actions.create(Series, city=city, key=key, name=key, group=group,
                       entity_type=extra.get("entity_type", "AirQualityObserved"),
                       attribute=extra.get("attribute", "pm25"))


@pytest.fixture
def city(db):
    city = make_city(f"mq{uuid.uuid4().hex[:8]}", "Mqtt Town")
    make_series(city, "pm25-harbour", "no2-quay")
    return city


_RUNNING: list[Consumer] = []


@pytest.fixture(autouse=True)
def _consumers_stop_after_each_test():
    yield
    while _RUNNING:
        consumer = _RUNNING.pop()
        if consumer.client is not None:
            consumer.client.disconnect()
            consumer.client.loop_stop()


def consumer_for(city, host, port, mappings=None, **options) -> Consumer:
    broker = Broker(host=host, port=port, client_id=f"test-{city.key}", session_expiry=60)
    consumer = Consumer(city, mappings or Mappings([Mapping(topic=default_topic(city.key))]), broker,
                        batch_ms=50, stats_seconds=0, **options)
    consumer.start()
    _RUNNING.append(consumer)
    if not consumer.wait_subscribed(60):
        pytest.fail("the consumer did not subscribe within 60 s")
    return consumer


def run_until_received(consumer: Consumer, n: int, *, stop: bool = True) -> None:
    consumer.run(until=lambda: consumer.stats.received >= n, timeout=DEADLINE)
    if stop:
        consumer.stop()
    assert consumer.stats.received == n, f"received {consumer.stats.received} of {n} messages"


def rows(city, sql: str, params=None):
    return store_for(city).query(sql, params)


# --- the consumer in the test process, on the machine's broker ----------------------------------------


def test_a_reading_delivered_twice_is_stored_once(city, machine_broker):
    consumer = consumer_for(city, *machine_broker)
    publisher = Publisher(*machine_broker)
    topic = topic_for(city.key, "air", "pm25-harbour")
    publisher.publish(topic, reading(T0, 12.5, id="m-1"))
    publisher.publish(topic, reading(T0, 12.5, id="m-1"))  # the sensor (or a bridge) sends it again
    publisher.publish(topic, reading(T0 + timedelta(minutes=15), 14.0, id="m-2"))
    assert len(publisher.acknowledged()) == 3
    publisher.close()
    run_until_received(consumer, 3)
    assert rows(city, "SELECT count(*), count(DISTINCT (series, time)) FROM observations") == [(2, 2)]
    assert rows(city, "SELECT value, message_id FROM observations ORDER BY time") == [(12.5, "m-1"), (14.0, "m-2")]
    assert consumer.stats.duplicates == 1 and consumer.stats.stored == 2


def test_the_consumer_compacts_its_store_in_the_background(city, machine_broker):
    """Each batch writes a part; a consumer compacts the store every few minutes (``compact_every``) in a thread."""
    from datetime import date

    from cityline.observations.registry import store_to_read

    store, january = store_to_read(city), date(2025, 1, 1)  # a month that is over: compacted into one part
    topic = topic_for(city.key, "air", "pm25-harbour")
    lines: list[str] = []
    consumer = consumer_for(city, *machine_broker, compact_every=0, out=lines.append)  # 0: never
    publisher = Publisher(*machine_broker)
    for i in range(4):  # four batches, four parts
        publisher.publish(topic, reading(datetime(2025, 1, 10, tzinfo=timezone.utc) + timedelta(hours=i), 10.0 + i))
        run_until_received(consumer, i + 1, stop=False)
    consumer.run(timeout=0.5)
    consumer.stop()
    assert len(store.parts("air", january)) == 4 and not any(line.startswith("compacted") for line in lines)

    consumer = consumer_for(city, *machine_broker, compact_every=0.005, out=lines.append)  # every 0.3 s
    publisher.publish(topic, reading(datetime(2025, 1, 10, 4, tzinfo=timezone.utc), 14.0))
    consumer.run(until=lambda: consumer.stats.received == 1 and len(store.parts("air", january)) == 1,
                 timeout=DEADLINE)
    consumer.stop()
    publisher.close()
    assert len(store.parts("air", january)) == 1 and f"compacted {city.key}: air 2025-01" in lines
    assert rows(city, "SELECT value FROM observations ORDER BY time") == [(10.0,), (11.0,), (12.0,), (13.0,), (14.0,)]


def _refuse_to_run(monkeypatch) -> None:
    """A bad option is refused while parsing: the command itself (a server, a consumer) must not start."""
    from cityline import cli
    from cityline.observations import cli_mqtt

    for module, command in ((cli, "cmd_serve"), (cli, "cmd_demo"), (cli_mqtt, "cmd_ingest_mqtt")):
        monkeypatch.setattr(module, command, lambda args: pytest.fail(f"ran with {args}"))


@pytest.mark.parametrize("command", [["ingest", "mqtt"], ["serve"], ["demo"]])  # each compacts in the background
@pytest.mark.parametrize("given, problem", [("-1", "'-1': give a number of minutes (0: never) from 0 to 10080"),
                                             ("soon", "'soon' is not a number"),
                                             ("nan", "'nan' is not a finite number"),
                                             ("inf", "'inf' is not a finite number"),
                                             ("1e300", "'1e300': give a number of minutes (0: never) from 0 to 10080"),
                                             ("10080.5", "'10080.5': give a number of minutes (0: never) from 0 to "
                                                         "10080")])
def test_a_bad_compaction_interval_is_refused_naming_the_option(capsys, monkeypatch, command, given, problem):
    from cityline import cli

    _refuse_to_run(monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        cli.main([*command, "--compact-every", given])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "argument --compact-every" in err and problem in err


@pytest.mark.parametrize("option, value, message", [
    ("--port", "70000", "'70000': give a port number from 1 to 65535"),
    ("--port", "0", "'0': give a port number from 1 to 65535"),
    ("--batch-ms", "-5", "'-5': give a whole number from 1 to 60000"),
    ("--batch-ms", "0", "'0': give a whole number from 1 to 60000"),
    ("--batch-ms", "60001", "'60001': give a whole number from 1 to 60000"),
    ("--batch-ms", "1" + "0" * 20, f"'1{'0' * 20}': give a whole number from 1 to 60000"),
    ("--batch-size", "0", "'0': give a whole number of 1 or more"),
    ("--batch-size", "1.5", "'1.5' is not a whole number"),
    ("--inflight", "0", "'0': give a whole number from 1 to 65535"),
    ("--inflight", "65536", "'65536': give a whole number from 1 to 65535"),
    ("--session-expiry", "-1", "'-1': give a whole number from 0 to 4294967295"),
    ("--session-expiry", "4294967296", "'4294967296': give a whole number from 0 to 4294967295"),
    ("--stats-seconds", "nan", "'nan' is not a finite number"),
    ("--stats-seconds", "inf", "'inf' is not a finite number"),
    ("--stats-seconds", "-1", "'-1': give a number of 0 or more"),
])
def test_ingest_mqtt_refuses_a_number_out_of_its_range_naming_the_option(capsys, monkeypatch, option, value,
                                                                         message):
    from cityline import cli

    _refuse_to_run(monkeypatch)
    with pytest.raises(SystemExit) as refused:  # refused while parsing: no city, no broker
        cli.main(["ingest", "mqtt", option, value])
    out, err = capsys.readouterr()
    assert (refused.value.code, out) == (2, "") and f"error: argument {option}: {message}\n" in err


def test_ingest_mqtt_takes_the_boundary_values(city, capsys, monkeypatch):
    """0 means "never" for the stats line and "with the connection" for the session; the upper bounds are MQTT's."""
    from cityline import cli
    from cityline.observations import mqtt

    given = {}

    class Recorder:  # the consumer, without a broker: what the command gives it
        def __init__(self, city, mappings, broker, **options):
            given.update(options, port=broker.port, inflight=broker.inflight, session_expiry=broker.session_expiry)

        def request_stop(self, *args):
            pass

        start = run = stop = request_stop

    monkeypatch.setattr(mqtt, "Consumer", Recorder)
    monkeypatch.setattr("cityline.observations.cli_mqtt.signal.signal", lambda *args: None)
    assert cli.main(["ingest", "mqtt", "--city", city.key, "--port", "65535", "--batch-ms", "1", "--batch-size", "1",
                     "--inflight", "65535", "--session-expiry", "0", "--stats-seconds", "0"]) == 0
    assert given == {"port": 65535, "batch_ms": 1, "batch_size": 1, "inflight": 65535, "session_expiry": 0,
                     "stats_seconds": 0, "compact_every": 1.0, "out": given["out"]}
    assert cli.main(["ingest", "mqtt", "--city", city.key, "--port", "1", "--inflight", "1",
                     "--session-expiry", "4294967295", "--batch-ms", "60000", "--compact-every", "10080"]) == 0
    assert (given["port"], given["inflight"], given["session_expiry"]) == (1, 1, 4294967295)
    assert (given["batch_ms"], given["compact_every"]) == (60000, 10080)


BAD_BROKER_SETTINGS = [
    ("CITYLINE_MQTT_PORT", "abc", "CITYLINE_MQTT_PORT='abc' is not a whole number: give the broker's port, 1 to 65535"),
    ("CITYLINE_MQTT_PORT", "1883.0", "CITYLINE_MQTT_PORT='1883.0' is not a whole number: give the broker's port"),
    ("CITYLINE_MQTT_PORT", "70000", "CITYLINE_MQTT_PORT='70000': give the broker's port, 1 to 65535"),
    ("CITYLINE_MQTT_PORT", "0", "CITYLINE_MQTT_PORT='0': give the broker's port, 1 to 65535"),
    ("CITYLINE_MQTT_TLS", "yes", "CITYLINE_MQTT_TLS='yes': give 1 (connect over TLS) or 0 (plain TCP)"),
]


@pytest.mark.parametrize("command", ["ingest", "simulate"])
@pytest.mark.parametrize("variable, value, message", BAD_BROKER_SETTINGS)
def test_a_bad_broker_setting_in_the_environment_is_a_usage_error_naming_it(city, capsys, monkeypatch, command,
                                                                           variable, value, message):
    from cityline import cli
    from cityline.observations import mqtt

    monkeypatch.setattr(mqtt, "Consumer", lambda *args, **kwargs: pytest.fail("a consumer was started"))
    monkeypatch.setattr(mqtt.Broker, "client", lambda *args, **kwargs: pytest.fail("a client was made"))
    monkeypatch.setenv(variable, value)
    argv = ["ingest", "mqtt", "--city", city.key] if command == "ingest" else ["simulate", city.key, "--count", "1"]
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"error: {message}") and err.count("\n") == 1 and "Traceback" not in out + err


def test_a_bad_broker_port_in_the_environment_stops_the_command_with_status_2(tmp_path):
    """In a process of its own, as an operator runs it (the setting is read before the database is)."""
    env = {**os.environ, "CITYLINE_MQTT_PORT": "mqtt", "CITYLINE_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    done = subprocess.run([sys.executable, "-m", "cityline.cli", "ingest", "mqtt"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("error: CITYLINE_MQTT_PORT='mqtt' is not a whole number: give the broker's port, "
                           "1 to 65535\n")


def test_the_broker_settings_in_the_environment_are_used_where_no_option_is_given(city, monkeypatch):
    from cityline import cli
    from cityline.observations import mqtt

    given = []

    class Recorder:  # the consumer, without a broker: the broker the command gives it
        def __init__(self, city, mappings, broker, **options):
            given.append((broker.host, broker.port, broker.tls))

        def request_stop(self, *args):
            pass

        start = run = stop = request_stop

    monkeypatch.setattr(mqtt, "Consumer", Recorder)
    monkeypatch.setattr("cityline.observations.cli_mqtt.signal.signal", lambda *args: None)
    monkeypatch.setenv("CITYLINE_MQTT_HOST", "broker.internal")
    monkeypatch.setenv("CITYLINE_MQTT_PORT", "8883")
    monkeypatch.setenv("CITYLINE_MQTT_TLS", "1")
    assert cli.main(["ingest", "mqtt", "--city", city.key]) == 0
    monkeypatch.setenv("CITYLINE_MQTT_TLS", "0")
    assert cli.main(["ingest", "mqtt", "--city", city.key, "--port", "1883"]) == 0  # the option wins
    assert given == [("broker.internal", 8883, True), ("broker.internal", 1883, False)]


def test_readings_arriving_out_of_order_are_all_stored_and_read_in_time_order(city, machine_broker):
    consumer = consumer_for(city, *machine_broker)
    publisher = Publisher(*machine_broker)
    topic = topic_for(city.key, "air", "no2-quay")
    order = [5, 2, 9, 0, 7, 1, 8, 3, 6, 4]  # newest first for some, older readings after newer ones
    for i in order:
        publisher.publish(topic, reading(T0 + timedelta(minutes=10 * i), float(i)))
    assert len(publisher.acknowledged()) == 10
    publisher.close()
    run_until_received(consumer, 10)
    values = rows(city, "SELECT value FROM observations WHERE series = 'no2-quay' ORDER BY time")
    assert [v for (v,) in values] == [float(i) for i in range(10)]


def test_malformed_payloads_are_counted_logged_and_quarantined_and_later_readings_still_stored(
        city, machine_broker, caplog):
    consumer = consumer_for(city, *machine_broker)
    publisher = Publisher(*machine_broker)
    topic = topic_for(city.key, "air", "pm25-harbour")
    bad = [
        (b"pm25=12", "payload is not JSON"),
        (b'{"time": "2026-11-27T06:00:00Z"}', "field 'value' missing"),
        (b'{"time": "2026-11-27T06:00:00", "value": 3}', "time has no zone (add Z or an offset such as +01:00)"),
        (b'{"time": "2026-11-27T06:00:00Z", "value": "lots"}', "field 'value' is not a number"),
        (b"\xff\xfe\xfd", "payload is not UTF-8 text"),
    ]
    publisher.publish(topic, reading(T0, 1.0))
    for payload, _reason in bad:
        publisher.publish(topic, payload)
    publisher.publish(topic, reading(T0 + timedelta(hours=1), 2.0))
    assert len(publisher.acknowledged()) == 7
    with caplog.at_level(logging.WARNING, logger="cityline.observations"):
        run_until_received(consumer, 7)
        # The consumer kept running: a reading sent after the bad ones is stored too.
    assert rows(city, "SELECT value FROM observations ORDER BY time") == [(1.0,), (2.0,)]
    assert consumer.stats.quarantined == 5 and consumer.stats.stored == 2
    quarantined = list(QuarantinedMessage.objects.filter(city=city).order_by("id"))
    assert [(q.source, q.origin) for q in quarantined] == [("mqtt", topic)] * 5
    assert sorted(q.reason for q in quarantined) == sorted(reason for _p, reason in bad)
    assert {q.payload for q in quarantined} >= {"pm25=12", "//79"}  # bytes that are not UTF-8: base64
    logged = [r.getMessage() for r in caplog.records if r.name == "cityline.observations"]
    for _payload, reason in bad:
        assert any(reason in line and topic in line for line in logged), reason


def test_a_payload_out_of_range_is_quarantined_and_never_stalls_the_consumer(city, machine_broker):
    """Overflowing numbers and times, and JSON nested too deeply, are reasons like any other (not a write failure)."""
    consumer = consumer_for(city, *machine_broker)
    publisher = Publisher(*machine_broker)
    topic = topic_for(city.key, "air", "pm25-harbour")
    bad = [
        (b'{"time": "2026-11-27T06:05:00Z", "value": 1' + b"0" * 400 + b"}", "field 'value' is not a finite number"),
        (b'{"time": "0001-01-01T00:30:00+01:00", "value": 1}', "time '0001-01-01T00:30:00+01:00' is out of range"),
        (b'{"time": "9999-12-31T23:30:00-01:00", "value": 1}', "time '9999-12-31T23:30:00-01:00' is out of range"),
        (b'{"time": 1' + b"0" * 400 + b', "value": 1}', "time 1000000000"),
        (b'{"time": 20261127, "value": 1}', "time 20261127 is out of range"),
        # a compact date-time, 1976 as epoch milliseconds: never stored, the reason says what it looks like
        (b'{"time": 202611270605, "value": 1}', "time 202611270605 is out of range: give epoch seconds, or "
         "milliseconds (numbers over 10^11), from 1980-01-01 to the end of 2200; 202611270605 looks like a compact "
         "date-time (2026-11-27T06:05); write times as ISO 8601 with a zone"),
        (b'{"time": "2026-11-27T06:05:00Z", "value": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
         "payload is JSON nested too deeply"),
    ]
    publisher.publish(topic, reading(T0, 1.0))
    for payload, _reason in bad:
        publisher.publish(topic, payload)
    publisher.publish(topic, reading(T0 + timedelta(hours=1), 2.0))
    assert len(publisher.acknowledged()) == len(bad) + 2
    publisher.close()
    run_until_received(consumer, len(bad) + 2)
    assert rows(city, "SELECT value FROM observations ORDER BY time") == [(1.0,), (2.0,)]
    assert consumer.stats.quarantined == len(bad) and consumer.stats.write_errors == 0
    reasons = sorted(q.reason for q in QuarantinedMessage.objects.filter(city=city))
    for _payload, reason in bad:
        assert any(r.startswith(reason) for r in reasons), (reason, reasons)


def test_whatever_reading_one_message_raises_quarantines_that_message_only(city, machine_broker, monkeypatch):
    """A bug in the mapping is not a storage failure: the batch is stored, the one message quarantined."""
    original = Mappings.read

    def flaky(self, topic, payload, received):
        if b"boom" in payload:
            raise RuntimeError("mapping bug")
        return original(self, topic, payload, received)

    monkeypatch.setattr(Mappings, "read", flaky)
    consumer = consumer_for(city, *machine_broker)
    publisher = Publisher(*machine_broker)
    topic = topic_for(city.key, "air", "pm25-harbour")
    publisher.publish(topic, reading(T0, 1.0))
    publisher.publish(topic, reading(T0 + timedelta(minutes=5), 9.0, id="boom"))
    publisher.publish(topic, reading(T0 + timedelta(minutes=10), 2.0))
    assert len(publisher.acknowledged()) == 3
    publisher.close()
    run_until_received(consumer, 3)
    assert rows(city, "SELECT value FROM observations ORDER BY time") == [(1.0,), (2.0,)]
    assert consumer.stats.write_errors == 0
    assert [q.reason for q in QuarantinedMessage.objects.filter(city=city)] == [
        "payload cannot be read (RuntimeError: mapping bug)"]


def test_a_reading_of_an_unknown_series_is_quarantined_and_a_series_added_later_is_picked_up(city, machine_broker):
    consumer = consumer_for(city, *machine_broker)
    publisher = Publisher(*machine_broker)
    publisher.publish(topic_for(city.key, "air", "pm10-station"), reading(T0, 30.0))
    publisher.publish(topic_for(city.key, "air", "pm25-harbour"), reading(T0, 10.0))
    assert len(publisher.acknowledged()) == 2
    run_until_received(consumer, 2, stop=False)
    q = QuarantinedMessage.objects.get(city=city)
    assert q.reason.startswith("no series 'pm10-station' in ") and q.origin.endswith("/pm10-station/reading")
    assert rows(city, "SELECT series FROM observations") == [("pm25-harbour",)]

    make_series(city, "pm10-station")  # added while the consumer runs: it looks the series up again
    consumer._groups_loaded -= 10  # (at most every 2 s; as if that long had passed)
    publisher.publish(topic_for(city.key, "air", "pm10-station"), reading(T0, 31.0))
    assert len(publisher.acknowledged()) == 3
    publisher.close()
    run_until_received(consumer, 3)
    assert rows(city, "SELECT series, value FROM observations ORDER BY series") == [
        ("pm10-station", 31.0), ("pm25-harbour", 10.0)]
    assert QuarantinedMessage.objects.filter(city=city).count() == 1


def test_messages_are_acknowledged_only_once_stored(city, machine_broker):
    """A consumer that stops before writing (it crashes) leaves its messages with the broker: the next one gets them."""
    consumer = consumer_for(city, *machine_broker)
    publisher = Publisher(*machine_broker)
    topic = topic_for(city.key, "air", "pm25-harbour")
    for i in range(20):
        publisher.publish(topic, reading(T0 + timedelta(minutes=i), float(i)))
    assert len(publisher.acknowledged()) == 20
    publisher.close()
    deadline = time.monotonic() + DEADLINE
    while len(consumer._buffer) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(consumer._buffer) == 20  # received, buffered, neither written nor acknowledged
    consumer.client.disconnect()  # the crash: the buffer is lost with the process
    consumer.client.loop_stop()
    consumer._buffer.clear()
    consumer.client = None
    assert rows(city, "SELECT count(*) FROM observations") == [(0,)]

    again = consumer_for(city, *machine_broker)  # same client id: the broker's session resumes
    run_until_received(again, 20)
    assert rows(city, "SELECT count(*), min(value), max(value) FROM observations") == [(20, 0.0, 19.0)]


def test_the_simulator_publishes_realistic_readings_the_consumer_stores(city, machine_broker):
    from cityline.cli import main

    make_series(city, "traffic-quay-road", group="traffic", entity_type="TrafficFlowObserved", attribute="intensity")
    consumer = consumer_for(city, *machine_broker)
    host, port = machine_broker
    assert main(["simulate", city.key, "--host", host, "--port", str(port), "--rate", "200", "--count", "30",
                 "--start", "2026-11-27T00:00:00Z", "--step", "3600", "--quiet"]) == 0
    run_until_received(consumer, 30)
    got = rows(city, "SELECT series, count(*), min(time), max(time) FROM observations GROUP BY series ORDER BY series")
    assert [(s, n) for s, n, _a, _b in got] == [("no2-quay", 10), ("pm25-harbour", 10), ("traffic-quay-road", 10)]
    assert got[0][2] == T0 - timedelta(hours=6) and got[0][3] == T0 + timedelta(hours=3)
    traffic = dict(rows(city, "SELECT hour(time), value FROM observations WHERE series = 'traffic-quay-road'"))
    assert traffic[8] > 3 * traffic[3]  # the morning rush hour against the night


RATES = "a number of messages per second from 0.001 to 1000000"


@pytest.mark.parametrize("option, value, message", [("--rate", "nan", "'nan' is not a finite number"),
                                                     ("--rate", "inf", "'inf' is not a finite number"),
                                                     ("--rate", "0", f"'0': give {RATES}"),
                                                     ("--rate", "1e-300", f"'1e-300': give {RATES}"),
                                                     ("--rate", "1e308", f"'1e308': give {RATES}"),
                                                     ("--step", "0", "'0': give a number of seconds above 0 and at "
                                                                     "most 31622400"),
                                                     ("--step", "1e300", "'1e300': give a number of seconds above 0 "
                                                                         "and at most 31622400"),
                                                     ("--duration", "-1", "'-1': give a number above 0"),
                                                     ("--step", "nan", "'nan' is not a finite number"),
                                                     ("--count", "-1", "'-1': give a whole number of 1 or more"),
                                                     ("--port", "70000", "'70000': give a port number from 1 to "
                                                                          "65535")])
def test_simulate_refuses_a_rate_duration_step_count_or_port_out_of_range(city, capsys, option, value, message):
    from cityline.cli import main

    with pytest.raises(SystemExit) as refused:  # no broker is reached: nothing listens on the port
        main(["simulate", city.key, "--port", str(_free_port()), "--count", "1", option, value])
    assert refused.value.code == 2 and f"error: argument {option}: {message}\n" in capsys.readouterr().err


def test_simulate_takes_its_bounds_and_a_replay_stops_at_the_year_9999_saying_so(city, capsys, machine_broker):
    from cityline.cli import main

    host, port = machine_broker
    broker = ["--host", host, "--port", str(port), "--series", "pm25-harbour", "--quiet"]
    assert main(["simulate", city.key, *broker, "--rate", "0.001", "--count", "1"]) == 0  # the first is not paced
    assert main(["simulate", city.key, *broker, "--rate", "1000000", "--count", "3", "--start", "2026-01-01T00:00:00Z",
                 "--step", "31622400"]) == 0
    out = capsys.readouterr().out
    assert "sent 1 readings" in out and "sent 3 readings" in out and "stopped" not in out
    assert main(["simulate", city.key, *broker, "--rate", "1000", "--count", "5", "--start", "9999-12-31T22:00:00Z",
                 "--step", "3600"]) == 0
    out, err = capsys.readouterr()
    assert "stopped after 2 message(s): the next reading time is past the year 9999\n" in out
    assert "sent 2 readings" in out and "2 acknowledged by the broker" in out and err == ""


def test_simulated_reading_times_end_with_the_year_9999():
    from cityline.observations.simulate import EndOfTime, SimSeries, messages

    series = [SimSeries("pm25-harbour", "air", "AirQualityObserved", "pm25")]
    start = datetime(9999, 12, 31, 23, tzinfo=timezone.utc)
    replay = messages("vale", series, rate=1_000_000, start=start, step=1800)
    assert [when for _due, _topic, _body, _s, when, _value in itertools.islice(replay, 2)] == [
        start, start + timedelta(minutes=30)]
    with pytest.raises(EndOfTime, match="stopped after 2 message"):
        next(replay)


def test_simulate_names_a_group_without_series_and_the_groups_with_series(city, capsys):
    from cityline.cli import main

    make_series(city, "traffic-quay-road", group="traffic", entity_type="TrafficFlowObserved", attribute="intensity")
    port = str(_free_port())  # nothing listens: the command must stop before it connects
    assert main(["simulate", city.key, "--port", port, "--count", "1", "--group", "nope", "--group", "air"]) == 2
    assert capsys.readouterr().err == (f"error: no series of {city.key} is in the group(s) nope (the groups with "
                                       "series: air, traffic)\n")
    assert main(["simulate", city.key, "--port", port, "--count", "1", "--group", "traffic", "--series",
                 "pm25-harbour"]) == 2
    assert capsys.readouterr().err == f"error: no series pm25-harbour in {city.key}'s group(s) traffic\n"


def test_simulated_values_are_deterministic_and_follow_the_day():
    from cityline.observations.simulate import value_at

    friday = datetime(2026, 11, 27, tzinfo=timezone.utc)
    sunday = friday + timedelta(days=2)

    def at(day, hour, series="pm25-harbour", entity_type="AirQualityObserved", attribute="pm25"):
        return value_at(series, entity_type, attribute, day + timedelta(hours=hour))

    assert at(friday, 8) == at(friday, 8)
    assert at(friday, 8) > 1.5 * at(friday, 3)  # PM2.5 peaks with the morning traffic
    traffic = {"series": "quay", "entity_type": "TrafficFlowObserved", "attribute": "intensity"}
    assert at(friday, 8, **traffic) > 5 * at(friday, 3, **traffic)
    assert at(friday, 8, **traffic) > at(sunday, 8, **traffic)
    temperature = {"series": "t", "entity_type": "WeatherObserved", "attribute": "temperature"}
    assert at(friday, 15, **temperature) > at(friday, 4, **temperature)


# --- THE SIGKILL TEST: real processes, a private broker that queues without limit ------------------------


def _database_url_for_a_subprocess(tmp_path: Path) -> str:
    """The test database, reachable from another process: PostgreSQL's test database as it is, SQLite's
    in-memory one copied to a file (the test is transactional, so everything is committed)."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings.get("PASSWORD") else "")
        return f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    connection.ensure_connection()
    target = tmp_path / "cityline.sqlite3"
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    return f"sqlite:///{target}"


class ConsumerProcess:
    """``cityline ingest mqtt`` in a subprocess; its output lines go to a queue."""

    def __init__(self, args: list[str], env: dict):
        self.process = subprocess.Popen([sys.executable, "-m", "cityline.cli", "ingest", "mqtt", *args], cwd=ROOT,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line.rstrip())
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = DEADLINE) -> None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None and self.lines.empty():
                pytest.fail(f"the consumer did not print {text!r}:\n" + "\n".join(self.output))
            try:
                if text in self.lines.get(timeout=min(remaining, 1.0)):
                    return
            except queue.Empty:
                continue

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


def _store_count(store: ObservationStore) -> int:
    return store.query("SELECT count(*) FROM observations")[0][0]


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_stream_loses_no_acknowledged_reading_and_duplicates_none(tmp_path, private_broker):
    host, port = private_broker
    city = make_city("killtown", "Killtown")
    series = [f"sensor-{i}" for i in range(10)]
    make_series(city, *series)
    env = {**os.environ, "DATABASE_URL": _database_url_for_a_subprocess(tmp_path),
           "CITYLINE_DATA_DIR": str(tmp_path / "data"), "CITYLINE_OBSERVATIONS_DIR": str(tmp_path / "observations"),
           "CITYLINE_MQTT_HOST": host, "CITYLINE_MQTT_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    # Small batches, so that a restarted consumer drains the broker's backlog over many batches and the
    # second kill falls in the middle of that too.
    args = ["--city", "killtown", "--client-id", "kill-test", "--batch-ms", "100", "--batch-size", "250",
            "--stats-seconds", "2"]
    store = ObservationStore(tmp_path / "observations" / "killtown")
    total = 10_000

    consumer = ConsumerProcess(args, env)
    consumer.wait_for("listening on killtown/+/+/reading")
    publisher = Publisher(host, port)
    published = threading.Event()

    def stream():  # about 1,000 readings a second, so the kills fall mid-stream
        for i in range(total):
            when = T0 + timedelta(seconds=i)
            publisher.publish(topic_for("killtown", "air", series[i % 10]), reading(when, float(i), id=str(i)), tag=i)
            if i % 100 == 99:
                time.sleep(0.1)
        published.set()

    streamer = threading.Thread(target=stream)
    streamer.start()
    counts_at_kill = []
    try:
        # Kill once 1,000 readings are stored, then again when the restarted consumer has written 4 batches
        # (it drains the backlog the broker kept in small batches: counting part files is quick enough to
        # catch it in the middle).
        parts = 0
        for kill in (1, 2):
            deadline = time.monotonic() + DEADLINE
            while _store_count(store) < 1_000 if kill == 1 else len(store.files()) < parts + 4:
                assert time.monotonic() < deadline, "the consumer stopped storing:\n" + "\n".join(consumer.output)
                time.sleep(0.01)
            consumer.kill()  # SIGKILL: no flush, no goodbye
            counts_at_kill.append(_store_count(store))
            parts = len(store.files())
            consumer = ConsumerProcess(args, env)  # it resumes the session: the broker sends the backlog first
        streamer.join(DEADLINE)
        acknowledged = publisher.acknowledged()
        publisher.close()
        deadline = time.monotonic() + DEADLINE
        while _store_count(store) < len(acknowledged) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert consumer.stop() == 0, "\n".join(consumer.output)
    finally:
        if consumer.process.poll() is None:
            consumer.kill()
    assert published.is_set() and len(acknowledged) == total  # the broker acknowledged every reading
    assert all(n < total for n in counts_at_kill), counts_at_kill  # both kills fell mid-stream

    # Every acknowledged reading exactly once, with its own value.
    assert store.query("SELECT count(*), count(DISTINCT (series, time)) FROM observations") == [(total, total)]
    stored = store.query("SELECT value, series, time, message_id FROM observations ORDER BY value")
    assert [int(v) for v, *_ in stored] == sorted(acknowledged)
    assert all(s == series[int(v) % 10] and t == T0 + timedelta(seconds=int(v)) and m == str(int(v))
               for v, s, t, m in stored)
    # The raw parts may hold a reading twice (stored, then killed before the acknowledgement, then
    # redelivered); the read keeps one.
    pattern = str(tmp_path / "observations" / "killtown" / "group=*" / "month=*" / "*.parquet")
    raw, distinct = duckdb.sql(f"SELECT count(*), count(DISTINCT (series, time)) FROM read_parquet('{pattern}')"
                               ).fetchall()[0]
    assert raw >= total and distinct == total
    print(f"SIGKILL test: {total} readings, store counts at the kills {counts_at_kill}, raw rows {raw} "
          f"({raw - total} redelivered duplicates)")
