"""``cityline participation``: close consultations on their date, list them, publish a response (B1.b, B3).

``publish-data`` and ``sync-kpis`` (engagement figures as open data and KPI values) live in
:mod:`.metrics_cli`.

Thin shells over :mod:`.services` and :mod:`.operations`. Exit status: 0 done, 1 refused (the
message names the consultation and the reason; nothing was changed), 2 unknown city,
consultation or user.

The commands that write act as the local operator, or with ``--user NAME`` (or
``CITYLINE_USER``) as that user, checked by the one authorisation layer (B10): closing or
publishing needs ``change`` on the consultation (its organiser's contributors, the city's
programme administrators).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date


def add_parser(sub) -> None:
    from cityline.accounts.cli import add_user_option

    p = sub.add_parser(
        "participation", help="public participation: close consultations on their date, list them, publish "
                              "the response",
        description="Run the city's consultations from the command line: close the ones whose closing date has "
                    "passed (schedule `cityline participation tick` daily), list them with their figures, and "
                    "publish a consultation's response, which tells the participants who asked. See "
                    "docs/participation.md.")
    psub = p.add_subparsers(dest="participation_command", metavar="ACTION")
    psub.required = True

    t = psub.add_parser("tick", help="close every open consultation whose closing date has passed (run daily)",
                        description="Close every open consultation whose closing date is before today (or --on), "
                                    "in every city or only CITY, and print each one closed. Safe to repeat.")
    t.add_argument("city", metavar="CITY", nargs="?", help="city key (default: every city)")
    t.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the day to run as (default today)")
    add_user_option(t)

    ls = psub.add_parser("list", help="the city's consultations with status, dates, participants and contributions",
                         description="Every consultation of the city, newest first: key, status, opening and "
                                     "closing dates, participants and contributions (drafts included: this is "
                                     "for staff).")
    ls.add_argument("city", metavar="CITY", help="city key")
    ls.add_argument("--json", action="store_true", help="print the list as JSON")

    pr = psub.add_parser("publish-response", help="publish a closed consultation's response and tell the "
                                                  "participants who asked",
                         description="Publish the response (\"you said, we did\") of consultation KEY: it must be "
                                     "closed and its response written with at least one item. The consultation "
                                     "becomes responded and participants who asked are e-mailed.")
    pr.add_argument("city", metavar="CITY", help="city key")
    pr.add_argument("key", metavar="KEY", help="consultation key")
    pr.add_argument("--no-notify", action="store_true", help="do not e-mail the participants")
    add_user_option(pr)

    from .metrics_cli import add_parsers as add_metrics_parsers  # publish-data, sync-kpis (B3)

    add_metrics_parsers(psub)
    p.set_defaults(func=run)


class Refused(Exception):
    pass


def run(args: argparse.Namespace) -> int:
    from cityline.cli import _migrate

    _migrate()
    from . import metrics_cli, operations

    handlers = {"tick": _tick, "list": _list, "publish-response": _publish, **metrics_cli.HANDLERS}
    try:
        return handlers[args.participation_command](args)
    except operations.NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"error: {exc}; nothing was changed", file=sys.stderr)
        return 1


def _principal(args):
    from cityline.accounts import operations as accounts

    from . import operations

    from cityline.accounts.cli import acting_principal

    try:
        return acting_principal(args)
    except accounts.Refused as exc:
        raise operations.NotFound(str(exc)) from None


def _require_change(principal, consultation) -> None:
    from cityline.accounts import authz

    if not authz.can(principal, "change", consultation):
        raise Refused(f"{principal.label()} may not change consultation {consultation.key!r} of "
                      f"{consultation.city.key} (it is run by {consultation.organiser}): that needs a contributor "
                      "of the organiser or a programme administrator")


def _problem(exc) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {m}" if field != "__all__" else m
                         for field, msgs in exc.message_dict.items() for m in msgs)
    return " ".join(getattr(exc, "messages", [str(exc)]))


def _tick(args) -> int:
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from . import operations, services
    from .choices import ConsultationStatus
    from .models import Consultation

    principal = _principal(args)
    city = operations.find_city(args.city) if args.city else None
    day = args.on or services.today()
    qs = Consultation.objects.filter(status=ConsultationStatus.OPEN, closes_on__lt=day).select_related(
        "city", "organiser")
    if city is not None:
        qs = qs.filter(city=city)
    due = list(qs.order_by("city__key", "closes_on", "key"))
    for consultation in due:
        _require_change(principal, consultation)
    user = None if principal.operator else principal.user
    failed = 0
    for consultation in due:
        try:
            with transaction.atomic():
                services.close_consultation(consultation, user=user, on=consultation.closes_on)
        except ValidationError as exc:
            failed += 1
            print(f"error: {consultation.city.key}/{consultation.key}: not closed: {_problem(exc)}", file=sys.stderr)
            continue
        print(f"closed {consultation.city.key}/{consultation.key} ({consultation.title}), closing date "
              f"{consultation.closes_on.isoformat()}")
    where = f"in {city.key}" if city is not None else "in any city"
    if not due:
        print(f"No open consultation {where} is past its closing date on {day.isoformat()}.")
    return 1 if failed else 0


def _list(args) -> int:
    from . import operations

    city = operations.find_city(args.city)
    rows = operations.consultation_rows(city)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return 0
    if not rows:
        print(f"{city.key}: no consultation yet.")
        return 0
    header = ("key", "status", "opens", "closes", "participants", "contributions", "title")
    table = [header] + [(r["key"], r["status"], r["opens_on"].isoformat(), r["closes_on"].isoformat(),
                         str(r["participants"]), str(r["contributions"]), r["title"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(cell.ljust(w) if i < 4 else cell.rjust(w) for i, (cell, w) in
                        enumerate(zip(row[:-1], widths))) + "  " + row[-1])
    return 0


def _publish(args) -> int:
    from django.core.exceptions import ValidationError

    from . import operations, services

    principal = _principal(args)
    city = operations.find_city(args.city)
    consultation = operations.find_consultation(city, args.key)
    _require_change(principal, consultation)
    user = None if principal.operator else principal.user
    try:
        response = services.publish_response(consultation, user=user, notify=not args.no_notify)
    except ValidationError as exc:
        raise Refused(f"the response of {city.key}/{consultation.key} ({consultation.title}) was not published: "
                      f"{_problem(exc)}") from None
    told = "" if args.no_notify else "; participants who asked are e-mailed"
    print(f"published the response of {city.key}/{consultation.key} ({consultation.title}) on "
          f"{response.published_on.isoformat()}: {response.items.count()} items{told}")
    return 0
