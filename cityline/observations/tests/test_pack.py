"""The observations section of city packs (``observations.yaml``): byte-identical round trip, errors that name
file, line and field (a KPI spec's own rules down to the nested field), nothing written on a bad pack.

Readings, computation runs, alerts, quarantined messages and NGSI-LD entities never travel.
"""

from datetime import datetime, timezone

import pytest

from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack
from cityline.core.tests.packs_helpers import edit, read_files
from cityline.observations import models as m
from cityline.observations.tests.records_world import MEAN_SPEC, at, make_observations_city, write_readings
from cityline.observations.tests.records_world import own_store  # noqa: F401 (a fixture: each test its own store)

pytestmark = pytest.mark.django_db

FILE = "observations.yaml"


def _operational_records(city, r):
    """What Cityline writes as it runs: none of it may appear in a pack."""
    run = m.ComputationRun.objects.create(city=city, computation=r["computation"], period_start=at(1).date(),
                                          period_end=at(31).date(), spec_version=1, engine="duckdb", value=12.5,
                                          row_count=4242, status="written", detail="secret-run-detail")
    alert = m.Alert.objects.create(city=city, rule=r["rule"], series=r["harbour"], started_at=at(2), raised_at=at(2),
                                   trigger_value=31.0, peak_value=44.0, message="secret-alert-message")
    q = m.QuarantinedMessage.objects.create(city=city, source="mqtt", origin="city/air/harbour",
                                            payload="secret-payload", reason="not JSON", received_at=at(3))
    e = m.NgsiEntity.objects.create(city=city, entity_id="urn:ngsi-ld:AirQualityObserved:secret-entity",
                                    entity_type="AirQualityObserved", body={}, created_at=at(3), modified_at=at(3))
    return run, alert, q, e


def test_round_trip_is_byte_identical_and_leaves_operational_records_out(tmp_path):
    city, r = make_observations_city()
    _operational_records(city, r)
    write_readings(city, [("air-harbour", at(1, 8), 12.0), ("air-harbour", at(1, 9), 14.5)])
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / FILE).read_text()
    assert "series: {attribute: pm25, group: air}" in text  # a spec's small parts on one line, keys sorted
    assert "hours: [7, 19]" in text and "scale: 100" in text
    assert "series: [air-harbour, air-station]" in text
    assert "spec_version" not in text
    for secret in ("secret-run-detail", "secret-alert-message", "secret-payload", "secret-entity", "4242", "14.5"):
        assert secret not in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("series").created == 4
    assert report.count("kpi_computations").created == 2
    assert report.count("alert_rules").created == 1
    computation = m.KpiComputation.objects.get(city__key=city.key, kpi__key="pm25-mean")
    assert computation.spec == MEAN_SPEC and computation.spec_version == 1
    rule = m.AlertRule.objects.get(city__key=city.key, key="pm25-high")
    assert sorted(rule.series.values_list("key", flat=True)) == ["air-harbour", "air-station"]
    assert not m.Alert.objects.exists() and not m.ComputationRun.objects.exists()
    export_pack(city.key, second)
    assert read_files(first) == read_files(second)


def test_reimport_is_unchanged_and_a_changed_spec_gets_the_next_version(tmp_path):
    city, r = make_observations_city()
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    report = import_pack(pack, progress=False, trusted=True)
    assert report.changes == 0
    edit(pack, FILE, "      combine: max\n", "      combine: mean\n")
    report = import_pack(pack, progress=False, trusted=True)
    assert report.count("kpi_computations").updated == 1
    r["computation"].refresh_from_db()
    assert r["computation"].spec["combine"] == "mean" and r["computation"].spec_version == 2


def test_fractions_in_a_spec_round_trip(tmp_path):
    city, r = make_observations_city()
    spec = {"value": {"series": {"keys": ["air-harbour"]}, "function": "percentile", "percentile": 0.95},
            "scale": 1.0, "version": 1}
    actions.update(r["computation"], spec=spec)
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    assert "percentile: 0.95" in (first / FILE).read_text() and "scale: 1.0" in (first / FILE).read_text()
    actions.delete(City.objects.get(key=city.key))
    import_pack(first, progress=False, trusted=True)
    assert m.KpiComputation.objects.get(kpi__key="pm25-mean").spec == spec
    export_pack(city.key, second)
    assert read_files(first) == read_files(second)


def _line_of(pack, text):
    lines = (pack / FILE).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line == text)


BAD = [
    # (old, new, the field named, words of the message): each class of bad input
    ("        function: mean\n", "        function: median\n", "kpi_computations[1].spec.value.function",
     "'median' is not one of"),
    ("        function: mean\n", "        function: mean\n        threshold: 3\n",
     "kpi_computations[1].spec.value.threshold", "only for the function share_above"),
    ("          hours: [7, 19]\n", "          hours: [19, 7]\n", "kpi_computations[1].spec.value.where.hours",
     "0 <= from < to <= 24"),
    ("      version: 1\n    active: true\n", "      version: 2\n    active: true\n", "kpi_computations[1].spec.version",
     "spec version 1"),
    ("    spec:\n      combine: max\n", "    spec: mean of pm25\n    other:\n      combine: max\n",
     "kpi_computations[1].spec", "expected a mapping"),
    ("  - kpi: pm25-mean\n", "  - kpi: pm25-meen\n", "kpi_computations[1].kpi", "unknown KPI 'pm25-meen'"),
    ("    series: [air-harbour, air-station]\n", "    series: [air-harbour, air-statoin]\n",
     "alert_rules[0].series[1]", "unknown series 'air-statoin'"),
    ("    severity: critical\n", "    severity: dire\n", "alert_rules[0].severity", "unknown value 'dire'"),
    ("    retention_days: 3650\n", "    retention_days: 300\n", "series[0].downsample_after_days",
     "downsampling must start before readings are removed", "    downsample_after_days: 365"),
    ("  - key: air-station\n", "  - key: air-harbour\n", "series[1].key", "duplicate key 'air-harbour'"),
    ("    latitude: 51.5\n", "    latitude: 151.5\n", "series[0].latitude", "the maximum is 90"),
    ("  - key: trips-all\n    name: All trips\n    group: mobility\n",
     "  - key: trips-all\n    name: All trips\n    group: _mobility\n", "series[2].group",
     "'_mobility' is not a safe folder name for the store"),
    ("    district: Centre\n", "    district: Centre\n    entity_id: urn:ngsi-ld:AirQualityObserved:harbour\n",
     "series[1].entity_id", "series air-harbour already has the entity id urn:ngsi-ld:AirQualityObserved:harbour "
                            "and the attribute pm25"),
    ("    series: [air-harbour, air-station]\n", "    series: []\n", "alert_rules[0].series",
     "choose at least one series"),
    ("    kind: threshold\n    comparison: above\n    threshold: 25\n    duration_seconds: 3600\n"
     "    window_seconds: 3600\n",
     "    kind: rate_of_change\n    comparison: above\n    threshold: 25\n    duration_seconds: 3600\n"
     "    window_seconds: 0\n", "alert_rules[0].window_seconds", "a window of at least one second"),
]


@pytest.mark.parametrize("case", BAD, ids=[b[2] for b in BAD])
def test_bad_input_names_file_line_and_field_and_writes_nothing(tmp_path, case):
    old, new, where, words, *at_line = case
    city, r = make_observations_city()
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    line = edit(pack, FILE, old, new)
    # the line of the field at fault: the edited line, or the line of the nested field inside it
    wanted = [_line_of(pack, at_line[0])] if at_line else [line + i for i, text in enumerate(new.splitlines())]
    before = read_files(tmp_path / "pack")
    versions = {o.pk: o.version for o in m.Series.objects.all()}
    with pytest.raises(PackError) as caught:
        import_pack(pack, progress=False, trusted=True)
    problems = [p for p in caught.value.problems if p.path == where]
    assert problems, caught.value
    assert problems[0].file == FILE and problems[0].line in wanted and words in problems[0].message, caught.value
    assert f"{FILE}:{problems[0].line}: {where}: " in str(caught.value)
    # nothing written: the records are as they were
    assert {o.pk: o.version for o in m.Series.objects.all()} == versions
    assert r["computation"].spec == m.KpiComputation.objects.get(pk=r["computation"].pk).spec
    second = tmp_path / "again"
    export_pack(city.key, second)
    assert read_files(second)[FILE] != before[FILE]  # the edit is not in the database


def test_a_spec_problem_is_found_without_the_database(tmp_path):
    """The reader (no database) reports a spec's rule at the nested field's own line."""
    from cityline.core.packs.reader import read_pack

    city, r = make_observations_city()
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    line = edit(pack, FILE, "          quality: [ok]\n", "          quality: []\n")
    problems = read_pack(pack).problems
    assert [(p.line, p.path) for p in problems] == [(line, "kpi_computations[1].spec.value.where.quality")]


def test_a_group_change_once_readings_exist_is_refused_at_its_line(tmp_path):
    city, r = make_observations_city()
    write_readings(city, [("air-station", datetime(2026, 3, 1, tzinfo=timezone.utc), 10.0)])
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    text = (pack / FILE).read_text()
    start = text.index("  - key: air-station\n")
    old_line = text.index("    group: air\n", start)
    (pack / FILE).write_text(text[:old_line] + "    group: air2\n" + text[old_line + len("    group: air\n"):])
    line = text[:old_line].count("\n") + 1
    with pytest.raises(PackError) as caught:
        import_pack(pack, progress=False, trusted=True)
    [problem] = [p for p in caught.value.problems if p.path == "series[1].group"]
    assert problem.line == line and "cannot change once the series has readings" in problem.message
    assert m.Series.objects.get(key="air-station").group == "air"


def test_a_series_with_readings_the_pack_no_longer_lists_is_not_deleted(tmp_path):
    city, r = make_observations_city()
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    write_readings(city, [("trips-bus", datetime(2026, 3, 1, tzinfo=timezone.utc), 10.0)])
    text = (pack / FILE).read_text()
    start = text.index("  - key: trips-bus\n")
    end = text.index("kpi_computations:")
    (pack / FILE).write_text(text[:start] + text[end:])
    with pytest.raises(PackError) as caught:
        import_pack(pack, progress=False, trusted=True)
    assert "trips-bus has 1 readings in the store" in str(caught.value)
    assert m.Series.objects.filter(key="trips-bus").exists()


def test_a_rule_with_alerts_the_pack_no_longer_lists_is_not_deleted(tmp_path):
    city, r = make_observations_city()
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    m.Alert.objects.create(city=city, rule=r["rule"], series=r["harbour"], started_at=at(2, 8), raised_at=at(2, 9),
                           trigger_value=31.0, peak_value=44.0, message="PM2.5 above 25")
    text = (pack / FILE).read_text()
    text = text[:text.index("alert_rules:")].replace("    name: Bus trips\n", "    name: Trips by bus\n")
    (pack / FILE).write_text(text)
    with pytest.raises(PackError) as caught:
        import_pack(pack, progress=False, trusted=True)
    [problem] = caught.value.problems
    assert problem.file == FILE and problem.path == "alert_rules"
    assert "alert rule pm25-high has 1 alerts in its history (1 open)" in problem.message
    assert "deactivate the rule instead" in problem.message
    # nothing stored: the rule, its alert and the other changes of the pack are as they were
    assert m.AlertRule.objects.filter(key="pm25-high").exists() and m.Alert.objects.filter(city=city).count() == 1
    assert m.Series.objects.get(key="trips-bus").name == "Bus trips"
    # deactivated in the pack instead, the rule stays with its history and its open alert is closed
    export_pack(city.key, pack)
    edit(pack, FILE, "    severity: critical\n    active: true\n", "    severity: critical\n    active: false\n")
    assert import_pack(pack, progress=False, trusted=True).count("alert_rules").updated == 1
    assert m.Alert.objects.get(city=city).end_note == "closed because the rule was deactivated"
