"""Owner engagement and reminders (C3.a): how current each benefit owner's data and plans are, and one e-mail each."""

from datetime import date

import pytest
from django.core import mail

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
    assert m.subject == "Testville: 2 benefit tracking item(s) need your attention"
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
