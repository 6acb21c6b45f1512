"""KPI specs on Apache Spark: the same Parquet store, the same compiled SQL (Spark dialect) as on DuckDB.

:func:`session` starts (or reuses) a SparkSession: ``local[2]`` by default, or the cluster named by
``CITYLINE_SPARK_MASTER`` (setting or environment variable, e.g. ``spark://host:7077``;
``CITYLINE_SPARK_CONF`` adds ``key=value;key=value`` Spark settings such as S3 credentials
providers). The session's time zone is UTC, which the compiled SQL relies on for hours, weekdays
and days.

:func:`register` reads a city's store folder (``group=<g>/month=<m>/part-*.parquet``, Hive
partitions with ``basePath``; the parts the store lists, so not those a rewrite replaced: a remote
root, which Spark lists itself, also shows those until the store deletes them), keeps one row per
``(series, time)`` — the one written last, ties to the later file name, the rule of :mod:`.store` —
and registers the temporary views ``observations`` and ``series_meta`` the compiled SQL reads. On a
cluster the store folder must be on storage every executor reads (HDFS, S3 through ``s3a://``, a
shared file system).

Plain Python (no Django): :mod:`.compute` passes the store path and the series rows.
"""

from __future__ import annotations

import os

from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .store import DOWNSAMPLED, ObservationStore

DEFAULT_MASTER = "local[2]"
#: What reading a city's store or running a query raises: an error PySpark translated (an AnalysisException,
#: a SparkRuntimeException, ...) or a Java exception py4j passes on as it is (a part whose footer cannot be read).
ERRORS = (PySparkException, Py4JError)

META_SCHEMA = T.StructType([
    T.StructField("series", T.StringType(), False),
    T.StructField("group", T.StringType(), True),
    T.StructField("entity_type", T.StringType(), True),
    T.StructField("attribute", T.StringType(), True),
    T.StructField("district", T.StringType(), True),
    T.StructField("organisation", T.StringType(), True),
    T.StructField("weight", T.DoubleType(), True),
])
OBSERVATION_SCHEMA = T.StructType([
    T.StructField("series", T.StringType(), False),
    T.StructField("time", T.TimestampType(), False),
    T.StructField("value", T.DoubleType(), True),
    T.StructField("quality", T.StringType(), True),
])


def master_url(master: str | None = None) -> str:
    if master:
        return master
    try:
        from django.conf import settings

        configured = getattr(settings, "CITYLINE_SPARK_MASTER", None)
    except Exception:  # outside Django (bench, plain scripts): the environment only
        configured = None
    return configured or os.environ.get("CITYLINE_SPARK_MASTER") or DEFAULT_MASTER


def _extra_conf() -> dict[str, str]:
    text = os.environ.get("CITYLINE_SPARK_CONF", "")
    pairs = [item.split("=", 1) for item in text.split(";") if "=" in item]
    return {k.strip(): v.strip() for k, v in pairs}


def session(master: str | None = None, *, shuffle_partitions: int = 4) -> SparkSession:
    """A SparkSession on ``master`` (see the module docstring); reused when one is running."""
    builder = (SparkSession.builder.appName("cityline-kpi").master(master_url(master))
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions)))
    for key, value in _extra_conf().items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def observations(spark: SparkSession, root: str):
    """The store under ``root`` as a DataFrame, one row per (series, time): the latest written wins."""
    root = str(root).rstrip("/")
    local = "://" not in root
    # A local store is listed by the store itself, which leaves out the parts a rewrite replaced (kept a while
    # for readers that listed them before); Spark's own listing, for a remote root, would read those too.
    paths = [str(part) for part in ObservationStore(root).files()] if local else [f"{root}/group=*/month=*/*.parquet"]
    if not paths:
        return spark.createDataFrame([], OBSERVATION_SCHEMA)
    try:
        raw = spark.read.option("basePath", root).option("recursiveFileLookup", "false").parquet(*paths)
    except Exception as exc:  # no part files yet (an empty group folder): nothing to read
        if "PATH_NOT_FOUND" in str(exc) or "Path does not exist" in str(exc) or "UNABLE_TO_INFER" in str(exc):
            return spark.createDataFrame([], OBSERVATION_SCHEMA)
        raise
    # the store's LATEST_FIRST: a mean against raw readings of its key, then the latest written, then the file
    mean = F.coalesce(F.col("quality") == DOWNSAMPLED, F.lit(False))
    latest = Window.partitionBy("series", "time").orderBy(mean.desc(), F.col("written").desc(), F.col("_file").desc())
    return (raw.withColumn("_file", F.col("_metadata.file_name"))
            .withColumn("_rn", F.row_number().over(latest))
            .where(F.col("_rn") == 1)
            .select("series", "time", "value", "quality"))


def register(spark: SparkSession, root: str, meta_rows: list[tuple], *, cache: bool = False) -> None:
    """Temporary views ``observations`` (from the store at ``root``) and ``series_meta`` (rows as META_SCHEMA).

    ``cache``: keep the deduplicated readings in the executors' memory (spilling to disk) for the
    queries that follow, so several KPIs read and deduplicate the files once.
    """
    frame = observations(spark, root)
    if cache:
        frame = frame.persist()
    frame.createOrReplaceTempView("observations")
    spark.createDataFrame(meta_rows, META_SCHEMA).createOrReplaceTempView("series_meta")


def run(spark: SparkSession, sql: str) -> list[tuple]:
    return [tuple(row) for row in spark.sql(sql).collect()]


def message(exc: BaseException) -> str:
    """The first line of what Spark says went wrong: a Java exception's own, not py4j's "An error occurred while
    calling o36.parquet" (which names the call only)."""
    text = ""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            text = str(java.toString())
        except Exception:  # the JVM is gone: py4j's message is what there is
            text = ""
    text = (text or str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__
