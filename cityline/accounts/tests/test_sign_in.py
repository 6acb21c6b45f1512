"""Local sign-in (B10): the sign-in page when the visitor is already signed in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityline.accounts.principals import SESSION_TRUST_KEY
from cityline.accounts.roles import Trust
from cityline.accounts.testing import grant
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "pw-long-enough-1"


def follow(client: Client, url: str, hops: int = 6) -> list[str]:
    """The addresses a browser goes through from ``url`` (at most ``hops`` redirects)."""
    seen = [url]
    response = client.get(url)
    while response.status_code in (301, 302) and len(seen) <= hops:
        url = response["Location"]
        seen.append(url)
        response = client.get(url)
    assert response.status_code == 200, (seen, response.status_code)
    return seen


def test_a_citizen_opening_the_editor_is_not_sent_round_in_circles():
    """Signed in without a staff role, /admin/ used to bounce between the editor and the sign-in page forever."""
    citizen = User.objects.create_user("cit", "cit@example.org", PASSWORD)
    client = Client()
    client.force_login(citizen)
    hops = follow(client, "/admin/")
    assert hops[-1].startswith("/account/sign-in/")
    page = client.get(hops[-1]).content.decode()
    assert "cit" in page and 'name="password"' in page  # says who is signed in, offers to sign in again


def test_a_low_trust_session_can_sign_in_again_with_a_password_to_reach_the_editor(settings):
    """A programme administrator signed in through a low-trust provider steps up by signing in with their password."""
    settings.CITYLINE_LOCAL_ACCOUNT_TRUST = "substantial"
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    grant(ada, "programme_admin", city=make_city())
    client = Client()
    client.force_login(ada)
    session = client.session
    session[SESSION_TRUST_KEY] = int(Trust.LOW)
    session.save()
    hops = follow(client, "/admin/")
    assert hops[-1].startswith("/account/sign-in/")
    response = client.post(hops[-1], {"username": "ada", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session[SESSION_TRUST_KEY] == int(Trust.SUBSTANTIAL)
    assert client.get("/admin/").status_code == 200


def test_signed_in_without_a_next_page_the_sign_in_page_still_sends_home():
    citizen = User.objects.create_user("cit", "cit@example.org", PASSWORD)
    client = Client()
    client.force_login(citizen)
    response = client.get("/account/sign-in/")
    assert response.status_code == 302 and response["Location"] == "/"
