"""The SQL sandbox's walk of DuckDB's parse tree fails closed (issue 4 item 6; B8, B14).

Each part of the tree must be of a kind the walk knows, with the fields it knows: anything else (a
FROM item, expression or query of a kind DuckDB may write one day, a field it may add or rename) is
refused instead of being let through unchecked. The trees below are DuckDB's own, altered the way a
later DuckDB could write them; then real statements of every known kind go through both endpoints.
"""

from __future__ import annotations

import copy
from pathlib import Path

import duckdb
import pytest

from cityline.opendata.domain import query as qmod
from cityline.opendata.domain.query import QueryError, check_references, parse_tree


def tree(sql: str) -> dict:
    return parse_tree(duckdb.connect(), sql)


def refused(statement: dict, tables=("t",)) -> QueryError:
    with pytest.raises(QueryError) as e:
        check_references(statement, tables)
    return e.value


def from_table(statement: dict) -> dict:
    return statement["node"]["from_table"]


def test_the_trees_of_ordinary_queries_pass():
    for sql in ("SELECT * FROM t", "SELECT * FROM t, range(3) r(i) WHERE i > 0",
                "WITH a AS (FROM t) SELECT count(*) FROM a JOIN t USING (id)"):
        check_references(tree(sql), ["t"])


def test_a_from_item_of_an_unknown_kind_is_refused():
    st = tree("SELECT * FROM t")
    from_table(st).update(type="REMOTE_SCAN", url="https://example.org/x.parquet")
    e = refused(st)
    assert e.code == "unknown-construct"
    assert e.message == ("This query uses a construct the open data SQL endpoint does not allow: "
                         "FROM item REMOTE_SCAN (in SELECT_NODE.from_table).")


@pytest.mark.parametrize("sql,field", [
    ("SELECT * FROM duckdb_settings()", "sample"),  # a table function that reads the settings
    ("SELECT * FROM sqlite_master", "alias"),  # the catalogue
    ("SELECT * FROM t, duckdb_views()", "sample"),
])
def test_a_from_item_whose_fields_were_renamed_is_still_checked(sql, field):
    # The walk used to recognise a FROM item by its "alias" and "sample" fields: without one of them
    # (a later DuckDB renaming it), the item went through unchecked.
    st = tree(sql)
    items = [from_table(st)] if from_table(st)["type"] != "JOIN" else [from_table(st)["right"]]
    for item in items:
        item[f"{field}_v2"] = item.pop(field)
    e = refused(st)
    assert e.code in ("unknown-construct", "not-allowed", "unknown-table"), e.message


def test_an_expression_of_an_unknown_class_is_refused():
    st = tree("SELECT id FROM t")
    st["node"]["select_list"][0] = {"class": "TABLE_READ", "type": "TABLE_READ", "alias": "",
                                    "table_name": "sqlite_master"}
    e = refused(st)
    assert e.code == "unknown-construct" and "expression TABLE_READ" in e.message


def test_a_query_of_an_unknown_kind_is_refused():
    st = tree("SELECT 1 AS x UNION ALL SELECT 2")
    st["node"]["children"][1] = {"type": "GRAPH_NODE", "modifiers": [], "cte_map": {"map": []},
                                 "graph": "duckdb_views"}
    e = refused(st)
    assert e.code == "unknown-construct" and "query GRAPH_NODE" in e.message


def test_a_clause_of_an_unknown_kind_is_refused():
    st = tree("SELECT * FROM t LIMIT 1")
    st["node"]["modifiers"].append({"type": "SAMPLE_FROM_MODIFIER", "source": "sqlite_master"})
    assert "clause SAMPLE_FROM_MODIFIER" in refused(st).message


@pytest.mark.parametrize("where,change", [
    # an extra field holding a part of the tree, on a FROM item, a query, an expression, a statement
    ("FROM item", lambda st: from_table(st).__setitem__("replacement_scan", {"file": "/etc/passwd"})),
    ("query", lambda st: st["node"].__setitem__("extra_from", [tree("SELECT * FROM sqlite_master")["node"]])),
    ("expression", lambda st: st["node"]["select_list"][0].__setitem__("source", {"table": "duckdb_views"})),
    ("statement", lambda st: st.__setitem__("pragma", {"name": "database_list"})),
    # an extra plain field: a new DuckDB may mean something by it the walk cannot judge
    ("plain field", lambda st: from_table(st).__setitem__("file_name", "v1.parquet")),
    # a field the walk reads, missing
    ("missing field", lambda st: from_table(st).pop("catalog_name")),
    ("missing WITH map", lambda st: st["node"].pop("cte_map")),
    # a field of the wrong shape
    ("plain field holding an object", lambda st: st["node"]["select_list"][0].__setitem__(
        "column_names", [{"table": "sqlite_master"}])),
    ("list of expressions holding text", lambda st: st["node"].__setitem__("select_list", ["sqlite_master"])),
])
def test_a_field_the_walk_does_not_know_is_refused(where, change):
    st = tree("SELECT id FROM t")
    check_references(copy.deepcopy(st), ["t"])
    change(st)
    assert refused(st).code == "unknown-construct", where


def test_a_name_whose_parts_disagree_with_the_path_duckdb_binds_is_refused():
    # DuckDB binds a table by its whole path (memory.x.main.t is table t of schema "x.main"), while
    # its catalogue, schema and table fields keep three of the four parts: the walk reads both and
    # refuses when they disagree.
    st = tree("SELECT * FROM memory.x.main.t")
    assert from_table(st)["qualified_name"]["path"] == ["memory", "x", "main", "t"]
    assert (from_table(st)["catalog_name"], from_table(st)["schema_name"]) == ("memory", "main")
    e = refused(st)
    assert e.code == "unknown-construct" and "memory.x.main.t" in e.message
    for sql in ("SELECT a.b.c.upper('x') AS u", "SELECT 1::a.b.c.mytype AS v"):
        assert refused(tree(sql)).code == "unknown-construct", sql


def test_a_sample_size_that_is_not_a_plain_value_is_refused():
    st = tree("SELECT * FROM t USING SAMPLE 10 ROWS")
    check_references(copy.deepcopy(st), ["t"])
    st["node"]["sample"]["sample_size"]["type"]["type_info"] = {"type": "USER_TYPE_INFO", "catalog": "system"}
    assert refused(st).code == "unknown-construct"


def test_the_scope_of_with_queries_is_kept():
    check_references(tree("WITH a AS (FROM t), b AS (FROM a) SELECT * FROM b"), ["t"])
    assert refused(tree("WITH b AS (FROM a), a AS (FROM t) SELECT * FROM b")).code == "unknown-table"
    assert refused(tree("WITH sqlite_master AS (FROM sqlite_master) FROM sqlite_master")).code == "unknown-table"


# Real statements of every known kind through both endpoints: over a published dataset they work;
# reaching a file, a setting or the catalogue they are refused.

@pytest.fixture
def city(city_with_air_quality):
    return city_with_air_quality


# {t}: the air quality table (30 rows: 3 stations in 3 districts, 10 days, no2 and pm10).
KINDS = {
    "table function": ("SELECT count(*) AS n FROM {t}, range(2)", 60,
                       "SELECT * FROM {t}, duckdb_settings()"),
    "table function reading a file": ("SELECT count(*) AS n FROM {t}, generate_series(1, 2)", 60,
                                      "SELECT * FROM read_parquet('{file}')"),
    "subquery": ("SELECT count(*) AS n FROM (SELECT no2 FROM {t} WHERE district = 'north')", 10,
                 "SELECT * FROM {t}, (SELECT sql FROM duckdb_views()) v"),
    "join": ("SELECT count(*) AS n FROM {t} a JOIN {t} b USING (station, time)", 30,
             "SELECT * FROM {t} JOIN information_schema.tables ON true"),
    "CTE": ("WITH d AS (SELECT DISTINCT district FROM {t}) SELECT count(*) AS n FROM d", 3,
            "WITH s AS (FROM sqlite_master) SELECT * FROM {t}, s"),
    "PIVOT": ("SELECT count(*) AS n FROM (PIVOT {t} ON district IN ('north', 'south') USING count(*) "
              "GROUP BY station)", 3,
              "SELECT * FROM (PIVOT duckdb_settings() ON name IN ('allowed_paths') USING first(value))"),
    "UNPIVOT": ("SELECT count(*) AS n FROM (UNPIVOT {t} ON no2, pm10 INTO NAME k VALUE v)", 60,
                "UNPIVOT (SELECT current_setting('allowed_paths') AS p) ON p INTO NAME k VALUE v"),
    "VALUES": ("SELECT count(*) AS n FROM {t} JOIN (VALUES ('north'), ('south')) v(d) ON district = d", 20,
               "SELECT * FROM (VALUES (getenv('HOME'))) v(h)"),
    "LATERAL": ("SELECT count(*) AS n FROM (SELECT DISTINCT district FROM {t}) d, "
                "LATERAL (SELECT max(no2) AS top FROM {t} WHERE district = d.district)", 3,
                "SELECT * FROM {t}, LATERAL (SELECT sql FROM sqlite_master) x"),
    "positional join": ("SELECT count(*) AS n FROM {t} POSITIONAL JOIN range(30)", 30,
                        "SELECT * FROM {t} POSITIONAL JOIN pg_settings"),
    "ASOF join": ("SELECT count(*) AS n FROM {t} a ASOF JOIN {t} b ON a.station = b.station AND a.time >= b.time",
                  30, "SELECT * FROM {t} a ASOF JOIN duckdb_views() v ON a.no2 >= v.view_oid"),
    "FROM (FROM x)": ("SELECT count(*) AS n FROM (FROM {t})", 30, "SELECT * FROM (FROM duckdb_settings())"),
    "replacement scan of a file": (None, None, "SELECT * FROM '{file}'"),
    "replacement scan of a file name": (None, None, "SELECT * FROM 'v1.parquet'"),
}


def run(client, sql: str, rid: str):
    """The statement through the native endpoint and CKAN's datastore_search_sql: both responses."""
    native = client.get("/api/v1/cities/testville/sql", {"q": sql.replace("{t}", '"air-quality-csv"')})
    ckan = client.get("/testville/api/3/action/datastore_search_sql", {"sql": sql.replace("{t}", f'"{rid}"')})
    return native, ckan


@pytest.mark.parametrize("kind", KINDS)
def test_every_known_kind_works_over_published_data_and_is_refused_elsewhere(client, city, opendata_dir, kind):
    from django.conf import settings

    from cityline.opendata.models import Distribution

    dist = Distribution.objects.get(key="air-quality-csv")
    rid = str(dist.uuid)
    file = str(Path(settings.CITYLINE_OPENDATA_DIR) / dist.latest_version().parquet_path)
    legitimate, n, leaking = KINDS[kind]
    if legitimate:
        native, ckan = run(client, legitimate, rid)
        assert native.status_code == 200, native.content
        assert native.json()["records"] == [{"n": n}]
        assert ckan.status_code == 200, ckan.content
        assert ckan.json()["result"]["records"] == [{"n": n}]
    native, ckan = run(client, leaking.replace("{file}", file), rid)
    secret = str(Path(opendata_dir).resolve())
    assert native.status_code == 400, native.content
    assert native["Content-Type"] == "application/problem+json" and native.json()["errors"]["q"]
    assert ckan.status_code == 409, ckan.content
    assert ckan.json()["success"] is False and ckan.json()["error"]["query"]
    for response in (native, ckan):
        body = response.content.decode()
        if "{file}" not in leaking:  # else the caller's own text, echoed
            assert secret not in body and str(Path.home()) not in body


def test_the_refusal_of_an_unknown_construct_reaches_the_caller(client, city, monkeypatch):
    """A statement whose tree holds a kind the walk does not know answers the endpoints' usual
    refusal, naming the construct."""
    from cityline.opendata.models import Distribution

    real = qmod.parse_tree

    def later_duckdb(con, query):
        st = real(con, query)
        st["node"]["from_table"]["type"] = "DELTA_SCAN"
        return st

    monkeypatch.setattr(qmod, "parse_tree", later_duckdb)
    qmod._checked.cache_clear()
    rid = str(Distribution.objects.get(key="air-quality-csv").uuid)
    native, ckan = run(client, "SELECT count(*) AS n FROM {t}", rid)
    qmod._checked.cache_clear()
    message = "This query uses a construct the open data SQL endpoint does not allow: FROM item DELTA_SCAN"
    assert native.status_code == 400 and message in native.json()["errors"]["q"][0]
    assert ckan.status_code == 409 and message in ckan.json()["error"]["query"][0]


@pytest.mark.parametrize("terms", [200, 600, 5000])
def test_a_long_expression_is_answered_not_a_server_error(client, city, terms):
    """a+b+c+... nests to the left, one level a term: the walk of a long one is refused cleanly (or a short
    enough one answered), never a 500."""
    from cityline.opendata.models import Distribution

    rid = str(Distribution.objects.get(key="air-quality-csv").uuid)
    native, ckan = run(client, "SELECT " + " + ".join(["no2"] * terms) + " AS s FROM {t} LIMIT 1", rid)
    assert native.status_code in (200, 400), native.content
    assert ckan.status_code in (200, 409), ckan.content
    if native.status_code == 400:  # our walk's limit, or DuckDB's parser's (1,000 levels)
        for message in (native.json()["errors"]["q"][0], str(ckan.json()["error"]["query"])):
            assert "nested too deeply" in message or "expression depth" in message, message
