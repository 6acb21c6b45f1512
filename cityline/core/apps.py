from django.apps import AppConfig

_WRITE_AHEAD_LOG: set[str] = set()


def sqlite_write_ahead_log(sender, connection, **kwargs) -> None:
    """Put an SQLite database in write-ahead-log mode, on the first connection to it in this process.

    With the write-ahead log, readers never wait for a writer's commit (the rollback journal locks
    them out while it commits) and a commit syncs one file instead of two. The mode is kept in the
    database file, so once per process is enough: run on every new connection (Django's
    ``init_command``, with a connection per request) the pragma cost a quarter of an NGSI-LD upsert's
    time. An in-memory database (the tests') answers "memory" and carries on.
    """
    if connection.vendor != "sqlite" or connection.settings_dict["NAME"] in _WRITE_AHEAD_LOG:
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
    _WRITE_AHEAD_LOG.add(connection.settings_dict["NAME"])


class CoreConfig(AppConfig):
    name = "cityline.core"
    label = "core"
    verbose_name = "Cityline core"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers validation rules with the actions layer)
        from .audit import connect

        connect()  # every historical row is sealed in the audit chain (cityline.core.audit)
        from . import checks  # noqa: F401  (registers the deployment checks)
        from django.db.backends.signals import connection_created

        connection_created.connect(sqlite_write_ahead_log)
        from . import portability

        # PostgreSQL's integer ranges on every model, and Unicode case folding in SQLite's lookups
        # (cityline.core.portability): whatever one engine accepts or finds, the other does too.
        portability.install()
