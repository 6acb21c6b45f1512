"""SQLite's write lock taken at the start of a transaction (PostgreSQL locks rows and needs nothing of the kind)."""

from __future__ import annotations

from django.db import connection


def take_sqlite_write_lock(model) -> None:
    """On SQLite, make the current transaction hold the database's write lock from its start; elsewhere nothing.

    It begins with a write that changes nothing (``UPDATE <model's table> SET id = id WHERE id < 0``). A
    transaction that reads first must upgrade its lock when it first writes; if another connection wrote
    meanwhile (a webhook delivery recording its outcome, a token's last use), the upgrade fails at once with
    "database is locked" instead of waiting for the busy timeout. Taken first, the lock waits for the others as
    long as the timeout allows, and they wait for this transaction. Call it first thing in the transaction.
    (Django's ``transaction_mode: IMMEDIATE`` option would do this for every transaction of the site.)
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET id = id WHERE id < 0")
