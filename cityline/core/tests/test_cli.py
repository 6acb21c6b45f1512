"""The `cityline` command: help, history, and clear errors."""

import pytest
from django.contrib.auth import get_user_model

from cityline import cli
from cityline.core import actions
from cityline.core.testing import make_city, make_organisation

pytestmark = pytest.mark.django_db


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "serve", "migrate", "pack", "publish", "history", "manage"):
        assert f"    {command}" in out


def test_history_prints_who_changed_what(capsys):
    user = get_user_model().objects.create_user("editor")
    city = make_city()
    org = make_organisation(city, name="City Council")
    actions.update(org, name="Metropolitan Council", user=user, reason="merger")
    assert cli.main(["history", "--city", city.key, "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "editor" in out and "changed" in out and "Metropolitan Council" in out
    assert "name: 'City Council' → 'Metropolitan Council'" in out
    assert "(merger)" in out


def test_history_of_an_unknown_city_is_a_clear_error(capsys):
    assert cli.main(["history", "--city", "atlantis"]) == 2
    assert "no city with key 'atlantis' (cities here: none)" in capsys.readouterr().err


def test_a_missing_argument_names_it(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["pack", "import"])
    assert exit_.value.code == 2
    assert "directory" in capsys.readouterr().err


@pytest.mark.parametrize("environment, kept", [(None, (600, True)), ("0", (0, False))])
def test_serve_keeps_database_connections_unless_the_environment_says_otherwise(monkeypatch, environment, kept):
    import argparse

    from django.db import connections

    default = connections.settings["default"]
    monkeypatch.setitem(default, "CONN_MAX_AGE", 0)
    monkeypatch.setitem(default, "CONN_HEALTH_CHECKS", False)
    if environment is None:
        monkeypatch.delenv("CITYLINE_DB_CONN_MAX_AGE", raising=False)
    else:
        monkeypatch.setenv("CITYLINE_DB_CONN_MAX_AGE", environment)
    served = []
    monkeypatch.setattr("waitress.serve", lambda app, **options: served.append(
        (options["threads"], default["CONN_MAX_AGE"], default["CONN_HEALTH_CHECKS"])))
    assert cli.cmd_serve(argparse.Namespace(host="127.0.0.1", port=0, threads=3, compact_every=0)) == 0
    assert served == [(3, *kept)]


@pytest.mark.parametrize("argv, option, message", [
    (["history", "--limit", "-1"], "--limit", "'-1': give a whole number from 1 to 1000000"),
    (["history", "--limit", "0"], "--limit", "'0': give a whole number from 1 to 1000000"),
    (["history", "--limit", "ten"], "--limit", "'ten' is not a whole number"),
    (["history", "--limit", "1" + "0" * 20], "--limit", f"'1{'0' * 20}': give a whole number from 1 to 1000000"),
    (["serve", "--threads", "0"], "--threads", "'0': give a whole number from 1 to 1000"),
    (["serve", "--threads", "-4"], "--threads", "'-4': give a whole number from 1 to 1000"),
    (["serve", "--threads", "1001"], "--threads", "'1001': give a whole number from 1 to 1000"),
    (["serve", "--threads", "1" + "0" * 20], "--threads", f"'1{'0' * 20}': give a whole number from 1 to 1000"),
    (["serve", "--port", "70000"], "--port", "'70000': give a port number from 1 to 65535"),
    (["serve", "--port", "0"], "--port", "'0': give a port number from 1 to 65535"),
    (["serve", "--port", "-1"], "--port", "'-1': give a port number from 1 to 65535"),
    (["demo", "--no-serve", "--port", "65536"], "--port", "'65536': give a port number from 1 to 65535"),
    (["demo", "--no-serve", "--threads", "0"], "--threads", "'0': give a whole number from 1 to 1000"),
    (["serve", "--compact-every", "1e300"], "--compact-every", "'1e300': give a number of minutes (0: never) "
                                                               "from 0 to 10080"),
])
def test_a_number_option_out_of_its_range_is_a_usage_error_naming_the_option(capsys, monkeypatch, argv, option,
                                                                             message):
    for command in ("cmd_serve", "cmd_demo", "cmd_history"):  # refused while parsing: none of them runs
        monkeypatch.setattr(cli, command, lambda args: pytest.fail(f"ran with {args}"))
    with pytest.raises(SystemExit) as refused:
        cli.main(argv)
    out, err = capsys.readouterr()
    assert (refused.value.code, out) == (2, "") and f"error: argument {option}: {message}\n" in err
    assert "Traceback" not in err


def test_the_boundary_values_of_history_and_serve_still_work(capsys, monkeypatch):
    city = make_city()
    make_organisation(city, name="City Council")
    make_organisation(city, key="water", name="Water Board")
    assert cli.main(["history", "--city", city.key, "--limit", "1"]) == 0
    assert capsys.readouterr().out.count(" created ") == 1
    assert cli.main(["history", "--city", city.key, "--limit", "1000000"]) == 0
    assert capsys.readouterr().out.count(" created ") == 2
    served = []
    monkeypatch.setattr("waitress.serve", lambda app, **options: served.append((options["port"], options["threads"])))
    for port, threads in (("1", "1"), ("65535", "1000")):
        assert cli.main(["serve", "--port", port, "--threads", threads, "--compact-every", "0"]) == 0
    assert served == [(1, 1), (65535, 1000)]
