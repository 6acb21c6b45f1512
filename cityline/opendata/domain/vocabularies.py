"""URIs of the controlled vocabularies DCAT-AP 3 expects (B14: open standards).

Codes stored in the catalogue (``choices``) → the URIs harvesters look for:

- data themes, update frequencies, access rights and file types: the EU Publications
  Office authority tables (``http://publications.europa.eu/resource/authority/…``);
- media types: the IANA register (``https://www.iana.org/assignments/media-types/…``);
- licences: the EU licence table where it has the licence, otherwise the SPDX licence
  list (``https://spdx.org/licenses/<id>``), which has every id we store.

Plain data only; no Django (``tests/test_architecture.py``).
"""

from __future__ import annotations

EU = "http://publications.europa.eu/resource/authority/"
DATA_THEME_SCHEME = EU + "data-theme"
FREQUENCY_SCHEME = EU + "frequency"
ACCESS_RIGHT_SCHEME = EU + "access-right"
FILE_TYPE_SCHEME = EU + "file-type"
LICENCE_SCHEME = EU + "licence"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SPDX_LICENCES = "https://spdx.org/licenses/"

#: Titles of the EU authority tables (their own English titles).
SCHEME_TITLES = {
    DATA_THEME_SCHEME: "Data theme",
    FREQUENCY_SCHEME: "Frequency",
    ACCESS_RIGHT_SCHEME: "Access right",
    FILE_TYPE_SCHEME: "File type",
}

#: English labels of the codes we use (the authority tables' own preferred labels).
LABELS = {
    DATA_THEME_SCHEME: {
        "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
        "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
        "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
        "JUST": "Justice, legal system and public safety", "REGI": "Regions and cities",
        "SOCI": "Population and society", "TECH": "Science and technology", "TRAN": "Transport",
    },
    FREQUENCY_SCHEME: {
        "CONT": "continuous", "DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "QUARTERLY": "quarterly",
        "ANNUAL": "annual", "IRREG": "irregular", "NEVER": "never", "UNKNOWN": "unknown",
    },
    ACCESS_RIGHT_SCHEME: {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non-public"},
    FILE_TYPE_SCHEME: {
        "CSV": "CSV", "JSON": "JSON", "GEOJSON": "GeoJSON", "PARQUET": "Parquet", "JSON_LD": "JSON-LD",
        "RDF_XML": "RDF/XML", "RDF_TURTLE": "RDF Turtle", "XLSX": "XLSX", "XLS": "XLS", "PDF": "PDF",
        "XML": "XML", "SHP": "SHP", "HTML": "HTML",
    },
}


def label_of(uri: str) -> str:
    """The English label of an authority-table URI we produce (its code when unknown)."""
    scheme, _, code = uri.rpartition("/")
    return LABELS.get(scheme, {}).get(code, code)


#: SPDX id → code of the EU licence authority table (only licences that table has).
EU_LICENCE = {
    "CC0-1.0": "CC0",
    "CC-BY-4.0": "CC_BY_4_0",
    "CC-BY-SA-4.0": "CC_BYSA_4_0",
    "CC-BY-NC-4.0": "CC_BYNC_4_0",
    "ODbL-1.0": "ODC_BL",
    "ODC-By-1.0": "ODC_BY",
    "PDDL-1.0": "ODC_PDDL",
    "OGL-UK-3.0": "OGL_3_0",
}

#: ``choices.Format`` → EU file-type code (``API`` has none: an API is not a file).
FILE_TYPE = {
    "CSV": "CSV", "JSON": "JSON", "GeoJSON": "GEOJSON", "Parquet": "PARQUET", "JSON-LD": "JSON_LD",
    "RDF": "RDF_XML", "Turtle": "RDF_TURTLE", "XLSX": "XLSX", "XLS": "XLS", "PDF": "PDF", "XML": "XML",
    "SHP": "SHP", "HTML": "HTML",
}

#: ``choices.Format`` → IANA media type, used when a distribution has none of its own.
MEDIA_TYPE = {
    "CSV": "text/csv", "JSON": "application/json", "GeoJSON": "application/geo+json",
    "Parquet": "application/vnd.apache.parquet", "JSON-LD": "application/ld+json", "RDF": "application/rdf+xml",
    "Turtle": "text/turtle", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "XLS": "application/vnd.ms-excel", "PDF": "application/pdf", "XML": "application/xml", "HTML": "text/html",
    "SHP": "application/zip",
}

#: ``choices.AccessLevel`` → EU access-right code.
ACCESS_RIGHT = {"public": "PUBLIC", "restricted": "RESTRICTED", "internal": "NON_PUBLIC"}


def theme_uri(code: str) -> str:
    return f"{DATA_THEME_SCHEME}/{code}"


def frequency_uri(code: str) -> str:
    """``choices.Frequency`` values are the EU frequency codes themselves."""
    return f"{FREQUENCY_SCHEME}/{code}"


def access_right_uri(level: str) -> str:
    return f"{ACCESS_RIGHT_SCHEME}/{ACCESS_RIGHT.get(level, 'NON_PUBLIC')}"


def file_type_uri(fmt: str) -> str | None:
    code = FILE_TYPE.get(fmt)
    return f"{FILE_TYPE_SCHEME}/{code}" if code else None


def media_type_uri(media_type: str) -> str | None:
    """``text/csv; charset=utf-8`` → ``https://www.iana.org/assignments/media-types/text/csv``."""
    mt = (media_type or "").split(";")[0].strip().lower()
    if "/" not in mt or " " in mt:
        return None
    return IANA_MEDIA_TYPES + mt


def licence_uri(spdx_id: str) -> str | None:
    """The EU licence URI when the EU table has the licence, else the SPDX one; ``None`` for
    ``LicenseRef-…`` (own terms, which have no public identifier)."""
    if not spdx_id or spdx_id.startswith("LicenseRef-"):
        return None
    if spdx_id in EU_LICENCE:
        return f"{LICENCE_SCHEME}/{EU_LICENCE[spdx_id]}"
    return SPDX_LICENCES + spdx_id
