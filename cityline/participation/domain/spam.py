"""Spam protection for contributions: cheap, explainable checks (no third-party service, no tracking).

Rate limits per person live in the views (django-ratelimit, ``cityline.core.ratelimits``); these
checks look at the text and the author's recent contributions.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta



def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (makemessages looks for this name)."""
    return message


MAX_LINKS = 3
MIN_LENGTH = 2
MAX_LENGTH = 5000
DUPLICATE_WINDOW = timedelta(minutes=30)

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def text_problem(body: str, recent: list[tuple[str, datetime]], now: datetime) -> tuple[str, dict] | None:
    """Why a contribution's text is refused, as ``(message, params)`` for the caller to translate, or None.

    ``recent``: the author's (text, time) in this consultation.
    """
    stripped = body.strip()
    if len(stripped) < MIN_LENGTH:
        return gettext_noop("write a few words"), {}
    if len(stripped) > MAX_LENGTH:
        return gettext_noop("keep it under %(n)s characters"), {"n": MAX_LENGTH}
    if len(_LINK.findall(stripped)) > MAX_LINKS:
        return gettext_noop("at most %(n)s links, please"), {"n": MAX_LINKS}
    mine = normalise(stripped)
    for text, at in recent:
        if now - at <= DUPLICATE_WINDOW and normalise(text) == mine:
            return gettext_noop("you have just posted the same text"), {}
    return None
