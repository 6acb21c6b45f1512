"""The participation section of city packs (``participation.yaml``, B1.b, B2.g, B3).

Holds the city's participation settings, its consultations with their survey questions,
the responses ("you said, we did") and the engagement KPI feeds. People's contributions,
supports, survey answers and the moderation log never travel: they are personal data, not
the operating model.

A response item names its record by type and key, which travel; the exact change in that
record's history (``change_id``) belongs to one instance's database, so the pack neither
writes nor exports it: a re-import leaves the change an editor chose untouched.

A pack states the final state at once (a consultation is ``responded`` only once its
response, written after it, is published), so the lifecycle rules relax during an import and
:func:`_check_state` checks the result once everything is written.
"""

from django.utils.translation import gettext as _

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models
from .choices import ConsultationStatus, ResponseChannel, ResponseStatus
from cityline.strategy.choices import PartyCategory

FILE = "participation.yaml"


def _check_state(city, directory, *, user=None, dry_run=False, rights=None):
    """Problems of the imported state that no single record shows: consultation and response status agree."""
    problems = []
    responses = {r.consultation_id: r for r in models.ConsultationResponse.objects.filter(city=city)}
    for c in models.Consultation.objects.filter(city=city).order_by("key"):
        response = responses.get(c.pk)
        published = response is not None and response.status == ResponseStatus.PUBLISHED
        if c.status == ConsultationStatus.RESPONDED and not published:
            problems.append((FILE, f"consultations.{c.key}.status",
                             _("a consultation is responded to when its response is published: "
                               "publish its response or give the status closed")))
        if published and c.status in (ConsultationStatus.DRAFT, ConsultationStatus.OPEN):
            problems.append((FILE, f"responses.{c.key}.status",
                             _("publish the response once the consultation has closed "
                               "(the consultation is %(status)s)") % {"status": c.status}))
    return problems


SECTION = register(
    Section(
        file=FILE,
        title="public participation (B1.b, B2.g, B3): consultations, surveys and published responses",
        order=87,
        collections=[
            Collection(
                "participation_settings", models.ParticipationSettings, single=True,
                fields=[Field("districts", kind="str_list"), "small_count_threshold", "response_target_days", "allows_verified_anonymous"],
                description="How the city runs participation: the districts people may declare, the small-count "
                            "threshold of published breakdowns, the response target in days.",
            ),
            Collection(
                "consultations", models.Consultation, key=True,
                fields=[
                    "title", "question", "background", "organiser", "documents",
                    *[name for name, _label in models.SUBJECT_FIELDS],
                    "opens_on", "closes_on",
                    Field("audiences", kind="enum_list", choices=PartyCategory.choices),
                    "segments",
                    Field("channels", kind="enum_list", required=True, choices=ResponseChannel.choices),
                    "status", "closed_on", "allows_anonymous", "engagement_activity",
                ],
                description="Questions put to the public about named records of the operating model (vision "
                            "objectives, principles, roadmap initiatives, policy products, services, datasets).",
                children=[
                    Collection(
                        "questions", models.SurveyQuestion, parent="consultation", identity=["number"],
                        fields=["number", "text", "kind", Field("options", kind="str_list"), "scale_min", "scale_max", "scale_min_label",
                                "scale_max_label", "required"],
                        description="The consultation's optional survey, question by question.",
                    ),
                ],
            ),
            Collection(
                "responses", models.ConsultationResponse, identity=["consultation"],
                fields=["consultation", "summary", "status", "published_on"],
                description="The city's response to a closed consultation (closing the loop).",
                children=[
                    Collection(
                        "items", models.ResponseItem, parent="response", identity=["number"],
                        fields=["number", "you_said", "we_did", "outcome", "reason", "record_type", "record_key"],
                        description="\"You said, we did\": what people said, what the city did and the record it "
                                    "is about (by type and key; the exact change is chosen in the instance).",
                    ),
                ],
            ),
            Collection(
                "engagement_kpi_feeds", models.EngagementKpiFeed, identity=["kpi"],
                fields=["kpi", "metric", "period"],
                description="Leading-indicator KPIs whose measurements Cityline computes from participation.",
            ),
        ],
        after_import=_check_state,
    )
)
