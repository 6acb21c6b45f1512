"""Rules for documents and policy products: status moves draft → adopted → published.

Plain Python, no Django: used by the model's validation and by the actions layer.
"""

from __future__ import annotations

from datetime import date

ORDER = ("draft", "adopted", "published")


def allowed_transition(old: str | None, new: str) -> bool:
    """A document only moves forward (or stays); a new document may start anywhere.

    A city importing its existing papers may record one as already published, but an
    edit must not quietly turn a published policy back into a draft.
    """
    if old is None or old == new:
        return True
    return ORDER.index(new) > ORDER.index(old)


def check_dates(status: str, adopted_on: date | None, published_on: date | None) -> dict[str, str]:
    """Return field → problem for dates that contradict the status."""
    problems: dict[str, str] = {}
    if adopted_on and published_on and published_on < adopted_on:
        problems["published_on"] = "cannot be before the adoption date"
    if status == "draft" and (adopted_on or published_on):
        problems["status"] = "a draft has no adoption or publication date"
    if status == "published" and not published_on:
        problems["published_on"] = "a published document needs a publication date"
    return problems
