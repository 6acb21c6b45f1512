"""The consultation lifecycle: draft → open → closed → responded (B1.b, B3).

Plain rules over plain values, so the editor, the API, the pack importer and the services
all refuse the same jumps with the same words. Problems come back as ``(message, params)``:
the message is an English template marked for translation, which the caller translates
(``gettext(message) % params``), so this module needs no Django.
"""

from __future__ import annotations

from datetime import date



def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (makemessages looks for this name)."""
    return message


DRAFT, OPEN, CLOSED, RESPONDED = "draft", "open", "closed", "responded"
ORDER = [DRAFT, OPEN, CLOSED, RESPONDED]

#: Allowed moves. Re-opening a closed consultation (e.g. extended after a complaint) is allowed;
#: going back to draft once people could see it is not, nor skipping the closing.
ALLOWED = {
    DRAFT: {OPEN},
    OPEN: {CLOSED},
    CLOSED: {OPEN, RESPONDED},
    RESPONDED: set(),
}


Problem = tuple[str, dict]


def transition_problem(old: str | None, new: str, *, has_published_response: bool) -> Problem | None:
    """Why a consultation may not move from ``old`` to ``new`` (None: it may). ``old`` None is a new record."""
    if new == RESPONDED and not has_published_response:
        return gettext_noop("a consultation is responded to when its response is published"), {}
    if old is None or old == new:
        return None
    if new not in ALLOWED.get(old, set()):
        return gettext_noop("a consultation cannot go from %(old)s to %(new)s"), {"old": old, "new": new}
    return None


def accepts_contributions(status: str, opens_on: date, closes_on: date, today: date) -> bool:
    """Whether people can take part today: open, and within its dates (both days included)."""
    return status == OPEN and opens_on <= today <= closes_on


def is_due_to_close(status: str, closes_on: date, today: date) -> bool:
    return status == OPEN and today > closes_on


def days_to_respond(closed_on: date | None, published_on: date | None) -> int | None:
    """Days from closing to the published response (None while either is missing)."""
    if closed_on is None or published_on is None:
        return None
    return max(0, (published_on - closed_on).days)
