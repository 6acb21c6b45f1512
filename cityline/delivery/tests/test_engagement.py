"""Owner engagement and reminders (C3.a): how current each benefit owner's data and plans are, and one e-mail each."""

import smtplib
from datetime import date

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.test import override_settings

from cityline.cli import main
from cityline.core import actions
from cityline.delivery.reminders import send_reminders
from cityline.delivery.services import engagement
from cityline.delivery.testing import ON, make_delivery_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def made():
    return make_delivery_city()


def test_engagement_per_owner(made):
    city, _n, _r = made
    data = engagement(city, ON)
    owners = {o["name"]: o for o in data["owners"]}
    assert list(owners) == ["Ada Owner", "Bo Builder"]
    ada = owners["Ada Owner"]
    assert [o["node"] for o in ada["outcomes"]] == ["cleaner-air"]
    air = ada["outcomes"][0]
    assert air["status"] == "at_risk" and air["plan"] == "air-plan"
    assert [(k["kpi"], k["stale"], k["last_measured"]) for k in air["kpis"]] == [("no2", False, "2025-12-31")]
    assert air["plan_last_reviewed"] == "2025-06-01" and air["plan_next_review"] == "2025-08-30"
    assert air["plan_review_overdue"] is True
    assert [a["key"] for a in air["overdue_actions"]] == ["sensors"]
    assert ada["overdue"] == 2
    # Bo owns the plan of quiet-streets (which has no benefit owner); nothing is overdue for him yet
    bo = owners["Bo Builder"]
    assert [o["node"] for o in bo["outcomes"]] == ["quiet-streets"] and bo["overdue"] == 0 and bo["email"] == ""


def test_stale_data_counts_once_the_next_value_is_overdue(made):
    city, _n, _r = made
    later = engagement(city, date(2027, 9, 1))
    air = next(o for o in later["owners"] if o["name"] == "Ada Owner")["outcomes"][0]
    no2 = air["kpis"][0]
    assert (no2["status"], no2["stale"]) == ("data_overdue", True)
    assert [a["key"] for a in air["overdue_actions"]] == ["sensors", "zones"]


def test_reminders_one_mail_per_owner_with_something_overdue(made, mailoutbox):
    city, _n, r = made
    actions.update(r["streets-plan"], last_reviewed=date(2025, 1, 1))  # Bo is now late too, but has no e-mail
    run = send_reminders(city, ON)
    assert run.sent == 1 and len(mailoutbox) == 1
    m = mailoutbox[0]
    assert m.to == ["ada@example.org"]
    assert m.subject == "Testville: 2 benefit tracking items need your attention"
    assert "Hello Ada Owner," in m.body
    assert "- cleaner air: the realisation plan was last reviewed on 2025-06-01; its review was due by 2025-08-30." in m.body
    assert "- cleaner air: activity “Install air sensors” was due on 2025-12-31 (60 days ago)." in m.body
    assert "Low-emission zones" not in m.body  # not overdue
    assert run.no_email == [("bo-builder", "Bo Builder", 1)]


def test_nobody_is_mailed_when_nothing_is_overdue(made, mailoutbox):
    city, _n, r = made
    actions.update(r["air-plan"], last_reviewed=date(2026, 2, 1))
    actions.update(r["sensors"], status="done")
    run = send_reminders(city, ON)
    assert run.reminders == [] and run.no_email == [] and mailoutbox == []


def test_cli_dry_run_sends_nothing_and_reports_owners_without_e_mail(made, capsys):
    _city, _n, r = made
    actions.update(r["streets-plan"], last_reviewed=date(2025, 1, 1))
    assert main(["benefits", "remind", "--city", "testville", "--on", "2026-03-01", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert len(mail.outbox) == 0
    assert "would send to Ada Owner <ada@example.org>: 2 item(s)" in out and "Install air sensors" in out
    assert "not sent: Bo Builder (bo-builder) has 1 overdue item(s) but no e-mail address" in err
    assert main(["benefits", "remind", "--city", "testville", "--on", "2026-03-01"]) == 0
    assert len(mail.outbox) == 1 and "1 reminder(s) sent" in capsys.readouterr().out


class RefusingBackend(locmem.EmailBackend):
    """The test outbox, refusing ada@example.org as a mail server refuses a dead mailbox."""

    def send_messages(self, messages):
        for m in messages:
            if "ada@example.org" in m.to:
                raise smtplib.SMTPRecipientsRefused({"ada@example.org": (550, b"mailbox unavailable")})
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="cityline.delivery.tests.test_engagement.RefusingBackend")
def test_a_refused_address_does_not_stop_the_other_reminders(made, capsys):
    """One refused address stopped the run with a traceback: owners after it got nothing, those before it got
    their e-mail again when the run was repeated, and nobody was told which address failed."""
    city, _n, r = made
    actions.update(r["streets-plan"].owner, email="bo@example.org")
    actions.update(r["streets-plan"], last_reviewed=date(2025, 1, 1))  # Bo has something overdue too
    run = send_reminders(city, ON)
    assert [m.to for m in mail.outbox] == [["bo@example.org"]] and run.sent == 1
    assert [(f[0], f[2]) for f in run.failed] == [("ada-owner", "ada@example.org")]
    assert "mailbox unavailable" in run.failed[0][3]
    mail.outbox.clear()
    assert main(["benefits", "remind", "--city", "testville", "--on", "2026-03-01"]) == 1
    out, err = capsys.readouterr()
    assert "not sent: Ada Owner <ada@example.org>:" in err and "mailbox unavailable" in err
    assert "1 reminder(s) sent" in out and "1 could not be sent" in out and len(mail.outbox) == 1


@override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=9, EMAIL_TIMEOUT=5,
                   EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
def test_an_unreachable_mail_server_is_a_clear_error(made, capsys):
    assert main(["benefits", "remind", "--city", "testville", "--on", "2026-03-01"]) == 1
    out, err = capsys.readouterr()
    assert "not sent: Ada Owner <ada@example.org>:" in err and "Traceback" not in err


def test_one_item_and_one_day_are_written_in_the_singular(made, mailoutbox):
    """The e-mail said "1 benefit tracking item(s) need" and "(1 days ago)"."""
    city, _n, r = made
    actions.update(r["air-plan"], last_reviewed=date(2026, 2, 1))
    send_reminders(city, date(2026, 1, 1))
    [m] = mailoutbox
    assert m.subject == "Testville: 1 benefit tracking item needs your attention"
    assert "- cleaner air: activity “Install air sensors” was due on 2025-12-31 (1 day ago)." in m.body


def test_last_measurement_is_the_last_one_known_on_the_date(made):
    """Looked at on a past date, the page (and the reminder) gave a measurement made after that date as the last."""
    city, _n, _r = made
    earlier = engagement(city, date(2024, 3, 1))
    air = next(o for o in earlier["owners"] if o["name"] == "Ada Owner")["outcomes"][0]
    assert [(k["kpi"], k["last_measured"]) for k in air["kpis"]] == [("no2", "2023-12-31")]
    before_any = engagement(city, date(2020, 6, 1))
    air = next(o for o in before_any["owners"] if o["name"] == "Ada Owner")["outcomes"][0]
    assert air["kpis"][0]["last_measured"] is None
