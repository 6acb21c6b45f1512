"""``cityline user|token`` on odd but plausible input (B10): refused with the argument named, nothing written."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from cityline import cli
from cityline.accounts.models import ApiToken

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def no_acting_user_from_the_environment(monkeypatch):
    monkeypatch.delenv("CITYLINE_USER", raising=False)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_user_name_differing_only_in_case_is_refused(capsys, monkeypatch):
    """'Ann' next to 'ann' used to make a second account: one a programme administrator could grant a role to
    by mistake (user names are typed exactly), and that federated sign-in already treats as taken."""
    get_user_model().objects.create_user("ann", "ann@example.org", PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(capsys, "user", "create", "Ann", "--password-stdin")
    assert code == 2 and "'ann' already exists" in err and "nothing was changed" in err
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["ann"]


def test_a_token_name_too_long_is_refused_not_cut(capsys):
    """A name over 100 characters used to be cut silently; the web form refuses it, so does the CLI now."""
    get_user_model().objects.create_user("ann", "ann@example.org", PASSWORD)
    code, out, err = run(capsys, "token", "create", "--user", "ann", "--name", "n" * 101, "--scope", "read")
    assert code == 2 and err.startswith("error: --name:") and "100" in err and out == ""
    assert not ApiToken.objects.exists()
    code, out, err = run(capsys, "token", "create", "--user", "ann", "--name", "n" * 100, "--scope", "read")
    assert code == 0 and ApiToken.objects.get().name == "n" * 100
