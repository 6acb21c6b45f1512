"""KPI values computed from readings and written to the KPI history with their provenance (issue 6, C2.b)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from cityline import cli
from cityline.benefits.models import Kpi, Measurement
from cityline.core import actions
from cityline.core.testing import make_city, make_organisation
from cityline.observations import compute
from cityline.observations.domain import periods as P
from cityline.observations.ingest import write_observations
from cityline.observations.models import ComputationRun, KpiComputation, Series
from cityline.observations.registry import store_for

from .kpi_data import CASES, FIRST_BATCH, META, READINGS, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return make_kpi_city()


def make_kpi_city(key="kpiville", name="Kpiville"):
    city = make_city(key, name)
    orgs = {key: make_organisation(city, key) for key in ("org1", "org2")}
    for key, group, etype, attribute, district, org, weight in META:
        actions.create(Series, city=city, key=key, name=key, group=group, entity_type=etype, attribute=attribute,
                       district=district, organisation=orgs.get(org),
                       weight=None if weight is None else Decimal(str(weight)))
    write_observations(city, FIRST_BATCH, react=False)
    write_observations(city, READINGS, react=False)
    return city


def computation(city, key="pm25-mean", spec=None, frequency="monthly", **extra):
    kpi = actions.create(Kpi, city=city, key=key, title=key, kind="outcome", frequency=frequency)
    return actions.create(KpiComputation, city=city, kpi=kpi, spec=spec or CASES["mean"][0], **extra)


def values(kpi_key="pm25-mean"):
    return {m.period_end: m.value for m in Measurement.objects.filter(kpi__key=kpi_key)}


def test_measurements_are_written_per_ended_period_with_their_provenance(city):
    c = computation(city)
    result = compute.compute_computation(c, today=date(2026, 3, 15))
    # January and February have ended on 15 March; March has not
    assert [(p.period_end, p.status) for p in result.periods] == [(date(2026, 1, 31), "written"),
                                                                  (date(2026, 2, 28), "written")]
    assert values() == {date(2026, 1, 31): Decimal("25.833333"), date(2026, 2, 28): Decimal("8.000000")}
    m = Measurement.objects.get(kpi__key="pm25-mean", period_end=date(2026, 1, 31))
    assert m.source == "Cityline observations"
    assert m.note == "Computed from 6 reading(s), 2026-01-05 06:00 to 2026-01-06 07:10 UTC (spec version 1)"
    run = ComputationRun.objects.get(computation=c, period_end=date(2026, 1, 31))
    assert (run.period_start, run.status, run.engine, run.spec_version, run.row_count) == (
        date(2026, 1, 1), "written", "duckdb", 1, 6)
    assert (run.data_from, run.data_to, run.measurement) == (utc(2026, 1, 5, 6), utc(2026, 1, 6, 7, 10), m)
    assert run.value == Decimal("25.833333")
    assert m.history.first().history_change_reason.startswith("computed from observations (spec version 1")


def test_a_second_run_changes_nothing_and_a_new_spec_version_updates(city):
    c = computation(city)
    compute.compute_computation(c, today=date(2026, 3, 15))
    versions = {m.period_end: m.version for m in Measurement.objects.all()}
    again = compute.compute_computation(c, today=date(2026, 3, 15))
    assert [p.status for p in again.periods] == ["unchanged", "unchanged"]
    assert {m.period_end: m.version for m in Measurement.objects.all()} == versions
    assert ComputationRun.objects.filter(computation=c).count() == 4  # every run is recorded
    actions.update(c, spec=CASES["max"][0], spec_version=2)
    third = compute.compute_computation(c, today=date(2026, 3, 15))
    assert [p.status for p in third.periods] == ["written", "written"]
    assert values() == {date(2026, 1, 31): Decimal("50.000000"), date(2026, 2, 28): Decimal("8.000000")}
    assert Measurement.objects.count() == 2


def test_a_hand_entered_measurement_is_left_alone_and_reported(city):
    c = computation(city)
    kpi = c.kpi
    actions.create(Measurement, city=city, kpi=kpi, period_end=date(2026, 2, 28), value=Decimal("9.5"),
                   source="air quality report")
    result = compute.compute_computation(c, today=date(2026, 3, 15))
    assert [p.status for p in result.periods] == ["written", "refused"]
    assert result.problems == ["a measurement from 'air quality report' is already recorded for 2026-02-28; "
                               "left as it is"]
    hand = Measurement.objects.get(kpi=kpi, period_end=date(2026, 2, 28))
    assert (hand.value, hand.source, hand.version) == (Decimal("9.5"), "air quality report", 1)
    run = ComputationRun.objects.get(computation=c, period_end=date(2026, 2, 28))
    assert (run.status, run.value, run.measurement) == ("refused", Decimal("8.000000"), None)


def test_weekly_periods_and_a_period_without_readings(city):
    c = computation(city, "pm25-weekly", frequency="weekly")
    result = compute.compute_computation(c, today=date(2026, 1, 20))
    # ISO weeks from the first reading's (Monday 5 January): 5-11 and 12-18 have ended
    assert [(p.period_end, p.status) for p in result.periods] == [(date(2026, 1, 11), "written"),
                                                                  (date(2026, 1, 18), "no_data")]
    assert values("pm25-weekly") == {date(2026, 1, 11): Decimal("25.833333")}
    run = ComputationRun.objects.get(computation=c, period_end=date(2026, 1, 18))
    assert (run.period_start, run.row_count, run.data_from) == (date(2026, 1, 12), 0, None)


def test_no_readings_keep_the_measurement_computed_earlier(city):
    c = computation(city, first_period_end=date(2026, 1, 31))
    compute.compute_computation(c, today=date(2026, 3, 15))
    # the readings are gone (e.g. a retention rule), the KPI history keeps its values
    from cityline.observations.registry import store_for

    store = store_for(city)
    for group in ("air", "traffic"):
        store.drop_before(group, date(2026, 12, 31))
    result = compute.compute_computation(c, today=date(2026, 4, 15))
    assert [(p.period_end, p.status) for p in result.periods] == [
        (date(2026, 1, 31), "no_data"), (date(2026, 2, 28), "no_data"), (date(2026, 3, 31), "no_data")]
    assert "kept" in result.periods[0].detail
    assert values() == {date(2026, 1, 31): Decimal("25.833333"), date(2026, 2, 28): Decimal("8.000000")}


def test_a_count_with_filters_no_reading_passes_is_0_and_a_correction_brings_it_down(city):
    """Days with PM2.5 of 25 or more: February's one reading (8) passes nothing; March has no readings."""
    c = computation(city, "pm25-days", spec=CASES["distinct_days_none_pass"][0])
    result = compute.compute_computation(c, today=date(2026, 4, 15))
    assert [(p.period_end, p.status, p.value) for p in result.periods] == [
        (date(2026, 1, 31), "written", Decimal("2.000000")), (date(2026, 2, 28), "written", Decimal("0.000000")),
        (date(2026, 3, 31), "no_data", None)]
    february = Measurement.objects.get(kpi__key="pm25-days", period_end=date(2026, 2, 28))
    assert february.note == ("Computed from the period's readings, none of which passed the spec's filters "
                             "(spec version 1)")
    run = ComputationRun.objects.get(computation=c, period_end=date(2026, 2, 28))
    assert (run.row_count, run.data_from, run.data_to) == (0, None, None)
    # the January readings of 25 or more were a sensor's fault: corrected, January has no such day left
    write_observations(city, [{"series": s, "time": t, "value": 11.0} for s, t in (
        ("air-a", utc(2026, 1, 5, 6, 30)), ("air-a", utc(2026, 1, 5, 12)), ("air-b", utc(2026, 1, 6, 7)))],
        react=False)
    compute.compute_computation(c, today=date(2026, 4, 15))
    assert values("pm25-days") == {date(2026, 1, 31): Decimal("0.000000"), date(2026, 2, 28): Decimal("0.000000")}


def test_a_measurement_kept_from_an_earlier_spec_version_is_reported(city):
    """The spec now reads series with no readings in January: January's value follows the old definition."""
    c = computation(city, first_period_end=date(2026, 1, 31))
    compute.compute_computation(c, today=date(2026, 3, 15))
    actions.update(c, spec={"value": {"series": {"keys": ["air-a"]}, "function": "mean",
                                      "where": {"hours": [10, 11]}}}, spec_version=2)
    result = compute.compute_computation(c, today=date(2026, 3, 15))
    assert [(p.period_end, p.status) for p in result.periods] == [(date(2026, 1, 31), "no_data"),
                                                                  (date(2026, 2, 28), "written")]
    assert result.problems == [
        "2026-01-31: no readings in the period; the measurement computed earlier under spec version 1 (25.833333) is "
        "kept, but it does not follow version 2: delete it from the KPI history if it no longer holds"]
    assert values() == {date(2026, 1, 31): Decimal("25.833333"), date(2026, 2, 28): Decimal("8.000000")}
    again = compute.compute_computation(c, today=date(2026, 3, 15))  # still reported on the next run
    assert len(again.problems) == 1


def test_a_value_the_spec_cannot_give_and_an_invalid_spec_are_refused(city):
    c = computation(city, "exposure", spec=CASES["ratio_weighted"][0])
    result = compute.compute_computation(c, today=date(2026, 3, 15))
    assert [p.status for p in result.periods] == ["written", "refused"]
    assert "no value" in result.periods[1].detail
    assert values("exposure") == {date(2026, 1, 31): Decimal("26.666667")}
    detail = json.loads(ComputationRun.objects.get(computation=c, period_end=date(2026, 1, 31)).detail)
    assert {(g["group"], g["readings"]) for g in detail} == {("north", 4), ("south", 5)}
    # a spec stored before the rules changed (bypassing validation) is refused with its field named
    KpiComputation.objects.filter(pk=c.pk).update(spec={"value": {"series": {}, "function": "mean"}})
    c.refresh_from_db()
    bad = compute.compute_computation(c, today=date(2026, 3, 15))
    assert bad.problems and bad.problems[0].startswith("the spec cannot be computed: value.series:")
    assert [p.status for p in bad.periods] == []  # no series: no first reading, no period


def test_quantise_matches_the_benefits_value_field():
    assert compute.quantise(1 / 3) == Decimal("0.333333")
    assert compute.quantise(2.5e-7) == Decimal("0.000000")  # half-even
    assert compute.quantise(-12.3456785) == Decimal("-12.345678")
    for bad in (float("nan"), float("inf"), 1e15, None):
        with pytest.raises(ValueError):
            compute.quantise(bad)


@pytest.mark.parametrize("frequency,day,expected", [
    ("daily", date(2026, 3, 4), (date(2026, 3, 4), date(2026, 3, 4))),
    ("weekly", date(2026, 3, 4), (date(2026, 3, 2), date(2026, 3, 8))),
    ("monthly", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
    ("quarterly", date(2026, 8, 31), (date(2026, 7, 1), date(2026, 9, 30))),
    ("annual", date(2026, 8, 31), (date(2026, 1, 1), date(2026, 12, 31))),
    ("biennial", date(2026, 8, 31), (date(2026, 1, 1), date(2027, 12, 31))),
    ("biennial", date(2027, 1, 1), (date(2026, 1, 1), date(2027, 12, 31))),
])
def test_periods_per_frequency(frequency, day, expected):
    assert P.period_of(frequency, day) == expected
    assert P.period_of("biennial", date(2026, 5, 1), odd_end=False) == (date(2025, 1, 1), date(2026, 12, 31))


def test_ended_periods_stop_before_today():
    assert P.ended_periods("quarterly", date(2025, 11, 3), date(2026, 7, 1)) == [
        (date(2025, 10, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30))]
    assert P.ended_periods("annual", date(2026, 1, 1), date(2026, 12, 31)) == []


def test_the_scheduler_computes_what_is_due(city):
    c = computation(city)
    meta = compute.series_meta_rows(city)
    assert compute.due_periods(c, date(2026, 3, 15), meta) == [(date(2026, 1, 1), date(2026, 1, 31)),
                                                                (date(2026, 2, 1), date(2026, 2, 28))]
    compute.compute_city(city, today=date(2026, 3, 15), due_only=True)
    # January's grace (31 days for monthly KPIs) is over on 15 March; February is still within it
    assert compute.due_periods(c, date(2026, 3, 15), meta) == [(date(2026, 2, 1), date(2026, 2, 28))]
    assert compute.due_periods(c, date(2026, 4, 1), meta) == [(date(2026, 3, 1), date(2026, 3, 31))]


def test_the_scheduler_computes_again_a_period_whose_readings_arrive_after_its_grace(city):
    """A gateway offline on 6-8 January uploads its buffer on the 12th: daily values past a 2-day grace."""
    c = computation(city, "daily-count", spec=CASES["count"][0], frequency="daily")
    actions.update(c.kpi, grace_days=2)
    for day in range(6, 13):  # the scheduler runs every day
        compute.compute_city(city, today=date(2026, 1, day), due_only=True)
    meta = compute.series_meta_rows(city)
    assert compute.due_periods(c, date(2026, 1, 13), meta) == [(date(2026, 1, d), date(2026, 1, d)) for d in (11, 12)]
    write_observations(city, [{"series": "air-c", "time": utc(2026, 1, d, 8), "value": 1.0} for d in (7, 8)],
                       react=False)
    due = compute.due_periods(c, date(2026, 1, 13), meta)
    assert (date(2026, 1, 7), date(2026, 1, 7)) in due and (date(2026, 1, 8), date(2026, 1, 8)) in due
    assert all(p[0].month == 1 for p in due)  # only the month written to
    compute.compute_city(city, today=date(2026, 1, 13), due_only=True)
    # 7 January: air-q's 12:00 reading and the late one; 8 January: the late one only
    assert {d: values("daily-count")[date(2026, 1, d)] for d in (7, 8)} == {7: Decimal("2.000000"),
                                                                            8: Decimal("1.000000")}
    assert compute.due_periods(c, date(2026, 1, 13), meta) == [(date(2026, 1, 11), date(2026, 1, 11)),
                                                                (date(2026, 1, 12), date(2026, 1, 12))]


def test_a_value_computed_from_raw_readings_is_kept_once_they_are_downsampled(city):
    """Vehicles per 10 minutes (6 x 60 on 5 January): a daily sum of 360; hourly means would give 60."""
    from cityline.observations import maintenance

    actions.create(Series, city=city, key="cars", name="cars", group="traffic", entity_type="TrafficFlowObserved",
                   attribute="intensity", downsample_after_days=30, downsample_interval="hour")
    write_observations(city, [{"series": "cars", "time": utc(2026, 1, 5, 8, m), "value": 60.0}
                              for m in range(0, 60, 10)], react=False)
    c = computation(city, "cars", spec={"value": {"series": {"keys": ["cars"]}, "function": "sum"}})
    compute.compute_computation(c, today=date(2026, 2, 2))
    assert values("cars") == {date(2026, 1, 31): Decimal("360.000000")}
    assert maintenance.apply_rules(city, today=date(2026, 3, 15)).downsampled  # one reading of 60 at 08:00 now
    result = compute.compute_computation(c, today=date(2026, 3, 15))
    january = result.periods[0]
    assert (january.status, january.value) == ("unchanged", Decimal("360.000000"))
    assert january.detail.startswith("kept: the period's readings were downsampled") and "60.000000" in january.detail
    assert values("cars")[date(2026, 1, 31)] == Decimal("360.000000")
    actions.update(c, spec={"value": {"series": {"keys": ["cars"]}, "function": "max"}}, spec_version=2)
    compute.compute_computation(c, today=date(2026, 3, 15))  # a new definition: from what there is now
    assert values("cars")[date(2026, 1, 31)] == Decimal("60.000000")


def test_cityline_kpi_compute_prints_what_was_done(city, capsys):
    computation(city)
    computation(city, "traffic-share", spec=CASES["share_above_period_end"][0])
    assert cli.main(["kpi", "compute", "kpiville", "--on", "2026-03-15", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["kpi"], r["written"], r["no_data"]) for r in out] == [("pm25-mean", 2, 0), ("traffic-share", 1, 1)]
    assert values("traffic-share") == {date(2026, 1, 31): Decimal("0.777778")}
    assert cli.main(["kpi", "compute", "kpiville", "--kpi", "pm25-mean", "--on", "2026-03-15"]) == 0
    assert "pm25-mean (duckdb): 0 written, 2 unchanged" in capsys.readouterr().out
    assert cli.main(["kpi", "compute", "nowhere"]) == 2
    assert "no city 'nowhere'" in capsys.readouterr().err


def test_a_hand_entered_value_makes_the_command_exit_1(city, capsys):
    c = computation(city)
    actions.create(Measurement, city=city, kpi=c.kpi, period_end=date(2026, 1, 31), value=Decimal("1"),
                   source="")
    # the scheduler's first pass: every ended period is due, January is refused
    assert cli.main(["kpi", "schedule", "kpiville", "--once"]) == 1
    assert "a measurement from 'another source' is already recorded for 2026-01-31" in capsys.readouterr().out
    assert Measurement.objects.get(kpi=c.kpi, period_end=date(2026, 1, 31)).value == Decimal("1")
    assert cli.main(["kpi", "compute", "kpiville", "--on", "2026-03-15"]) == 1


def test_a_damaged_part_is_named_and_the_other_cities_go_on_and_the_scheduler_tries_again(city, capsys,
                                                                                          monkeypatch):
    other = make_kpi_city("lakeside", "Lakeside")  # after kpiville: it goes on after the damaged store
    computation(city)
    computation(other)
    part = sorted(store_for(city).root.glob("group=air/month=*/*.parquet"))[0]
    good = part.read_bytes()
    part.write_bytes(b"not Parquet")  # a truncated copy, a disk fault
    assert cli.main(["kpi", "compute", "--on", "2026-03-15"]) == 1
    out, err = capsys.readouterr()
    assert f"error: kpiville: {part}: not a readable Parquet part" in err and "its KPIs were not computed" in err
    assert "Traceback" not in err and "next pass" not in err
    assert "lakeside pm25-mean (duckdb): 2 written" in out and "kpiville" not in out
    Measurement.objects.filter(kpi__city=other).delete()
    ComputationRun.objects.all().delete()

    passes = []

    def sleep(seconds):
        passes.append(capsys.readouterr())
        if len(passes) == 2:
            raise KeyboardInterrupt  # what stops the loop
        part.write_bytes(good)  # restored from a backup: the next pass computes kpiville

    monkeypatch.setattr("cityline.observations.cli_kpi.time.sleep", sleep)
    assert cli.main(["kpi", "schedule", "--every", "1"]) == 130
    (first, second) = passes
    assert f"error: kpiville: {part}: not a readable Parquet part" in first.err
    assert "; the next pass tries again" in first.err
    assert "lakeside pm25-mean (duckdb): 2 written" in first.out and "kpiville" not in first.out
    assert "kpiville pm25-mean (duckdb): 2 written" in second.out and second.err == ""
    ends = {c: sorted(Measurement.objects.filter(kpi__city=c).values_list("period_end", flat=True))
            for c in (city, other)}
    assert ends[city] and ends[city] == ends[other]


@pytest.mark.parametrize("every, message", [("-5", "'-5': give a number of minutes above 0 and at most 10080"),
                                            ("0", "'0': give a number of minutes above 0 and at most 10080"),
                                            ("10080.5", "'10080.5': give a number of minutes above 0 and at most "
                                                        "10080"),
                                            ("1e300", "'1e300': give a number of minutes above 0 and at most 10080"),
                                            ("nan", "'nan' is not a finite number"),
                                            ("soon", "'soon' is not a number")])
def test_kpi_schedule_refuses_an_interval_that_is_not_a_positive_number_up_to_a_week(capsys, every, message):
    with pytest.raises(SystemExit) as refused:
        cli.main(["kpi", "schedule", "--every", every, "--once"])
    assert refused.value.code == 2 and f"argument --every: {message}" in capsys.readouterr().err


@pytest.fixture
def spark_session_stopped_after():
    """The local Spark session ``--engine spark`` starts (``local[2]``), stopped after the test (about 20 s in all)."""
    yield
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def test_on_spark_a_damaged_part_is_named_and_the_other_cities_go_on(city, capsys, spark_session_stopped_after):
    """As on DuckDB (the test above): Spark's Java exception for the part stopped every city after it."""
    other = make_kpi_city("lakeside", "Lakeside")  # after kpiville: it goes on after the damaged store
    computation(city)
    computation(other)
    part = sorted(store_for(city).root.glob("group=air/month=*/*.parquet"))[0]
    part.write_bytes(b"not Parquet")
    assert cli.main(["kpi", "compute", "--engine", "spark", "--on", "2026-03-15"]) == 1
    out, err = capsys.readouterr()
    assert f"error: kpiville: {part}: not a readable Parquet part" in err and "its KPIs were not computed" in err
    assert "Traceback" not in err and "Py4J" not in err
    assert "lakeside pm25-mean (spark): 2 written" in out and "kpiville" not in out
    assert sorted(values()) == [date(2026, 1, 31), date(2026, 2, 28)]  # lakeside's, written through Spark
    # what is said when no part is found damaged: the Java exception's first line, not py4j's "An error occurred"
    from cityline.observations import spark

    with pytest.raises(spark.ERRORS) as failed:
        spark.session().read.parquet(str(part))
    assert spark.message(failed.value).startswith("org.apache.spark.SparkException: [FAILED_READ_FILE")
