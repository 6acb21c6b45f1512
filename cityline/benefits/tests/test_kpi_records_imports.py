"""CSV imports of measurements and licensed indicator lists (C2.b, C2.c, C2.f): all or nothing,
every problem named by file, line and column; and the ``cityline benefits`` commands."""

from datetime import date
from decimal import Decimal

import pytest

from cityline import cli
from cityline.benefits import catalogue
from cityline.benefits.imports import CsvImportError, CsvImportRefused, import_indicators, import_measurements
from cityline.benefits.models import Indicator, Kpi, Measurement
from cityline.core import actions
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db

GOOD = """kpi,period_end,value,source,quality
air,2021-12-31,17.5,monitoring network,ok
air,2022-12-31,16.25,monitoring network,provisional
bikes,2022-06-30,12,travel survey,
"""


@pytest.fixture
def city():
    city = make_city()
    for key in ("air", "bikes"):
        actions.create(Kpi, city=city, key=key, title=key.title(), kind="outcome")
    # a value already stored, which a refused file must not touch
    actions.create(Measurement, city=city, kpi=Kpi.objects.get(key="air"), period_end=date(2020, 12, 31),
                   value=Decimal("18"))
    return city


def write(tmp_path, text, name="values.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored():
    return sorted((m.kpi.key, m.period_end.isoformat(), str(m.value), m.quality, m.version)
                  for m in Measurement.objects.select_related("kpi"))


def test_a_good_file_is_imported_and_reimporting_changes_nothing(city, tmp_path):
    path = write(tmp_path, GOOD)
    summary = import_measurements(path, city)
    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
    assert str(summary) == "values.csv: 3 measurements — 3 created, 0 updated, 0 unchanged"
    m = Measurement.objects.get(kpi__key="air", period_end=date(2022, 12, 31))
    assert (m.value, m.quality, m.source) == (Decimal("16.25"), "provisional", "monitoring network")
    assert Measurement.objects.get(kpi__key="bikes").quality == "ok"  # blank quality: ok
    assert m.history.first().history_change_reason == "CSV import of values.csv"
    again = import_measurements(path, city.key)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_a_corrected_value_updates_the_stored_one(city, tmp_path):
    import_measurements(write(tmp_path, "kpi,period_end,value\nair,2020-12-31,18.4\n"), city)
    assert Measurement.objects.get(kpi__key="air", period_end=date(2020, 12, 31)).value == Decimal("18.4")


def test_columns_a_file_leaves_out_keep_what_is_stored(city, tmp_path):
    """A file of values alone neither clears a measurement's source and note nor takes back its "bad" flag
    (which would let the status and forecast use a value the city rejected, C2.b); a column the file has
    replaces the stored content, an empty quality cell meaning ok."""
    from cityline.benefits.realisation import kpi_queryset, kpi_reports

    air = Kpi.objects.get(key="air")
    actions.create(Measurement, city=city, kpi=air, period_end=date(2021, 12, 31), value=Decimal("30"), quality="bad",
                   source="roadside sensor", note="sensor fault: the operator rejected this value")

    def latest_used():
        return kpi_reports(kpi_queryset(city).filter(key="air"), date(2022, 6, 30))[0].status.actual_date

    assert latest_used() == date(2020, 12, 31)
    summary = import_measurements(write(tmp_path, "kpi,period_end,value\nair,2021-12-31,17.9\n"), city)
    assert (summary.created, summary.updated) == (0, 1)
    m = Measurement.objects.get(kpi=air, period_end=date(2021, 12, 31))
    assert (m.value, m.quality, m.source, m.note) == (
        Decimal("17.9"), "bad", "roadside sensor", "sensor fault: the operator rejected this value")
    assert latest_used() == date(2020, 12, 31)  # still left out of the status
    new = Measurement.objects.get(kpi=air, period_end=date(2020, 12, 31))
    assert (new.quality, new.source, new.note) == ("ok", "", "")

    recheck = "kpi,period_end,value,quality,note\nair,2021-12-31,17.9,,checked again\n"
    import_measurements(write(tmp_path, recheck), city)
    m.refresh_from_db()
    assert (m.quality, m.source, m.note) == ("ok", "roadside sensor", "checked again")
    assert latest_used() == date(2021, 12, 31)


@pytest.mark.parametrize("text,expected", [
    # unknown KPI
    ("kpi,period_end,value\nair,2021-12-31,1\nwater,2021-12-31,2\n",
     ["values.csv, line 3, column kpi: no KPI with key 'water' in city 'testville'"]),
    # bad date
    ("kpi,period_end,value\nair,31/12/2021,1\n",
     ["values.csv, line 2, column period_end: '31/12/2021' is not a date: write it as YYYY-MM-DD"]),
    ("kpi,period_end,value\nair,2021-02-30,1\n",
     ["values.csv, line 2, column period_end: '2021-02-30' is not a date: write it as YYYY-MM-DD"]),
    # not a number
    ("kpi,period_end,value\nair,2021-12-31,\"1,5\"\n",
     ["values.csv, line 2, column value: '1,5' is not a number (use a dot for decimals, no thousands separators)"]),
    ("kpi,period_end,value\nair,2021-12-31,NaN\n", ["values.csv, line 2, column value: 'NaN' is not a finite number"]),
    ("kpi,period_end,value\nair,2021-12-31,\n", ["values.csv, line 2, column value: '' is not a number"]),
    # duplicate row
    ("kpi,period_end,value\nair,2021-12-31,1\nbikes,2021-12-31,1\nair,2021-12-31,2\n",
     ["values.csv, line 4, column period_end: a second value for KPI 'air' and period 2021-12-31 "
      "(the first is on line 2); keep one value per period"]),
    # missing and unknown columns
    ("kpi,value\nair,1\n", ["values.csv, line 1, column period_end: missing column"]),
    ("kpi,period_end,value,colour\nair,2021-12-31,1,red\n", ["values.csv, line 1, column colour: unknown column"]),
    # unknown quality flag
    ("kpi,period_end,value,quality\nair,2021-12-31,1,dubious\n",
     ["values.csv, line 2, column quality: unknown quality 'dubious'"]),
    # a model rule (too many decimal places) is reported on its row and column too
    ("kpi,period_end,value\nair,2021-12-31,1.1234567\n", ["values.csv, line 2, column value:"]),
    # a row with a missing cell
    ("kpi,period_end,value\nair,2021-12-31\n", ["values.csv, line 2: 2 cells where the header has 3"]),
])
def test_bad_input_is_named_and_nothing_is_written(city, tmp_path, text, expected):
    before = stored()
    with pytest.raises(CsvImportError) as err:
        import_measurements(write(tmp_path, text), city)
    problems = [str(p) for p in err.value.problems]
    for want in expected:
        assert any(p.startswith(want) for p in problems), problems
    assert "nothing was imported" in str(err.value)
    assert stored() == before


def test_every_problem_is_reported_and_good_rows_are_not_written_either(city, tmp_path):
    text = "kpi,period_end,value\nair,2021-12-31,1\nwater,2021-12-31,2\nbikes,someday,3\nbikes,2022-12-31,x\n"
    before = stored()
    with pytest.raises(CsvImportError) as err:
        import_measurements(write(tmp_path, text), city)
    assert [(p.line, p.column) for p in err.value.problems] == [(3, "kpi"), (4, "period_end"), (5, "value")]
    assert stored() == before


def test_a_file_that_is_not_utf8_or_empty_is_refused(city, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("kpi,period_end,value,note\nair,2021-12-31,1,café\n".encode("latin-1"))
    with pytest.raises(CsvImportError, match="latin1.csv: not UTF-8 text"):
        import_measurements(path, city)
    with pytest.raises(CsvImportError, match="empty.csv, line 1: the file is empty"):
        import_measurements(write(tmp_path, "", "empty.csv"), city)
    with pytest.raises(CsvImportError, match="no city with key 'atlantis'"):
        import_measurements(write(tmp_path, GOOD), "atlantis")


# --- licensed indicator lists ------------------------------------------------------------------

LIST = """id,name,theme,type,edition,source
5.1,Example smart economy indicator,Economy,core,ISO 37122:2019,our licensed copy
5.2,Another example,Economy,supporting,ISO 37122:2019,our licensed copy
"""


def test_a_licensed_list_loads_into_the_catalogue(tmp_path):
    summary = import_indicators(write(tmp_path, LIST, "iso37122.csv"))
    assert (summary.created, summary.rows) == (2, 2)
    entry = Indicator.objects.get(source="iso37122", code="5.1")
    assert (entry.name, entry.indicator_type, entry.edition, entry.licensed, entry.reference) == (
        "Example smart economy indicator", "core", "ISO 37122:2019", True, "our licensed copy")
    renamed = import_indicators(write(tmp_path, LIST.replace("Another example", "Renamed"), "iso37122.csv"))
    assert (renamed.created, renamed.updated, renamed.unchanged) == (0, 1, 1)


H = "id,name,theme,type,edition\n"
GOOD_ROW = "9.9,A good row,Economy,core,ISO 37123:2019\n"  # line 2 of each file below: not written either


@pytest.mark.parametrize("text,expected", [
    ("id,name,theme,type\n5.1,X,Economy,core\n", "iso.csv, line 1, column edition: missing column"),
    (H + GOOD_ROW + "5.1,X,Economy,cor,ISO 37122:2019\n", "iso.csv, line 3, column type: unknown type 'cor'"),
    (H + GOOD_ROW + "5.1,X,Economy,core,ISO 9001\n", "iso.csv, line 3, column edition: cannot tell which list"),
    (H + GOOD_ROW + ",X,Economy,core,ISO 37122:2019\n", "iso.csv, line 3, column id: required"),
    (H + GOOD_ROW + "5.1,X,E,core,ISO 37122:2019\n5.1,Y,E,core,ISO 37122:2019\n",
     "iso.csv, line 4, column id: indicator 5.1 of ISO 37122:2019 is already on line 3"),
    (H + GOOD_ROW + "5.1," + "x" * 301 + ",E,core,ISO 37122:2019\n", "iso.csv, line 3, column name:"),
])
def test_a_bad_indicator_list_is_refused_whole(tmp_path, text, expected):
    catalogue.load_catalogue()
    before = Indicator.objects.count()
    with pytest.raises(CsvImportError) as err:
        import_indicators(write(tmp_path, text, "iso.csv"))
    assert any(str(p).startswith(expected) for p in err.value.problems), err.value.problems
    assert Indicator.objects.count() == before
    assert not Indicator.objects.filter(code="9.9").exists()


# --- the command line --------------------------------------------------------------------------


def test_cli_loads_the_catalogue_and_imports_measurements(city, tmp_path, capsys):
    assert cli.main(["benefits", "load-catalogue"]) == 0
    assert "iso37120_indicators.csv: 100 indicators — 100 created" in capsys.readouterr().out
    assert cli.main(["benefits", "import-measurements", str(write(tmp_path, GOOD)), "--city", city.key]) == 0
    assert "values.csv: 3 measurements — 3 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    bad = write(tmp_path, "kpi,period_end,value\nwater,2021-12-31,1\n", "bad.csv")
    assert cli.main(["benefits", "import-measurements", str(bad)]) == 1  # the only city is the default
    err = capsys.readouterr().err
    assert "bad.csv, line 2, column kpi: no KPI with key 'water'" in err and "nothing was imported" in err
    assert cli.main(["benefits", "import-indicators", str(write(tmp_path, LIST, "iso37122.csv"))]) == 0
    assert "iso37122.csv: 2 indicators — 2 created" in capsys.readouterr().out


def test_cli_asks_for_the_city_when_there_are_several(city, tmp_path, capsys):
    make_city("elsewhere", "Elsewhere")
    assert cli.main(["benefits", "import-measurements", str(write(tmp_path, GOOD))]) == 2
    assert "give --city KEY" in capsys.readouterr().err


def test_a_benefit_owner_imports_the_measurements_of_their_outcome_only(city, tmp_path, capsys, monkeypatch):
    """``--user`` or ``CITYLINE_USER``: the user's roles decide, row by row (a benefit owner records the
    measurements of their outcome's KPIs, C3.a); one refused row refuses the file (exit 2), naming its line."""
    from django.contrib.auth import get_user_model

    from cityline.accounts.testing import grant
    from cityline.benefits.models import BenefitNode

    nodes = {key: actions.create(BenefitNode, city=city, key=key, kind="end_outcome", title=key)
             for key in ("cleaner-air", "more-cycling")}
    actions.update(Kpi.objects.get(key="air"), node=nodes["cleaner-air"])
    actions.update(Kpi.objects.get(key="bikes"), node=nodes["more-cycling"])
    ada = get_user_model().objects.create_user("ada", password="x")
    grant(ada, "benefit_owner", outcome=nodes["cleaner-air"])
    before = stored()

    assert cli.main(["benefits", "import-measurements", str(write(tmp_path, GOOD)), "--city", city.key,
                     "--user", "ada"]) == 2
    err = capsys.readouterr().err
    assert ("values.csv, line 4, column kpi: ada may not record measurements of KPI 'bikes': that needs the benefit "
            "owner role of its outcome or the programme administrator role of 'testville'") in err
    assert "line 2" not in err and "nothing was imported" in err
    assert stored() == before

    monkeypatch.setenv("CITYLINE_USER", "ada")
    own = write(tmp_path, "kpi,period_end,value\nair,2021-12-31,17.5\nair,2020-12-31,18\n", "air.csv")
    assert cli.main(["benefits", "import-measurements", str(own), "--city", city.key]) == 0
    assert "air.csv: 2 measurements — 1 created, 0 updated, 1 unchanged" in capsys.readouterr().out
    m = Measurement.objects.get(kpi__key="air", period_end=date(2021, 12, 31))
    assert m.history.first().history_user == ada
    # bikes' stored values, unchanged, are not asked about; a change to them is
    actions.create(Measurement, city=city, kpi=Kpi.objects.get(key="bikes"), period_end=date(2021, 12, 31),
                   value=Decimal("12"))
    mixed = write(tmp_path, "kpi,period_end,value\nbikes,2021-12-31,12\nair,2022-12-31,16\n", "mixed.csv")
    assert cli.main(["benefits", "import-measurements", str(mixed), "--city", city.key]) == 0
    assert cli.main(["benefits", "import-measurements", str(write(tmp_path, "kpi,period_end,value\nbikes,2021-12-31,"
                                                                          "13\n", "b.csv")), "--city", city.key]) == 2
    assert "may not change measurements of KPI 'bikes'" in capsys.readouterr().err
    monkeypatch.setenv("CITYLINE_USER", "nobody")
    assert cli.main(["benefits", "import-measurements", str(own), "--city", city.key]) == 2
    assert "nobody" in capsys.readouterr().err
    # from code, a user given alone is asked about as the CLI asks (as import_pack(user=...) does)
    with pytest.raises(CsvImportRefused, match="ada may not change measurements of KPI 'bikes'"):
        import_measurements(write(tmp_path, "kpi,period_end,value\nbikes,2021-12-31,14\n", "c.csv"), city, user=ada)
    assert Measurement.objects.get(kpi__key="bikes", period_end=date(2021, 12, 31)).value == Decimal("12")
