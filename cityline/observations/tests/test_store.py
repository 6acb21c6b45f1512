"""The observation store (issue 6): atomic parts, one observation per (series, time), compaction, retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from cityline.observations.store import BatchError, ObservationStore, batch_of

T0 = datetime(2026, 11, 26, 23, 0, tzinfo=timezone.utc)


def readings(series: str, n: int, *, start: datetime = T0, step: int = 15, value: float = 10.0):
    return [{"series": series, "time": start + timedelta(minutes=step * i), "value": value + i} for i in range(n)]


def count(store: ObservationStore, where: str = "true") -> int:
    return store.query(f"SELECT count(*) FROM observations WHERE {where}")[0][0]


def test_rows_are_partitioned_by_group_and_month_and_read_back(tmp_path):
    store = ObservationStore(tmp_path)
    evening = datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)  # the air readings run into December (UTC)
    assert store.write(readings("air.pm25-harbour", 8, start=evening) + readings("traffic.quay-road", 3, start=evening)) == 11
    folders = sorted(p.parent.relative_to(tmp_path).as_posix() for p in store.files())
    assert folders == ["group=air/month=2026-11-01", "group=air/month=2026-12-01", "group=traffic/month=2026-11-01"]
    assert count(store) == 11 and count(store, "month = DATE '2026-12-01'") == 4
    rows = store.query("SELECT series, value FROM observations WHERE \"group\" = 'air' ORDER BY time LIMIT 2")
    assert rows == [("air.pm25-harbour", 10.0), ("air.pm25-harbour", 11.0)]
    assert store.months("air") == [date(2026, 11, 1), date(2026, 12, 1)] and store.groups() == ["air", "traffic"]
    assert store.first_day("air") == date(2026, 11, 30) and store.first_day("water") is None
    assert [p.parent.name for p in store.group_files("air", since=date(2026, 12, 15))] == ["month=2026-12-01"]
    files, since = store.recent("air", days=1)  # the newest day counts back from the latest reading
    assert since == evening + timedelta(minutes=15 * 7) - timedelta(days=1) and len(files) == 2


def test_writing_the_same_readings_again_keeps_one_observation_each_and_the_latest_value(tmp_path):
    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 4))
    store.write(readings("air.no2", 4))  # a redelivery
    store.write([{"series": "air.no2", "time": T0, "value": 99.0, "quality": "corrected"}])
    assert len(store.files()) == 3 and count(store) == 4
    assert store.query("SELECT value, quality FROM observations WHERE time = ?", [T0]) == [(99.0, "corrected")]


def test_compaction_keeps_what_a_reader_sees(tmp_path):
    store = ObservationStore(tmp_path)
    for _ in range(3):
        store.write(readings("air.no2", 3, start=T0 - timedelta(hours=5)))
    store.write([{"series": "air.no2", "time": T0 - timedelta(hours=5), "value": -1.0}])
    before = store.query("SELECT series, time, value FROM observations ORDER BY time")
    assert store.compact("air", date(2026, 11, 26)) == 3
    assert len(store.files()) == 1
    assert store.query("SELECT series, time, value FROM observations ORDER BY time") == before
    assert before[0][2] == -1.0


def test_a_bad_batch_names_column_and_row_and_writes_nothing(tmp_path):
    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 2))
    cases = [
        (readings("air.no2", 3) + [{"series": None, "time": T0, "value": 1.0}], "column 'series', row 3: empty"),
        ([{"series": "air.no2", "time": T0, "value": float("nan")}], "column 'value', row 0: not a number"),
        ([{"series": "air.no2", "value": 1.0}], "column 'time': missing column"),
        ([{"series": "air.no2", "time": T0, "value": 1.0, "colour": "red"}], "column 'colour': unknown column"),
        ([{"series": "../etc", "time": T0, "value": 1.0}], "column 'series', row 0: group '' is not a safe"),
        ([{"series": "air.no2", "time": T0, "value": "high"}], "column 'value': cannot read as double"),
    ]
    for batch, message in cases:
        with pytest.raises(BatchError) as err:
            store.write(batch)
        assert message in str(err.value), (message, str(err.value))
    naive = pa.table({"series": ["air.no2"], "time": pa.array([datetime(2026, 1, 1)], pa.timestamp("us")),
                      "value": [1.0]})
    with pytest.raises(BatchError, match="time zone"):
        store.write(naive)
    assert count(store) == 2 and len(store.files()) == 1


def test_a_reader_never_sees_a_half_written_part(tmp_path):
    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 2))
    folder = store.files()[0].parent
    (folder / ".part-crashed.parquet.partial").write_bytes(b"PAR1 half a file")  # what a crash leaves
    assert count(store) == 2
    assert store.clean_up() == 1 and not list(folder.glob(".*"))


def test_retention_drops_whole_months_and_trims_the_month_of_the_cut_off(tmp_path):
    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 96 * 3, start=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    store.write(readings("air.no2", 10, start=datetime(2026, 9, 30, tzinfo=timezone.utc)))
    store.write(readings("traffic.quay", 10, start=datetime(2026, 10, 1, tzinfo=timezone.utc)))
    assert store.drop_before("air", date(2026, 11, 3)) == [date(2026, 9, 1), date(2026, 11, 1)]
    assert store.months("air") == [date(2026, 11, 1)]
    assert store.query("SELECT min(time) FROM observations WHERE \"group\" = 'air'") == [
        (datetime(2026, 11, 3, tzinfo=timezone.utc),)]
    assert count(store, "\"group\" = 'air'") == 96 and count(store, "\"group\" = 'traffic'") == 10
    files = store.files()
    assert store.drop_before("air", date(2026, 11, 3)) == [] and store.files() == files  # nothing left to trim
    assert store.drop_before("traffic", date(2026, 10, 1)) == [] and count(store, "\"group\" = 'traffic'") == 10


def test_an_empty_store_reads_as_empty(tmp_path):
    assert count(ObservationStore(tmp_path)) == 0


def test_clean_up_moves_a_store_of_day_partitions_into_months(tmp_path):
    """The earlier layout (group=<g>/day=<d>/): a bulk batch's parts carry the same name in every day."""
    import pyarrow.parquet as pq

    old = ObservationStore(tmp_path / "old")
    old.write(readings("air.no2", 8, start=datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)))
    legacy = tmp_path / "legacy"
    for part in old.files():  # one part per month: rewrite as one part per day, named alike
        table = pq.read_table(part)
        for day in sorted(set(t.date() for t in table.column("time").to_pylist())):
            rows = table.filter(pa.array([t.date() == day for t in table.column("time").to_pylist()]))
            folder = legacy / "group=air" / f"day={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(rows, folder / "part-20261201T000000000000-0123456789ab_0.parquet")
    (legacy / "group=air" / "day=2026-11-30" / ".part-crashed.parquet.partial").write_bytes(b"PAR1 half")
    store = ObservationStore(legacy)
    assert count(store) == 0  # not seen until moved
    store.write([{"series": "air.no2", "time": datetime(2026, 12, 1, 0, 30, tzinfo=timezone.utc), "value": -1.0}])
    assert store.clean_up() == 1  # the temporary file; the moves are not leftovers
    assert not list(legacy.glob("group=*/day=*"))
    assert sorted(p.relative_to(legacy).as_posix() for p in store.files() if batch_of(p).endswith("0123456789ab")) == [
        "group=air/month=2026-11-01/part-20261201T000000000000-0123456789ab_0_20261130.parquet",
        "group=air/month=2026-12-01/part-20261201T000000000000-0123456789ab_0_20261201.parquet"]
    assert count(store) == 8
    assert store.query("SELECT value FROM observations WHERE time = ?",
                       [datetime(2026, 12, 1, 0, 30, tzinfo=timezone.utc)]) == [(-1.0,)]
    with store.connect(fast=False) as con:
        assert con.execute("SELECT count(*), sum(value) FROM observations").fetchall() == \
            store.query("SELECT count(*), sum(value) FROM observations")


def test_a_complete_staging_of_the_earlier_layout_is_rolled_forward_into_months(tmp_path):
    """A bulk load that crashed after its marker, before an upgrade: its day folders still reach the store."""
    import json
    import shutil

    from cityline.observations.store import COMPLETE

    source = ObservationStore(tmp_path / "source")
    source.write(readings("air.no2", 3, start=datetime(2026, 11, 26, tzinfo=timezone.utc)))
    store = ObservationStore(tmp_path / "store")
    staging = tmp_path / "store" / ".staging-0123456789abcdef"
    target = staging / "files" / "group=air" / "day=2026-11-26" / "part-20261126T000000000000-0123456789ab_0.parquet"
    target.parent.mkdir(parents=True)
    shutil.copy(source.files()[0], target)
    (staging / COMPLETE).write_text(json.dumps({"remove": [], "rows": 3}))
    assert store.clean_up() == 1
    assert [p.relative_to(store.root).as_posix() for p in store.files()] == [
        "group=air/month=2026-11-01/part-20261126T000000000000-0123456789ab_0_20261126.parquet"]
    assert count(store) == 3 and not staging.exists()
