"""The observation store (issue 6): atomic parts, one observation per (series, time), compaction, retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from cityline.observations.store import BatchError, ObservationStore

T0 = datetime(2026, 11, 26, 23, 0, tzinfo=timezone.utc)


def readings(series: str, n: int, *, start: datetime = T0, step: int = 15, value: float = 10.0):
    return [{"series": series, "time": start + timedelta(minutes=step * i), "value": value + i} for i in range(n)]


def count(store: ObservationStore, where: str = "true") -> int:
    return store.query(f"SELECT count(*) FROM observations WHERE {where}")[0][0]


def test_rows_are_partitioned_by_group_and_day_and_read_back(tmp_path):
    store = ObservationStore(tmp_path)
    assert store.write(readings("air.pm25-harbour", 8) + readings("traffic.quay-road", 3)) == 11
    folders = sorted(p.parent.relative_to(tmp_path).as_posix() for p in store.files())
    assert folders == ["group=air/day=2026-11-26", "group=air/day=2026-11-27", "group=traffic/day=2026-11-26"]
    assert count(store) == 11
    rows = store.query("SELECT series, value FROM observations WHERE \"group\" = 'air' ORDER BY time LIMIT 2")
    assert rows == [("air.pm25-harbour", 10.0), ("air.pm25-harbour", 11.0)]
    assert store.query("SELECT min(day)::VARCHAR, max(day)::VARCHAR FROM observations") == [("2026-11-26", "2026-11-27")]


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


def test_retention_drops_whole_days_of_one_group(tmp_path):
    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 96 * 3, start=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    store.write(readings("traffic.quay", 10, start=datetime(2026, 10, 1, tzinfo=timezone.utc)))
    assert store.drop_before("air", date(2026, 11, 3)) == [date(2026, 11, 1), date(2026, 11, 2)]
    assert store.query("SELECT min(day)::VARCHAR FROM observations WHERE \"group\" = 'air'") == [("2026-11-03",)]
    assert count(store, "\"group\" = 'traffic'") == 10


def test_an_empty_store_reads_as_empty(tmp_path):
    assert count(ObservationStore(tmp_path)) == 0
