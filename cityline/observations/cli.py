"""The observations commands (issue 6): ``cityline ingest``, ``cityline ingest mqtt``, ``cityline simulate``,
``cityline kpi`` and ``cityline observations``.

Each command's parser and body live in its own module (thin shells over the domain modules):

- :mod:`.cli_ingest`: ``cityline ingest FILE...`` (CSV, JSON lines, Parquet; all or nothing per batch);
- :mod:`.cli_mqtt`: ``cityline ingest mqtt`` (the streaming consumer; ``ingest-mqtt`` is the same command)
  and ``cityline simulate`` (the demo's MQTT publisher);
- :mod:`.cli_kpi`: ``cityline kpi compute`` and ``cityline kpi schedule`` (KPI specs on DuckDB or Spark);
- :mod:`.cli_maintenance`: ``cityline observations ...`` (compaction, retention, downsampling, quarantine);
- :mod:`.cli_alerts`: ``cityline alerts list|publish`` (the alerts raised, their history as open data).
"""

from __future__ import annotations


def add_parser(sub) -> None:
    from . import cli_alerts, cli_ingest, cli_kpi, cli_maintenance, cli_mqtt

    cli_ingest.add_parser(sub)
    cli_mqtt.add_parser(sub)
    cli_kpi.add_parser(sub)
    cli_maintenance.add_parser(sub)
    cli_alerts.add_parser(sub)


def rewrite_argv(argv: list[str]) -> list[str]:
    """``cityline ingest mqtt ...`` is ``cityline ingest-mqtt ...`` (a file argument cannot share a parser with a
    sub-command, and ``mqtt`` reads better than the hyphenated name)."""
    if len(argv) >= 2 and argv[0] == "ingest" and argv[1] == "mqtt":
        return ["ingest-mqtt", *argv[2:]]
    return argv
