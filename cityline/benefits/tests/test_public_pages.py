"""Public benefit pages (C1, C2.f, C2.g, C3): data functions, HTML views, downloads, static export.

The small city of ``cityline.benefits.testing.make_realisation_city`` has an off-track
leading indicator (``lanes-built``) that puts ``cleaner-air`` at risk, and an
unpublished KPI (``noise``) that must appear nowhere in public (C2.f).
"""

import csv
import io
import json
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from cityline.benefits import charts, public
from cityline.benefits.realisation import realisation
from cityline.benefits.testing import make_realisation_city
from cityline.portal import publish, registry

pytestmark = pytest.mark.django_db
ON = date(2026, 6, 30)
CITY = "testville"


@pytest.fixture
def city():
    city, _nodes = make_realisation_city(CITY)
    return city


def all_paths(city):
    with translation.override("en"):
        return [p for page in registry.pages("city") for p in page.paths(city)]


# --- data functions ---------------------------------------------------------------------


def test_dashboard_counts_and_groups_published_kpis_only(city):
    """C2.f: three published KPIs counted by status, grouped under the purpose and end outcome they serve."""
    data = public.dashboard(city, ON)
    counts = {c["status"]: c["count"] for c in data["counts"]}
    assert data["total"] == 3 and counts["off_track"] == 1 and counts["on_track"] == 2 and sum(counts.values()) == 3
    assert [k["key"] for k in data["kpis"]] == ["cycling-share", "lanes-built", "no2"]
    [group] = data["groups"]
    assert group["purpose"] == "environment"
    assert [(o["outcome"]["key"], o["kpis"]) for o in group["outcomes"]] == [
        ("cleaner-air", ["cycling-share", "lanes-built", "no2"])]
    lanes = next(k for k in data["kpis"] if k["key"] == "lanes-built")
    assert lanes["status"]["status"] == "off_track" and lanes["status"]["variance"] < 0
    assert lanes["forecast"]["outcome"] == "misses" and "miss the target of 110 km" in lanes["forecast"]["message"]
    assert lanes["licence"] == "CC-BY-4.0" and lanes["licence_url"].endswith("/CC-BY-4.0.html")
    assert [k["date"] for k in lanes["plan"]] == ["2019-12-31", "2030-12-31"]


def test_unpublished_kpi_appears_in_no_data_function(city):
    """C2.f: ``noise`` (unpublished) is in no page's data, and has no page of its own."""
    blobs = [public.dashboard(city, ON), public.benefit_map(city, ON), public.outcome(city, "quiet-streets", ON),
             public.outcome(city, "cleaner-air", ON), public.purpose(city, "environment", ON),
             public.kpi_page(city, "lanes-built", ON)]
    for blob in blobs:
        assert "noise" not in json.dumps(blob)
    assert "noise" not in public.kpi_keys(city)
    with pytest.raises(KeyError):
        public.kpi_page(city, "noise", ON)
    # the unpublished KPI does not colour the map either (its node would be off track)
    assert public.outcome(city, "quiet-streets", ON)["status"] == "at_risk"  # only through lanes, upstream
    assert public.outcome(city, "quiet-streets", ON)["own_status"] is None


def test_cleaner_air_is_at_risk_with_the_path_from_the_cause(city):
    """C3.d: the outcome page names the off-track cause and the path from it."""
    data = public.outcome(city, "cleaner-air", ON)
    assert data["status"] == "at_risk" and data["own_status"] == "on_track"
    assert data["reason"]["cause"]["key"] == "lanes"
    assert [p["key"] for p in data["reason"]["path"]] == ["lanes", "mobility-data", "more-cycling", "cleaner-air"]
    assert [k["key"] for k in data["reason"]["cause_kpis"]] == ["lanes-built"]
    assert [p["name"] for p in data["owners"]] == ["Ada Owner"]
    assert data["owners"][0]["email"] is None  # contact only with published_contact (B2.g)
    assert [k["key"] for k in data["kpis"]] == ["no2"]
    assert {k["key"] for k in data["feeding_kpis"]} == {"lanes-built", "cycling-share"}
    assert [(i["key"], i["cost"]) for i in data["investments"]] == [("bikes", 1000000)]
    assert {o["key"]: o["subtype"] for o in data["outputs"]} == {"lanes": "enabler", "mobility-data": "governance_change"}
    assert data["money"] == 1000000 / 2  # bikes → lanes splits equally towards mobility-data and quiet-streets
    assert [s["key"] for s in data["serves"]] == ["environment"]


def test_outcome_shows_risks_that_threaten_it_or_its_inputs(city):
    """C3.c: a risk on ``lanes`` endangers cleaner air through it."""
    from cityline.core import actions
    from cityline.core.models import Person
    from cityline.risks.models import Risk

    owner = Person.objects.get(city=city, key="ada-owner")
    actions.create(Risk, city=city, key="supply", title="Bike lane contractor fails", cause="c", effect="e",
                   area="resource", nature="business_change", likelihood=4, impact=4, owner=owner,
                   m2m={"threatens": [public.BenefitNode.objects.get(city=city, key="lanes")]})
    [risk] = public.outcome(city, "cleaner-air", ON)["risks"]
    assert risk["title"] == "Bike lane contractor fails" and risk["score"] == 16 and not risk["direct"]
    assert [n["key"] for n in risk["through"]] == ["lanes"]
    assert public.outcome(city, "more-cycling", ON)["risks"][0]["key"] == "supply"


def test_purpose_page_collects_what_feeds_it(city):
    data = public.purpose(city, "environment", ON)
    assert data["status"] == "at_risk" and data["money"] == 1000000
    assert [o["key"] for o in data["end_outcomes"]] == ["cleaner-air", "quiet-streets"]
    assert public.purpose_keys(city) == ["environment"]
    for unknown in ("well_being", "nowhere"):  # a purpose not on this map, and no purpose at all
        with pytest.raises(KeyError):
            public.purpose(city, unknown, ON)


def test_benefit_map_data_has_line_of_sight_tree_findings_and_money(city):
    """C1: upstream/downstream sets per node, nested list upstream from purposes, findings, money by purpose."""
    data = public.benefit_map(city, ON)
    idx = {n["key"]: n["index"] for n in data["nodes"]}
    lanes = next(n for n in data["nodes"] if n["key"] == "lanes")
    assert sorted(lanes["up"]) == [idx["bikes"]]
    assert sorted(lanes["down"]) == sorted(idx[k] for k in ("mobility-data", "more-cycling", "cleaner-air",
                                                            "quiet-streets", "environment"))
    [env] = data["tree"]
    assert env["key"] == "environment" and [c["key"] for c in env["children"]] == ["cleaner-air", "quiet-streets"]
    # lanes feeds both end outcomes: listed twice, its inputs only the first time
    quiet = env["children"][1]
    assert quiet["children"][0]["key"] == "lanes" and quiet["children"][0]["repeat"] is True
    checks = {c["check"] for c in data["findings"]["checks"]}
    assert "end_outcome_without_owner" in checks and "missing_leading_indicator" in checks
    by_purpose = {p["purpose"]: p["amount"] for p in data["money"]["by_purpose"]}
    assert by_purpose["environment"] == 1000000 and by_purpose["well_being"] == 0


def test_public_map_findings_count_published_kpis_only(city):
    """C2.f: quiet-streets is measured only by the unpublished noise KPI: in public it has no outcome indicator."""
    from cityline.benefits.domain import benefit_map as bmap

    checks = {c["check"]: c for c in public.benefit_map(city, ON)["findings"]["checks"]}
    assert checks["end_outcome_without_kpi"]["count"] == 1
    assert "quiet streets" in checks["end_outcome_without_kpi"]["messages"][0]
    staff = bmap.analyse(realisation(city, ON).benefit_map)      # staff count every KPI: noise measures it
    assert "end_outcome_without_kpi" not in staff.by_check()


def test_money_table_adds_up_with_money_retained_at_an_end_outcome(city, client, capsys):
    """Conservation (line-of-sight.md): the rows add up to the total; an end outcome with no link on retains
    what reaches it, and the table says where."""
    from cityline.benefits.models import BenefitLink
    from cityline.core import actions

    actions.delete(BenefitLink.objects.get(city=city, source__key="quiet-streets", target__key="environment"))
    money = public.benefit_map(city, ON)["money"]
    assert money["total_investment"] == 1000000 and money["stranded"] == 0
    assert [(r["key"], r["amount"], r["url"]) for r in money["retained"]] == [
        ("quiet-streets", 500000, f"/{CITY}/outcomes/quiet-streets/")]
    reaching = sum(p["amount"] for p in money["by_purpose"])
    assert reaching == 500000 and reaching + money["retained_total"] + money["stranded"] == 1000000
    html = client.get(f"/{CITY}/benefit-map/").content.decode()
    table = re.sub(r"\s+", " ", html[html.index('<caption id="money-caption">'):
                                     html.index("</table>", html.index('id="money"'))])
    assert ('<th scope="row">Retained at an end outcome with no link on to a purpose: '
            f'<a href="/{CITY}/outcomes/quiet-streets/">quiet streets</a></th> <td class="num">500,000</td>') in table
    assert '<tfoot><tr><th scope="row">Total</th> <td class="num">1,000,000</td></tr></tfoot>' in table
    assert "Stranded" not in table   # nothing is stranded on this map
    from cityline import cli

    assert cli.main(["benefits", "check", "--city", CITY]) == 0
    assert "retained at end outcome quiet-streets (no link on to a purpose): 500,000.00" in capsys.readouterr().out


def test_money_split_three_ways_still_adds_up_to_the_total_in_cents(client, capsys):
    """Rows rounded one by one would show 33,333.33 three times under a total of 100,000 (line-of-sight.md): the
    cent lost to rounding goes to one row, on the page, in its JSON and in ``cityline benefits check``."""
    from cityline import cli
    from cityline.benefits.testing import link, node
    from cityline.core.testing import make_city

    city = make_city("splitville", "Splitville")
    sensors = node(city, "sensors", "investment", cost=100000)
    for purpose in ("environment", "resilience", "well_being"):
        outcome = node(city, f"eo-{purpose}", "end_outcome")
        link(city, sensors, outcome)
        link(city, outcome, node(city, purpose, "purpose", purpose=purpose))
    money = public.benefit_map(city)["money"]
    rows = {r["purpose"]: r["amount"] for r in money["by_purpose"] if r["amount"]}
    assert rows == {"environment": 33333.34, "resilience": 33333.33, "well_being": 33333.33}
    assert round(sum(rows.values()), 2) == money["total_investment"] == 100000
    with translation.override("en"):
        html = re.sub(r"\s+", " ", client.get("/splitville/benefit-map/").content.decode())
    assert html.count('<td class="num">33,333.33</td>') == 2 and html.count('<td class="num">33,333.34</td>') == 1
    assert cli.main(["benefits", "check", "--city", "splitville"]) == 0
    out = capsys.readouterr().out
    assert "reaches purpose environment: 33,333.34" in out and out.count(": 33,333.33\n") == 2


# --- charts -------------------------------------------------------------------------------


def test_chart_draws_every_measurement_the_plan_targets_and_a_band(city):
    kpi = public.kpi_page(city, "lanes-built", ON)["kpi"]
    svg = charts.kpi_chart(kpi, chart_id="c", title="Lanes <built>", desc="d")
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert "Lanes &lt;built&gt;" in svg
    assert len(re.findall(r'<circle class="actual', svg)) == 6  # 2020–2025
    assert svg.count('<polygon class="band"') == 1 and svg.count('class="trend"') == 1
    assert svg.count('class="target"') == 1 and svg.count('class="baseline"') == 1
    plan = re.search(r'<polyline class="plan" points="([^"]+)"', svg).group(1)
    assert len(plan.split()) == 2  # through the two knots: baseline and 2030 target


def test_chart_marks_bad_values_and_copes_with_no_data():
    kpi = {"key": "k", "title": "t", "plan": [], "targets": [], "baseline": None,
           "measurements": [{"period_end": "2020-12-31", "value": 1, "quality": "ok"},
                            {"period_end": "2021-12-31", "value": 9, "quality": "bad"}], "forecast": {"trend": []}}
    svg = charts.kpi_chart(kpi, chart_id="c", title="t", desc="d")
    assert svg.count('class="actual bad"') == 1 and "band" not in svg
    assert charts.kpi_chart({**kpi, "measurements": []}, chart_id="c", title="t", desc="d") == ""
    assert charts.nice_ticks(0, 110) == [0, 20, 40, 60, 80, 100, 120]


# --- HTML, downloads, export -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["", "/fr"])
def test_every_benefit_page_and_download_answers_without_the_unpublished_kpi(client, city, lang):
    paths = [p for p in all_paths(city) if re.search(r"/(kpis|benefit-map|purposes|outcomes)\b", p)]
    assert f"/{CITY}/kpis/lanes-built/" in paths and f"/{CITY}/outcomes/cleaner-air/" in paths
    assert f"/{CITY}/purposes/environment/" in paths and f"/{CITY}/kpis/lanes-built.json" in paths
    for path in paths:
        response = client.get(lang + path)
        assert response.status_code == 200, path
        assert b"noise" not in response.content.lower(), path


def test_unknown_keys_answer_404(client, city):
    for path in [f"/{CITY}/kpis/noise/", f"/{CITY}/kpis/nothing/", f"/{CITY}/kpis/noise.json",
                 f"/{CITY}/outcomes/bikes/", f"/{CITY}/outcomes/nothing.csv", f"/{CITY}/purposes/well_being/",
                 f"/{CITY}/purposes/nowhere/", "/nocity/kpis/", "/nocity/kpis/no2/"]:
        assert client.get(path).status_code == 404, path


def test_outcome_page_says_why_it_is_at_risk(client, city):
    html = client.get(f"/{CITY}/outcomes/cleaner-air/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "At risk because lanes is off track" in text
    assert re.search(r"lanes\s*</li>\s*<li>\s*mobility data\s*</li>\s*<li>\s*<a[^>]*>more cycling</a>", html)
    assert "Ada Owner" in text and 'role="img"' in html and '<th scope="col">Measured</th>' in html
    fr = client.get(f"/fr/{CITY}/outcomes/cleaner-air/").content.decode()
    assert 'lang="en"' in fr  # the rules' English reasons are marked as English on the French page


def test_dashboard_page_shows_status_as_text_and_licence(client, city):
    html = client.get(f"/{CITY}/kpis/").content.decode()
    assert html.count('class="chart spark"') == 3
    assert "Off track" in html and 'rel="license"' in html and "CC-BY-4.0" in html
    assert '<a href="/testville/kpis/lanes-built/">' in html


def test_a_kpi_of_small_values_shows_its_figures_not_zeros(client, city):
    """C2.f: a KPI measured in thousandths (benzene in mg/m³) shows its recorded values as recorded and its
    computed figures to three significant digits, on its page and on the dashboard; others keep two decimals."""
    from cityline.benefits.models import BenefitNode
    from cityline.benefits.testing import kpi

    kpi(city, "benzene", BenefitNode.objects.get(city=city, key="cleaner-air"), "outcome",
        baseline=(0.004, date(2019, 12, 31)), target=(0.001, date(2030, 12, 31)), unit="mg/m³",
        direction="lower_is_better",
        values={2020: 0.0038, 2021: 0.0036, 2022: 0.0034, 2023: 0.0032, 2024: 0.003, 2025: 0.00295})
    # planned for 2025-12-31: 0.004 − 0.003 × 2192/4018 = 0.0023634; lower is better, so the variance is −0.0005866
    with translation.override("en"):
        page = re.sub(r"\s+", " ", client.get(f"/{CITY}/kpis/benzene/").content.decode())
        board = re.sub(r"\s+", " ", client.get(f"/{CITY}/kpis/").content.decode())
    assert "<dt>Latest value</dt><dd>0.00295 mg/m³ (" in page
    assert "<dt>Expected for that date</dt><dd>0.00236 mg/m³</dd>" in page
    assert "<dt>Variance</dt><dd>−0.00059 mg/m³ (−24.8%)" in page
    assert '<td class="num">0.0038</td><td class="num">0.00373</td>' in page  # 2020: measured, then planned
    assert '<td class="num">—</td><td class="num">0.004</td><td class="num">—</td><td>Baseline</td>' in page
    assert '<td class="num">0.001</td><td>Target 2030</td>' in page
    row = board[board.index('<a href="/testville/kpis/benzene/">'):]
    row = row[:row.index("</tr>")]
    assert '<td class="num">0.00295<span' in row and '<td class="num">0.00236</td>' in row
    assert '<td class="num">−0.00059<span class="meta">−24.8%</span></td>' in row
    assert client.get(f"/{CITY}/kpis/no2.json").json()["kpi"]["decimals"] == 2  # tens of µg/m³: two decimals


def test_csv_downloads_parse_back(client, city):
    rows = list(csv.DictReader(io.StringIO(client.get(f"/{CITY}/kpis.csv").content.decode())))
    assert [(r["key"], r["status"], r["licence"]) for r in rows] == [
        ("cycling-share", "on_track", "CC-BY-4.0"), ("lanes-built", "off_track", "CC-BY-4.0"),
        ("no2", "on_track", "CC-BY-4.0")]
    measured = list(csv.DictReader(io.StringIO(client.get(f"/{CITY}/kpis-measurements.csv").content.decode())))
    assert list(measured[0]) == ["kpi", "period_end", "value", "quality", "source", "licence"]
    assert len(measured) == 18 and {r["kpi"] for r in measured} == {"cycling-share", "lanes-built", "no2"}
    assert measured[0]["source"] == "test data" and float(measured[0]["value"]) == 5
    one = list(csv.DictReader(io.StringIO(client.get(f"/{CITY}/kpis/no2.csv").content.decode())))
    assert [r["period_end"] for r in one][:2] == ["2020-12-31", "2021-12-31"] and one[-1]["value"] == "34"
    node = list(csv.DictReader(io.StringIO(client.get(f"/{CITY}/outcomes/cleaner-air.csv").content.decode())))
    assert [r["key"] for r in node] == ["no2"]
    data = client.get(f"/{CITY}/kpis/lanes-built.json").json()["kpi"]
    assert len(data["measurements"]) == 6 and data["targets"][0]["value"] == 110
    assert data["status"]["status"] == "off_track" and data["forecast"]["trend"] and data["plan"]


def test_detail_pages_stay_out_of_the_navigation(client, city):
    names = [item["name"] for item in registry.nav(city)]
    assert names.index("kpis") > names.index("glossary") and "benefit-map" in names
    assert "kpi" not in names and "outcome" not in names and "purpose" not in names


def test_static_export_includes_the_detail_pages(city, tmp_path):
    publish.publish(tmp_path, CITY, progress=False)
    for rel in ["testville/kpis/index.html", "testville/kpis/lanes-built/index.html", "testville/kpis/lanes-built.json",
                "testville/kpis/lanes-built.csv", "testville/outcomes/cleaner-air/index.html",
                "testville/purposes/environment/index.html", "fr/testville/benefit-map/index.html",
                "testville/kpis-measurements.csv", "static/benefits/benefit-map.js", "static/benefits/benefits.css"]:
        assert (tmp_path / rel).exists(), rel
    assert not (tmp_path / "testville/kpis/noise").exists()
    page = (tmp_path / "testville/kpis/lanes-built/index.html").read_text()
    assert 'href="../index.html"' in page  # the breadcrumb back to the dashboard, made relative


def test_detail_page_registration_needs_keys_and_a_segment():
    with pytest.raises(ValueError, match="keys function"):
        registry.DetailPage(name="x", title="x", data=public.outcome, template="x.html")
    page = registry.get("kpi")
    with pytest.raises(ValueError):
        page.nav_url(None)
    with translation.override("en"):
        assert reverse("portal:kpi-csv", kwargs={"city": "c", "key": "a-b"}) == "/c/kpis/a-b.csv"


def test_outcome_page_shows_its_realisation_plan_and_only_live_risks():
    """C3.b, C3.c: plans and activities from cityline.delivery; a closed risk no longer threatens anything."""
    from cityline.delivery.testing import ON as DELIVERY_ON
    from cityline.delivery.testing import make_delivery_city

    city, _n, _r = make_delivery_city("plansville")
    data = public.outcome(city, "cleaner-air", DELIVERY_ON)
    [plan] = data["plans"]
    assert plan["summary"].startswith("Cut NO2") and plan["owner"]["name"] == "Ada Owner"
    assert plan["owner"]["email"] is None  # the owner has an e-mail, but has not published her contact (B2.g)
    assert [a["key"] for a in plan["activities"]] == ["survey", "old-idea", "sensors", "zones"]  # by due date
    assert [r["key"] for r in data["risks"]] == ["data-sharing"]  # closed-one is closed
    assert public.purpose(city, "environment", DELIVERY_ON)["plans"] is None  # purposes have no plan
    from django.test import Client

    html = Client().get("/plansville/outcomes/cleaner-air/").content.decode()
    assert "Low-emission zones" in html and "An old worry" not in html


def test_signed_numbers_never_show_minus_zero():
    from cityline.benefits.templatetags.benefits_public import percent, signed

    with translation.override("en"):
        assert signed(-0.0009) == "0" and signed(-56.014) == "−56.01" and signed(1.5) == "+1.5"
        assert percent(-0.00009) == "−0.009%" and percent(1e-12) == "0%"   # small keeps its digits; ~0 is 0
        assert percent(-0.933) == "−93.3%" and signed(None) == "—"
