"""DuckDB and Apache Spark give the same numbers for every kind of KPI spec (issue 6, "Done when").

One local Spark session (``local[2]``, two shuffle partitions, no UI) reads the same Parquet store
folder DuckDB reads, deduplicates it by the store's rule, and runs the Spark dialect of the same
compiled SQL. Each spec of :mod:`.kpi_data` (every function, filter, grouping, combine, ratio and
the weighted mean) is compared value by value, with the provenance columns.
"""

from __future__ import annotations

import pytest

# pyspark is a test dependency (pyproject's "test" extra): a missing one fails here, it is never skipped.
# The module uses no database, so scripts/test.sh runs it in the SQLite pass only.
from cityline.observations import spark as cityline_spark  # noqa: E402
from cityline.observations.domain.sql import series_meta_table  # noqa: E402
from cityline.observations.store import ObservationStore  # noqa: E402

from .kpi_data import CASES, FIRST_BATCH, META, READINGS, queries  # noqa: E402


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    root = tmp_path_factory.mktemp("kpi-spark-store")
    store = ObservationStore(root, {m[0]: m[1] for m in META}.get)
    store.write(FIRST_BATCH)
    store.write(READINGS)
    con = store.connect()
    con.register("series_meta", series_meta_table(META))
    spark = cityline_spark.session("local[2]", shuffle_partitions=2)
    cityline_spark.register(spark, str(root), META, cache=True)
    yield con, spark
    con.close()
    spark.stop()


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return b == pytest.approx(a, rel=1e-9, abs=1e-12)


def test_spark_reads_the_store_deduplicated_like_duckdb(engines):
    con, spark = engines
    duck = con.sql("SELECT series, epoch_us(time), value FROM observations ORDER BY 1, 2").fetchall()
    sp = [tuple(r) for r in spark.sql("SELECT series, unix_micros(time), value FROM observations "
                                      "ORDER BY 1, 2").collect()]
    assert sp == duck
    assert len(duck) == len(READINGS)  # the replaced first reading is not read twice


def test_every_kind_of_spec_gives_the_same_numbers_on_both_engines(engines):
    con, spark = engines
    different = []
    for name in sorted(CASES):
        duck = con.sql(queries(name, "duckdb")[0]).fetchall()
        sp = cityline_spark.run(spark, queries(name, "spark")[0])
        assert len(sp) == len(duck) and duck, name
        for d, s in zip(duck, sp):
            if d[0] != s[0] or not _same(d[1], s[1]) or tuple(d[2:]) != tuple(s[2:]):
                different.append((name, d, s))
        # and both agree with the hand-computed values
        assert {r[0]: r[1] for r in sp}.keys() == CASES[name][1].keys(), name
    assert different == []


@pytest.mark.parametrize("name", ["group_mean", "ratio_weighted"])
def test_the_values_per_group_agree(engines, name):
    con, spark = engines
    duck = con.sql(queries(name, "duckdb")[1]).fetchall()
    sp = cityline_spark.run(spark, queries(name, "spark")[1])
    assert [(r[0], r[1], r[3]) for r in sp] == [(r[0], r[1], r[3]) for r in duck]
    assert all(_same(d[2], s[2]) for d, s in zip(duck, sp))


def test_spark_leaves_out_the_parts_a_rewrite_replaced(engines, tmp_path):
    """Retention rewrote a month: its old parts wait on disk for readers that listed them; Spark is not one."""
    from datetime import date

    _, spark = engines
    store = ObservationStore(tmp_path, {m[0]: m[1] for m in META}.get)
    store.write(READINGS)
    group, when = READINGS[0]["series"], READINGS[0]["time"]
    group = dict((m[0], m[1]) for m in META)[group]
    month = date(when.year, when.month, 1)
    replaced = store.parts(group, month)
    store.rewrite_partition(group, month, "SELECT * FROM partition_rows WHERE time > ?", params=[when])
    assert all(part.exists() for part in replaced)  # kept a while, no longer listed
    duck = store.query("SELECT count(*) FROM observations")[0][0]
    assert duck < len(READINGS)
    assert cityline_spark.observations(spark, str(tmp_path)).count() == duck


def test_spark_keeps_a_mean_against_a_raw_reading_re_sent_for_its_instant(engines, tmp_path):
    """The store's rule (LATEST_FIRST): a downsampled mean wins against a later raw reading of its key."""
    from datetime import datetime, timezone

    _, spark = engines
    store = ObservationStore(tmp_path, {"air-a": "air"}.get)
    hour = datetime(2026, 1, 5, 6, tzinfo=timezone.utc)
    store.write([{"series": "air-a", "time": hour, "value": 11.5, "quality": "downsampled"}])
    store.write([{"series": "air-a", "time": hour, "value": 10.0}])  # re-sent after the downsampling
    duck = store.query("SELECT value FROM observations")
    assert duck == [(11.5,)]
    assert [tuple(r) for r in cityline_spark.observations(spark, str(tmp_path)).select("value").collect()] == duck

