"""Observations and real-time city management (issue 6; being built).

So far: :mod:`.store`, the time-series store (Parquet partitioned by series group and day,
atomic writes, idempotent on the natural key ``(series, time)``, DuckDB reads, compaction and
retention). Not yet a Django app: series records, ingestion paths (bulk, NGSI-LD, MQTT), KPI
computation specs and alert rules come next (see the issue).
"""
