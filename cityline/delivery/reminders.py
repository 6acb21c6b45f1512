"""Reminders to benefit owners (C3.a): one plain e-mail per owner listing what is overdue.

Benefit tracking dies when owners stop updating their data. The owner-engagement data
(:func:`.services.engagement`) says, per owner, which KPIs have overdue or missing data,
which plan reviews are overdue and which plan activities are late; every owner with at
least one such item gets one e-mail through Django's mail framework (``EMAIL_*``
settings). Owners without an e-mail address are reported, never silently dropped.
"""

from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cityline.core.models import City

from .services import engagement


@dataclass
class Reminder:
    person: str
    name: str
    email: str
    subject: str
    body: str
    items: int


@dataclass
class ReminderRun:
    city: str
    on: str
    reminders: list[Reminder] = field(default_factory=list)
    #: owners with something overdue but no e-mail address: (person key, name, items)
    no_email: list[tuple[str, str, int]] = field(default_factory=list)
    sent: int = 0
    #: reminders the mail server did not take: (person key, name, e-mail address, the server's answer)
    failed: list[tuple[str, str, str, str]] = field(default_factory=list)


def owner_items(owner: dict) -> list[str]:
    """The overdue items of one owner (from :func:`.services.engagement`), one plain sentence each."""
    lines: list[str] = []
    for o in owner["outcomes"]:
        for k in o["kpis"]:
            if not k["stale"]:
                continue
            if k["status"] == "no_data":
                lines.append(_("%(outcome)s: KPI “%(kpi)s” has no measurement yet.")
                             % {"outcome": o["title"], "kpi": k["title"]})
            else:
                lines.append(_("%(outcome)s: KPI “%(kpi)s” needs new data: the last value is for %(last)s "
                               "and the next one was due by %(due)s.")
                             % {"outcome": o["title"], "kpi": k["title"], "last": k["last_measured"] or "—",
                                "due": k["next_due"] or "—"})
        if o["plan_review_overdue"]:
            if o["plan_last_reviewed"]:
                lines.append(_("%(outcome)s: the realisation plan was last reviewed on %(date)s; its review was "
                               "due by %(due)s.")
                             % {"outcome": o["title"], "date": o["plan_last_reviewed"], "due": o["plan_next_review"]})
            else:
                lines.append(_("%(outcome)s: the realisation plan has never been reviewed.") % {"outcome": o["title"]})
        for a in o["overdue_actions"]:
            lines.append(ngettext("%(outcome)s: activity “%(activity)s” was due on %(due)s (%(days)s day ago).",
                                  "%(outcome)s: activity “%(activity)s” was due on %(due)s (%(days)s days ago).",
                                  a["days_overdue"])
                         % {"outcome": o["title"], "activity": a["title"], "due": a["due"], "days": a["days_overdue"]})
    return lines


def compose(owner: dict, city_name: str, on: str) -> tuple[str, str]:
    """Subject and plain-text body of one owner's reminder."""
    items = owner_items(owner)
    subject = ngettext("%(city)s: %(n)s benefit tracking item needs your attention",
                       "%(city)s: %(n)s benefit tracking items need your attention", len(items)) % {
        "city": city_name, "n": len(items)}
    body = "\n".join([
        _("Hello %(name)s,") % {"name": owner["name"]},
        "",
        _("You are the benefit owner for outcomes of %(city)s's smart city programme. On %(on)s, these items "
          "need your attention:") % {"city": city_name, "on": on},
        "",
        *[f"- {line}" for line in items],
        "",
        _("Up-to-date measurements and plans are how the programme board sees which benefits are on track "
          "and where help is needed. Please enter the new values and review your plans in the Cityline editor."),
        "",
        _("This is an automatic reminder from Cityline."),
    ])
    return subject, body + "\n"


def plan_reminders(city: City, on_date: date | None = None) -> ReminderRun:
    """Who gets which reminder, without sending anything."""
    data = engagement(city, on_date)
    run = ReminderRun(city.key, data["on"])
    for owner in data["owners"]:
        if not owner["overdue"]:
            continue
        items = len(owner_items(owner))
        if not owner["email"]:
            run.no_email.append((owner["person"], owner["name"], items))
            continue
        subject, body = compose(owner, data["city_name"], data["on"])
        run.reminders.append(Reminder(owner["person"], owner["name"], owner["email"], subject, body, items))
    return run


def send_reminders(city: City, on_date: date | None = None, *, dry_run: bool = False) -> ReminderRun:
    """Send each owner with something overdue one e-mail (none when ``dry_run``).

    Each reminder is sent on its own: an address the mail server refuses, or a server that cannot be
    reached, is recorded in ``failed`` with the server's answer and the other owners still get theirs,
    so a second run does not mail again the owners who already had it from the first.
    """
    run = plan_reminders(city, on_date)
    if dry_run or not run.reminders:
        return run
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        run.failed = [(r.person, r.name, r.email, _mail_error(exc)) for r in run.reminders]
        return run
    try:
        for r in run.reminders:
            message = EmailMessage(r.subject, r.body, settings.DEFAULT_FROM_EMAIL, [r.email], connection=connection)
            try:
                run.sent += connection.send_messages([message]) or 0
            except (OSError, smtplib.SMTPException, BadHeaderError) as exc:
                run.failed.append((r.person, r.name, r.email, _mail_error(exc)))
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            pass  # the messages are already handed over; a failing QUIT changes nothing for them
    return run


def _mail_error(exc: Exception) -> str:
    """The mail server's answer (or the connection error) in one line."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
                         for addr, (code, msg) in exc.recipients.items())
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def cli_remind(args) -> int:
    """``cityline benefits remind [--city KEY] [--on DATE] [--dry-run]``."""
    from cityline.benefits.services import resolve_city

    try:
        city = resolve_city(args.city)
        on_date = date.fromisoformat(args.on) if getattr(args, "on", None) else None
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError:
        print(f"error: --on {args.on!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    run = send_reminders(city, on_date, dry_run=args.dry_run)
    for r in run.reminders:
        print(f"{'would send' if args.dry_run else 'sent'} to {r.name} <{r.email}>: {r.items} item(s)")
        if args.dry_run:
            print("    " + r.body.replace("\n", "\n    ").rstrip())
    for key, name, items in run.no_email:
        print(f"not sent: {name} ({key}) has {items} overdue item(s) but no e-mail address", file=sys.stderr)
    for _key, name, email, error in run.failed:
        print(f"not sent: {name} <{email}>: {error}", file=sys.stderr)
    if not run.reminders and not run.no_email:
        print(f"nothing overdue for any benefit owner of {city.key} on {run.on}")
    elif not args.dry_run:
        failed = f", {len(run.failed)} could not be sent" if run.failed else ""
        print(f"{run.sent} reminder(s) sent{failed}, {len(run.no_email)} owner(s) without an e-mail address")
    return 1 if run.failed else 0
