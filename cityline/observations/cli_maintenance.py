"""``cityline observations compact|retention|quarantine``: upkeep of a city's observation store (issue 6).

Thin shells over :mod:`.maintenance`. Schedule ``retention`` daily and ``compact`` every few minutes where
live feeds write (daily otherwise); both are idempotent. Exit status: 0 done, 1 a store folder that needs a
person (the message says what to do), 2 unknown city.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date


def add_parser(sub) -> None:
    p = sub.add_parser("observations", help="upkeep of the observation store: compaction, retention and "
                                            "downsampling, quarantined messages",
                       description="Keep a city's observation store tidy: compact its partitions, apply each "
                                   "series' downsampling and retention rules, list quarantined messages. See "
                                   "docs/observations.md.")
    osub = p.add_subparsers(dest="observations_command", metavar="ACTION")
    osub.required = True
    c = osub.add_parser("compact", help="rewrite each month partition written in several parts as one part",
                        description="Every partition (a series group's month, UTC) that holds several parts is "
                                    "rewritten as one deduplicated part (what readers see does not change; reads get "
                                    "faster). The months still being written to (the current one, and the one before "
                                    "on a month's first day) are merged by size tiers instead, parts of like size "
                                    "together, so a run every few minutes stays cheap where live feeds write. Also "
                                    "finishes or removes what an interrupted load left, and moves a store of the "
                                    "earlier day-partition layout into month partitions.")
    r = osub.add_parser("retention", help="apply each series' downsampling and retention rules",
                        description="Readings older than a series' 'downsample after (days)' are replaced by their "
                                    "hourly or daily means (quality 'downsampled'); readings older than its "
                                    "'retention (days)' are removed.")
    q = osub.add_parser("quarantine", help="list the messages that could not become readings, with the reason",
                        description="The latest quarantined messages (malformed payloads from MQTT, NGSI-LD or "
                                    "uploads), newest first.")
    for a in (c, r, q):
        a.add_argument("--city", help="city key (default: CITYLINE_DEFAULT_CITY, or the only city)")
    for a in (c, r):
        a.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the day to run as (default today)")
    q.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    q.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cityline.cli import _migrate

    _migrate()
    from . import maintenance
    from .cli_ingest import resolve_city
    from .store import LayoutError

    try:
        city = resolve_city(args.city)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _act(args, city, maintenance)
    except LayoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _act(args: argparse.Namespace, city, maintenance) -> int:
    if args.observations_command == "compact":
        done = maintenance.compact(city, today=args.on)
        for group, month in done.compacted:
            print(f"compacted {group} {month:%Y-%m}")
        print(f"{city.key}: {len(done.compacted)} partition(s) compacted.")
        return 0
    if args.observations_command == "retention":
        done = maintenance.apply_rules(city, today=args.on)
        for group, month, series in done.downsampled:
            print(f"downsampled {series} in {month:%Y-%m}")
        for group, month, series in done.removed:
            print(f"removed readings of {series} in {month:%Y-%m}")
        print(f"{city.key}: {len(done.downsampled)} series-month(s) downsampled, {len(done.removed)} trimmed.")
        return 0
    rows, total = maintenance.quarantined(city, limit=args.limit)
    if args.json:
        print(json.dumps([{"source": m.source, "origin": m.origin, "reason": m.reason, "payload": m.payload,
                           "received_at": m.received_at.isoformat()} for m in rows], ensure_ascii=False, indent=1))
        return 0
    if not rows:
        print(f"{city.key}: no quarantined message.")
        return 0
    for m in rows:
        payload = m.payload if len(m.payload) <= 80 else m.payload[:77] + "..."
        print(f"{m.received_at:%Y-%m-%d %H:%M:%S}  {m.source:8}  {m.origin}  {m.reason}\n    {payload}")
    print(f"{city.key}: {total} quarantined message(s)" + (f", latest {len(rows)} shown." if total > len(rows) else "."))
    return 0
