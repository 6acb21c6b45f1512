"""``cityline ingest FILE...`` and ``cityline observations ...`` (issue 6): all or nothing, summaries, exit codes."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cityline import cli
from cityline.observations import bulk
from cityline.observations.registry import store_for

from .ingest_world import T0, csv_text, iso, make_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("CITYLINE_USER", raising=False)
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    settings.CITYLINE_DEFAULT_CITY = ""
    return make_city()


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored(city) -> list[tuple]:
    return store_for(city).query("SELECT series, time, value FROM observations ORDER BY series, time")


def test_ingest_each_format_prints_a_summary_and_loading_again_changes_nothing(capsys, city, tmp_path):
    (tmp_path / "a.csv").write_text(csv_text([("air-harbour", iso(15 * i), i) for i in range(8)]))
    (tmp_path / "b.jsonl").write_text("".join(json.dumps({"series": "water-level", "time": iso(60 * i), "value": 2.5})
                                              + "\n" for i in range(3)))
    pq.write_table(pa.table({"series": ["air-station"] * 2, "time": pa.array([T0, T0.replace(hour=9)],
                                                                             pa.timestamp("us", tz="UTC")),
                             "value": [1.0, 2.0]}), tmp_path / "c.parquet")
    files = [str(tmp_path / n) for n in ("a.csv", "b.jsonl", "c.parquet")]
    code, out, err = run(capsys, "ingest", *files, "--quiet")
    assert code == 0, err
    assert out.strip() == ("ingestville: stored 13 readings of 3 series, 2026-11-20T08:00:00+00:00 to "
                           "2026-11-20T10:00:00+00:00.")
    first = stored(city)
    assert len(first) == 13
    assert run(capsys, "ingest", *files, "--quiet", "--bulk")[0] == 0  # the same files again, by the bulk path
    assert stored(city) == first


def test_a_bad_row_in_the_second_file_stores_nothing_of_either(capsys, city, tmp_path):
    (tmp_path / "good.csv").write_text(csv_text([("air-harbour", iso(15 * i), i) for i in range(8)]))
    (tmp_path / "bad.csv").write_text(csv_text([("air-harbour", iso(0), 1), ("air-harbour", "2026-11-20 09:00", 2)]))
    for extra in ([], ["--bulk"]):
        code, out, err = run(capsys, "ingest", str(tmp_path / "good.csv"), str(tmp_path / "bad.csv"), "--quiet", *extra)
        assert code == 1
        assert err.startswith(f"error: {tmp_path / 'bad.csv'}, row 2 (line 3), column 'time': no time zone"), err
        assert "nothing was stored" in err
        assert stored(city) == []
        assert not list(store_for(city).root.glob(".staging-*"))


@pytest.mark.parametrize("text, message", [
    # one field too many (a decimal comma), after a blank line: the same row and line on either path
    ("series,time,value\nair-harbour,2026-11-20T08:00:00Z,1\n\nair-harbour,2026-11-20T09:00:00Z,1,5\n",
     ", row 2 (line 4): Expected Number of Columns: 3 Found: 4; nothing was stored"),
    ('series,time,value,quality\nair-harbour,2026-11-20T08:00:00Z,1,"checked\nby hand"\n'
     "air-harbour,2026-11-20T10:00:00,3,ok\n", ", row 2 (line 4), column 'time': no time zone"),
    ("series,time,value\nair-harbour,2026-11-20T08:00:00Z,1\n\nair-atlantis,2026-11-20T09:00:00Z,1\n",
     ", row 2 (line 4), column 'series': no series 'air-atlantis'"),
])
def test_a_csv_error_names_the_same_row_and_line_on_the_normal_and_the_bulk_path(capsys, city, tmp_path, text, message):
    (tmp_path / "r.csv").write_text(text)
    for extra in (["--no-bulk"], ["--bulk"]):
        code, _, err = run(capsys, "ingest", str(tmp_path / "r.csv"), "--quiet", *extra)
        assert code == 1 and err.startswith(f"error: {tmp_path / 'r.csv'}{message}"), (extra, err)
        assert stored(city) == []


def test_ingest_names_a_directory_reads_gzip_and_takes_a_file_name_literally(capsys, city, tmp_path):
    import gzip

    (tmp_path / "d.csv").mkdir()
    code, _, err = run(capsys, "ingest", str(tmp_path / "d.csv"), "--quiet")
    assert code == 1 and "d.csv: is a directory, not a file" in err
    with gzip.open(tmp_path / "r.csv.gz", "wt") as f:
        f.write(csv_text([("air-harbour", iso(0), 1)]))
    (tmp_path / "a?.csv").write_text(csv_text([("air-station", iso(0), 2)]))
    (tmp_path / "ab.csv").write_text(csv_text([("water-level", iso(0), 3)]))  # would match the pattern "a?.csv"
    code, out, err = run(capsys, "ingest", str(tmp_path / "r.csv.gz"), str(tmp_path / "a?.csv"), "--quiet")
    assert code == 0, err
    assert [row[0] for row in stored(city)] == ["air-harbour", "air-station"]


def test_a_file_is_named_as_given_on_the_command_line(capsys, city, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder, when in (("a", iso(0)), ("b", "2026-11-20T09:00:00")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "readings.csv").write_text(csv_text([("air-harbour", when, 1)]))
    code, _, err = run(capsys, "ingest", "a/readings.csv", "b/readings.csv", "--quiet")
    assert code == 1 and err.startswith("error: b/readings.csv, row 1 (line 2), column 'time': no time zone"), err
    code, _, err = run(capsys, "ingest", "a/readings.csv", "b/nope.csv", "--quiet")
    assert (code, err) == (1, "error: b/nope.csv: no such file; nothing was stored\n")
    code, _, err = run(capsys, "ingest", "a/readings.csv", "b/readings.xlsx", "--quiet")
    assert code == 2 and err.startswith("error: b/readings.xlsx: cannot tell the format"), err
    assert stored(city) == []


def test_a_file_that_is_not_parquet_given_format_parquet_is_named_with_the_reason(capsys, city, tmp_path):
    (tmp_path / "good.csv").write_text(csv_text([("air-harbour", iso(0), 1)]))
    code, out, err = run(capsys, "ingest", "--format", "parquet", str(tmp_path / "good.csv"), "--quiet")
    assert (code, out) == (1, "") and err == (f"error: {tmp_path / 'good.csv'}: not a readable Parquet file (No magic "
                                              "bytes found at end of file); nothing was stored\n")
    (tmp_path / "short.parquet").write_bytes(b"PAR1")
    code, out, err = run(capsys, "ingest", str(tmp_path / "short.parquet"), "--quiet")
    assert code == 1 and err == (f"error: {tmp_path / 'short.parquet'}: not a readable Parquet file (File too small "
                                 "to be a Parquet file); nothing was stored\n")
    assert stored(city) == []


def test_ingest_refusals_exit_2(capsys, city, tmp_path):
    (tmp_path / "a.xlsx").write_text("x")
    code, _, err = run(capsys, "ingest", str(tmp_path / "a.xlsx"), "--city", city.key)
    assert code == 2 and "--format" in err
    code, _, err = run(capsys, "ingest", str(tmp_path / "a.csv"), "--city", "atlantis")
    assert code == 2 and "no city with key 'atlantis'" in err


def test_big_files_take_the_bulk_path_and_alert_hooks_see_the_tail(capsys, city, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(bulk, "BULK_BYTES", 100)
    monkeypatch.setattr("cityline.observations.ingest.AFTER_WRITE", [lambda c, t: seen.append(t)])
    rows = [("air-harbour", iso(60 * i), i) for i in range(24 * 3)]  # three days, hourly
    (tmp_path / "big.csv").write_text(csv_text(rows))
    code, out, err = run(capsys, "ingest", str(tmp_path / "big.csv"), "--quiet")
    assert code == 0, err
    assert len(stored(city)) == 72
    assert any(".staging" not in str(p) and "_0.parquet" in p.name for p in store_for(city).files())  # bulk parts
    tail = seen[0].column("time").to_pylist()
    assert len(seen) == 1 and len(tail) == 25 and tail[-1] == T0.replace(day=23, hour=7)


def test_observations_compact_retention_and_quarantine(capsys, city, tmp_path):
    from django.utils import timezone

    from cityline.observations.models import QuarantinedMessage

    for value in (1, 2):
        (tmp_path / "a.csv").write_text(csv_text([("air-harbour", iso(15 * i), value) for i in range(8)]))
        assert run(capsys, "ingest", str(tmp_path / "a.csv"), "--quiet")[0] == 0
    code, out, _ = run(capsys, "observations", "compact", "--on", "2026-11-30")  # November still open: by tiers
    assert code == 0 and "0 partition(s) compacted" in out and len(store_for(city).files()) == 2
    code, out, _ = run(capsys, "observations", "compact", "--on", "2026-12-02")
    assert code == 0 and "compacted air 2026-11\n" in out and len(store_for(city).files()) == 1
    code, out, _ = run(capsys, "observations", "retention", "--on", "2026-12-01")
    assert code == 0 and "0 series-month(s) downsampled, 0 trimmed" in out
    QuarantinedMessage.objects.create(city=city, source="mqtt", origin="city/air/x", payload="{oops",
                                      reason="not JSON", received_at=timezone.now())
    code, out, _ = run(capsys, "observations", "quarantine")
    assert code == 0 and "city/air/x  not JSON" in out and "1 quarantined message(s)." in out
    code, out, _ = run(capsys, "observations", "quarantine", "--json")
    assert json.loads(out)[0]["reason"] == "not JSON"


@pytest.mark.parametrize("argv", [["observations", "quarantine"], ["alerts", "list"]])
@pytest.mark.parametrize("limit, message", [("-1", "'-1': give a whole number from 1 to 1000000"),
                                            ("0", "'0': give a whole number from 1 to 1000000"),
                                            ("2.5", "'2.5' is not a whole number"),
                                            ("1000001", "'1000001': give a whole number from 1 to 1000000"),
                                            ("10" + "0" * 20, f"'1{'0' * 21}': give a whole number from 1 to "
                                                              "1000000")])
def test_a_limit_that_is_not_a_whole_number_from_1_to_a_million_is_a_usage_error(capsys, city, argv, limit,
                                                                                 message):
    with pytest.raises(SystemExit) as refused:
        cli.main([*argv, "--limit", limit])
    out, err = capsys.readouterr()
    assert (refused.value.code, out) == (2, "") and f"error: argument --limit: {message}\n" in err


@pytest.mark.django_db(transaction=True)  # the compaction thread lists the cities on its own connection
def test_serve_compacts_the_stores_of_the_cities_in_the_background(capsys, city, monkeypatch):
    import argparse
    import time
    from datetime import date, datetime, timezone

    from cityline.observations.registry import store_root

    quiet = make_city("quietville")  # no reading yet: no store folder, and compaction makes none
    store, january = store_for(city), date(2025, 1, 1)
    for hour in range(4):  # four requests' readings (NGSI-LD, HTTP): four parts of a month that is over
        store.write([{"series": "air-harbour", "time": datetime(2025, 1, 10, hour, tzinfo=timezone.utc),
                      "value": 10.0 + hour}])
    before = stored(city)
    assert len(store.parts("air", january)) == 4
    parts_while_serving = []

    def serving(app, **options):  # stands in for waitress: the server runs while the compaction thread works
        deadline = time.monotonic() + 30
        while len(store.parts("air", january)) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        parts_while_serving.append(len(store.parts("air", january)))

    monkeypatch.setattr("waitress.serve", serving)
    assert cli.cmd_serve(argparse.Namespace(host="127.0.0.1", port=0, threads=2, compact_every=0.005)) == 0
    assert parts_while_serving == [1] and stored(city) == before
    assert f"compacted {city.key}: air 2025-01" in capsys.readouterr().out
    assert not store_root(quiet).exists()

    for hour in range(4, 6):
        store.write([{"series": "air-harbour", "time": datetime(2025, 1, 10, hour, tzinfo=timezone.utc),
                      "value": 1.0}])
    monkeypatch.setattr("waitress.serve", lambda app, **options: time.sleep(0.6))
    assert cli.cmd_serve(argparse.Namespace(host="127.0.0.1", port=0, threads=2, compact_every=0)) == 0  # never
    assert len(store.parts("air", january)) == 3 and "compacted" not in capsys.readouterr().out


def test_a_background_compaction_that_fails_for_one_city_goes_on_with_the_others(settings, tmp_path, caplog):
    from datetime import date, datetime, timezone
    from types import SimpleNamespace

    from cityline.observations.maintenance import Compactor
    from cityline.observations.registry import store_to_read
    from cityline.observations.store import ObservationStore

    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path
    broken, fine = SimpleNamespace(key="broken"), SimpleNamespace(key="fine")  # all compaction asks of a city
    for city in (broken, fine):
        store = ObservationStore(tmp_path / city.key)
        for hour in range(2):
            store.write([{"series": "air.no2", "time": datetime(2025, 1, 10, hour, tzinfo=timezone.utc),
                          "value": 1.0}])
    bad = store_to_read(broken).parts("air", date(2025, 1, 1))[0].with_name(
        "part-20250111T000000000000-0badf11e0000.parquet")
    bad.write_bytes(b"not Parquet")
    lines = []
    compactor = Compactor(lambda: [broken, fine], 0.001, out=lines.append)
    compactor.poke(now=0)  # not due yet
    assert compactor._thread is None
    compactor.poke(now=10 ** 9)
    compactor._thread.join(timeout=30)  # the run (stop() would skip the cities not reached yet)
    compactor.stop()
    assert lines == ["compacted fine: air 2025-01"] and len(store_to_read(fine).files()) == 1
    assert len(store_to_read(broken).files()) == 3 and "compaction of the observation store of broken failed" in \
        caplog.text and str(bad) in caplog.text


def test_observations_status_shows_what_the_store_holds_and_when_compaction_is_due(capsys, city, tmp_path,
                                                                                   monkeypatch):
    import cityline.observations.store as store_module

    assert run(capsys, "observations", "status")[1] == f"{city.key}: the observation store is empty.\n"
    for value in (1, 2):  # the same eight readings twice: two parts, sixteen rows until compaction
        (tmp_path / "a.csv").write_text(csv_text([("air-harbour", iso(15 * i), value) for i in range(8)]))
        assert run(capsys, "ingest", str(tmp_path / "a.csv"), "--quiet")[0] == 0
    code, out, _ = run(capsys, "observations", "status", "--json")
    (air,) = json.loads(out)["groups"]
    assert code == 0 and {k: air[k] for k in ("group", "months", "parts", "rows", "most_parts", "crowded")} == {
        "group": "air", "months": 1, "parts": 2, "rows": 16, "most_parts": 2, "crowded": []}
    assert air["first"] == "2026-11-20T08:00:00+00:00" and air["last"] == "2026-11-20T09:45:00+00:00"
    assert air["bytes"] == sum(p.stat().st_size for p in store_for(city).files())
    monkeypatch.setattr(store_module, "FOOTERS_AT_MOST", 1)
    code, out, _ = run(capsys, "observations", "status")
    assert code == 0 and "air" in out.splitlines()[1] and "2026-11-20 08:00 UTC" in out
    assert "compaction is due: air 2026-11 (up to 2 parts a month)" in out
    replaced = store_for(city).files()
    run(capsys, "observations", "compact", "--on", "2026-12-02")
    code, out, _ = run(capsys, "observations", "status")
    assert code == 0 and "compaction is due" not in out
    megabytes = sum(p.stat().st_size for p in replaced) / 1e6
    assert f"replaced, awaiting deletion: air 2 part(s), {megabytes:.1f} MB" in out
    (air,) = json.loads(run(capsys, "observations", "status", "--json")[1])["groups"]
    assert (air["parts"], air["replaced"]) == (1, 2)
    monkeypatch.setattr(store_module, "REPLACED_KEPT_SECONDS", 0)
    run(capsys, "observations", "compact", "--on", "2026-12-02")  # its clean-up deletes them
    assert "awaiting deletion" not in run(capsys, "observations", "status")[1]
    (part,) = store_for(city).files()
    bad = part.with_name("part-20261120T000000000000-0badf11e0000.parquet")
    bad.write_bytes(b"not Parquet")  # a damaged file is named, and the rest still reported
    code, out, _ = run(capsys, "observations", "status")
    assert code == 0 and f"unreadable part in air: group=air/month=2026-11-01/{bad.name}: " in out
    (air,) = json.loads(run(capsys, "observations", "status", "--json")[1])["groups"]
    assert (air["parts"], air["rows"], air["bytes"], len(air["unreadable"])) == (2, 8, part.stat().st_size, 1)


@pytest.mark.parametrize("action, on", [("compact", "2026-11-30"),  # November open: merged by tiers
                                        ("compact", "2026-12-02"),  # November over: rewritten whole
                                        ("retention", "2027-01-15")])  # water-level is kept 30 days
def test_upkeep_names_a_damaged_part_and_changes_nothing(capsys, city, tmp_path, action, on):
    for value in range(4):  # four parts: a full tier, and a month of several parts
        (tmp_path / "a.csv").write_text(csv_text([("water-level", iso(15 * i), value) for i in range(8)]))
        assert run(capsys, "ingest", str(tmp_path / "a.csv"), "--quiet")[0] == 0
    store = store_for(city)
    before = sorted(store.files())
    bad = before[0].with_name("part-20261120T000000000000-0badf11e0000.parquet")
    bad.write_bytes(b"not Parquet")
    code, out, err = run(capsys, "observations", action, "--on", on)
    assert code == 1 and f"error: {bad}: not a readable Parquet part" in err and "cityline observations compact" in err
    assert sorted(store.files()) == sorted([*before, bad]) and not list(store.root.glob(".staging-*"))
    bad.unlink()
    assert len(stored(city)) == 8
    assert run(capsys, "observations", action, "--on", on)[0] == 0
    assert len(stored(city)) == (0 if action == "retention" else 8) and len(store.files()) <= 1


def test_compact_stops_at_a_stray_file_in_a_day_folder_of_the_earlier_layout(capsys, city, tmp_path):
    """Upgrading a store of day partitions: a file that is not a part is never moved or deleted."""
    (tmp_path / "a.csv").write_text(csv_text([("air-harbour", iso(15 * i), i) for i in range(8)]))
    assert run(capsys, "ingest", str(tmp_path / "a.csv"), "--quiet")[0] == 0
    store = store_for(city)
    [part] = store.files()
    day = part.parent.parent / "day=2026-11-20"
    day.mkdir()
    part.rename(day / part.name)  # as the earlier layout stored it
    (day / "notes.txt").write_text("kept by a person")
    code, out, err = run(capsys, "observations", "compact")
    assert code == 1
    assert "day=2026-11-20" in err and "notes.txt" in err and "cityline observations compact" in err
    assert (day / "notes.txt").read_text() == "kept by a person"
    assert len(stored(city)) == 8  # the moved part is read from its month
    (day / "notes.txt").unlink()
    assert run(capsys, "observations", "compact")[0] == 0
    assert not day.exists() and len(stored(city)) == 8


@pytest.mark.parametrize("extra", [[], ["--bulk"]])
def test_an_epoch_time_out_of_range_after_good_rows_stores_nothing_and_names_row_and_column(capsys, city, tmp_path,
                                                                                            extra):
    (tmp_path / "good.csv").write_text(csv_text([("water-level", iso(0), 1)]))
    (tmp_path / "ms.csv").write_text(csv_text([("air-harbour", iso(0), 1), ("air-harbour", iso(60), 2),
                                               ("air-harbour", "17642304001230", 3)]))
    code, out, err = run(capsys, "ingest", str(tmp_path / "good.csv"), str(tmp_path / "ms.csv"), "--quiet", *extra)
    assert code == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: {tmp_path / 'ms.csv'}, row 3 (line 4), column 'time': epoch time 17642304001230 "
                          "is out of range")
    assert stored(city) == [] and not list((tmp_path / "observations").rglob(".staging-*"))
    # epoch milliseconds are read as on MQTT (over 10^11)
    (tmp_path / "ms.csv").write_text(csv_text([("air-harbour", "1764230400123", 3)]))
    assert run(capsys, "ingest", str(tmp_path / "ms.csv"), "--quiet", *extra)[0] == 0
    assert [r[1].isoformat() for r in stored(city)] == ["2025-11-27T08:00:00.123000+00:00"]


def test_whatever_fails_after_the_files_are_read_stores_nothing_and_leaves_no_staging(city, tmp_path, monkeypatch):
    """The bulk path's tail for the alert hooks is read before anything is committed; any failure discards all."""
    (tmp_path / "small.csv").write_text(csv_text([("air-harbour", iso(0), 1)]))
    (tmp_path / "big.csv").write_text(csv_text([("air-station", iso(15 * i), i) for i in range(50)]))
    monkeypatch.setattr(bulk, "BULK_BYTES", 100)
    monkeypatch.setattr("cityline.observations.ingest.AFTER_WRITE", [lambda c, t: None])

    def broken(staged):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(bulk, "_tail", broken)
    with pytest.raises(TypeError):
        bulk.load(city, bulk.open_files([tmp_path / "small.csv", tmp_path / "big.csv"]))
    assert stored(city) == [] and not list((tmp_path / "observations").rglob(".staging-*"))


@pytest.mark.parametrize("big", ["first", "second"])
def test_a_later_file_wins_over_an_earlier_one_whichever_path_each_takes(capsys, city, tmp_path, monkeypatch, big):
    rows = [("air-harbour", iso(15 * i), 100 + i) for i in range(50)]
    (tmp_path / "big.csv").write_text(csv_text(rows))
    (tmp_path / "small.csv").write_text(csv_text([("air-harbour", iso(0), 1), ("air-station", iso(0), 2)]))
    monkeypatch.setattr(bulk, "BULK_BYTES", 200)
    files = ["big.csv", "small.csv"] if big == "first" else ["small.csv", "big.csv"]
    code, out, err = run(capsys, "ingest", *(str(tmp_path / f) for f in files), "--quiet")
    assert code == 0, err
    assert out.startswith("ingestville: stored 51 readings of 2 series")  # air-harbour at iso(0) once
    harbour_first = [r for r in stored(city) if r[0] == "air-harbour"][0]
    assert harbour_first[2] == (1.0 if big == "first" else 100.0)
    assert len(stored(city)) == 51


@pytest.mark.parametrize("extra", [[], ["--bulk"]])
def test_the_summary_counts_a_key_given_twice_once(capsys, city, tmp_path, extra):
    (tmp_path / "dup.csv").write_text("series,time,value\nair-harbour,2026-11-20T08:00:00Z,1\n"
                                      "air-harbour,2026-11-20T08:00:00Z,2\nair-harbour,2026-11-20T09:00:00+01:00,3\n")
    code, out, err = run(capsys, "ingest", str(tmp_path / "dup.csv"), "--quiet", *extra)
    assert code == 0, err
    assert out.startswith("ingestville: stored 1 readings of 1 series")
    assert [r[2] for r in stored(city)] == [3.0]


@pytest.mark.parametrize("extra", [[], ["--bulk"]])
def test_a_pandas_parquet_file_with_nanosecond_utc_times_is_stored(capsys, city, tmp_path, extra):
    pq.write_table(pa.table({"series": ["air-harbour"] * 2, "time": pa.array([T0, T0.replace(hour=9)],
                                                                             pa.timestamp("ns", tz="UTC")),
                             "value": [1.0, 2.0]}), tmp_path / "pandas.parquet")
    code, out, err = run(capsys, "ingest", str(tmp_path / "pandas.parquet"), "--quiet", *extra)
    assert code == 0, err
    assert [(r[1], r[2]) for r in stored(city)] == [(T0, 1.0), (T0.replace(hour=9), 2.0)]


@pytest.mark.parametrize("extra", [[], ["--bulk"]])
def test_an_infinite_value_is_refused(capsys, city, tmp_path, extra):
    (tmp_path / "inf.csv").write_text(csv_text([("air-harbour", iso(0), 1), ("air-harbour", iso(15), "Infinity")]))
    code, out, err = run(capsys, "ingest", str(tmp_path / "inf.csv"), "--quiet", *extra)
    assert code == 1 and err.startswith(f"error: {tmp_path / 'inf.csv'}, row 2 (line 3), column 'value': not a finite "
                                        "number")
    assert stored(city) == []


@pytest.mark.parametrize("extra", [["--no-bulk"], ["--bulk"]])
@pytest.mark.parametrize("empty", ["", "\n\n"])
def test_an_empty_json_lines_file_is_refused_and_nothing_of_the_command_is_stored(capsys, city, tmp_path, extra,
                                                                                empty):
    (tmp_path / "good.jsonl").write_text(json.dumps({"series": "air-harbour", "time": iso(0), "value": 1}) + "\n")
    (tmp_path / "empty.jsonl").write_text(empty)
    code, out, err = run(capsys, "ingest", str(tmp_path / "good.jsonl"), str(tmp_path / "empty.jsonl"), "--quiet",
                         *extra)
    assert (code, out, err) == (1, "", f"error: {tmp_path / 'empty.jsonl'}: empty file; nothing was stored\n")
    assert stored(city) == [] and not list((tmp_path / "observations").rglob(".staging-*"))


@pytest.mark.parametrize("extra", [["--no-bulk"], ["--bulk"]])
def test_a_compact_date_time_is_refused_naming_file_row_line_and_column_and_nothing_is_stored(capsys, city, tmp_path,
                                                                                             extra):
    (tmp_path / "good.csv").write_text(csv_text([("water-level", iso(0), 1)]))
    (tmp_path / "r.jsonl").write_text(json.dumps({"series": "air-harbour", "time": iso(0), "value": 1}) + "\n\n"
                                      + json.dumps({"series": "air-harbour", "time": 202611200815, "value": 2}) + "\n")
    code, out, err = run(capsys, "ingest", str(tmp_path / "good.csv"), str(tmp_path / "r.jsonl"), "--quiet", *extra)
    assert code == 1 and err.startswith(f"error: {tmp_path / 'r.jsonl'}, row 2 (line 3), column 'time': epoch time "
                                        "202611200815 is out of range"), err
    assert "202611200815 looks like a compact date-time (2026-11-20T08:15)" in err
    assert stored(city) == [] and not list((tmp_path / "observations").rglob(".staging-*"))


@pytest.mark.parametrize("text, message", [
    # DuckDB's CSV reader read each of these as fewer rows than the file holds (the first as none), and the
    # command stored what it read without a word
    ('"ser"ies,time,value\nair-harbour,2026-11-20T08:00:00Z,1\nair-station,2026-11-20T08:00:00Z,2\n',
     ", line 1, column '\"ser\"ies': text beside a double quote in the header; quote a column name whole "
     '("series") or not at all; nothing was stored'),
    ('series,time,value,quality\nair-harbour,2026-11-20T08:00:00Z,1, "checked\nair-station,2026-11-20T08:00:00Z,2,'
     'ok\nair-harbour,2026-11-20T09:00:00Z,3,x"\n', ", row 1 (line 2): the file holds 3 data rows but is read as 1"),
])
def test_a_csv_file_read_as_fewer_rows_than_it_holds_is_refused_on_either_path(capsys, city, tmp_path, text, message):
    (tmp_path / "r.csv").write_text(text)
    for extra in (["--no-bulk"], ["--bulk"]):
        code, out, err = run(capsys, "ingest", str(tmp_path / "r.csv"), "--quiet", *extra)
        assert code == 1 and err.startswith(f"error: {tmp_path / 'r.csv'}{message}"), (extra, err)
        assert stored(city) == [] and not list(store_for(city).root.glob(".staging-*"))
