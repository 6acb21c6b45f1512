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
from cityline.opendata.models import DataAsset, Dataset, Distribution, Theme
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
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.update(DataAsset.objects.get(key="air-sensors"), key="sensors")
            raise RuntimeError("rolled back")
    assert city.pk in ckan._CACHE
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
