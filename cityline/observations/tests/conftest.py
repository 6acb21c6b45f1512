"""Fixtures of the observations tests."""

import sqlite3
from contextlib import closing

import pytest
from django.db import connections


@pytest.fixture
def database_as_deployed(transactional_db, tmp_path):
    """The database as a deployment has it, for a test whose background threads (webhook deliveries, the alert
    history's publishing) use the database while the test ingests.

    On SQLite, Django's test database lives in memory with a shared cache: there a connection that meets another
    one's table lock is answered "database table is locked" at once (the busy timeout does not apply to those
    locks), which a deployment never sees, and which made such tests fail on and off under load. Here the test
    runs on a copy of the test database in a file instead, with the deployment's connection options (busy timeout)
    and write-ahead log (``cityline/core/apps.py``), so the threads wait for each other as they would in
    production, and a lock the product would really fail on still fails the test. On PostgreSQL the test database
    is used as it is. The background work is waited for before the test database is put back.
    """
    connection = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    settings_dict = connection.settings_dict  # shared by every thread's connection to "default"
    in_memory = settings_dict["NAME"]
    connection.ensure_connection()
    path = tmp_path / "cityline.sqlite3"
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    kept = connection.connection  # the in-memory database lasts as long as a connection to it is open
    connection.connection = None
    settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        from cityline.observations import alertdata, webhook

        webhook.drain(timeout=30)
        alertdata.drain()
        connections.close_all()  # this thread's connection to the file (the threads close their own)
        settings_dict["NAME"] = in_memory
        connection.connection = kept
