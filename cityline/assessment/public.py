"""The public assessment page (B2.g): the maturity matrix and every rule with its outcome, reason,
next step and evidence, shown only when the city publishes its assessment; CSV and JSON downloads."""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass

from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cityline.portal import registry

from .licences import DEFAULT_LICENCE, licence_node
from .services import is_published


def assessment(city) -> dict[str, Any]:
    from .models import AssessmentSettings
    from .report import gap_report

    data = gap_report(city, top=10, public=True)    # reasons and evidence name no unpublished record (C2.f)
    for r in data["results"]:   # editor links are for staff: the public sees labels only
        r["evidence"] = [{"label": e["label"], "kind": e["kind"], "key": e["key"]} for e in r["evidence"]]
    settings = AssessmentSettings.objects.filter(city=city).first()
    stamps = [city.updated_at] + ([settings.updated_at] if settings else [])
    return {"city": data["city"], "city_name": data["city_name"], "on": data["on"], "maturity": data["maturity"],
            "matrix": data["matrix"], "level_names": data["level_names"], "overall": data["overall"],
            "results": data["results"], "gaps": data["top_gaps"],
            "provenance": {"city": city.key, "city_name": city.name, "last_updated": max(stamps).isoformat(),
                           "assessed_on": data["on"]}}


def result_rows(data: dict[str, Any]):
    header = ["id", "component", "title", "outcome", "reason", "next_step", "evidence", "attestation", "share"]
    return header, ([r["id"], r["component"], r["title"], r["outcome"], r["reason"], r["next_step"],
                     "; ".join(e["label"] for e in r["evidence"]), r["attestation"], r["share"]]
                    for r in data["results"])


def matrix_rows(data: dict[str, Any]):
    header = ["component", "score", "level", "level_name"] + [f"level_{n}_reached" for n in range(1, 6)]
    return header, ([c["component"], c["score"], c["level"], c["level_name"]] + [cell["reached"] for cell in c["cells"]]
                    for c in data["maturity"]["components"])


# --- DCAT description of the published assessment (issue 9 item 3) ----------------------------

#: The JSON-LD context, inline so the description reads without any network access.
DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json"}


def dcat_dataset(city, request: HttpRequest, downloads: list[dict[str, str]]) -> dict[str, Any]:
    """A DCAT-AP-shaped ``dcat:Dataset`` describing the published assessment and its downloads."""
    from .models import AssessmentSettings, Snapshot

    settings = AssessmentSettings.objects.filter(city=city).first()
    latest = Snapshot.objects.filter(city=city).order_by("-taken_on").first()
    modified = latest.taken_on if latest else timezone.localdate()
    licence = licence_node(settings.licence if settings else DEFAULT_LICENCE)
    lang = (get_language() or "en").split("-")[0]
    page = request.build_absolute_uri(reverse("portal:assessment", kwargs={"city": city.key}))
    own = request.build_absolute_uri(reverse("portal:assessment-dcat", kwargs={"city": city.key}))

    def text(value) -> dict[str, str]:
        return {"@value": str(value), "@language": lang}

    distributions = []
    for d in downloads:
        url = request.build_absolute_uri(d["url"])
        distributions.append({
            "@id": url, "@type": "dcat:Distribution", "dct:title": text(d["filename"]),
            "dcat:accessURL": {"@id": url}, "dcat:downloadURL": {"@id": url},
            "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[d['format']]}"},
            "dct:format": d["format"], "dct:license": licence,
        })
    return {
        "@context": DCAT_CONTEXT, "@id": own, "@type": "dcat:Dataset",
        "dct:identifier": own,
        "dct:title": text(_("ISO 37106 self-assessment of %(city)s") % {"city": city.name}),
        "dct:description": text(_("How far %(city)s meets each ISO 37106 recommendation (met, partly met, not met, "
                                  "not applicable) with the reason and the next step, and its maturity level per "
                                  "component of the standard.") % {"city": city.name}),
        "dct:publisher": {"@id": city.website or f"{page}#publisher", "@type": "foaf:Agent", "foaf:name": city.name},
        "dct:modified": {"@value": modified.isoformat(), "@type": "xsd:date"},
        "dct:license": licence,
        "dcat:landingPage": {"@id": page},
        "dcat:keyword": [text("ISO 37106"), text(_("smart city")), text(_("maturity"))],
        "dcat:distribution": distributions,
    }


@dataclass
class AssessmentPage(registry.DataPage):
    """The assessment page, plus ``<city>/assessment.dcat.jsonld``: its DCAT description (live only:
    the static export leaves it out, since its addresses must be absolute)."""

    def urlpatterns(self) -> list:
        return [*super().urlpatterns(),
                path(f"<slug:city>/{self.name}.dcat.jsonld", self._dcat_view, name=f"{self.name}-dcat")]

    def _dcat_view(self, request: HttpRequest, city: str):
        from cityline.core.models import City

        city_obj = get_object_or_404(City, key=city)
        if not self.shown_for(city_obj):
            raise Http404(f"{city} does not publish its assessment")
        return JsonResponse(dcat_dataset(city_obj, request, self.downloads(city_obj)),
                            content_type="application/ld+json", json_dumps_params={"ensure_ascii": False, "indent": 1})


registry.register(AssessmentPage(
    name="assessment", title=_("ISO 37106 self-assessment"), order=180, data=assessment,
    template="portal/assessment/assessment.html", shown=is_published,
    description=_("How far the city meets each ISO 37106 recommendation, its maturity per component and what "
                  "it will do next."),
    tables={"": result_rows, "matrix": matrix_rows},
))
