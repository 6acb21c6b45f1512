"""``cityline opendata``: upload, review, override, sync-kpis, publish-take-up, stars (issue 4; B8, B10, C2.g)."""

import json
from datetime import date
from decimal import Decimal

import pytest

from cityline import cli
from cityline.benefits.models import Kpi, Measurement
from cityline.core import actions
from cityline.opendata.models import Dataset, DistributionVersion, PrivacyReview
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db


def test_help_lists_every_action(capsys):
    with pytest.raises(SystemExit):
        cli.main(["opendata", "--help"])
    out = capsys.readouterr().out
    for action in ("upload", "review", "override", "sync-kpis", "publish-take-up", "stars"):
        assert action in out


def test_upload_stores_a_version(city, files, capsys):
    assert cli.main(["opendata", "upload", "testville", "air-quality", "air-quality-csv",
                     str(files["air-quality-csv"]), "--note", "first readings"]) == 0
    out = capsys.readouterr().out
    assert "version 1 stored (30 rows" in out and "privacy gate: passed; public: yes" in out
    assert DistributionVersion.objects.get(distribution__key="air-quality-csv").note == "first readings"


def test_bad_upload_names_file_row_and_column_and_stores_nothing(city, tmp_path, capsys):
    bad = tmp_path / "ragged.csv"
    bad.write_text("station,time,district,no2,pm10\nnorth-gate,2026-01-01T08:00:00,north,21\n", encoding="utf-8")
    assert cli.main(["opendata", "upload", "testville", "air-quality", "air-quality-csv", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "row 2" in err and "Nothing was stored." in err
    assert not DistributionVersion.objects.exists()


def test_unknown_names_exit_2(city, files, capsys):
    assert cli.main(["opendata", "upload", "nowhere", "air-quality", "air-quality-csv",
                     str(files["air-quality-csv"])]) == 2
    assert "no city 'nowhere'" in capsys.readouterr().err
    assert cli.main(["opendata", "upload", "testville", "air-quality", "nope", str(files["air-quality-csv"])]) == 2
    assert "no distribution 'nope'" in capsys.readouterr().err
    assert cli.main(["opendata", "review", "testville", "nope"]) == 2


def test_review_prints_verdict_and_reasons_then_override(city, files, capsys):
    assert cli.main(["opendata", "upload", "testville", "parking-permits", "parking-permits-csv",
                     str(files["parking-permits-csv"])]) == 0
    capsys.readouterr()
    assert cli.main(["opendata", "review", "testville", "parking-permits"]) == 1  # blocked
    out = capsys.readouterr().out
    assert out.startswith("parking-permits: blocked") and "k = 1" in out and "    - " in out
    assert cli.main(["opendata", "override", "testville", "parking-permits", "--steward", "dana",
                     "--justification", "too short"]) == 1
    assert "justification" in capsys.readouterr().err
    assert cli.main(["opendata", "override", "testville", "parking-permits", "--steward", "dana",
                     "--justification", "The harbour permit holder agreed in writing to publication."]) == 0
    assert "overridden by dana" in capsys.readouterr().out
    assert PrivacyReview.objects.filter(result="overridden", steward__key="dana").count() == 1
    assert Dataset.objects.get(city=city, key="parking-permits").public
    assert cli.main(["opendata", "review", "testville", "parking-permits", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["verdict"] == "overridden" and body["reviews"][0]["steward"] == "dana"  # the override stands
    assert cli.main(["opendata", "review", "testville", "parking-permits", "--force"]) == 1  # checked afresh
    assert not Dataset.objects.get(city=city, key="parking-permits").public


def test_sync_kpis_and_publish_take_up(city, capsys):
    kpi = actions.create(Kpi, city=city, key="bus-punctuality", title="Buses on time", kind="outcome", unit="%",
                         published=True)
    actions.create(Measurement, city=city, kpi=kpi, period_end=date(2025, 12, 31), value=Decimal("91.5"))
    assert cli.main(["opendata", "sync-kpis", "testville"]) == 0
    out = capsys.readouterr().out
    assert "bus-punctuality: created → kpi-bus-punctuality" in out and "take-up: created" in out
    assert Dataset.objects.get(city=city, key="kpi-bus-punctuality").public
    assert cli.main(["opendata", "sync-kpis", "testville", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [r["action"] for r in body["kpis"]] == ["unchanged"]
    assert cli.main(["opendata", "publish-take-up", "testville"]) == 0
    assert "take-up: unchanged (figures unchanged)" in capsys.readouterr().out


def test_sync_kpis_skips_a_kpi_it_cannot_read_syncs_the_others_and_fails_at_the_end(city, capsys):
    for key in ("bus-punctuality", "cycle-lanes"):
        kpi = actions.create(Kpi, city=city, key=key, title=key.title(), kind="outcome", unit="%", published=True)
        actions.create(Measurement, city=city, kpi=kpi, period_end=date(2025, 12, 31), value=Decimal("91.5"))
    Kpi.objects.filter(city=city, key="bus-punctuality").update(direction="sideways")  # around validation
    assert cli.main(["opendata", "sync-kpis", "testville"]) == 1
    out, err = capsys.readouterr()
    assert "bus-punctuality: skipped" in out and "direction" in out
    assert "cycle-lanes: created → kpi-cycle-lanes" in out and "take-up: created" in out
    assert Dataset.objects.get(city=city, key="kpi-cycle-lanes").public
    assert not Dataset.objects.filter(city=city, key="kpi-bus-punctuality").exists()
    assert "bus-punctuality" in err.splitlines()[-1] and "skipped" in err.splitlines()[-1]
    assert cli.main(["opendata", "sync-kpis", "testville", "--json"]) == 1
    out, err = capsys.readouterr()
    body = json.loads(out)
    assert {r["kpi"]: r["action"] for r in body["kpis"]} == {"bus-punctuality": "skipped", "cycle-lanes": "unchanged"}
    assert "bus-punctuality" in err


def test_stars_of_one_dataset_and_of_all(city, files, capsys):
    cli.main(["opendata", "upload", "testville", "air-quality", "air-quality-csv", str(files["air-quality-csv"])])
    capsys.readouterr()
    assert cli.main(["opendata", "stars", "testville", "air-quality"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("air-quality: ★★★☆☆ (3/5)") and "next:" in out
    assert cli.main(["opendata", "stars", "testville", "--json"]) == 0
    ratings = {r["dataset"]: r["stars"] for r in json.loads(capsys.readouterr().out)}
    assert ratings["air-quality"] == 3 and ratings["noise-draft"] == 0
