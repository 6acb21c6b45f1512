"""``cityline observations compact|retention|status|quarantine``: upkeep of a city's observation store (issue 6).

Thin shells over :mod:`.maintenance`. Schedule ``retention`` daily and ``compact`` every few minutes where
live feeds write (daily otherwise); both are idempotent. Exit status: 0 done, 1 a store folder that needs a
person (the message says what to do), 2 unknown city.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from cityline.cli import MAX_LIMIT, number, whole_number

#: The longest interval of background compaction, in minutes (a week): a longer one would overflow the timer's
#: wait, and a store compacted more rarely than weekly is better served by a cron'd ``cityline observations compact``.
MAX_MINUTES = 7 * 24 * 60


#: An interval of background compaction, in minutes, 0 (never) to :data:`MAX_MINUTES` (argparse names the option
#: when not).
minutes = number(0, MAX_MINUTES, what="a number of minutes (0: never)")


def add_parser(sub) -> None:
    p = sub.add_parser("observations", help="upkeep of the observation store: compaction, retention and "
                                            "downsampling, its state, quarantined messages",
                       description="Keep a city's observation store tidy: compact its partitions, apply each "
                                   "series' downsampling and retention rules, see what it holds, list quarantined "
                                   "messages. See docs/observations.md.")
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
                                    "'retention (days)' are removed. Readings a deleted series left in a group are "
                                    "removed once older than the longest retention of the group's series (never "
                                    "while one of them keeps its readings for ever, nor in a group with no series).")
    st = osub.add_parser("status", help="what the store holds per series group, and whether compaction is due",
                         description="Per series group: months, part files, rows, size on disk, first and last "
                                     "reading (from the files' statistics, no data read), and the months holding "
                                     "so many parts that every read deduplicates them whole: run compact (more "
                                     "often) then.")
    q = osub.add_parser("quarantine", help="list the messages that could not become readings, with the reason",
                        description="The latest quarantined messages (malformed payloads from MQTT, NGSI-LD or "
                                    "uploads), newest first.")
    for a in (c, r, st, q):
        a.add_argument("--city", help="city key (default: CITYLINE_DEFAULT_CITY, or the only city)")
    st.add_argument("--json", action="store_true", help="print it as JSON")
    for a in (c, r):
        a.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the day to run as (default today)")
    q.add_argument("--limit", type=whole_number(1, MAX_LIMIT), default=50,
                   help=f"at most this many, 1 to {MAX_LIMIT} (default 50)")
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
        for group, month, key in done.unnamed:
            print(f"removed readings of {key} (no series of group {group} has that key) in {month:%Y-%m}")
        print(f"{city.key}: {len(done.downsampled)} series-month(s) downsampled, {len(done.removed)} trimmed"
              + (f", {len(done.unnamed)} of keys without a series removed." if done.unnamed else "."))
        return 0
    if args.observations_command == "status":
        return _status(city, maintenance.status(city), as_json=args.json)
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


def _status(city, states, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"city": city.key, "groups": [g.as_dict() for g in states]}, indent=1))
        return 0
    if not states:
        print(f"{city.key}: the observation store is empty.")
        return 0
    print(f"{'group':20} {'months':>6} {'parts':>7} {'rows':>14} {'MB':>9}  first reading          last reading")
    for g in states:
        first = f"{g.first:%Y-%m-%d %H:%M} UTC" if g.first else "?"
        last = f"{g.last:%Y-%m-%d %H:%M} UTC" if g.last else "?"
        print(f"{g.group:20} {g.months:>6} {g.parts:>7} {g.rows:>14,} {g.bytes / 1e6:>9.1f}  {first:22} {last}")
    for g in states:
        for problem in g.unreadable:
            print(f"unreadable part in {g.group}: {problem}")
        if g.replaced:
            print(f"replaced, awaiting deletion: {g.group} {g.replaced} part(s), {g.replaced_bytes / 1e6:.1f} MB "
                  "(kept for readers that listed them; a compact or retention run deletes them 10 minutes after)")
        if g.crowded:
            months = ", ".join(f"{m:%Y-%m}" for m in g.crowded)
            print(f"compaction is due: {g.group} {months} (up to {g.most_parts} parts a month); run "
                  "`cityline observations compact`, every few minutes where live feeds write")
    return 0
