"""The observation store (issue 6): atomic parts, one observation per (series, time), compaction, retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cityline.observations.store import (FAN_IN, TIER_ROWS, BatchError, ObservationStore, batch_of, overlapping,
                                         size_tier)

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
    files, since = store.recent("air", days=1, now=evening + timedelta(days=1))  # back from the latest reading
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


def test_parts_of_a_partition_whose_times_meet_no_other_part_are_read_without_deduplication(tmp_path, monkeypatch):
    import cityline.observations.store as store_module

    store = ObservationStore(tmp_path)
    hour = timedelta(hours=1)
    start = T0 - timedelta(days=10)
    for i in range(3):  # a live feed: batches one after the other
        store.write(readings("air.no2", 4, start=start + i * hour))
    first, second, third = sorted(store.files())
    assert overlapping([first, second, third]) == set()
    assert "row_number()" not in store.relation_sql()
    store.write([{"series": "air.pm25", "time": start + hour + timedelta(minutes=45), "value": 1.0},  # in the second
                 {"series": "air.no2", "time": start + hour, "value": -1.0}])  # corrects the second's first reading
    fourth = next(p for p in store.files() if p not in (first, second, third))
    assert overlapping(store.files()) == {second, fourth}
    direct, deduplicated = store.relation_sql().split(" UNION ALL ")
    assert "row_number()" in deduplicated and all(p.name in direct for p in (first, third))
    assert all(p.name in deduplicated and p.name not in direct for p in (second, fourth))
    corrected = store.query("SELECT value FROM observations WHERE series = 'air.no2' AND time = ?", [start + hour])
    assert corrected == [(-1.0,)]
    assert count(store) == 13
    assert store.query("SELECT * FROM observations ORDER BY series, time") == \
        store.connect(fast=False).execute("SELECT * FROM observations ORDER BY series, time").fetchall()
    monkeypatch.setattr(store_module, "FOOTERS_AT_MOST", 3)  # four parts: more footers than the plan reads
    plan = store.relation_sql()
    assert " UNION ALL " not in plan and "row_number()" in plan and all(p.name in plan for p in store.files())


def test_a_part_s_footer_is_read_once_however_often_it_is_asked_for(tmp_path, monkeypatch):
    """Parts never change once in place: the read plan, tiers and time ranges read each footer once."""
    read = []
    original = pq.read_metadata
    monkeypatch.setattr(pq, "read_metadata", lambda path, *a, **k: read.append(path) or original(path, *a, **k))
    store = ObservationStore(tmp_path)
    for i in range(3):
        store.write(readings("air.no2", 2, start=T0 - timedelta(days=10, hours=-i)))
    for _ in range(2):
        assert "row_number()" not in store.relation_sql()
        assert store.merge_tiers("air", T0.date()) == 0 and store.first_day("air") == date(2026, 11, 16)
    assert sorted(read) == sorted(str(p) for p in store.files())


def test_time_ranges_that_touch_or_chain_overlap(tmp_path):
    store = ObservationStore(tmp_path)
    day = datetime(2026, 11, 18, tzinfo=timezone.utc)
    store.write(readings("air.no2", 2, start=day, step=60))  # 0:00 and 1:00
    store.write(readings("air.no2", 2, start=day + timedelta(hours=1), step=60))  # 1:00 and 2:00: touches
    store.write(readings("air.no2", 1, start=day + timedelta(hours=4)))  # 4:00
    store.write(readings("air.pm25", 3, start=day + timedelta(hours=3, minutes=30)))  # 3:30 to 4:00: meets it
    a, b, c, d = sorted(store.files())  # names begin with the write time
    assert overlapping([a, b, c, d]) == {a, b, c, d}
    assert overlapping([a, c]) == set() and overlapping([a, b]) == {a, b} and overlapping([c, d]) == {c, d}
    store.write(readings("air.pm25", 2, start=day + timedelta(minutes=30), step=60))  # 0:30 and 1:30: meets a and b
    e = max(store.files())
    assert overlapping([a, b, e]) == {a, b, e} and overlapping([a, c, e]) == {a, e}
    bad = a.with_name("part-20261118T000000000000-0badf11e0000.parquet")
    bad.write_bytes(b"not Parquet")  # no statistics to go by: every part may share a key with it
    assert overlapping([a, c, bad]) == {a, c, bad}


def test_size_tiers_grow_by_the_fan_in():
    assert [size_tier(n) for n in (0, TIER_ROWS - 1, TIER_ROWS, TIER_ROWS * FAN_IN - 1, TIER_ROWS * FAN_IN)] == \
        [0, 0, 1, 1, 2]


def rows_of(part) -> int:
    return pq.read_metadata(part).num_rows


def test_merging_by_tiers_leaves_the_big_part_and_keeps_what_a_reader_sees(tmp_path):
    store = ObservationStore(tmp_path)
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    month = date(2026, 11, 1)
    store.write([{"series": "air.no2", "time": start + timedelta(minutes=i), "value": (i * 7919 % 1000) / 7}
                 for i in range(20000)])  # a compacted month so far: one part
    (big,) = store.files()
    assert size_tier(rows_of(big)) == 1
    small = [[{"series": "air.no2", "time": start, "value": -1.0}],  # corrects a reading of the big part
             [{"series": "air.pm25", "time": start, "value": 1.0}],
             [{"series": "air.pm25", "time": start, "value": 2.0}]]  # corrects the batch before
    for batch in small:
        store.write(batch)
    assert store.merge_tiers("air", month) == 0  # three small parts: fewer than the fan-in
    store.write(readings("air.pm25", 3, start=start + timedelta(days=20)))
    store.write([{"series": "air.pm25", "time": start + timedelta(days=20), "value": 3.0}])
    before = store.query("SELECT series, time, value FROM observations ORDER BY series, time")
    assert store.merge_tiers("air", month) == 5
    assert big in store.files() and len(store.files()) == 2  # the big part untouched, the five small ones merged
    assert store.query("SELECT series, time, value FROM observations ORDER BY series, time") == before
    got = dict(((s, t), v) for s, t, v in before)
    assert got[("air.no2", start)] == -1.0 and got[("air.pm25", start)] == 2.0
    assert got[("air.pm25", start + timedelta(days=20))] == 3.0 and len(before) == 20000 + 1 + 3
    assert store.merge_tiers("air", month) == 0  # nothing left of one size


def test_merged_parts_merge_again_once_their_own_tier_is_full(tmp_path, monkeypatch):
    import cityline.observations.store as store_module

    monkeypatch.setattr(store_module, "TIER_ROWS", 4000)  # a batch of 2,000 rows: tier 0; four of them: tier 1
    store = ObservationStore(tmp_path)
    month = date(2026, 11, 1)

    def batch(k: int) -> None:
        store.write([{"series": "air.no2", "time": T0 - timedelta(days=20, seconds=k * 2000 + i),
                      "value": (i * 7919 % 1000) / 7} for i in range(2000)])

    for k in range(4):
        batch(k)
    assert store.merge_tiers("air", month) == 4
    assert [size_tier(rows_of(p)) for p in store.files()] == [1]
    for round_ in range(1, 3):
        for k in range(4):
            batch(4 * round_ + k)
        assert store.merge_tiers("air", month) == 4
    assert [size_tier(rows_of(p)) for p in store.files()] == [1, 1, 1]
    for k in range(12, 16):
        batch(k)
    assert store.merge_tiers("air", month) == 4 + 4  # the fourth part of tier 1 fills it: merged at once
    assert len(store.files()) == 1 and rows_of(store.files()[0]) == count(store) == 16 * 2000


@pytest.mark.parametrize("operation", ["compact", "merge_tiers", "retention"])
def test_a_month_of_many_parts_is_rewritten_in_rounds_that_each_read_a_bounded_number(tmp_path, monkeypatch,
                                                                                        operation):
    import cityline.observations.store as store_module

    monkeypatch.setattr(store_module, "MERGE_AT_MOST", 3)
    read_together = []

    class Recorded(store_module.StagedBatch):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            read_together.append(len(self.remove))  # the parts one rewrite statement read

    monkeypatch.setattr(store_module, "StagedBatch", Recorded)
    store = ObservationStore(tmp_path)
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    for k in range(10):  # ten batches; each corrects the reading the batch before wrote last
        store.write([{"series": "air.no2", "time": start + timedelta(days=k + i), "value": 10.0 * k + i}
                     for i in range(2)])
    before = store.query("SELECT series, time, value FROM observations ORDER BY time")
    assert len(before) == 11 and before[1][2] == 10.0  # 2 October: the second batch's first reading won
    if operation == "compact":
        assert store.compact("air", start.date()) == 11
        assert len(store.files()) == 1
    elif operation == "merge_tiers":
        assert store.merge_tiers("air", start.date()) == 3 + 3 + 3 + 3  # 10 parts, 8, 6, 4: then 2 (< FAN_IN)
        assert len(store.files()) == 2
    else:
        assert store.drop_before("air", date(2026, 10, 6)) == [date(2026, 10, 1)]
        before = [row for row in before if row[1] >= datetime(2026, 10, 6, tzinfo=timezone.utc)]
        assert len(before) == 6 and len(store.files()) == 1
    assert read_together and max(read_together) <= 3, read_together
    assert store.query("SELECT series, time, value FROM observations ORDER BY time") == before


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
    import os
    import time

    from cityline.observations.store import PARTIAL_GRACE_SECONDS

    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 2))
    folder = store.files()[0].parent
    crashed, writing = folder / ".part-crashed.parquet.partial", folder / ".part-writing.parquet.partial"
    crashed.write_bytes(b"PAR1 half a file")  # what a crash leaves
    writing.write_bytes(b"PAR1 half")  # what a write under way in another process looks like
    old = time.time() - PARTIAL_GRACE_SECONDS - 1
    os.utime(crashed, (old, old))
    assert count(store) == 2
    assert store.clean_up() == 1 and [p.name for p in folder.glob(".*")] == [writing.name]


def test_clean_up_leaves_the_parts_being_written_meanwhile_alone(tmp_path):
    """A compaction (which cleans up first) runs beside live ingestion: no write may lose its temporary file."""
    import threading

    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 1))
    errors, done = [], threading.Event()

    def ingest() -> None:
        try:
            for i in range(150):
                store.write(readings(f"air.s{i}", 20, start=T0 - timedelta(days=10)))  # one part each
        except Exception as exc:  # a temporary file removed under the writer: FileNotFoundError
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=ingest)
    writer.start()
    while not done.is_set():
        store.clean_up()
    writer.join()
    assert errors == [] and len(store.files()) == 151 and count(store) == 1 + 150 * 20


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


def test_a_reader_that_listed_parts_before_a_rewrite_still_reads_them_until_clean_up_deletes_them(tmp_path,
                                                                                                     monkeypatch):
    import cityline.observations.store as store_module

    store = ObservationStore(tmp_path)
    september, october = datetime(2026, 9, 10, tzinfo=timezone.utc), datetime(2026, 10, 10, tzinfo=timezone.utc)
    for start in (september, october, october + timedelta(hours=1)):
        store.write(readings("air.no2", 4, start=start))
    listed = store.files()
    with store.connect() as con:  # its view lists the three parts now, and opens them when queried
        assert store.compact("air", october.date()) == 8
        assert store.drop_before("air", date(2026, 10, 1)) == [date(2026, 9, 1)]
        assert con.execute("SELECT count(*) FROM observations").fetchall() == [(12,)]  # what it listed, whole
    (merged,) = store.files()  # new readers see what the rewrites left
    assert merged not in listed and count(store) == 8 and store.months("air") == [date(2026, 10, 1)]
    assert all(part.exists() for part in listed)
    assert store.clean_up() == 0 and all(part.exists() for part in listed)  # kept for readers a while
    monkeypatch.setattr(store_module, "REPLACED_KEPT_SECONDS", 0)
    store.clean_up()
    assert not any(part.exists() for part in listed) and store.files() == [merged] and count(store) == 8
    assert not (tmp_path / "group=air" / "month=2026-09-01").exists()  # the dropped month's folder: gone
    assert not list(merged.parent.glob(".*"))  # nothing left to delete: no list of replaced parts


def test_a_damaged_list_of_replaced_parts_is_named(tmp_path):
    from cityline.observations.store import LayoutError

    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 2))
    (store.files()[0].parent / ".replaced").write_text("yesterday part-x.parquet\n")
    with pytest.raises(LayoutError, match=r"\.replaced: line 'yesterday part-x.parquet' is not"):
        store.files()


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


def test_a_write_goes_on_when_a_clean_up_removes_its_emptied_month_folder_meanwhile(tmp_path, monkeypatch):
    """Retention dropped a month; a late reading for it arrives while a clean-up purges the month's folder."""
    import cityline.observations.store as store_module

    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 4, start=datetime(2026, 9, 10, tzinfo=timezone.utc)))
    store.drop_partition("air", date(2026, 9, 1))
    monkeypatch.setattr(store_module, "REPLACED_KEPT_SECONDS", 0)
    real_write, cleaned = store_module.pq.write_table, []

    def write_table(table, where, **kwargs):
        if not cleaned:  # the writer made sure of the folder; now the clean-up runs, then the writer opens
            cleaned.append(store.clean_up())
            assert not Path(where).parent.exists()
        return real_write(table, where, **kwargs)

    monkeypatch.setattr(store_module.pq, "write_table", write_table)
    assert store.write(readings("air.no2", 2, start=datetime(2026, 9, 20, tzinfo=timezone.utc))) == 2
    assert cleaned and count(store) == 2 and store.months("air") == [date(2026, 9, 1)]


def test_a_bulk_commit_goes_on_when_a_clean_up_removes_its_emptied_month_folder_meanwhile(tmp_path, monkeypatch):
    import duckdb

    import cityline.observations.store as store_module

    store = ObservationStore(tmp_path)
    store.write(readings("air.no2", 4, start=datetime(2026, 9, 10, tzinfo=timezone.utc)))
    store.drop_partition("air", date(2026, 9, 1))
    monkeypatch.setattr(store_module, "REPLACED_KEPT_SECONDS", 0)
    late = pa.Table.from_pylist(readings("air.no2", 3, start=datetime(2026, 9, 20, tzinfo=timezone.utc)))
    with duckdb.connect() as con:
        con.register("late", late)
        staged = store.stage_bulk(con, lambda ordinal: "SELECT series, time, value, NULL::VARCHAR AS quality, "
                                  "NULL::VARCHAR AS message_id" + (", 1 AS _ordinal" if ordinal else "") + " FROM late")
    real_replace, cleaned = store_module.os.replace, []

    def replace(src, dst):
        if not cleaned and Path(dst).suffix == ".parquet":  # the month folder was made; a clean-up runs first
            cleaned.append(store.clean_up())
            assert not Path(dst).parent.exists()
        return real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", replace)
    assert staged.commit() == 3
    assert cleaned and count(store) == 3 and not list(tmp_path.glob(".staging*"))


def test_an_infinite_value_is_refused_like_nan(tmp_path):
    store = ObservationStore(tmp_path)
    batch = readings("air.no2", 2) + [{"series": "air.no2", "time": T0, "value": float("-inf")}]
    with pytest.raises(BatchError, match="column 'value', row 2: not a finite number"):
        store.write(batch)
    assert store.files() == []


def test_a_batch_whose_later_partition_cannot_be_named_writes_no_part(tmp_path):
    """Every partition is checked before the first part is written: no half-written batch."""
    store = ObservationStore(tmp_path)
    good = int(T0.timestamp() * 1_000_000)
    batch = pa.table({"series": ["air.no2", "water.level"],
                      "time": pa.array([good, -300_000_000_000_000_000], pa.timestamp("us", tz="UTC")),
                      "value": [1.0, 2.0]})
    with pytest.raises(BatchError, match="column 'time', row 1: out of range"):
        store.write(batch)
    assert store.files() == []


def test_the_latest_reading_of_a_silent_series_is_found_and_a_clock_fault_hides_no_other(tmp_path):
    """The newest days of a group hold the latest readings of the series that report; one that stopped a week
    ago is looked for further back, and one reading stamped a year ahead does not move the window."""
    store = ObservationStore(tmp_path)
    now = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)
    store.write(readings("air.live", 4, start=now - timedelta(hours=1)))
    store.write(readings("air.silent", 3, start=now - timedelta(days=40)))  # last reported in February
    store.write(readings("air.silent", 1, start=now - timedelta(days=40), value=99.0))  # rewritten: the later write
    assert store.latest("air", ["air.live", "air.silent", "air.never"], days=2) == {
        "air.live": (now - timedelta(hours=1) + timedelta(minutes=45), 13.0),
        "air.silent": (now - timedelta(days=40) + timedelta(minutes=30), 12.0)}
    files, since = store.recent("air", days=2, now=now)
    assert since == now - timedelta(hours=1) + timedelta(minutes=45) - timedelta(days=2)
    store.write([{"series": "air.faulty", "time": now + timedelta(days=365), "value": 1.0}])  # a clock fault
    files, since = store.recent("air", days=2, now=now)
    assert since == now + timedelta(minutes=5) - timedelta(days=2)
    assert [f.parent.name for f in files] == ["month=2026-03-01", "month=2027-03-01"]  # not February


#: Hourly means of partition_rows, as downsampling writes them (with the readings each stands for).
HOURLY = ("SELECT series, date_trunc('hour', time) AS time, avg(value) AS value, 'downsampled' AS quality, "
          "NULL AS message_id, max(written) AS written, count(*) AS readings FROM partition_rows GROUP BY ALL")
#: A process that rewrites a partition and is killed (SIGKILL: no clean-up of any kind) when the rewrite's new part
#: is about to be moved into its partition ("before") or has just been ("after").
KILLED_REWRITE = r"""
import os, signal, sys
from datetime import date
from cityline.observations import store as store_module
root, when, select = sys.argv[1:]
real = os.replace
def replace(source, target):
    moving = ".staging-" in str(source) and str(target).endswith(".parquet")  # the new part into its partition
    if moving and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(source, target)
    if moving:
        os.kill(os.getpid(), signal.SIGKILL)
store_module.os.replace = replace
store_module.ObservationStore(root).rewrite_partition("air", date(2026, 11, 1), select)
"""


@pytest.mark.parametrize("killed", ["before", "after"])
def test_a_rewrite_killed_midway_leaves_readers_the_old_rows_or_the_new_never_both(tmp_path, monkeypatch, killed):
    """Downsampling's rewrite killed between moving its new part in and taking the old parts away from readers."""
    import shutil
    import signal
    import subprocess
    import sys

    import cityline.observations.store as store_module

    store = ObservationStore(tmp_path / "store")
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    for batch in range(3):  # three parts, eight hours of quarter-hourly readings each
        store.write(readings("air.no2", 32, start=start + timedelta(hours=8 * batch), value=100.0 * batch))
    old_parts = store.files()

    def seen(store: ObservationStore) -> list[tuple]:
        return store.query("SELECT series, time, value, quality FROM observations ORDER BY series, time")

    raw = seen(store)
    reference = ObservationStore(tmp_path / "reference")  # the same rewrite, not killed
    shutil.copytree(store.root, reference.root)
    reference.rewrite_partition("air", start.date(), HOURLY)
    means = seen(reference)
    assert len(raw) == 96 and len(means) == 24
    child = subprocess.run([sys.executable, "-c", KILLED_REWRITE, str(store.root), killed, HOURLY],
                           cwd=Path(__file__).resolve().parents[3], capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert list(store.root.glob(".staging-*/COMPLETE"))  # the rewrite was committed, not finished
    # A reader (this process, as any other) sees the partition before the rewrite or after it, whole.
    if killed == "before":
        assert seen(store) == raw and store.files() == old_parts
    else:
        assert seen(store) == means and len(store.files()) == 1 and store.files()[0] not in old_parts
    monkeypatch.setattr(store_module, "REPLACED_KEPT_SECONDS", 0)
    store.clean_up()  # the next compaction or retention run starts with it: the rewrite is finished
    assert seen(store) == means and not list(store.root.glob(".staging-*"))
    (new_part,) = store.files()
    store.clean_up()
    assert not any(part.exists() for part in old_parts) and store.files() == [new_part] and seen(store) == means


def test_a_rewrite_keeps_a_mean_against_a_raw_reading_re_sent_for_its_instant_and_the_readings_it_stands_for(
        tmp_path):
    store = ObservationStore(tmp_path)
    hour = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    store.write(readings("air.no2", 4, start=hour))  # 10, 11, 12, 13 in one hour
    store.write(readings("air.pm10", 2, start=hour))
    store.compact("air", hour.date())
    assert "readings" not in pq.read_schema(store.files()[0]).names  # a part without a mean: as it always was
    store.rewrite_partition("air", hour.date(), HOURLY)
    means = [("air.no2", hour, 11.5, "downsampled"), ("air.pm10", hour, 10.5, "downsampled")]
    assert store.query("SELECT series, time, value, quality FROM observations ORDER BY series") == means
    store.write([{"series": "air.no2", "time": hour, "value": 10.0}])  # the 8:00 reading again (at-least-once)
    # readers keep the mean too, before any rewrite (the store's view, the latest reading of a series)
    assert store.query("SELECT value, quality FROM observations WHERE series = 'air.no2'") == [(11.5, "downsampled")]
    assert store.latest("air", ["air.no2"], 400)["air.no2"][1] == 11.5
    store.write([{"series": "air.pm10", "time": hour + timedelta(minutes=5), "value": 1.0}])  # another instant
    assert store.compact("air", hour.date()) == 3
    assert store.query("SELECT series, time, value, quality FROM observations ORDER BY series, time") == [
        *means, ("air.pm10", hour + timedelta(minutes=5), 1.0, None)]
    (part,) = store.files()
    assert pq.read_table(part, columns=["series", "readings"]).to_pylist() == [
        {"series": "air.no2", "readings": 4}, {"series": "air.pm10", "readings": 2},
        {"series": "air.pm10", "readings": None}]
