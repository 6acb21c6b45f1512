"""Editor pages of the participation area (B1.b, B2.g, B3, B11).

City records (participation settings, consultations with their survey questions, responses with
their "you said, we did" items, engagement KPI feeds) are edited like every other record: through
the actions layer, with history, by the organiser's contributors and the programme administrators.
Opening, closing and publishing the response are admin actions calling :mod:`.services`.

People's records are never edited here. The organiser's staff (and the programme administrators)
see who took part and what they wrote, moderate contributions with a public reason (hide, restore,
dismiss reports: :func:`.services.hide` and friends, which check the authorisation and write the
moderation log) and enter responses received in person, by phone or by post
(``/admin/participation/consultation/<id>/offline/``). Colleagues of other organisations do not
see participants or contributions in the editor; nobody but a platform administrator sees which
account a participant is.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from cityline.core.editor import CitylineAdmin, CityStackedInline, ReadOnlyTabularInline, VersionedForm
from cityline.strategy.choices import PartyCategory

from . import operations, services
from .choices import ModerationAction, QuestionKind, ResponseChannel
from .models import (
    Consultation,
    ConsultationResponse,
    Contribution,
    ContributionReport,
    EngagementKpiFeed,
    ModerationEvent,
    Participant,
    ParticipationSettings,
    ResponseItem,
    SurveyQuestion,
)

OFFLINE_CHANNELS = [c for c in ResponseChannel.choices if c[0] != ResponseChannel.ONLINE]


def _principal(request):
    from cityline.accounts.principals import principal_for

    return principal_for(request)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{field.replace('_', ' ')}: {m}" if field != "__all__" else m
                             for field, msgs in exc.message_dict.items() for m in msgs)
        return " ".join(exc.messages)
    return str(exc)


class LinesField(forms.CharField):
    """A JSON list of short texts, edited one per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


# --- settings --------------------------------------------------------------------------------------


class SettingsForm(VersionedForm):
    districts = LinesField(label=gettext_lazy("districts"), required=False,
                           help_text=gettext_lazy("One per line. Participants may say which one they live in; "
                                                  "only aggregates are published."))

    class Meta:
        model = ParticipationSettings
        fields = "__all__"


@admin.register(ParticipationSettings)
class ParticipationSettingsAdmin(CitylineAdmin):
    form = SettingsForm
    list_display = ["__str__", "small_count_threshold", "response_target_days", "allows_verified_anonymous"]
    fields = ["districts", "small_count_threshold", "response_target_days", "allows_verified_anonymous"]


# --- consultations ---------------------------------------------------------------------------------


def run_lifecycle(model_admin, request, consultations, verb: str, func, done: str) -> None:
    """Run a lifecycle service on each consultation the user may change; one message per refusal."""
    ok = []
    for consultation in consultations.order_by("pk"):
        if not model_admin._can(request, "change", consultation):
            model_admin.message_user(request, _("%(title)s: you may not %(verb)s this consultation (it is run by "
                                                "%(organiser)s).") % {"title": consultation.title, "verb": verb,
                                                                       "organiser": consultation.organiser},
                                     messages.ERROR)
            continue
        try:
            func(consultation)
        except (ValidationError, PermissionDenied) as exc:
            model_admin.message_user(request, _("%(title)s was not changed: %(reason)s")
                                     % {"title": consultation.title, "reason": _refusal(exc)}, messages.ERROR)
        else:
            ok.append(consultation.title)
    if ok:
        model_admin.message_user(request, done % {"titles": ", ".join(ok)}, messages.SUCCESS)


class QuestionForm(VersionedForm):
    options = LinesField(label=gettext_lazy("options"), required=False,
                         help_text=gettext_lazy("Choice questions only: one option per line."))

    class Meta:
        model = SurveyQuestion
        fields = "__all__"


class QuestionInline(CityStackedInline):
    model = SurveyQuestion
    form = QuestionForm
    fields = ["number", "text", "kind", "options", "required", ("scale_min", "scale_max"),
              ("scale_min_label", "scale_max_label")]
    ordering = ["number"]


class ConsultationForm(VersionedForm):
    audiences = forms.MultipleChoiceField(
        label=gettext_lazy("target audiences"), choices=PartyCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The interested-party categories the consultation aims at (B3)."))
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("channels"), choices=ResponseChannel.choices, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("How people can respond. Responses received in person, by phone or by post are "
                               "entered by staff (B11)."))

    class Meta:
        model = Consultation
        fields = "__all__"


@admin.register(Consultation)
class ConsultationAdmin(CitylineAdmin):
    form = ConsultationForm
    list_display = ["title", "key", "organiser", "status", "opens_on", "closes_on", "participants_count",
                    "contributions_count"]
    list_filter = ["status", "organiser"]
    search_fields = ["title", "key", "question"]
    ordering = ["-opens_on", "title"]
    autocomplete_fields = ["organiser", "documents", "vision_objectives", "principles", "initiatives",
                           "policy_products", "services", "datasets", "segments", "engagement_activity"]
    readonly_fields = ["status", "closed_on", "staff_tools"]
    inlines = [QuestionInline]
    actions = ["open_selected", "close_selected", "publish_response_selected"]
    fieldsets = [
        (gettext_lazy("Consultation"), {"fields": ["key", "title", "question", "background", "organiser",
                                                   "documents", "staff_tools"]}),
        (gettext_lazy("What it is about"), {"fields": ["vision_objectives", "principles", "initiatives",
                                                       "policy_products", "services", "datasets"]}),
        (gettext_lazy("Who and how"), {"fields": ["audiences", "segments", "channels", "allows_anonymous",
                                                  "engagement_activity"]}),
        (gettext_lazy("Dates and status"), {"fields": ["opens_on", "closes_on", "status", "closed_on"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_participants=Count("participants", distinct=True),
            n_contributions=Count("contributions", distinct=True))

    @admin.display(description=gettext_lazy("participants"), ordering="n_participants")
    def participants_count(self, obj):
        return getattr(obj, "n_participants", None)

    @admin.display(description=gettext_lazy("contributions"), ordering="n_contributions")
    def contributions_count(self, obj):
        return getattr(obj, "n_contributions", None)

    @admin.display(description=gettext_lazy("staff tools"))
    def staff_tools(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the consultation first.")
        links = [(reverse("admin:participation_consultation_offline", args=[obj.pk]),
                  _("Enter an offline response")),
                 (reverse("admin:participation_contribution_changelist") + f"?consultation__id__exact={obj.pk}",
                  _("Moderate its contributions")),
                 (reverse("admin:participation_participant_changelist") + f"?consultation__id__exact={obj.pk}",
                  _("Its participants"))]
        response = ConsultationResponse.objects.filter(consultation=obj).first()
        if response is not None:
            links.append((reverse("admin:participation_consultationresponse_change", args=[response.pk]),
                          _("Its response")))
        else:
            links.append((reverse("admin:participation_consultationresponse_add") + f"?city={obj.city_id}&consultation={obj.pk}",
                          _("Write its response")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/offline/", view(self.offline_view), name="participation_consultation_offline"),
            *super().get_urls(),
        ]

    # -- admin actions: the lifecycle, through the services ------------------------------------------

    def _run(self, request, queryset, verb: str, func, done: str):
        run_lifecycle(self, request, queryset, verb, func, done)

    @admin.action(description=gettext_lazy("Open the selected consultations"))
    def open_selected(self, request, queryset):
        self._run(request, queryset, _("open"),
                  lambda c: services.open_consultation(c, user=request.user), _("Opened: %(titles)s."))

    @admin.action(description=gettext_lazy("Close the selected consultations"))
    def close_selected(self, request, queryset):
        self._run(request, queryset, _("close"),
                  lambda c: services.close_consultation(c, user=request.user), _("Closed: %(titles)s."))

    @admin.action(description=gettext_lazy("Publish the response of the selected consultations"))
    def publish_response_selected(self, request, queryset):
        self._run(request, queryset, _("publish the response of"),
                  lambda c: services.publish_response(c, user=request.user),
                  _("Response published (participants who asked are told by e-mail): %(titles)s."))

    # -- entering an offline response ------------------------------------------------------------------

    def offline_view(self, request, object_id):
        consultation = get_object_or_404(Consultation.objects.select_related("city", "organiser"), pk=object_id)
        if not self.has_change_permission(request, consultation):
            raise PermissionDenied
        form = OfflineResponseForm(request.POST or None, consultation=consultation)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                participant = services.enter_offline_response(
                    consultation, staff=request.user, channel=data["channel"], display_name=data["display_name"],
                    body=data["body"], answers=form.answers(), party_category=data["party_category"],
                    segment=data["segment"], district=data["district"])
            except PermissionDenied:
                raise
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                self.message_user(request, _("The response of %(name)s (%(channel)s) was entered.")
                                  % {"name": participant.display_name,
                                     "channel": participant.get_channel_display()}, messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Enter an offline response"), "opts": self.opts, "original": consultation,
            "consultation": consultation, "form": form,
            "change_url": reverse("admin:participation_consultation_change", args=[consultation.pk]),
            "accepts": services.accepts_contributions(consultation),
        }
        return TemplateResponse(request, "admin/participation/consultation/offline.html", context)


class OfflineResponseForm(forms.Form):
    """A response received in person, by phone or by post, typed in by staff (B11: nobody is excluded)."""

    channel = forms.ChoiceField(label=gettext_lazy("Received"), widget=forms.RadioSelect)
    display_name = forms.CharField(
        label=gettext_lazy("Display name or reference"), max_length=60,
        help_text=gettext_lazy("Shown publicly with the text: the name the person gave for publication, or a "
                               "reference such as “Letter 12”. Never an address or phone number."))
    body = forms.CharField(label=gettext_lazy("What they said"), required=False,
                           widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=gettext_lazy("Their words, as written or said. Leave empty if they only "
                                                  "answered the survey."))
    party_category = forms.ChoiceField(label=gettext_lazy("Takes part as (if they said)"), required=False)
    segment = forms.ModelChoiceField(label=gettext_lazy("Customer segment (if they said)"), required=False,
                                     queryset=None)
    district = forms.ChoiceField(label=gettext_lazy("District (if they said)"), required=False)

    def __init__(self, *args, consultation: Consultation, **kwargs):
        super().__init__(*args, **kwargs)
        from cityline.citizen_services.models import CustomerSegment

        self.consultation = consultation
        taken = [c for c in OFFLINE_CHANNELS if c[0] in (consultation.channels or [])]
        self.fields["channel"].choices = taken or OFFLINE_CHANNELS
        self.fields["party_category"].choices = [("", "—"), *PartyCategory.choices]
        self.fields["segment"].queryset = CustomerSegment.objects.filter(city=consultation.city).order_by("name")
        districts = services.settings_for(consultation.city).districts or []
        self.fields["district"].choices = [("", "—"), *[(d, d) for d in districts]]
        self.questions = list(consultation.questions.order_by("number"))
        for q in self.questions:
            self.fields[f"q{q.number}"] = self._question_field(q)

    @staticmethod
    def _question_field(q: SurveyQuestion) -> forms.Field:
        label = f"{q.number}. {q.text}"
        # Required answers are checked by the services (one message naming the question).
        if q.kind == QuestionKind.SINGLE:
            return forms.ChoiceField(label=label, required=False, widget=forms.RadioSelect,
                                     choices=[("", _("No answer")), *[(o, o) for o in q.options]])
        if q.kind == QuestionKind.MULTIPLE:
            return forms.MultipleChoiceField(label=label, required=False, widget=forms.CheckboxSelectMultiple,
                                             choices=[(o, o) for o in q.options])
        if q.kind == QuestionKind.SCALE:
            points = [(str(p), str(p)) for p in range(q.scale_min, q.scale_max + 1)]
            if q.scale_min_label:
                points[0] = (points[0][0], f"{points[0][1]} ({q.scale_min_label})")
            if q.scale_max_label:
                points[-1] = (points[-1][0], f"{points[-1][1]} ({q.scale_max_label})")
            return forms.ChoiceField(label=label, required=False, widget=forms.RadioSelect,
                                     choices=[("", _("No answer")), *points])
        return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def response_fields(self):
        return [self[name] for name in ("channel", "display_name", "body")]

    def question_fields(self):
        return [self[f"q{q.number}"] for q in self.questions]

    def profile_fields(self):
        return [self[name] for name in ("party_category", "segment", "district")]

    def answers(self) -> dict[int, object]:
        out = {}
        for q in self.questions:
            value = self.cleaned_data.get(f"q{q.number}")
            if value not in (None, "", []):
                out[q.number] = value
        return out

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, msgs in exc.message_dict.items():
            target = field if field in self.fields else None
            for msg in msgs:
                self.add_error(target, msg if target or field == "__all__" else f"{field}: {msg}")


# --- responses ("you said, we did") ---------------------------------------------------------------


class ResponseItemForm(VersionedForm):
    change_id = forms.TypedChoiceField(
        label=gettext_lazy("change"), coerce=int, empty_value=None, required=False,
        help_text=gettext_lazy("The change of the record that this item made, among its changes since the "
                               "consultation opened (date - fields changed - reason)."))
    #: Grouped choices, set per response by :class:`ResponseItemInline`.
    change_choices: list = []

    class Meta:
        model = ResponseItem
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(self.change_choices) or [("", _("Save the response first to choose a change"))]
        offered = {value for _group, options in choices if isinstance(options, list) for value, _l in options}
        current = self.instance.change_id
        if current and current not in offered:
            choices.append((current, _("change %(n)s (not among the changes since the consultation opened)")
                            % {"n": current}))
        self.fields["change_id"].choices = choices


class ResponseItemInline(CityStackedInline):
    model = ResponseItem
    form = ResponseItemForm
    fields = ["number", "you_said", "we_did", "outcome", "reason", ("record_type", "record_key"), "change_id"]
    ordering = ["number"]

    def get_formset(self, request, obj=None, **kwargs):
        choices: list = []
        if obj is not None and obj.pk is not None:
            named = list(obj.items.values_list("record_type", "record_key"))
            choices = operations.response_change_choices(obj.consultation, named)
        kwargs["form"] = type("ResponseItemForm", (ResponseItemForm,), {"change_choices": choices})
        return super().get_formset(request, obj, **kwargs)


@admin.register(ConsultationResponse)
class ConsultationResponseAdmin(CitylineAdmin):
    list_display = ["__str__", "consultation", "status", "published_on"]
    list_filter = ["status"]
    search_fields = ["consultation__title", "consultation__key", "summary"]
    autocomplete_fields = ["consultation"]
    readonly_fields = ["status", "published_on"]
    fields = ["consultation", "summary", "status", "published_on"]
    inlines = [ResponseItemInline]
    actions = ["publish_selected"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and "consultation" not in fields:
            fields.append("consultation")
        return fields

    @admin.action(description=gettext_lazy("Publish the selected responses (tells the participants)"))
    def publish_selected(self, request, queryset):
        consultations = Consultation.objects.filter(pk__in=queryset.values("consultation_id"))
        run_lifecycle(self, request, consultations, _("publish the response of"),
                               lambda c: services.publish_response(c, user=request.user),
                               _("Response published (participants who asked are told by e-mail): %(titles)s."))


@admin.register(EngagementKpiFeed)
class EngagementKpiFeedAdmin(CitylineAdmin):
    list_display = ["kpi", "metric", "period"]
    list_filter = ["metric", "period"]
    search_fields = ["kpi__name", "kpi__key"]
    autocomplete_fields = ["kpi"]
    fields = ["kpi", "metric", "period"]


# --- people's records: seen by the organiser's staff, written only by the services -----------------


class _PeopleRecordAdmin(CitylineAdmin):
    """Personal records: read here by the organiser's contributors and the programme administrators only;
    never added, changed or deleted through the editor's forms."""

    #: Lookup from the record to its consultation's organiser.
    organiser_lookup = "consultation__organiser_id"

    def has_view_permission(self, request, obj=None):
        return self._can(request, "change", obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        from cityline.accounts.roles import Role

        qs = super().get_queryset(request)
        principal = _principal(request)
        if principal.platform_admin:
            return qs
        admin_cities = {g.city_id for g in principal.grants if g.role == Role.PROGRAMME_ADMIN}
        organisations = {g.organisation_id for g in principal.grants
                         if g.role == Role.CONTRIBUTOR and g.organisation_id is not None}
        return qs.filter(Q(city_id__in=admin_cities) | Q(**{f"{self.organiser_lookup}__in": organisations}))

    def history_view(self, request, object_id, extra_context=None):
        # No change history for people's records (the moderation log is theirs).
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)


@admin.register(Participant)
class ParticipantAdmin(_PeopleRecordAdmin):
    list_display = ["public_name", "consultation", "channel", "district", "party_category", "joined_at",
                    "entered_by"]
    list_filter = ["consultation", "channel", "party_category", "district"]
    search_fields = ["display_name"]
    ordering = ["-joined_at"]
    readonly_fields = ["consultation", "public_name", "channel", "entered_by", "party_category", "segment",
                       "district", "notify", "language", "joined_at", "account"]

    def get_fields(self, request, obj=None):
        fields = ["consultation", "public_name", "channel", "entered_by", "party_category", "segment",
                  "district", "notify", "language", "joined_at", "account"]
        if _principal(request).platform_admin:
            fields.append("user")
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if _principal(request).platform_admin:
            fields.append("user")
        return fields

    @admin.display(description=gettext_lazy("display name"), ordering="display_name")
    def public_name(self, obj):
        return obj.public_name

    @admin.display(description=gettext_lazy("account"))
    def account(self, obj):
        if obj.user_id:
            return _("took part online with a Cityline account")
        if obj.entered_by_id:
            return _("none: entered by staff")
        return _("none (erased at the person's request)")


class ReportInline(ReadOnlyTabularInline):
    model = ContributionReport
    fields = ["reason", "created_at", "resolved"]
    show_change_link = False
    verbose_name_plural = gettext_lazy("reports")


class ModerationInline(ReadOnlyTabularInline):
    model = ModerationEvent
    fields = ["at", "action", "reason", "moderator"]
    show_change_link = False
    verbose_name_plural = gettext_lazy("moderation log")


class ModerationForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=[
        (ModerationAction.HIDE, gettext_lazy("Hide it")),
        (ModerationAction.RESTORE, gettext_lazy("Restore it")),
        (ModerationAction.DISMISS, gettext_lazy("Dismiss the reports (keep it)")),
    ])
    reason = forms.CharField(label=gettext_lazy("Public reason"), max_length=300, min_length=3,
                             help_text=gettext_lazy("Shown publicly (in place of the text, when hidden) and "
                                                    "kept in the moderation log."))


MODERATE = {ModerationAction.HIDE: services.hide, ModerationAction.RESTORE: services.restore,
            ModerationAction.DISMISS: services.dismiss_reports}


class UnresolvedReportsFilter(admin.SimpleListFilter):
    title = gettext_lazy("unresolved reports")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(reports__resolved=False).distinct()
        if self.value() == "no":
            return queryset.exclude(reports__resolved=False)
        return queryset


@admin.register(Contribution)
class ContributionAdmin(_PeopleRecordAdmin):
    list_display = ["excerpt", "author", "consultation", "kind", "created_at", "hidden", "reports_count"]
    list_filter = ["consultation", "hidden", UnresolvedReportsFilter, "kind"]
    search_fields = ["title", "body", "participant__display_name"]
    ordering = ["-created_at"]
    fields = ["consultation", "author", "kind", "parent", "title", "body", "created_at", "hidden", "hidden_reason",
              "erased"]
    readonly_fields = fields
    inlines = [ReportInline, ModerationInline]
    actions = ["hide_selected", "restore_selected", "dismiss_selected"]
    change_form_template = "admin/participation/contribution/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("participant", "consultation").annotate(
            n_reports=Count("reports", distinct=True),
            n_open_reports=Count("reports", filter=Q(reports__resolved=False), distinct=True))

    @admin.display(description=gettext_lazy("text"))
    def excerpt(self, obj):
        text = obj.title or obj.body
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description=gettext_lazy("by"), ordering="participant__display_name")
    def author(self, obj):
        return obj.participant.public_name

    @admin.display(description=gettext_lazy("reports (unresolved)"), ordering="n_open_reports")
    def reports_count(self, obj):
        return f"{getattr(obj, 'n_reports', 0)} ({getattr(obj, 'n_open_reports', 0)})"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/moderate/", view(self.moderate_view), name="participation_contribution_moderate"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "moderation_form": ModerationForm(),
                         "moderate_url": reverse("admin:participation_contribution_moderate", args=[object_id])}
        return super().change_view(request, object_id, form_url, extra_context)

    def moderate_view(self, request, object_id):
        """The moderation form of one contribution's page (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        contribution = get_object_or_404(self.get_queryset(request), pk=object_id)
        back = reverse("admin:participation_contribution_change", args=[contribution.pk])
        form = ModerationForm(request.POST)
        if not form.is_valid():
            problems = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
                                 for f, e in form.errors.items())
            self.message_user(request, _("Nothing was done: %(problems)s") % {"problems": problems}, messages.ERROR)
            return HttpResponseRedirect(back)
        self._moderate(request, [contribution], form.cleaned_data["action"], form.cleaned_data["reason"])
        return HttpResponseRedirect(back)

    def _moderate(self, request, contributions, action: str, reason: str) -> None:
        done = 0
        for contribution in contributions:
            try:
                MODERATE[action](contribution, request.user, reason)
            except PermissionDenied:
                self.message_user(request, _("“%(text)s”: you may not moderate the contributions of this "
                                             "consultation.") % {"text": self.excerpt(contribution)}, messages.ERROR)
            except ValidationError as exc:
                self.message_user(request, _("“%(text)s” was not changed: %(reason)s")
                                  % {"text": self.excerpt(contribution), "reason": _refusal(exc)}, messages.ERROR)
            else:
                done += 1
        if done:
            label = {ModerationAction.HIDE: ngettext("%(n)s contribution hidden.", "%(n)s contributions hidden.",
                                                     done),
                     ModerationAction.RESTORE: ngettext("%(n)s contribution restored.",
                                                        "%(n)s contributions restored.", done),
                     ModerationAction.DISMISS: ngettext("Reports dismissed on %(n)s contribution.",
                                                        "Reports dismissed on %(n)s contributions.", done)}[action]
            self.message_user(request, (label % {"n": done}) + " " + _("Logged with the reason: %(reason)s")
                              % {"reason": reason.strip()}, messages.SUCCESS)

    def _bulk(self, request, queryset, action: str, title: str):
        """An admin action that first asks for the public reason (an intermediate page)."""
        if request.POST.get("confirm"):
            form = ModerationForm({"action": action, "reason": request.POST.get("reason", "")})
            if form.is_valid():
                self._moderate(request, list(queryset), action, form.cleaned_data["reason"])
                return None
        else:
            form = ModerationForm(initial={"action": action})
        context = {
            **self.admin_site.each_context(request),
            "title": title, "opts": self.opts, "form": form, "reason_fields": [form["reason"]],
            "contributions": list(queryset),
            "action_name": request.POST.get("action"), "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/participation/contribution/moderate_selected.html", context)

    @admin.action(description=gettext_lazy("Hide the selected contributions (with a public reason)"))
    def hide_selected(self, request, queryset):
        return self._bulk(request, queryset, ModerationAction.HIDE, _("Hide contributions"))

    @admin.action(description=gettext_lazy("Restore the selected contributions (with a public reason)"))
    def restore_selected(self, request, queryset):
        return self._bulk(request, queryset, ModerationAction.RESTORE, _("Restore contributions"))

    @admin.action(description=gettext_lazy("Dismiss the reports on the selected contributions (with a reason)"))
    def dismiss_selected(self, request, queryset):
        return self._bulk(request, queryset, ModerationAction.DISMISS, _("Dismiss reports"))


@admin.register(ModerationEvent)
class ModerationEventAdmin(CitylineAdmin):
    """The moderation log: read-only (append-only in the model too)."""

    list_display = ["at", "action", "contribution", "consultation", "reason", "moderator"]
    list_filter = ["action", "contribution__consultation"]
    search_fields = ["reason"]
    ordering = ["-at", "-id"]
    fields = ["at", "action", "contribution", "reason", "moderator"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("consultation"))
    def consultation(self, obj):
        return obj.contribution.consultation

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contribution__consultation", "moderator")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def history_view(self, request, object_id, extra_context=None):
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)

