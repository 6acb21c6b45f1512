"""Odd ``Authorization`` headers (B10): a clear refusal, never a server error."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header", ["Basic \u00e9t\u00e9", "Bearer cl_\u00e9t\u00e9"])
def test_non_ascii_credentials_are_a_401_naming_the_cause(header):
    """A Basic value with a non-ASCII character used to escape the check as a ValueError: a 500."""
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert ("base64" in detail) if header.startswith("Basic") else ("bearer token" in detail)

