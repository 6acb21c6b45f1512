"""Shared test set-up.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL points at
one (``make test`` does both). When ``CITYLINE_REQUIRE_POSTGRES=1`` (set by CI) and
the configured database is not PostgreSQL or is unreachable, the run fails instead
of quietly testing SQLite only.
"""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would refuse
# database access from there. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    # Property tests: CI runs a fixed set of examples (derandomized) so a run is reproducible.
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
    if os.environ.get("CITYLINE_REQUIRE_POSTGRES") == "1":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            raise pytest.UsageError("CITYLINE_REQUIRE_POSTGRES=1 but DATABASE_URL is not a PostgreSQL URL")
        import psycopg

        try:
            psycopg.connect(url.replace("postgresql://", "postgres://", 1), connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            raise pytest.UsageError(f"PostgreSQL is required but not reachable at {url}: {exc}") from exc


#: Fixtures that give a test the database (pytest-django); a test with none of them and no django_db mark
#: cannot reach any database (pytest-django refuses it).
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                     "live_server", "admin_user", "admin_client", "django_user_model", "django_db_setup"}


#: Tests that run on one engine only when scripts/test.sh runs both passes (``CITYLINE_ONE_ENGINE_TESTS=1``),
#: to keep CI within its time; each costs minutes and tests nothing the other engine would answer differently,
#: or, for the API fuzzing, finds more on PostgreSQL (stricter about integers, text with NUL and dates).
#: Node id prefix → engine (Django's ``connection.vendor``). Run alone, every test runs on any engine.
ONE_ENGINE = {
    "cityline/api/tests/test_schemathesis.py": "postgresql",
    "cityline/accounts/tests/test_matrix.py": "sqlite",  # the authorisation matrix: every editor page × principal
    "cityline/core/tests/test_demo.py": "sqlite",  # `cityline demo` itself (the demo import runs on PostgreSQL
    # in test_demo_snapshot.py and in the demo fixtures)
    "cityline/core/tests/test_packs.py::test_round_trip_of_the_demo_pack": "sqlite",  # the small pack's round
    # trip runs on both
    # Packs checked and refused whole (rolled back): the pack reader and validation, the same on both engines.
    "cityline/accounts/tests/test_identity_pack.py": "sqlite",
    "cityline/assessment/tests/test_faces.py::test_a_bad_pack_names_the_file_and_field_and_writes_nothing": "sqlite",
    # A background thread writes while the test reads (webhook deliveries, open data publishing). They use the
    # database_as_deployed fixture (a file database with the deployment's busy timeout, on SQLite), yet the open
    # data publishing one still failed in a full SQLite run (2026-11-28, not understood yet): PostgreSQL only, as
    # before, until it is.
    "cityline/observations/tests/test_alerts.py::test_webhook_receives_the_alert_as_json": "postgresql",
    "cityline/observations/tests/test_alerts.py::test_failing_webhook_is_retried_then_recorded_as_failed": "postgresql",
    "cityline/observations/tests/test_alerts.py::test_unreachable_webhook_is_recorded_and_ingestion_goes_on": "postgresql",
    "cityline/observations/tests/test_alerts.py::test_deactivating_a_rule_or_taking_a_series_out_closes_its_open_alerts":
        "postgresql",
    "cityline/observations/tests/test_alerts.py::test_webhook_events_of_an_alert_arrive_in_order_and_a_failure_stays"
    "_visible": "postgresql",
    "cityline/observations/tests/test_alerts.py::test_a_delivery_to_a_trickling_receiver_is_recorded_as_failed":
        "postgresql",
    "cityline/observations/tests/test_alerts.py::test_webhooks_a_process_left_pending_are_sent_again_by_the_next_batch"
    "_of_the_city": "postgresql",
    "cityline/observations/tests/test_alertdata.py::test_ingest_publishes_in_the_background": "postgresql",
    # One city's damaged store on Spark (a local Spark session, about 20 s): the per-city error handling is the
    # same on either database.
    "cityline/observations/tests/test_compute.py::test_on_spark_a_damaged_part_is_named_and_the_other_cities_go_on":
        "sqlite",
    # What the demo city's content comes out as (assessment, catalogue, benefits, plans, reports): the same data
    # on either engine; the demo's import and snapshot restore themselves are tested on both.
    "cityline/assessment/tests/test_rules_strategy.py": "sqlite",
    "cityline/assessment/tests/test_dcat_and_demo_report.py": "sqlite",
    "cityline/opendata/tests/test_demo_catalogue.py": "sqlite",
    "cityline/benefits/tests/test_demo_benefits.py": "sqlite",
    "cityline/participation/tests/test_demo.py": "sqlite",
    "cityline/delivery/tests/test_demo_plans.py": "sqlite",
    "cityline/benchmarking/tests/test_peer_assessment.py::test_demo_compares_kestermouths_maturity_with_brindlemoors":
        "sqlite",  # imports the peer city's pack (about 28 s on PostgreSQL, 9 s on SQLite)
    # The import's after-commit work replayed after a restore: the replay is engine-neutral.
    "cityline/core/tests/test_demo_snapshot.py::test_the_import_work_left_to_the_commit_runs_after_a_restore": "postgresql",
    # Migrating a database from nothing (about a minute): on PostgreSQL, the production engine, whose schema
    # introspection is the stricter comparison; `make demo` migrates SQLite from nothing for every newcomer.
    "tests/test_migrations.py": "postgresql",
}


def pytest_collection_modifyitems(config, items):
    """``CITYLINE_DATABASE_TESTS_ONLY=1`` (scripts/test.sh's PostgreSQL pass) keeps the tests that reach the
    database: the others cannot behave differently on another engine, and already ran in the SQLite pass.
    ``CITYLINE_ONE_ENGINE_TESTS=1`` runs the tests of :data:`ONE_ENGINE` on their engine only."""
    database_only = os.environ.get("CITYLINE_DATABASE_TESTS_ONLY") == "1"
    one_engine = os.environ.get("CITYLINE_ONE_ENGINE_TESTS") == "1"
    if not (database_only or one_engine):
        return
    url = os.environ.get("DATABASE_URL", "")
    vendor = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    keep, drop = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or DATABASE_FIXTURES & set(
            getattr(item, "fixturenames", ()))
        engine = next((e for prefix, e in ONE_ENGINE.items() if item.nodeid.startswith(prefix)), None)
        wanted = (uses_db or not database_only) and (not one_engine or engine in (None, vendor))
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", autouse=True)
def _no_rate_limits_unless_a_test_asks():
    """Rate limits (cityline.core.ratelimits) are off in the test run: every test client shares one
    address and the cache lives for the whole run. The rate-limit tests switch them on
    (override_settings(RATELIMIT_ENABLE=True))."""
    from django.conf import settings

    settings.RATELIMIT_ENABLE = False
    yield


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    """Django's LocaleMiddleware activates the request's language and leaves it active in the thread:
    a test client request to a /fr/ page would otherwise turn the next test's messages French."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _opendata_files_in_a_throwaway_folder(tmp_path_factory):
    """Uploaded open data files and observations of the test run (e.g. the demo pack's) go to a throwaway folder, never ./var.

    Set here, not through the environment: pytest-django has loaded the settings before this file runs.
    """
    from django.conf import settings

    settings.CITYLINE_OPENDATA_DIR = tmp_path_factory.mktemp("opendata")
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path_factory.mktemp("observations")
    yield


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Tests hash passwords with MD5, as Django's own test advice has it: PBKDF2's 1,000,000 rounds are
    the point in production and cost about 0.3 s per user created or password checked, which a suite
    that signs in thousands of users spent minutes on. No test here is about the hasher's strength."""
    from django.conf import settings
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()
    yield


@pytest.fixture(autouse=True)
def _observation_store_per_test(request, tmp_path_factory):
    """Each test gets an empty observation store, as it gets an empty database.

    The store lives in files, which the database's rollback does not reach: without this, the readings
    one test seeds for the demo city were still there for the next test on that worker (which then
    found "nothing to seed"). The in-process caches keyed by city id (latest readings, alert rules and
    states) are forgotten for the same reason. Browser tests keep the session folder: their live site
    is module-scoped and set up before any function fixture, and cleans its own store up.
    """
    if request.node.get_closest_marker("browser"):
        yield
        return
    import shutil

    from django.conf import settings

    from cityline.observations import alerts, live

    before = settings.CITYLINE_OBSERVATIONS_DIR
    folder = tmp_path_factory.mktemp("observations")
    settings.CITYLINE_OBSERVATIONS_DIR = folder
    live.forget()
    alerts.reset()
    try:
        yield
    finally:
        settings.CITYLINE_OBSERVATIONS_DIR = before
        live.forget()
        alerts.reset()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def demo_city(db):
    """The demo city (cityline/demo/city-pack), one per test: imported through the pack importer the first
    time in a worker, restored from that import's snapshot afterwards (cityline.core.demo_snapshot)."""
    from cityline.core.demo_snapshot import import_demo_pack

    return import_demo_pack()


@pytest.fixture(scope="session", autouse=True)
def _postgres_test_database_can_be_dropped(request):
    """On PostgreSQL, end stray sessions on the test database before pytest-django drops it.

    Tests that run while Playwright drives the browser open their connections in another
    context (asgiref locals), which Django's own clean-up does not reach; PostgreSQL then
    refuses to drop the test database. Requesting ``django_db_setup`` here makes this
    teardown run just before the database is dropped. Under pytest-xdist each worker has its
    own test database (``test_<name>_gw0``, ...) and ends the sessions on that one only.
    """
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        yield
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    yield
    from django.db import connection

    with blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()
