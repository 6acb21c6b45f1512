"""The shared editor machinery: Django admin classes that write only through the actions layer.

Every area's ``admin.py`` builds on these classes, so per-model code stays
configuration (list columns, filters, fieldsets, inlines) and the rules live here once:

- **Writes go through** :mod:`cityline.core.actions`. ``save_model``, ``save_formset``,
  ``delete_model`` and ``delete_queryset`` call ``actions.save`` / ``actions.delete``
  with the signed-in user; many-to-many sets go through the ``m2m=`` argument (the
  form's ``save_m2m`` is never called), so validation, history and change
  announcements are the same as for the API, the CLI and the pack importer.
- **Optimistic locking.** Every change form (and every inline row) carries the
  version of the record it was opened with in a hidden field (``opened_version``). If
  the stored record moved on, the form refuses with a clear message naming who changed
  it and when; a concurrent write that slips in between validation and saving
  (``actions.ConflictError``) is turned into the same message. Nothing is overwritten.
- **Refused writes are form errors, never a server error.** A ``ValidationError`` from
  the actions layer (registered rules such as "a policy product never goes back to
  draft", cross-city references, constraints) is shown on the form; the whole
  submission (record, inline rows, admin log) is rolled back.
- **City scoping.** One instance hosts several cities: every list can be filtered by
  city, and foreign-key and many-to-many choices are limited to records of the city being
  edited (before a city is chosen: of the cities the user may edit; the only one is chosen
  for them). Filters of related records in the lists name records of the viewer's cities only.
  Editor pages about a whole city (its change history, the board pack) choose among the viewer's
  cities with :func:`viewer_city_list` / :func:`viewer_city`: any other city is a 404.
- **Admin actions check each selected record.** ``@admin.action(permissions=[...])`` only asks
  about the model; an action that acts on the records as they are (e.g. deleting them) calls
  :meth:`CitylineAdmin.refuse_unpermitted` first, so a role limited to some organisations cannot
  act on another's records by ticking them (the participation actions check each record through
  their own services).
- **History.** Built on django-simple-history's ``SimpleHistoryAdmin``: each record's
  history page lists who, when, and each changed field with its value before and after.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import actions
from .models import City

#: Name of the hidden form field holding the version a form was opened with.
VERSION_FIELD = "opened_version"

#: Bookkeeping fields left out of history diffs (they change at every write).
HISTORY_HIDDEN_FIELDS = ["version", "updated_at"]

#: Verbs of the permissions an admin action may need, for messages.
_ACTION_VERBS = {"view": gettext_lazy("view"), "add": gettext_lazy("add"), "change": gettext_lazy("change"),
                 "delete": gettext_lazy("delete")}

# Request attributes used to pass state between admin hooks of one request.
_CITY_ATTR = "_cityline_city_id"
_PARENT_ATTR = "_cityline_parent"
_ERRORS_ATTR = "_cityline_write_errors"


# --- helpers ---------------------------------------------------------------------------


def has_city(model: type[models.Model]) -> bool:
    """Whether a model is a city record (has a ``city`` foreign key to :class:`City`)."""
    try:
        field = model._meta.get_field("city")
    except FieldDoesNotExist:
        return False
    return getattr(field, "related_model", None) is City


def record_label(instance: models.Model) -> str:
    """``verbose name “str”``; a half-filled new record may not have a printable name."""
    try:
        text = str(instance)
    except Exception:  # noqa: BLE001 - __str__ of an incomplete row (missing foreign key)
        text = ""
    return f"{instance._meta.verbose_name} “{text}”" if text else str(instance._meta.verbose_name)


def last_change(instance: models.Model) -> tuple[str, str]:
    """Who made the latest recorded change of ``instance``, and when (local time, minutes)."""
    manager = getattr(type(instance), "history", None)
    record = None
    if manager is not None and instance.pk is not None:
        record = (
            manager.filter(**{instance._meta.pk.attname: instance.pk})
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
            .first()
        )
    if record is None:
        return _("someone else"), _("an unknown time")
    who = record.history_user.get_username() if record.history_user else _("someone else")
    when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M:%S %Z")
    return who, when


def conflict_message(instance: models.Model, opened_version: int | None) -> str:
    """The message a stale form shows: who changed the record, when, and what to do."""
    current = (
        type(instance)._default_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
        if instance.pk is not None
        else None
    )
    who, when = last_change(instance)
    what = instance._meta.verbose_name
    if current is None:
        return _(
            "This %(what)s was deleted by %(who)s at %(when)s since you opened it. Nothing was saved."
        ) % {"what": what, "who": who, "when": when}
    return _(
        "This %(what)s was changed by %(who)s at %(when)s since you opened it "
        "(you opened version %(opened)s, it is now version %(current)s). Nothing was saved: "
        "reload the page to see their changes, then make yours again."
    ) % {"what": what, "who": who, "when": when, "opened": opened_version, "current": current}


def validation_messages(exc: ValidationError) -> list[tuple[str | None, str]]:
    """Flatten a ValidationError into (field or None, message) pairs."""
    out: list[tuple[str | None, str]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for message in errors:
                out.append((None if field == NON_FIELD_ERRORS else field, message))
    else:
        out.extend((None, message) for message in exc.messages)
    return out


class WriteRefused(Exception):
    """The actions layer refused a write during an admin submission.

    Carries the errors as (form field or None, message) pairs; the editor rolls the
    submission back and shows them on the form.
    """

    def __init__(self, errors: list[tuple[str | None, str]]):
        super().__init__("; ".join(m for _f, m in errors))
        self.errors = errors

    @classmethod
    def wrap(cls, exc: Exception, instance: models.Model, opened: int | None, *, inline: bool) -> WriteRefused:
        if isinstance(exc, actions.ConflictError):
            return cls([(None, conflict_message(instance, opened))])
        pairs = validation_messages(exc)  # type: ignore[arg-type]
        if inline:
            # Inline rows report on the main form, naming the row and the field.
            label = record_label(instance)
            pairs = [
                (None, f"{label}: {field.replace('_', ' ')}: {msg}" if field else f"{label}: {msg}")
                for field, msg in pairs
            ]
        return cls(pairs)


def m2m_from_form(form: forms.ModelForm) -> dict[str, list]:
    """The many-to-many sets a model form edits, ready for ``actions.save(m2m=...)``."""
    cleaned = getattr(form, "cleaned_data", {}) or {}
    out = {}
    for field in form._meta.model._meta.many_to_many:
        if field.name in form.fields and field.name in cleaned:
            out[field.name] = list(cleaned[field.name] or [])
    return out


def city_from_request(request, model: type[models.Model] | None = None) -> int | None:
    """The city an add form is for: ``?city=<id>``, the changelist's city filter, the only city, or
    the only city where the user may write ``model``."""
    candidates = [request.GET.get("city")]
    preserved = request.GET.get("_changelist_filters")
    if preserved:
        params = dict(parse_qsl(preserved))
        candidates += [params.get("city__id__exact"), params.get("city")]
    for raw in candidates:
        if raw and str(raw).isdigit():
            return int(raw)
    ids = list(City.objects.values_list("pk", flat=True)[:2])
    if len(ids) == 1:
        return ids[0]
    cities = editable_cities(request, model)
    return next(iter(cities)) if cities is not None and len(cities) == 1 else None


def viewer_cities(request) -> set[int] | None:
    """The cities where the signed-in user holds a role (``None``: every city, for platform administrators)."""
    from cityline.accounts.principals import principal_for

    principal = principal_for(request)
    return None if principal.platform_admin else principal.cities()


def viewer_city_list(request) -> list[City]:
    """The cities where the signed-in user holds a role (every city for platform administrators), by name."""
    cities = City.objects.order_by("name")
    mine = viewer_cities(request)
    if mine is not None:
        cities = cities.filter(pk__in=mine)
    return list(cities)


def viewer_city(request, key: str, cities: list[City] | None = None) -> City:
    """The city ``key`` among the signed-in user's cities (:func:`viewer_city_list`, or ``cities`` when given).

    Any other city does not exist for this user (404, not 403): an editor page of a city shows its unpublished
    records and its staff, and a refusal would confirm which city keys exist.
    """
    if cities is None:
        mine = viewer_cities(request)
        found = City.objects.filter(key=key).first()
        city = found if found is not None and (mine is None or found.pk in mine) else None
    else:
        city = next((c for c in cities if c.key == key), None)
    if city is None:
        raise Http404(_("No city “%(key)s” among yours.") % {"key": key})
    return city


def editable_cities(request, model: type[models.Model] | None = None) -> set[int] | None:
    """The cities where the signed-in user may add or change records of ``model`` (``None``: every city)."""
    from cityline.accounts import authz
    from cityline.accounts.principals import principal_for

    cities = viewer_cities(request)
    if cities is None or model is None:
        return cities
    principal = principal_for(request)
    return {c for c in cities
            if authz.can(principal, "add", model, city_id=c) or authz.can(principal, "change", model, city_id=c)}


def city_of(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, City):
        return obj.pk
    return getattr(obj, "city_id", None)


# --- forms -----------------------------------------------------------------------------


class VersionedForm(forms.ModelForm):
    """A model form that remembers the version it was opened with and refuses stale saves."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    #: Errors from a refused write, shown on the re-rendered form (set per request).
    write_errors: list[tuple[str | None, str]] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[VERSION_FIELD]
        if self.instance.pk is not None and hasattr(self.instance, "version"):
            field.initial = self.instance.version
            field.required = True
            field.error_messages["required"] = _(
                "The form did not say which version of this record it was opened with; reload the page."
            )

    def clean(self):
        cleaned = super().clean()
        # Browsers send line breaks of text areas as CRLF; store them as the rest of
        # Cityline does (LF), so a save does not rewrite untouched paragraphs and city
        # packs exported afterwards do not change.
        for name, value in cleaned.items():
            if isinstance(value, str) and "\r" in value:
                cleaned[name] = value.replace("\r\n", "\n").replace("\r", "\n")
        seen: set[str] = set()
        instance = self.instance
        opened = cleaned.get(VERSION_FIELD)
        if (
            instance.pk is not None
            and not instance._state.adding
            and hasattr(instance, "version")
            and opened is not None
            and opened != instance.version
        ):
            message = conflict_message(instance, opened)
            seen.add(message)
            self.add_error(None, ValidationError(message, code="conflict"))
        for field, message in self.write_errors:
            if message in seen:
                continue
            seen.add(message)
            target = field if field in self.fields and field != VERSION_FIELD and field in cleaned else None
            if field and target is None and field != NON_FIELD_ERRORS:
                message = f"{field.replace('_', ' ')}: {message}"
            self.add_error(target, message)
        return cleaned


class CityInlineFormSet(forms.BaseInlineFormSet):
    """Inline rows belong to the parent's city: set it before they are validated."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if has_city(form._meta.model) and getattr(form.instance, "city_id", None) is None:
            city_id = city_of(self.instance)
            if city_id is not None:
                form.instance.city_id = city_id
        return form


# --- widgets -----------------------------------------------------------------------------


class _CityAutocompleteMixin:
    """Autocomplete that only offers records of one city (``?city=`` on the lookup URL)."""

    def __init__(self, *args, city_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.city_id = city_id

    def get_url(self):
        url = super().get_url()
        return f"{url}?city={self.city_id}" if self.city_id else url


class CityAutocompleteSelect(_CityAutocompleteMixin, AutocompleteSelect):
    pass


class CityAutocompleteSelectMultiple(_CityAutocompleteMixin, AutocompleteSelectMultiple):
    pass


# --- shared behaviour of editors and inlines ---------------------------------------------


class _CityScopedFields:
    """Form-field hooks shared by model admins and inlines."""

    #: Extra help texts per field, typically citing recommendation IDs.
    field_help: dict[str, str] = {}

    #: Links typed without a scheme are taken as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _scope_queryset(self, db_field, request, kwargs, city_id):
        """Offer records of the city being edited, and only of cities where the user may write this model."""
        related = db_field.remote_field.model
        if related is not City and not has_city(related):
            return
        cities = editable_cities(request, self.model)
        if related is City:
            if cities is None:
                return
            lookup = {"pk__in": cities}
        elif city_id:
            lookup = {"city_id": city_id} if cities is None else {"city_id": city_id, "city_id__in": cities}
        elif cities is not None:
            lookup = {"city_id__in": cities}
        else:
            return
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = related._default_manager.using(kwargs.get("using"))
        kwargs["queryset"] = queryset.filter(**lookup)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        city_id = getattr(request, _CITY_ATTR, None)
        self._scope_queryset(db_field, request, kwargs, city_id)
        if db_field.name == "city" and db_field.related_model is City:
            if city_id and "initial" not in kwargs:
                kwargs["initial"] = city_id
        elif "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CityAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using"), city_id=city_id
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        city_id = getattr(request, _CITY_ATTR, None)
        self._scope_queryset(db_field, request, kwargs, city_id)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CityAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using"), city_id=city_id
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name in self.field_help:
            formfield.help_text = self.field_help[db_field.name]
        return formfield


def _with_version_field(fieldsets) -> list:
    """Make sure the hidden version field is rendered exactly once (in the last fieldset)."""
    out = []
    for name, options in fieldsets:
        options = dict(options)
        options["fields"] = [f for f in options.get("fields", ()) if f != VERSION_FIELD]
        out.append((name, options))
    if out:
        out[-1][1]["fields"] = [*out[-1][1]["fields"], VERSION_FIELD]
    else:
        out = [(None, {"fields": [VERSION_FIELD]})]
    return out


# --- list filters ----------------------------------------------------------------------------


class CityScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter on a related record that names only records of the viewer's cities.

    Django's filter lists every record of the related model, so a list of one city's alerts
    would name the alert rules of every city. With the list's city filter set, only that
    city's records are named (the city filter itself keeps the viewer's cities).
    """

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        cities = viewer_cities(request)
        chosen = request.GET.get("city__id__exact", "")
        if related is City:
            limit = None if cities is None else Q(pk__in=cities)
        elif has_city(related):
            limit = None if cities is None else Q(city_id__in=cities)
            if chosen.isdigit():
                limit = Q(city_id=int(chosen)) if limit is None else limit & Q(city_id=int(chosen))
        else:
            limit = None
        if limit is None:
            return super().field_choices(field, request, model_admin)
        own = field.get_limit_choices_to() if hasattr(field, "get_limit_choices_to") else field.limit_choices_to
        if own:
            limit &= own if isinstance(own, Q) else Q(**own)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=limit)


def _city_scoped_filter(model: type[models.Model], item):
    """A ``list_filter`` item; one on a city's records (or on the city) made city-scoped."""
    if not isinstance(item, str):
        return item  # a filter class, or (field, filter class): chosen by the admin class
    try:
        field = get_fields_from_path(model, item)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return item
    related = getattr(field, "related_model", None)
    if getattr(field, "remote_field", None) is None or related is None:
        return item
    if related is City or has_city(related):
        return (item, CityScopedRelatedFieldListFilter)
    return item


# --- the editor base class -------------------------------------------------------------------


class CitylineAdmin(_CityScopedFields, SimpleHistoryAdmin):
    """Base of every Cityline model admin: writes through actions, version-checked, city-scoped.

    Subclasses declare the usual admin configuration; the city filter, the city field,
    the version bookkeeping and the write path come from here.
    """

    form = VersionedForm
    history_list_display = ["version"]
    object_history_list_template = "admin/cityline/object_history_list.html"
    list_per_page = 50
    #: Fieldset appended to every change form with the record's bookkeeping.
    record_fieldset_title = gettext_lazy("Record")

    # -- permissions: the authorisation layer (cityline.accounts.authz) decides ----------

    def _can(self, request, action: str, obj=None) -> bool:
        from cityline.accounts import authz
        from cityline.accounts.principals import principal_for

        return authz.can(principal_for(request), action, obj if obj is not None else self.model)

    def has_view_permission(self, request, obj=None):
        return self._can(request, "view", obj) or self._can(request, "change", obj)

    def has_add_permission(self, request):
        return self._can(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._can(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._can(request, "delete", obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def refuse_unpermitted(self, request, queryset, permission: str) -> bool:
        """Whether an admin action must do nothing: the user may not ``permission`` some selected records.

        ``@admin.action(permissions=[...])`` only asks about the model; a role limited to some
        organisations or outcomes would act on the others' records it can see in the list. An action
        calls this first; when it answers True, a message names the records refused.
        """
        check = getattr(self, f"has_{permission}_permission")
        refused = [obj for obj in queryset if not check(request, obj)]
        if not refused:
            return False
        names = ", ".join(f"“{obj}”" for obj in refused[:10]) + (" …" if len(refused) > 10 else "")
        self.message_user(request, _("Nothing was done: no role of yours lets you %(action)s %(records)s "
                                     "(check their organisation or outcome).")
                          % {"action": _ACTION_VERBS.get(permission, permission), "records": names}, messages.ERROR)
        return True

    def get_queryset(self, request):
        """Only the cities where the viewer holds a role (every city for platform administrators)."""
        qs = super().get_queryset(request)
        cities = viewer_cities(request)
        if cities is None:
            return qs
        if isinstance(self.model, type) and issubclass(self.model, City):
            return qs.filter(pk__in=cities)
        if has_city(self.model):
            return qs.filter(city_id__in=cities)
        return qs

    # -- lists ---------------------------------------------------------------------------

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if has_city(self.model) and "city" not in filters:
            filters.insert(0, "city")
        return [_city_scoped_filter(self.model, item) for item in filters]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if has_city(self.model) and "city" not in columns and City.objects.count() > 1:
            columns.append("city")
        return columns

    def get_list_select_related(self, request):
        """Join every foreign key shown in the list (Django only follows non-null ones by itself)."""
        if self.list_select_related is not False:
            return super().get_list_select_related(request)
        names = []
        for name in self.get_list_display(request):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.many_to_one or field.one_to_one:
                names.append(name)
        return names or False

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        raw = request.GET.get("city", "")
        # Autocomplete lookups from a city-scoped form pass ?city=<id>.
        if "field_name" in request.GET and raw.isdigit() and has_city(self.model):
            queryset = queryset.filter(city_id=int(raw))
        return queryset, may_have_duplicates

    # -- forms ---------------------------------------------------------------------------

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        for name in ("version", "updated_at"):
            if name not in fields and any(f.name == name for f in self.model._meta.fields):
                fields.append(name)
        if obj is not None and has_city(self.model) and "city" not in fields:
            fields.append("city")  # moving a record to another city would break its references
        return fields

    def get_fields(self, request, obj=None):
        return [f for f in super().get_fields(request, obj) if f != VERSION_FIELD]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        present = {f for _name, options in fieldsets for f in _flatten(options.get("fields", ()))}
        if has_city(self.model) and "city" not in present and fieldsets:
            first = fieldsets[0][1]
            first["fields"] = ["city", *first.get("fields", ())]
        record = [n for n in ("version", "updated_at") if n not in present and self._model_has(n)]
        if record:  # declared fieldsets: add the bookkeeping (auto fieldsets already list it)
            fieldsets.append((self.record_fieldset_title, {"fields": record, "classes": ["collapse"]}))
        return _with_version_field(fieldsets)

    def _model_has(self, name: str) -> bool:
        return any(f.name == name for f in self.model._meta.fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        setattr(request, _CITY_ATTR, city_of(obj) if obj is not None else city_from_request(request, self.model))
        setattr(request, _PARENT_ATTR, obj)
        form = super().get_form(request, obj, change, **kwargs)
        errors = getattr(request, _ERRORS_ATTR, None)
        if errors:
            form = type(form.__name__, (form,), {"write_errors": errors})
        return form

    def get_formsets_with_inlines(self, request, obj=None):
        if not hasattr(request, _CITY_ATTR):
            city_id = city_of(obj) if obj is not None else city_from_request(request, self.model)
            setattr(request, _CITY_ATTR, city_id)
        setattr(request, _PARENT_ATTR, obj)
        yield from super().get_formsets_with_inlines(request, obj)

    # -- the write path: everything through cityline.core.actions ---------------------------

    def save_model(self, request, obj, form, change):
        opened = form.cleaned_data.get(VERSION_FIELD) if change else None
        # The record as edited must still be in the editor's scope (e.g. a steward cannot hand a
        # dataset to another organisation); the form's own permission check saw it before the edit.
        if not self._can(request, "change" if change else "add", obj):
            raise WriteRefused([(None, _("You may not save this %(what)s: no role of yours covers it "
                                         "(check its organisation or outcome).") % {"what": obj._meta.verbose_name})])
        try:
            actions.save(obj, user=request.user, expected_version=opened, m2m=m2m_from_form(form))
        except (ValidationError, actions.ConflictError) as exc:
            raise WriteRefused.wrap(exc, obj, opened, inline=False) from exc

    def save_related(self, request, form, formsets, change):
        # Many-to-many sets were stored by actions.save in save_model; form.save_m2m() is
        # deliberately not called.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if getattr(formset, "cityline_read_only", False):
            # Shown for reference only; the admin's change message still reads these lists.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        formset.save(commit=False)  # fills new_objects, changed_objects, deleted_objects; writes nothing
        by_instance = {id(f.instance): f for f in formset.forms}
        parent_city = city_of(formset.instance)

        def opened(obj):
            f = by_instance.get(id(obj))
            return f.cleaned_data.get(VERSION_FIELD) if f is not None and hasattr(f, "cleaned_data") else None

        for obj in formset.deleted_objects:
            try:
                actions.delete(obj, user=request.user, expected_version=opened(obj))
            except (ValidationError, actions.ConflictError) as exc:
                raise WriteRefused.wrap(exc, obj, opened(obj), inline=True) from exc
        changed = [obj for obj, _fields in formset.changed_objects]
        for obj in [*formset.new_objects, *changed]:
            f = by_instance.get(id(obj))
            if has_city(type(obj)) and obj.city_id is None and parent_city is not None:
                obj.city_id = parent_city
            expected = opened(obj) if obj in changed else None
            try:
                actions.save(
                    obj, user=request.user, expected_version=expected,
                    m2m=m2m_from_form(f) if f is not None else None,
                )
            except (ValidationError, actions.ConflictError) as exc:
                raise WriteRefused.wrap(exc, obj, expected, inline=True) from exc

    def delete_model(self, request, obj):
        actions.delete(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                actions.delete(obj, user=request.user)

    # -- views: refused writes become form errors or messages, never a 500 -------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WriteRefused as refused:
            # The submission was rolled back (changeform_view runs in a transaction).
            # Render the form again with the user's input and the reasons; the stored
            # errors make the form invalid, so this second pass cannot write.
            for attr in (_CITY_ATTR, _PARENT_ATTR):
                if hasattr(request, attr):
                    delattr(request, attr)
            setattr(request, _ERRORS_ATTR, refused.errors)
            return super().changeform_view(request, object_id, form_url, extra_context)

    delete_confirmation_template = "admin/cityline/delete_confirmation.html"

    def delete_refusal(self, obj) -> str | None:
        """Why ``obj`` may not be deleted whoever asks (a model's own delete rule), or None: the delete page then
        says so at once, instead of a confirmation Django would ask for (or a list of related records the user
        may not delete) and a refusal only once confirmed. The model's rules of
        :func:`.actions.register_delete_rule`; an admin may say more."""
        return actions.delete_refusal(obj)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "GET":
            obj = self.get_object(request, unquote(object_id))
            refusal = obj is not None and self.has_delete_permission(request, obj) and self.delete_refusal(obj)
            if refusal:
                extra_context = {**(extra_context or {}), "delete_refusal": refusal}
        try:
            return super().delete_view(request, object_id, extra_context)
        except (ValidationError, actions.ConflictError) as exc:
            self.message_user(request, _refusal_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except (ValidationError, actions.ConflictError) as exc:
            self.message_user(request, _refusal_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # -- history ------------------------------------------------------------------------------

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Show, for every change, each field's value before and after (bookkeeping left out).

        Unlike the library default, the oldest change on a page is diffed too (against
        its own previous record), so no change appears without its details.
        """
        for record in historical_records:
            if record.history_type != "~":
                continue
            previous = record.prev_record
            if previous is None:
                continue
            delta = record.diff_against(
                previous, excluded_fields=HISTORY_HIDDEN_FIELDS, foreign_keys_are_objs=foreign_keys_are_objs
            )
            helper = self.get_historical_record_context_helper(request, record)
            record.history_delta_changes = helper.context_for_delta_changes(delta)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Viewing an old version is fine; reverting through it would bypass the actions
        # layer, so POSTs are refused (reverting is disabled in settings as well).
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _flatten(fields) -> list[str]:
    out = []
    for f in fields:
        if isinstance(f, (list, tuple)):
            out.extend(f)
        else:
            out.append(f)
    return out


# --- inlines -----------------------------------------------------------------------------------


class _CityInlineMixin(_CityScopedFields):
    form = VersionedForm
    formset = CityInlineFormSet
    extra = 0
    exclude = ("city", "version")

    def get_fieldsets(self, request, obj=None):
        return _with_version_field(super().get_fieldsets(request, obj))

    def get_formset(self, request, obj=None, **kwargs):
        if not hasattr(request, _CITY_ATTR) or getattr(request, _CITY_ATTR) is None:
            city_id = city_of(obj) if obj is not None else city_from_request(request, self.parent_model)
            setattr(request, _CITY_ATTR, city_id)
        return super().get_formset(request, obj, **kwargs)


class CityTabularInline(_CityInlineMixin, admin.TabularInline):
    """An editable table of related records, saved through the actions layer by the parent admin."""


class CityStackedInline(_CityInlineMixin, admin.StackedInline):
    """An editable stack of related records, saved through the actions layer by the parent admin."""


class ReadOnlyTabularInline(admin.TabularInline):
    """Related records shown for reference with a link to their own editor; never written here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or [])

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.cityline_read_only = True
        return formset
