"""The citizen services section of city packs: byte-identical round trip, bad input names file, line and field."""

from decimal import Decimal as D

import pytest

from cityline.citizen_services import models as m
from cityline.citizen_services.testing import make_services_city
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack

pytestmark = pytest.mark.django_db


def test_round_trip_is_byte_identical_and_scenario_results_are_recomputed(tmp_path):
    city, r = make_services_city()
    actions.create(m.ServiceSettings, city=city, service_level_threshold=D("85.50"))
    actions.create(m.ChannelShiftScenario, city=city, key="bins-web", name="Bins online", service=r["bins"],
                   from_channel=r["phone"], to_channel=r["web"], share_moved=D("50"), years=2, baseline_year=2025,
                   set_aside=D("20"))
    actions.create(m.DigitalInclusionAction, city=city, key="help", name="Help", kind="assisted_digital",
                   reach=300, cost=D("1200.00"), m2m={"segments": [r["older-people"]]})
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "citizen_services.yaml").read_text()
    assert "life_events: [living_with_a_disability]" in text and "service_level_threshold: 85.5" in text
    assert "annual_saving" not in text  # results are derived, not stored in the pack
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("channel_audit").created == 3
    s = m.ChannelShiftScenario.objects.get(key="bins-web")
    assert (s.annual_saving, s.total_net_saving) == (D("770.00"), D("924.00"))
    export_pack(city.key, second)
    assert (first / "citizen_services.yaml").read_bytes() == (second / "citizen_services.yaml").read_bytes()


def test_bad_input_names_file_line_and_field_and_writes_nothing(tmp_path):
    city, r = make_services_city()
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    path = pack / "citizen_services.yaml"
    text = path.read_text()
    assert "kind: asset_to_device" in text
    lines = text.splitlines()
    line_no = next(i for i, line in enumerate(lines, start=1) if "kind: asset_to_device" in line)
    path.write_text(text.replace("kind: asset_to_device", "kind: pigeon"))
    before = list(m.Channel.objects.values_list("key", "kind", "version"))
    with pytest.raises(PackError) as exc:
        import_pack(pack, progress=False, trusted=True)
    problems = [str(p) for p in exc.value.problems]
    assert any("citizen_services.yaml" in p and f":{line_no}" in p and "kind" in p for p in problems), problems
    assert list(m.Channel.objects.values_list("key", "kind", "version")) == before
