"""Participation as open data (B2.g, B3, B8): counts, suppressed breakdowns, survey aggregates, responses.

Four datasets, each with one CSV distribution written by Cityline (like the take-up dataset,
:mod:`cityline.opendata.takeup`):

- ``participation-consultations``: one row per public consultation (its dates, status, counts,
  response date, days to respond, whether in the city's target);
- ``participation-breakdown``: participants by interested-party category, customer segment,
  channel and district, per consultation, suppressed below the small-count threshold;
- ``participation-survey-results``: counts per option or scale point, suppressed; free text
  never;
- ``participation-responses``: the items of published responses ("you said, we did").

Anonymised: no display name, user, e-mail address or contribution text is in any file; drafts
and unpublished responses are left out. A new version is written only when the figures change.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityline.opendata.generated import cell

from .choices import ResponseStatus
from .domain import metrics as dm
from .metrics import all_consultation_metrics, load_rows, public_consultations
from .models import ResponseItem

REASON = "participation open data (B3)"


@dataclass(frozen=True)
class Spec:
    key: str
    title: object
    description: object
    header: list[str]
    key_columns: str

    @property
    def generated(self) -> str:
        return f"{self.key}-csv"[:30]

    @property
    def distribution_key(self) -> str:
        return f"{self.key}-csv"


CONSULTATIONS = Spec(
    "participation-consultations", _("Public consultations"),
    _("One row per public consultation: its dates and status, how many people took part and contributed, "
      "and when the city published its response. Counts only: nothing about the people who took part."),
    ["consultation", "title", "status", "opens_on", "closes_on", "closed_on", "participants",
     "offline_participants", "contributions", "comments", "replies", "proposals", "hidden_contributions",
     "supports", "survey_responses", "response_published_on", "days_to_respond", "response_target_days",
     "responded_in_target"],
    "consultation")
BREAKDOWN = Spec(
    "participation-breakdown", _("Who took part in consultations"),
    _("Participants of each public consultation by interested-party category, customer segment, channel and "
      "district, as they declared them (optional: not_given is its own group). A group below the city's "
      "small-count threshold is suppressed (empty, suppressed = true), and so is a second group wherever the "
      "first could be worked out from the total; a consultation with fewer participants than the threshold "
      "has no rows."),
    ["consultation", "dimension", "group", "label", "participants", "suppressed"],
    "consultation, dimension, group")
SURVEY = Spec(
    "participation-survey-results", _("Consultation survey results"),
    _("How many people chose each option or scale point of the consultations' survey questions. Counts below "
      "the city's small-count threshold are suppressed; free-text answers are never published."),
    ["consultation", "question_number", "question", "kind", "option", "count", "suppressed"],
    "consultation, question_number, option")
RESPONSES = Spec(
    "participation-responses", _("Responses to consultations (you said, we did)"),
    _("The items of the city's published responses to its consultations: what people said, what the city did, "
      "the outcome, and the record it changed."),
    ["consultation", "published_on", "item_number", "you_said", "we_did", "outcome", "reason", "record_type",
     "record_key"],
    "consultation, item_number")
SPECS = [CONSULTATIONS, BREAKDOWN, SURVEY, RESPONSES]


def build_csv(header: list[str], rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([cell(row.get(h)) for h in header])  # text a spreadsheet would run as a formula gets a "'"
    return buf.getvalue().encode("utf-8")


def dataset_rows(city, *, today: date | None = None) -> dict[str, list[dict]]:
    """The rows of each dataset, by dataset key (what the files hold)."""
    rows = load_rows(city)
    figures = all_consultation_metrics(city, today=today, rows=rows)
    out: dict[str, list[dict]] = {s.key: [] for s in SPECS}
    for f in sorted(figures, key=lambda f: f["consultation"]):
        c = f["contributions"]
        out[CONSULTATIONS.key].append({
            **{k: f[k] for k in ("consultation", "title", "status", "opens_on", "closes_on", "closed_on",
                                 "participants", "offline_participants", "supports", "survey_responses",
                                 "response_published_on", "days_to_respond", "response_target_days",
                                 "responded_in_target")},
            "contributions": c["total"], "comments": c["comments"], "replies": c["replies"],
            "proposals": c["proposals"], "hidden_contributions": c["hidden"]})
        for dimension in dm.DIMENSIONS:
            for group in sorted(f["breakdowns"][dimension], key=lambda g: g["group"]):
                out[BREAKDOWN.key].append({"consultation": f["consultation"], "dimension": dimension, **group})
        for q in f["survey"]:
            for o in q["options"]:
                out[SURVEY.key].append({"consultation": f["consultation"], "question_number": q["number"],
                                        "question": q["question"], "kind": q["kind"], **o})
    items = (ResponseItem.objects.filter(response__consultation__in=public_consultations(city),
                                         response__status=ResponseStatus.PUBLISHED)
             .select_related("response__consultation").order_by("response__consultation__key", "number"))
    for item in items:
        out[RESPONSES.key].append({
            "consultation": item.response.consultation.key, "published_on": item.response.published_on,
            "item_number": item.number, "you_said": item.you_said, "we_did": item.we_did, "outcome": item.outcome,
            "reason": item.reason, "record_type": item.record_type, "record_key": item.record_key})
    return out


def _publisher(city):
    from cityline.core.models import Organisation

    orgs = Organisation.objects.filter(city=city).order_by("key")
    return orgs.filter(sector="public").first() or orgs.first()


def _ensure(city, spec: Spec, *, user=None):
    """The dataset and its generated distribution (created the first time); or (None, None, problem)."""
    from cityline.core import actions
    from cityline.opendata.models import Dataset, Distribution

    dataset = Dataset.objects.filter(city=city, key=spec.key).first()
    action = "unchanged"
    if dataset is None:
        publisher = _publisher(city)
        if publisher is None:
            return None, None, "skipped", "the city has no organisation to publish the dataset"
        dataset = actions.create(
            Dataset, user=user, city=city, key=spec.key, title=str(spec.title), description=str(spec.description),
            keywords="participation, consultation, engagement", publisher=publisher, licence="CC-BY-4.0",
            frequency="DAILY", published=True, issued=timezone.localdate(), reason=REASON)
        action = "created"
    dist = dataset.distributions.filter(generated=spec.generated).first()
    adopted = dataset.distributions.filter(key=spec.distribution_key, generated="").first()
    if dist is None and adopted is not None and dataset.distributions.count() == 1:
        dist = actions.update(adopted, user=user, generated=spec.generated, reason=REASON)  # from a city pack
    if dist is None:
        if dataset.distributions.exists() and action != "created":
            return dataset, None, "skipped", f"dataset {spec.key!r} exists and is not Cityline's participation dataset"
        dist = actions.create(Distribution, user=user, city=city, dataset=dataset, key=spec.distribution_key,
                              title=f"{spec.title} (CSV)", kind="file", format="CSV", media_type="text/csv",
                              key_columns=spec.key_columns, generated=spec.generated, reason=REASON)
    return dataset, dist, action, None


def publish(city, *, user=None, today: date | None = None) -> list[dict]:
    """Publish (or refresh) the four participation datasets; one ``{"dataset", "action", "version"}`` each.

    Nothing is created for a city without a public consultation. A dataset gets a new version
    only when its file would change; a dataset with no rows yet has no file.
    """
    from cityline.opendata.kpidata import write_if_changed

    if not public_consultations(city).exists():
        return []
    content = dataset_rows(city, today=today)
    results = []
    for spec in SPECS:
        dataset, dist, action, problem = _ensure(city, spec, user=user)
        result: dict = {"dataset": spec.key, "action": action, "version": None}
        if problem:
            results.append({**result, "problem": problem})
            continue
        rows = content[spec.key]
        if rows and write_if_changed(dist, build_csv(spec.header, rows), f"{spec.key}.csv", user=user,
                                     note="participation figures refreshed"):
            result.update(action="updated" if action == "unchanged" else action,
                          version=dist.latest_version().number)
        results.append(result)
    return results
