"""CSV import of the channel audit (B11.a): all or nothing, problems named by file, line and column."""

from decimal import Decimal as D

import pytest

from cityline.benefits.imports import CsvImportError
from cityline.citizen_services.imports import import_audit
from cityline.citizen_services.models import ChannelAudit
from cityline.citizen_services.testing import make_services_city
from cityline.cli import main
from cityline.core import actions

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


def test_optional_columns_left_out_keep_what_is_stored(tmp_path):
    """A file of volumes and costs alone must not clear the rates already recorded for a quarter (B11.a)."""
    city, r = make_services_city()
    stored = ChannelAudit.objects.get(service=r["bins"], channel=r["phone"], year=2025, quarter=1)
    stored.completion_rate, stored.satisfaction = D("91.00"), D("72.50")
    actions.save(stored)
    path = write(tmp_path, "service,channel,year,quarter,transactions,total_cost,satisfaction\n"
                           "bins,phone,2025,1,420,1680.00,70\n"
                           "bins,phone,2025,2,10,40.00,\n")
    summary = import_audit(path, city)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 0)
    stored.refresh_from_db()
    # completion_rate and service_level_met are not in the file: kept; satisfaction is: replaced
    assert (stored.transactions, stored.total_cost, stored.completion_rate, stored.satisfaction,
            stored.service_level_met) == (420, D("1680.00"), D("91.00"), D("70.00"), D("80.00"))
    new = ChannelAudit.objects.get(service=r["bins"], channel=r["phone"], year=2025, quarter=2)
    assert (new.completion_rate, new.satisfaction, new.service_level_met) == (None, None, None)
    # an empty cell in a column the file has still means "unknown"
    blank = write(tmp_path, HEADER + "bins,phone,2025,1,420,1680.00,,70,\n", "blank.csv")
    import_audit(blank, city)
    stored.refresh_from_db()
    assert (stored.completion_rate, stored.satisfaction, stored.service_level_met) == (None, D("70.00"), None)


@pytest.mark.parametrize("body, expected", [
    ("bins,phone,2025,2,1,1e30,,,\n", ("line 2", "column total_cost", "too large")),
    ("bins,phone,2025,2,1,123456789012345.00,,,\n", ("line 2", "column total_cost", "too large")),
    ("bins,phone,2025,2,²,1.00,,,\n", ("line 2", "column transactions", "'²' is not a whole number")),
    ("bins,phone,2025,2,3000000000,1.00,,,\n", ("line 2", "column transactions", "out of range")),
])
def test_odd_numbers_are_refused_with_file_line_and_column_not_a_traceback(tmp_path, body, expected):
    city, r = make_services_city()
    before = snapshot()
    path = write(tmp_path, HEADER + body)
    with pytest.raises(CsvImportError) as exc:
        import_audit(path, city)
    text = str(exc.value)
    assert "audit.csv" in text and "nothing was imported" in text
    for part in expected:
        assert part in text, text
    assert snapshot() == before


def _scenario(city, r):
    from cityline.citizen_services.models import ChannelShiftScenario

    return actions.create(ChannelShiftScenario, city=city, key="bins-web", name="Bins online", service=r["bins"],
                          from_channel=r["phone"], to_channel=r["web"], share_moved=D("50"), years=2,
                          baseline_year=2025, set_aside=D("20"))


def test_import_recomputes_the_scenarios_whose_baseline_year_it_changes(tmp_path):
    """B11.b: saved savings follow the audit they are computed from, as a pack import of the same audit gives."""
    city, r = make_services_city()
    s = _scenario(city, r)
    assert s.annual_saving == D("770.00")  # 200 moved x (4.0000 - 0.1500)
    path = write(tmp_path, HEADER + "bins,phone,2025,1,400,2000.00,,,80\n")
    import_audit(path, city)
    s.refresh_from_db()
    # phone now costs 2000 / 400 = 5.0000: 200 x (5.0000 - 0.1500) = 970.00
    assert (s.used_from_unit_cost, s.annual_saving) == (D("5.0000"), D("970.00"))
    assert s.history.first().history_change_reason == "CSV import of audit.csv"
    # a year no scenario starts from leaves the scenarios alone
    version = s.version
    import_audit(write(tmp_path, HEADER + "bins,phone,2024,4,1,1.00,,,\n", "old.csv"), city)
    s.refresh_from_db()
    assert s.version == version


def test_import_that_would_break_a_scenario_is_refused_naming_it(tmp_path):
    city, r = make_services_city()
    s = _scenario(city, r)
    before = snapshot()
    path = write(tmp_path, HEADER + "bins,phone,2025,1,0,0.00,,,\n")
    with pytest.raises(CsvImportError) as exc:
        import_audit(path, city)
    text = str(exc.value)
    assert "audit.csv" in text and "channel-shift scenario 'bins-web'" in text and "baseline_year" in text, text
    assert snapshot() == before
    s.refresh_from_db()
    assert s.annual_saving == D("770.00")
