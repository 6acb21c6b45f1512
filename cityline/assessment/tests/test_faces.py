"""The assessment's faces: CLI, gap report (HTML, PDF, CSV), API visibility (B2.g), public page, editor, pack."""

import csv
import io
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from cityline import cli
from cityline.assessment import report, services
from cityline.assessment.models import AssessmentSettings, Attestation, Snapshot
from cityline.core import actions
from cityline.core.packs import PackError, export_pack, import_pack
from cityline.delivery.tests.test_board_pack import pdf_text

pytestmark = pytest.mark.django_db
DEMO = Path(__file__).resolve().parents[2] / "demo" / "city-pack"


def test_cli_prints_the_matrix_and_gaps_and_saves_a_snapshot(town, sandbox, capsys, yesterday, today):
    city, _person, bmap, _survey = town
    assert cli.main(["assess", "--city", city.key, "--save"]) == 0
    out = capsys.readouterr().out
    assert "3 rules: 1 met, 1 partly met, 1 not met, 0 not applicable" in out
    assert "C             0.75  ■ · · · ·  1 ad hoc" in out      # level 2 needs C1 met, not partly met
    assert "C1       partly met  effort high — holds back 1: C2.a" in out
    assert f"snapshot saved for {today}" in out
    assert "records as they are today" not in out
    Snapshot.objects.filter(city=city).update(taken_on=yesterday)        # as if taken yesterday
    actions.update(bmap, version=bmap.version, status="published", published_on=today)
    assert cli.main(["assess", "--city", city.key, "--save", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["snapshot"] == today.isoformat() and data["maturity"]["components"][4]["score"] == 1.0
    assert Snapshot.objects.filter(city=city).count() == 2

    assert cli.main(["assess", "diff", "--city", city.key, yesterday.isoformat(), today.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "1 rule(s) moved" in out and "C1: partly_met → met" in out and "changed document Benefit map" in out
    assert cli.main(["assess", "diff", "--city", city.key, "2020-01-01", today.isoformat()]) == 2
    assert "no snapshot of testville on 2020-01-01" in capsys.readouterr().err


def test_an_assessment_on_a_past_date_is_refused_not_made_from_todays_records(town, sandbox, capsys, yesterday,
                                                                             today, tmp_path):
    """``--on PAST`` used to run the rules over today's records (and --save stored that as the past day's
    snapshot): the change history cannot give every record as it stood then, so a past date is refused."""
    city = town[0]
    for argv in (["assess", "--on", yesterday.isoformat()], ["assess", "--on", yesterday.isoformat(), "--save"],
                 ["assess", "report", "--on", "2026-03-01", "--out", str(tmp_path / "r.html")]):
        assert cli.main([*argv[:2], "--city", city.key, *argv[2:]] if argv[1] == "report"
                        else [*argv, "--city", city.key]) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "is before today" in captured.err and "records as they are now" in captured.err
        assert "cityline assess diff FROM TO" in captured.err
    assert not Snapshot.objects.exists() and not (tmp_path / "r.html").exists()
    # a later date reads today's records too: allowed, and said so; it is never saved as a snapshot
    later = today + timedelta(days=30)
    assert cli.main(["assess", "--city", city.key, "--on", later.isoformat()]) == 0
    out = capsys.readouterr().out
    assert f"on {later}" in out and f"records as they are today, {today}, judged as on {later}" in out
    assert cli.main(["assess", "--city", city.key, "--on", later.isoformat(), "--save"]) == 2
    assert "--save stores today's assessment" in capsys.readouterr().err and not Snapshot.objects.exists()
    assert cli.main(["assess", "--city", city.key, "--on", today.isoformat(), "--save"]) == 0
    assert Snapshot.objects.get().taken_on == today


def test_gap_report_in_three_formats(town, sandbox, tmp_path, capsys):
    city = town[0]
    data = report.gap_report(city, date(2026, 3, 1))
    html = report.render_html(data)
    assert html.startswith("<!DOCTYPE html>") and "<title>ISO 37106 gap report: Testville on 2026-03-01" in html
    assert "C1 A benefit map is published" in html and "Benefit map" in html    # top gap and appendix
    text = pdf_text(report.render_pdf(data, compress=False))
    assert "ISO 37106 gap report: Testville on 2026-03-01" in text
    assert "C1 — A benefit map is published (partly met)" in text
    assert "Holds back 1: C2.a; effort high" in text and "• Benefit map [core.document benefit-map]" in text
    rows = list(csv.DictReader(io.StringIO(report.render_csv(data))))
    assert [(r["section"], r["component"], r["score"], r["level"]) for r in rows[:7]][4] == ("matrix", "C", "0.75", "1")
    gap = next(r for r in rows if r["section"] == "gap")
    assert (gap["id"], gap["blocks"], gap["effort"]) == ("C1", "C2.a", "high")
    out = tmp_path / "gaps.pdf"
    assert cli.main(["assess", "report", "--city", city.key, "--format", "pdf", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and "written to" in capsys.readouterr().out


def test_gap_report_to_a_place_it_cannot_be_written_is_a_clear_error(town, sandbox, tmp_path, capsys):
    """Used to end in a FileNotFoundError traceback, after the whole assessment had run."""
    city = town[0]
    missing = tmp_path / "no-such-folder" / "gaps.pdf"
    assert cli.main(["assess", "report", "--city", city.key, "--format", "pdf", "--out", str(missing)]) == 2
    assert capsys.readouterr().err == (f"error: cannot write the gap report to {missing}: "
                                       f"folder {missing.parent} does not exist\n")
    assert cli.main(["assess", "report", "--city", city.key, "--out", str(tmp_path)]) == 2   # a folder, not a file
    assert f"error: cannot write the gap report to {tmp_path}: " in capsys.readouterr().err
    assert not missing.parent.exists()


def test_api_and_public_page_are_for_staff_until_the_city_publishes(town, sandbox, client, admin_client):
    city, person, _bmap, survey = town
    actions.create(Attestation, city=city, key="open-1", recommendation="A.1.4", outcome="met", statement="Open",
                   evidence=survey, attested_by=person, attested_on=date(2026, 1, 1), expires=date(2027, 1, 1))
    url = f"/api/v1/cities/{city.key}/assessment"
    assert client.get(url).status_code == 404
    assert client.get(url + "/snapshots").status_code == 404
    assert client.get(f"/api/v1/cities/{city.key}/attestations").json()["results"] == []
    assert client.get(f"/{city.key}/assessment/").status_code == 404
    assert client.get(f"/{city.key}/assessment.csv").status_code == 404
    staff = admin_client.get(url).json()
    assert [r["id"] for r in staff["results"]] == ["A.1.4", "C1", "C2.a"]
    assert len(admin_client.get(f"/api/v1/cities/{city.key}/attestations").json()["results"]) == 1

    actions.create(AssessmentSettings, city=city, publish=True)
    body = client.get(url).json()
    assert body["maturity"]["counts"] == {"met": 2, "partly_met": 1, "not_met": 0, "not_applicable": 0}
    assert [a["key"] for a in client.get(f"/api/v1/cities/{city.key}/attestations").json()["results"]] == ["open-1"]
    page = client.get(f"/{city.key}/assessment/")
    assert page.status_code == 200 and "A benefit map is published" in page.content.decode()
    assert "/admin/" not in page.content.decode()                  # evidence labels only, no editor links
    rows = client.get(f"/{city.key}/assessment.csv").content.decode().splitlines()
    assert rows[0] == "id,component,title,outcome,reason,next_step,evidence,attestation,share"
    assert rows[1].startswith("A.1.4,A,Openness is how the city works,met,Open,")


def test_public_faces_name_no_unpublished_kpi_and_staff_see_them(client, admin_client):
    """C2.f: the unpublished KPI ``noise`` is counted on the public page, its downloads and the API for anyone,
    never named; the outcomes are the same, and staff still see its name and key."""
    from cityline.benefits.models import Kpi
    from cityline.benefits.testing import make_realisation_city

    city, _nodes = make_realisation_city()
    actions.update(Kpi.objects.get(city=city, key="noise"), title="Secret draft indicator")
    actions.create(AssessmentSettings, city=city, publish=True)
    api = f"/api/v1/cities/{city.key}/assessment"
    for path in [f"/{city.key}/assessment/", f"/{city.key}/assessment.json", f"/{city.key}/assessment.csv", api]:
        body = client.get(path).content.decode()
        assert "Secret draft indicator" not in body and "noise" not in body, path
        assert "1 are not published" in body, path
    public, staff = client.get(api).json(), admin_client.get(api).json()
    assert public["maturity"] == staff["maturity"]
    # the API gives anyone the public face's evidence: labels, kinds and keys, no links into the editor
    public_links = {e["url"] for r in public["results"] for e in r["evidence"]}
    assert public_links == {""} and "/admin/" not in client.get(api).content.decode()
    assert any(e["url"].startswith("/admin/") for r in staff["results"] for e in r["evidence"])
    c2f = next(r for r in staff["results"] if r["id"] == "C2.f")
    assert "Secret draft indicator" in c2f["reason"] and [e["key"] for e in c2f["evidence"]] == ["noise"]


def test_editor_pages(admin_client, town, sandbox):
    city = town[0]
    services.take_snapshot(city, date(2026, 3, 1))
    for url in ["/admin/assessment/attestation/add/", "/admin/assessment/assessmentsettings/",
                "/admin/assessment/snapshot/", f"/admin/assessment/snapshot/{Snapshot.objects.get().pk}/change/"]:
        assert admin_client.get(url).status_code == 200, url


def test_demo_pack_round_trip_and_a_mixed_published_assessment(demo_city, tmp_path, client):
    files = export_pack(demo_city, tmp_path / "out")
    exported = next(f for f in files if f.name == "assessment.yaml").read_bytes()
    assert exported == (DEMO / "assessment.yaml").read_bytes()
    s = AssessmentSettings.objects.get(city=demo_city)
    assert s.publish and s.thresholds == {"c2f_min_share": 0.6, "c3d_meeting_days": 90}
    assert Attestation.objects.filter(city=demo_city).count() == 4
    ctx = services.context_for(demo_city, date(2026, 3, 1))
    assert ctx.attestations["C2.e"].expires < ctx.on_date                     # the expired one
    counts = client.get(f"/api/v1/cities/{demo_city.key}/assessment").json()["maturity"]["counts"]
    assert counts["met"] and counts["partly_met"] and counts["not_met"]      # the demo comes out mixed


def test_a_bad_pack_names_the_file_and_field_and_writes_nothing(demo_city, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(DEMO, pack)
    path = pack / "assessment.yaml"
    path.write_text(path.read_text().replace("c3d_meeting_days: 90", "c3d_meeting_dayz: 90")
                    .replace("c2f_min_share: 0.6", "c2f_min_share: 60")           # 60 % written as 60
                    .replace("recommendation: C2.e", "recommendation: B2.a"))     # B2.a takes no attestation
    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)
    message = str(err.value)
    assert "assessment.yaml" in message and "thresholds" in message and "c3d_meeting_dayz" in message
    assert "c2f_min_share is a share: a number from 0 to 1 (0.6 for 60%), not 60" in message
    assert "B2.a is assessed from the city's records alone" in message
    assert AssessmentSettings.objects.get(city=demo_city).thresholds["c3d_meeting_days"] == 90
    assert Attestation.objects.get(city=demo_city, key="maturity-review-2024").recommendation == "C2.e"
