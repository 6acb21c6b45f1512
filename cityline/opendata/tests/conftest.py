import pytest


@pytest.fixture(autouse=True)
def opendata_dir(settings, tmp_path):
    """Each open data test keeps its uploaded files in its own folder."""
    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    return settings.CITYLINE_OPENDATA_DIR
