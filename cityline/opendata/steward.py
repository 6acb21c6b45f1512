"""Steward pages of the open data platform: upload a new version, and the privacy gate (B8, B10).

Two pages of the editor (staff only, through the admin site's login and the change
permission on datasets), mounted by ``DatasetAdmin.get_urls`` and linked from a
dataset's change form:

- ``/admin/opendata/dataset/<id>/upload/``: upload a file as the next version of a held
  distribution (:func:`.services.upload_version`). A refused file shows the message and
  the table of row/column errors, and nothing changes; an accepted file shows the new
  version, its Table Schema and the privacy gate's verdict.
- ``/admin/opendata/dataset/<id>/gate/``: the latest privacy review of every held
  distribution — flagged columns with masked examples, categories and share; k-anonymity
  with the offending combinations; the reasons — and the override form, which records the
  steward's written justification (:func:`.services.override_gate`).

The views stay thin: every write goes through :mod:`.services`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cityline.core.models import Person

from . import choices, services
from .domain import privacy, tabular
from .models import Dataset, Distribution

ENCODINGS = [("", _("Detect automatically")), ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 (BOM)"),
             ("cp1252", "Windows-1252"), ("iso-8859-1", "ISO-8859-1 (Latin-1)"), ("iso-8859-15", "ISO-8859-15"),
             ("utf-16", "UTF-16")]


class UploadForm(forms.Form):
    distribution = forms.ChoiceField(label=_("Distribution"))
    file = forms.FileField(label=_("File"), help_text=_("CSV, JSON, GeoJSON or Parquet."))
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODINGS, required=False,
                                 help_text=_("Only for text files, when the detected encoding is wrong."))
    note = forms.CharField(label=_("What changed"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("In your own words; shown with the version on the public page."))

    def __init__(self, *args, distributions: list[Distribution], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distribution"].choices = [(d.key, f"{d.title} ({d.format})") for d in distributions]


class OverrideForm(forms.Form):
    steward = forms.ModelChoiceField(label=_("Data steward"), queryset=Person.objects.none(),
                                     help_text=_("The person who takes responsibility for publishing."))
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 4}),
                                    help_text=_("Why publishing is right despite the gate's findings. "
                                                "Kept in the change history."))

    def __init__(self, *args, city, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["steward"].queryset = Person.objects.filter(city=city).order_by("name")

    def clean_justification(self):
        text = self.cleaned_data["justification"].strip()
        if len(text) < 20:
            raise ValidationError(_("Write at least 20 characters: say why publishing is right."))
        return text


def _dataset(model_admin, request, object_id: str) -> Dataset:
    dataset = get_object_or_404(Dataset.objects.select_related("city"), pk=object_id)
    if not model_admin.has_change_permission(request, dataset):
        raise PermissionDenied
    return dataset


def _context(model_admin, request, dataset: Dataset, title: str) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "title": title, "opts": model_admin.opts, "original": dataset, "dataset": dataset,
        "change_url": reverse("admin:opendata_dataset_change", args=[dataset.pk]),
        "upload_url": reverse("admin:opendata_dataset_upload", args=[dataset.pk]),
        "gate_url": reverse("admin:opendata_dataset_gate", args=[dataset.pk]),
        "public_url": _public_url(dataset),
    }


def _public_url(dataset: Dataset) -> str | None:
    if not dataset.public:
        return None
    return reverse("portal:dataset", kwargs={"city": dataset.city.key, "key": dataset.key})


def held_distributions(dataset: Dataset) -> list[Distribution]:
    return list(dataset.distributions.filter(kind=choices.DistributionKind.FILE,
                                             format__in=list(services.HELD_FORMATS)).order_by("key"))


def upload_view(model_admin, request, object_id: str):
    """Upload a file as the next version of one of the dataset's held distributions."""
    dataset = _dataset(model_admin, request, object_id)
    distributions = held_distributions(dataset)
    context = _context(model_admin, request, dataset, gettext("Upload a new version"))
    context.update(distributions=distributions, refused=None, version=None, review=None)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, distributions=distributions)
        if form.is_valid():
            dist = next(d for d in distributions if d.key == form.cleaned_data["distribution"])
            upload = form.cleaned_data["file"]
            scratch = Path(tempfile.mkdtemp(prefix="cityline-upload-"))
            try:
                path = scratch / Path(upload.name).name
                with path.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                version = services.upload_version(dist, path, original_name=upload.name, user=request.user,
                                                  note=form.cleaned_data["note"],
                                                  encoding=form.cleaned_data["encoding"] or None)
            except tabular.IngestError as exc:
                message, errors = tabular.localised(exc, gettext)
                context["refused"] = {"message": message, "errors": errors, "total_errors": exc.total_errors,
                                      "distribution": dist}
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                review = services.latest_review(version)
                dataset.refresh_from_db()
                context.update(version=version, review=present_review(review) if review else None,
                               fields=(version.table_schema or {}).get("fields", []), dataset=dataset,
                               public_url=_public_url(dataset))
                form = UploadForm(distributions=distributions)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    else:
        form = UploadForm(distributions=distributions, initial={"distribution": request.GET.get("distribution")})
    context["form"] = form
    return TemplateResponse(request, "admin/opendata/dataset/upload.html", context)


def _reason_text(reason: dict) -> str:
    """A stored reason in the active language (the msgid and its parameters are stored with it)."""
    message = reason.get("message")
    if not message:
        return reason.get("text", "")
    params = dict(reason.get("params") or {})
    if reason.get("categories"):
        params["categories"] = ", ".join(gettext(privacy.CATEGORY_LABELS.get(c, c)) for c in reason["categories"])
    try:
        return gettext(message) % params
    except (KeyError, TypeError, ValueError):
        return reason.get("text") or message


def present_review(review) -> dict[str, Any]:
    """A stored privacy review as the gate page shows it (labels translated)."""
    report = review.report or {}
    findings = []
    for f in report.get("findings", []):
        findings.append({**f, "category_labels": [gettext(privacy.CATEGORY_LABELS.get(c, c))
                                                  for c in f.get("categories", [])],
                         "percent": round(100 * float(f.get("share") or 0), 1)})
    return {
        "review": review, "result": review.result, "result_label": review.get_result_display(),
        "version": review.distribution_version, "distribution": review.distribution_version.distribution,
        "flagged": [f for f in findings if f.get("flagged")],
        "noted": [f for f in findings if not f.get("flagged")],
        "k_anonymity": report.get("k_anonymity"),
        "reasons": [_reason_text(r) for r in report.get("reasons", [])],
        "parameters": report.get("parameters") or {},
        "steward": review.steward, "justification": review.justification, "created_at": review.created_at,
    }


def gate_view(model_admin, request, object_id: str):
    """The privacy gate of one dataset, with the steward's override form (B8, B10)."""
    dataset = _dataset(model_admin, request, object_id)
    context = _context(model_admin, request, dataset, gettext("Privacy gate"))
    overridden = None
    if request.method == "POST":
        form = OverrideForm(request.POST, city=dataset.city)
        if form.is_valid():
            try:
                overridden = services.override_gate(dataset, steward=form.cleaned_data["steward"],
                                                    justification=form.cleaned_data["justification"],
                                                    user=request.user)
            except ValueError as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                form = OverrideForm(city=dataset.city)
                dataset.refresh_from_db()
    else:
        form = OverrideForm(city=dataset.city)
    reviews = []
    for version in services.latest_versions(dataset):
        review = services.latest_review(version)
        reviews.append(present_review(review) if review else {"version": version, "result": None,
                                                               "distribution": version.distribution})
    context.update(form=form, reviews=reviews, overridden=overridden, dataset=dataset,
                   public_url=_public_url(dataset),
                   blocked=any(r["result"] == choices.GateResult.BLOCKED for r in reviews))
    return TemplateResponse(request, "admin/opendata/dataset/gate.html", context)
