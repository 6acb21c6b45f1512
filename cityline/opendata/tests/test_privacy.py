"""Privacy gate: personal-data detection and k-anonymity (B8, B10; issue 4 item 4).

Plain-data tests of cityline.opendata.domain.privacy: no database, no HTTP. Every
person, address and number below is synthetic (reserved example domains, Ofcom drama
phone ranges, made-up identifiers with valid check digits).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

from cityline.opendata.domain import privacy
from cityline.opendata.domain.privacy import (
    EMAIL,
    HOME_COORDINATES,
    IBAN,
    NATIONAL_ID,
    PAYMENT_CARD,
    PERSON_NAME,
    PHONE,
    STREET_ADDRESS,
    UnknownColumn,
    detect,
    k_anonymity,
    mask,
    review,
)


def nir(body: str) -> str:
    """A French NIR with its valid key (97 - body mod 97; Corsica 2A/2B count as 19/18)."""
    number = int(body.replace(" ", "").replace("2A", "19").replace("2B", "18"))
    return f"{body} {97 - number % 97:02d}"


PEOPLE_COLUMNS = ["resident_id", "full_name", "email", "phone", "ni_number", "home_address",
                  "lat", "lon", "notes"]
PEOPLE = [
    [1, "Jane Smith", "jane.smith@example.org", "+44 20 7946 0958", "AB 12 34 56 C",
     "12 High Street, Leeds", 53.801234, -1.548567, "Prefers letters."],
    [2, "Jean-Luc Martin", "jl.martin@mail.example", "01 42 68 53 00", "CE 45 67 89 D",
     "3 rue de la Paix, Paris", 48.869012, 2.331234, ""],
    [3, "Amira Okafor", "amira.o@example.net", "0113 496 0123", "JG 10 39 47 A",
     "221B Baker Street", 51.523767, -0.158555, None],
    [4, "Wei Zhang", "wei.zhang@example.com", "+33 6 12 34 56 78", "KM 44 55 66 B",
     "7 Church Road, Bristol", 51.454513, -2.587910, "Called twice."],
]


def by_column(findings):
    return {f.column: f for f in findings}


# ---------------------------------------------------------------- detection: people table

def test_people_table_is_flagged_column_by_column():
    found = by_column(detect(PEOPLE_COLUMNS, PEOPLE))
    expected = {
        "full_name": PERSON_NAME, "email": EMAIL, "phone": PHONE, "ni_number": NATIONAL_ID,
        "home_address": STREET_ADDRESS, "lat": HOME_COORDINATES, "lon": HOME_COORDINATES,
    }
    for column, category in expected.items():
        assert found[column].flagged, column
        assert category in found[column].categories, (column, found[column].categories)
        assert found[column].share == 1.0, column
    assert "resident_id" not in found and "notes" not in found
    assert found["email"].severity == "high" and found["phone"].severity == "medium"
    assert found["ni_number"].matches == {NATIONAL_ID: 4}


def test_examples_are_masked_and_no_raw_value_reaches_the_stored_review():
    result = review(PEOPLE_COLUMNS, PEOPLE)
    assert not result.passed
    stored = json.dumps(result.as_dict(), ensure_ascii=False)
    for row in PEOPLE:
        for cell in row[1:8]:
            assert str(cell) not in stored, cell
    emails = by_column(result.findings)["email"].examples
    assert emails[0] == "j***@e***.org"
    assert all("***" in e for e in emails)


def test_reasons_name_the_columns_and_translate():
    result = review(PEOPLE_COLUMNS, PEOPLE)
    columns = [r.column for r in result.reasons]
    assert columns == ["full_name", "email", "phone", "ni_number", "home_address", "lat", "lon"]
    assert str(result.reasons[1]) == (
        "Column “email” looks like personal data (e-mail address): 100% of the sampled values match.")
    french = {
        privacy.MSG_COLUMN: "La colonne « %(column)s » ressemble à des données personnelles "
                            "(%(categories)s) : %(percent)s %% des valeurs correspondent.",
        "e-mail address": "adresse électronique",
    }
    assert result.reasons[1].render(lambda s: french.get(s, s)) == (
        "La colonne « email » ressemble à des données personnelles (adresse électronique) : "
        "100 % des valeurs correspondent.")


def test_national_identifiers_bank_and_card_numbers():
    columns = ["ref", "value"]
    cases = {
        NATIONAL_ID: ["536-22-8109", nir("2 84 12 76 451 089"), "AB 12 34 56 C"],
        IBAN: ["GB82 WEST 1234 5698 7654 32", "FR14 2004 1010 0505 0001 3M02 606"],
        PAYMENT_CARD: ["4111 1111 1111 1111", "5500 0000 0000 0004"],
    }
    for category, values in cases.items():
        for value in values:
            found = detect(columns, [["r1", value]])
            assert [f.categories for f in found] == [(category,)], value
            assert found[0].flagged
    # A wrong NIR key, a card failing Luhn: not identifiers
    bad_nir = nir("2 84 12 76 451 089")[:-2] + "00"
    assert privacy._nir_is_valid(nir("1 85 05 2A 006 084"))
    assert detect(columns, [["r1", bad_nir], ["r2", "4111 1111 1111 1112"]]) == []


def test_one_personal_email_among_role_mailboxes_is_flagged():
    """Role mailboxes (info@, contact@ ...) are the city's, not a person's (docs)."""
    columns = ["service", "contact"]
    office = [["Parking", "parking@city.example"], ["Waste", "info@city.example"],
              ["Roads", "roadworks@city.example"]] * 10
    assert detect(columns, office) == []
    found = detect(columns, office + [["Libraries", "j.bloggs@city.example"]])
    assert [(f.column, f.categories, f.flagged) for f in found] == [("contact", (EMAIL,), True)]
    assert found[0].matches == {EMAIL: 1}


def test_free_text_with_an_email_or_phone_is_flagged():
    columns = ["id", "comment"]
    rows = [[i, f"Streetlight number {i} on the ring road was reported flickering again"]
            for i in range(200)]
    assert detect(columns, rows) == []  # "number 17" is not a phone number
    rows[57][1] = "Broken bench, please reply to sam.taylor@example.org with the repair date"
    found = detect(columns, rows)
    assert [(f.column, f.categories, f.flagged, f.free_text) for f in found] == [
        ("comment", (EMAIL,), True, True)]
    assert found[0].examples == ("s***@e***.org",)
    rows[57][1] = "Broken bench, please call me back on 07700 900123 about the repair date"
    found = detect(columns, rows)
    assert [(f.categories, f.flagged) for f in found] == [((PHONE,), True)]


def test_free_text_with_a_home_address_or_titled_name_is_flagged():
    columns = ["id", "comment"]
    rows = [[i, "Pothole reported by a resident, repaired within the two day target"]
            for i in range(100)]
    rows[3][1] = "Mrs Patel says the pothole outside 14 Elm Grove damaged her car wheel"
    found = by_column(detect(columns, rows))
    assert found["comment"].flagged
    assert set(found["comment"].categories) == {PERSON_NAME, STREET_ADDRESS}


def test_strong_header_flags_even_unrecognised_values():
    found = detect(["surname", "date_of_birth"], [["Smith", "1984-02-29"], ["Nowak", "1990-07-01"]])
    assert [(f.column, f.flagged, f.header_hint) for f in found] == [
        ("surname", True, PERSON_NAME), ("date_of_birth", True, "date_of_birth")]
    result = review(["surname"], [["Smith"]])
    assert str(result.reasons[0]) == "Column “surname” is named like personal data (person name)."
    # An empty column named like personal data carries nothing to publish.
    assert detect(["email", "count"], [[None, 3], ["", 4]]) == []


# ---------------------------------------------------------------- detection: clean city data

AIR_QUALITY_COLUMNS = ["station_name", "site_code", "measured_at", "no2_ugm3", "pm25_ugm3",
                       "latitude", "longitude"]
AIR_QUALITY = [
    [station, code, f"2025-03-0{day}T{hour:02d}:00:00Z", 21.4 + day, 8.25 + hour / 10, lat, lon]
    for station, code, lat, lon in [
        ("Leeds Centre", "LEED", 53.8034, -1.5466),
        ("Headingley Kerbside", "LED6", 53.8195, -1.5764),
        ("Armley Road", "LEAR", 53.7976, -1.5826),
        ("Marylebone Road", "MY1", 51.5225, -0.1546),
        ("Saint Denis", "SDN", 48.9362, 2.3574),
    ]
    for day in range(1, 4) for hour in range(0, 24, 6)
]


def test_air_quality_by_station_passes():
    """Place names are not person names; station coordinates are not homes."""
    result = review(AIR_QUALITY_COLUMNS, AIR_QUALITY)
    assert result.passed, [str(r) for r in result.reasons]
    # The 4-decimal station coordinates are shown for information, not blocking.
    info = by_column(result.findings)
    assert set(info) == {"latitude", "longitude"}
    assert not info["latitude"].flagged and info["latitude"].severity == "low"


def test_bus_stops_road_works_and_office_contacts_pass():
    columns = ["stop_id", "name", "lat", "lon", "boardings", "street", "works", "contact",
               "phone_enquiries"]
    stops = ["Victoria Park", "City Square", "Leeds Station", "Kirkstall Bridge",
             "Headingley Stadium", "St James Hospital", "Roundhay Park Gates"]
    rows = [
        [f"450{i:05d}", stops[i % len(stops)], round(53.8 + i / 1000, 3), round(-1.55 - i / 1000, 3),
         120 + i, ["High Street", "Kirkstall Road", "Boar Lane"][i % 3],
         "Resurfacing between junctions 3 and 4, lane closures 20:00-06:00",
         "roadworks@city.example", "0113 222 4444"]
        for i in range(300)
    ]
    result = review(columns, rows)
    assert result.passed, [str(r) for r in result.reasons]
    # The city's switchboard number on every row is not a person's phone (a phone value
    # shared by DEFAULT_K rows or more does not count), nor a role mailbox an e-mail.
    assert by_column(result.findings) == {}
    rows[7][8] = "07700 900456"  # but one mobile number among them is
    assert [(f.column, f.flagged) for f in detect(columns, rows)] == [("phone_enquiries", False)]


def test_station_name_column_with_person_like_place_names_is_not_a_name_column():
    columns = ["station_name", "passengers"]
    rows = [["Kings Cross", 10], ["Charing Cross", 12], ["Victoria", 8], ["Elizabeth Line", 9]]
    assert detect(columns, rows) == []


def test_name_column_of_people_is_flagged_but_of_parks_is_not():
    parks = [["Roundhay Park"], ["Golden Acre Park"], ["Temple Newsam Estate"],
             ["Kirkstall Abbey"], ["Meanwood Valley Farm"], ["Potternewton Park"]]
    people = [["Jane Smith"], ["Olu Adeyemi"], ["Marta Nowak"], ["SMITH, John"]]
    assert [f.column for f in detect(["name"], parks) if f.flagged] == []
    assert [f.column for f in detect(["name"], people) if f.flagged] == ["name"]


# ---------------------------------------------------------------- coordinates of homes

def test_precise_coordinates_block_only_in_a_dataset_about_people():
    columns = ["household_id", "members", "lat", "lon"]
    rows = [[f"H{i}", 2 + i % 3, 53.8 + i / 10_000, -1.54 - i / 10_000] for i in range(50)]
    found = by_column(detect(columns, rows))
    assert found["lat"].flagged and found["lon"].flagged
    assert found["lat"].examples[0] == "53.80…"
    # Same numbers, rounded to 3 decimals (≈ 100 m): not a home any more.
    coarse = [[h, m, round(a, 3), round(b, 3)] for h, m, a, b in rows]
    assert detect(columns, coarse) == []
    # The steward can say what the table is about.
    assert not any(f.flagged for f in detect(columns, rows, about_people=False))


def test_geojson_and_wkt_points_of_homes():
    columns = ["tenant_ref", "geometry"]
    geo = [["T1", {"type": "Point", "coordinates": [-1.548567, 53.801234]}],
           ["T2", '{"type": "Point", "coordinates": [2.331234, 48.869012]}'],
           ["T3", "POINT (-0.158555 51.523767)"]]
    found = by_column(detect(columns, geo))
    assert found["geometry"].flagged and found["geometry"].matches == {HOME_COORDINATES: 3}
    assert all("…" in e and "548567" not in e for e in found["geometry"].examples)
    rounded = [["T1", {"type": "Point", "coordinates": [-1.55, 53.8]}]]
    assert detect(columns, rounded) == []


# ---------------------------------------------------------------- sampling and input

def test_only_the_sample_is_scanned_and_rows_may_be_an_iterator():
    columns = ["id", "reply_to"]

    def rows():
        for i in range(30):
            yield [i, "n/a" if i < 20 else f"user{i}@example.org"]

    assert detect(columns, rows(), sample_rows=20) == []
    assert detect(columns, rows())[0].flagged
    result = review(columns, rows(), quasi_identifiers=["id"], k=1)
    assert result.sampled_rows == 30 and result.k_anonymity.rows == 30


def test_arrow_table_input():
    table = pa.table({"name": ["Jane Smith", "Olu Adeyemi"], "age": [34, 34]})
    result = review(["name", "age"], table, quasi_identifiers=["age"], k=2)
    assert [f.column for f in result.flagged] == ["name"]
    assert result.k_anonymity.k == 2 and result.k_anonymity.passed


def test_ragged_row_and_duplicate_header_are_clear_errors():
    with pytest.raises(ValueError, match="row 2 has 1 cells, the header has 2"):
        detect(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="column 'a' appears twice"):
        review(["a", "a"], [])


def test_a_5000_row_sample_runs_in_one_pass():
    """Functional check of the sample cap; timing lives in bench/, not here."""
    columns = ["id", "email", "station"]
    rows = ([i, f"user{i}@example.org", f"Station {i % 40}"] for i in range(12_000))
    found = detect(columns, rows)
    assert found[0].non_empty == privacy.SAMPLE_ROWS


# ---------------------------------------------------------------- k-anonymity

MICRO_COLUMNS = ["age", "sex", "postcode", "visits"]


def microdata():
    """Exact ages and full postcodes: every person is unique, as raw microdata often are."""
    rows = []
    for band in (20, 30, 40):
        for sex in ("F", "M"):
            for i in range(6):
                rows.append([band + 2 + i, sex, f"LS{6 + i % 2} {i}AB", i])
    rows.append([97, "F", "LS6 1AB", 3])  # one very old resident
    return rows


def generalise(rows):
    """Ten-year age bands, postcode area only, and the lone 90+ record suppressed."""
    return [[f"{a // 10 * 10}-{a // 10 * 10 + 9}", s, p[:2], v] for a, s, p, v in rows if a < 90]


def test_unique_combination_blocks_publication_and_is_listed():
    result = review(MICRO_COLUMNS, microdata(), quasi_identifiers=["age", "sex", "postcode"])
    assert not result.passed
    kan = result.k_anonymity
    assert kan.k == 1 and kan.required == 5
    everything = k_anonymity(MICRO_COLUMNS, microdata(), ["age", "sex", "postcode"], max_combinations=100)
    assert everything.offending[-1] == (("97", "F", "LS6 1AB"), 1)
    assert kan.offending_total == 37 and len(kan.offending) == privacy.MAX_COMBINATIONS
    assert kan.offending[0] == (("22", "F", "LS6 0AB"), 1)  # by count, then by values
    counts = [c for _, c in kan.offending]
    assert counts == sorted(counts) and all(c < 5 for c in counts)
    reason = result.reasons[-1]
    assert reason.code == "k-anonymity"
    assert str(reason).startswith("k-anonymity on age, sex, postcode is 1, below the required 5:")
    stored = result.as_dict()["k_anonymity"]
    assert stored["offending"][0] == {"values": {"age": "22", "sex": "F", "postcode": "LS6 0AB"},
                                      "count": 1}
    assert stored["offending_total"] == 37
    json.dumps(result.as_dict())


def test_generalised_microdata_passes():
    rows = generalise(microdata())
    result = review(MICRO_COLUMNS, rows, quasi_identifiers=["age", "sex", "postcode"])
    assert result.passed, [str(r) for r in result.reasons]
    assert result.k_anonymity.k == 6 and result.k_anonymity.offending == ()
    assert result.k_anonymity.classes == 6


def test_offending_list_is_capped_with_a_total():
    rows = [[i, "F", "LS1", 0] for i in range(40)]
    kan = k_anonymity(MICRO_COLUMNS, rows, ["age"], k=5, max_combinations=10)
    assert len(kan.offending) == 10 and kan.offending_total == 40 and kan.offending_rows == 40


def test_missing_values_form_their_own_class():
    rows = [[None, "F", "LS1", 0]] * 3 + [["", "F", "LS1", 0]] * 2 + [[float("nan"), "F", "LS1", 0]] \
        + [[40, "F", "LS1", 0]] * 5 + [[40.0, "F", "LS1", 0], ["40", "F", "LS1", 0]]
    kan = k_anonymity(MICRO_COLUMNS, rows, ["age", "sex"])
    assert kan.classes == 2 and kan.k == 6 and kan.passed
    rows.append([41, "F", "LS1", 0])
    kan = k_anonymity(MICRO_COLUMNS, rows, ["age", "sex"])
    assert kan.offending == ((("41", "F"), 1),)


def test_unknown_quasi_identifier_is_a_clear_error():
    with pytest.raises(UnknownColumn, match="quasi-identifier 'postal_code' is not a column"):
        review(MICRO_COLUMNS, microdata(), quasi_identifiers=["age", "postal_code"])
    with pytest.raises(UnknownColumn) as err:
        k_anonymity(MICRO_COLUMNS, [], ["Age"])
    assert err.value.column == "Age" and "age, sex, postcode, visits" in str(err.value)
    with pytest.raises(ValueError, match="at least one quasi-identifier"):
        k_anonymity(MICRO_COLUMNS, [], [])


def test_empty_table():
    result = review(MICRO_COLUMNS, [], quasi_identifiers=["age", "sex"])
    assert result.passed and result.findings == ()
    assert result.k_anonymity.k is None and result.k_anonymity.rows == 0
    assert result.as_dict()["k_anonymity"]["passed"] is True


def test_k_anonymity_on_an_arrow_table():
    table = pa.table({"age": [30, 30, None, None, 31], "sex": ["F", "F", "M", "M", "M"],
                      "postcode": ["A", "A", "B", "B", "C"], "visits": [1, 2, 3, 4, 5]})
    kan = k_anonymity(MICRO_COLUMNS, table, ["age", "sex"], k=2)
    assert kan.k == 1 and kan.offending == ((("31", "M"), 1),)


# ---------------------------------------------------------------- helpers and engine

def test_mask():
    assert mask("jane.doe@example.org", EMAIL) == "j***@e***.org"
    assert mask("Jane Smith") == "J*** S***"
    assert mask("53.801234", HOME_COORDINATES) == "53.80…"


def test_engine_is_built_once_without_a_model_or_the_network():
    """A fresh process with sockets and spaCy model loading disabled still builds and uses it."""
    script = textwrap.dedent("""
        import socket, spacy, spacy.util
        def refuse(*args, **kwargs):
            raise AssertionError("privacy gate tried to reach the network or load a model")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        spacy.load = refuse
        spacy.util.load_model = refuse
        from cityline.opendata.domain import privacy
        engine = privacy.analyzer()
        assert privacy.analyzer() is engine
        assert type(engine.nlp_engine).__name__ == "NoOpNlpEngine"
        found = privacy.detect(["email"], [["someone@example.org"]])
        assert found[0].flagged, found
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={"PATH": "", "PYTHONPATH": str(privacy.__file__).rsplit("/cityline/", 1)[0],
                               "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
