"""Forms of the public consultation page: plain POST forms that work without JavaScript.

The forms only parse what the browser sent; every rule (display names, open dates, one support
per person, survey answers) lives in :mod:`.services`, whose ``ValidationError`` messages are
put back on the field they name (:func:`apply_errors`).

The contribution forms carry a honeypot: a text field people never see (hidden by a class of
the static stylesheet, ``aria-hidden``, out of the tab order, no autocomplete). Automated
form-fillers tend to fill every field; a filled honeypot is refused quietly (:func:`is_bot`).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.strategy.choices import PartyCategory

from . import services
from .choices import QuestionKind

HONEYPOT = "website"


class HoneypotMixin(forms.Form):
    website = forms.CharField(
        label=_("Leave this field empty"), required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def is_bot(self) -> bool:
        return bool((self.data.get(self.add_prefix(HONEYPOT)) or "").strip())


def is_bot(form: forms.Form) -> bool:
    return isinstance(form, HoneypotMixin) and form.is_bot()


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the visible field it names, else on the form (an error
    on a hidden field, such as the contribution a reply answers, would be shown nowhere)."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            shown = name in form.fields and not form.fields[name].widget.is_hidden
            form.add_error(name if shown else None, messages)
    else:
        form.add_error(None, exc.messages)


class ProfileForm(HoneypotMixin):
    """Taking part: a display name and an optional, self-declared profile (published aggregated only).

    ``participant`` is the person's record when they already take part. With ``declared_fixed`` (the consultation
    has closed) the self-declared fields are left out and what they declared is kept as it is.

    A customer segment or district the person declared that the consultation no longer offers (the city renamed or
    dropped it since) stays among their choices, selected, marked as no longer offered and explained under the
    field: saving the form for another reason keeps it, and it goes only when the person chooses another value
    (:meth:`_keep_retired`). Nobody else is offered it."""

    display_name = forms.CharField(
        label=_("Display name"), max_length=60, required=False,
        help_text=_("Shown next to what you write. Not your user name or e-mail address."))
    anonymous = forms.BooleanField(
        label=_("Take part as a verified participant, without a display name"), required=False)
    party_category = forms.ChoiceField(label=_("I take part as (optional)"), required=False)
    segment = forms.ModelChoiceField(label=_("Customer segment (optional)"), required=False, queryset=None,
                                     empty_label="—")
    district = forms.ChoiceField(label=_("District (optional)"), required=False)
    notify = forms.BooleanField(label=_("E-mail me when the city publishes its response"), required=False,
                                initial=True)

    field_order = ["display_name", "anonymous", "party_category", "segment", "district", "notify"]

    def __init__(self, *args, consultation, segments, districts, allows_anonymous: bool, participant=None,
                 declared_fixed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        self.participant = participant
        self.declared_fixed = declared_fixed and participant is not None
        self.fields["party_category"].choices = [("", "—"), *PartyCategory.choices]
        self.fields["segment"].queryset = segments
        self.fields["district"].choices = [("", "—"), *((d, d) for d in districts or [])]
        if not self.declared_fixed:
            self._keep_retired(segments, districts or [])
        if not self.fields["segment"].queryset.exists():
            del self.fields["segment"]
        if not districts and len(self.fields["district"].choices) == 1:
            del self.fields["district"]
        if not allows_anonymous:
            del self.fields["anonymous"]
        if self.declared_fixed:
            for name in services.DECLARED_FIELDS:
                self.fields.pop(name, None)

    def _keep_retired(self, segments, districts) -> None:
        """Offer the participant's own segment and district again when the consultation no longer does."""
        from cityline.citizen_services.models import CustomerSegment

        participant = self.participant
        if participant is None:
            return
        retired = _("%(value)s (no longer offered)")
        note = _("“%(value)s”, which you gave earlier, is no longer offered in this consultation: it stays as it "
                 "is unless you choose another.")
        if participant.segment_id and not segments.filter(pk=participant.segment_id).exists():
            field = self.fields["segment"]
            field.queryset = CustomerSegment.objects.filter(
                models.Q(pk__in=segments.values("pk")) | models.Q(pk=participant.segment_id)).order_by("name")
            old_pk, label_of = participant.segment_id, field.label_from_instance
            field.label_from_instance = (lambda s: retired % {"value": label_of(s)} if s.pk == old_pk
                                         else label_of(s))
            field.help_text = note % {"value": participant.segment.name}
        if participant.district and participant.district not in districts:
            field = self.fields["district"]
            field.choices = [*field.choices, (participant.district, retired % {"value": participant.district})]
            field.help_text = note % {"value": participant.district}

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        out = {"display_name": d.get("display_name") or "", "anonymous": bool(d.get("anonymous")),
               "party_category": d.get("party_category") or "", "segment": d.get("segment"),
               "district": d.get("district") or "", "notify": bool(d.get("notify"))}
        if self.declared_fixed:
            out.update({name: getattr(self.participant, name) for name in services.DECLARED_FIELDS})
        return out


class CommentForm(HoneypotMixin):
    """A comment, or a reply when ``parent`` is set."""

    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    body = forms.CharField(label=_("Your comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))

    field_order = ["parent", "body"]


class ReplyForm(CommentForm):
    body = forms.CharField(label=_("Your reply"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ProposalForm(HoneypotMixin):
    title = forms.CharField(label=_("Title of your proposal"), max_length=200, required=False)
    body = forms.CharField(label=_("What you propose, and why"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 6}))

    field_order = ["title", "body"]


class SupportForm(forms.Form):
    proposal = forms.IntegerField(widget=forms.HiddenInput)


class ReportForm(forms.Form):
    contribution = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("What is wrong with it?"), max_length=500)


class SurveyForm(HoneypotMixin):
    """One field per survey question (``q1``, ``q2``…); whether an answer is needed is the service's rule."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            label = f"{q.number}. {q.text}"
            if q.required:
                label += " " + str(_("(required)"))
            if q.kind == QuestionKind.SINGLE:
                field = forms.ChoiceField(label=label, required=False, choices=[(o, o) for o in q.options],
                                          widget=forms.RadioSelect)
            elif q.kind == QuestionKind.MULTIPLE:
                field = forms.MultipleChoiceField(label=label, required=False, choices=[(o, o) for o in q.options],
                                                  widget=forms.CheckboxSelectMultiple)
            elif q.kind == QuestionKind.SCALE:
                labels = {q.scale_min: q.scale_min_label, q.scale_max: q.scale_max_label}
                choices = [(str(p), f"{p} ({labels[p]})" if labels.get(p) else str(p))
                           for p in range(q.scale_min, q.scale_max + 1)]
                field = forms.ChoiceField(label=label, required=False, choices=choices, widget=forms.RadioSelect)
            else:
                field = forms.CharField(label=label, required=False, max_length=2000,
                                        widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[f"q{q.number}"] = field
        self.order_fields([f"q{q.number}" for q in self.questions] + [HONEYPOT])

    def answers(self) -> dict[int, object]:
        return {q.number: self.cleaned_data.get(f"q{q.number}") for q in self.questions}

    @staticmethod
    def initial_from(answers) -> dict[str, object]:
        """Initial values from a participant's stored answers (to pre-fill the form)."""
        initial = {}
        for a in answers:
            value = a.value
            initial[f"q{a.question.number}"] = str(value) if isinstance(value, int) else value
        return initial


def honeypot_field(form: forms.Form):
    return form[HONEYPOT] if HONEYPOT in form.fields else None
