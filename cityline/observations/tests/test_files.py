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
    assert str(error).startswith("r.jsonl, row 2, column 'colour': unknown key")
    error = refused(write(tmp_path, "s.jsonl", '{"series": "air-harbour", "time": "2026-11-27T08:00:00Z", "value": "x"}\n'))
    assert str(error) == "s.jsonl, row 1, column 'value': not a number: x"
    error = refused(write(tmp_path, "c.csv", "series,time,value,colour\nair-harbour,1764230400,1,red\n"))
    assert str(error) == "c.csv, column 'colour': unknown column; the columns are series, time, value, quality, message_id"
    error = refused(write(tmp_path, "d.csv", "series,value\nair-harbour,1\n"))
    assert str(error) == "d.csv, column 'time': missing column"


def test_a_parquet_time_without_zone_is_refused(tmp_path):
    path = tmp_path / "naive.parquet"
    pq.write_table(pa.table({"series": ["air-harbour"], "time": pa.array([datetime(2026, 1, 1)], pa.timestamp("us")),
                             "value": [1.0]}), path)
    assert "naive.parquet, column 'time': no time zone" in str(refused(path))
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"series": ["air-harbour", "air-harbour", None],
                             "time": pa.array([T, T, T], pa.timestamp("us", tz="UTC")), "value": [1.0, 2.0, 3.0]}), path)
    assert str(refused(path)) == "bad.parquet, row 3, column 'series': empty"


def test_format_from_extension_or_named():
    assert format_of("a.CSV") == "csv" and format_of("a.ndjson") == "jsonl" and format_of("x.bin", "parquet") == "parquet"
    with pytest.raises(ValueError, match="--format"):
        format_of("readings.xlsx")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_epoch_milliseconds_are_read_and_epoch_times_outside_1973_to_2200_refused_as_on_mqtt(tmp_path, fmt):
    """The MQTT rule (domain.payload.EPOCH_RULE): seconds from 10^8 to the end of 2200, milliseconds over 10^11."""
    def make(name, times):
        rows = [{"series": "air-harbour", "time": t, "value": float(i)} for i, t in enumerate(times)]
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "csv":
            path.write_text("series,time,value\n" + "".join(f"{r['series']},{r['time']},{r['value']}\n" for r in rows))
        elif fmt == "jsonl":
            path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        else:
            pq.write_table(pa.table({"series": [r["series"] for r in rows], "time": pa.array(times, pa.int64()),
                                     "value": [r["value"] for r in rows]}), path)
        return path

    table = InputFile(make("ok", [1764230400, 1764230400123])).read(GROUPS)
    assert table.column("time").to_pylist() == [datetime(2025, 11, 27, 8, tzinfo=timezone.utc),
                                                datetime(2025, 11, 27, 8, 0, 0, 123000, tzinfo=timezone.utc)]
    for bad in (20261120, 17642304001230, -5, 9_000_000_000):
        error = refused(make("bad", [1764230400, 1764230460, bad]))
        assert (error.row, error.column) == (3, "time"), str(error)
        assert f"epoch time {bad} is out of range: give epoch seconds from 10^8" in str(error)


@pytest.mark.parametrize("text", ["inf", "Infinity", "-inf", "1e400"])
def test_an_infinite_value_is_refused_naming_row_and_column(tmp_path, text):
    body = f"series,time,value\nair-harbour,1764230400,1\nair-harbour,1764230460,{text}\n"
    error = refused(write(tmp_path, "r.csv", body))
    assert str(error) == f"r.csv, row 2 (line 3), column 'value': not a finite number: {text}"
    error = refused(write(tmp_path, "r.jsonl", '{"series": "air-harbour", "time": 1764230400, "value": 1}\n'
                                               f'{{"series": "air-harbour", "time": 1764230460, "value": "{text}"}}\n'))
    assert str(error) == f"r.jsonl, row 2, column 'value': not a finite number: {text}"
    error = refused(write(tmp_path, "n.jsonl", '{"series": "air-harbour", "time": 1764230400, "value": 1e400}\n'))
    assert str(error) == "n.jsonl, row 1, column 'value': not a finite number: 1e400"
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
