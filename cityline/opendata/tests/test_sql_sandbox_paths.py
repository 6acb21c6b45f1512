"""The read-only SQL endpoint tells nobody where the files are: no query reads DuckDB's catalogue,
settings or file metadata (each view's SQL holds its file's absolute path), and no error names a
server path; every ordinary query over the tables still runs (issue 4 item 6; B8, B14)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cityline.opendata.domain import query as qmod
from cityline.opendata.domain.query import QueryError, sql


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data directory with a name no answer may hold."""
    d = tmp_path_factory.mktemp("secret-data-dir") / "opendata" / "testville" / "readings"
    d.mkdir(parents=True)
    return d


@pytest.fixture(scope="module")
def readings(data_dir) -> Path:
    p = data_dir / "v1.parquet"
    n = 60
    pq.write_table(pa.table({
        "id": list(range(n)),
        "station": [f"S{i % 3}" for i in range(n)],
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=i % 20) for i in range(n)],
        "pm10": [float(i % 7) if i % 10 else None for i in range(n)],
        "tags": [[f"t{i % 2}", "x"] for i in range(n)],
    }), p)
    return p


@pytest.fixture(scope="module")
def stations(data_dir) -> Path:
    p = data_dir / "stations.parquet"
    pq.write_table(pa.table({"station": ["S0", "S1", "S2"], "district": ["North", "South", "North"]}), p)
    return p


@pytest.fixture(scope="module")
def corrupt(data_dir) -> Path:
    """A Parquet file with a sound footer (the view can be made) but a broken data page: DuckDB's
    error on reading it names the file."""
    p = data_dir / "corrupt.parquet"
    pq.write_table(pa.table({"id": list(range(1000)), "s": [f"x{i}" for i in range(1000)]}), p, compression="zstd")
    raw = p.read_bytes()
    footer_start = len(raw) - 8 - int.from_bytes(raw[-8:-4], "little")
    for offset in range(4, footer_start):
        b = bytearray(raw)
        b[offset] ^= 0xFF
        p.write_bytes(bytes(b))
        try:
            duckdb.connect().execute(f"SELECT * FROM read_parquet('{p}')").fetchall()
        except duckdb.Error as exc:
            if str(p) in str(exc):
                return p
    pytest.skip("no corruption found that DuckDB reports with the file's path")


def secrets(data_dir: Path) -> list[str]:
    """Strings that no answer may hold: the data directory (as given and resolved), the home and
    working directories."""
    base = data_dir.parents[2]
    return [str(base), str(base.resolve()), str(Path.home()), os.getcwd()]


def assert_no_path(text: str, data_dir: Path) -> None:
    for s in secrets(data_dir):
        assert s not in text, f"{s!r} in {text!r}"


# Every query of the reproduction that answered with a server path, a setting or the environment.
LEAKING = [
    # the catalogue: each view's SQL is "CREATE VIEW t AS SELECT * FROM read_parquet('/srv/...')"
    "SELECT sql FROM duckdb_views()",
    "SELECT * FROM system.main.duckdb_views()",
    "SELECT * FROM duckdb_columns()",
    "SELECT * FROM duckdb_databases()",
    "SELECT view_definition FROM information_schema.views",
    "SELECT * FROM system.information_schema.views",
    "SELECT * FROM information_schema.tables",
    "SELECT sql FROM sqlite_master",
    "SELECT sql FROM sqlite_schema",
    "SELECT definition FROM pg_views",
    "SELECT * FROM pg_catalog.pg_views",
    "SELECT * FROM pragma_database_list",
    "SELECT pg_get_viewdef(oid) FROM pg_class",
    "SELECT pg_catalog.pg_get_viewdef(1) AS v",
    # settings: allowed_paths holds the files' paths; secret, home, temporary directories
    "SELECT * FROM duckdb_settings()",
    "SELECT name, value FROM duckdb_settings() WHERE value LIKE '/%'",
    "SELECT * FROM pg_settings",
    "SELECT * FROM pg_catalog.pg_settings",
    "SELECT * FROM duckdb_profiling_settings()",
    "SELECT current_setting('allowed_paths') AS v",
    "SELECT current_setting('secret_directory') AS v",
    "SELECT current_setting('allowed_directories') AS v",
    "SELECT current_setting('temp_directory') AS v",
    "SELECT current_setting('memory_limit') AS v",
    "SELECT \"CURRENT_SETTING\"('allowed_paths') AS v",
    "SELECT system.main.current_setting('allowed_paths') AS v",
    "SELECT 'allowed_paths'.current_setting() AS v",
    "SELECT getenv('HOME') AS v",
    "SELECT * FROM pragma_database_size()",
    # functions whose errors name the home directory
    "SELECT * FROM duckdb_extensions()",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM which_secret('s3://bucket/key', 's3')",
    # hidden in WITH queries, subqueries, LATERAL, UNION, lambdas, another query's text
    "WITH s AS (SELECT * FROM duckdb_settings()) SELECT * FROM s",
    "SELECT (SELECT sql FROM duckdb_views() LIMIT 1) AS v",
    "SELECT id FROM t UNION ALL SELECT 0 WHERE EXISTS (SELECT * FROM duckdb_views() WHERE sql LIKE '%/%')",
    "SELECT * FROM t, LATERAL (SELECT sql FROM duckdb_views()) x",
    "SELECT list_transform([1], lambda x: current_setting('allowed_paths')) AS v",
    "SELECT * FROM query('SELECT sql FROM duckdb_views()')",
    "SELECT * FROM query_table('sqlite_master')",
    "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT sql FROM duckdb_views()'))",
    "SELECT * FROM histogram(sqlite_master, sql)",
    # a WITH name shadows the catalogue only where DuckDB says it does
    "SELECT * FROM (WITH sqlite_master AS (SELECT 1 AS x) SELECT x FROM sqlite_master), sqlite_master",
    "WITH a AS (SELECT * FROM sqlite_master), sqlite_master AS (SELECT 1 AS x) SELECT * FROM a",
    "WITH sqlite_master AS (SELECT * FROM sqlite_master) SELECT * FROM sqlite_master",
    "WITH RECURSIVE sqlite_master AS (SELECT sql FROM sqlite_master UNION ALL "
    "SELECT sql FROM sqlite_master WHERE false) SELECT * FROM sqlite_master",
    "(WITH x AS (SELECT 1 AS a) SELECT a FROM x) UNION ALL SELECT sql FROM x, sqlite_master",
    # the catalogue through SHOW
    "SHOW TABLES",
    "SHOW ALL TABLES",
    "SHOW DATABASES",
    "DESCRIBE sqlite_master",
    "SUMMARIZE SELECT * FROM duckdb_views()",
    # file metadata and file names
    "SELECT * FROM parquet_metadata('t')",
    "SELECT * FROM parquet_file_metadata('t')",
    "SELECT * FROM parquet_schema('t')",
    "SELECT * FROM parquet_kv_metadata('t')",
    "SELECT * FROM read_parquet('v1.parquet', filename = true)",
    "SELECT * FROM glob('*')",
    "SELECT * FROM read_text('t')",
    "SELECT * FROM read_blob('*')",
    "SELECT * FROM 'v1.parquet'",
]


@pytest.mark.parametrize("query", LEAKING)
def test_queries_that_revealed_a_path_or_a_setting_are_refused(readings, data_dir, query):
    with pytest.raises(QueryError) as e:
        sql(query, {"t": readings})
    assert e.value.code in ("not-allowed", "unknown-table"), e.value.message
    assert_no_path(e.value.message, data_dir)


def test_queries_that_know_the_path_are_refused_too(readings, data_dir):
    for query in (f"SELECT * FROM parquet_metadata('{readings}')",
                  f"SELECT filename FROM read_parquet('{readings}', filename = true)",
                  f"SELECT * FROM glob('{data_dir}/*')"):
        with pytest.raises(QueryError) as e:
            sql(query, {"t": readings})
        assert e.value.code == "not-allowed"


def test_refusals_say_what_and_why(readings):
    with pytest.raises(QueryError) as e:
        sql("SELECT current_setting('allowed_paths') AS v", {"t": readings})
    assert e.value.code == "not-allowed" and e.value.params["name"] == "current_setting()"
    assert "settings" in e.value.message
    with pytest.raises(QueryError) as e:
        sql("SELECT * FROM duckdb_views()", {"t": readings})
    assert e.value.params["name"] == "duckdb_views()" and "range" in e.value.message
    with pytest.raises(QueryError) as e:
        sql("SELECT * FROM information_schema.views", {"t": readings})
    assert e.value.code == "unknown-table" and e.value.message == "Unknown table name 'information_schema.views'."


def test_an_error_reading_a_file_names_the_table_not_the_path(readings, corrupt, data_dir):
    for query in ("SELECT * FROM broken", "SELECT * FROM t, broken WHERE broken.id > 0"):
        with pytest.raises(QueryError) as e:
            sql(query, {"t": readings, "broken": corrupt})
        assert e.value.code == "sql-error"
        assert_no_path(e.value.message, data_dir)
        assert '"broken"' in e.value.message


def test_a_file_duckdb_cannot_open_is_a_query_error_without_its_path(data_dir):
    p = data_dir / "footless.parquet"
    p.write_bytes(b"PAR1" + b"\0" * 100 + b"PAR1")
    with pytest.raises(QueryError) as e:
        sql("SELECT 1 AS one", {"f": p})
    assert e.value.code == "sql-error"
    assert_no_path(e.value.message, data_dir)


def test_paths_are_taken_out_of_error_messages():
    paths = {"/srv/data/t.parquet": "t"}
    assert qmod._scrub('Failed to read file "/srv/data/t.parquet": bad', paths) == 'Failed to read file "t": bad'
    assert qmod._scrub('Cannot access directory "/home/x/.duckdb/stored_secrets" - off', {}) == \
        'Cannot access directory "<path>" - off'
    kept = "See https://duckdb.org/docs/current/x.html; 1/2/3 and a/b/c, 'x / y'"
    assert qmod._scrub(kept, {}) == kept


# Ordinary queries: all still run.
LEGITIMATE = [
    "SELECT * FROM t",
    "FROM t SELECT station, count(*) AS n GROUP BY ALL ORDER BY ALL",
    "SELECT station, avg(pm10) AS a, min(day) AS d FROM t WHERE pm10 IS NOT NULL GROUP BY station HAVING count(*) > 1",
    "SELECT s.district, count(*) AS n FROM t JOIN s USING (station) GROUP BY s.district ORDER BY 1",
    "SELECT * FROM t LEFT JOIN s ON t.station = s.station WHERE s.district = 'North' LIMIT 3",
    'SELECT * FROM main.t a, memory.main.s b, "T" c LIMIT 1',
    "WITH a AS (SELECT station, max(pm10) AS m FROM t GROUP BY station), b AS (SELECT * FROM a WHERE m > 1) "
    "SELECT * FROM b ORDER BY station",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) AS s FROM r",
    "WITH RECURSIVE r(n) USING KEY (n) AS (SELECT 1 UNION SELECT r.n + 1 FROM r WHERE r.n < 3) SELECT * FROM r",
    "SELECT id, row_number() OVER (PARTITION BY station ORDER BY day DESC) AS rn, "
    "avg(pm10) OVER (ORDER BY day ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS ma FROM t QUALIFY rn <= 2",
    "SELECT upper(station) || '-' || lpad(id::VARCHAR, 3, '0') AS k, date_trunc('month', day) AS m, "
    "strftime(day, '%Y/%m/%d') AS d, regexp_replace(station, '[0-9]', '') AS p, coalesce(pm10, 0) AS v, "
    "round(pm10 / 3, 2) AS r, CASE WHEN pm10 > 3 THEN 'high' ELSE 'low' END AS c FROM t",
    "SELECT list_transform(tags, lambda x: upper(x)) AS u, len(tags) AS n, {'a': id} AS st FROM t LIMIT 2",
    "SELECT station FROM t UNION SELECT station FROM s EXCEPT SELECT 'S9'",
    "SELECT * FROM t WHERE station IN (SELECT station FROM s WHERE district = 'North') AND EXISTS (SELECT 1 FROM s)",
    "SELECT * FROM s, LATERAL (SELECT max(id) AS top FROM t WHERE t.station = s.station)",
    "SELECT * FROM range(3) r(i), generate_series(1, 2) g(j), unnest([1, 2]) u(k)",
    "SELECT unnest(tags) AS tag, count(*) AS n FROM t GROUP BY tag",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(n, s)",
    "VALUES (1), (2)",
    "SELECT * FROM (PIVOT t ON station IN ('S0', 'S1') USING sum(pm10) GROUP BY day) ORDER BY day LIMIT 3",
    "UNPIVOT s ON district INTO NAME k VALUE v",
    "DESCRIBE t",
    "SUMMARIZE t",
    "SHOW t",
    "DESCRIBE SELECT station FROM t",
    "FROM (SUMMARIZE SELECT pm10 FROM t)",
    "SELECT * FROM t USING SAMPLE 10 ROWS",
    "SELECT version() AS v, current_date AS today",
    # a WITH name that is also a catalogue name, used where DuckDB binds it to the WITH query
    "WITH sqlite_master AS (SELECT 'mine' AS sql) SELECT sql FROM sqlite_master",
    "WITH sqlite_master AS (SELECT 'mine' AS sql) SELECT (SELECT max(sql) FROM sqlite_master) AS sql FROM t",
    "WITH sqlite_master AS (SELECT 'mine' AS sql), b AS (FROM sqlite_master) SELECT * FROM b, LATERAL "
    "(SELECT sql AS s2 FROM sqlite_master)",
    "WITH RECURSIVE sqlite_master(sql, n) AS (SELECT 'mine', 1 UNION ALL SELECT sql, n + 1 FROM sqlite_master "
    "WHERE n < 3) SELECT sql FROM sqlite_master",
]


@pytest.mark.parametrize("query", LEGITIMATE)
def test_ordinary_queries_still_run(readings, stations, data_dir, query):
    r = sql(query, {"t": readings, "s": stations})
    assert r.records
    assert_no_path(repr(r.records), data_dir)
    assert "CREATE VIEW" not in repr(r.records)  # a WITH name like sqlite_master is the query's own


def test_ordinary_query_results(readings, stations):
    r = sql("SELECT s.district, count(*) AS n FROM t JOIN s USING (station) GROUP BY 1 ORDER BY 1",
            {"t": readings, "s": stations})
    assert r.records == [{"district": "North", "n": 40}, {"district": "South", "n": 20}]
    r = sql("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) AS s FROM r",
            {"t": readings})
    assert r.records == [{"s": 15}]
    r = sql("WITH sqlite_master AS (SELECT 'mine' AS sql) SELECT sql FROM sqlite_master", {"t": readings})
    assert r.records == [{"sql": "mine"}]


def test_a_table_named_like_a_catalogue_view_is_the_table(readings, data_dir):
    # memory.main, where the views are, comes before the system's schemas
    r = sql("SELECT count(*) AS n FROM sqlite_master", {"sqlite_master": readings})
    assert r.records == [{"n": 60}]
    with pytest.raises(QueryError):
        sql("SELECT * FROM system.main.sqlite_master", {"sqlite_master": readings})


# The endpoints: the native query API and CKAN's datastore_search_sql.

@pytest.fixture
def city(city_with_air_quality):
    return city_with_air_quality


HTTP_LEAKING = [
    "SELECT sql FROM duckdb_views()",
    "SELECT current_setting('allowed_paths') AS v",
    "SELECT * FROM duckdb_settings()",
    "SELECT view_definition FROM information_schema.views",
    "SELECT * FROM duckdb_extensions()",
]


@pytest.mark.parametrize("query", HTTP_LEAKING)
def test_the_endpoints_refuse_them_without_a_path(client, city, opendata_dir, query):
    from cityline.opendata.models import Distribution

    secret = str(Path(opendata_dir).resolve())
    table = '"air-quality-csv"'
    q = f"SELECT * FROM {table}, ({query}) x"
    r = client.get("/api/v1/cities/testville/sql", {"q": q})
    assert r.status_code == 400, r.content
    assert r["Content-Type"] == "application/problem+json" and "q" in r.json()["errors"]
    assert secret not in r.content.decode() and str(Path.home()) not in r.content.decode()

    rid = str(Distribution.objects.get(key="air-quality-csv").uuid)
    r = client.get("/testville/api/3/action/datastore_search_sql", {"sql": f'SELECT * FROM "{rid}", ({query}) x'})
    assert r.status_code == 409, r.content
    body = r.json()
    assert body["success"] is False and body["error"]["__type"] == "Validation Error" and body["error"]["query"]
    assert secret not in r.content.decode() and str(Path.home()) not in r.content.decode()


def test_the_endpoints_still_answer_ordinary_queries(client, city):
    from cityline.opendata.models import Distribution

    q = ('WITH d AS (SELECT district, avg(no2) AS no2 FROM "air-quality-csv" GROUP BY district) '
         "SELECT district, rank() OVER (ORDER BY no2 DESC) AS r FROM d ORDER BY district")
    r = client.get("/api/v1/cities/testville/sql", {"q": q})
    assert r.status_code == 200, r.content
    assert [rec["district"] for rec in r.json()["records"]] == ["centre", "north", "south"]
    rid = str(Distribution.objects.get(key="air-quality-csv").uuid)
    r = client.get("/testville/api/3/action/datastore_search_sql",
                   {"sql": f'SELECT district, count(*) AS n FROM "{rid}" GROUP BY district ORDER BY 1'})
    assert r.status_code == 200, r.content
    assert r.json()["result"]["records"][0] == {"district": "centre", "n": 10}
