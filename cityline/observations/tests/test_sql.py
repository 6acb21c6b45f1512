"""KPI specs compiled to SQL and run on DuckDB over readings written through the store (issue 6).

Every function kind, filter, grouping and the ratio against values worked out by hand
(:mod:`.kpi_data`), several periods in one query, and the provenance columns.
"""

from __future__ import annotations

from datetime import date

import pytest

from cityline.observations.domain.sql import series_meta_table
from cityline.observations.domain import sql as S
from cityline.observations.domain.spec import parse
from cityline.observations.store import ObservationStore

from .kpi_data import CASES, FIRST_BATCH, META, PERIODS, READINGS, queries, utc


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    store = ObservationStore(tmp_path_factory.mktemp("kpi-store"), {m[0]: m[1] for m in META}.get)
    store.write(FIRST_BATCH)
    store.write(READINGS)
    con = store.connect()
    con.register("series_meta", series_meta_table(META))
    yield con
    con.close()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_kind_of_spec_gives_the_hand_computed_values(con, name):
    main, _ = queries(name)
    got = {row[0]: row[1] for row in con.sql(main).fetchall()}
    expected = CASES[name][1]
    assert set(got) == set(expected), f"periods with readings: {sorted(got)}"
    for period, value in expected.items():
        assert got[period] == (None if value is None else pytest.approx(value, rel=1e-12)), period


def test_the_query_gives_the_readings_used_and_their_range_per_period(con):
    main, _ = queries("mean")
    rows = con.sql(main).fetchall()
    assert [(p, n) for p, _, n, _, _ in rows] == [(0, 6), (1, 1)]
    assert S.to_datetime(rows[0][3]) == utc(2026, 1, 5, 6)
    assert S.to_datetime(rows[0][4]) == utc(2026, 1, 6, 7, 10)
    # a ratio counts each reading once, whichever side uses it
    ratio, _ = queries("ratio")
    assert [row[2] for row in con.sql(ratio).fetchall()] == [6, 1]
    # a weighted mean does not use the readings of series without a weight (air-c): 7 of January's 8
    for name in ("weighted", "ratio_percentile_weighted"):
        main, _ = queries(name)
        assert [row[2] for row in con.sql(main).fetchall()] == ([7, 1] if name == "weighted" else [6, 1]), name


def test_the_value_per_group_is_available_for_the_run_detail(con):
    _, groups = queries("group_mean")
    rows = con.sql(groups).fetchall()
    january = {g: v for p, g, v, _ in rows if p == 0}
    assert january == {"north": pytest.approx(22.2), "south": 22.5, "St John's \\ quay": 7.0}


def test_periods_may_leave_gaps_and_one_period_is_a_query_too(con):
    spec = parse(CASES["count"][0])
    only_february = con.sql(S.compile_spec(spec, PERIODS[1:2])).fetchall()
    assert [(p, v) for p, v, *_ in only_february] == [(0, 1.0)]
    january_and_march = con.sql(S.compile_spec(spec, [PERIODS[0], PERIODS[2]])).fetchall()
    assert [(p, v) for p, v, *_ in january_and_march] == [(0, 8.0)]


def test_periods_of_whole_months_and_periods_of_other_lengths_count_alike(con):
    """Whole UTC months take a reading's period from its file's month; other bounds compare each time."""
    spec = parse(CASES["count"][0])
    january_to_february = [(PERIODS[0][0], PERIODS[1][1])]
    assert S._period_of_month(january_to_february) is not None
    got = con.sql(S.compile_spec(spec, january_to_february)).fetchall()
    assert [(p, v) for p, v, *_ in got] == [(0, 9.0)]
    # air readings: 4 on 5 January, 4 from 6 to 10 January, 1 on 2 February at 10:00
    days = [(utc(2026, 1, 5), utc(2026, 1, 6)), (utc(2026, 1, 6), utc(2026, 1, 11)),
            (utc(2026, 2, 2, 10), utc(2026, 3, 1))]
    assert S._period_of_month(days) is None
    got = con.sql(S.compile_spec(spec, days)).fetchall()
    assert [(p, v) for p, v, *_ in got] == [(0, 4.0), (1, 4.0), (2, 1.0)]


def test_aggregates_filter_only_the_rows_they_must():
    """A FILTER clause per aggregate costs a condition per reading and aggregate: one side filters its rows
    once (a WHERE), a ratio's side with no filter of its own over the other side's series takes every row,
    and with a window (share_above) the filters stay on the aggregates (the window must see every reading)."""
    for name in ("min_max_value", "hours_weekdays", "mean_quality", "percentile"):
        query = S.compile_spec(parse(CASES[name][0]), PERIODS)
        assert "FILTER" not in query and "kept AS (SELECT * FROM obs WHERE " in query, name
    weighted = S.compile_spec(parse(CASES["weighted"][0]), PERIODS)  # per series first: a reading's sums
    assert "kept AS" in weighted and "FILTER" not in weighted[weighted.index("per_series AS"):weighted.index("agg AS")]
    ratio = S.compile_spec(parse(CASES["ratio"][0]), PERIODS)
    assert ratio.count("FILTER") == 1 and "count(*) FILTER (WHERE " in ratio  # the numerator's own filter
    other_series = S.compile_spec(parse(CASES["ratio_weighted"][0]), PERIODS)
    assert other_series.count("FILTER") > 2 and "kept AS" not in other_series
    assert "kept AS" not in S.compile_spec(parse(CASES["share_above_quality"][0]), PERIODS)


def test_hours_and_weekdays_are_utc_whatever_the_session_time_zone(con):
    """In Auckland (UTC+13 in January) Monday 06:00 UTC is Monday 19:00: the filters must still read UTC."""
    name = "hours_weekdays"
    main, _ = queries(name)
    con.execute("SET TimeZone = 'Pacific/Auckland'")
    try:
        got = {row[0]: row[1] for row in con.sql(main).fetchall()}
    finally:
        con.execute("SET TimeZone = 'UTC'")
    assert got == {period: pytest.approx(value) for period, value in CASES[name][1].items()}


def test_literals_are_inlined_safely(con):
    spec = parse({"value": {"series": {"district": "x' OR 1=1 --"}, "function": "count"}})
    assert con.sql(S.compile_spec(spec, PERIODS)).fetchall() == []
    d = S.dialect("spark")
    assert d.string("a'b\\c") == "'a''b\\\\c'"
    assert S.dialect("duckdb").string("a'b\\c") == "'a''b\\c'"
    assert d.number(0.1) == "CAST('0.1' AS DOUBLE)"
    with pytest.raises(ValueError, match="finite"):
        d.number(float("inf"))


def test_bad_periods_are_refused():
    spec = parse(CASES["count"][0])
    with pytest.raises(ValueError, match="at least one period"):
        S.compile_spec(spec, [])
    with pytest.raises(ValueError, match="in order"):
        S.compile_spec(spec, [PERIODS[1], PERIODS[0]])
    with pytest.raises(ValueError, match="time zone"):
        S.compile_spec(spec, [(PERIODS[0][0].replace(tzinfo=None), PERIODS[0][1])])
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        S.compile_spec(spec, PERIODS, "oracle")


def test_duckdb_reads_only_the_partitions_of_the_spec_s_groups_and_months(tmp_path):
    """The DuckDB query filters on the store's Hive partitions: files of other groups, and of months outside
    the periods, are never opened (here they are not even Parquet), and the values are unchanged. The
    traffic partition holds parts of several writes (read through the deduplicating window), the April
    one a single part (read directly): both are skipped."""
    store = ObservationStore(tmp_path, {m[0]: m[1] for m in META}.get)
    store.write(FIRST_BATCH)
    store.write(READINGS)
    spec = parse(CASES["count"][0])  # the air group
    with store.connect() as con:
        con.register("series_meta", series_meta_table(META))
        expected = con.sql(S.compile_spec(spec, PERIODS)).fetchall()
    assert [(p, v) for p, v, *_ in expected] == [(0, 8.0), (1, 1.0)]
    # (not before the first good file: DuckDB takes the view's columns from the first file)
    assert len(store.parts("traffic", date(2026, 1, 1))) == 1  # and the bad part below: two writes
    for folder in ("group=traffic/month=2026-01-01", "group=air/month=2026-04-01"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "part-20260101T000000000000-0badf11e0000.parquet").write_bytes(b"not Parquet")
    with store.connect() as con:
        con.register("series_meta", series_meta_table(META))
        assert con.sql(S.compile_spec(spec, PERIODS)).fetchall() == expected
        with pytest.raises(Exception, match="(?i)parquet"):  # a spec that needs those files reads them
            con.sql(S.compile_spec(parse(CASES["sum"][0]), PERIODS)).fetchall()


def test_share_of_time_stops_at_the_period_end_when_the_next_reading_is_in_the_next_period(tmp_path):
    store = ObservationStore(tmp_path, {m[0]: m[1] for m in META}.get)
    # air-a: 31 January 23:00 above the threshold, 1 February 01:00 below; gap up to a day
    store.write([{"series": "air-a", "time": utc(2026, 1, 31, 23), "value": 40.0},
                 {"series": "air-a", "time": utc(2026, 2, 1, 1), "value": 10.0},
                 {"series": "air-a", "time": utc(2026, 1, 31, 22), "value": 10.0}])
    spec = parse({"value": {"series": {"keys": ["air-a"]}, "function": "share_above", "threshold": 25,
                            "max_gap_seconds": 86400}})
    with store.connect() as con:
        con.register("series_meta", series_meta_table(META))
        got = {p: v for p, v, *_ in con.sql(S.compile_spec(spec, PERIODS)).fetchall()}
    # January: 22:00 holds 1 h (below), 23:00 holds until midnight, 1 h (above) -> 0.5, not 2/3;
    # February: 01:00 holds a day (below) -> 0
    assert got == {0: pytest.approx(0.5), 1: 0.0}
