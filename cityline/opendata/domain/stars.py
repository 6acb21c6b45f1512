"""Five-Star open data rating of a dataset (B8: open standards and the Five-Star scheme).

The rating is computed, never typed in. It follows the cumulative scheme of
http://5stardata.info/ (``/work/shared/reference/five_star_open_data.csv`` lists it):

=====  ==========================================  =====================================================
stars  criterion                                   how Cityline decides (docs/opendata/five-stars.md)
=====  ==========================================  =====================================================
★      on the web under an open licence            the licence is open (Open Definition conformant,
                                                   ``choices.OPEN_LICENCES``) and at least one
                                                   distribution is reachable: a held file with an
                                                   uploaded version, or a link / API with its URL
★★     structured, machine-readable                one reachable distribution is in a structured format
                                                   (:data:`STRUCTURED`: not PDF, not HTML)
★★★    non-proprietary format                      one reachable distribution is structured and open
                                                   (:data:`OPEN_FORMATS`: not XLS, XLSX or Shapefile)
★★★★   URIs identify things                        an RDF distribution (RDF/XML, Turtle, JSON-LD), or a
                                                   held CSV with a row URI template (its CSV-on-the-Web
                                                   metadata gives every row a URI)
★★★★★  links to other data                         an RDF distribution, or a ★★★★ CSV whose columns
                                                   link to other data (``column_links``)
=====  ==========================================  =====================================================

A star is earned only with all the stars below it. The pure part, :func:`rate`, takes
plain :class:`Facts`; :func:`rating` reads them from a ``Dataset`` (its distributions and
their versions should be prefetched) and is what pages, the CKAN API and DCAT call.

This module never imports Django (``tests/test_architecture.py``): messages are marked
with :func:`gettext_noop` and rendered with the ``translate`` function the caller passes
(Django's ``gettext`` in views), so the result is plain, JSON-serialisable data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (keeps domain/ Django-free)."""
    return message


#: Structured, machine-readable formats (★★). Codes are ``choices.Format`` values.
STRUCTURED = frozenset({"CSV", "JSON", "GeoJSON", "Parquet", "JSON-LD", "RDF", "Turtle", "XLSX", "XLS", "XML",
                        "SHP", "API"})
#: Structured formats whose specification is open and not controlled by one vendor (★★★).
#: Excel (XLS, XLSX) and Esri Shapefile are treated as proprietary, as 5stardata.info
#: does ("CSV instead of Excel"). An API counts when its media type is an open one.
OPEN_FORMATS = frozenset({"CSV", "JSON", "GeoJSON", "Parquet", "JSON-LD", "RDF", "Turtle", "XML"})
#: RDF serialisations: things are named by URIs and may link to other data (★★★★, ★★★★★).
RDF_FORMATS = frozenset({"JSON-LD", "RDF", "Turtle"})
#: Media types of open structured data, for APIs (their format code is just "API").
OPEN_MEDIA_TYPES = frozenset({
    "application/json", "application/geo+json", "application/ld+json", "text/csv", "application/xml", "text/xml",
    "text/turtle", "application/rdf+xml", "application/vnd.apache.parquet",
})
RDF_MEDIA_TYPES = frozenset({"application/ld+json", "text/turtle", "application/rdf+xml"})

STAR_TITLES = {
    1: gettext_noop("On the web under an open licence"),
    2: gettext_noop("Structured, machine-readable data"),
    3: gettext_noop("Non-proprietary format"),
    4: gettext_noop("URIs identify things"),
    5: gettext_noop("Linked to other data"),
}

# Reasons (earned / not earned) and the advice that earns the next star.
MSG_OPEN_LICENCE = gettext_noop("Published under an open licence (%(licence)s) and available at %(distribution)s.")
MSG_CLOSED_LICENCE = gettext_noop("The licence %(licence)s is not an open licence.")
MSG_NOTHING_ONLINE = gettext_noop("No distribution can be reached yet: no file uploaded and no link given.")
MSG_STRUCTURED = gettext_noop("%(distribution)s is structured data (%(format)s).")
MSG_NOT_STRUCTURED = gettext_noop("No distribution is in a structured, machine-readable format (only %(formats)s).")
MSG_OPEN_FORMAT = gettext_noop("%(distribution)s uses an open format (%(format)s).")
MSG_PROPRIETARY = gettext_noop("Every structured distribution uses a proprietary format (%(formats)s).")
MSG_RDF = gettext_noop("%(distribution)s is RDF (%(format)s): things are named by URIs.")
MSG_ROW_URIS = gettext_noop("%(distribution)s gives every row a URI (%(template)s) in its CSV on the Web metadata.")
MSG_NO_URIS = gettext_noop("No distribution names the things it describes with URIs.")
MSG_RDF_LINKS = gettext_noop("%(distribution)s is RDF, which links to other data by URI.")
MSG_COLUMN_LINKS = gettext_noop("%(distribution)s links column(s) %(columns)s to other data.")
MSG_NO_LINKS = gettext_noop("No distribution links to other data.")
MSG_NEEDS_LOWER = gettext_noop("Needs the previous star first.")

ADVICE = {
    "licence": gettext_noop("Choose an open licence, such as CC-BY-4.0 or CC0-1.0, to earn the first star."),
    "online": gettext_noop("Upload a file or link to where the data is published to earn the first star."),
    2: gettext_noop("Publish the data in a structured format such as CSV or JSON (not PDF or a web page) "
                    "to earn the second star."),
    3: gettext_noop("Offer the data in an open format such as CSV instead of Excel or Shapefile to earn "
                    "the third star."),
    4: gettext_noop("Give each row a URI: upload a CSV file and set its row URI template, or publish RDF "
                    "(JSON-LD, Turtle) to earn the fourth star."),
    5: gettext_noop("Link your data to other data: set column links (URI templates of the things a column "
                    "points at, e.g. Wikidata) on the CSV with row URIs, or publish RDF that links out, "
                    "to earn the fifth star."),
}


@dataclass(frozen=True)
class DistributionFacts:
    """What the rating needs to know about one distribution."""

    title: str
    format: str
    kind: str = "file"  # file | remote | api
    media_type: str = ""
    online: bool = True  # a held file with a version, or a link/API with its URL
    about_url: str = ""  # CSVW row URI template
    column_links: dict[str, str] = field(default_factory=dict)

    @property
    def structured(self) -> bool:
        return self.format in STRUCTURED

    @property
    def open_format(self) -> bool:
        if self.format == "API":
            return self.media_type.split(";")[0].strip().lower() in OPEN_MEDIA_TYPES
        return self.format in OPEN_FORMATS

    @property
    def rdf(self) -> bool:
        if self.format == "API":
            return self.media_type.split(";")[0].strip().lower() in RDF_MEDIA_TYPES
        return self.format in RDF_FORMATS

    @property
    def row_uris(self) -> bool:
        """A held CSV (the platform publishes its CSVW metadata) with a row URI template."""
        return self.format == "CSV" and self.kind == "file" and bool(self.about_url.strip())


@dataclass(frozen=True)
class Facts:
    licence: str
    licence_open: bool
    distributions: tuple[DistributionFacts, ...] = ()


def _identity(message: str) -> str:
    return message


def rate(facts: Facts, translate: Callable[[str], str] = _identity) -> dict[str, Any]:
    """The rating of plain facts: ``{"stars", "max", "levels": [{star, earned, title, reason}], "next"}``.

    ``next`` is the advice that would earn the next star (``None`` at five stars).
    """
    online = [d for d in facts.distributions if d.online]
    levels: list[tuple[bool, str, dict]] = []

    # ★ on the web under an open licence
    if not facts.licence_open:
        levels.append((False, MSG_CLOSED_LICENCE, {"licence": facts.licence or "—"}))
        first_advice = ADVICE["licence"]
    elif not online:
        levels.append((False, MSG_NOTHING_ONLINE, {}))
        first_advice = ADVICE["online"]
    else:
        levels.append((True, MSG_OPEN_LICENCE, {"licence": facts.licence, "distribution": online[0].title}))
        first_advice = None

    # ★★ structured
    structured = [d for d in online if d.structured]
    if structured:
        levels.append((True, MSG_STRUCTURED, {"distribution": structured[0].title, "format": structured[0].format}))
    else:
        levels.append((False, MSG_NOT_STRUCTURED, {"formats": _formats(online)}))

    # ★★★ non-proprietary
    open_ = [d for d in structured if d.open_format]
    if open_:
        levels.append((True, MSG_OPEN_FORMAT, {"distribution": open_[0].title, "format": open_[0].format}))
    else:
        levels.append((False, MSG_PROPRIETARY if structured else MSG_NOT_STRUCTURED, {"formats": _formats(online)}))

    # ★★★★ URIs: RDF, or a CSV with a row URI template (CSVW aboutUrl)
    rdf = [d for d in open_ if d.rdf]
    rows = [d for d in open_ if d.row_uris]
    if rdf:
        levels.append((True, MSG_RDF, {"distribution": rdf[0].title, "format": rdf[0].format}))
    elif rows:
        levels.append((True, MSG_ROW_URIS, {"distribution": rows[0].title, "template": rows[0].about_url}))
    else:
        levels.append((False, MSG_NO_URIS, {}))

    # ★★★★★ links to other data
    linked = [d for d in rows if d.column_links]
    if rdf:
        levels.append((True, MSG_RDF_LINKS, {"distribution": rdf[0].title}))
    elif linked:
        levels.append((True, MSG_COLUMN_LINKS, {"distribution": linked[0].title,
                                                 "columns": ", ".join(sorted(linked[0].column_links))}))
    else:
        levels.append((False, MSG_NO_LINKS, {}))

    out_levels = []
    stars = 0
    blocked = False
    for n, (met, message, params) in enumerate(levels, start=1):
        earned = met and not blocked
        if earned:
            stars = n
        reason = translate(message) % params
        if met and blocked:  # the criterion holds, but a lower star is missing
            reason = f"{reason} {translate(MSG_NEEDS_LOWER)}"
        out_levels.append({"star": n, "earned": earned, "title": translate(STAR_TITLES[n]), "reason": reason})
        blocked = blocked or not earned

    if stars == 5:
        advice = None
    elif stars == 0:
        advice = translate(first_advice or ADVICE["licence"])
    else:
        advice = translate(ADVICE[stars + 1])
    return {"stars": stars, "max": 5, "levels": out_levels, "next": advice}


def _formats(distributions: Iterable[DistributionFacts]) -> str:
    return ", ".join(sorted({d.format for d in distributions})) or "—"


def distribution_facts(*, title: str, format: str, kind: str, media_type: str | None, access_url: str | None,
                       about_url: str | None, column_links: dict | None, has_version: bool) -> DistributionFacts:
    """One distribution's facts from its stored fields: a held file is online once it has a
    version, a link or API once it has its URL (shared by :func:`facts_of` and the CKAN API)."""
    return DistributionFacts(
        title=title, format=format, kind=kind, media_type=media_type or "",
        online=has_version if kind == "file" else bool(access_url),
        about_url=about_url or "", column_links=dict(column_links or {}),
    )


def facts_of(dataset: Any, open_licences: Iterable[str]) -> Facts:
    """Read the facts from a ``Dataset`` (duck-typed: any object with the same attributes).

    Uses ``dataset.distributions.all()`` and each distribution's ``versions.all()``, so
    prefetch ``distributions__versions`` when rating many datasets.
    """
    dists = [distribution_facts(
        title=d.title, format=d.format, kind=d.kind, media_type=d.media_type, access_url=d.access_url,
        about_url=d.about_url, column_links=d.column_links,
        has_version=d.kind == "file" and any(True for _ in d.versions.all()),
    ) for d in dataset.distributions.all()]
    return Facts(licence=dataset.licence, licence_open=dataset.licence in frozenset(open_licences),
                 distributions=tuple(dists))


def rating(dataset: Any, translate: Callable[[str], str] = _identity) -> dict[str, Any]:
    """The Five-Star rating of a ``Dataset`` (prefetch ``distributions__versions``).

    Pass Django's ``gettext`` as ``translate`` to get the reasons in the active language.
    The open-licence list comes from ``choices.OPEN_LICENCES``, imported here (not at
    module level) so :func:`rate` stays usable without Django.
    """
    from ..choices import OPEN_LICENCES  # model enumerations live in the app; imported lazily

    return rate(facts_of(dataset, OPEN_LICENCES), translate)
