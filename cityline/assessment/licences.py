"""The licence of the published assessment (B2.g): an SPDX identifier, or the address of the terms.

The licences Cityline knows and their addresses are the open data platform's
(``cityline.opendata.choices.Licence`` and :func:`cityline.opendata.domain.vocabularies.licence_uri`: the EU
licence table's IRI where it has the licence, otherwise the SPDX one). A known licence may be written as
people write it ("CC BY 4.0", "odbl 1.0"); it is stored as its SPDX identifier. Any other SPDX identifier
("CC-BY-3.0", "Apache-2.0": no spaces, letters, digits, ``.``, ``+`` and ``-``) is kept as written and
linked to its page on the SPDX list. Any other text is refused where it is entered, since ``dct:license``
takes a licence document, never a text; one stored before that check stays (it never blocks other edits)
and is described as a licence document by its title.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from cityline.opendata.choices import Licence
from cityline.opendata.domain.vocabularies import licence_uri

DEFAULT_LICENCE = "CC-BY-4.0"
_URL = URLValidator(schemes=["http", "https"])
#: The shape of an SPDX licence identifier (``+``: "or any later version"); the ``LicenseRef-``/``DocumentRef-``
#: references name a document of their own, never one on the SPDX list, so they are not identifiers here.
_SPDX_ID = re.compile(r"[A-Za-z0-9.+-]+")
_SPDX_PAGE = "https://spdx.org/licenses/{}.html"


def _loose(text: str) -> str:
    return "-".join(text.replace("_", " ").replace("-", " ").split()).casefold()


#: Every licence of the platform with a public address, by its identifier as loosely written.
KNOWN = {_loose(spdx): spdx for spdx in Licence.values if licence_uri(spdx)}


def known_licence(text: str) -> str | None:
    """The SPDX identifier of a licence Cityline knows and can link to, however it is written; else None."""
    return KNOWN.get(_loose(text or ""))


def is_url(text: str) -> bool:
    try:
        _URL(text)
    except ValidationError:
        return False
    return True


def is_spdx_id(text: str) -> bool:
    """Whether ``text`` has the shape of an SPDX licence identifier (not a ``LicenseRef-`` of one's own)."""
    return (bool(_SPDX_ID.fullmatch(text or "")) and any(c.isalnum() for c in text)
            and not text.casefold().startswith(("licenseref-", "documentref-")))


def canonical(text: str) -> str | None:
    """What to store for a licence as entered: the SPDX identifier of a licence Cityline knows, however it is
    written; any other SPDX identifier or the URL of the terms as given; None when it is none of these (blank
    means the default licence)."""
    text = (text or "").strip()
    if not text:
        return ""
    return known_licence(text) or (text if is_spdx_id(text) or is_url(text) else None)


def licence_node(text: str) -> dict[str, str]:
    """``dct:license`` in JSON-LD: the licence's IRI; a text stored before the check is described as a licence
    document by its title rather than written as an IRI it is not."""
    text = (text or "").strip() or DEFAULT_LICENCE
    spdx = known_licence(text)
    if spdx:
        return {"@id": licence_uri(spdx)}
    if is_url(text):
        return {"@id": text}
    if is_spdx_id(text):
        return {"@id": _SPDX_PAGE.format(text)}
    return {"@type": "dct:LicenseDocument", "dct:title": text}
