"""The benchmarking section of city packs (``benchmarking.yaml``): peer cities and their values (B3.c, C2.c)."""

from decimal import Decimal

import pytest

from cityline.benchmarking import imports
from cityline.benchmarking.models import PeerCity, PeerValue
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack

pytestmark = pytest.mark.django_db

CSV = """city,country,list,code,year,value,unit,population,name
Ashby,GB,iso37120_2014,5.1,2024,4.2,%,51000,City's unemployment rate
Ashby,GB,iso37120_2014,5.1,2025,3.9,%,51000,City's unemployment rate
Bury,FR,u4ssc,EN: E: E: 1C,2025-06-30,21.5,%,,Renewable Energy Consumption
"""


@pytest.fixture
def city(tmp_path):
    city = actions.create(City, key="home", name="Home", country="GB")
    path = tmp_path / "peers.csv"
    path.write_text(CSV, encoding="utf-8")
    imports.import_csv(city, path)
    return city


def test_round_trip_is_byte_identical(city, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "benchmarking.yaml").read_text(encoding="utf-8")
    assert "- key: ashby\n    name: Ashby\n    country: GB\n    population: 51000\n    source_kind: csv\n" in text
    assert "code: 'EN: E: E: 1C'" in text and "period_end: 2025-06-30" in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("peer_cities").created == 2
    home = City.objects.get(key="home")
    assert sorted((v.peer.key, v.code, v.period_end.isoformat(), float(v.value)) for v in
                  PeerValue.objects.filter(city=home)) == [
        ("ashby", "5.1", "2024-12-31", 4.2), ("ashby", "5.1", "2025-12-31", 3.9),
        ("bury", "EN: E: E: 1C", "2025-06-30", 21.5)]
    export_pack(city.key, second)
    assert (first / "benchmarking.yaml").read_bytes() == (second / "benchmarking.yaml").read_bytes()


def test_bad_value_names_file_line_and_field_and_writes_nothing(city, tmp_path):
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    path = pack / "benchmarking.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if "value: 3.9" in text)
    lines[line - 1] = lines[line - 1].replace("3.9", "lots")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)
    assert f"benchmarking.yaml:{line}: peer_cities[0].values[1].value: expected a number, got text 'lots'" \
        in str(err.value)
    assert PeerValue.objects.get(peer__key="ashby", period_end__year=2025).value == Decimal("3.9")
    assert PeerCity.objects.filter(city=city).count() == 2
