"""``cityline ingest mqtt`` (the streaming consumer, :mod:`.mqtt`) and ``cityline simulate`` (:mod:`.simulate`)."""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import datetime
from pathlib import Path

from cityline.cli import non_negative_float, number, port, positive_float, positive_int, whole_number

from .cli_maintenance import MAX_MINUTES, minutes

#: The longest wait between two batches of ``ingest mqtt``, in milliseconds (a minute): the broker waits that long for
#: its acknowledgements, and a far longer one would overflow the wait.
MAX_BATCH_MS = 60_000
#: ``simulate``'s slowest and fastest rates (messages per second): one message every 1000 s at the slowest, so the
#: pause between two stays one a clock can count.
RATES = (0.001, 1_000_000)
#: ``simulate --step``'s longest step between a series' replayed readings, in seconds (366 days).
MAX_STEP = 366 * 24 * 3600


def _broker_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("broker (defaults from CITYLINE_MQTT_HOST, _PORT, _USERNAME, _PASSWORD, _TLS, _CA_FILE)")
    g.add_argument("--host", help="broker host (default 127.0.0.1)")
    g.add_argument("--port", type=port, help="broker port, 1 to 65535 (default 1883)")
    g.add_argument("--username", help="user name")
    g.add_argument("--password", help="password (better: CITYLINE_MQTT_PASSWORD)")
    g.add_argument("--tls", action="store_true", default=None, help="connect over TLS")
    g.add_argument("--ca-file", help="CA certificates for TLS (default: the system's)")
    g.add_argument("--mqtt-version", choices=["5", "3.1.1"], default="5", help="protocol version (default 5)")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "ingest-mqtt", help="read readings from an MQTT broker into the observation store (also: cityline ingest mqtt)",
        description="Subscribe at QoS 1 with a persistent session and write readings in batches; a message is "
        "acknowledged only once stored (or quarantined with its reason), so a crash loses nothing acknowledged. "
        "Default topic layout: <city>/<group>/<series>/reading with JSON {\"time\", \"value\"[, \"quality\", \"id\"]}. "
        "SIGTERM or Ctrl+C stops after writing what is buffered. See docs/observations.md, 'MQTT'.")
    p.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    _broker_options(p)
    p.add_argument("--topic", action="append", metavar="PATTERN",
                   help="topic pattern with {series} naming the series level, e.g. 'sensors/+/{series}' "
                   "(JSON payload, fields time and value); repeatable (default: <city>/+/{series}/reading)")
    p.add_argument("--mapping", type=Path, metavar="FILE",
                   help="YAML or JSON file of topic patterns and payload fields (replaces --topic)")
    p.add_argument("--client-id", help="MQTT client id; keep it stable so the broker keeps the session "
                   "(default cityline-<city>-ingest)")
    p.add_argument("--batch-ms", type=whole_number(1, MAX_BATCH_MS), default=150,
                   help=f"write a batch at least this often, in milliseconds, 1 to {MAX_BATCH_MS} (default 150)")
    p.add_argument("--batch-size", type=positive_int, default=5000,
                   help="or as soon as this many are waiting, 1 or more (default 5000)")
    p.add_argument("--inflight", type=whole_number(1, 65535), default=20000,
                   help="unacknowledged messages the broker may send ahead (MQTT 5 Receive Maximum), 1 to 65535 "
                        "(default 20000)")
    p.add_argument("--session-expiry", type=whole_number(0, 0xFFFFFFFF), default=7 * 24 * 3600,
                   help="seconds the broker keeps the session while the consumer is away (MQTT 5), 0 to 4294967295 "
                        "(0: it ends with the connection; 4294967295: never; default one week)")
    p.add_argument("--stats-seconds", type=non_negative_float, default=10.0,
                   help="print a stats line this often, in seconds (default 10; 0: never)")
    p.add_argument("--compact-every", type=minutes, default=1.0, metavar="MINUTES",
                   help=f"compact the city's store in the background this often, at most {MAX_MINUTES} (a week) "
                        "(default 1; 0: never, e.g. when 'cityline observations compact' runs from cron)")
    p.add_argument("--quiet", action="store_true", help="no stats lines")
    p.set_defaults(func=cmd_ingest_mqtt)

    p = sub.add_parser(
        "simulate", help="publish live readings of a city's series over MQTT (for the demo)",
        description="Deterministic, realistic values per entity type and attribute (PM2.5 peaks with the rush "
        "hours, traffic drops at night and at the weekend, ...), QoS 1, to <city>/<group>/<series>/reading, "
        "the layout `cityline ingest mqtt` reads by default.")
    p.add_argument("city", nargs="?", help="city key (default: the only city)")
    _broker_options(p)
    p.add_argument("--rate", type=number(*RATES, what="a number of messages per second"), default=2.0,
                   help=f"messages per second over all series, {RATES[0]:g} to {RATES[1]} (default 2)")
    p.add_argument("--duration", type=positive_float, help="seconds to run (default: until Ctrl+C)")
    p.add_argument("--count", type=positive_int, help="stop after this many messages")
    p.add_argument("--series", nargs="+", metavar="KEY", help="only these series (default: all the city's series)")
    p.add_argument("--group", action="append", help="only the series of this group (repeatable)")
    p.add_argument("--start", help="reading times from this ISO 8601 time on (a replay) instead of the wall clock")
    p.add_argument("--step", type=number(0, MAX_STEP, above=True, what="a number of seconds"),
                   help="with --start: seconds between a series' readings, at most 366 days "
                   "(default: its reading interval, else 60)")
    p.add_argument("--client-id", help="MQTT client id (default cityline-<city>-simulator)")
    p.add_argument("--quiet", action="store_true", help="print only the totals")
    p.set_defaults(func=cmd_simulate)


def _broker(args, client_id: str | None):
    """The broker from the options, else ``CITYLINE_MQTT_*``; a bad value there is a :class:`.mqtt.SettingError`."""
    from .mqtt import Broker

    return Broker.from_env(host=args.host, port=args.port, username=args.username, password=args.password,
                           tls=args.tls, ca_file=args.ca_file, mqtt_version=args.mqtt_version,
                           client_id=client_id)


def _city(key):
    """The city; a database without tables is a LookupError saying what to run (these commands do not migrate:
    a consumer restarted after a crash must come back at once, and several consumers must not migrate at once)."""
    from django.db import DatabaseError

    from cityline.benefits.services import resolve_city

    try:
        return resolve_city(key)
    except DatabaseError as exc:
        raise LookupError(f"the database is not ready ({exc}); run `cityline migrate` first") from None


def _mappings(args, city):
    from .domain import payload

    if args.mapping:
        try:
            text = args.mapping.read_text(encoding="utf-8")
        except OSError as exc:
            raise payload.MappingError(f"{args.mapping}: {exc.strerror}") from None
        return payload.load(text, where=str(args.mapping))
    topics = args.topic or [payload.default_topic(city.key)]
    return payload.Mappings([payload.Mapping(topic=t) for t in topics])


def cmd_ingest_mqtt(args: argparse.Namespace) -> int:
    from .domain.payload import MappingError
    from .mqtt import Consumer, SettingError

    try:
        broker = _broker(args, args.client_id)
        city = _city(args.city)
        mappings = _mappings(args, city)
    except (SettingError, LookupError, MappingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    broker.session_expiry = args.session_expiry
    broker.inflight = args.inflight

    def out(line: str) -> None:
        print(line, flush=True)

    consumer = Consumer(city, mappings, broker, batch_ms=args.batch_ms, batch_size=args.batch_size,
                        stats_seconds=0 if args.quiet else args.stats_seconds, compact_every=args.compact_every,
                        out=out)
    signal.signal(signal.SIGTERM, consumer.request_stop)
    signal.signal(signal.SIGINT, consumer.request_stop)
    print(f"{city.name}: reading {', '.join(mappings.subscriptions)} from {broker.describe()} "
          f"into the observation store (SIGTERM or Ctrl+C stops)", flush=True)
    consumer.start()
    try:
        consumer.run()
    finally:
        consumer.stop()  # writes and acknowledges what is buffered, then disconnects
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .models import Series
    from .mqtt import SettingError
    from .simulate import SimSeries, publish

    try:
        _broker(args, None)  # the CITYLINE_MQTT_* settings checked before anything else
        city = _city(args.city)
    except (SettingError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = Series.objects.filter(city=city).order_by("group", "key")
    where = city.key
    if args.group:
        groups = sorted(set(rows.values_list("group", flat=True)))
        empty = sorted(set(args.group) - set(groups))
        if groups and empty:
            print(f"error: no series of {city.key} is in the group(s) {', '.join(empty)} (the groups with series: "
                  f"{', '.join(groups)})", file=sys.stderr)
            return 2
        rows = rows.filter(group__in=args.group)
        where = f"{city.key}'s group(s) {', '.join(sorted(set(args.group)))}"
    if args.series:
        rows = rows.filter(key__in=args.series)
        missing = sorted(set(args.series) - set(rows.values_list("key", flat=True)))
        if missing:
            print(f"error: no series {', '.join(missing)} in {where}", file=sys.stderr)
            return 2
    chosen = [SimSeries(s.key, s.group, s.entity_type, s.attribute, s.unit) for s in rows]
    if not chosen:
        print(f"error: {city.key} has no series to simulate (add some in the editor or a city pack)", file=sys.stderr)
        return 2
    start = None
    if args.start:
        from .domain.payload import PayloadError, parse_time

        try:
            start = parse_time(args.start, "iso", "--start")
        except PayloadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    step = args.step or (min((s.interval_seconds for s in rows if s.interval_seconds), default=60) if start else None)
    broker = _broker(args, args.client_id or f"cityline-{city.key}-simulator")
    client = broker.client(manual_ack=False)
    client.max_inflight_messages_set(1000)
    try:
        client.connect(broker.host, broker.port, broker.keepalive)
    except OSError as exc:
        print(f"error: cannot reach the MQTT broker at {broker.describe()}: {exc}", file=sys.stderr)
        return 1
    client.loop_start()
    print(f"{city.name}: publishing {len(chosen)} series to {broker.describe()} at {args.rate:g} messages/s "
          f"(topics {city.key}/<group>/<series>/reading, QoS 1)", flush=True)
    began = datetime.now()
    try:
        totals = publish(client, city.key, chosen, rate=args.rate, start=start, count=args.count,
                         duration=args.duration, step=step, quiet=args.quiet,
                         out=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        totals = None
    client.disconnect()
    client.loop_stop()
    if totals is not None:
        seconds = (datetime.now() - began).total_seconds()
        print(f"sent {totals['sent']} readings in {seconds:.1f} s, {totals['acknowledged']} acknowledged by the broker",
              flush=True)
        return 0 if totals["sent"] == totals["acknowledged"] else 1
    return 130
