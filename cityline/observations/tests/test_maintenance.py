"""Retention and downsampling (``cityline observations retention``, :mod:`.maintenance`): means weighed by the
readings they stand for, readings a deleted series left, rules of any length (issue 6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest

from cityline import cli
from cityline.core import actions
from cityline.observations import ingest, maintenance
from cityline.observations import models as m
from cityline.observations.registry import store_for, store_to_read
from cityline.observations.services import delete_series

from .ingest_world import make_city

pytestmark = pytest.mark.django_db

READINGS = "readings"  # the column of a mean's part that says how many raw readings it stands for (store.READINGS)

DAY = datetime(2026, 11, 10, tzinfo=timezone.utc)
TODAY = date(2026, 11, 20)  # traffic-quay: daily means after 2 days; water-level: hourly after 7, kept 30


@pytest.fixture
def city(settings, tmp_path):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    return make_city()


def rows(city, series: str) -> list[tuple]:
    return store_to_read(city).query("SELECT time, value, quality FROM observations WHERE series = ? ORDER BY time",
                                     [series])


def weights(city, group: str) -> list[tuple]:
    """``(series, time, readings)`` of the group's means, from the parts themselves (readers never see the column)."""
    found = []
    for part in store_to_read(city).files():
        table = pq.read_table(part)
        if part.parent.parent.name == f"group={group}" and READINGS in table.column_names:
            found += [(s, t, n) for s, t, q, n in zip(*(table.column(c).to_pylist()
                                                        for c in ("series", "time", "quality", READINGS)))
                      if q == "downsampled"]
    return sorted(found)


def test_a_reading_re_sent_at_the_start_of_a_downsampled_day_leaves_the_days_mean(city):
    readings = [{"series": "traffic-quay", "time": DAY + timedelta(hours=h), "value": 100.0 if h == 0 else 10.0}
                for h in range(24)]
    ingest.write_observations(city, readings)
    maintenance.apply_rules(city, today=TODAY)
    mean = [(DAY, (100 + 23 * 10) / 24, "downsampled")]
    assert rows(city, "traffic-quay") == mean and weights(city, "traffic") == [("traffic-quay", DAY, 24)]
    ingest.write_observations(city, [readings[0]])  # at-least-once delivery: the 00:00 reading again, the mean's key
    # Compaction rewrites the month (two parts) first: a rewrite keeps the mean against a raw reading of its key.
    assert maintenance.compact(city, today=date(2026, 12, 5)).compacted == [("traffic", date(2026, 11, 1))]
    assert rows(city, "traffic-quay") == mean and weights(city, "traffic") == [("traffic-quay", DAY, 24)]
    ingest.write_observations(city, [readings[0]])
    assert maintenance.apply_rules(city, today=TODAY).downsampled == [("traffic", date(2026, 11, 1), "traffic-quay")]
    assert rows(city, "traffic-quay") == mean and weights(city, "traffic") == [("traffic-quay", DAY, 24)]
    assert maintenance.apply_rules(city, today=TODAY).downsampled == []  # nothing raw left


def test_late_readings_are_folded_into_a_mean_by_the_readings_it_stands_for_and_bad_ones_left_out(city):
    hour = DAY + timedelta(hours=3)  # water-level, hourly: 3:00 holds only a reading flagged bad, 4:00 none at all
    ingest.write_observations(city, [{"series": "traffic-quay", "time": DAY + timedelta(hours=h), "value": 10.0}
                                     for h in range(24)] + [
        {"series": "water-level", "time": hour + timedelta(hours=1, minutes=10), "value": None},
        {"series": "water-level", "time": hour + timedelta(hours=2), "value": 2.0}])
    ingest.write_observations(city, [
        {"series": "traffic-quay", "time": DAY + timedelta(hours=5, minutes=1), "value": 9000.0, "quality": "bad"},
        {"series": "water-level", "time": hour, "value": 5.0, "quality": "bad"}])
    maintenance.apply_rules(city, today=TODAY)
    assert rows(city, "traffic-quay") == [(DAY, 10.0, "downsampled")]  # 24 readings of 10; the bad one left out
    assert rows(city, "water-level") == [(hour, None, "downsampled"), (hour + timedelta(hours=1), None, "downsampled"),
                                         (hour + timedelta(hours=2), 2.0, "downsampled")]
    assert weights(city, "water") == [("water-level", hour + timedelta(hours=h), n)
                                      for h, n in ((0, 0), (1, 0), (2, 1))]
    # A gateway's buffer after an outage: late raw readings of the downsampled day, then of an empty hour.
    ingest.write_observations(city, [{"series": "traffic-quay", "time": DAY + timedelta(hours=12, minutes=30),
                                      "value": 110.0},
                                     {"series": "water-level", "time": hour + timedelta(minutes=30), "value": 7.0}])
    maintenance.apply_rules(city, today=TODAY)
    assert rows(city, "traffic-quay") == [(DAY, (24 * 10 + 110) / 25, "downsampled")]  # 14.0, not (10 + 110) / 2
    assert rows(city, "water-level")[0] == (hour, 7.0, "downsampled")
    ingest.write_observations(city, [{"series": "traffic-quay", "time": DAY + timedelta(hours=13, minutes=30),
                                      "value": 40.0}])
    maintenance.apply_rules(city, today=TODAY)
    assert rows(city, "traffic-quay") == [(DAY, (25 * 14 + 40) / 26, "downsampled")]
    assert weights(city, "traffic") == [("traffic-quay", DAY, 26)]
    assert weights(city, "water")[0] == ("water-level", hour, 1)


def test_readings_a_deleted_series_left_go_with_the_longest_retention_of_its_group(city, capsys):
    actions.create(m.Series, city=city, key="water-flow", name="Outflow", group="water", entity_type="WaterObserved",
                   attribute="flow", unit="m3/s", retention_days=90)
    today = date(2026, 12, 31)
    days_ago = {n: datetime.combine(today - timedelta(days=n), datetime.min.time(), tzinfo=timezone.utc)
                for n in (5, 60, 120, 400)}
    ingest.write_observations(city, [{"series": key, "time": days_ago[n], "value": float(n)}
                                     for key in ("water-level", "air-station", "traffic-quay") for n in (60, 120, 400)])
    ingest.write_observations(city, [{"series": "traffic-quay", "time": days_ago[5], "value": 5.0}])
    started = datetime.now(timezone.utc)
    # Written as the run goes on (a series created meanwhile, as far as the run's list of series can tell):
    store_for(city).write([{"series": "traffic-quay", "time": days_ago[400] + timedelta(hours=1), "value": 1.0}],
                          written=started + timedelta(hours=1))
    for key in ("water-level", "air-station", "traffic-quay"):
        delete_series(m.Series.objects.get(city=city, key=key), forget_readings=True)
    code = cli.main(["observations", "retention", "--city", city.key, "--on", today.isoformat()])
    out = capsys.readouterr().out
    assert code == 0, out
    # water: water-flow keeps 90 days, so water-level's readings are kept as long; air: air-harbour keeps its
    # readings for ever, so air-station's stay; traffic: no series left, no rule applies: all kept.
    assert [t for t, _, _ in rows(city, "water-level")] == [days_ago[60]]
    assert [t for t, _, _ in rows(city, "air-station")] == [days_ago[n] for n in (400, 120, 60)]
    assert sorted(t for t, _, _ in rows(city, "traffic-quay")) == sorted(
        [days_ago[n] for n in (400, 120, 60, 5)] + [days_ago[400] + timedelta(hours=1)])
    for key, group, n in (("water-level", "water", 400), ("water-level", "water", 120)):
        assert f"removed readings of {key} (no series of group {group} has that key) in {days_ago[n]:%Y-%m}" in out
    assert out.endswith(", 2 of keys without a series removed.\n") and "air-station" not in out
    assert "traffic-quay" not in out
    # a series of the group gives it a retention of 30 days: the older readings go (not the one written after
    # the run started, as far as this run can tell)
    actions.create(m.Series, city=city, key="traffic-bridge", name="Bridge", group="traffic",
                   entity_type="TrafficFlowObserved", attribute="intensity", retention_days=30)
    done = maintenance.apply_rules(city, today=today)
    assert sorted(t for t, _, _ in rows(city, "traffic-quay")) == [days_ago[400] + timedelta(hours=1), days_ago[5]]
    assert sorted(month for _, month, _ in done.unnamed) == sorted(
        days_ago[n].date().replace(day=1) for n in (400, 120, 60))
    again = maintenance.apply_rules(city, today=today)
    assert (again.removed, again.unnamed, again.downsampled) == ([], [], [])


def test_rules_of_a_million_days_keep_everything_and_the_run_goes_on(city):
    water = m.Series.objects.get(city=city, key="water-level")
    actions.update(water, retention_days=1_000_000, downsample_after_days=999_999)  # about 2,700 years: accepted
    ingest.write_observations(city, [{"series": key, "time": DAY, "value": 1.0}
                                     for key in ("water-level", "traffic-quay")])
    done = maintenance.apply_rules(city, today=date(2026, 12, 31))
    assert (done.removed, done.unnamed) == ([], [])
    assert done.downsampled == [("traffic", date(2026, 11, 1), "traffic-quay")]  # the other series' rules still ran
    assert rows(city, "water-level") == [(DAY, 1.0, None)]
