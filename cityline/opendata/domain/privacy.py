"""Privacy gate for open data: personal-data detection and k-anonymity (B8, B10).

Nothing reaches "public" without passing :func:`review`. The gate answers two
questions about a table:

1. **Does a column look like personal data?** (:func:`detect`) — e-mails, phone
   numbers, national identifiers (UK NI number, US SSN, French NIR/INSEE number),
   IBANs, payment cards, IP addresses, person names, exact street addresses and
   precise coordinates of homes, including inside free text. Value recognisers are
   Microsoft Presidio's predefined pattern recognisers plus three of ours (French
   NIR, street address, titled person name) written as Presidio ``PatternRecognizer``
   objects, so the whole detection runs through one maintained engine.
2. **Can a record be singled out by its quasi-identifiers?** (:func:`k_anonymity`) —
   the steward declares the quasi-identifier columns of a microdata table; every
   combination of their values must be shared by at least ``k`` rows (default 5).

Input is deliberately plain: ``columns`` is the header (a list of names) and ``rows``
any iterable of sequences in that order (lists or tuples, e.g. from ``csv.reader``,
a DuckDB ``fetchall()`` or ``pyarrow.Table.to_pylist`` turned into tuples). A
``pyarrow.Table`` is also accepted as ``rows`` (its column names must equal
``columns``); k-anonymity then runs on it directly in DuckDB without copying it
into Python. Detection scans only the first :data:`SAMPLE_ROWS` rows; k-anonymity
always counts every row.

This module never imports Django (``tests/test_architecture.py``). User-visible
messages are marked with :func:`gettext_noop` so ``makemessages`` extracts them, and
carried as :class:`Reason` objects (msgid + parameters); the face that shows them
calls :meth:`Reason.render` with Django's ``gettext``. See docs/opendata/privacy-gate.md.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (keeps domain/ Django-free)."""
    return message


# --------------------------------------------------------------------------- settings

#: Detection scans at most this many rows (the first ones).
SAMPLE_ROWS = 5_000
#: A column is flagged when more than this share of its sampled non-empty values match
#: a category that is not a direct identifier (phone, address, IP, coordinates ...).
SHARE_THRESHOLD = 0.05
#: Person names found by the header + value heuristic need a larger share (no NER).
PERSON_NAME_THRESHOLD = 0.30
#: Minimum Presidio score for a value match to count.
MIN_SCORE = 0.4
#: Regions whose national phone formats are recognised (international "+" numbers are
#: recognised from anywhere). Each region costs time: phonenumbers is most of the scan.
PHONE_REGIONS = ("GB", "FR", "US", "DE")
#: Fewest digits a phone number has; shorter digit runs ("ticket 1640") are not phones.
PHONE_MIN_DIGITS = 8
#: Examples kept per column (always masked).
MAX_EXAMPLES = 3
#: Offending k-anonymity combinations kept for display (the total is always given).
MAX_COMBINATIONS = 20
#: Default minimum equivalence-class size.
DEFAULT_K = 5
#: Coordinates with at least this many decimals are "precise" (1e-4 degree ≈ 11 m:
#: one building).
PRECISE_DECIMALS = 4

# Categories: code -> (label msgid, severity, direct identifier?)
EMAIL = "email"
PHONE = "phone"
NATIONAL_ID = "national_id"
IBAN = "iban"
PAYMENT_CARD = "payment_card"
IP_ADDRESS = "ip_address"
PERSON_NAME = "person_name"
STREET_ADDRESS = "street_address"
HOME_COORDINATES = "home_coordinates"
DATE_OF_BIRTH = "date_of_birth"

CATEGORY_LABELS: dict[str, str] = {
    EMAIL: gettext_noop("e-mail address"),
    PHONE: gettext_noop("phone number"),
    NATIONAL_ID: gettext_noop("national identifier"),
    IBAN: gettext_noop("bank account number (IBAN)"),
    PAYMENT_CARD: gettext_noop("payment card number"),
    IP_ADDRESS: gettext_noop("IP address"),
    PERSON_NAME: gettext_noop("person name"),
    STREET_ADDRESS: gettext_noop("street address"),
    HOME_COORDINATES: gettext_noop("precise home coordinates"),
    DATE_OF_BIRTH: gettext_noop("date of birth"),
}

#: Direct identifiers: one matching value is enough to flag the column.
DIRECT_IDENTIFIERS = frozenset({EMAIL, NATIONAL_ID, IBAN, PAYMENT_CARD})

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITY_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}
CATEGORY_SEVERITY = {
    EMAIL: HIGH, NATIONAL_ID: HIGH, IBAN: HIGH, PAYMENT_CARD: HIGH, PERSON_NAME: HIGH,
    DATE_OF_BIRTH: HIGH, PHONE: MEDIUM, STREET_ADDRESS: MEDIUM, HOME_COORDINATES: MEDIUM,
    IP_ADDRESS: MEDIUM,
}

# Presidio entity -> our category.
_ENTITY_CATEGORY = {
    "EMAIL_ADDRESS": EMAIL,
    "PHONE_NUMBER": PHONE,
    "UK_NINO": NATIONAL_ID,
    "US_SSN": NATIONAL_ID,
    "FR_NIR": NATIONAL_ID,
    "IBAN_CODE": IBAN,
    "CREDIT_CARD": PAYMENT_CARD,
    "IP_ADDRESS": IP_ADDRESS,
    "STREET_ADDRESS": STREET_ADDRESS,
    "TITLED_PERSON": PERSON_NAME,
}

_ENTITIES = list(_ENTITY_CATEGORY)
_ENTITIES_NO_PHONE = [e for e in _ENTITIES if e != "PHONE_NUMBER"]

# Role mailboxes of an organisation (info@, contact@ ...) are not personal data: a
# "contact" column of the city's generic office addresses must not block a dataset.
ROLE_MAILBOXES = frozenset({
    "info", "contact", "contacts", "enquiries", "enquiry", "hello", "office", "admin",
    "opendata", "open-data", "open.data", "data", "press", "media", "support", "help",
    "helpdesk", "service", "services", "noreply", "no-reply", "donotreply", "webmaster",
    "postmaster", "sales", "accueil", "mairie", "secretariat", "communication", "dpo",
    "privacy", "rgpd", "gdpr", "customerservices", "customer.services", "team", "licensing",
    "planning", "roadworks", "parking", "waste", "transport", "environment",
})


# --------------------------------------------------------------------------- headers

def _normalise(header: str) -> str:
    """``"Prénom_Client"`` / ``"firstName"`` -> ``"prenom client"`` / ``"first name"``."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(header))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.split(r"[^a-z0-9]+", text.lower())).strip()


# A header equal to one of these is a strong hint: the column is flagged as soon as it
# holds any non-empty value, whatever the values look like.
_STRONG_HEADERS: dict[str, frozenset[str]] = {
    EMAIL: frozenset({"email", "e mail", "email address", "mail", "courriel", "adresse email",
                      "adresse mail", "adresse electronique", "personal email"}),
    PHONE: frozenset({"phone", "phone number", "telephone", "tel", "mobile", "mobile number",
                      "cell", "cellphone", "portable", "numero de telephone", "home phone"}),
    NATIONAL_ID: frozenset({"ssn", "social security number", "nino", "ni number", "ni no",
                            "national insurance number", "national insurance", "nir", "insee",
                            "numero insee", "numero de securite sociale", "numero secu",
                            "national id", "national identifier", "passport number",
                            "id card number"}),
    IBAN: frozenset({"iban", "bank account", "account number", "rib"}),
    PAYMENT_CARD: frozenset({"credit card", "card number", "credit card number", "pan"}),
    PERSON_NAME: frozenset({"first name", "firstname", "last name", "lastname", "surname",
                            "given name", "given names", "forename", "family name", "full name",
                            "fullname", "prenom", "nom de famille", "nom prenom", "prenom nom",
                            "nom complet", "person name", "resident name", "applicant name",
                            "patient name", "citizen name", "owner name", "contact name",
                            "tenant name", "employee name", "maiden name"}),
    STREET_ADDRESS: frozenset({"home address", "street address", "postal address",
                               "residential address", "address line 1", "address1",
                               "adresse postale", "adresse domicile", "domicile"}),
    DATE_OF_BIRTH: frozenset({"date of birth", "dob", "birth date", "birthdate", "birthday",
                              "date de naissance", "date naissance"}),
}

# Weak hints: they only switch on a value check that would be too noisy everywhere.
_NAME_HEADERS = frozenset({"name", "nom", "contact", "owner", "resident", "applicant",
                           "person", "citizen", "patient", "tenant", "author", "reporter",
                           "complainant", "employee", "driver", "occupant", "householder"})
_ADDRESS_HEADERS = frozenset({"address", "adresse", "location address", "site address"})
_COORD_HEADERS = {
    "lat": frozenset({"lat", "latitude", "y", "lat wgs84", "latitude wgs84", "home lat",
                      "home latitude"}),
    "lon": frozenset({"lon", "lng", "long", "longitude", "x", "lon wgs84", "longitude wgs84",
                      "home lon", "home lng", "home longitude"}),
}
_GEOMETRY_HEADERS = frozenset({"geometry", "geom", "the geom", "geojson", "geo point",
                               "geo point 2d", "point", "location", "coordinates", "coords",
                               "wkt", "geo shape", "position", "home location"})
# Words in a header that make a table "about people or households": precise coordinates
# are then taken as homes. Any personal-data finding in another column has the same effect.
_PEOPLE_WORDS = frozenset({
    "resident", "residents", "household", "households", "person", "persons", "people",
    "citizen", "citizens", "patient", "patients", "applicant", "applicants", "tenant",
    "tenants", "owner", "owners", "occupant", "occupants", "victim", "victims", "pupil",
    "pupils", "student", "students", "claimant", "claimants", "beneficiary", "beneficiaries",
    "age", "gender", "sex", "birth", "ethnicity", "income", "habitant", "habitants",
    "menage", "menages", "foyer", "individu", "individus", "naissance", "sexe", "user",
    "users", "customer", "customers", "driver", "drivers", "household id", "person id",
})


def _header_kind(header: str) -> tuple[str | None, bool, bool]:
    """(strong category or None, weak name hint, weak address hint)."""
    norm = _normalise(header)
    for category, names in _STRONG_HEADERS.items():
        if norm in names:
            return category, False, False
    tokens = norm.split()
    name_hint = norm in _NAME_HEADERS or (
        len(tokens) == 2 and tokens[1] in {"name", "nom"} and tokens[0] in _NAME_HEADERS)
    address_hint = norm in _ADDRESS_HEADERS or (bool(tokens) and tokens[-1] in {"address", "adresse"})
    return None, name_hint, address_hint


# --------------------------------------------------------------------------- engine

# Why no NER: Presidio finds names and addresses in prose with a spaCy NER model
# (en_core_web_lg), which is not installed and cannot be downloaded on a city's server
# (no internet at run time). The engine therefore runs Presidio's NoOpNlpEngine —
# which loads no model at all — with pattern recognisers only. Person names are found
# by header hints plus a value-shape check (:func:`_looks_like_person_name`), and by a
# title pattern ("Mr Smith", "Mme Dupont") in free text; addresses by a house-number +
# street-word pattern.

_ENGINE_LOCK = threading.Lock()
_ENGINE: Any = None
_TITLED: Any = None

_STREET_WORDS_EN = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Close|Way|Place|Pl|Crescent|Cres|Court|Ct|"
    r"Terrace|Gardens|Gdns|Boulevard|Blvd|Grove|Row|Square|Sq|Mews|Walk|Parade|Hill|Rise|"
    r"View|Park Road|Highway|Hwy")
_STREET_WORDS_FR = (
    r"[Rr]ue|[Aa]venue|[Aa]v\.|[Bb]oulevard|[Bb]d|[Pp]lace|[Cc]hemin|[Ii]mpasse|[Aa]ll[ée]e|"
    r"[Qq]uai|[Rr]oute|[Cc]ours|[Ss]quare|[Pp]assage|[Vv]illa|[Rr][ée]sidence|[Ff]aubourg|"
    r"[Ss]entier")
_ADDRESS_PATTERNS = (
    # "12 High Street", "4a Church Road", "221B Baker St"
    (r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){1,4}(?:" + _STREET_WORDS_EN + r")\b", 0.6),
    # "12 rue de la Paix", "3 bis, avenue Jean Jaurès"
    # an article or a capital must follow, so "3 route changes" is not an address
    (r"\b\d{1,4}\s?(?:bis|ter|[a-d])?,?\s+(?:" + _STREET_WORDS_FR + r")\s+"
     r"(?:de\s+la\s+|de\s+l['’]|du\s+|des\s+|de\s+|d['’])?[A-ZÉÈÀÇ][\w'’-]+", 0.6),
)
_TITLE_PATTERN = (
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|M\.|Mme|Mlle|Monsieur|Madame|Mademoiselle)"
    r"\.?\s+(?:[A-Z][a-zà-ÿ'’-]+\s+){0,2}[A-Z][a-zà-ÿ'’-]+\b")


def _nir_is_valid(text: str) -> bool:
    """French NIR: 13 digits (Corsica 2A/2B) then the key 97 - (number mod 97)."""
    digits = re.sub(r"\s", "", text).upper()
    if len(digits) != 15:
        return False
    body, key = digits[:13], digits[13:]
    body = body.replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not key.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)


def _build_engine():
    import tldextract
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UkNinoRecognizer,
        UsSsnRecognizer,
    )

    # tldextract, used by Presidio's e-mail check, fetches the Public Suffix List over
    # the network on first use. Use its bundled snapshot instead; accept the reserved
    # test domains (RFC 2606) that synthetic data use.
    offline_tld = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                        extra_suffixes=("example", "test", "invalid"))

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str):
            return offline_tld(pattern_text).fqdn != ""

    class FrNirRecognizer(PatternRecognizer):
        def validate_result(self, pattern_text: str):
            return _nir_is_valid(pattern_text)

    nir = FrNirRecognizer(
        supported_entity="FR_NIR", name="FrNirRecognizer",
        patterns=[Pattern("NIR", r"\b[12]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2[AB])"
                                 r"\s?\d{3}\s?\d{3}\s?\d{2}\b", 0.5)])
    # Our patterns are case-sensitive (Presidio's default adds IGNORECASE): capitals
    # are what tells "12 High Street" from "5 stops on the road".
    flags = re.DOTALL | re.MULTILINE
    address = PatternRecognizer(global_regex_flags=flags,
        supported_entity="STREET_ADDRESS", name="StreetAddressRecognizer",
        patterns=[Pattern(f"address-{i}", rx, score) for i, (rx, score) in enumerate(_ADDRESS_PATTERNS)])
    titled = PatternRecognizer(global_regex_flags=flags,
        supported_entity="TITLED_PERSON", name="TitledPersonRecognizer",
        patterns=[Pattern("title + name", _TITLE_PATTERN, 0.6)])

    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        OfflineEmailRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS),
        IbanRecognizer(), CreditCardRecognizer(), UsSsnRecognizer(), UkNinoRecognizer(),
        IpRecognizer(), nir, address, titled,
    ):
        registry.add_recognizer(recognizer)
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    nlp.load()
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
    return engine, titled


def analyzer():
    """The shared Presidio ``AnalyzerEngine`` (built once, thread-safe, no model, no network)."""
    global _ENGINE, _TITLED
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                _ENGINE, _TITLED = _build_engine()
    return _ENGINE


# --------------------------------------------------------------------------- values

_NAME_WORD = re.compile(r"^(?:[A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)*|[A-Z]\.|O['’][A-Z][a-z]+|Mc[A-Z][a-z]+)$")
_PARTICLES = frozenset({"de", "du", "des", "la", "le", "van", "von", "der", "den", "da", "di",
                        "del", "bin", "ibn", "al", "st"})
# Capitalised words that make a value a place, a body or a thing rather than a person.
_NOT_PERSON_WORDS = frozenset({
    "park", "street", "road", "avenue", "lane", "station", "stop", "school", "college",
    "university", "hall", "centre", "center", "square", "bridge", "library", "museum",
    "church", "hospital", "market", "gardens", "garden", "green", "place", "house", "court",
    "council", "city", "town", "borough", "district", "ward", "county", "north", "south",
    "east", "west", "central", "upper", "lower", "high", "new", "old", "great", "little",
    "saint", "sainte", "gare", "rue", "parc", "ecole", "école", "mairie", "pont", "quai",
    "port", "dock", "docks", "wharf", "airport", "terminal", "depot", "works", "estate",
    "way", "close", "drive", "grove", "hill", "view", "row", "crescent", "terrace",
    "interchange", "junction", "cross", "gate", "river", "lake", "wood", "forest", "farm",
    "ltd", "limited", "plc", "inc", "sa", "sas", "association", "trust", "services",
    "department", "office", "team", "group", "club", "pool", "leisure", "sports", "arena",
    "stadium", "theatre", "cinema", "bus", "tram", "metro", "line", "route", "lot",
    "car", "parking", "hub", "point", "zone", "area", "sector", "quarter", "village",
})


def _looks_like_person_name(value: str) -> bool:
    """Two to four capitalised words ("Jane Smith", "Jean-Luc de la Fontaine", "SMITH, Jane")."""
    text = value.strip()
    if "," in text:  # "SMITH, Jane"
        last, _, first = text.partition(",")
        text = f"{first.strip()} {last.strip().title()}"
    words = text.split()
    if not 2 <= len(words) <= 5:
        return False
    capitalised = 0
    for word in words:
        if word.lower() in _PARTICLES:
            continue
        if word.lower().strip(".") in _NOT_PERSON_WORDS or not _NAME_WORD.match(word):
            return False
        capitalised += 1
    return 2 <= capitalised <= 4


_DECIMALS = re.compile(r"^[+-]?\d{1,3}\.(\d+)$")


def _decimals(value: Any) -> int | None:
    """Decimals of a latitude/longitude-looking number, or None if it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > 180:
            return None
        text = repr(value)
    elif isinstance(value, int):
        return 0 if abs(value) <= 180 else None
    else:
        text = str(value).strip().replace(",", ".")
    match = _DECIMALS.match(text)
    if match:
        return len(match.group(1))
    return 0 if re.fullmatch(r"[+-]?\d{1,3}", text) else None


_WKT_POINT = re.compile(r"^\s*POINT\s*Z?\s*\(\s*([+-]?[\d.]+)[ ,]+([+-]?[\d.]+)", re.I)


def _point_decimals(value: Any) -> int | None:
    """Least precise coordinate of a GeoJSON / WKT / "lat,lon" point, or None if not a point."""
    coords = None
    if isinstance(value, Mapping):
        geometry = value.get("geometry", value)
        if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
    elif isinstance(value, (list, tuple)) and len(value) in (2, 3):
        coords = value
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                return _point_decimals(json.loads(text))
            except ValueError:
                return None
        match = _WKT_POINT.match(text)
        if match:
            coords = [match.group(1), match.group(2)]
        elif re.fullmatch(r"[+-]?\d{1,3}\.\d+\s*[,; ]\s*[+-]?\d{1,3}\.\d+", text):
            coords = re.split(r"\s*[,; ]\s*", text)
    if not coords or len(coords) < 2:
        return None
    places = [_decimals(c) for c in coords[:2]]
    if any(p is None for p in places):
        return None
    return min(places)


def _mask_token(token: str) -> str:
    return token[:1] + "***" if len(token) > 1 else "*"


def mask(text: str, category: str = "") -> str:
    """Mask personal data for display: ``jane.doe@example.org`` -> ``j***@e***.org``.

    Every word keeps its first character only; an e-mail keeps its top-level domain;
    a coordinate keeps two decimals. Reports never echo the raw value.
    """
    text = str(text).strip()
    if category == EMAIL and "@" in text:
        local, _, domain = text.rpartition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{_mask_token(local)}@{_mask_token(host)}{dot}{tld}" if dot else \
            f"{_mask_token(local)}@{_mask_token(domain)}"
    if category == HOME_COORDINATES:
        return re.sub(r"(\d+\.\d{2})\d+", r"\1…", text)
    return re.sub(r"[^\W_]+", lambda m: _mask_token(m.group(0)), text)


# --------------------------------------------------------------------------- detection

@dataclass(frozen=True)
class ColumnFinding:
    """What the gate found in one column.

    ``share`` is the fraction (0–1) of sampled non-empty values that matched any
    category; ``matches`` counts them per category. ``flagged`` columns block
    publication; the others are shown for information only.
    """

    column: str
    categories: tuple[str, ...]
    share: float
    non_empty: int
    matches: Mapping[str, int]
    examples: tuple[str, ...]
    severity: str
    flagged: bool
    header_hint: str | None = None
    free_text: bool = False

    def as_dict(self) -> dict:
        return {
            "column": self.column, "categories": list(self.categories),
            "share": round(self.share, 4), "non_empty": self.non_empty,
            "matches": dict(self.matches), "examples": list(self.examples),
            "severity": self.severity, "flagged": self.flagged,
            "header_hint": self.header_hint, "free_text": self.free_text,
        }


def _check_header(columns: Sequence[str]) -> list[str]:
    columns = [str(c) for c in columns]
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise ValueError(f"column {name!r} appears twice in the header")
        seen.add(name)
    return columns


def _sample(columns: Sequence[str], rows: Any, limit: int | None) -> list[Sequence]:
    if _is_arrow(rows):
        table = rows.slice(0, limit) if limit is not None else rows
        if list(table.column_names) != list(columns):
            raise ValueError(f"table columns {table.column_names} differ from {list(columns)}")
        data = [table.column(i).to_pylist() for i in range(table.num_columns)]
        return list(zip(*data))
    out = []
    for number, row in enumerate(rows, 1):
        if limit is not None and number > limit:
            break
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise ValueError(f"row {number} is not a sequence of cells")
        if len(row) != len(columns):
            raise ValueError(f"row {number} has {len(row)} cells, the header has {len(columns)}")
        out.append(row)
    return out


def _is_arrow(rows: Any) -> bool:
    return type(rows).__module__.startswith("pyarrow") and hasattr(rows, "column_names")


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _is_free_text(values: Sequence[str]) -> bool:
    texts = [v for v in values if isinstance(v, str)]
    if not texts:
        return False
    long = sum(1 for v in texts if len(v) >= 40 and len(v.split()) >= 6)
    return long / len(texts) >= 0.2


def _value_categories(value: Any, engine, titled) -> dict[str, str]:
    """Categories matched by one cell -> the matched text (first match each)."""
    if isinstance(value, (int, float, bool)) or not isinstance(value, str):
        return {}
    text = value
    if len(text) > 10_000:
        text = text[:10_000]
    if not any(ch.isdigit() for ch in text) and "@" not in text and ":" not in text:
        # Nothing but a titled name can match without a digit, "@" or ":" — skip the
        # full engine (most text cells of a city table), keeping 5,000 rows fast.
        results = titled.analyze(text, ["TITLED_PERSON"], None)
    elif len(text.strip()) < 7:
        return {}
    else:
        digits = sum(ch.isdigit() for ch in text)
        entities = _ENTITIES if digits >= PHONE_MIN_DIGITS else _ENTITIES_NO_PHONE
        results = engine.analyze(text, language="en", entities=entities, score_threshold=MIN_SCORE)
    found: dict[str, str] = {}
    for r in sorted(results, key=lambda r: r.start):
        if r.score < MIN_SCORE:
            continue
        category = _ENTITY_CATEGORY.get(r.entity_type)
        if category is None or category in found:
            continue
        span = text[r.start:r.end]
        if category == PHONE and sum(ch.isdigit() for ch in span) < PHONE_MIN_DIGITS:
            continue
        if category == EMAIL and span.rpartition("@")[0].lower() in ROLE_MAILBOXES:
            continue
        found[category] = span
    if PHONE in found and len(found) > 1 and found[PHONE] in " ".join(
            v for k, v in found.items() if k != PHONE):
        del found[PHONE]  # an IBAN / card / NI number read as a phone number as well
    return found


def detect(columns: Sequence[str], rows: Iterable[Sequence] | Any, *,
           sample_rows: int = SAMPLE_ROWS, about_people: bool | None = None,
           ) -> list[ColumnFinding]:
    """Columns that look like personal data, in header order (columns with no sign omitted).

    Scans the first ``sample_rows`` rows. ``about_people`` says whether the table is
    about people or households (precise coordinates then count as homes); ``None``
    infers it from the headers and from the other findings (see the docs).
    """
    columns = _check_header(columns)
    sample = _sample(columns, rows, sample_rows)
    engine = analyzer()
    titled = _TITLED
    interim: list[dict] = []
    for index, name in enumerate(columns):
        strong, name_hint, address_hint = _header_kind(name)
        name_hint = name_hint or strong == PERSON_NAME
        values = [row[index] for row in sample if not _empty(row[index])]
        counts = Counter(v if isinstance(v, (str, int, float, bool)) else json.dumps(v, default=str)
                         for v in values)
        raw = {}
        for v in values:
            key = v if isinstance(v, (str, int, float, bool)) else json.dumps(v, default=str)
            raw.setdefault(key, v)
        matches: Counter[str] = Counter()
        any_match = 0
        examples: dict[str, list[str]] = {}
        norm = _normalise(name)
        coord_header = any(norm in names for names in _COORD_HEADERS.values())
        geometry_header = norm in _GEOMETRY_HEADERS
        precise_points = 0
        for key, count in counts.items():
            value = raw[key]
            found = _value_categories(value, engine, titled)
            if name_hint and isinstance(value, str) and PERSON_NAME not in found \
                    and _looks_like_person_name(value):
                found[PERSON_NAME] = value
            if coord_header or geometry_header:
                places = _decimals(value) if coord_header else _point_decimals(value)
                if places is not None and places >= PRECISE_DECIMALS:
                    found[HOME_COORDINATES] = str(value) if coord_header else \
                        ", ".join(f"{float(c):.{places}f}" for c in _coords_of(value))
                    precise_points += count
            if PHONE in found and count >= DEFAULT_K and not strong:
                # One number on many rows is an office switchboard, not a person's line.
                del found[PHONE]
            if not found:
                continue
            any_match += count
            for category, span in found.items():
                matches[category] += count
                bucket = examples.setdefault(category, [])
                if len(bucket) < MAX_EXAMPLES:
                    bucket.append(mask(span, category))
        if not values:
            continue  # an empty column, whatever its name, carries nothing to publish
        interim.append({
            "column": name, "strong": strong, "address_hint": address_hint,
            "name_hint": name_hint, "non_empty": len(values), "matches": matches,
            "any": any_match, "examples": examples,
            "free_text": _is_free_text([raw[k] for k in counts]),
        })

    people = about_people
    if people is None:
        words = {w for c in columns for w in _normalise(c).split()} | {_normalise(c) for c in columns}
        people = bool(words & _PEOPLE_WORDS) or any(
            _flags(item, people=False)[0] for item in interim)
    findings = []
    for item in interim:
        flagged, categories, severity = _flags(item, people=people)
        if not categories:
            continue
        examples = tuple(e for c in categories for e in item["examples"].get(c, []))[:MAX_EXAMPLES]
        findings.append(ColumnFinding(
            column=item["column"], categories=categories,
            share=item["any"] / item["non_empty"], non_empty=item["non_empty"],
            matches={c: item["matches"][c] for c in categories if item["matches"][c]},
            examples=examples, severity=severity, flagged=flagged,
            header_hint=item["strong"], free_text=item["free_text"],
        ))
    return findings


def _coords_of(value: Any) -> list:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            match = _WKT_POINT.match(text)
            if match:
                return [match.group(1), match.group(2)]
            return re.split(r"\s*[,; ]\s*", text)[:2]
    if isinstance(value, Mapping):
        value = value.get("geometry", value).get("coordinates")
    return list(value)[:2]


def _flags(item: Mapping, *, people: bool) -> tuple[bool, tuple[str, ...], str]:
    """(flagged, categories shown, severity) for one column's counts."""
    n = item["non_empty"]
    matches: Counter = item["matches"]
    strong = item["strong"]
    flagged_cats: list[str] = []
    shown: list[str] = []
    for category, count in matches.items():
        if not count:
            continue
        share = count / n
        if category in DIRECT_IDENTIFIERS:
            hit = True
        elif category == HOME_COORDINATES:
            hit = people and share > SHARE_THRESHOLD
        elif category == PERSON_NAME:
            hit = share > PERSON_NAME_THRESHOLD or (item["free_text"] and count > 0)
        elif category == STREET_ADDRESS:
            hit = share > SHARE_THRESHOLD or item["address_hint"] or item["free_text"]
        else:  # phone, IP address
            hit = share > SHARE_THRESHOLD or item["free_text"]
        shown.append(category)
        if hit:
            flagged_cats.append(category)
    if strong and strong not in flagged_cats:
        flagged_cats.append(strong)
        if strong not in shown:
            shown.append(strong)
    if not shown:
        return False, (), LOW
    order = list(CATEGORY_LABELS)
    shown.sort(key=order.index)
    if flagged_cats:
        severity = min((CATEGORY_SEVERITY[c] for c in flagged_cats), key=SEVERITY_ORDER.get)
        return True, tuple(shown), severity
    return False, tuple(shown), LOW


# --------------------------------------------------------------------------- k-anonymity

class UnknownColumn(ValueError):
    """A quasi-identifier that is not a column of the table."""

    def __init__(self, column: str, columns: Sequence[str]):
        self.column = column
        super().__init__(f"quasi-identifier {column!r} is not a column of this table "
                         f"(columns: {', '.join(columns)})")


@dataclass(frozen=True)
class KAnonymity:
    """Equivalence classes of the quasi-identifiers over every row.

    ``k`` is the smallest class size (None for an empty table); ``offending`` lists
    the classes smaller than ``required`` as (values, count), smallest first, at most
    :data:`MAX_COMBINATIONS`; ``offending_total`` and ``offending_rows`` count all of them.
    Missing values (None, NaN, empty string) form a value of their own, shown as None.
    """

    quasi_identifiers: tuple[str, ...]
    required: int
    k: int | None
    rows: int
    classes: int
    offending: tuple[tuple[tuple[Any, ...], int], ...]
    offending_total: int
    offending_rows: int

    @property
    def passed(self) -> bool:
        return self.k is None or self.k >= self.required

    def as_dict(self) -> dict:
        return {
            "quasi_identifiers": list(self.quasi_identifiers), "required": self.required,
            "k": self.k, "rows": self.rows, "classes": self.classes, "passed": self.passed,
            "offending": [{"values": dict(zip(self.quasi_identifiers, values)), "count": count}
                          for values, count in self.offending],
            "offending_total": self.offending_total, "offending_rows": self.offending_rows,
        }


def _cell_text(value: Any) -> str | None:
    if _empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def k_anonymity(columns: Sequence[str], rows: Iterable[Sequence] | Any,
                quasi_identifiers: Sequence[str], *, k: int = DEFAULT_K,
                max_combinations: int = MAX_COMBINATIONS) -> KAnonymity:
    """Group every row by the quasi-identifiers (in DuckDB) and report classes below ``k``.

    Values are compared as text (``3`` and ``"3"`` and ``3.0`` are the same value);
    missing values are one value of their own.
    """
    import duckdb
    import pyarrow as pa

    columns = _check_header(columns)
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    qis = list(dict.fromkeys(str(q) for q in quasi_identifiers))
    if not qis:
        raise ValueError("declare at least one quasi-identifier column")
    for q in qis:
        if q not in columns:
            raise UnknownColumn(q, columns)
    if _is_arrow(rows):
        if list(rows.column_names) != list(columns):
            raise ValueError(f"table columns {rows.column_names} differ from {list(columns)}")
        table = pa.table({f"c{i}": rows.column(q).cast(pa.string()) for i, q in enumerate(qis)})
    else:
        positions = [columns.index(q) for q in qis]
        data: list[list] = [[] for _ in qis]
        for row in _sample(columns, rows, None):
            for slot, pos in zip(data, positions):
                slot.append(_cell_text(row[pos]))
        table = pa.table({f"c{i}": pa.array(d, type=pa.string()) for i, d in enumerate(data)})
    names = ", ".join(f"c{i}" for i in range(len(qis)))
    # Blank strings count as missing, like None: both say "no value". GROUP BY puts all
    # NULLs of a column in one group, so a missing value is a value of its own.
    cleaned = ", ".join(f"nullif(trim(c{i}), '') AS c{i}" for i in range(len(qis)))
    con = duckdb.connect()
    try:
        con.register("t", table)
        con.execute(f"CREATE TEMP TABLE classes AS SELECT {names}, count(*) AS n "
                    f"FROM (SELECT {cleaned} FROM t) GROUP BY ALL")
        total_rows, n_classes, smallest = con.execute(
            "SELECT coalesce(sum(n), 0), count(*), min(n) FROM classes").fetchone()
        off_total, off_rows = con.execute(
            "SELECT count(*), coalesce(sum(n), 0) FROM classes WHERE n < ?", [k]).fetchone()
        offending = con.execute(
            f"SELECT {names}, n FROM classes WHERE n < ? ORDER BY n, {names} NULLS FIRST LIMIT ?",
            [k, max_combinations]).fetchall()
    finally:
        con.close()
    return KAnonymity(
        quasi_identifiers=tuple(qis), required=k,
        k=int(smallest) if smallest is not None else None, rows=int(total_rows),
        classes=int(n_classes),
        offending=tuple((tuple(r[:-1]), int(r[-1])) for r in offending),
        offending_total=int(off_total), offending_rows=int(off_rows),
    )


# --------------------------------------------------------------------------- the gate

@dataclass(frozen=True)
class Reason:
    """One human-readable reason the gate blocked publication.

    ``message`` is an English msgid with ``%(name)s`` placeholders; ``params`` fill
    them. ``categories`` are category codes rendered as translated labels into the
    ``%(categories)s`` placeholder.
    """

    code: str
    column: str | None
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    categories: tuple[str, ...] = ()

    def render(self, gettext: Callable[[str], str] = gettext_noop) -> str:
        params = dict(self.params)
        if self.categories:
            params["categories"] = ", ".join(gettext(CATEGORY_LABELS[c]) for c in self.categories)
        return gettext(self.message) % params

    def __str__(self) -> str:
        return self.render()

    def as_dict(self) -> dict:
        return {"code": self.code, "column": self.column, "message": self.message,
                "params": dict(self.params), "categories": list(self.categories),
                "text": self.render()}


MSG_COLUMN = gettext_noop(
    "Column “%(column)s” looks like personal data (%(categories)s): %(percent)s%% of the "
    "sampled values match.")
MSG_HEADER = gettext_noop(
    "Column “%(column)s” is named like personal data (%(categories)s).")
MSG_K = gettext_noop(
    "k-anonymity on %(columns)s is %(found)s, below the required %(required)s: "
    "%(combinations)s combinations identify fewer than %(required)s rows each.")


@dataclass(frozen=True)
class Review:
    """The gate's decision on one table.

    ``passed`` is False when any column is flagged or k-anonymity is below ``k``.
    ``findings`` holds the column findings (flagged or not); ``k_anonymity`` the
    equivalence-class result when quasi-identifiers were declared. ``k`` is the
    required minimum class size.
    """

    passed: bool
    findings: tuple[ColumnFinding, ...]
    k_anonymity: KAnonymity | None
    k: int
    reasons: tuple[Reason, ...]
    sampled_rows: int

    @property
    def flagged(self) -> tuple[ColumnFinding, ...]:
        return tuple(f for f in self.findings if f.flagged)

    def as_dict(self) -> dict:
        """JSON-serialisable, for storing on a record (no raw personal data inside)."""
        return {
            "passed": self.passed, "k": self.k, "sampled_rows": self.sampled_rows,
            "findings": [f.as_dict() for f in self.findings],
            "k_anonymity": self.k_anonymity.as_dict() if self.k_anonymity else None,
            "reasons": [r.as_dict() for r in self.reasons],
        }


def review(columns: Sequence[str], rows: Iterable[Sequence] | Any, *,
           quasi_identifiers: Sequence[str] = (), k: int = DEFAULT_K,
           about_people: bool | None = None, sample_rows: int = SAMPLE_ROWS) -> Review:
    """Run the privacy gate on a table: detection on a sample, k-anonymity on every row.

    ``rows`` may be a one-shot iterator: it is read once. Raises :class:`UnknownColumn`
    for a quasi-identifier that is not a column, ``ValueError`` for a ragged row.
    """
    columns = _check_header(columns)
    if not _is_arrow(rows) and quasi_identifiers:
        rows = _sample(columns, rows, None)  # k-anonymity needs every row; read them once
    for q in quasi_identifiers:
        if str(q) not in columns:
            raise UnknownColumn(str(q), columns)
    sample = rows.slice(0, sample_rows) if _is_arrow(rows) else _sample(columns, rows, sample_rows)
    findings = tuple(detect(columns, sample, sample_rows=sample_rows, about_people=about_people))
    reasons: list[Reason] = []
    for f in findings:
        if not f.flagged:
            continue
        if f.matches:
            reasons.append(Reason("personal-data", f.column, MSG_COLUMN,
                                  {"column": f.column, "percent": _percent(f.share)},
                                  tuple(c for c in f.categories if c in f.matches)))
        else:
            reasons.append(Reason("personal-data-header", f.column, MSG_HEADER,
                                  {"column": f.column}, f.categories))
    kanon = None
    if quasi_identifiers:
        kanon = k_anonymity(columns, rows, quasi_identifiers, k=k)
        if not kanon.passed:
            reasons.append(Reason("k-anonymity", None, MSG_K, {
                "columns": ", ".join(kanon.quasi_identifiers), "found": kanon.k,
                "required": k, "combinations": kanon.offending_total}))
    return Review(passed=not reasons, findings=findings, k_anonymity=kanon, k=k,
                  reasons=tuple(reasons),
                  sampled_rows=sample.num_rows if _is_arrow(sample) else len(sample))


def _percent(share: float) -> str:
    value = share * 100
    return f"{value:.0f}" if value >= 1 or value == 0 else f"{value:.1f}"
