"""File safety (B10, B8; docs/security.md): pack data files and pack sections cannot reach outside the
pack (``..``, absolute paths, links), and uploads are bounded in size. Each refusal names the file and
the field, and nothing is written."""

from __future__ import annotations

import os
import re

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions
from cityline.core.packs import PackError, import_pack, validate_pack
from cityline.opendata import services
from cityline.opendata.domain.tabular import IngestError
from cityline.opendata.models import Dataset, Distribution, DistributionVersion, pack_path_problem
from cityline.opendata.tests.test_pack import pack  # noqa: F401  (fixture: the test catalogue as a pack)

pytestmark = pytest.mark.django_db


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("value", ["../x.csv", "data/../../x.csv", "/etc/passwd", "C:/data/x.csv",
                                   "data\\..\\x.csv", "./x.csv", "data//x.csv", "data/x.csv\x00.txt"])
def test_a_pack_path_that_could_leave_the_pack_is_refused(value):
    assert pack_path_problem(value)


@pytest.mark.parametrize("value", ["x.csv", "data/air-quality.csv", "data/2026/x y.csv", "..data/x.csv"])
def test_plain_paths_inside_the_pack_are_accepted(value):
    assert pack_path_problem(value) is None


def test_the_editor_and_the_api_refuse_a_pack_file_outside_the_pack(city):
    air = Distribution.objects.get(city=city, key="air-quality-csv")
    with pytest.raises(ValidationError) as exc:
        actions.update(air, pack_file="../../etc/passwd")
    assert "pack_file" in exc.value.message_dict
    assert Distribution.objects.get(pk=air.pk).pack_file == ""


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "data/../../../etc/hosts"])
def test_a_pack_naming_a_file_outside_itself_is_refused_naming_the_field(pack, opendata_dir, path):  # noqa: F811
    directory, _data = pack
    yaml = directory / "opendata.yaml"
    yaml.write_text(re.sub(r"pack_file: \S+", f"pack_file: {path}", yaml.read_text(), count=1))
    before = (DistributionVersion.objects.count(), stored_files(opendata_dir))
    with pytest.raises(PackError) as exc:
        import_pack(directory, progress=False, trusted=True)
    text = str(exc.value)
    assert "opendata.yaml" in text and "pack_file" in text and path in text, text
    assert (DistributionVersion.objects.count(), stored_files(opendata_dir)) == before


def test_a_data_file_that_is_a_link_out_of_the_pack_is_refused(pack, opendata_dir, tmp_path):  # noqa: F811
    directory, data = pack
    outside = tmp_path / "secret.csv"
    outside.write_text(data.read_text() + "harbour,2026-01-11T08:00:00,port,30,12\n")
    data.unlink()
    os.symlink(outside, data)
    (directory / "opendata.yaml").write_text((directory / "opendata.yaml").read_text()
                                             .replace("title: Air quality readings", "title: Air quality (new)"))
    before = (DistributionVersion.objects.count(), stored_files(opendata_dir))
    for run in (lambda: import_pack(directory, progress=False, trusted=True), lambda: validate_pack(directory)):
        with pytest.raises(PackError) as exc:
            run()
        text = str(exc.value)
        assert "distributions.air-quality-csv.pack_file" in text and "outside the pack" in text, text
    assert (DistributionVersion.objects.count(), stored_files(opendata_dir)) == before
    assert Dataset.objects.get(key="air-quality").title == "Air quality readings"


def test_a_pack_section_that_is_a_link_out_of_the_pack_is_refused(pack, tmp_path):  # noqa: F811
    directory, _data = pack
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((directory / "opendata.yaml").read_text())
    (directory / "opendata.yaml").unlink()
    os.symlink(outside, directory / "opendata.yaml")
    before = Dataset.objects.count()
    with pytest.raises(PackError) as exc:
        import_pack(directory, progress=False, trusted=True)
    assert "opendata.yaml" in str(exc.value) and "outside the pack" in str(exc.value)
    assert Dataset.objects.count() == before


def test_an_upload_over_the_size_limit_is_refused_and_nothing_is_stored(city, files, settings, opendata_dir):
    settings.CITYLINE_UPLOAD_MAX_BYTES = 200
    air = Distribution.objects.get(city=city, key="air-quality-csv")
    assert files["air-quality-csv"].stat().st_size > 200
    with pytest.raises(IngestError) as exc:
        services.upload_version(air, files["air-quality-csv"])
    assert exc.value.code == "too-large"
    assert DistributionVersion.objects.count() == 0
    assert stored_files(opendata_dir) == []


def test_a_request_body_over_the_upload_limit_is_refused_before_it_is_read(client, settings):
    settings.CITYLINE_UPLOAD_MAX_BYTES = 1000
    body = b"x" * (1000 + 1024 * 1024 + 1)
    response = client.generic("POST", "/api/v1/cities", body, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert client.generic("POST", "/api/v1/cities", b"{}", content_type="application/json").status_code != 413


def test_django_bounds_form_and_json_bodies():
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440  # Django's default, kept on purpose
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
