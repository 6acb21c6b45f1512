"""People who took part before ``Participant.language`` existed (migration 0002 left it empty for everybody).

Migration 0003 gives their participations the language of their own most recent participation in the same city
that has one, so the "the city has responded" e-mail reaches them in the language they read the consultations in;
where there is nothing to go on, it stays empty (the site's default language).
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from cityline.participation import notify
from cityline.participation.models import ConsultationResponse, Participant
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db

fill_language = importlib.import_module(
    "cityline.participation.migrations.0003_participant_language_from_own_participations").fill_language


def took_part(consultation, user, name, language="", **extra):
    """A participant record as stored (before 0002 every one of them had no language)."""
    return Participant.objects.create(city=consultation.city, consultation=consultation, user=user,
                                      display_name=name, language=language, **extra)


def test_a_participant_from_before_languages_were_kept_gets_their_own_later_language():
    city, r = make_participation_city()
    other_city, r2 = make_participation_city("brookfield")
    ann, bo, cy, dee = (make_person(n) for n in ("ann", "bo", "cy", "dee"))
    legacy = {name: took_part(r["closed"], user, name.title()) for name, user in
              {"ann": ann, "bo": bo, "cy": cy, "dee": dee}.items()}
    took_part(r["open"], ann, "Ann", "fr")  # ann took part again since, on the French pages
    took_part(r2["open"], cy, "Cy", "fr")  # cy only in another city: another city's record says nothing here
    took_part(r["open"], dee, "Dee", "fr")
    took_part(r["draft"], dee, "Dee", "en")  # dee's most recent one is in English
    offline = took_part(r["closed"], None, "A letter", channel="post")
    fill_language(apps, None)
    stored = {name: Participant.objects.get(pk=p.pk).language for name, p in legacy.items()}
    assert stored == {"ann": "fr", "bo": "", "cy": "", "dee": "en"}
    assert Participant.objects.get(pk=offline.pk).language == ""
    assert Participant.objects.get(user=ann, consultation=r["open"]).language == "fr"  # the known ones unchanged
    # the e-mail about the closed consultation's response now reaches ann in French, bo in the site's default
    response = ConsultationResponse(city=city, consultation=r["closed"], summary="We open on Sundays.")
    french = notify.response_message(response, Participant.objects.get(pk=legacy["ann"].pk))
    assert french.extra_headers["Content-Language"] == "fr" and french.body.startswith("Bonjour Ann,")
    english = notify.response_message(response, Participant.objects.get(pk=legacy["bo"].pk))
    assert english.extra_headers["Content-Language"] == "en" and english.body.startswith("Hello Bo,")
    fill_language(apps, None)  # running it again changes nothing
    assert {name: Participant.objects.get(pk=p.pk).language for name, p in legacy.items()} == stored
