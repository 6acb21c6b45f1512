"""The migrations build exactly the schema the models describe, on this pass's database engine.

The suite's test databases are made from the models (pytest-django's ``--no-migrations``, which
scripts/test.sh passes): running all migrations cost about a minute for each xdist worker in each
pass. The migrations stay tested here instead: the migration every command runs first builds
a throwaway database of the same engine from nothing, and its tables, columns and constraints must
be those of the test database. ``test_no_missing_migrations`` (test_architecture.py) checks the
other direction: no model change without its migration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from cityline.core.testing import schema_of

ROOT = Path(__file__).resolve().parents[1]
MIGRATE_AND_DESCRIBE = """
import json, sys
from cityline import cli
cli._setup_django()
assert cli._unapplied_migrations()
cli._migrate()  # what every command does first: finds the migrations missing, applies them
assert not cli._unapplied_migrations()
assert cli.main(["migrate"]) == 0  # `cityline migrate`: nothing left to do
from django.db import connection
from cityline.core.testing import schema_of
sys.stdout.write("SCHEMA " + json.dumps(schema_of(connection)))
"""


@pytest.fixture
def throwaway_database_url(tmp_path):
    """A URL of an empty database of the engine the tests run on (created, then dropped)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    name = f"test_migrations_{uuid.uuid4().hex[:8]}"
    base = os.environ["DATABASE_URL"]
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.mark.django_db
def test_migrations_from_nothing_build_the_schema_of_the_models(throwaway_database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": throwaway_database_url, "DJANGO_SETTINGS_MODULE": "cityline.settings",
           "CITYLINE_DATA_DIR": str(tmp_path), "CITYLINE_OPENDATA_DIR": str(tmp_path / "opendata"),
           "CITYLINE_OBSERVATIONS_DIR": str(tmp_path / "observations")}
    result = subprocess.run([sys.executable, "-c", MIGRATE_AND_DESCRIBE], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    migrated = json.loads(result.stdout.split("SCHEMA ", 1)[1])
    assert migrated.pop("django_migrations")["columns"]  # the record of applied migrations: migrate's own
    from_models = json.loads(json.dumps(schema_of(connection)))
    from_models.pop("django_migrations", None)
    assert sorted(migrated) == sorted(from_models)
    # Django's own apps (auth, sessions, ...) are left out: their migrations of 2015 keep 32-bit ids on
    # PostgreSQL's many-to-many tables where the models now say 64-bit; theirs to mend, not ours.
    from django.apps import apps

    django_tables = {model._meta.db_table for config in apps.get_app_configs() if config.name.startswith("django.")
                     for model in config.get_models(include_auto_created=True)}
    differing = [table for table in from_models if table not in django_tables and migrated[table] != from_models[table]]
    assert differing == [], {t: (migrated[t], from_models[t]) for t in differing[:2]}
    assert len(from_models) > 200  # every area's tables, with their history tables
