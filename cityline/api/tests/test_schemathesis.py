"""Schemathesis against our OpenAPI document (B10, B2.g: a hardened, honest public API; docs/security.md).

Every operation of ``docs/openapi.json`` (identical to the served document, see test_openapi.py) is
called with generated data, anonymously; the read operations again as a platform administrator
(HTTP Basic), with the path keys of real records. No call may answer 5xx, and every response must
match the document (status code, content type, body schema).

A small city with real records is loaded once per module (committed, then the database is flushed,
as in the browser tests). Examples per operation are few (``max_examples``), so a database pass
stays within a few minutes; ``HYPOTHESIS_PROFILE=ci`` derandomises them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cityline.wsgi import application

pytestmark = pytest.mark.django_db

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
CITY = "riverford"
ADMIN, PASSWORD = "fuzz-admin", "fuzz-admin-password-0123"
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FEW = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

# The observations upload takes a raw file as its body (CSV, JSON lines, Parquet): schemathesis has no
# serializer for JSON lines or Parquet, so it sends arbitrary bytes of those types (the endpoint must answer
# them with a documented problem, never a server error).
for _media in ("application/x-ndjson", "application/vnd.apache.parquet"):
    schemathesis.openapi.media_type(_media, st.binary(max_size=256))

schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text(encoding="utf-8")))
schema.app = application
# Fuzzing only: the coverage phase would add dozens of boundary cases per operation (too slow here).
schema.config.phases.coverage.enabled = False


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the WSGI application itself, whose request_finished signal would close the
    database connection inside the test's transaction (PostgreSQL); Django's test client disconnects
    the same handlers for the same reason."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def real_keys(django_db_setup, django_db_blocker):
    """Load the small city once (committed); the keys of real records by collection path."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from cityline.accounts.testing import grant
    from cityline.portal.testing import assert_test_database
    from cityline.strategy.tests.factories import make_strategy_city

    from django.test import override_settings

    # The tests hash with MD5 only (root conftest.py, ``_fast_password_hasher``): the password must be
    # hashed with it here too, or no test could check it.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        assert_test_database()
        make_strategy_city(CITY, "Riverford")
        grant(get_user_model().objects.create_user(ADMIN, password=PASSWORD), "platform_admin")
        keys: dict[str, str] = {}
        client = Client()
        for path in json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"]:
            if path.endswith("/{key}"):
                listing = path[: -len("/{key}")].replace("{city_key}", CITY)
                body = client.get(listing, HTTP_AUTHORIZATION=basic()).json()
                results = body.get("results") if isinstance(body, dict) else None
                if results and isinstance(results[0], dict) and "key" in results[0]:
                    keys[path] = results[0]["key"]
    try:
        yield keys
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


def basic() -> str:
    return "Basic " + base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()


def in_our_city(case) -> None:
    if case.path_parameters and "city_key" in case.path_parameters:
        case.path_parameters["city_key"] = CITY


@schema.parametrize()
@FEW
def test_anonymous_calls_never_fail_and_match_the_document(case, real_keys):
    in_our_city(case)
    case.call_and_validate(checks=CHECKS)


@schema.include(method="GET").parametrize()
@FEW
def test_administrator_reads_of_real_records_match_the_document(case, real_keys):
    in_our_city(case)
    template = case.operation.path
    if template in real_keys:
        case.path_parameters["key"] = real_keys[template]
    # The document declares Basic and bearer security: Schemathesis may generate an Authorization
    # header of its own, so ours goes onto the case itself.
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.headers = {**headers, "Authorization": basic()}
    case.call_and_validate(checks=CHECKS)
