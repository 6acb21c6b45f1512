import pytest


@pytest.fixture(autouse=True)
def opendata_dir(settings, tmp_path):
    """Each open data test keeps its uploaded files in its own folder."""
    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    return settings.CITYLINE_OPENDATA_DIR


@pytest.fixture
def city(db):
    """The synthetic catalogue city (:func:`cityline.opendata.testing.make_catalogue_city`).

    Modules that need more (uploaded versions, a published KPI) define their own ``city``.
    """
    from cityline.opendata.testing import make_catalogue_city

    return make_catalogue_city()


@pytest.fixture
def city_with_air_quality(db, opendata_dir):
    """The catalogue city with the air quality CSV uploaded (a published dataset the query endpoints read)."""
    from cityline.opendata import services
    from cityline.opendata.models import Distribution
    from cityline.opendata.testing import make_catalogue_city, sample_files

    city = make_catalogue_city()
    files = sample_files(opendata_dir.parent / "upload")
    services.upload_version(Distribution.objects.get(city=city, key="air-quality-csv"), files["air-quality-csv"])
    return city


@pytest.fixture
def files(tmp_path):
    """The sample upload files by distribution key (:func:`cityline.opendata.testing.sample_files`)."""
    from cityline.opendata.testing import sample_files

    return sample_files(tmp_path / "upload")


@pytest.fixture
def staff_client(db):
    """A signed-in platform administrator (staff of every city)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from cityline.accounts.testing import grant

    user = get_user_model().objects.create_user("editor", "editor@example.org", "pw-123456")
    grant(user, "platform_admin")
    client = Client()
    client.force_login(user)
    return client
