"""Observations and real-time city management (issue 6).

:mod:`.store` is the time-series store (Parquet partitioned by series group and month, atomic
writes, idempotent on the natural key ``(series, time)``, DuckDB reads, compaction and
retention); around it: series records (:mod:`.models`), ingestion by file, HTTP, NGSI-LD and MQTT,
KPI computation specs (:mod:`.compute`, on DuckDB or Spark), alert rules, the operations page and
the public sensor pages. docs/observations.md is the guide.
"""
