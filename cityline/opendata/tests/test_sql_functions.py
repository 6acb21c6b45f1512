"""The SQL endpoint's functions and depth fail closed (issue 4 item 6; B8, B14).

A query may call only the functions of a reviewed list (cityline/opendata/domain/sql_functions.py,
from DuckDB's ``duckdb_functions()`` by scripts/gen_sql_functions.py): a function a later DuckDB adds
is refused until someone reviews it, and this test fails meanwhile. Nesting is bounded before the
statement is parsed deeply, with a refusal of its own that names the limit.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cityline.opendata.domain import query as qmod
from cityline.opendata.domain import sql_functions
from cityline.opendata.domain.query import MAX_DEPTH, QueryError, check_read_only, check_references, parse_tree, sql

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "gen_sql_functions.py"


def script():
    spec = importlib.util.spec_from_file_location("gen_sql_functions", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def t(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("sql-functions") / "t.parquet"
    pq.write_table(pa.table({"s": ["a1", "b2", "c3"], "n": [1, 2, 3], "j": ['{"k": 1}', '{"k": 2}', '{"k": 3}'],
                             "l": [[1, 2], [3], []]}), p)
    return p


def refused(query: str, t: Path) -> QueryError:
    with pytest.raises(QueryError) as e:
        sql(query, {"t": t})
    return e.value


# ------------------------------------------------------------------ the reviewed list


def test_every_function_of_this_duckdb_has_a_reviewed_decision():
    """An upgrade of DuckDB that adds, renames or drops a function fails here: run
    ``python scripts/gen_sql_functions.py``, review the names it lists, and commit the module."""
    gen = script()
    version, current = gen.duckdb_functions()
    unreviewed = sorted(current - sql_functions.ALLOWED - set(sql_functions.REFUSED))
    assert not unreviewed, f"DuckDB {version} has functions nobody reviewed: {unreviewed}"
    assert not [n for n, r in sql_functions.REFUSED.items() if r == gen.UNREVIEWED]
    assert sql_functions.ALLOWED <= current, sorted(sql_functions.ALLOWED - current)
    assert not sql_functions.ALLOWED & set(sql_functions.REFUSED)
    assert set(sql_functions.REFUSED.values()) <= set(sql_functions.REASONS)
    assert gen.main(["--check"]) == 0, "the module is not what the script writes"


def test_a_function_a_later_duckdb_adds_is_refused_until_reviewed():
    gen = script()
    allowed, refused_ = gen.merge({"upper", "read_secret_file"}, frozenset({"upper", "gone"}), {"getenv": "settings"})
    assert allowed == ["upper"]  # what DuckDB no longer has is dropped from the allowed list ...
    assert refused_ == {"getenv": "settings", "read_secret_file": "unreviewed"}  # ... a refusal stays


def test_a_function_not_on_the_list_is_refused_before_duckdb_sees_it():
    """The list is an allow-list: a name the review has not seen (a later DuckDB's) is refused."""
    con = duckdb.connect()
    for name in ("read_secret_file", "duckdb_secret_value", "frobnicate"):
        with pytest.raises(QueryError) as e:
            check_references(parse_tree(con, f"SELECT {name}('x') FROM t"), ["t"])
        assert e.value.code == "not-allowed" and e.value.params["name"] == f"{name}()"
        assert "not one of the functions" in e.value.message


@pytest.mark.parametrize("query, name, why", [
    ("SELECT getvariable('x') AS v", "getvariable()", "settings"),
    ("SELECT current_schemas(true) AS v", "current_schemas()", "settings"),
    ("SELECT json_serialize_plan('SELECT * FROM t') AS v", "json_serialize_plan()", "catalogue"),
    ("SELECT pg_catalog.col_description(1, 1) AS v", "col_description()", "catalogue"),
    ("SELECT nextval('s') AS v", "nextval()", "catalogue"),
    ("SELECT current_query() AS v", "current_query()", "server"),
    ("SELECT current_transaction_id() AS v", "current_transaction_id()", "server"),
    ("SELECT pg_postmaster_start_time() AS v", "pg_postmaster_start_time()", "server"),
    ("SELECT stats(n) AS v FROM t", "stats()", "DuckDB's own machinery"),
    ("SELECT __internal_compress_string_utinyint(s) AS v FROM t", "__internal_compress_string_utinyint()", "machinery"),
    ("SELECT sleep_ms(60000) AS v", "sleep_ms()", "holds"),
    ("SELECT pg_sleep(60) AS v", "pg_sleep()", "holds"),
    ("SELECT to_aggregate_state(1, 'sum') AS v", "to_aggregate_state()", "named in text"),
    ("SELECT list_aggregate([1], 'getvariable') AS v", "getvariable()", "settings"),
    ("SELECT list_aggregate([1], 'not_an_aggregate') AS v", "not_an_aggregate()", "not one of the functions"),
    ("SELECT list_aggr(l, s) AS v FROM t", "list_aggr()", "named in quotes"),
    ("SELECT array_aggregate(l, function_name := 'sum') AS v FROM t", "array_aggregate()", "named in quotes"),
    ("SELECT count(*) AS n FROM t, range(current_transaction_id())", "current_transaction_id()", "server"),
    ("SELECT sum(getvariable('x')) OVER () AS v FROM t", "getvariable()", "settings"),
])
def test_functions_that_read_anything_but_their_arguments_are_refused(t, query, name, why):
    e = refused(query, t)
    assert e.code == "not-allowed" and e.params["name"] == name and why in e.message, e.message


def test_no_refused_function_is_reachable_without_parentheses(t):
    """DuckDB binds a few names without parentheses (current_user, current_schema, ...): none of those is refused."""
    for name in sorted(set(sql_functions.REFUSED) - set(sql_functions.BINDER_NAMES)):
        with pytest.raises(QueryError):
            sql('SELECT "' + name.replace('"', '""') + '" AS v', {"t": t})


def test_everyday_functions_operators_and_macros_still_work(t):
    r = sql("SELECT s || '-' || n AS k, s LIKE 'a%' AS l, s ILIKE 'B%' AS il, s NOT LIKE 'c%' AS nl, "
            "s GLOB 'a*' AS g, s SIMILAR TO '[a-c][0-9]' AS st, s ^@ 'a' AS sw, j ->> '$.k' AS jk, "
            "n ** 2 AS p, n // 2 AS d, n % 2 AS m, @ (0 - n) AS a, ~n AS b, n << 1 AS sh, n & 1 AS an, "
            "n | 4 AS o, 3! AS f, -n AS neg, [1, n] AS li, {'x': n} AS st2, l[1] AS first, "
            "list_transform(l, lambda x: x * 2) AS dbl, [x + 1 FOR x IN l IF x > 1] AS comp, l.list_sum() AS ls, "
            "list_aggregate(l, 'max') AS mx, if(n > 1, 'big', 'small') AS i, nullif(n, 2) AS nu, "
            "date_trunc('month', DATE '2024-05-17') AS dt, extract(year FROM DATE '2024-05-17') AS y, "
            "strftime(DATE '2024-05-17', '%d/%m') AS sf, upper(s) AS u, round(n / 3, 2) AS r, "
            "coalesce(NULL, n) AS c, n::VARCHAR AS v, typeof(n) AS ty, version() AS ver, current_date AS today "
            "FROM t WHERE n = 2", {"t": t})
    [row] = r.records
    assert row["k"] == "b2-2" and row["l"] is False and row["il"] is True and row["nl"] is True
    assert row["g"] is False and row["st"] is True and row["sw"] is False and row["jk"] == "2"
    assert (row["p"], row["d"], row["m"], row["a"], row["b"], row["sh"], row["an"], row["o"], row["f"], row["neg"]) == (
        4, 1, 0, 2, -3, 4, 0, 6, 6, -2)
    assert row["li"] == [1, 2] and row["st2"] == {"x": 2} and row["first"] == 3 and row["dbl"] == [6]
    assert row["comp"] == [4] and row["ls"] == 3 and row["mx"] == 3 and row["i"] == "big" and row["nu"] is None
    assert row["dt"].startswith("2024-05-01") and row["y"] == 2024 and row["sf"] == "17/05" and row["u"] == "B2"
    assert row["r"] == 0.67 and row["c"] == 2 and row["v"] == "2" and row["ty"] == "BIGINT"
    r = sql("SELECT s, n, row_number() OVER (ORDER BY n DESC) AS rn, lag(n) OVER (ORDER BY n) AS prev, "
            "sum(n) OVER () AS total, avg(n) FILTER (WHERE n > 1) OVER () AS a2, string_agg(s, ',') OVER () AS all_s, "
            "count(*) OVER () AS c FROM t ORDER BY n", {"t": t})
    assert [(x["rn"], x["prev"], x["total"], x["a2"], x["c"]) for x in r.records] == [
        (3, None, 6, 2.5, 3), (2, 1, 6, 2.5, 3), (1, 2, 6, 2.5, 3)]
    r = sql("SELECT x, count(*) AS n FROM (SELECT unnest(l) AS x FROM t) GROUP BY ALL ORDER BY x", {"t": t})
    assert r.records == [{"x": 1, "n": 1}, {"x": 2, "n": 1}, {"x": 3, "n": 1}]
    r = sql("SELECT median(n) AS med, quantile_cont(n, 0.5) AS q, mode(s) IS NOT NULL AS mo, regr_slope(n, n) AS sl, "
            "approx_count_distinct(s) AS acd, list(n ORDER BY n DESC) AS ln, max_by(s, n) AS top FROM t", {"t": t})
    assert r.records == [{"med": 2.0, "q": 2.0, "mo": True, "sl": 1.0, "acd": 3, "ln": [3, 2, 1], "top": "c3"}]


def test_the_query_example_of_the_docs_runs(t):
    r = sql('SELECT district, avg(no2) AS no2 FROM "air-quality-csv" GROUP BY district ORDER BY no2 DESC',
            {"air-quality-csv": _air(t.parent)})
    assert r.records == [{"district": "south", "no2": 25.0}, {"district": "north", "no2": 15.0}]


def _air(folder: Path) -> Path:
    p = folder / "air.parquet"
    pq.write_table(pa.table({"district": ["north", "north", "south"], "no2": [10, 20, 25]}), p)
    return p


# ------------------------------------------------------------------ depth


def chain(terms: int) -> str:
    """``a + a + ... + a``: DuckDB's parser counts one level a term (it nests to the left)."""
    return "SELECT " + " + ".join(["n"] * terms) + " AS s FROM t"


def test_an_expression_at_the_depth_limit_runs_and_one_level_more_is_refused_naming_the_limit(t):
    assert sql(chain(MAX_DEPTH), {"t": t}).records == [{"s": MAX_DEPTH * 1}, {"s": MAX_DEPTH * 2},
                                                       {"s": MAX_DEPTH * 3}]
    e = refused(chain(MAX_DEPTH + 1), t)
    assert e.code == "too-deep" and e.params == {"limit": MAX_DEPTH}
    assert f"allows {MAX_DEPTH} levels" in e.message and "SET" not in e.message


@pytest.mark.parametrize("query", [
    chain(5000),  # beyond DuckDB's own default (1,000): refused by the parsing connection's limit
    "SELECT " + "abs(" * 200 + "n" + ")" * 200 + " AS v FROM t",
    "SELECT " + "(SELECT " * 40 + "1" + ")" * 40 + " AS v",
    # WITH queries, joins and set operations nest without DuckDB counting them: the tree's depth is counted
    "".join(f"WITH c{i} AS (" for i in range(400)) + "SELECT 1 AS v" + ") SELECT v FROM t" * 400,
    "SELECT count(*) AS n FROM t" + " JOIN t USING (n)" * 400,
    "(" * 400 + "SELECT 1 AS v" + " UNION SELECT 1)" * 400,
])
def test_deeper_queries_are_refused_with_the_depth_error(t, query):
    e = refused(query, t)
    assert e.code == "too-deep" and e.params == {"limit": MAX_DEPTH}, e.message


def test_the_depth_limit_holds_for_the_statement_check_too():
    with pytest.raises(QueryError) as e:
        check_read_only(chain(2000))
    assert e.value.code == "too-deep"
    check_read_only(chain(MAX_DEPTH))


def test_the_walk_does_not_depend_on_the_callers_stack(t):
    """The deepest tree the limits let through is walked on a thread of its own: a caller already deep in
    its stack (a web request's middleware, a test runner) gets the same answer."""
    query = "SELECT " + "(WITH c AS (SELECT " * 31 + "1" + ") SELECT * FROM c)" * 31 + " AS v"

    def deep(n: int):
        return deep(n - 1) if n else sql(query, {"t": t})

    qmod._checked.cache_clear()
    assert deep(700).records == [{"v": 1}]


def test_a_process_that_ran_a_public_query_can_still_start_spark(t):
    """The check once ran on a pool of threads kept waiting between queries: every later start of Spark's JVM in
    the same process (a fork with a preexec_fn) then failed with JAVA_GATEWAY_EXITED (seen in the full suite)."""
    import subprocess
    import sys

    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'cityline.settings'); django.setup()\n"
        "from cityline.opendata.domain.query import sql\n"
        f"print(sql('SELECT sum(n) AS s FROM t', {{'t': {str(t)!r}}}).records)\n"
        "from cityline.observations import spark\n"
        "s = spark.session('local[1]'); print('spark', s.range(3).count()); s.stop()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "spark 3" in done.stdout
