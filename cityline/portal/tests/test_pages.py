"""Public pages (B2.g, B4.c.2, B5, B6, B7): content, privacy, downloads, languages, weight."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from cityline.core import actions
from cityline.core.models import Person
from cityline.portal import publish, registry
from cityline.strategy import public
from cityline.strategy.models import Initiative
from cityline.strategy.tests.factories import DRAFT_URL, PRIVATE, PUBLIC, PUBLISHED_URL

pytestmark = pytest.mark.django_db

CITY = "riverford"
STRATEGY_PAGES = ["vision", "governance", "roadmap", "procurement", "interoperability", "glossary"]

#: What each page must show from the fixture city.
EXPECTED = {
    "vision": ["A river city that works for everyone", "Horizon: 2035", "Well-being", "40%",
               "Halve transport emissions", "Open by default", "Riverford University", "Citizen-centric",
               "Open and collaborative", "Visionary"],
    "governance": ["Smart City Board", "Delivery Group", PUBLIC.name, PUBLIC.email, "Senior responsible owner",
                   "Cabinet member for digital", "Board minutes, March", "Academic", "Reports to"],
    "roadmap": ["Initiate", "Transform", "Free wifi in libraries", "60% complete", "End of plan review",
                "Passed with conditions", "Regional audit office", "Quick wins", "agreed quick win"],
    "procurement": ["Smart street lighting", "Riverford City Council", "2,400,000", "Split into lots sized for SMEs",
                    "Smart-contracting checklist: 3 of 4", "2,420,000", "Market engagement"],
    "interoperability": ["Strategy management", "Political and policy", "Riverford Digital Strategy",
                         "Open Data Policy (draft)", "Draft", "No data-sharing agreement", "severity: High",
                         "Sign a data-sharing agreement", "Not assessed"],
    "glossary": ["Open data", "Écosystème", "benefit", "ISO/IEC 30182 concept:", "Resource", "Proposed"],
}


class Links(HTMLParser):
    """Collects headings, stylesheets, scripts and links of a page."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.assets: list[str] = []
        self.hrefs: list[str] = []
        self._h: int | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self._h, self._text = int(tag[1]), []
        if tag == "link" and a.get("rel") == "stylesheet" or tag == "script" and a.get("src"):
            self.assets.append(a.get("href") or a.get("src"))
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])

    def handle_data(self, data):
        if self._h:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._h and tag == f"h{self._h}":
            self.headings.append((self._h, " ".join("".join(self._text).split())))
            self._h = None


def parse(html: str) -> Links:
    p = Links()
    p.feed(html)
    return p


def all_city_paths(city, lang="en") -> list[str]:
    with translation.override(lang):
        return [path for page in registry.pages("city") for path in page.paths(city)]


@pytest.mark.parametrize("name", STRATEGY_PAGES)
def test_page_renders_expected_content_with_ordered_headings(client, city, name):
    response = client.get(f"/{CITY}/{name}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in EXPECTED[name]:
        assert text in html, f"{name}: {text!r} missing"
    headings = parse(html).headings
    assert [h for h in headings if h[0] == 1] == [(1, str(registry.get(name).title))]
    levels = [level for level, _ in headings]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"heading levels skip: {headings}"
    assert '<html lang="en"' in html and 'href="#main"' in html and '<main id="main"' in html


@pytest.mark.parametrize("name", STRATEGY_PAGES)
def test_page_shows_provenance_and_links_its_downloads(client, city, name):
    page = registry.get(name)
    html = client.get(f"/{CITY}/{name}/").content.decode()
    data = page.data(city)
    stamp = data["provenance"]["last_updated"]
    assert f'datetime="{stamp}"' in html
    hrefs = parse(html).hrefs
    for d in page.downloads(city):
        assert d["url"] in hrefs
        assert client.get(d["url"]).status_code == 200


def test_provenance_is_the_latest_change_of_the_records_shown(client, city):
    before = public.roadmap(city)["provenance"]["last_updated"]
    wifi = Initiative.objects.get(city=city, key="library-wifi")
    actions.update(wifi, progress=70)
    after = public.roadmap(city)["provenance"]["last_updated"]
    assert after > before
    assert after == wifi.updated_at.isoformat()
    # the glossary shows no initiative, so its date does not move
    assert public.glossary(city)["provenance"]["last_updated"] < after


def test_home_lists_cities_and_city_page_links_every_registered_page(client, city):
    home = client.get("/").content.decode()
    assert "Riverford" in home and f'href="/{CITY}/"' in home
    overview = client.get(f"/{CITY}/").content.decode()
    hrefs = parse(overview).hrefs
    for name in STRATEGY_PAGES:
        assert f"/{CITY}/{name}/" in hrefs


@pytest.mark.parametrize("path", ["/nowhere/", "/nowhere/vision/", "/nowhere/roadmap.json", "/nowhere/glossary.csv",
                                  "/fr/nowhere/governance/"])
def test_unknown_city_is_404(client, city, path):
    assert client.get(path).status_code == 404


def test_unpublished_contacts_never_appear_anywhere(client, city):
    """B2.g: names and roles are public; e-mail and phone only for people who agreed to publish them."""
    for lang in ("en", "fr"):
        for path in all_city_paths(city, lang):
            body = client.get(path).content.decode()
            for secret in (PRIVATE.email, PRIVATE.phone, DRAFT_URL,
                           "Confidential budget paper"):
                assert secret not in body, f"{secret!r} leaked on {path}"
    governance = client.get(f"/{CITY}/governance/").content.decode()
    assert PRIVATE.name in governance  # the name is public, the contact is not
    assert PUBLIC.email in governance and PUBLIC.phone in governance
    assert PUBLISHED_URL in client.get(f"/{CITY}/interoperability/").content.decode()


def test_publishing_a_contact_makes_it_appear(client, city):
    sam = Person.objects.get(city=city, key="sam")
    actions.update(sam, published_contact=True)
    body = client.get(f"/{CITY}/governance.json").content.decode()
    assert PRIVATE.email in body and PRIVATE.phone in body


@pytest.mark.parametrize("name", STRATEGY_PAGES)
def test_json_download_is_the_data_function(client, city, name):
    response = client.get(f"/{CITY}/{name}.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    with translation.override("en"):
        expected = json.loads(json.dumps(registry.get(name).data(city)))
    assert response.json() == expected


def csv_rows(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_procurement_csv_matches_json_and_html(client, city):
    data = client.get(f"/{CITY}/procurement.json").json()
    rows = csv_rows(client, f"/{CITY}/procurement.csv")
    assert [r["key"] for r in rows] == [e["key"] for e in data["entries"]]
    lighting = next(r for r in rows if r["key"] == "smart-lighting")
    assert lighting["total_cost_of_ownership"] == "2420000"  # 1.5 M + 80 k × 10 + 120 k exit (B4.b.4)
    assert (lighting["B4.b.1"], lighting["B4.b.3"], lighting["checklist_score"]) == ("true", "false", "3")
    html = client.get(f"/{CITY}/procurement/").content.decode()
    for e in data["entries"]:
        assert e["title"] in html and e["outcome_sought"] in html


def test_roadmap_csvs_match_json(client, city):
    data = client.get(f"/{CITY}/roadmap.json").json()
    initiatives = csv_rows(client, f"/{CITY}/roadmap.csv")
    assert sorted(r["key"] for r in initiatives) == sorted(
        i["key"] for ph in data["phases"] for i in ph["initiatives"])
    quick = csv_rows(client, f"/{CITY}/roadmap-quick-wins.csv")
    assert [q["key"] for q in quick] == [q["key"] for q in data["quick_wins"]]
    # completed work is no quick-win candidate; the agreed, cheap, low-risk one ranks first (B7.b, B7.c)
    assert quick[0]["key"] == "library-wifi" and quick[0]["quick_win_agreed"] == "true"
    assert "open-tenders" not in {q["key"] for q in quick}
    checkpoints = csv_rows(client, f"/{CITY}/roadmap-checkpoints.csv")
    assert [c["result"] for c in checkpoints] == ["passed_with_conditions", "pending"]


def test_other_csvs_match_json(client, city):
    gov = client.get(f"/{CITY}/governance.json").json()
    members = csv_rows(client, f"/{CITY}/governance.csv")
    assert len(members) == sum(len(b["members"]) for lvl in gov["levels"] for b in lvl["bodies"])
    assert {r["name"] for r in members} == {PUBLIC.name, "Lin Okafor", PRIVATE.name}
    assert {r["email"] for r in members if r["name"] == PRIVATE.name} == {""}
    terms = csv_rows(client, f"/{CITY}/glossary.csv")
    assert [t["term"] for t in terms] == ["benefit", "Écosystème", "Open data"]  # accents and case ignored
    cells = csv_rows(client, f"/{CITY}/interoperability.csv")
    assert len(cells) == 15
    sp = next(c for c in cells if (c["process"], c["dimension"]) == ("strategy", "policy"))
    assert "Open Data Policy (draft) (draft)" in sp["policy_products"]
    objectives = csv_rows(client, f"/{CITY}/vision.csv")
    assert objectives[0]["target_value"] == "0.9"


def test_interoperability_grid_is_a_3_by_5_table_with_headers(client, city):
    html = client.get(f"/{CITY}/interoperability/").content.decode()
    table = html[html.index('<table class="matrix">'):html.index("</table>")]
    assert table.count('<th scope="row">') == 3
    assert table.count('<th scope="col">') == 6  # corner + five dimensions
    assert table.count("<td>") == 15
    assert "<caption" in table


def test_current_phase_is_marked(city):
    data = public.roadmap(city, today=date(2026, 6, 1))
    assert [p["phase"] for p in data["phases"] if p["when"] == "current"] == ["deliver"]
    assert data["phases"][0]["when"] == "past" and data["phases"][-1]["when"] == "future"


def test_french_pages_have_french_headings_and_labels(client, city):
    response = client.get(f"/fr/{CITY}/roadmap/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr"' in html
    headings = [text for _level, text in parse(html).headings]
    assert "Feuille de route" in headings and "Gains rapides" in headings and "Lancer" in headings
    assert "Quick wins" not in headings
    gov = client.get(f"/fr/{CITY}/governance/").content.decode()
    assert "Responsables désignés" in gov and "Instances de niveau stratégique" in gov
    data = client.get(f"/fr/{CITY}/procurement.json").json()
    assert data["entries"][0]["status_label"] == "Prévu"


def test_language_switcher_links_to_the_same_page_in_the_other_language(client, city):
    en = parse(client.get(f"/{CITY}/glossary/").content.decode()).hrefs
    assert f"/fr/{CITY}/glossary/" in en
    fr = parse(client.get(f"/fr/{CITY}/glossary/").content.decode()).hrefs
    assert f"/{CITY}/glossary/" in fr


def page_weight(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    total = len(response.content)
    for asset in parse(html).assets:
        assert asset.startswith("/static/"), f"{path} loads {asset} from elsewhere"
        found = finders.find(asset[len("/static/"):])
        assert found, f"{path} references missing asset {asset}"
        with open(found, "rb") as fh:
            total += len(fh.read())
    return total


def test_every_public_page_weighs_under_150_kb(client, city):
    """B11: pages stay light for slow connections (HTML + CSS + JS under 150 KB)."""
    with translation.override("en"):
        paths = [reverse("portal:home")] + [path for p in registry.pages("city") for path in p.paths(city)[:1]]
    for lang_prefix in ("", "/fr"):
        for path in paths:
            weight = page_weight(client, lang_prefix + path)
            assert weight < 150 * 1024, f"{lang_prefix + path} weighs {weight} bytes"


def test_registry_refuses_a_duplicate_name():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.DataPage(name="roadmap", title="x", data=public.roadmap, template="x.html"))


def test_relative_links_for_the_static_export():
    assert publish.relative_link("riverford/roadmap/index.html", "/riverford/vision/") == "../vision/index.html"
    assert publish.relative_link("fr/riverford/index.html", "/static/portal/site.css") == "../../static/portal/site.css"
    assert publish.relative_link("index.html", "/") == "index.html"
    assert publish.relative_link("riverford/glossary/index.html", "/riverford/glossary/#term-x") == "index.html#term-x"
    assert publish.output_file("/fr/riverford/roadmap.json") == "fr/riverford/roadmap.json"


def test_governance_shows_leadership_skills_and_sector_mix(client, city):
    """B2.e skills mix and B2.b sectors on the governance page, its JSON and its skills CSV."""
    data = client.get(f"/{CITY}/governance.json").json()["leadership"]
    by_skill = {c["skill"]: c for c in data["skills"]}
    assert by_skill["technology"]["status"] == "covered" and by_skill["technology"]["holders"] == [PUBLIC.name]
    assert by_skill["engagement"]["status"] == "thin"
    assert data["skills_gaps"] == ["strategy", "engagement", "marketing", "commercial"]
    mix = {s["sector"]: s["members"] for s in data["sectors"]}
    assert mix == {"public": 2, "private": 0, "voluntary": 0, "academic": 1}
    assert data["missing_sectors"] == ["private", "voluntary"]
    page = client.get(f"/{CITY}/governance/").content.decode()
    assert "Leadership skills" in page and "Members of governance bodies by sector" in page
    rows = csv_rows(client, f"/{CITY}/governance-skills.csv")
    assert [r["skill"] for r in rows] == ["strategy", "engagement", "marketing", "commercial", "technology"]
    assert client.get(f"/fr/{CITY}/governance/").content.decode().count("Compétences de l’équipe dirigeante") == 1
