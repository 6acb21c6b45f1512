"""Telling participants that the city has responded (closing the loop), through Django's mail framework.

One message per person (nobody sees another's address), only to participants who asked to be
told (``Participant.notify``) and whose account has an e-mail address. Each message is written in
the language the person took part in (``Participant.language``, stored from the page they used),
its link goes to the page in that language, and it says so in ``Content-Language``; a participant
without one (or in a language the site no longer speaks) gets the site's default language. The demo
uses the console backend (``CITYLINE_EMAIL_BACKEND``); a deployment sets SMTP through Django's
EMAIL_* settings.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import ConsultationResponse, Participant
from .services import site_language

log = logging.getLogger(__name__)


def page_url(consultation) -> str:
    """The consultation's public address, in the active language (``/fr/…`` for French)."""
    path = reverse("participation:consultation", kwargs={"city": consultation.city.key, "key": consultation.key})
    return settings.CITYLINE_SITE_URL.rstrip("/") + path


def reader_language(participant: Participant) -> str:
    """The language to write to ``participant`` in: the one they took part in, else the site's default."""
    return site_language(participant.language) or settings.LANGUAGE_CODE


def recipients(response: ConsultationResponse) -> list[Participant]:
    return list(Participant.objects.filter(consultation_id=response.consultation_id, notify=True,
                                           user__isnull=False, user__is_active=True)
                .exclude(user__email="").select_related("user").order_by("pk"))


def response_message(response: ConsultationResponse, person: Participant) -> mail.EmailMessage:
    """The "the city has responded" message to one participant, in their language."""
    consultation = response.consultation
    language = reader_language(person)
    with translation.override(language):
        subject = _("%(city)s has responded: %(title)s") % {"city": consultation.city.name,
                                                            "title": consultation.title}
        body = "\n\n".join([
            _("Hello %(name)s,") % {"name": person.public_name},
            _("You took part in the consultation “%(title)s”. The city has published its response: what "
              "people said, what changed and what did not, and why.") % {"title": consultation.title},
            response.summary,
            _("Read the full response: %(url)s") % {"url": page_url(consultation)},
            _("You receive this message because you asked to be told when the city responds. "
              "You can change that on the consultation's page."),
        ])
    return mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [person.user.email],
                             headers={"Content-Language": language})


def notify_response(response_pk: int) -> int:
    """Send the "the city has responded" message; returns how many were sent."""
    response = ConsultationResponse.objects.select_related("consultation__city").get(pk=response_pk)
    people = recipients(response)
    if not people:
        return 0
    messages = [response_message(response, person) for person in people]
    with mail.get_connection() as connection:
        sent = connection.send_messages(messages) or 0
    log.info("notified %s participants of the response to %s", sent, response.consultation.key)
    return sent
