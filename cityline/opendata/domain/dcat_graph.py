"""DCAT-AP 3 graphs of the catalogue and its datasets (B8, B14, C2.g).

Plain data in, an ``rdflib.Graph`` out: :func:`dataset_graph` describes one dataset,
:func:`catalogue_graph` the catalogue (one page of it, with every dataset of the page
described in full, as ckanext-dcat does, so harvesters need one request per page).
:func:`serialise` writes Turtle, JSON-LD (with the compact context shipped in
``reference/dcat-context.json``, never fetched) or RDF/XML.

The input dictionaries are documented on :func:`dataset_graph` and :func:`catalogue_graph`;
``cityline/opendata/dcat.py`` builds them from the models. Mapping choices (which URIs,
how versions and the publication model are expressed) are in docs/opendata/dcat-ap.md.

Controlled-vocabulary values (themes, frequencies, access rights, file types, media
types, licences) carry their ``rdf:type`` and, for EU authority tables, ``skos:inScheme``,
so the official DCAT-AP SHACL shapes (range and vocabulary checks) pass without
fetching the vocabularies themselves.

No Django here (``tests/test_architecture.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from . import vocabularies as voc

# DCAT 3 terms (rdflib's DCAT namespace is closed over DCAT 2 and warns on dcat:version & co.).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DQV = Namespace("http://www.w3.org/ns/dqv#")
FIVE_STAR_SCHEME = "http://5stardata.info/"

CONTEXT_FILE = Path(__file__).resolve().parent.parent / "reference" / "dcat-context.json"

#: Datasets per catalogue page (ckanext-dcat's default).
PAGE_SIZE = 100

FORMATS = {
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
}


@lru_cache(maxsize=1)
def jsonld_context() -> dict:
    """The compact JSON-LD context shipped with the package (prefixes of the vocabularies used)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def new_graph() -> Graph:
    g = Graph()
    for prefix, ns in [("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("skos", SKOS),
                       ("adms", ADMS), ("spdx", SPDX), ("hydra", HYDRA), ("locn", LOCN), ("dcatap", DCATAP), ("dqv", DQV),
                       ("xsd", XSD), ("rdfs", RDFS)]:
        g.bind(prefix, ns, override=True)
    return g


def serialise(graph: Graph, fmt: str) -> str:
    """``fmt`` is ``ttl``, ``jsonld`` or ``rdf`` (the URL extensions)."""
    rdflib_format, _ = FORMATS[fmt]
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=jsonld_context(), auto_compact=True, indent=2)
    return graph.serialize(format=rdflib_format)


# ------------------------------------------------------------------------ helpers

def _lit(value: Any) -> Literal:
    """Dates stay ``xsd:date``, datetimes ``xsd:dateTime`` (DCAT-AP accepts both)."""
    if isinstance(value, datetime):
        return Literal(value.replace(microsecond=0), datatype=XSD.dateTime)
    if isinstance(value, date):
        return Literal(value, datatype=XSD.date)
    return Literal(value)


def _concept(g: Graph, uri: str, scheme: str | None, *types: URIRef) -> URIRef:
    node = URIRef(uri)
    for t in types:
        g.add((node, RDF.type, t))
    if scheme:
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, SKOS.inScheme, URIRef(scheme)))
        g.add((node, SKOS.prefLabel, Literal(voc.label_of(uri), lang="en")))
        _scheme(g, scheme)
    return node


def _scheme(g: Graph, scheme: str) -> URIRef:
    node = URIRef(scheme)
    g.add((node, RDF.type, SKOS.ConceptScheme))
    g.add((node, DCTERMS.title, Literal(voc.SCHEME_TITLES[scheme], lang="en")))
    return node


def _agent(g: Graph, agent: Mapping[str, Any]) -> URIRef:
    node = URIRef(agent["uri"])
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(agent["name"])))
    if agent.get("homepage"):
        page = URIRef(agent["homepage"])
        g.add((node, FOAF.homepage, page))
        g.add((page, RDF.type, FOAF.Document))
    return node


def _document(g: Graph, url: str) -> URIRef:
    node = URIRef(url)
    g.add((node, RDF.type, FOAF.Document))
    return node


def _standard(g: Graph, url: str) -> URIRef:
    node = URIRef(url)
    g.add((node, RDF.type, DCTERMS.Standard))
    return node


def _licence(g: Graph, spdx_id: str, title: str) -> URIRef | BNode:
    uri = voc.licence_uri(spdx_id)
    node: URIRef | BNode = URIRef(uri) if uri else BNode(f"licence-{spdx_id}")
    g.add((node, RDF.type, DCTERMS.LicenseDocument))
    if title:
        g.add((node, RDFS.label, Literal(title)))
    if uri is None:
        g.add((node, DCTERMS.identifier, Literal(spdx_id)))
    return node


def _rights(g: Graph, model: Mapping[str, str]) -> BNode:
    """The publication model (B8: free, value-added charged, commercial subscription) as a
    ``dct:RightsStatement`` whose ``dct:type`` is our own code URI (documented)."""
    node = BNode(f"publication-model-{model['code']}")
    g.add((node, RDF.type, DCTERMS.RightsStatement))
    g.add((node, RDFS.label, Literal(model["label"])))
    if model.get("uri"):
        g.add((node, DCTERMS.type, URIRef(model["uri"])))
    return node


def _checksum(g: Graph, subject: URIRef, sha256: str) -> None:
    node = BNode()
    g.add((subject, SPDX.checksum, node))
    g.add((node, RDF.type, SPDX.Checksum))
    g.add((node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    g.add((node, SPDX.checksumValue, Literal(sha256.lower(), datatype=XSD.hexBinary)))


def _file_facts(g: Graph, node: URIRef, d: Mapping[str, Any]) -> None:
    """Format, media type, size and checksum shared by a distribution and its versions."""
    ft = voc.file_type_uri(d.get("format") or "")
    if ft:
        g.add((node, DCTERMS["format"], _concept(g, ft, voc.FILE_TYPE_SCHEME, DCTERMS.MediaTypeOrExtent)))
    mt = voc.media_type_uri(d.get("media_type") or voc.MEDIA_TYPE.get(d.get("format") or "", ""))
    if mt:
        mt_node = URIRef(mt)
        g.add((mt_node, RDF.type, DCTERMS.MediaType))
        g.add((node, DCAT.mediaType, mt_node))
    if d.get("byte_size") is not None:
        g.add((node, DCAT.byteSize, Literal(int(d["byte_size"]), datatype=XSD.nonNegativeInteger)))
    if d.get("checksum"):
        _checksum(g, node, d["checksum"])


# ------------------------------------------------------------------------ dataset

def dataset_graph(dataset: Mapping[str, Any], graph: Graph | None = None) -> Graph:
    """Describe one dataset; add to ``graph`` when given.

    ``dataset`` keys (``None`` or empty = left out): ``uri``, ``identifier``, ``title``,
    ``description``, ``keywords`` (list), ``themes`` (EU data-theme codes), ``publisher``
    ({uri, name, homepage}), ``contact`` ({name, email, phone} or None), ``licence``
    (SPDX id), ``licence_title``, ``spatial`` (place name), ``temporal_start``/``temporal_end``
    (dates), ``frequency`` (EU code), ``access_level``, ``publication_model`` ({code, label,
    uri}), ``issued``/``modified`` (dates), ``landing_page``, ``conforms_to`` (URL),
    ``stars`` (int or None), ``distributions`` (list, see :func:`_distribution`).
    """
    g = graph if graph is not None else new_graph()
    ds = URIRef(dataset["uri"])
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal(dataset["title"])))
    g.add((ds, DCTERMS.description, Literal(dataset["description"] or dataset["title"])))
    if dataset.get("identifier"):
        g.add((ds, DCTERMS.identifier, Literal(dataset["identifier"])))
    for kw in dataset.get("keywords") or ():
        g.add((ds, DCAT.keyword, Literal(kw)))
    for code in dataset.get("themes") or ():
        g.add((ds, DCAT.theme, _concept(g, voc.theme_uri(code), voc.DATA_THEME_SCHEME)))
    g.add((ds, DCTERMS.publisher, _agent(g, dataset["publisher"])))
    contact = dataset.get("contact")
    if contact:
        c = BNode(f"contact-{dataset['identifier'] or dataset['title']}")
        g.add((ds, DCAT.contactPoint, c))
        g.add((c, RDF.type, VCARD.Kind))
        g.add((c, VCARD.fn, Literal(contact["name"])))
        if contact.get("email"):
            g.add((c, VCARD.hasEmail, URIRef(f"mailto:{contact['email']}")))
        if contact.get("phone"):
            g.add((c, VCARD.hasTelephone, URIRef("tel:" + "".join(contact["phone"].split()))))
    if dataset.get("spatial"):
        loc = BNode(f"spatial-{dataset['identifier']}")
        g.add((ds, DCTERMS.spatial, loc))
        g.add((loc, RDF.type, DCTERMS.Location))
        g.add((loc, LOCN.geographicName, Literal(dataset["spatial"])))
        g.add((loc, SKOS.prefLabel, Literal(dataset["spatial"])))
    if dataset.get("temporal_start") or dataset.get("temporal_end"):
        period = BNode(f"temporal-{dataset['identifier']}")
        g.add((ds, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.get("temporal_start"):
            g.add((period, DCAT.startDate, _lit(dataset["temporal_start"])))
        if dataset.get("temporal_end"):
            g.add((period, DCAT.endDate, _lit(dataset["temporal_end"])))
    if dataset.get("frequency"):
        g.add((ds, DCTERMS.accrualPeriodicity,
               _concept(g, voc.frequency_uri(dataset["frequency"]), voc.FREQUENCY_SCHEME, DCTERMS.Frequency)))
    if dataset.get("access_level"):
        g.add((ds, DCTERMS.accessRights, _concept(g, voc.access_right_uri(dataset["access_level"]),
                                                  voc.ACCESS_RIGHT_SCHEME, DCTERMS.RightsStatement)))
    for key, prop in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
        if dataset.get(key):
            g.add((ds, prop, _lit(dataset[key])))
    if dataset.get("landing_page"):
        g.add((ds, DCAT.landingPage, _document(g, dataset["landing_page"])))
    if dataset.get("conforms_to"):
        g.add((ds, DCTERMS.conformsTo, _standard(g, dataset["conforms_to"])))
    if dataset.get("stars") is not None and dataset.get("stars_metric"):
        _five_stars(g, ds, dataset)
    for dist in dataset.get("distributions") or ():
        _distribution(g, ds, dataset, dist)
    return g


def _five_stars(g: Graph, ds: URIRef, dataset: Mapping[str, Any]) -> None:
    """The Five-Star rating as a W3C Data Quality Vocabulary measurement (0–5)."""
    metric = URIRef(dataset["stars_metric"])
    g.add((metric, RDF.type, DQV.Metric))
    g.add((metric, SKOS.prefLabel, Literal("Five-star open data rating", lang="en")))
    g.add((metric, RDFS.seeAlso, URIRef(FIVE_STAR_SCHEME)))
    g.add((metric, DQV.expectedDataType, XSD.integer))
    m = BNode(f"stars-{dataset['identifier']}")
    g.add((ds, DQV.hasQualityMeasurement, m))
    g.add((m, RDF.type, DQV.QualityMeasurement))
    g.add((m, DQV.isMeasurementOf, metric))
    g.add((m, DQV.value, Literal(int(dataset["stars"]), datatype=XSD.integer)))


def _distribution(g: Graph, ds: URIRef, dataset: Mapping[str, Any], d: Mapping[str, Any]) -> URIRef:
    """One distribution and its versions.

    ``d`` keys: ``uri``, ``identifier``, ``title``, ``description``, ``format``
    (``choices.Format``), ``media_type``, ``access_url`` (required), ``download_url``,
    ``byte_size``, ``checksum`` (sha256 hex), ``issued``, ``modified``, ``conforms_to``
    (list of URLs), ``versions`` (list of {uri, number, title, access_url, download_url,
    media_type, byte_size, checksum, issued, notes}, oldest first).
    """
    node = URIRef(d["uri"])
    g.add((ds, DCAT.distribution, node))
    _describe_distribution(g, node, dataset, d)
    versions = list(d.get("versions") or ())
    if versions:
        latest = versions[-1]
        g.add((node, DCAT.version, Literal(str(latest["number"]))))
        if latest.get("notes"):
            g.add((node, ADMS.versionNotes, Literal(latest["notes"])))
    previous = None
    for v in versions:
        vnode = URIRef(v["uri"])
        _describe_distribution(g, vnode, dataset, {**d, **v, "conforms_to": d.get("conforms_to")})
        g.add((vnode, DCAT.version, Literal(str(v["number"]))))
        if v.get("notes"):
            g.add((vnode, ADMS.versionNotes, Literal(v["notes"])))
        g.add((node, DCAT.hasVersion, vnode))
        g.add((vnode, DCAT.isVersionOf, node))
        if previous is not None:
            g.add((vnode, DCAT.previousVersion, previous))
        previous = vnode
    if previous is not None:
        g.add((node, DCAT.hasCurrentVersion, previous))
    return node


def _describe_distribution(g: Graph, node: URIRef, dataset: Mapping[str, Any], d: Mapping[str, Any]) -> None:
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCTERMS.title, Literal(d["title"])))
    if d.get("description"):
        g.add((node, DCTERMS.description, Literal(d["description"])))
    if d.get("identifier"):
        g.add((node, DCTERMS.identifier, Literal(d["identifier"])))
    g.add((node, DCAT.accessURL, URIRef(d["access_url"])))
    if d.get("download_url"):
        g.add((node, DCAT.downloadURL, URIRef(d["download_url"])))
    _file_facts(g, node, d)
    for key, prop in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
        if d.get(key):
            g.add((node, prop, _lit(d[key])))
    for url in d.get("conforms_to") or ():
        g.add((node, DCTERMS.conformsTo, _standard(g, url)))
    if dataset.get("licence"):
        g.add((node, DCTERMS.license, _licence(g, dataset["licence"], dataset.get("licence_title") or "")))
    if dataset.get("publication_model"):
        g.add((node, DCTERMS.rights, _rights(g, dataset["publication_model"])))


# ------------------------------------------------------------------------ catalogue

def catalogue_graph(catalogue: Mapping[str, Any], datasets: Iterable[Mapping[str, Any]],
                    paging: Mapping[str, Any] | None = None) -> Graph:
    """The catalogue with the datasets of one page.

    ``catalogue`` keys: ``uri``, ``title``, ``description``, ``publisher`` ({uri, name,
    homepage}), ``homepage``, ``modified`` (date or None). ``paging`` (ckanext-dcat's
    ``hydra:PagedCollection``): ``uri`` (this page), ``first``, ``last``, ``next``,
    ``previous`` (page URLs or None), ``total`` (datasets in the catalogue), ``per_page``.
    """
    g = new_graph()
    cat = URIRef(catalogue["uri"])
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal(catalogue["title"])))
    g.add((cat, DCTERMS.description, Literal(catalogue["description"] or catalogue["title"])))
    g.add((cat, DCTERMS.publisher, _agent(g, catalogue["publisher"])))
    if catalogue.get("homepage"):
        g.add((cat, FOAF.homepage, _document(g, catalogue["homepage"])))
    if catalogue.get("modified"):
        g.add((cat, DCTERMS.modified, _lit(catalogue["modified"])))
    g.add((cat, DCAT.themeTaxonomy, _scheme(g, voc.DATA_THEME_SCHEME)))
    for dataset in datasets:
        dataset_graph(dataset, g)
        g.add((cat, DCAT.dataset, URIRef(dataset["uri"])))
    if paging:
        page = URIRef(paging["uri"])
        g.add((page, RDF.type, HYDRA.PagedCollection))
        # Literals, as ckanext-dcat writes them (harvesters read them as strings).
        g.add((page, HYDRA.totalItems, Literal(int(paging["total"]), datatype=XSD.integer)))
        g.add((page, HYDRA.itemsPerPage, Literal(int(paging["per_page"]), datatype=XSD.integer)))
        for key, prop in (("first", HYDRA.firstPage), ("last", HYDRA.lastPage), ("next", HYDRA.nextPage),
                          ("previous", HYDRA.previousPage)):
            if paging.get(key):
                g.add((page, prop, Literal(paging[key])))
    return g
