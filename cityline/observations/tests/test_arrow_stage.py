"""The bulk path's Arrow lane (issue 6, bulk ingestion): it stores what the DuckDB path stores, or declines.

Each file is staged twice, into two stores: by the lane (``InputFile.stage``) and by DuckDB alone
(``lane=False``); the stores must then hold the same rows in the same partitions, the staged batches
must say the same, and the lane must have taken the file (``via``) where it is meant to, so a test cannot
pass because the lane quietly stepped aside. Where the lane declines, the outcome (rows or error) must be
the DuckDB path's.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cityline.observations import arrow_stage
from cityline.observations.files import FileError, InputFile
from cityline.observations.store import ObservationStore

GROUPS = {"air-harbour": "air", "air-station": "air", "water-level": "water"}
T0 = datetime(2026, 1, 31, 22, 0, tzinfo=timezone.utc)  # the rows cross a month's end


def stored(store: ObservationStore) -> list[tuple]:
    with store.connect() as con:
        return con.execute("SELECT series, time, value, quality, message_id, \"group\", month FROM observations "
                           "ORDER BY series, time").fetchall()


def layout(store: ObservationStore) -> list[str]:
    return sorted(str(part.parent.relative_to(store.root)) for part in store.files())


def both(tmp_path, path, *, via: str = "arrow") -> list[tuple]:
    """Stage ``path`` by the lane and by DuckDB alone; both stores must agree. Returns the rows."""
    lane, plain = ObservationStore(tmp_path / "lane"), ObservationStore(tmp_path / "plain")
    a = InputFile(path).stage(lane, GROUPS)
    b = InputFile(path).stage(plain, GROUPS, lane=False)
    assert (a.via, b.via) == (via, "duckdb")
    assert (a.rows, a.series, a.first, a.last) == (b.rows, b.series, b.first, b.last)
    a.commit()
    b.commit()
    assert stored(lane) == stored(plain)
    assert layout(lane) == layout(plain)
    assert not list(lane.root.glob(".staging-*"))
    return stored(lane)


def refused_alike(store_dir, path) -> FileError:
    """Stage ``path`` by the lane and by DuckDB alone: both refuse it in the same words, and leave nothing."""
    store = ObservationStore(store_dir)
    with pytest.raises(FileError) as lane:
        InputFile(path).stage(store, GROUPS)
    with pytest.raises(FileError) as plain:
        InputFile(path).stage(store, GROUPS, lane=False)
    assert str(lane.value) == str(plain.value)
    assert not store.files() and not list(store.root.glob(".staging-*"))
    return lane.value


def write_csv(path, lines: list[str], *, newline: str = "\n"):
    text = newline.join(lines) + newline
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_bytes(text.encode())
    return path


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_csv_file_in_time_order_with_every_kind_of_field(tmp_path):
    lines = ["series,time,value,quality,message_id"]
    lines += [f"air-harbour,{at(30 * i)},{i}.5,,m{i}" for i in range(10)]
    lines += [
        "water-level,2026-02-01T00:00:00+01:00,1e3,,",  # an offset; empty fields are no value
        "air-station,2026-02-01T10:00:00.123456Z,,NA,null",  # no value; NA and null are text, not empty
        "air-harbour,2026-02-01T10:00:00+0100,+5,ok,x",
        "air-station,2026-02-01 11:00:00Z,-0.25,ok,",  # a space for the T
        "water-level,2026-02-02T08Z,7,,",  # an hour without minutes
    ]
    rows = both(tmp_path, write_csv(tmp_path / "readings.csv", lines))
    assert len(rows) == 15
    by_key = {(r[0], r[1]): r for r in rows}
    assert by_key[("water-level", datetime(2026, 1, 31, 23, tzinfo=timezone.utc))][2:5] == (1000.0, None, None)
    assert by_key[("air-station", datetime(2026, 2, 1, 10, 0, 0, 123456, tzinfo=timezone.utc))][2:5] == (
        None, "NA", "null")
    assert by_key[("water-level", datetime(2026, 2, 2, 8, tzinfo=timezone.utc))][2] == 7.0
    assert {r[6].isoformat() for r in rows} == {"2026-01-01", "2026-02-01"}


def test_a_file_with_quotes_is_left_to_duckdb(tmp_path):
    """Arrow's reader and DuckDB's part ways on text around a quoted field ("1"5 is 15 to one, an error to the
    other; "ok" x; a quote never closed), in any column: a file with a double quote goes to DuckDB."""
    rows = both(tmp_path / "a", write_csv(tmp_path / "a.csv", [
        "series,time,value", f'"air-harbour","{at(0)}","1.5"', f'air-station,{at(1)},""', f'"water-level",{at(2)},2']),
        via="duckdb")
    assert [r[2] for r in rows] == [1.5, None, 2.0]
    for i, text in enumerate(['"ok, checked"', '""', '"ok" ', ' "ok"', '"say ""ok"""']):
        rows = both(tmp_path / f"q{i}", write_csv(tmp_path / f"q{i}.csv", [
            "series,time,value,quality", f"air-harbour,{at(0)},1,{text}", f"air-station,{at(1)},2,plain"]),
            via="duckdb")
        assert rows[0][3] in ("ok, checked", None, "ok", 'say "ok"')
    for i, line in enumerate([f'air-harbour,{at(0)},"1"5', f'air-harbour,{at(0)},"1" ', f'"air-"harbour,{at(0)},1',
                              f'air-harbour,{at(0)},""5', f'air-harbour,{at(0)},"1']):
        path = write_csv(tmp_path / f"v{i}.csv", ["series,time,value", line])
        refused_alike(tmp_path / f"v{i}", path)


def test_text_duckdb_refuses_around_a_quote_is_refused_on_both_paths(tmp_path):
    for i, line in enumerate([f'air-harbour,{at(0)},1,"ok"x', f'air-harbour,{at(0)},1,"o\\"k"']):
        path = write_csv(tmp_path / f"t{i}.csv", ["series,time,value,quality", line])
        refused_alike(tmp_path / f"s{i}", path)


def test_a_quoted_line_break_across_the_readers_blocks_is_one_field(tmp_path, monkeypatch):
    """Arrow's CSV reader cut a block at a line break inside quotes: a row was made of the quoted text."""
    from cityline.observations import files

    monkeypatch.setattr(files, "CSV_BLOCK_BYTES", 1024)
    head = ["series,time,value,quality"] + [f"air-harbour,{at(i)},{i},ok" for i in range(24)]
    size = len("\n".join(head)) + 1
    pad = 1024 + 5 - size - len('water-level,2030-02-01T00:00:00Z,5,"x')
    lines = head + [f"water-level,2029-01-01T00:00:00Z,0,{'p' * (pad - len('water-level,2029-01-01T00:00:00Z,0,') - 1)}",
                    'water-level,2030-02-01T00:00:00Z,5,"x', 'air-station,2030-03-01T00:00:00Z,7,y"',
                    "water-level,2030-04-01T00:00:00Z,9,end"]
    rows = both(tmp_path, write_csv(tmp_path / "boundary.csv", lines), via="duckdb")
    assert [r[3] for r in rows if r[0] == "water-level"][1] == "x\nair-station,2030-03-01T00:00:00Z,7,y"
    assert "air-station" not in {r[0] for r in rows}


def test_line_ends_in_both_ways_are_left_to_duckdb(tmp_path):
    lf, crlf = f"air-harbour,{at(0)},1\n".encode(), f"water-level,{at(1)},2\r\n".encode()
    for i, body in enumerate([b"series,time,value\n" + crlf, b"series,time,value\r\n" + lf, b"series,time,value\n" + lf
                              + crlf + lf, b"series,time,value\n" + lf + b"\r"]):
        path = tmp_path / f"mixed{i}.csv"
        path.write_bytes(body)
        store = ObservationStore(tmp_path / f"s{i}")
        try:
            expected = InputFile(path).stage(store, GROUPS, lane=False)
        except FileError as exc:
            with pytest.raises(FileError) as lane:
                InputFile(path).stage(store, GROUPS)
            assert str(lane.value) == str(exc)
        else:
            expected.discard()
            both(tmp_path / f"b{i}", path, via="duckdb")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 4096])
def test_the_byte_scan_sees_quotes_and_line_ends_however_the_reads_cut_them(size):
    import io
    import re

    from cityline.observations.files import _Scanned

    bodies = [b"a,b\nc,d\n", b"a,b\r\nc,d\r\n", b"a,b\r\nc,d\n", b"a,b\nc,d\r\n", b"a\rb\r\n", b"a,b\r\nc",
              b'a,"b"\r\n', b"a\r\nb\r", b"a\r", b"", b"no line end", b"\r\n\r\n\n"]
    for body in bodies:
        scanned = _Scanned(io.BytesIO(body))
        while scanned.read(size):
            pass
        lf, crlf = len(re.findall(rb"(?<!\r)\n", body)), body.count(b"\r\n")
        lone_cr = len(re.findall(rb"\r(?!\n)", body))
        assert scanned.mixed_newlines == bool(lone_cr or (lf and crlf)), body
        assert scanned.quoted == (b'"' in body), body


def test_parquet_text_that_is_not_utf8_is_refused_as_by_duckdb(tmp_path):
    """The lane stored it, and every reader of the store failed from then on."""
    bad = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(b"\x00\x00\x00\x00\x02\x00\x00\x00"),
                                                 pa.py_buffer(b"\xff\xfe")])
    path = tmp_path / "latin.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"], "time": pa.array([T0], pa.timestamp("us", tz="UTC")),
                             "value": [1.0], "quality": bad}), path)
    error = refused_alike(tmp_path / "store", path)
    assert "UTF8" in str(error)


def test_a_line_duckdb_would_find_too_long_is_left_to_it(tmp_path):
    rows = both(tmp_path / "a", write_csv(tmp_path / "long.csv", [
        "series,time,value,quality", f"air-harbour,{at(0)},1,{'q' * 1_000_001}"]), via="duckdb")
    assert len(rows[0][3]) == 1_000_001
    for i, line in enumerate([f"air-harbour,{at(0)},1,{'q' * 2_000_000},", f"air-harbour,{at(0)},1,{'q' * 999_990},"
                              f"{'m' * 999_990}", f"air-harbour,{at(0)},{'0' * 2_100_000}1,,"]):
        path = write_csv(tmp_path / f"longer{i}.csv", ["series,time,value,quality,message_id", line])
        refused_alike(tmp_path / f"store{i}", path)


@pytest.mark.parametrize("size", [7, 65_536, 999_999, 1 << 24])
def test_the_byte_scan_finds_every_line_of_two_million_bytes(size):
    import io

    from cityline.observations.files import LONG_LINE_BYTES, _Scanned

    for before in (0, 3, 999_999, 1_000_001):
        for length, long in ((LONG_LINE_BYTES, True), (LONG_LINE_BYTES // 2 - 1, False), (1000, False)):
            body = b"x" * before + b"\n" + b"y" * length + b"\nshort\n" * 3
            scanned = _Scanned(io.BytesIO(body))
            while scanned.read(size):
                pass
            if long:
                assert scanned.long_line, (before, length)
            elif length < LONG_LINE_BYTES // 2 and before < LONG_LINE_BYTES // 2:  # no line covers a window
                assert not scanned.long_line, (before, length)


def test_an_empty_parquet_time_is_refused_on_both_paths(tmp_path):
    """The DuckDB path stored it, in a partition of no month."""
    path = tmp_path / "empty-time.parquet"
    pq.write_table(pa.table({"series": ["air-harbour", "air-station"], "time": pa.array([T0, None], pa.timestamp(
        "us", tz="UTC")), "value": [1.0, 2.0]}), path)
    store = ObservationStore(tmp_path / "store")
    for lane in (True, False):
        with pytest.raises(FileError) as error:
            InputFile(path).stage(store, GROUPS, lane=lane)
        assert str(error.value) == "empty-time.parquet, row 2, column 'time': empty"
    assert not store.files() and not list(store.root.glob(".staging-*"))


def test_csv_files_in_series_order_gzipped_with_crlf_and_blank_lines(tmp_path):
    lines = ["series,time,value"] + [f"{s},{at(i)},{i}" for s in sorted(GROUPS) for i in range(0, 300, 7)]
    both(tmp_path / "a", write_csv(tmp_path / "series-order.csv.gz", lines), via="duckdb")  # Python's gzip and
    # DuckDB's differ on damaged files (trailing bytes), so compressed files are DuckDB's
    both(tmp_path / "c", write_csv(tmp_path / "series-order.csv", lines))
    lines.insert(1, "")
    lines.append("")
    both(tmp_path / "b", write_csv(tmp_path / "crlf.csv", lines, newline="\r\n"))


def test_a_file_in_no_order_is_checked_for_keys_given_twice_after_staging(tmp_path):
    lines = ["series,time,value"] + [f"{s},{at((i * 37) % 101)},{i}" for i in range(101) for s in ("air-station",)]
    lines += ["water-level,2026-01-01T00:00:00Z,1", "air-station,2026-03-01T00:00:00Z,2"]
    rows = both(tmp_path, write_csv(tmp_path / "shuffled.csv", lines))
    assert len(rows) == 103


def test_a_key_given_twice_is_left_to_the_duckdb_path_where_the_last_row_wins(tmp_path):
    lines = ["series,time,value", f"air-harbour,{at(0)},1", f"air-harbour,{at(1)},2", f"air-harbour,{at(0)},3"]
    rows = both(tmp_path, write_csv(tmp_path / "twice.csv", lines), via="duckdb")
    assert [r[2] for r in rows] == [3.0, 2.0]


def test_the_order_is_checked_across_batches(tmp_path, monkeypatch):
    """Each batch in order, but a key repeats where two batches meet: the lane must not take the file."""
    monkeypatch.setattr(arrow_stage, "BATCH_ROWS", 2)
    times = pa.array([T0, T0 + timedelta(minutes=1), T0, T0 + timedelta(minutes=2)], pa.timestamp("us", tz="UTC"))
    path = tmp_path / "batches.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"] * 4, "time": times, "value": [1.0, 2.0, 3.0, 4.0]}), path,
                   row_group_size=2)
    counted = []
    real = arrow_stage._given_twice
    monkeypatch.setattr(arrow_stage, "_given_twice", lambda staged: counted.append(1) or real(staged))
    rows = both(tmp_path, path, via="duckdb")
    assert [r[2] for r in rows] == [3.0, 2.0, 4.0]
    assert counted == [1]  # the order did not pass across the batches: the keys were counted


def test_a_csv_file_with_a_quote_early_on_is_declined_at_once(tmp_path, monkeypatch):
    """Not read and staged to the end first, to be thrown away (a quote is common in exports)."""
    from cityline.observations import files

    monkeypatch.setattr(files, "CSV_BLOCK_BYTES", 1024)
    checked = []
    real = arrow_stage._Checks._checked
    monkeypatch.setattr(arrow_stage._Checks, "_checked", lambda self, batch: checked.append(1) or real(self, batch))
    lines = ["series,time,value", f'"air-harbour",{at(0)},1'] + [f"air-station,{at(i)},{i}" for i in range(1, 3000)]
    both(tmp_path, write_csv(tmp_path / "quoted.csv", lines), via="duckdb")
    assert len(checked) <= 1  # of about a hundred blocks


def test_parquet_files_of_other_time_units_zones_and_number_types(tmp_path):
    n = 500
    paris = pa.array([T0 + timedelta(minutes=13 * i) for i in range(n)], pa.timestamp("us", tz="UTC"))
    table = pa.table({
        "series": [("air-harbour", "air-station", "water-level")[i % 3] for i in range(n)],
        "time": paris.cast(pa.timestamp("ms", tz="Europe/Paris")),
        "value": pa.array(range(n), pa.int64()),
        "quality": [None if i % 4 else "checked" for i in range(n)],
    })
    pq.write_table(table, tmp_path / "ms.parquet", use_dictionary=False)
    both(tmp_path / "a", tmp_path / "ms.parquet")
    nanos = table.set_column(1, "time", paris.cast(pa.timestamp("ns", tz="UTC"))).set_column(
        2, "value", pa.array([None if i % 5 == 0 else i / 3 for i in range(n)], pa.float32()))
    pq.write_table(nanos, tmp_path / "ns.parquet")
    both(tmp_path / "b", tmp_path / "ns.parquet")


@pytest.mark.parametrize("name, content, reason", [
    ("epoch.csv", ["series,time,value", "air-harbour,1764547200,1"], "an epoch time"),
    ("blank-first.csv", ["", "series,time,value", f"air-harbour,{at(0)},1"], "blank lines before the header"),
    ("midnight.csv", ["series,time,value", "air-harbour,2026-11-20T24:00:00Z,1"], "a time Arrow does not read"),
    ("lines.jsonl", ['{"series": "air-harbour", "time": "2026-11-20T08:00:00Z", "value": 1}'], "JSON lines"),
])
def test_files_the_lane_declines_are_stored_by_the_duckdb_path(tmp_path, name, content, reason):
    rows = both(tmp_path, write_csv(tmp_path / name, content), via="duckdb")
    assert len(rows) == 1, reason


def test_a_parquet_time_finer_than_a_microsecond_is_left_to_duckdb(tmp_path):
    times = pa.array([1_764_547_200_000_000_001, 1_764_547_260_000_000_000], pa.timestamp("ns", tz="UTC"))
    pq.write_table(pa.table({"series": ["air-harbour", "air-station"], "time": times, "value": [1.0, 2.0]}),
                   tmp_path / "ns.parquet")
    both(tmp_path, tmp_path / "ns.parquet", via="duckdb")


@pytest.mark.parametrize("bad, column", [
    ("air-harbour,2026-01-31T22:30:00Z,NaN", "value"),
    ("air-harbour,2026-01-31T22:30:00Z,inf", "value"),
    ("elsewhere,2026-01-31T22:30:00Z,1", "series"),
    (",2026-01-31T22:30:00Z,1", "series"),
    ("air-harbour,,1", "time"),
    ("air-harbour,2026-01-31T22:30:00,1", "time"),
])
def test_a_bad_row_is_named_as_the_duckdb_path_names_it_and_nothing_is_left(tmp_path, bad, column):
    lines = ["series,time,value"] + [f"air-station,{at(i)},{i}" for i in range(50)] + [bad]
    path = write_csv(tmp_path / "bad.csv", lines)
    error = refused_alike(tmp_path / "store", path)
    assert (error.column, error.row, error.line) == (column, 51, 52)


def test_a_bad_row_in_a_later_batch_removes_what_the_lane_already_wrote(tmp_path, monkeypatch):
    monkeypatch.setattr(arrow_stage, "BATCH_ROWS", 10)
    values = [float(i) for i in range(95)] + [float("nan")]
    times = pa.array([T0 + timedelta(minutes=i) for i in range(96)], pa.timestamp("us", tz="UTC"))
    path = tmp_path / "late.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"] * 96, "time": times, "value": values}), path)
    store = ObservationStore(tmp_path / "store")
    declined = []
    real = arrow_stage.stage

    def watched(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except arrow_stage.Declined as exc:
            declined.append(str(exc))
            raise

    monkeypatch.setattr(arrow_stage, "stage", watched)
    with pytest.raises(FileError) as error:
        InputFile(path).stage(store, GROUPS)
    assert declined == ["a value NaN or infinite"]
    assert (error.value.column, error.value.row) == ("value", 96)
    assert not store.files() and not list(store.root.glob(".staging-*"))


def test_a_big_file_goes_through_the_lane_from_the_ingest_command(tmp_path, monkeypatch):
    """`cityline ingest` (bulk.load) stages big files through InputFile.stage: the lane is on its way."""
    from cityline.observations import bulk

    monkeypatch.setattr(bulk, "BULK_ROWS", 10)
    seen = []
    real = arrow_stage.stage
    monkeypatch.setattr(arrow_stage, "stage", lambda *a, **k: seen.append(real(*a, **k)) or seen[-1])
    times = pa.array([T0 + timedelta(minutes=i) for i in range(40)], pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"series": ["water-level"] * 40, "time": times, "value": [1.0] * 40}),
                   tmp_path / "big.parquet")
    source = InputFile(tmp_path / "big.parquet")
    assert bulk.is_big(source)
    staged = source.stage(ObservationStore(tmp_path / "store"), GROUPS)
    assert seen == [staged] and staged.via == "arrow" and staged.rows == 40
    staged.discard()


@pytest.mark.parametrize("name, body, via", [
    ("bom.csv", b"\xef\xbb\xbfseries,time,value\nair-harbour,T0,1\nair-station,T1,2\n", "arrow"),
    ("unended.csv", b"series,time,value\nair-harbour,T0,1\nair-station,T1,2", "arrow"),
    ("blank.csv", b"series,time,value\nair-harbour,T0,1\n\n\n\nair-station,T1,2\n\n", "arrow"),
    ("crlf-blank.csv", b"series,time,value\r\nair-harbour,T0,1\r\n\r\nair-station,T1,2", "arrow"),
    ("cr.csv", b"series,time,value\rair-harbour,T0,1\r\rair-station,T1,2\r", "duckdb"),
    ("quoted.csv", b'"series","time","value"\n"air-harbour",T0,"1"\n\nair-station,"T1",2\n', "duckdb"),
    ("bom-quoted.csv", b'\xef\xbb\xbf"series" ,time,value\r\nair-harbour,T0,1\r\nair-station,T1,2\r\n', "duckdb"),
])
def test_every_data_line_is_one_reading_whichever_path_stores_it(tmp_path, name, body, via):
    path = tmp_path / name
    path.write_bytes(body.replace(b"T0", at(0).encode()).replace(b"T1", at(1).encode()))
    rows = both(tmp_path, path, via=via)
    assert [(r[0], r[2]) for r in rows] == [("air-harbour", 1.0), ("air-station", 2.0)]


def test_a_file_read_as_fewer_rows_than_it_holds_is_refused_on_both_paths_and_nothing_is_left(tmp_path):
    """A space before an opening quote: DuckDB reads the lines up to the next quote as one field (Python's csv module
    reads the quote as text). The DuckDB path stored 3 readings of the 5 rows, one with a quality made of two lines."""
    path = write_csv(tmp_path / "swallowed.csv", [
        "series,time,value,quality", f"air-harbour,{at(0)},1,ok", f'air-station,{at(1)},2, "checked',
        f"water-level,{at(2)},3,ok", f'air-harbour,{at(3)},4,x"', f"air-station,{at(4)},5,ok"])
    error = refused_alike(tmp_path / "store", path)
    assert (error.row, error.line) == (2, 3)
    assert error.problem.startswith("the file holds 5 data rows but is read as 3"), str(error)


def test_a_key_given_twice_in_a_file_with_quotes_is_counted_as_read_not_as_staged(tmp_path):
    """The staged rows are fewer than the rows read when a key is given twice (the last kept): not a lost row."""
    rows = both(tmp_path, write_csv(tmp_path / "twice.csv", [
        "series,time,value", f'"air-harbour",{at(0)},1', f"air-harbour,{at(1)},2", f'air-harbour,"{at(0)}",3']),
        via="duckdb")
    assert [r[2] for r in rows] == [3.0, 2.0]

