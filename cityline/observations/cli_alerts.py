"""``cityline alerts list|publish``: the alerts of a city (issue 6, real-time city management).

Thin shells over :mod:`.models` and :mod:`.alertdata`. Exit status: 0 done, 2 unknown city.
"""

from __future__ import annotations

import argparse
import json
import sys

from cityline.cli import MAX_LIMIT, whole_number


def add_parser(sub) -> None:
    p = sub.add_parser("alerts", help="the alerts raised by the alert rules: list them, publish their history",
                       description="Alerts are raised as readings are stored (see docs/observations.md, 'Alert "
                                   "rules'). 'list' shows the latest; 'publish' refreshes the open dataset "
                                   "alert-history (alerts of public series only).")
    asub = p.add_subparsers(dest="alerts_command", metavar="ACTION")
    asub.required = True
    ls = asub.add_parser("list", help="the latest alerts, open ones first", description="The latest alerts.")
    pub = asub.add_parser("publish", help="refresh the open dataset alert-history",
                          description="Publish the alerts of public series as the CSV dataset alert-history "
                                      "(a new version only when it changed).")
    for a in (ls, pub):
        a.add_argument("--city", help="city key (default: CITYLINE_DEFAULT_CITY, or the only city)")
    ls.add_argument("--limit", type=whole_number(1, MAX_LIMIT), default=50,
                    help=f"at most this many, 1 to {MAX_LIMIT} (default 50)")
    ls.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cityline.cli import _migrate

    _migrate()
    from django.db.models import F

    from . import alertdata
    from .cli_ingest import resolve_city
    from .models import Alert

    try:
        city = resolve_city(args.city)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.alerts_command == "publish":
        result = alertdata.publish(city)
        print(json.dumps(result, default=str))
        return 0
    alerts = list(Alert.objects.filter(city=city).select_related("rule", "series")
                  .order_by(F("ended_at").asc(nulls_first=True), "-raised_at")[: args.limit])  # open ones first
    rows = [{"rule": a.rule.key, "series": a.series.key, "severity": a.rule.severity,
             "started_at": a.started_at.isoformat(), "ended_at": a.ended_at.isoformat() if a.ended_at else None,
             "value": a.trigger_value, "peak": a.peak_value, "webhook": a.webhook_status} for a in alerts]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['started_at']}  {r['ended_at'] or 'open':25}  {r['severity']:8}  {r['rule']}  {r['series']}  "
                  f"peak {r['peak']:g}")
        print(f"{city.key}: {len(rows)} alert(s).")
    return 0
