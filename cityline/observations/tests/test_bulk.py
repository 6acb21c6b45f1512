"""The store's bulk path, its crash safety, the read plan, and the upkeep rules (issue 6)."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from cityline.observations import maintenance
from cityline.observations.files import FileError, InputFile
from cityline.observations.registry import store_for
from cityline.observations.store import COMPLETE, ObservationStore

from .ingest_world import T0, csv_text, iso, make_city

GROUPS = {"air-harbour": "air", "air-station": "air", "water-level": "water"}


def everything(store: ObservationStore, *, fast: bool = True) -> list[tuple]:
    with store.connect(fast=fast) as con:
        return con.execute("SELECT series, time, value, quality FROM observations ORDER BY series, time").fetchall()


def csv_file(tmp_path, name: str, rows: list[tuple]):
    path = tmp_path / name
    path.write_text(csv_text(rows))
    return InputFile(path)


def test_a_staged_batch_is_invisible_until_committed_then_partitioned(tmp_path):
    store = ObservationStore(tmp_path / "store")
    rows = [("air-harbour", iso(15 * i), i) for i in range(200)] + [("water-level", iso(60 * i), 1.5) for i in range(30)]
    staged = csv_file(tmp_path, "a.csv", rows).stage(store, GROUPS)
    assert staged.rows == 230 and staged.series == ["air-harbour", "water-level"]
    assert store.files() == [] and everything(store) == []
    staged.commit()
    assert len(everything(store)) == 230
    folders = sorted({p.parent.relative_to(store.root).as_posix() for p in store.files()})
    assert folders == ["group=air/month=2026-11-01", "group=water/month=2026-11-01"]
    assert not list(store.root.glob(".staging-*"))


def test_a_bad_row_anywhere_stores_nothing_and_names_the_row(tmp_path):
    store = ObservationStore(tmp_path / "store")
    csv_file(tmp_path, "good.csv", [("air-harbour", iso(0), 1)]).stage(store, GROUPS).commit()
    before = everything(store)
    rows = [("air-harbour", iso(i), i) for i in range(5000)]
    rows[4321] = ("air-elsewhere", iso(1), 1)
    with pytest.raises(FileError) as err:
        csv_file(tmp_path, "bad.csv", rows).stage(store, GROUPS)
    assert str(err.value).startswith("bad.csv, row 4322 (line 4323), column 'series': no series 'air-elsewhere'")
    assert everything(store) == before and not list(store.root.glob(".staging-*"))


def test_loading_twice_stores_each_reading_once_and_a_later_load_wins(tmp_path):
    store = ObservationStore(tmp_path / "store")
    rows = [("air-harbour", iso(15 * i), i) for i in range(100)]
    for _ in range(2):
        csv_file(tmp_path, "a.csv", rows).stage(store, GROUPS).commit()
    csv_file(tmp_path, "b.csv", [("air-harbour", iso(0), 99)]).stage(store, GROUPS).commit()
    got = everything(store)
    assert len(got) == 100 and got[0][2] == 99.0
    assert got == everything(store, fast=False)


def test_a_batch_with_a_key_twice_keeps_its_last_row(tmp_path):
    store = ObservationStore(tmp_path / "store")
    rows = [("air-harbour", iso(0), 1), ("air-harbour", iso(15), 2), ("air-harbour", iso(0), 3)]
    staged = csv_file(tmp_path, "dup.csv", rows).stage(store, GROUPS)
    assert staged.rows == 2
    staged.commit()
    assert [r[2] for r in everything(store)] == [3.0, 2.0]
    # the normal write path too
    store.write([{"series": "air-station", "time": T0, "value": v} for v in (1.0, 2.0, 5.0)])
    assert store.query("SELECT value FROM observations WHERE series = 'air-station'") == [(5.0,)]


def test_the_read_plan_deduplicates_only_partitions_of_several_batches(tmp_path):
    store = ObservationStore(tmp_path / "store")
    first = [("air-harbour", iso(15 * i), i) for i in range(200)] + [("water-level", iso(60 * i), 1.5) for i in range(30)]
    csv_file(tmp_path, "a.csv", first).stage(store, GROUPS).commit()
    csv_file(tmp_path, "b.csv", [("air-harbour", iso(15 * i), -i) for i in range(10)]).stage(store, GROUPS).commit()
    plan = store.relation_sql()
    assert plan.count("row_number()") == 1 and "group=water/month=2026-11-01" in plan.split("UNION ALL")[0]
    assert "group=air/month=2026-11-01" in plan.split("UNION ALL")[1]  # the partition both batches wrote
    assert everything(store) == everything(store, fast=False) and len(everything(store)) == 230
    store.compact("air", date(2026, 11, 20))
    assert "row_number()" not in store.relation_sql()
    assert everything(store) == everything(store, fast=False)


def test_clean_up_rolls_a_complete_staging_forward_and_removes_an_incomplete_one(tmp_path):
    store = ObservationStore(tmp_path / "store")
    complete = csv_file(tmp_path, "a.csv", [("air-harbour", iso(15 * i), i) for i in range(10)]).stage(store, GROUPS)
    incomplete = csv_file(tmp_path, "b.csv", [("air-station", iso(15 * i), i) for i in range(10)]).stage(store, GROUPS)
    # What a crash leaves: the marker of the first written (then the process died before moving every file),
    # the second never marked; neither process holds its lock any more.
    (complete.folder / COMPLETE).write_text(json.dumps({"remove": [], "rows": 10}))
    first = complete.files()[0]
    target = store.root / first.relative_to(complete.folder / "files")
    target.parent.mkdir(parents=True)
    shutil.move(first, target)  # one file already moved in
    complete._unlock(), incomplete._unlock()
    assert store.clean_up() == 2
    assert {r[0] for r in everything(store)} == {"air-harbour"} and len(everything(store)) == 10
    assert not list(store.root.glob(".staging-*"))


def test_clean_up_leaves_a_staging_in_use_alone(tmp_path):
    store = ObservationStore(tmp_path / "store")
    staged = csv_file(tmp_path, "a.csv", [("air-harbour", iso(0), 1)]).stage(store, GROUPS)
    assert store.clean_up() == 0 and staged.folder.exists()
    staged.commit()
    assert len(everything(store)) == 1


def test_a_crash_during_a_rewrite_never_leaves_old_and_new_rows(tmp_path):
    store = ObservationStore(tmp_path / "store")
    store.write([{"series": "air.a", "time": T0 + timedelta(minutes=m), "value": 1.0} for m in range(0, 60, 15)])
    store.write([{"series": "air.a", "time": T0, "value": 2.0}])
    old = store.files()
    store.rewrite_partition("air", T0.date(), "SELECT * FROM partition_rows WHERE value > 1")
    assert store.query("SELECT value FROM observations") == [(2.0,)] and not set(old) & set(store.files())


@pytest.mark.django_db
def test_downsampling_and_retention_follow_each_series_rules(tmp_path, settings):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    city = make_city()
    today = date(2026, 12, 31)
    old_day = datetime(2026, 12, 1, tzinfo=timezone.utc)   # 30 days ago: water downsampled hourly; traffic daily
    ancient = datetime(2026, 11, 1, tzinfo=timezone.utc)   # 60 days ago: water removed (retention 30 days)
    recent = datetime(2026, 12, 30, tzinfo=timezone.utc)   # yesterday: left raw
    rows = []
    for start in (ancient, old_day, recent):
        rows += [("water-level", iso(15 * i, start), i) for i in range(8)]           # two hours
        rows += [("traffic-quay", iso(60 * i, start), 10 * i) for i in range(4)]
        rows += [("air-harbour", iso(15 * i, start), 1) for i in range(4)]            # no rule
    from cityline.observations import bulk

    bulk.load(city, [csv_file(tmp_path, "r.csv", rows)])
    store = store_for(city)
    done = maintenance.apply_rules(city, today=today)
    assert ("water", ancient.date(), "water-level") in done.removed
    got = store.query("SELECT series, time, value, quality FROM observations WHERE series <> 'air-harbour' "
                      "ORDER BY series, time")
    water = [r for r in got if r[0] == "water-level"]
    traffic = [r for r in got if r[0] == "traffic-quay"]
    assert water[:2] == [("water-level", old_day, 1.5, "downsampled"),
                         ("water-level", old_day + timedelta(hours=1), 5.5, "downsampled")]
    assert len(water) == 2 + 8 and all(r[1] >= old_day for r in water)
    assert traffic[0] == ("traffic-quay", ancient, 15.0, "downsampled")
    assert traffic[1] == ("traffic-quay", old_day, 15.0, "downsampled") and len(traffic) == 2 + 4
    assert store.query("SELECT count(*) FROM observations WHERE series = 'air-harbour'") == [(12,)]
    again = maintenance.apply_rules(city, today=today)   # idempotent
    assert again.removed == [] and again.downsampled == []
    assert store.query("SELECT series, time, value, quality FROM observations WHERE series <> 'air-harbour' "
                       "ORDER BY series, time") == got


@pytest.mark.django_db
def test_compaction_keeps_what_readers_see(tmp_path, settings):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    city = make_city()
    from cityline.observations import bulk

    for value in (1, 2):
        bulk.load(city, [csv_file(tmp_path, f"r{value}.csv", [("air-harbour", iso(15 * i), value) for i in range(200)])])
    store = store_for(city)
    before = everything(store)
    assert "row_number()" in store.relation_sql()
    done = maintenance.compact(city, today=date(2026, 12, 5))  # November is over: one part
    assert done.compacted == [("air", date(2026, 11, 1))]
    assert everything(store) == before and {r[2] for r in before} == {2.0}
    assert "row_number()" not in store.relation_sql() and len(store.files()) == 1
    assert maintenance.compact(city, today=date(2026, 12, 5)).compacted == []  # one part left: nothing to do


@pytest.mark.django_db
def test_compaction_merges_the_open_month_by_tiers_and_closed_months_whole(tmp_path, settings):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    city = make_city()
    from cityline.observations import ingest

    october, november = date(2026, 10, 1), date(2026, 11, 1)
    for minutes in (-30 * 24 * 60, -30 * 24 * 60 + 1):  # two batches in October
        ingest.write_observations(city, [{"series": "air-harbour", "time": iso(minutes), "value": 1.0}])
    for minutes in range(5):  # five small batches of a live feed in November
        ingest.write_observations(city, [{"series": "air-harbour", "time": iso(minutes), "value": float(minutes)}])
    store = store_for(city)
    before = everything(store)

    def parts() -> tuple[int, int]:
        return len(store.parts("air", october)), len(store.parts("air", november))

    done = maintenance.compact(city, today=date(2026, 11, 20))
    assert done.compacted == [("air", october), ("air", november)] and parts() == (1, 1)
    for minutes in (5, 6):
        ingest.write_observations(city, [{"series": "air-harbour", "time": iso(minutes), "value": float(minutes)}])
    assert maintenance.compact(city, today=date(2026, 12, 1)).compacted == []  # November's late readings: open
    assert parts() == (1, 3)  # three small parts: fewer than a tier's fan-in
    assert maintenance.compact(city, today=date(2026, 12, 2)).compacted == [("air", november)]
    assert parts() == (1, 1) and everything(store)[:len(before)] == before and len(everything(store)) == 9


@pytest.mark.django_db
@pytest.mark.parametrize("run", ["compact", "apply_rules"])
def test_an_upkeep_run_waits_for_the_one_before(tmp_path, settings, run):
    """Compaction and retention rewrite partitions one run at a time (the store's upkeep lock, a flock)."""
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    city = make_city()
    from cityline.observations import ingest

    for value in (1.0, 2.0):  # two parts of a closed month; water-level is kept 30 days
        ingest.write_observations(city, [{"series": "water-level", "time": iso(-31 * 24 * 60), "value": value}])
    store = store_for(city)
    held, release = threading.Event(), threading.Event()

    def earlier_run() -> None:  # another run holds the lock (a thread here; a process would do the same)
        with store.upkeep():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=earlier_run)
    holder.start()
    assert held.wait(10)
    threading.Timer(0.3, release.set).start()
    done = getattr(maintenance, run)(city, today=date(2026, 11, 20))
    assert release.is_set()  # it could not start before the earlier run let go
    holder.join(10)
    assert (done.compacted, done.removed) == (([("water", date(2026, 10, 1))], []) if run == "compact"
                                              else ([], [("water", date(2026, 10, 1), "water-level")]))


@pytest.mark.django_db
def test_cut_offs_inside_a_month_keep_the_rest_of_the_month(tmp_path, settings):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    city = make_city()
    early, late, latest = (datetime(2026, 11, d, tzinfo=timezone.utc) for d in (1, 25, 29))
    rows = [("water-level", iso(15 * i, start), i) for start in (early, late, latest) for i in range(8)]
    from cityline.observations import bulk

    bulk.load(city, [csv_file(tmp_path, "r.csv", rows)])
    store = store_for(city)
    # water-level on 2026-12-05: kept 30 days (cut-off 2026-11-05), hourly means after 7 days (cut-off 2026-11-28)
    done = maintenance.apply_rules(city, today=date(2026, 12, 5))
    assert done.removed == [("water", date(2026, 11, 1), "water-level")]
    assert done.downsampled == [("water", date(2026, 11, 1), "water-level")]
    got = store.query("SELECT time, value, quality FROM observations ORDER BY time")
    assert got[:2] == [(late, 1.5, "downsampled"), (late + timedelta(hours=1), 5.5, "downsampled")]
    assert got[2:] == [(latest + timedelta(minutes=15 * i), float(i), None) for i in range(8)]
    again = maintenance.apply_rules(city, today=date(2026, 12, 5))
    assert again.removed == [] and again.downsampled == []
    assert store.query("SELECT time, value, quality FROM observations ORDER BY time") == got
