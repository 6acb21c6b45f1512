"""A participant's declared customer segment and district outlive a change of the city's lists (B3, B11).

The city may rename or drop a district, or stop offering a customer segment in a consultation, while people take
part. What a person declared stays theirs: the profile form shows it, says it is no longer offered, and keeps it
when they save for any other reason; it changes only when they choose another value themselves.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from cityline.core import actions
from cityline.participation import services
from cityline.participation.models import Participant
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db

URL = "/riverford/consultations/cycle-lanes/"


@pytest.fixture
def site():
    city, r = make_participation_city()
    return r


class _ProfileForm(HTMLParser):
    """What a browser sends from the profile form as it is shown (its text fields, ticked boxes, selected options),
    and the options of each list."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # inside the profile form
        self.fields: dict[str, str] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._select = None
        self._option = None
        self._form_fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form_fields = {}
            self.depth = 1
        elif not self.depth:
            return
        if tag == "input" and attrs.get("type") in ("text", "hidden", None, "checkbox"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self._form_fields[attrs["name"]] = attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = attrs["name"]
            self.options[self._select] = []
            self._form_fields.setdefault(self._select, "")
        elif tag == "option" and self._select:
            self._option = [attrs.get("value", ""), ""]
            self.options[self._select].append(self._option)
            if "selected" in attrs:
                self._form_fields[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.depth:
            self.depth = 0
            if self._form_fields.get("form") == "take-part":
                self.fields = {k: v for k, v in self._form_fields.items() if k != "csrfmiddlewaretoken"}


def profile_form(client) -> _ProfileForm:
    parser = _ProfileForm()
    parser.feed(client.get(URL).content.decode())
    assert parser.fields.get("form") == "take-part"
    return parser


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ann_declares(site, **declared):
    user = make_person("ann")
    services.join(site["open"], user, display_name="Ann from the Quay", **declared)
    return user, signed_in(user)


def test_a_segment_the_consultation_no_longer_offers_is_shown_and_kept_when_the_name_changes(site):
    from cityline.citizen_services.models import CustomerSegment

    user, client = ann_declares(site, segment=site["segment"])
    students = actions.create(CustomerSegment, city=site["city"], key="students", name="Students")
    actions.update(site["open"], m2m={"segments": [students]})  # the city now asks about students only
    form = profile_form(client)
    # shown, selected, and said to be no longer offered
    assert form.fields["profile-segment"] == str(site["segment"].pk)
    labels = dict(form.options["profile-segment"])
    assert labels[str(site["segment"].pk)] == "Older residents (no longer offered)"
    assert labels[str(students.pk)] == "Students"
    page = client.get(URL).content.decode()
    assert "“Older residents”, which you gave earlier, is no longer offered in this consultation" in page
    # saving for another reason (the display name) keeps it
    saved = client.post(URL, {**form.fields, "profile-display_name": "Ann Q"}, follow=True)
    assert "Your profile is saved." in saved.content.decode()
    ann = Participant.objects.get(user=user)
    assert (ann.display_name, ann.segment) == ("Ann Q", site["segment"])
    # choosing another is the person's own decision; the old value is then no longer among the choices
    client.post(URL, {**profile_form(client).fields, "profile-segment": str(students.pk)})
    ann.refresh_from_db()
    assert ann.segment == students
    assert str(site["segment"].pk) not in dict(profile_form(client).options["profile-segment"])


def test_a_district_the_city_renamed_is_shown_and_kept_when_the_name_changes(site):
    user, client = ann_declares(site, district="North")
    city_settings = services.settings_for(site["city"])
    actions.update(city_settings, districts=["Northside", "South", "Centre"])
    form = profile_form(client)
    assert form.fields["profile-district"] == "North"
    assert dict(form.options["profile-district"])["North"] == "North (no longer offered)"
    assert "“North”, which you gave earlier, is no longer offered" in client.get(URL).content.decode()
    client.post(URL, {**form.fields, "profile-display_name": "Ann Q", "profile-notify": ""})
    ann = Participant.objects.get(user=user)
    assert (ann.display_name, ann.notify, ann.district) == ("Ann Q", False, "North")
    # the person may clear it, or pick one of the city's districts
    client.post(URL, {**profile_form(client).fields, "profile-district": "Northside"})
    ann.refresh_from_db()
    assert ann.district == "Northside"


def test_a_district_is_kept_when_the_city_no_longer_lists_any(site):
    user, client = ann_declares(site, district="North")
    actions.update(services.settings_for(site["city"]), districts=[])
    form = profile_form(client)
    assert form.fields["profile-district"] == "North"
    assert [value for value, _label in form.options["profile-district"]] == ["", "North"]
    client.post(URL, {**form.fields, "profile-display_name": "Ann Q"})
    ann = Participant.objects.get(user=user)
    assert (ann.display_name, ann.district) == ("Ann Q", "North")
    # and nobody else is offered it
    newcomer = signed_in(make_person("bo"))
    assert "profile-district" not in profile_form(newcomer).options


def test_someone_else_cannot_declare_a_value_the_city_no_longer_offers(site):
    from cityline.citizen_services.models import CustomerSegment

    ann_declares(site, segment=site["segment"], district="North")
    students = actions.create(CustomerSegment, city=site["city"], key="students", name="Students")
    actions.update(site["open"], m2m={"segments": [students]})
    actions.update(services.settings_for(site["city"]), districts=["Northside"])
    bo = make_person("bo")
    response = signed_in(bo).post(URL, {"form": "take-part", "profile-display_name": "Bo Berg",
                                        "profile-segment": str(site["segment"].pk), "profile-district": "North",
                                        "profile-notify": "on"})
    assert response.status_code == 400
    assert not Participant.objects.filter(user=bo).exists()
    with pytest.raises(ValidationError) as refused:  # the service says so too, whichever face asks
        services.join(site["open"], bo, display_name="Bo Berg", segment=site["segment"])
    assert list(refused.value.message_dict) == ["segment"]


def test_a_signed_in_persons_consultation_page_is_kept_by_no_shared_cache(site):
    # The page carries the person's own profile (name, segment, district) and answers.
    _user, client = ann_declares(site, segment=site["segment"])
    mine = client.get(URL)
    assert "private" in mine["Cache-Control"]
    assert "private" not in Client().get(URL).get("Cache-Control", "")  # the public page stays cacheable
