"""Telling participants that the city has responded (closing the loop), through Django's mail framework.

One message per person (nobody sees another's address), only to participants who asked to be
told (``Participant.notify``) and whose account has an e-mail address. The demo uses the console
backend (``CITYLINE_EMAIL_BACKEND``); a deployment sets SMTP through Django's EMAIL_* settings.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import ConsultationResponse, Participant

log = logging.getLogger(__name__)


def page_url(consultation) -> str:
    path = reverse("participation:consultation", kwargs={"city": consultation.city.key, "key": consultation.key})
    return settings.CITYLINE_SITE_URL.rstrip("/") + path


def recipients(response: ConsultationResponse) -> list[Participant]:
    return list(Participant.objects.filter(consultation_id=response.consultation_id, notify=True,
                                           user__isnull=False, user__is_active=True)
                .exclude(user__email="").select_related("user").order_by("pk"))


def notify_response(response_pk: int) -> int:
    """Send the "the city has responded" message; returns how many were sent."""
    response = ConsultationResponse.objects.select_related("consultation__city").get(pk=response_pk)
    consultation = response.consultation
    people = recipients(response)
    if not people:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(city)s has responded: %(title)s") % {"city": consultation.city.name,
                                                            "title": consultation.title}
        url = page_url(consultation)
        messages = []
        for person in people:
            body = "\n\n".join([
                _("Hello %(name)s,") % {"name": person.public_name},
                _("You took part in the consultation “%(title)s”. The city has published its response: what "
                  "people said, what changed and what did not, and why.") % {"title": consultation.title},
                response.summary,
                _("Read the full response: %(url)s") % {"url": url},
                _("You receive this message because you asked to be told when the city responds. "
                  "You can change that on the consultation's page."),
            ])
            messages.append(mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [person.user.email]))
    with mail.get_connection() as connection:
        sent = connection.send_messages(messages) or 0
    log.info("notified %s participants of the response to %s", sent, consultation.key)
    return sent
