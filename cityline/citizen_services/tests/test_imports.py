"""CSV import of the channel audit (B11.a): all or nothing, problems named by file, line and column."""

from decimal import Decimal as D

import pytest

from cityline.benefits.imports import CsvImportError
from cityline.citizen_services.imports import import_audit
from cityline.citizen_services.models import ChannelAudit
from cityline.citizen_services.testing import make_services_city
from cityline.cli import main

pytestmark = pytest.mark.django_db

HEADER = "service,channel,year,quarter,transactions,total_cost,completion_rate,satisfaction,service_level_met\n"


def snapshot():
    return sorted(ChannelAudit.objects.values_list("service__key", "channel__key", "year", "quarter", "transactions",
                                                   "total_cost", "completion_rate", "satisfaction",
                                                   "service_level_met", "version"))


def write(tmp_path, text, name="audit.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_updates_and_is_idempotent(tmp_path):
    city, r = make_services_city()
    path = write(tmp_path, HEADER + "bins,phone,2025,1,410,1640.00,90,75.5,81\n"
                                    "bins,web,2025,2,700,98.00,,,99.5\n")
    summary = import_audit(path, city)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 0)
    row = ChannelAudit.objects.get(service=r["bins"], channel=r["phone"], year=2025, quarter=1)
    assert (row.transactions, row.total_cost, row.completion_rate, row.satisfaction, row.service_level_met) == (
        410, D("1640.00"), D("90.00"), D("75.50"), D("81.00"))
    new = ChannelAudit.objects.get(service=r["bins"], channel=r["web"], year=2025, quarter=2)
    assert new.completion_rate is None and new.cost_per_transaction == D("0.1400")
    assert new.history.first().history_change_reason == "CSV import of audit.csv"
    again = import_audit(path, "testville")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize("body, expected", [
    ("bins,phone,2025,1,410,1640.00,,,\nbins,fax,2025,1,1,1.00,,,\n", ("line 3", "column channel", "no channel")),
    ("nope,phone,2025,1,1,1.00,,,\n", ("line 2", "column service", "no service with key 'nope'")),
    ("bins,phone,2025,5,1,1.00,,,\n", ("line 2", "column quarter", "between 1 and 4")),
    ("bins,phone,2025,1,-3,1.00,,,\n", ("line 2", "column transactions", "not a whole number")),
    ("bins,phone,2025,1,3,1.005,,,\n", ("line 2", "column total_cost", "more than two decimals")),
    ("bins,phone,2025,1,3,12,101,,\n", ("line 2", "column completion_rate", "between 0 and 100")),
    ("bins,phone,2025,1,3,1.00,,abc,\n", ("line 2", "column satisfaction", "not a number")),
    ("bins,web,2025,3,1,1.00,,,\nbins,web,2025,3,2,2.00,,,\n", ("line 3", "column quarter", "first is on line 2")),
    ("bins,phone,2025,1,3\n", ("line 2", "5 cells where the header has 9")),
])
def test_bad_rows_change_nothing_and_name_line_and_column(tmp_path, body, expected):
    city, r = make_services_city()
    before = snapshot()
    path = write(tmp_path, HEADER + body)
    with pytest.raises(CsvImportError) as exc:
        import_audit(path, city)
    text = str(exc.value)
    assert "audit.csv" in text and "nothing was imported" in text
    for part in expected:
        assert part in text
    assert snapshot() == before


def test_missing_and_unknown_columns(tmp_path):
    city, r = make_services_city()
    path = write(tmp_path, "service,channel,year,quarter,transactions,colour\nbins,web,2025,1,1,red\n")
    with pytest.raises(CsvImportError) as exc:
        import_audit(path, city)
    text = str(exc.value)
    assert "line 1, column total_cost: missing column" in text
    assert "line 1, column colour: unknown column" in text


def test_cli_reports_problems_and_exits_1(tmp_path, capsys):
    city, r = make_services_city()
    before = snapshot()
    path = write(tmp_path, HEADER + "bins,phone,2025,1,1,1.00,,,\nbins,phone,2025,x,1,1.00,,,\n")
    assert main(["services", "import-audit", str(path), "--city", "testville"]) == 1
    err = capsys.readouterr().err
    assert "audit.csv, line 3, column quarter" in err
    assert snapshot() == before
    good = write(tmp_path, HEADER + "bins,phone,2025,2,5,10.00,,,\n", "good.csv")
    assert main(["services", "import-audit", str(good)]) == 0
    assert "1 channel audit rows — 1 created" in capsys.readouterr().out
