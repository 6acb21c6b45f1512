"""``cityline services import-audit --user NAME``: the acting user's roles decide, row by row (B11.a, B10).

As ``benefits import-measurements`` does: ``--user`` or ``CITYLINE_USER`` names the user; without either the
local operator imports. A refused row refuses the file (exit 2), naming its line; nothing is written.
"""

from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model

from cityline.accounts.testing import grant
from cityline.benefits.imports import CsvImportRefused
from cityline.citizen_services.imports import import_audit
from cityline.citizen_services.models import ChannelAudit, ChannelShiftScenario
from cityline.citizen_services.testing import make_services_city
from cityline.cli import main
from cityline.core import actions
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db

HEADER = "service,channel,year,quarter,transactions,total_cost\n"


def snapshot():
    return sorted(ChannelAudit.objects.values_list("city__key", "service__key", "channel__key", "year", "quarter",
                                                   "transactions", "total_cost", "version"))


def write(tmp_path, text, name="audit.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def world():
    city, r = make_services_city()
    other = make_city("otherville", "Otherville")
    users = get_user_model().objects
    r["outsider"] = users.create_user("olga", password="x")  # programme administrator of another city
    grant(r["outsider"], "programme_admin", city=other)
    r["clerk"] = users.create_user("carl", password="x")  # a contributor of the council: not enough
    grant(r["clerk"], "contributor", organisation=r["council"])
    r["admin"] = users.create_user("pam", password="x")
    grant(r["admin"], "programme_admin", city=city)
    return city, r


def test_another_citys_administrator_is_refused_naming_the_line(world, tmp_path, capsys):
    city, _r = world
    before = snapshot()
    path = write(tmp_path, HEADER + "bins,phone,2025,1,410,1640.00\nbins,web,2025,2,700,98.00\n")
    assert main(["services", "import-audit", str(path), "--city", city.key, "--user", "olga"]) == 2
    err = capsys.readouterr().err
    assert "audit.csv, line 2" in err and "audit.csv, line 3" in err
    assert "olga may not" in err and "nothing was imported" in err
    assert snapshot() == before


def test_cityline_user_names_the_acting_user(world, tmp_path, capsys, monkeypatch):
    city, r = world
    before = snapshot()
    path = write(tmp_path, HEADER + "bins,phone,2025,1,410,1640.00\n")
    monkeypatch.setenv("CITYLINE_USER", "carl")
    assert main(["services", "import-audit", str(path), "--city", city.key]) == 2
    assert "carl may not" in capsys.readouterr().err
    assert snapshot() == before
    monkeypatch.setenv("CITYLINE_USER", "nobody")
    assert main(["services", "import-audit", str(path), "--city", city.key]) == 2
    assert "nobody" in capsys.readouterr().err
    assert snapshot() == before


def test_the_citys_administrator_imports_and_the_history_names_them(world, tmp_path, capsys):
    city, r = world
    scenario = actions.create(ChannelShiftScenario, city=city, key="bins-web", name="Bins online", service=r["bins"],
                              from_channel=r["phone"], to_channel=r["web"], share_moved=D("50"), years=2,
                              baseline_year=2025, set_aside=D("20"))
    path = write(tmp_path, HEADER + "bins,phone,2025,1,400,2000.00\nbins,web,2025,2,700,98.00\n")
    assert main(["services", "import-audit", str(path), "--city", city.key, "--user", "pam"]) == 0
    assert "2 channel audit rows — 1 created, 1 updated" in capsys.readouterr().out
    row = ChannelAudit.objects.get(service=r["bins"], channel=r["phone"], year=2025, quarter=1)
    assert row.history.first().history_user == r["admin"]
    scenario.refresh_from_db()
    assert scenario.annual_saving != D("770.00") and scenario.history.first().history_user == r["admin"]


def test_rows_that_change_nothing_are_not_asked_about(world, tmp_path):
    """A row repeating what is stored writes nothing, so it needs no right (as for measurements)."""
    city, r = world
    same = write(tmp_path, HEADER + "bins,phone,2025,1,400,1600.00\n")
    summary = import_audit(same, city, user=r["clerk"])
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    with pytest.raises(CsvImportRefused, match=r"line 2.*carl may not change channel audit"):
        import_audit(write(tmp_path, HEADER + "bins,phone,2025,1,401,1600.00\n", "b.csv"), city, user=r["clerk"])


def test_without_user_the_local_operator_imports(world, tmp_path, monkeypatch):
    city, _r = world
    monkeypatch.delenv("CITYLINE_USER", raising=False)
    path = write(tmp_path, HEADER + "bins,phone,2025,2,5,10.00\n")
    assert main(["services", "import-audit", str(path), "--city", city.key]) == 0
    row = ChannelAudit.objects.get(service__key="bins", channel__key="phone", year=2025, quarter=2)
    assert row.history.first().history_user is None
