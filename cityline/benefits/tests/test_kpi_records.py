"""Indicators and KPIs as records (C2): catalogue, city indicators, KPI rules, editor, API and city pack."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cityline.benefits import catalogue
from cityline.benefits.realisation import plain_kpi
from cityline.benefits.models import (
    BenefitNode,
    CityIndicator,
    Indicator,
    IndicatorTheme,
    Kpi,
    KpiTarget,
    Measurement,
    TrajectoryPoint,
)
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import export_pack, import_pack
from cityline.core.testing import make_city, make_organisation
from cityline.strategy.models import InterestedParty

pytestmark = pytest.mark.django_db


def party(city, key):
    return actions.create(InterestedParty, city=city, key=key, name=key.title(), categories=["consumer"],
                          sector="public", influence="high", interest="high")


@pytest.fixture
def kpi_city():
    """A city with an outcome and an output on its map, a catalogue indicator and one KPI with a target."""
    catalogue.load_catalogue()
    city = make_city()
    make_organisation(city)
    outcome = actions.create(BenefitNode, city=city, key="cleaner-air", kind="end_outcome", title="Cleaner air")
    output = actions.create(BenefitNode, city=city, key="sensors-live", kind="output", output_type="enabler",
                            title="Air sensors live")
    pm = actions.create(CityIndicator, city=city, key="pm25", source="iso37120_2014", code="8.1")
    kpi = actions.create(
        Kpi, city=city, key="pm25-city", title="PM2.5 concentration, whole city", indicator=pm, node=outcome,
        kind="outcome", unit="µg/m³", direction="lower_is_better", frequency="annual",
        evaluation_method="real_time", baseline_value=Decimal("18"), baseline_date=date(2020, 12, 31),
        m2m={"suppliers": [party(city, "met-office")], "users": [party(city, "health-board")]},
    )
    actions.create(KpiTarget, city=city, kpi=kpi, label="2030", value=Decimal("10"), date=date(2030, 12, 31))
    return city, kpi, {"outcome": outcome, "output": output}


# --- the catalogue (C2.c) -----------------------------------------------------------------------


def test_catalogue_loads_the_shipped_lists_once():
    first = catalogue.load_catalogue()
    assert [(s.file, s.created) for s in first] == [
        ("iso37120_indicators.csv", 100), ("u4ssc_kpis.csv", 91), ("iso37120_2018_themes.csv", 19)]
    again = catalogue.load_catalogue()
    assert [(s.created, s.updated, s.unchanged) for s in again] == [(0, 0, 100), (0, 0, 91), (0, 0, 19)]
    assert Indicator.objects.filter(source="iso37120_2014", indicator_type="core").count() == 46
    assert Indicator.objects.filter(source="u4ssc").count() == 91
    entry = Indicator.objects.get(source="u4ssc", code="EC: ICT: ICT: 1C")
    assert (entry.name, entry.theme, entry.sub_theme, entry.indicator_type) == (
        "Household Internet Access", "Economy", "ICT / ICT Infrastructure", "core")
    assert IndicatorTheme.objects.get(source="iso37120_2018", clause="5").name == "Economy"
    assert Indicator.history.count() == 191  # loaded once: no history rows from the repeat


@pytest.mark.parametrize("edition,source", [
    ("ISO 37122:2019", "iso37122"), ("ISO 37123:2019", "iso37123"), ("ISO 37120:2018", "iso37120_2018"),
    ("iso 37120:2014", "iso37120_2014"), ("ITU U4SSC 2017", "u4ssc"),
])
def test_the_edition_names_the_list(edition, source):
    assert catalogue.source_for_edition(edition) == source


def test_a_city_indicator_from_the_catalogue_takes_its_name_and_theme():
    catalogue.load_catalogue()
    city = make_city()
    ind = actions.create(CityIndicator, city=city, key="unemployment", source="iso37120_2014", code="5.1")
    assert (ind.name, ind.theme) == ("City's unemployment rate", "Economy")


@pytest.mark.parametrize("fields,field", [
    ({"source": "iso37120_2014", "code": "99.9"}, "code"),           # not in the loaded list
    ({"source": "iso37120_2014"}, "code"),                           # a list entry needs its identifier
    ({"source": "city", "code": "x1", "name": "Own"}, "code"),       # city-defined: no identifier
    ({"source": "city"}, "name"),                                    # and then it needs a name
    ({"source": "iso37122", "code": "5.1"}, "name"),                 # list not loaded here: give the name
])
def test_city_indicator_rules(fields, field):
    catalogue.load_catalogue()
    city = make_city()
    with pytest.raises(ValidationError) as err:
        actions.create(CityIndicator, city=city, key="i", **fields)
    assert field in err.value.message_dict
    assert not CityIndicator.objects.exists()


def test_an_indicator_from_a_list_not_loaded_here_is_kept_with_its_name():
    city = make_city()
    ind = actions.create(CityIndicator, city=city, key="i", source="iso37122", code="5.1", name="Smart economy x")
    assert str(ind) == "5.1 Smart economy x"


# --- KPI rules (C2.a-C2.d) ---------------------------------------------------------------------


@pytest.mark.parametrize("fields,field", [
    ({"direction": "target_band", "band_low": Decimal("1")}, "band_low"),                          # both ends
    ({"direction": "target_band", "band_low": Decimal("5"), "band_high": Decimal("5")}, "band_high"),  # low < high
    ({"direction": "higher_is_better", "band_high": Decimal("5")}, "band_low"),                    # band only for bands
    ({"kind": "leading"}, "node"),                      # C2.c: a leading indicator does not measure an outcome
    ({"tolerance_on_track": Decimal("0.2"), "tolerance_at_risk": Decimal("0.1")}, "tolerance_at_risk"),
    ({"licence": "CC BY 4.0"}, "licence"),              # C2.g: an SPDX identifier
    ({"kind": "sideways"}, "kind"),
    ({"frequency": "hourly"}, "frequency"),
    ({"evaluation_method": "guesswork"}, "evaluation_method"),
])
def test_kpi_rules(kpi_city, fields, field):
    city, kpi, _nodes = kpi_city
    before = kpi.version
    with pytest.raises(ValidationError) as err:
        actions.update(kpi, **fields)
    assert field in err.value.message_dict
    assert Kpi.objects.get(pk=kpi.pk).version == before


@pytest.mark.parametrize("fields,field,default", [
    ({"tolerance_on_track": Decimal("0.2")}, "tolerance_on_track", "0.15"),  # above the default at-risk tolerance
    ({"tolerance_at_risk": Decimal("0.01")}, "tolerance_at_risk", "0.05"),   # below the default on-track tolerance
])
def test_a_tolerance_given_alone_is_compared_with_the_default_of_the_other(kpi_city, fields, field, default):
    """The status rules fill a blank tolerance with its default, so a lone one must fit with that default."""
    city, kpi, _nodes = kpi_city
    with pytest.raises(ValidationError) as err:
        actions.update(kpi, **fields)
    [message] = err.value.message_dict[field]
    assert f"takes the default ({default})" in message
    kpi = actions.update(Kpi.objects.get(pk=kpi.pk), tolerance_on_track=Decimal("0.15"))  # the default: accepted
    kpi = actions.update(kpi, tolerance_on_track=None, tolerance_at_risk=Decimal("0.05"))
    assert plain_kpi(kpi).tolerance.at_risk == 0.05


def test_outcome_kpi_cannot_measure_an_output(kpi_city):
    city, _kpi, nodes = kpi_city
    with pytest.raises(ValidationError) as err:
        actions.create(Kpi, city=city, key="k", title="k", kind="outcome", node=nodes["output"])
    assert "node" in err.value.message_dict
    leading = actions.create(Kpi, city=city, key="k", title="Sensors reporting", kind="leading", node=nodes["output"])
    assert leading.licence == "CC-BY-4.0" and leading.trajectory == "linear" and not leading.published


def test_a_band_kpi_with_its_band_is_accepted(kpi_city):
    city, _kpi, _nodes = kpi_city
    kpi = actions.create(Kpi, city=city, key="temp", title="Office temperature", kind="leading",
                         direction="target_band", band_low=Decimal("19"), band_high=Decimal("22"))
    assert (kpi.band_low, kpi.band_high) == (Decimal("19"), Decimal("22"))


def test_target_and_trajectory_dates_come_after_the_baseline(kpi_city):
    city, kpi, _nodes = kpi_city
    with pytest.raises(ValidationError) as err:
        actions.create(KpiTarget, city=city, kpi=kpi, label="old", value=Decimal("15"), date=date(2019, 1, 1))
    assert "date" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        actions.create(TrajectoryPoint, city=city, kpi=kpi, date=date(2020, 12, 31), value=Decimal("17"))
    assert "date" in err.value.message_dict
    # moving the baseline past an existing target is refused too
    with pytest.raises(ValidationError) as err:
        actions.update(kpi, baseline_date=date(2031, 1, 1))
    assert "baseline_date" in err.value.message_dict
    assert KpiTarget.objects.count() == 1 and not TrajectoryPoint.objects.exists()


def _rebase(text: str) -> str:
    """pm25-city re-baselined: the baseline moves from 2020 to 2031 and the 2030 target to 2035 (C2.a, C2.b)."""
    assert text.count("baseline_date: 2020-12-31\n") == 1 and text.count("date: 2030-12-31") == 1
    return text.replace("baseline_date: 2020-12-31\n", "baseline_date: 2031-01-01\n").replace(
        "date: 2030-12-31", "date: 2035-12-31")


def test_a_pack_moves_the_baseline_and_the_targets_together(kpi_city, tmp_path):
    """Re-baselining in a city pack: judged on the targets the pack gives, not on those stored before."""
    from cityline.core.packs import PackError

    city, kpi, _nodes = kpi_city
    export_pack(city.key, tmp_path)
    benefits = tmp_path / "benefits.yaml"
    exported = benefits.read_text(encoding="utf-8")
    benefits.write_text(_rebase(exported), encoding="utf-8")
    import_pack(tmp_path, progress=False, trusted=True)
    kpi.refresh_from_db()
    assert (kpi.baseline_date, [t.date for t in kpi.targets.all()]) == (date(2031, 1, 1), [date(2035, 12, 31)])
    # a baseline after a target the pack keeps is still refused, naming the target's line, and nothing changes
    benefits.write_text(exported.replace("baseline_date: 2020-12-31\n", "baseline_date: 2036-01-01\n"),
                        encoding="utf-8")
    with pytest.raises(PackError) as err:
        import_pack(tmp_path, progress=False, trusted=True)
    assert "kpis[0].targets[0].date: a target is due after the baseline date (2036-01-01)" in str(err.value)
    kpi.refresh_from_db()
    assert kpi.baseline_date == date(2031, 1, 1)


def test_the_editor_moves_the_baseline_and_the_targets_together(admin_client, kpi_city):
    """Re-baselining in the KPI's form (targets inline): one submission moves both; moving the baseline alone past a
    target is refused on that target, and the submission writes nothing."""
    from cityline.core.tests.test_editor import errors_of, form_data

    city, kpi, _nodes = kpi_city
    url = f"/admin/benefits/kpi/{kpi.pk}/change/"
    data = form_data(admin_client.get(url))
    data.update({"baseline_date": "2031-01-01", "targets-0-date": "2035-12-31"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    kpi.refresh_from_db()
    assert (kpi.baseline_date, [t.date for t in kpi.targets.all()]) == (date(2031, 1, 1), [date(2035, 12, 31)])

    data = form_data(admin_client.get(url))
    data["baseline_date"] = "2036-01-01"
    response = admin_client.post(url, data)
    assert "a target is due after the baseline date (2036-01-01)" in errors_of(response)
    kpi.refresh_from_db()
    assert kpi.baseline_date == date(2031, 1, 1)
    # through the API, one record a request, the baseline alone is checked against the stored targets at once
    r = admin_client.patch(f"/api/v1/cities/{city.key}/kpis/{kpi.key}",
                           json.dumps({"baseline_date": "2036-01-01", "version": kpi.version}),
                           content_type="application/json")
    assert r.status_code == 422 and "baseline_date" in r.json()["errors"]


def test_vague_targets_are_kept_for_the_smart_checks(kpi_city):
    """A target without a date or a number is stored; the SMART checks flag it (C2.b)."""
    city, kpi, _nodes = kpi_city
    vague = actions.create(KpiTarget, city=city, kpi=kpi, label="someday, better")
    assert vague.value is None and vague.date is None
    with pytest.raises(ValidationError):  # but one label per KPI
        actions.create(KpiTarget, city=city, kpi=kpi, label="2030")


def test_one_measurement_per_kpi_and_period(kpi_city):
    city, kpi, _nodes = kpi_city
    actions.create(Measurement, city=city, kpi=kpi, period_end=date(2021, 12, 31), value=Decimal("17.5"))
    with pytest.raises(ValidationError):
        actions.create(Measurement, city=city, kpi=kpi, period_end=date(2021, 12, 31), value=Decimal("3"))
    with pytest.raises(ValidationError) as err:
        actions.create(Measurement, city=city, kpi=kpi, period_end=date(2022, 12, 31), value=Decimal("3"),
                       quality="dubious")
    assert "quality" in err.value.message_dict
    assert Measurement.objects.count() == 1


def test_a_kpi_cannot_use_another_citys_indicator(kpi_city):
    city, _kpi, _nodes = kpi_city
    other = make_city("elsewhere", "Elsewhere")
    theirs = actions.create(CityIndicator, city=other, key="own", name="Their own indicator")
    with pytest.raises(ValidationError) as err:
        actions.create(Kpi, city=city, key="k", title="k", kind="outcome", indicator=theirs)
    assert "indicator" in err.value.message_dict


# --- editor ------------------------------------------------------------------------------------


def test_editor_shows_kpis_with_targets_and_the_latest_measurements(admin_client, kpi_city):
    city, kpi, _nodes = kpi_city
    for year in range(2001, 2021):
        actions.create(Measurement, city=city, kpi=kpi, period_end=date(year, 12, 31), value=Decimal(year - 1980))
    for url in ("/admin/benefits/kpi/", "/admin/benefits/kpi/add/", "/admin/benefits/measurement/",
                "/admin/benefits/cityindicator/", "/admin/benefits/indicator/", "/admin/benefits/indicatortheme/",
                "/admin/benefits/kpi/?kind__exact=outcome&published__exact=0"):
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(f"/admin/benefits/kpi/{kpi.pk}/change/").content.decode()
    assert 'value="2030"' in page  # the target inline
    assert "2020-12-31" in page and "2009-12-31" in page  # the 12 latest measurements ...
    assert "2008-12-31" not in page  # ... and no older ones


def test_the_catalogue_is_read_only_in_the_editor(admin_client):
    catalogue.load_catalogue()
    entry = Indicator.objects.get(source="iso37120_2014", code="5.1")
    assert admin_client.get("/admin/benefits/indicator/add/").status_code == 403
    response = admin_client.post(f"/admin/benefits/indicator/{entry.pk}/change/", {"name": "changed"})
    assert response.status_code == 403
    assert Indicator.objects.get(pk=entry.pk).name == "City's unemployment rate"


# --- API ---------------------------------------------------------------------------------------


def test_api_reads_kpis_by_key(client, kpi_city):  # a published KPI: readable by anyone (C2.f)
    city, kpi, _nodes = kpi_city
    actions.update(kpi, published=True)
    body = client.get(f"/api/v1/cities/{city.key}/kpis?kind=outcome").json()
    [k] = body["results"]
    assert (k["key"], k["indicator"], k["node"], k["suppliers"], k["users"]) == (
        "pm25-city", "pm25", "cleaner-air", ["met-office"], ["health-board"])
    assert k["baseline_value"] == "18.000000" and k["licence"] == "CC-BY-4.0"
    targets = client.get(f"/api/v1/cities/{city.key}/kpi-targets?kpi=pm25-city").json()["results"]
    assert [(t["label"], t["date"]) for t in targets] == [("2030", "2030-12-31")]
    ind = client.get(f"/api/v1/cities/{city.key}/city-indicators/pm25").json()
    assert (ind["source"], ind["code"], ind["name"]) == ("iso37120_2014", "8.1", Indicator.objects.get(
        source="iso37120_2014", code="8.1").name)


def test_systems_push_measurements_through_the_api(admin_client, kpi_city):
    city, kpi, _nodes = kpi_city
    url = f"/api/v1/cities/{city.key}/measurements"
    r = admin_client.post(url, json.dumps({"kpi": "pm25-city", "period_end": "2021-12-31", "value": "16.2",
                                           "source": "sensor network", "quality": "provisional"}),
                          content_type="application/json")
    assert r.status_code == 201, r.content
    m = Measurement.objects.get(kpi=kpi)
    assert (m.value, m.quality, m.source) == (Decimal("16.2"), "provisional", "sensor network")
    again = admin_client.post(url, json.dumps({"kpi": "pm25-city", "period_end": "2021-12-31", "value": "1"}),
                              content_type="application/json")
    assert again.status_code == 422
    assert Measurement.objects.get(kpi=kpi).value == Decimal("16.2")
    listed = admin_client.get(f"{url}?kpi=pm25-city&period_end__gte=2021-01-01").json()
    assert [x["value"] for x in listed["results"]] == ["16.200000"]


# --- city pack ---------------------------------------------------------------------------------


def test_city_pack_round_trip_with_kpis(kpi_city, tmp_path):
    city, kpi, _nodes = kpi_city
    actions.create(CityIndicator, city=city, key="bike-share", name="Share of trips by bike", theme="Transportation")
    actions.update(kpi, trajectory="custom")
    actions.create(TrajectoryPoint, city=city, kpi=kpi, date=date(2025, 12, 31), value=Decimal("14.5"))
    for year, value in ((2021, "17.2"), (2022, "16.9")):
        actions.create(Measurement, city=city, kpi=kpi, period_end=date(year, 12, 31), value=Decimal(value),
                       source="regional monitoring")
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "benefits.yaml").read_text()
    assert "trajectory_points:" in text and "kpi: pm25-city" in text and "source: city" in text
    assert "Indicator" not in text.split("city_indicators:")[0]  # the catalogue is not in the pack
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("kpis").created == 1 and report.count("measurements").created == 2
    assert report.count("kpis.targets").created == 1 and report.count("kpis.trajectory_points").created == 1
    restored = Kpi.objects.get(key="pm25-city")
    assert sorted(p.key for p in restored.suppliers.all()) == ["met-office"]
    export_pack(city.key, second)
    for name in ("pack.yaml", "core.yaml", "strategy.yaml", "benefits.yaml"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_bad_measurement_in_a_pack_names_file_and_field(kpi_city, tmp_path):
    from cityline.core.packs import PackError

    city, kpi, _nodes = kpi_city
    actions.create(Measurement, city=city, kpi=kpi, period_end=date(2021, 12, 31), value=Decimal("17"))
    export_pack(city.key, tmp_path)
    path = tmp_path / "benefits.yaml"
    path.write_text(path.read_text().replace("quality: ok", "quality: dubious", 1))
    with pytest.raises(PackError) as err:
        import_pack(tmp_path, progress=False, trusted=True)
    message = str(err.value)
    assert "benefits.yaml:" in message and "measurements[0].quality: unknown value 'dubious'" in message
    assert Measurement.objects.get(kpi=kpi).quality == "ok"


# --- the records speak the domain's vocabulary ---------------------------------------------------


def test_choices_match_the_kpi_domain_vocabulary():
    from cityline.benefits import choices
    from cityline.benefits.domain import kpi as domain

    assert tuple(choices.KpiKind.values) == domain.KINDS
    assert tuple(choices.Direction.values) == domain.DIRECTIONS
    assert tuple(choices.TrajectoryKind.values) == domain.TRAJECTORY_KINDS
    assert tuple(choices.QualityFlag.values) == domain.QUALITY_FLAGS
    assert tuple(choices.Frequency.values) == tuple(domain.FREQUENCIES)


def test_a_kpi_record_becomes_domain_data(kpi_city):
    from cityline.benefits.domain.kpi import kpi_from_dict

    city, kpi, _nodes = kpi_city
    actions.update(kpi, tolerance_on_track=Decimal("0.1"), tolerance_at_risk=Decimal("0.2"), trajectory="stepped")
    actions.create(TrajectoryPoint, city=city, kpi=kpi, date=date(2025, 12, 31), value=Decimal("14"))
    actions.create(Measurement, city=city, kpi=kpi, period_end=date(2021, 12, 31), value=Decimal("17"),
                   quality="estimated")
    plain = kpi_from_dict(Kpi.objects.get(pk=kpi.pk).as_plain())
    assert (plain.id, plain.kind, plain.direction, plain.frequency) == ("pm25-city", "outcome", "lower_is_better",
                                                                        "annual")
    assert (plain.baseline.value, plain.baseline.date) == (18.0, date(2020, 12, 31))
    assert [(t.value, t.date, t.label) for t in plain.targets] == [(10.0, date(2030, 12, 31), "2030")]
    assert plain.trajectory.kind == "stepped" and [p.value for p in plain.trajectory.points] == [14.0]
    assert (plain.tolerance.on_track, plain.tolerance.at_risk) == (0.1, 0.2)
    assert plain.measurements.rows() == [{"period_end": date(2021, 12, 31), "value": 17.0, "quality": "estimated"}]
