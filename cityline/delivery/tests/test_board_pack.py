"""The board pack for the programme board in HTML, CSV and PDF, and the CLI that writes it (C3.d)."""

import csv
import io
import re
from html.parser import HTMLParser

import pytest

from cityline.cli import main
from cityline.delivery import boardpack
from cityline.delivery.testing import ON, make_delivery_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack():
    city, _n, _r = make_delivery_city()
    return boardpack.board_pack(city, ON)


def pdf_text(data: bytes) -> str:
    """The text of an uncompressed fpdf2 PDF, decoded through each font's ToUnicode map (one line per text object)."""
    objects = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj\n(.*?)\nendobj", data, re.S)}
    maps = {}
    for name, num in re.findall(rb"/(F\d+) (\d+) 0 R", data):
        ref = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(num)])
        pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", objects[int(ref[1])])
        maps[name] = {int(a, 16): chr(int(b, 16)) for a, b in pairs}
    lines, font, inside = [], None, False
    unescape = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"(": b"(", b")": b")", b"\\": b"\\"}
    for m in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)|\bBT\b|\bET\b", data, re.S):
        if m[1]:
            font = m[1]
        elif m[0] in (b"BT", b"ET"):
            inside = m[0] == b"BT"
            lines.append("")
        elif inside:
            raw = re.sub(rb"\\(.)", lambda e: unescape.get(e[1], e[1]), m[2], flags=re.S)
            lines[-1] += "".join(maps[font].get(int.from_bytes(raw[i:i + 2], "big"), "?")
                                 for i in range(0, len(raw), 2))
    return "\n".join(line for line in lines if line)


def test_html_is_a_standalone_accessible_page_with_every_row(pack):
    html = boardpack.render_html(pack)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en' in html and "<title>Board pack: Testville" in html
    for text in ["quiet streets", "cleaner air", "Ada Owner", "Install air sensors",
                 "overdue by 60 days", "Low-emission zones", "Data is not shared", "µg/m³",
                 "Projected to", "lanes</li><li>mobility data</li><li>more cycling</li><li>cleaner air"]:
        assert text in html, text
    assert "An old worry" not in html  # a closed risk

    class Check(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ths, self.tables, self.captions, self.h1 = [], 0, 0, 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.tables += tag == "table"
            self.captions += tag == "caption"
            self.h1 += tag == "h1"
            if tag == "th":
                self.ths.append(a.get("scope"))

    c = Check()
    c.feed(html)
    assert c.h1 == 1 and c.tables == c.captions > 0  # every table has a caption
    assert c.ths and all(scope in ("col", "row") for scope in c.ths)
    # summary table: one row per status with its count
    assert re.search(r'<th scope="row" class="off_track">Off track</th><td>2</td>', html)


def test_csv_parses_back_to_the_escalation_list(pack):
    rows = list(csv.DictReader(io.StringIO(boardpack.render_csv(pack))))
    assert list(rows[0]) == boardpack.CSV_COLUMNS
    summary = {r["key"]: int(r["detail"]) for r in rows if r["section"] == "summary"}
    assert summary == pack["counts"] and summary["off_track"] == 2
    outcomes = [r["key"] for r in rows if r["type"] == "outcome"]
    assert outcomes == ["quiet-streets", "cleaner-air", "more-cycling"]
    air = [r for r in rows if r["outcome"] == "cleaner-air"]
    assert {r["owners"] for r in air} == {"Ada Owner"}
    assert air[0]["path"] == "lanes → mobility-data → more-cycling → cleaner-air"
    actions = {r["key"]: r for r in air if r["type"] == "action"}
    assert actions["sensors"]["overdue"] == "yes" and actions["zones"]["overdue"] == "no"
    assert "waits for sensors" in actions["zones"]["detail"]
    assert [r["key"] for r in air if r["type"] == "kpi"] == ["no2", "cycling-share", "lanes-built"]
    assert [r["key"] for r in air if r["type"] == "risk"] == ["data-sharing"]


def test_pdf_renders_the_escalations_with_non_ascii_text(pack):
    data = boardpack.render_pdf(pack, compress=False)
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\n", data)) >= 1
    assert b"DejaVuSans" in data  # the shipped font is embedded
    text = pdf_text(data)
    assert "Board pack: Testville on 2026-03-01" in text
    for expected in ["quiet streets — Off track", "cleaner air — At risk", "Benefit owners: Ada Owner",
                     "Path of causes: lanes → mobility data → more cycling → cleaner air", "µg/m³",
                     "Install air sensors", "OVERDUE by 60 days", "waits for sensors", "Data is not shared",
                     "Off track: 2"]:
        assert expected in text, expected
    assert "An old worry" not in text
    compressed = boardpack.render_pdf(pack)
    assert compressed.startswith(b"%PDF-") and len(compressed) < len(data)


def test_french_pdf_keeps_accents():
    from django.utils import translation

    city, _n, _r = make_delivery_city()
    with translation.override("fr"):
        data = boardpack.board_pack(city, ON)
        text = pdf_text(boardpack.render_pdf(data, compress=False))
    assert "é" in text


def test_cli_writes_each_format(tmp_path, capsys):
    make_delivery_city()
    for fmt in boardpack.FORMATS:
        out = tmp_path / f"pack.{fmt}"
        assert main(["benefits", "board-pack", "--city", "testville", "--on", "2026-03-01", "--format", fmt,
                     "--out", str(out)]) == 0
        assert out.stat().st_size > 0
    assert (tmp_path / "pack.pdf").read_bytes().startswith(b"%PDF-")
    assert "cleaner-air" in (tmp_path / "pack.csv").read_text()
    assert main(["benefits", "board-pack", "--city", "testville", "--on", "March"]) == 2
    assert "not a date" in capsys.readouterr().err
    assert main(["benefits", "board-pack", "--city", "nowhere"]) == 2


def test_pdf_prints_large_and_small_values_as_the_html_does(pack):
    """Values of 10 000 and more (trips, passengers, tonnes) printed as 1.235e+04 in the PDF; the HTML said 12345.600."""
    kpi = pack["escalations"][0]["kpis"][0]
    kpi.update(actual=12345.6, expected=250000.0, unit="trips")
    small = pack["escalations"][1]["kpis"][0]
    small.update(actual=0.00004, expected=1234567.891, unit="t")
    text = pdf_text(boardpack.render_pdf(pack, compress=False))
    html = boardpack.render_html(pack)
    for shown in ["12345.600 trips", "250000 trips", "0.000 t", "1234567.891 t"]:
        assert shown in text and shown in html, shown
    assert "e+" not in text and "e-0" not in text


def test_csv_cells_cannot_run_as_spreadsheet_formulas():
    """A contributor's activity or risk title starting with = + - @ became a live formula in the board's spreadsheet."""
    from cityline.core import actions

    city, _n, r = make_delivery_city()
    actions.update(r["sensors"], title='=HYPERLINK("https://example.org/x","Install air sensors")')
    actions.update(r["data-sharing"], title="+cmd|' /C calc'!A0")
    actions.update(r["sensors"].plan.owner, name="@Ada Owner")
    rows = list(csv.DictReader(io.StringIO(boardpack.render_csv(boardpack.board_pack(city, ON)))))
    cells = [v for row in rows for v in row.values() if v]
    assert not [c for c in cells if c[0] in "=+-@\t\r"], [c for c in cells if c[0] in "=+-@\t\r"]
    sensors = next(row for row in rows if row["key"] == "sensors")
    assert sensors["title"] == "'=HYPERLINK(\"https://example.org/x\",\"Install air sensors\")"  # kept, readable
    assert "'@Ada Owner" in {row["owners"] for row in rows}
    summary = {row["key"]: row["detail"] for row in rows if row["section"] == "summary"}
    assert summary["off_track"] == "2"  # numbers stay numbers


def test_cli_names_a_file_it_cannot_write(tmp_path, capsys):
    """``--out`` in a folder that does not exist ended in a traceback."""
    make_delivery_city()
    target = tmp_path / "no-such-folder" / "pack.pdf"
    assert main(["benefits", "board-pack", "--city", "testville", "--on", "2026-03-01", "--format", "pdf",
                 "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"error: cannot write {target}" in err and "No such file or directory" in err
    assert not target.exists()
