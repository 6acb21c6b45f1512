"""``cityline user|role|token`` and ``--user`` on writing commands (B10): thin shells, clear refusals, exit 2,
nothing written when refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from cityline import cli
from cityline.accounts import tokens
from cityline.accounts.models import ApiToken, RoleAssignment
from cityline.accounts.testing import grant
from cityline.core.models import City, Organisation
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db

SMALL_PACK = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "packs" / "small"  # city brookfield
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def no_acting_user_from_the_environment(monkeypatch):
    monkeypatch.delenv("CITYLINE_USER", raising=False)


@pytest.fixture
def ann(db):
    return get_user_model().objects.create_user("ann", "ann@example.org", PASSWORD)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- tokens ------------------------------------------------------------------------------------


def test_token_create_prints_it_once_list_shows_prefix_revoke(capsys, ann):
    code, out, err = run(capsys, "token", "create", "--user", "ann", "--name", "backup", "--scope", "read",
                         "--scope", "write", "--days", "30")
    assert code == 0, err
    raw = out.strip()
    token = ApiToken.objects.get(user=ann)
    assert token.digest == tokens.digest(raw) and token.scopes == ["read", "write"]
    assert "Copy it now" in err and token.prefix in err
    code, out, _ = run(capsys, "token", "list", "--user", "ann")
    assert code == 0 and token.prefix in out and raw not in out and "active" in out and "backup" in out
    code, out, _ = run(capsys, "token", "revoke", token.prefix)
    assert code == 0 and "revoked" in out
    token.refresh_from_db()
    assert token.revoked_at is not None and tokens.lookup(raw) is None
    assert "revoked" in run(capsys, "token", "list")[1]


@pytest.mark.parametrize("argv, message", [
    (["--user", "nobody", "--name", "x", "--scope", "read"], "unknown user 'nobody'"),
    (["--user", "ann", "--name", "x", "--scope", "read", "--days", "400"], "--days: a token lives 1 to 366 days"),
    (["--user", "ann", "--name", "  ", "--scope", "read"], "--name: say what the token is for"),
])
def test_token_create_refusals_write_nothing(capsys, ann, argv, message):
    code, out, err = run(capsys, "token", "create", *argv)
    assert code == 2 and message in err and "nothing was changed" in err and out == ""
    assert not ApiToken.objects.exists()


def test_token_revoke_unknown_prefix(capsys, ann):
    code, _, err = run(capsys, "token", "revoke", "cl_nothere")
    assert code == 2 and "no token with prefix 'cl_nothere'" in err


# --- roles -------------------------------------------------------------------------------------


@pytest.fixture
def city(db):
    city = make_city("testville", "Testville")
    from cityline.core.testing import make_organisation

    make_organisation(city, "council")
    return city


def test_role_grant_list_revoke(capsys, ann, city):
    code, out, err = run(capsys, "role", "grant", "ann", "data_steward", "--organisation", "testville/council")
    assert code == 0, err
    assert "granted data_steward for organisation testville/council to ann" in out
    a = RoleAssignment.objects.get(user=ann)
    assert a.organisation.key == "council" and a.city == city
    code, out, err = run(capsys, "role", "grant", "ann", "programme_admin", "--city", "testville")
    assert code == 0, err
    out = run(capsys, "role", "list", "--city", "testville")[1]
    assert "ann\tdata_steward for organisation testville/council" in out and "ann\tprogramme_admin" in out
    code, out, err = run(capsys, "role", "revoke", "ann", "data_steward", "--organisation", "testville/council")
    assert code == 0, err
    assert list(RoleAssignment.objects.values_list("role", flat=True)) == ["programme_admin"]


@pytest.mark.parametrize("argv, message", [
    (["nobody", "programme_admin", "--city", "testville"], "unknown user 'nobody'"),
    (["ann", "data_steward", "--organisation", "testville/nope"], "unknown organisation key 'nope' in testville"),
    (["ann", "data_steward", "--organisation", "nowhere/council"], "unknown city 'nowhere'"),
    (["ann", "data_steward", "--city", "testville"], "role data_steward is granted for an organisation: give "
                                                      "--organisation CITY/ORGKEY (not --city)"),
    (["ann", "benefit_owner"], "give --outcome CITY/NODEKEY"),
    (["ann", "platform_admin", "--city", "testville"], "whole instance: leave out --city"),
    (["ann", "mayor", "--city", "testville"], "unknown role 'mayor'"),
    (["ann", "data_steward", "--organisation", "council"], "--organisation 'council': write CITY/KEY"),
])
def test_role_grant_refusals_write_nothing(capsys, ann, city, argv, message):
    code, out, err = run(capsys, "role", "grant", *argv)
    assert code == 2 and message in err, err
    assert not RoleAssignment.objects.exists()


def test_role_revoke_of_a_role_not_held(capsys, ann, city):
    code, _, err = run(capsys, "role", "revoke", "ann", "programme_admin", "--city", "testville")
    assert code == 2 and "ann does not hold programme_admin for city testville" in err


# --- users -------------------------------------------------------------------------------------


def test_user_create_reads_the_password_from_stdin(capsys, monkeypatch, db):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = run(capsys, "user", "create", "zoe", "--email", "zoe@example.org", "--password-stdin")
    assert code == 0, err
    user = get_user_model().objects.get(username="zoe")
    assert user.check_password(PASSWORD) and user.email == "zoe@example.org"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(capsys, "user", "create", "zoe", "--password-stdin")
    assert code == 2 and "user 'zoe' already exists" in err


def test_user_create_refuses_a_weak_password(capsys, monkeypatch, db, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run(capsys, "user", "create", "zoe", "--password-stdin")
    assert code == 2 and err.startswith("error: password:") and "too short" in err
    assert not get_user_model().objects.filter(username="zoe").exists()


# --- --user on the commands that write ---------------------------------------------------------


def test_pack_import_as_a_user_needs_the_right_role(capsys, ann, monkeypatch):
    code, _, err = run(capsys, "pack", "import", str(SMALL_PACK), "--user", "nobody")
    assert code == 2 and "unknown user 'nobody'" in err
    code, _, err = run(capsys, "pack", "import", str(SMALL_PACK), "--user", "ann")
    assert code == 2 and "ann may not create city 'brookfield': that needs a platform administrator" in err
    assert not City.objects.filter(key="brookfield").exists()
    # the city exists (as the pack states it: its record is a platform administrator's to change); ann
    # administers another one
    brookfield = city_as_in_pack(SMALL_PACK)
    grant(ann, "programme_admin", city=make_city("elsewhere", "Elsewhere"))
    monkeypatch.setenv("CITYLINE_USER", "ann")
    code, _, err = run(capsys, "pack", "import", str(SMALL_PACK))
    assert code == 2 and "needs the programme administrator role of 'brookfield'" in err
    assert not Organisation.objects.filter(city=brookfield).exists()
    grant(ann, "programme_admin", city=brookfield)
    code, out, err = run(capsys, "pack", "import", str(SMALL_PACK))
    assert code == 0, err
    assert Organisation.objects.filter(city=brookfield).exists()


def city_as_in_pack(directory: Path) -> City:
    """The city a pack names, created with the values its pack.yaml gives."""
    from cityline.core import actions
    from cityline.core.packs import read_pack, spec
    from cityline.core.packs.importer import convert

    city = read_pack(directory).city
    return actions.create(City, **{f.name: convert(f, city.get(f.name)) for f in spec.city_fields()})


def test_pack_import_without_user_acts_as_the_operator(capsys, db):
    code, _, err = run(capsys, "pack", "import", str(SMALL_PACK))
    assert code == 0, err
    assert City.objects.filter(key="brookfield").exists()


def test_user_before_the_command_is_refused_where_it_would_be_ignored(capsys, ann):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--user", "ann", "history"])
    assert exit_.value.code == 2 and "--user applies to the commands that write" in capsys.readouterr().err


def test_opendata_upload_as_a_user_needs_the_publishers_steward(capsys, ann, settings, tmp_path):
    from cityline.opendata.models import DistributionVersion
    from cityline.opendata.testing import make_catalogue_city, sample_files

    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    city = make_catalogue_city()
    files = sample_files(tmp_path / "upload")
    upload = ["opendata", "upload", "testville", "air-quality", "air-quality-csv", str(files["air-quality-csv"])]
    # ann stewards the bus company's data, not the council's
    grant(ann, "data_steward", organisation=Organisation.objects.get(city=city, key="buses"))
    code, out, err = run(capsys, *upload, "--user", "ann")
    assert code == 1 and "ann may not change this distribution" in err and "nothing was changed" in err
    assert not DistributionVersion.objects.exists()
    code, _, err = run(capsys, "--user", "ghost", *upload)
    assert code == 2 and "unknown user 'ghost'" in err
    grant(ann, "data_steward", organisation=Organisation.objects.get(city=city, key="council"))
    code, out, err = run(capsys, "--user", "ann", *upload)
    assert code == 0, err
    assert DistributionVersion.objects.get().distribution.key == "air-quality-csv"
    # sync-kpis is a whole-city write: the programme administrator's
    code, _, err = run(capsys, "opendata", "sync-kpis", "testville", "--user", "ann")
    assert code == 1 and "programme administrator role of 'testville'" in err
