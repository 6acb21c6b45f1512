"""``cityline participation publish-data|sync-kpis``: engagement figures as open data and KPI values (B3).

Registered in the ``cityline participation`` command group (:mod:`.cli`). Both write for the
whole city, so with ``--user NAME`` they need the city's programme administrator (as
``cityline opendata sync-kpis``). Exit status: 0 done, 1 refused or a problem reported, 2
unknown city or user.
"""

from __future__ import annotations

import json
import sys


def add_parsers(psub) -> None:
    from cityline.accounts.cli import add_user_option

    d = psub.add_parser("publish-data", help="publish the consultations' figures, breakdowns, survey results and "
                                             "responses as open datasets",
                        description="Write the datasets participation-consultations, participation-breakdown, "
                                    "participation-survey-results and participation-responses (CSV; created the "
                                    "first time, published by the city's first public organisation). Counts only, "
                                    "groups below the city's small-count threshold suppressed, no names, no "
                                    "free text. A new version only when the figures changed.")
    d.add_argument("city", metavar="CITY", help="city key")
    d.add_argument("--json", action="store_true", help="print what was done as JSON")
    add_user_option(d)

    k = psub.add_parser("sync-kpis", help="write the engagement KPIs' measurements for each quarter or year that "
                                          "has ended",
                        description="For each engagement KPI feed of the city (KPI, metric, quarter or year), "
                                    "compute the metric for every period that has ended and record it as the KPI's "
                                    "measurement for that period (source \"Cityline participation\"), updating "
                                    "changed values. Values entered by hand and other KPIs are left alone. Safe "
                                    "to repeat.")
    k.add_argument("city", metavar="CITY", help="city key")
    k.add_argument("--json", action="store_true", help="print what was done as JSON")
    add_user_option(k)


def _city_and_user(args):
    from cityline.accounts import operations as accounts
    from cityline.accounts.cli import acting_principal

    from . import operations
    from .cli import Refused

    city = operations.find_city(args.city)
    try:
        principal = acting_principal(args)
    except accounts.Refused as exc:
        raise operations.NotFound(str(exc)) from None
    if principal.operator:
        return city, None
    try:
        accounts.require_programme_admin(principal, city.key)
    except accounts.Refused as exc:
        raise Refused(str(exc)) from None
    return city, principal.user


def publish_data(args) -> int:
    from . import opendata

    city, user = _city_and_user(args)
    results = opendata.publish(city, user=user)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    elif not results:
        print(f"{city.key}: no public consultation yet; nothing to publish.")
    for r in results if not args.json else []:
        version = f", version {r['version']}" if r["version"] else " (figures unchanged)"
        print(f"{r['dataset']}: {r['action']}{version}")
        if r.get("problem"):
            print(f"  problem: {r['problem']}", file=sys.stderr)
    return 1 if any(r.get("problem") for r in results) else 0


def sync_kpis(args) -> int:
    from . import kpis

    city, user = _city_and_user(args)
    results = kpis.sync_engagement_kpis(city, user=user)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1))
    elif not results:
        print(f"{city.key}: no engagement KPI feed; nothing to do.")
    for r in results if not args.json else []:
        parts = [f"{len(r.created)} created", f"{len(r.updated)} updated", f"{r.unchanged} unchanged"]
        if r.removed:
            parts.append(f"{len(r.removed)} removed")
        print(f"{r.kpi} ({r.metric}, per {r.period}): " + ", ".join(parts))
        for problem in r.problems:
            print(f"  problem: {problem}", file=sys.stderr)
    return 1 if any(r.problems for r in results) else 0


HANDLERS = {"publish-data": publish_data, "sync-kpis": sync_kpis}
