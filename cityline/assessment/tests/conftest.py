"""A sandbox of tiny rules over core documents, so engine tests do not depend on the real rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cityline.assessment import registry as reg
from cityline.core import actions
from cityline.core.models import Document
from cityline.core.testing import make_city, make_person


def install_sandbox(monkeypatch):
    reg.load_rules()                      # import the real modules first, so they do not register into the sandbox
    monkeypatch.setattr(reg, "RULES", {})

    @reg.rule("C1", title="A benefit map is published", effort="high")
    def benefit_map(ctx):
        doc = Document.objects.filter(city=ctx.city, key="benefit-map").first()
        if doc is None:
            return ctx.not_met("No benefit map.", "Write the benefit map.")
        if doc.status != "published":
            return ctx.partly_met("The benefit map is not published.", "Publish it.", [ctx.evidence(doc)])
        return ctx.met("The benefit map is published.", [ctx.evidence(doc)])

    @reg.rule("C2.a", title="Enough frameworks", thresholds={"min_frameworks": 1})
    def frameworks(ctx):
        n = Document.objects.filter(city=ctx.city, doc_type="framework").count()
        if n >= ctx.threshold("min_frameworks"):
            return ctx.met(f"{n} frameworks.")
        return ctx.not_met(f"Only {n} frameworks.", "Adopt more frameworks.")

    @reg.rule("A.1.4", title="Openness is how the city works", attestable=True, effort="low")
    def openness(ctx):
        return ctx.not_met("The data cannot show a culture of openness.", "Attest it with evidence.")

    return reg


@pytest.fixture
def sandbox(monkeypatch):
    return install_sandbox(monkeypatch)


@pytest.fixture
def town(db):
    """A city with a draft benefit map (framework), a survey document and a person who attests."""
    city = make_city()
    person = make_person(city, "ada", name="Ada Lovelace")
    bmap = actions.create(Document, city=city, key="benefit-map", title="Benefit map", doc_type="framework")
    survey = actions.create(Document, city=city, key="culture-survey", title="Culture survey 2026", doc_type="plan")
    return city, person, bmap, survey


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def yesterday(today):
    return today - timedelta(days=1)
