"""`cityline demo`: loads the demo city once, creates the editor account once, says how to sign in."""

import pytest
from django.contrib.auth import get_user_model

from cityline import cli
from cityline.core import demo
from cityline.core.models import City, Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_prepare_demo_loads_city_and_account_once_and_keeps_edits(data_dir, capsys):
    """One demo load, then two runs that reuse it (the command, then the function): every check that
    needs the demo city shares this one load, the costliest set-up of the suite."""
    from cityline.core import actions

    first = demo.prepare_demo()
    city = first["city"]
    assert city.key == demo.demo_city_key()
    assert first["imported"] is not None
    assert Organisation.objects.filter(city=city).count() >= 20
    account = first["account"]
    assert account["new"] and account["password"]
    user = get_user_model().objects.get(username=demo.DEMO_USERNAME)
    assert user.is_staff and user.check_password(account["password"])
    assert (data_dir / "demo-credentials.txt").read_text().split() == [demo.DEMO_USERNAME, account["password"]]
    text = demo.describe(first, host="127.0.0.1", port=8000)
    assert "http://127.0.0.1:8000/" in text
    assert "http://127.0.0.1:8000/admin/" in text
    assert account["password"] in text

    # An edit made in the editor since the demo was loaded survives the next `cityline demo`.
    org = Organisation.objects.filter(city=city).first()
    actions.update(org, description="Edited in the editor")
    assert cli.main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "Sign in to the editor as 'editor'" in out and account["password"] in out
    assert Organisation.objects.get(pk=org.pk).description == "Edited in the editor"

    second = demo.prepare_demo()
    assert second["imported"] is None  # reused, not re-imported
    assert second["account"]["password"] == account["password"]
    assert not second["account"]["new"]
    assert City.objects.count() == 2  # the demo city and its comparison partner (issue 9)
    assert Organisation.objects.get(pk=org.pk).description == "Edited in the editor"
    assert_role_accounts(first, second)
    # Every field type of every area survives the database round trip with the same digest (audit chain).
    from cityline.core import audit

    report = audit.verify(city)
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert report.rows > 500


def assert_role_accounts(first, second):
    """The demo's accounts with one role each: scoped as documented, made once, passwords kept."""
    from cityline.accounts import authz
    from cityline.opendata.models import Dataset

    accounts = {a["username"]: a for a in first["roles"]}
    assert set(accounts) == {"steward", "owner", "citizen"} and all(a["password"] for a in accounts.values())
    User = get_user_model()
    steward = authz.principal_for_user(User.objects.get(username="steward"))
    observatory = Dataset.objects.filter(city=first["city"], publisher__key="urban-observatory").first()
    council = Dataset.objects.filter(city=first["city"], publisher__key="kcc").first()
    assert authz.can(steward, "change", observatory) and not authz.can(steward, "change", council)
    assert not authz.editor_access(authz.principal_for_user(User.objects.get(username="citizen")))
    again = {a["username"]: a for a in second["roles"]}
    assert again["steward"]["password"] == accounts["steward"]["password"]
    assert User.objects.get(username="steward").role_assignments.count() == 1
    assert "steward" in demo.describe(first, host="127.0.0.1", port=8000)
