"""Reading observation files (issue 6): CSV, JSON lines and Parquet; bad rows named by file, row and column."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cityline.observations.files import FileError, InputFile, format_of

GROUPS = {"air-harbour": "air", "air-station": "air"}
T = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path, groups=GROUPS, **kwargs) -> FileError:
    with pytest.raises(FileError) as err:
        InputFile(path, **kwargs).read(groups)
    return err.value


def test_each_format_reads_the_same_readings(tmp_path):
    csv = write(tmp_path, "readings.csv", "series,time,value,quality\n"
                                          "air-harbour,2026-11-27T08:00:00Z,12.5,ok\n"
                                          "air-harbour,2026-11-27T10:00:00+02:00,13,\n"
                                          "air-station,1764230400,,\n")
    jsonl = write(tmp_path, "readings.jsonl", "\n".join(json.dumps(r) for r in [
        {"series": "air-harbour", "time": "2026-11-27T08:00:00Z", "value": 12.5, "quality": "ok"},
        {"series": "air-harbour", "time": "2026-11-27T10:00:00+02:00", "value": 13},
        {"series": "air-station", "time": 1764230400, "value": None}]) + "\n")
    parquet = tmp_path / "readings.parquet"
    pq.write_table(pa.table({
        "series": ["air-harbour", "air-harbour", "air-station"],
        "time": pa.array([T, T.replace(hour=8), datetime(2025, 11, 27, 8, tzinfo=timezone.utc)],
                         pa.timestamp("ms", tz="Europe/Paris")),
        "value": [12.5, 13.0, None], "quality": ["ok", None, None]}), parquet)
    expected = [("air-harbour", T, 12.5, "ok"), ("air-harbour", T, 13.0, None),
                ("air-station", datetime(2025, 11, 27, 8, tzinfo=timezone.utc), None, None)]
    for path in (csv, jsonl, parquet):
        table = InputFile(path).read(GROUPS)
        got = [(r["series"], r["time"], r["value"], r["quality"]) for r in table.to_pylist()]
        assert got == expected, path.name
        assert table.schema.field("time").type == pa.timestamp("us", tz="UTC")


@pytest.mark.parametrize("body, message", [
    ("air-harbour,2026-11-27T08:00:00Z,1\nair-harbour,2026-11-27T08:15:00,2\n",
     "readings.csv, row 2 (line 3), column 'time': no time zone"),
    ("air-harbour,2026-11-27T08:00:00Z,1\nair-harbour,2026-11-27T08:15:00Z,high\n",
     "readings.csv, row 2 (line 3), column 'value': not a number: high"),
    ("air-harbour,2026-11-27T08:00:00Z,1\nair-harbour,2026-11-27T08:15:00Z,NaN\n",
     "readings.csv, row 2 (line 3), column 'value': not a number (NaN)"),
    ("air-harbour,2026-11-27T08:00:00Z,1\nair-nowhere,2026-11-27T08:15:00Z,2\n",
     "readings.csv, row 2 (line 3), column 'series': no series 'air-nowhere' in this city"),
    ("air-harbour,2026-11-27T08:00:00Z,1\n,2026-11-27T08:15:00Z,2\n",
     "readings.csv, row 2 (line 3), column 'series': empty"),
    ("air-harbour,2026-11-20,1\n", "readings.csv, row 1 (line 2), column 'time': no time zone (2026-11-20)"),
    ("air-harbour,2026-02-30T08:00:00Z,1\n", "readings.csv, row 1 (line 2), column 'time': not an ISO 8601 time"),
])
def test_a_bad_csv_row_is_named_by_file_row_line_and_column(tmp_path, body, message):
    error = refused(write(tmp_path, "readings.csv", "series,time,value\n" + body))
    assert message in str(error), str(error)


def test_the_first_bad_row_of_a_big_file_is_found_in_file_order(tmp_path):
    rows = [f"air-harbour,{1764230400 + i},{i}" for i in range(300_000)]
    rows[250_000] = "air-harbour,2026-11-27 08:00:00,1"
    rows[280_000] = "air-harbour,2026-11-27T08:00:00Z,high"
    error = refused(write(tmp_path, "big.csv", "series,time,value\n" + "\n".join(rows) + "\n"))
    assert (error.row, error.line, error.column) == (250_001, 250_002, "time")


def test_bad_json_lines_and_columns(tmp_path):
    error = refused(write(tmp_path, "r.jsonl", '{"series": "air-harbour", "time": "2026-11-27T08:00:00Z", "value": 1}\n'
                                               '{"series": "air-harbour", "time": 1764230400, "value": 1, "colour": "red"}\n'))
    assert str(error).startswith("r.jsonl, row 2 (line 2), column 'colour': unknown key")
    error = refused(write(tmp_path, "s.jsonl", '{"series": "air-harbour", "time": "2026-11-27T08:00:00Z", "value": "x"}\n'))
    assert str(error) == "s.jsonl, row 1 (line 1), column 'value': not a number: x"
    error = refused(write(tmp_path, "c.csv", "series,time,value,colour\nair-harbour,1764230400,1,red\n"))
    assert str(error) == "c.csv, column 'colour': unknown column; the columns are series, time, value, quality, message_id"
    error = refused(write(tmp_path, "d.csv", "series,value\nair-harbour,1\n"))
    assert str(error) == "d.csv, column 'time': missing column (the columns found: 'series', 'value')"


def test_a_parquet_time_without_zone_is_refused(tmp_path):
    path = tmp_path / "naive.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"], "time": pa.array([datetime(2026, 1, 1)], pa.timestamp("us")),
                             "value": [1.0]}), path)
    assert "naive.parquet, column 'time': no time zone" in str(refused(path))
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"series": ["air-harbour", "air-harbour", None],
                             "time": pa.array([T, T, T], pa.timestamp("us", tz="UTC")), "value": [1.0, 2.0, 3.0]}), path)
    assert str(refused(path)) == "bad.parquet, row 3, column 'series': empty"


def test_an_hour_without_minutes_is_read_as_the_mqtt_and_json_paths_read_it(tmp_path):
    path = write(tmp_path, "hours.csv",
                 "series,time,value\nair-harbour,2026-11-27T08Z,1\nair-harbour,2026-11-27 09+01:00,2\n")
    table = InputFile(path).read(GROUPS)
    assert table.column("time").to_pylist() == [datetime(2026, 11, 27, 8, tzinfo=timezone.utc)] * 2
    error = refused(write(tmp_path, "h.csv", "series,time,value\nair-harbour,2026-11-27T8Z,1\n"))  # one digit
    assert (error.row, error.column) == (1, "time")


def test_a_nan_in_a_parquet_file_is_named_by_its_row(tmp_path):
    """pyarrow leaves NaN out of a column's statistics, and DuckDB's isnan() then answered false for it: the file
    was refused without a row."""
    path = tmp_path / "nan.parquet"
    times = pa.array([T] * 3, pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"series": ["air-harbour"] * 3, "time": times, "value": [1.0, float("nan"), 2.0]}), path)
    assert str(refused(path)) == "nan.parquet, row 2, column 'value': not a number (NaN)"
    pq.write_table(pa.table({"series": ["air-harbour"] * 3, "time": times, "value": [1.0, 2.0, -float("inf")]}), path)
    assert str(refused(path)) == "nan.parquet, row 3, column 'value': not a finite number (infinity)"


def test_format_from_extension_or_named():
    assert format_of("a.CSV") == "csv" and format_of("a.ndjson") == "jsonl" and format_of("x.bin", "parquet") == "parquet"
    with pytest.raises(ValueError, match="--format"):
        format_of("readings.xlsx")


def _epoch_file(tmp_path, fmt: str, name: str, times: list, *, blank_line_after: int | None = None):
    """A file of air-harbour readings at ``times`` (epoch numbers; Parquet: an int64 column), a blank line after
    row ``blank_line_after`` (CSV, JSON lines)."""
    rows = [{"series": "air-harbour", "time": t, "value": float(i)} for i, t in enumerate(times)]
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table({"series": [r["series"] for r in rows], "time": pa.array(times, pa.int64()),
                                 "value": [r["value"] for r in rows]}), path)
        return path
    lines = ([f"{r['series']},{r['time']},{r['value']}\n" for r in rows] if fmt == "csv"
             else [json.dumps(r) + "\n" for r in rows])
    if blank_line_after is not None:
        lines.insert(blank_line_after, "\n")
    path.write_text(("series,time,value\n" if fmt == "csv" else "") + "".join(lines))
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_epoch_milliseconds_are_read_and_epoch_times_outside_1980_to_2200_refused_as_on_mqtt(tmp_path, fmt):
    """The MQTT rule (domain.payload.EPOCH_RULE): seconds or milliseconds (over 10^11), 1980 to the end of 2200."""
    table = InputFile(_epoch_file(tmp_path, fmt, "ok", [1764230400, 1764230400123, 315532800, 315532800000])
                      ).read(GROUPS)
    assert table.column("time").to_pylist() == [datetime(2025, 11, 27, 8, tzinfo=timezone.utc),
                                                datetime(2025, 11, 27, 8, 0, 0, 123000, tzinfo=timezone.utc),
                                                datetime(1980, 1, 1, tzinfo=timezone.utc),
                                                datetime(1980, 1, 1, tzinfo=timezone.utc)]
    for bad in (20261120, 17642304001230, -5, 9_000_000_000, 100_000_000, 315532799, 100_000_000_001, 315532799999,
                202611200800):
        error = refused(_epoch_file(tmp_path, fmt, "bad", [1764230400, 1764230460, bad]))
        assert (error.row, error.column) == (3, "time"), str(error)
        assert f"epoch time {bad} is out of range: give epoch seconds, or milliseconds (numbers over 10^11), " \
               "from 1980-01-01 to the end of 2200" in str(error)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("bad, looks_like", [(202611200800, "2026-11-20T08:00"), (190001010000, "1900-01-01T00:00"),
                                             (219912312359, "2199-12-31T23:59"),
                                             (20261120080005, "2026-11-20T08:00:05")])
def test_a_compact_date_time_is_refused_not_read_as_milliseconds_and_the_error_says_what_it_looks_like(
        tmp_path, fmt, bad, looks_like):
    """202611200800 (2026-11-20 08:00) as epoch milliseconds is 1976-06-03: refused, with a hint."""
    error = refused(_epoch_file(tmp_path, fmt, "r", [1764230400, 1764230460, bad], blank_line_after=1))
    where = f"r.{fmt}, row 3" + {"csv": " (line 5)", "jsonl": " (line 4)", "parquet": ""}[fmt]
    assert str(error) == (f"{where}, column 'time': epoch time {bad} is out of range: give epoch seconds, or "
                          "milliseconds (numbers over 10^11), from 1980-01-01 to the end of 2200; "
                          f"{bad} looks like a compact date-time ({looks_like}); write times as ISO 8601 with a zone")


@pytest.mark.parametrize("bad", [199913011200, 202611200875, 100_000_000_000, 20261120])
def test_a_refused_epoch_number_that_is_no_date_time_gets_no_compact_date_time_hint(tmp_path, bad):
    error = refused(_epoch_file(tmp_path, "csv", "r", [1764230400, bad]))
    assert (error.row, error.line, error.column) == (2, 3, "time") and "out of range" in str(error), str(error)
    assert "looks like" not in str(error)


@pytest.mark.parametrize("text", ["inf", "Infinity", "-inf", "1e400"])
def test_an_infinite_value_is_refused_naming_row_and_column(tmp_path, text):
    body = f"series,time,value\nair-harbour,1764230400,1\nair-harbour,1764230460,{text}\n"
    error = refused(write(tmp_path, "r.csv", body))
    assert str(error) == f"r.csv, row 2 (line 3), column 'value': not a finite number: {text}"
    error = refused(write(tmp_path, "r.jsonl", '{"series": "air-harbour", "time": 1764230400, "value": 1}\n'
                                               f'{{"series": "air-harbour", "time": 1764230460, "value": "{text}"}}\n'))
    assert str(error) == f"r.jsonl, row 2 (line 2), column 'value': not a finite number: {text}"
    error = refused(write(tmp_path, "n.jsonl", '{"series": "air-harbour", "time": 1764230400, "value": 1e400}\n'))
    assert str(error) == "n.jsonl, row 1 (line 1), column 'value': not a finite number: 1e400"
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"] * 2, "time": pa.array([T, T], pa.timestamp("us", tz="UTC")),
                             "value": [1.0, float(text)]}), path)
    assert str(refused(path)) == "r.parquet, row 2, column 'value': not a finite number (infinity)"


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_a_parquet_time_with_a_zone_is_read_whatever_its_unit(tmp_path, unit):
    """pandas writes timestamp[ns, tz=UTC] (DuckDB: TIMESTAMPTZ_NS) by default."""
    path = tmp_path / "zoned.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"], "time": pa.array([T], pa.timestamp(unit, tz="UTC")),
                             "value": [1.0]}), path)
    assert InputFile(path).read(GROUPS).column("time").to_pylist() == [T]
    naive = tmp_path / "naive.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"], "time": pa.array([T.replace(tzinfo=None)], pa.timestamp(unit)),
                             "value": [1.0]}), naive)
    assert "column 'time': no time zone" in str(refused(naive))


def _rows(n: int, bad: int, line: str) -> str:
    rows = [f"air-harbour,{1764230400 + 60 * i},{i}" for i in range(1, n + 1)]
    rows[bad - 1] = line
    return "series,time,value\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("body, message", [
    # a decimal comma: one field too many, on the last row (DuckDB's sniffer took that row for the header) ...
    (_rows(1000, 1000, "air-harbour,1764300000,1,5"),
     "r.csv, row 1000 (line 1001): Expected Number of Columns: 3 Found: 4"),
    # ... and in the middle (the sniffer gave up: "Error when sniffing file")
    (_rows(100, 50, "air-harbour,1764300000,1,5"), "r.csv, row 50 (line 51): Expected Number of Columns: 3 Found: 4"),
    (_rows(10, 4, "air-harbour,1764300000"), "r.csv, row 4 (line 5): Expected Number of Columns: 3 Found: 2"),
    (_rows(10, 4, 'air-harbour,"1764300000,1'), "r.csv, row 4 (line 5): Value with unterminated quote found"),
    ("series;time;value\nair-harbour;1764230400;1,5\n",
     "r.csv, column 'series': missing column (the columns found: 'series;time;value'); "
     "separate the columns with commas"),
    ("", "r.csv: empty file"),
    ("\n\n", "r.csv: empty file"),
    ("series,time,value,value\nair-harbour,1764230400,1,2\n",
     "r.csv, line 1, column 'value': the header names this column twice"),
])
def test_a_csv_layout_problem_is_named_by_row_line_and_duckdbs_reason(tmp_path, body, message):
    error = refused(write(tmp_path, "r.csv", body))
    assert str(error) == message
    assert "Possible" not in str(error) and "sniffing" not in str(error)


def test_a_csv_that_is_not_utf8_or_has_an_overlong_line_says_so(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("series,time,value,quality\nair-harbour,1764230400,1,\u00e9t\u00e9\n".encode("latin-1"))
    error = refused(path)
    assert (error.row, error.line) == (1, 2) and "not utf-8 encoded" in str(error), str(error)
    path.write_bytes(b"s\xe9ries,time,value\n")
    assert str(refused(path)) == "r.csv, line 1: not utf-8 encoded; save the file as UTF-8"
    path.write_text("series,time,value,quality\n" + "".join(f"air-harbour,{1764230400 + i},{i},ok\n" for i in range(5))
                    + "air-harbour,1764240000,1," + "x" * 3_000_000 + "\n")
    error = refused(path)
    assert (error.row, error.line) == (6, 7) and "Maximum line size" in error.problem, str(error)


@pytest.mark.parametrize("text", [
    "\ufeffseries,time,value\nair-harbour,2026-11-27T08:00:00Z,1.5\n",               # a byte order mark
    "series,time,value\r\nair-harbour,2026-11-27T08:00:00Z,1.5\r\n",                 # CRLF
    'series,time,value,quality\n"air-harbour","2026-11-27T08:00:00Z","1.5","a, ""b"""\n',  # quoted fields
    "series,time,value\nair-harbour,2026-11-27T08:00:00Z,1.5\n\n\n",                 # blank lines at the end
    "series, time, value\nair-harbour, 2026-11-27T08:00:00Z, 1.5\n",                # spaces after the commas
    "\nseries,time,value\nair-harbour,2026-11-27T08:00:00Z,1.5\n",                   # a blank line before the header
    "series,time,value\nair-harbour,2026-11-27T08:00:00Z,1.5",                       # no newline at the end
])
def test_accepted_csv_layouts(tmp_path, text):
    table = InputFile(write(tmp_path, "r.csv", text)).read(GROUPS)
    assert [(r["series"], r["time"], r["value"]) for r in table.to_pylist()] == [("air-harbour", T, 1.5)]


@pytest.mark.parametrize("body, message", [
    ("series,time,value\nair-harbour,1764230400,1\n\nair-harbour,1764230460,2\nair-harbour,2026-11-20T10:00:00,3\n",
     "r.csv, row 3 (line 5), column 'time': no time zone"),
    ('series,time,value,quality\nair-harbour,1764230400,1,"checked\nby hand"\nair-harbour,1764230460,2,ok\n'
     "air-harbour,2026-11-20T10:00:00,3,ok\n", "r.csv, row 3 (line 5), column 'time': no time zone"),
    ('series,time,value,quality\nair-harbour,1764230400,1,"a\n\nb"\n\nair-harbour,1764230460,2\n',
     "r.csv, row 2 (line 6): Expected Number of Columns: 4 Found: 3"),
    ("series,time,value\nair-harbour,1764230400,1\n\nair-nowhere,1764230460,2\n",
     "r.csv, row 2 (line 4), column 'series': no series 'air-nowhere' in this city"),
])
def test_the_csv_line_is_the_physical_line_after_blank_lines_and_quoted_line_breaks(tmp_path, body, message):
    assert str(refused(write(tmp_path, "r.csv", body))).startswith(message)


def test_a_json_syntax_error_names_its_row_and_line_without_duckdbs_advice(tmp_path):
    good = '{"series": "air-harbour", "time": 1764230400, "value": 1}'
    error = refused(write(tmp_path, "r.jsonl", f"{good},\n{good}\n{good}\n"))
    assert str(error) == "r.jsonl, row 1 (line 1): not valid JSON: unexpected content after document"
    error = refused(write(tmp_path, "r.jsonl", f"{good}\n\n{good[:-1]}\n{good}\n"))
    assert (error.row, error.line) == (2, 3) and "not valid JSON" in str(error), str(error)
    assert "Try auto-detecting" not in str(error) and str(tmp_path) not in str(error)


@pytest.mark.parametrize("body, message", [
    ('{"series": "air-harbour", "time": 1764230400, "value": 1}\n\n\n'
     '{"series": "air-harbour", "time": 1764230460, "value": "abc"}\n',
     "r.jsonl, row 2 (line 4), column 'value': not a number: abc"),
    ('\n{"series": "air-harbour", "time": 1764230400, "value": 1}\n  \n'
     '{"series": "air-harbour", "time": 202611200800, "value": 2}\n',
     "r.jsonl, row 2 (line 4), column 'time': epoch time 202611200800 is out of range"),
    ('{"series": "air-harbour", "time": 1764230400, "value": 1}\n\r\n'
     '{"series": "air-harbour", "time": "2026-11-27T08:15:00", "value": 2}\r\n',
     "r.jsonl, row 2 (line 3), column 'time': no time zone"),
    ('\n\n{"series": "air-nowhere", "time": 1764230400, "value": 1}\n',
     "r.jsonl, row 1 (line 3), column 'series': no series 'air-nowhere' in this city"),
    ('{"series": "air-harbour", "time": 1764230400, "value": 1}\n\n[1, 2]\n',
     "r.jsonl, row 2 (line 3): not a JSON object"),
])
def test_a_bad_json_lines_row_names_its_line_too_after_blank_lines(tmp_path, body, message):
    error = refused(write(tmp_path, "r.jsonl", body))
    assert str(error).startswith(message), str(error)


@pytest.mark.parametrize("body", ["", "\n\n"])
def test_an_empty_json_lines_file_is_refused_as_an_empty_csv_is(tmp_path, body):
    assert str(refused(write(tmp_path, "r.csv", body))) == "r.csv: empty file"
    assert str(refused(write(tmp_path, "r.jsonl", body))) == "r.jsonl: empty file"
    assert str(refused(write(tmp_path, "r.ndjson", body + "  \n\t\r\n"))) == "r.ndjson: empty file"  # blank lines


def test_an_empty_compressed_file_is_refused(tmp_path):
    import gzip

    for name in ("r.jsonl.gz", "r.csv.gz"):
        with gzip.open(tmp_path / name, "wt") as f:
            f.write("\n\n")
        assert str(refused(tmp_path / name)) == f"{name}: empty file"
    (tmp_path / "z.jsonl.gz").write_bytes(b"")
    assert str(refused(tmp_path / "z.jsonl.gz")) == "z.jsonl.gz: empty file"
    (tmp_path / "x.jsonl.gz").write_bytes(b"not gzip at all")
    assert str(refused(tmp_path / "x.jsonl.gz")).startswith("x.jsonl.gz: cannot read the file")


def test_a_directory_compressed_files_and_names_with_pattern_characters(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(FileError, match="d.csv: is a directory"):
        InputFile(tmp_path / "d.csv")
    with pytest.raises(FileError, match="nope.csv: no such file"):
        InputFile(tmp_path / "nope.csv")
    import gzip
    with gzip.open(tmp_path / "r.csv.gz", "wt") as f:
        f.write("series,time,value\nair-harbour,2026-11-27T08:00:00Z,1.5\n")
    with gzip.open(tmp_path / "r.jsonl.gz", "wt") as f:
        f.write('{"series": "air-harbour", "time": "2026-11-27T08:00:00Z", "value": 1.5}\n')
    for name in ("r.csv.gz", "r.jsonl.gz"):
        assert InputFile(tmp_path / name).read(GROUPS).column("value").to_pylist() == [1.5], name
    assert format_of("x.ndjson.gz") == "jsonl"
    with pytest.raises(ValueError, match="--format"):
        format_of("x.parquet.gz")
    # DuckDB takes * ? [ as a pattern: "a?.csv" must not read "ab.csv" too
    write(tmp_path, "a?.csv", "series,time,value\nair-harbour,2026-11-27T08:00:00Z,1.5\n")
    write(tmp_path, "ab.csv", "series,time,value\nair-station,2026-11-27T08:00:00Z,7\n")
    assert InputFile(tmp_path / "a?.csv").read(GROUPS).column("series").to_pylist() == ["air-harbour"]
    path = tmp_path / "[b]*.parquet"
    pq.write_table(pa.table({"series": ["air-station"], "time": pa.array([T], pa.timestamp("us", tz="UTC")),
                             "value": [2.0]}), path)
    pq.write_table(pa.table({"series": ["air-harbour"], "time": pa.array([T], pa.timestamp("us", tz="UTC")),
                             "value": [3.0]}), tmp_path / "b1.parquet")
    assert InputFile(path).read(GROUPS).column("value").to_pylist() == [2.0]


def test_errors_name_the_file_by_its_display_name_not_its_path(tmp_path):
    path = tmp_path / "upload.parquet"
    path.write_bytes(b"this is not a parquet file at all")
    with pytest.raises(FileError) as err:
        InputFile(path, "parquet", name="request body")
    assert str(err.value).startswith("request body: ") and str(tmp_path) not in str(err.value), str(err.value)


# --- a CSV file is read as the rows it holds, or refused (Python's csv module is the reference) -------------------

def _held(text: str) -> list[list[str]]:
    """The data rows Python's csv module reads from ``text``: its records but blank lines and the header."""
    import csv
    import io

    return [r for r in csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")) if r][1:]


@pytest.mark.parametrize("header, field, name", [
    ('"ser"ies,time,value', '"ser"ies', "series"),
    ('series,"ti"me,value', '"ti"me', "time"),
    ('series,time,"val"ue ', '"val"ue', "value"),
    ('series,"time"\t,value', '"time"\t', "time"),  # a tab after the closing quote: no row read either
])
def test_a_header_with_text_beside_a_double_quote_is_refused_naming_the_field(tmp_path, header, field, name):
    """DuckDB's CSV reader, told the columns, read such a file as no row at all: every reading lost, no error."""
    rows = "air-harbour,2026-11-27T08:00:00Z,1\nair-station,2026-11-27T08:00:00Z,2\n"
    path = write(tmp_path, "r.csv", f"{header}\n{rows}")
    with pytest.raises(FileError) as error:
        InputFile(path)
    assert str(error.value) == (f"r.csv, line 1, column {field!r}: text beside a double quote in the header; "
                                f'quote a column name whole ("{name}") or not at all')


@pytest.mark.parametrize("header, names", [
    ('"se""ries",time,value', ['se"ries', "time", "value"]),  # a doubled quote is one quote
    ('series,"ti\nme",value', ["series", "ti\nme", "value"]),  # a quoted name over two lines
    ('series,ti"me,value', ["series", 'ti"me', "value"]),  # a quote inside a name not opened by one is text
])
def test_a_header_is_read_as_pythons_csv_module_reads_it(tmp_path, header, names):
    path = write(tmp_path, "r.csv", f"{header}\nair-harbour,2026-11-27T08:00:00Z,1\n")
    with pytest.raises(FileError) as error:
        InputFile(path)
    assert str(error.value).endswith(f"missing column (the columns found: {', '.join(repr(n) for n in names)})")


def test_a_header_whose_quote_is_never_closed_is_refused_at_the_csv_field_limit(tmp_path):
    """The open quote would take the whole file for one name: the header is read once, line by line, and refused
    once the name passes the csv module's field limit, as the module itself refuses it."""
    path = tmp_path / "r.csv"
    path.write_text('series,"time,value\n' + "air-harbour,2026-11-27T08:00:00Z,1\n" * 70_000, encoding="utf-8")
    with pytest.raises(FileError) as error:
        InputFile(path)
    assert str(error.value) == "r.csv, line 1: header: field larger than field limit (2000000)"


@pytest.mark.parametrize("text", [
    '"series","time","value"\nair-harbour,2026-11-27T08:00:00Z,1.5\n',            # names quoted whole
    '"series" ,"time"  ,value\nair-harbour,2026-11-27T08:00:00Z,1.5\n',           # spaces after a closing quote
    '\ufeff"series",time,value\nair-harbour,2026-11-27T08:00:00Z,1.5\n',          # a BOM, then a quote
    "series,time,value\rair-harbour,2026-11-27T08:00:00Z,1.5\r",                 # CR line ends
    "series,time,value\rair-harbour,2026-11-27T08:00:00Z,1.5",                   # ... and none at the end
    "\r\rseries,time,value\r\rair-harbour,2026-11-27T08:00:00Z,1.5\r\r",         # ... and blank lines
])
def test_more_accepted_csv_layouts(tmp_path, text):
    table = InputFile(write(tmp_path, "r.csv", text)).read(GROUPS)
    assert [(r["series"], r["time"], r["value"]) for r in table.to_pylist()] == [("air-harbour", T, 1.5)]


def test_a_bad_row_in_a_file_of_cr_line_ends_is_named_by_its_row_and_line(tmp_path):
    """A file of CR line ends was one line to the header reader: refused as "new-line character seen in unquoted
    field", though DuckDB reads it."""
    path = tmp_path / "r.csv"
    path.write_bytes(b"series,time,value\rair-harbour,2026-11-27T08:00:00Z,1\r\rair-station,2026-11-27T08:00:00,2\r")
    assert str(refused(path)).startswith("r.csv, row 2 (line 4), column 'time': no time zone")


def test_a_space_before_an_opening_quote_that_swallows_lines_is_refused_naming_the_row(tmp_path):
    """DuckDB takes ` "` for an opening quote (Python's csv module for text): it read the lines up to the next quote
    as one field and stored the file as fewer rows than it holds, without a word."""
    text = ("series,time,value,quality\nair-harbour,2026-11-27T08:00:00Z,1,ok\n"
            'air-station,2026-11-27T08:00:00Z,2, "checked\n\nair-harbour,2026-11-27T09:00:00Z,3,ok\n'
            'air-harbour,2026-11-27T10:00:00Z,4,x"\nair-station,2026-11-27T11:00:00Z,5,ok\n')
    assert len(_held(text)) == 5
    error = refused(write(tmp_path, "r.csv", text))
    assert (error.row, error.line, error.column) == (2, 3, None)
    assert error.problem.startswith("the file holds 5 data rows but is read as 3"), str(error)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1 << 16])
def test_the_byte_count_of_records_is_python_csvs_however_the_reads_cut_the_file(size):
    import csv
    import io

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cityline.observations.files import _lines, _RecordCount

    pieces = st.lists(st.sampled_from(["a", ",", " ", "\n", "\r", "\r\n", "\n\n", "\r\r", "\ufeff", "\x00", "é"]),
                      max_size=30)

    @settings(max_examples=300, deadline=None)
    @given(pieces)
    def check(parts):
        data = "".join(parts).encode()
        count = _RecordCount()
        for i in range(0, len(data), size):
            count.feed(data[i:i + size])
        text = data.decode().removeprefix("\ufeff")
        assert count.records == sum(1 for r in csv.reader(io.StringIO(text, newline="")) if r), data
        assert list(_lines(io.BytesIO(data), size)) == [
            line.encode() for line in io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")], data

    check()


def test_every_csv_file_is_read_as_the_rows_it_holds_or_refused(tmp_path):
    """Whatever the quotes, blank lines, BOM and line ends: every data row Python's csv module reads is one reading,
    or the file is refused (DuckDB's reader and Python's part ways around quotes)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    header = st.sampled_from(["series,time,value", '"series",time,value', '\ufeffseries,"time",value',
                              'series ,"time" ,value', '"ser"ies,time,value'])
    field = st.sampled_from(["air-harbour", '"air-station"', ' "air-harbour', 'air-"harbour', '"air-harbour',
                             "2026-11-27T08:00:00Z", '"2026-11-27T09:00:00Z"', ' "2026-11-27T10:00:00Z', "1",
                             '"2"', "", ' "3', '4"', '"5\n6"', '"7"x'])
    end = st.sampled_from(["\n", "\r\n", "\r", "\n\n", ""])
    row = st.tuples(field, field, field, end).map(lambda r: ",".join(r[:3]) + r[3])

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(header, st.sampled_from(["\n", "\r\n", "\r"]), st.lists(row, max_size=4))
    def check(head, newline, rows):
        text = head + newline + "".join(rows)
        path = tmp_path / "r.csv"
        path.write_text(text, newline="")
        try:
            table = InputFile(path).read({"air-harbour": "air", "air-station": "air"})
        except FileError:
            return
        assert table.num_rows == len(_held(text)), text

    check()


def test_the_header_limit_holds_whatever_another_library_set_the_csv_limit_to(tmp_path):
    # Frictionless (the open data platform) raises the csv module's limit for the whole process; the full suite
    # read the header above whole once it had been imported first.
    import csv
    import sys

    previous = csv.field_size_limit(sys.maxsize)
    try:
        test_a_header_whose_quote_is_never_closed_is_refused_at_the_csv_field_limit(tmp_path)
    finally:
        csv.field_size_limit(previous)
