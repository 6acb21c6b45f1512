"""The CKAN API never answers from a stale catalogue (issue 4, item 7; B8, B13, B14).

The index and the package dictionaries are cached per city. Every record they show (datasets, their
distributions and versions, themes, organisations, contact points, and the entry of the asset
register a dataset comes from) must make the next answer current, whether the change was made in
this process (the cache is dropped when its transaction commits) or in another one (the history
check notices it), through the domain layer, the editor or a city pack import.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from cityline.core import actions
from cityline.core.models import Organisation, Person
from cityline.core.packs import export_pack, import_pack
from cityline.core.tests.test_editor import change_url, client_for, form_data, staff
from cityline.opendata import ckan, services
from cityline.opendata.models import CatalogueStamp, DataAsset, Dataset, Distribution, Theme
from cityline.opendata.testing import make_catalogue_city, sample_files

from .test_ckan import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(settings, tmp_path):
    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    city = make_catalogue_city()
    services.upload_version(Distribution.objects.get(key="air-quality-csv"),
                            sample_files(tmp_path / "samples")["air-quality-csv"])
    ckan.clear_cache()
    return city


def result(client, action: str, **params):
    r = client.get(BASE + action, {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()})
    assert r.status_code == 200, r.content
    return r.json()["result"]


def shown(client, what) -> tuple:
    """What package_show and package_search answer about the air quality dataset, through ``what``."""
    found = [p for p in result(client, "package_search", q="air", rows=100)["results"] if p["name"] == "air-quality"]
    return what(result(client, "package_show", id="air-quality")), what(found[0])


def asset(pkg: dict) -> str | None:
    return {e["key"]: e["value"] for e in pkg["extras"]}.get("asset")


def test_renaming_an_asset_is_seen_by_the_next_request_of_any_process(client, city):
    assert shown(client, asset) == ("air-sensors", "air-sensors")
    # without on-commit callbacks, as a change made by another process (a worker, the CLI)
    actions.update(DataAsset.objects.get(key="air-sensors"), key="air-sensors-2026")
    assert shown(client, asset) == ("air-sensors-2026", "air-sensors-2026")


def test_a_change_drops_the_city_index_when_its_transaction_commits(client, city, django_capture_on_commit_callbacks):
    shown(client, asset)
    assert city.pk in ckan._CACHE
    with django_capture_on_commit_callbacks(execute=True):
        actions.update(DataAsset.objects.get(key="air-sensors"), key="sensors")
        assert city.pk in ckan._CACHE  # not before the commit: another request may still read the old one
    assert city.pk not in ckan._CACHE
    assert shown(client, asset) == ("sensors", "sensors")


def test_a_change_rolled_back_leaves_the_index(client, city, django_capture_on_commit_callbacks):
    shown(client, asset)
    stamp = CatalogueStamp.objects.current(city.pk)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.update(DataAsset.objects.get(key="air-sensors"), key="sensors")
            raise RuntimeError("rolled back")
    assert city.pk in ckan._CACHE
    assert CatalogueStamp.objects.current(city.pk) == stamp
    assert shown(client, asset) == ("air-sensors", "air-sensors")


def test_deleting_the_asset_takes_it_out_of_the_package(client, city, django_capture_on_commit_callbacks):
    # the dataset's link is emptied by the database's cascade (SET NULL): no dataset row is written through Django
    shown(client, asset)
    actions.delete(DataAsset.objects.get(key="air-sensors"))
    assert shown(client, asset) == (None, None)
    shown(client, asset)
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete(DataAsset.objects.get(key="permits-db"))
    assert city.pk not in ckan._CACHE
    assert asset(result(client, "package_show", id="parking-permits")) is None


def test_editing_and_deleting_an_asset_in_the_editor(client, city, django_capture_on_commit_callbacks):
    from django.test import Client
    from django.urls import reverse

    editor = client_for(Client, staff())
    sensors = DataAsset.objects.get(key="air-sensors")
    shown(client, asset)
    data = form_data(editor.get(change_url(sensors)))
    data["key"] = "city-sensors"
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(change_url(sensors), data)
    assert response.status_code == 302, response.content
    assert city.pk not in ckan._CACHE
    assert shown(client, asset) == ("city-sensors", "city-sensors")
    response = editor.post(reverse("admin:opendata_dataasset_delete", args=[sensors.pk]), {"post": "yes"})
    assert response.status_code == 302, response.content
    assert shown(client, asset) == (None, None)


def test_a_pack_import_that_renames_an_asset(client, city, tmp_path):
    directory = tmp_path / "pack"
    export_pack(city, directory)
    yaml = Path(directory / "opendata.yaml")
    assert "air-sensors" in yaml.read_text()
    yaml.write_text(yaml.read_text().replace("air-sensors", "sensor-fleet"))
    shown(client, asset)
    import_pack(directory, progress=False, trusted=True)
    assert shown(client, asset) == ("sensor-fleet", "sensor-fleet")


def org_title(pkg: dict) -> str:
    return pkg["organization"]["title"]


def group_titles(pkg: dict) -> list[str]:
    return [g["title"] for g in pkg["groups"]]


def maintainer(pkg: dict) -> str:
    return pkg["maintainer"]


def resource_names(pkg: dict) -> list[str]:
    return [r["name"] for r in pkg["resources"]]


def resource_rows(pkg: dict) -> list:
    return [r["rows"] for r in pkg["resources"]]


def _new_version(tmp_path):
    src = tmp_path / "more.csv"
    src.write_text("station,time,district,no2,pm10\nnorth-gate,2026-02-01T08:00:00,north,20,10\n")
    services.upload_version(Distribution.objects.get(key="air-quality-csv"), src)


CHANGES = {
    "asset key": (asset, lambda tmp: actions.update(DataAsset.objects.get(key="air-sensors"), key="fleet"),
                  "fleet"),
    "organisation name": (org_title, lambda tmp: actions.update(Organisation.objects.get(key="council"),
                                                                name="Testville City Council"),
                          "Testville City Council"),
    "theme title": (group_titles, lambda tmp: actions.update(Theme.objects.get(key="environment"),
                                                             title="Environment and climate"),
                    ["Environment and climate"]),
    "dataset themes": (group_titles, lambda tmp: actions.update(
        Dataset.objects.get(key="air-quality"), m2m={"themes": Theme.objects.filter(key="transport")}),
        ["Transport"]),
    "contact point": (maintainer, lambda tmp: actions.update(Person.objects.get(key="dana"), name="Dana Data"),
                      "Dana Data"),
    "distribution title": (resource_names, lambda tmp: actions.update(
        Distribution.objects.get(key="air-quality-csv"), title="Hourly readings (CSV)"), ["Hourly readings (CSV)"]),
    "new version": (resource_rows, _new_version, [1]),
}


@pytest.mark.parametrize("at_commit", [False, True], ids=["another process", "this process"])
@pytest.mark.parametrize("change", CHANGES)
def test_every_record_the_package_shows_is_current_after_a_change(client, city, tmp_path, change, at_commit,
                                                                  django_capture_on_commit_callbacks):
    what, make, expected = CHANGES[change]
    before = shown(client, what)
    assert before[0] != expected
    if at_commit:
        with django_capture_on_commit_callbacks(execute=True):
            make(tmp_path)
        assert city.pk not in ckan._CACHE
    else:
        make(tmp_path)
    assert shown(client, what) == (expected, expected)


def test_themes_linked_outside_the_actions_layer_drop_the_index_at_commit(client, city,
                                                                           django_capture_on_commit_callbacks):
    shown(client, group_titles)
    air = Dataset.objects.get(key="air-quality")
    with django_capture_on_commit_callbacks(execute=True):
        air.themes.add(Theme.objects.get(key="transport"))
    assert city.pk not in ckan._CACHE
    assert shown(client, group_titles) == (["Environment", "Transport"], ["Environment", "Transport"])


# ---------------------------------------------------------------------------- other processes, commit order

def names(client) -> set[str]:
    return set(result(client, "package_list"))


def test_unpublishing_a_dataset_elsewhere_is_seen_at_the_next_request(client, city):
    assert "air-quality" in names(client)
    # no on-commit callback runs here: only what the database says can tell this process
    actions.update(Dataset.objects.get(key="air-quality"), published=False)
    assert "air-quality" not in names(client)
    assert client.get(BASE + "package_show", {"id": "air-quality"}).status_code == 404


def _on_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time in: its commits come in the order of the writes")


def _waiting_for_a_lock() -> bool:
    """Whether a connection to the test database waits for a lock (a row's, or an advisory one)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")
        return cur.fetchone()[0] > 0


def _writer(work, errors: list[BaseException], *done):
    """A thread that runs ``work`` on a database connection of its own: an error is kept in ``errors`` (the test
    reports it), and the ``done`` events are set however it ends, so the test never waits for a failed writer."""
    import threading

    from django.db import connections

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            for event in done:
                event.set()
            connections.close_all()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_a_change_that_commits_after_a_later_one_is_not_missed(client, city):
    """PostgreSQL numbers history rows when they are inserted, not when they commit. B, a longer
    transaction, changes a dataset; A unpublishes another (its history row numbered after B's first)
    and waits for B (for the audit chain's lock, say); B changes its dataset again (a history row
    numbered after A's) and commits; a worker reads the catalogue now, then A commits. The worker's
    next answer must not show the unpublished dataset."""
    import threading
    import time

    _on_postgresql()
    assert {"air-quality", "parking-permits"} <= names(client)
    b_wrote, b_go, b_done = threading.Event(), threading.Event(), threading.Event()
    a_wrote, a_go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def longer() -> None:  # B
        with transaction.atomic():
            actions.update(Dataset.objects.get(key="parking-permits"), title="Parking permits (2026)")
            b_wrote.set()
            assert b_go.wait(30)
            actions.update(Dataset.objects.get(key="parking-permits"), description="Issued in 2026.")

    def unpublish() -> None:  # A
        with transaction.atomic():
            actions.update(Dataset.objects.get(key="air-quality"), published=False)
            a_wrote.set()
            assert a_go.wait(30)

    b = _writer(longer, errors, b_done)
    b.start()
    assert b_wrote.wait(30), errors
    a = _writer(unpublish, errors, a_wrote)
    a.start()
    deadline = time.monotonic() + 30
    while not (a_wrote.is_set() or _waiting_for_a_lock()):  # A has written what it could before B's commit
        assert time.monotonic() < deadline, "A neither wrote nor waited"
        time.sleep(0.02)
    b_go.set()
    assert b_done.wait(30) and a_wrote.wait(30)  # B has committed; A has written and not committed
    assert not errors, errors
    assert "air-quality" in names(client)
    kept = ckan._CACHE.get(city.pk)
    assert kept is not None
    a_go.set()
    a.join(30)
    b.join(30)
    assert not errors, errors
    # this worker is another process than the writers: their commits do not touch its memory
    ckan._CACHE[city.pk] = kept
    assert "air-quality" not in names(client)
    assert client.get(BASE + "package_show", {"id": "air-quality"}).status_code == 404
    assert result(client, "package_show", id="parking-permits")["notes"] == "Issued in 2026."


@pytest.mark.django_db(transaction=True)
def test_unpublishing_in_another_process_is_seen_at_the_next_request(client, city):
    import os
    import subprocess
    import sys

    from django.db import connection

    _on_postgresql()
    assert "air-quality" in names(client)
    db = connection.settings_dict
    url = (f"postgres://{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@{db['HOST'] or '127.0.0.1'}:"
           f"{db['PORT'] or 5432}/{db['NAME']}")
    script = ("import django; django.setup()\n"
              "from cityline.core import actions\n"
              "from cityline.opendata.models import Dataset\n"
              "actions.update(Dataset.objects.get(city__key='testville', key='air-quality'), published=False)\n")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "cityline.settings"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert city.pk in ckan._CACHE  # nothing in this process dropped it
    assert "air-quality" not in names(client)
    assert client.get(BASE + "package_show", {"id": "air-quality"}).status_code == 404


def test_a_plain_save_outside_any_transaction_is_seen_by_the_other_processes(client, city, transactional_db):
    assert "air-quality" in names(client)
    kept = ckan._CACHE[city.pk]
    air = Dataset.objects.get(key="air-quality")
    air.published = False
    air.save()  # autocommit: stored at once, the stamp right after
    assert transaction.get_autocommit()
    ckan._CACHE[city.pk] = kept  # another process's memory
    assert "air-quality" not in names(client)


def test_a_city_is_deleted_with_its_catalogue_and_stamp(client, city):
    from cityline.core.models import City

    names(client)
    assert CatalogueStamp.objects.current(city.pk) is not None
    City.objects.get(pk=city.pk).delete()  # foreign keys are checked when the test ends
    assert not CatalogueStamp.objects.filter(city_id=city.pk).exists()


def test_the_first_change_of_a_city_without_a_stamp_makes_one(client, city):
    names(client)
    CatalogueStamp.objects.filter(city_id=city.pk).delete()  # as for a city from before the stamps
    assert CatalogueStamp.objects.current(city.pk) is None
    actions.update(Dataset.objects.get(key="air-quality"), published=False)
    assert CatalogueStamp.objects.current(city.pk)[0] == 1
    assert "air-quality" not in names(client)


@pytest.mark.django_db(transaction=True)
def test_two_writers_making_the_first_stamp_of_a_city_count_two_changes(city):
    import threading

    _on_postgresql()
    CatalogueStamp.objects.filter(city_id=city.pk).delete()
    first_wrote, first_go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with transaction.atomic():
            CatalogueStamp.objects.bump(city.pk)
            first_wrote.set()
            assert first_go.wait(30)

    def second() -> None:
        CatalogueStamp.objects.bump(city.pk)  # waits for the first writer's new row, then adds to it

    one = _writer(first, errors, first_wrote)
    one.start()
    assert first_wrote.wait(30)
    two = _writer(second, errors)
    two.start()
    two.join(0.5)
    assert two.is_alive()  # waiting for the first writer
    first_go.set()
    one.join(30)
    two.join(30)
    assert not errors, errors
    assert CatalogueStamp.objects.current(city.pk)[0] == 2


# ---------------------------------------------------------------------------- one bump per city and transaction

def _stamp_updates(queries) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")
               and "opendata_cataloguestamp" in q["sql"])


@pytest.mark.django_db(transaction=True)
def test_a_transaction_bumps_the_stamp_of_a_city_once(client, city):
    """However many catalogue records a transaction writes, the city's stamp is bumped once, inside it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = CatalogueStamp.objects.current(city.pk)
    with CaptureQueriesContext(connection) as seen, transaction.atomic():
        for n in range(5):
            actions.update(Dataset.objects.get(key="air-quality"), title=f"Air quality ({n})")
        actions.update(Distribution.objects.get(key="air-quality-csv"), title="Hourly readings")
        Dataset.objects.get(key="air-quality").themes.add(Theme.objects.get(key="transport"))
        actions.update(Organisation.objects.get(key="council"), name="Testville Council")
        assert CatalogueStamp.objects.current(city.pk)[0] == before[0] + 1  # inside the transaction
    assert _stamp_updates(seen.captured_queries) == 1
    after = CatalogueStamp.objects.current(city.pk)
    assert after[0] == before[0] + 1 and after[1] != before[1]
    assert result(client, "package_show", id="air-quality")["title"] == "Air quality (4)"
    # without a transaction, each write is one: each bumps
    for title in ("Air quality", "Air quality readings"):
        air = Dataset.objects.get(key="air-quality")
        air.title = title
        air.save()
    assert CatalogueStamp.objects.current(city.pk)[0] == after[0] + 2


@pytest.mark.django_db(transaction=True)
def test_a_bump_rolled_back_with_its_savepoint_is_made_again(client, city):
    assert "air-quality" in names(client)
    kept = ckan._CACHE[city.pk]
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.update(Dataset.objects.get(key="parking-permits"), title="Never stored")
            raise RuntimeError("rolled back to the savepoint, the stamp's bump with it")
        actions.update(Dataset.objects.get(key="air-quality"), published=False)
    ckan._CACHE[city.pk] = kept  # another process's memory
    assert "air-quality" not in names(client)
    assert result(client, "package_show", id="parking-permits")["title"] != "Never stored"


def test_a_write_after_the_catalogue_was_read_in_the_same_transaction_bumps_again(client, city):
    """(This test runs inside one transaction.) A catalogue read in the transaction is keyed on the stamp it
    saw: the next write must change the stamp again, or the read after it would answer from that copy."""
    with transaction.atomic():
        actions.update(Dataset.objects.get(key="air-quality"), title="Air quality (first)")
        assert result(client, "package_show", id="air-quality")["title"] == "Air quality (first)"
        actions.update(Dataset.objects.get(key="air-quality"), title="Air quality (second)")
        assert result(client, "package_show", id="air-quality")["title"] == "Air quality (second)"


@pytest.mark.django_db(transaction=True)
def test_a_pack_import_bumps_the_stamp_once(client, city, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    directory = tmp_path / "pack"
    export_pack(city, directory)
    yaml = Path(directory / "opendata.yaml")
    text = yaml.read_text()
    assert text.count("(CSV)") >= 2
    yaml.write_text(text.replace("air-sensors", "sensor-fleet").replace("(CSV)", "[CSV]"))  # several records
    names(client)
    before = CatalogueStamp.objects.current(city.pk)[0]
    with CaptureQueriesContext(connection) as seen:
        import_pack(directory, progress=False, trusted=True)
    assert _stamp_updates(seen.captured_queries) == 1
    assert CatalogueStamp.objects.current(city.pk)[0] == before + 1
    assert shown(client, asset) == ("sensor-fleet", "sensor-fleet")
    assert shown(client, resource_names) == (["Readings [CSV]"], ["Readings [CSV]"])


def test_a_privacy_review_alone_changes_the_next_answer(client, city):
    """A verdict changes which versions the public may get through ``QuerySet.update`` (PrivacyReview.save), which
    sends no signal of a catalogue model: it bumps the stamp all the same."""
    from cityline.opendata.models import PrivacyReview

    assert shown(client, resource_rows) == ([30], [30])
    version = Distribution.objects.get(key="air-quality-csv").versions.get()
    actions.create(PrivacyReview, city=city, dataset=version.distribution.dataset, distribution_version=version,
                   result="blocked")
    assert shown(client, resource_rows) == ([None], [None])
