"""A small city with a personal-data inventory, for tests of the privacy area (B10, B14).

``make_privacy_city()`` returns ``(city, r)``: organisations ``council`` and ``uni``; a service
``bins``; purposes ``services`` (public task, no consent asked), ``newsletter`` (consent, for
the bins service), ``panel`` (public task but asks consent, shared with the university) and
``hidden`` (consent, unpublished); holdings ``tax`` (published), ``panel-answers`` (published,
health data: special category) and ``draft-system`` (unpublished).
"""

from __future__ import annotations

from cityline.core import actions
from cityline.core.testing import make_city, make_organisation

from .models import PersonalDataHolding, ProcessingPurpose

CONTACT = {"contact_email": "dpo@council.example.org", "contact_phone": "+33 1 00 00 00 00",
           "contact_address": "1 Town Hall Square"}


def make_privacy_city(key: str = "testville"):
    from cityline.citizen_services.models import Service

    city = make_city(key=key, name=key.title())
    r: dict = {"council": make_organisation(city, "council", website="https://council.example.org"),
               "uni": make_organisation(city, "uni", sector="academic", name="University")}
    r["bins"] = actions.create(Service, city=city, key="bins", name="Bin collection", purpose="Collect bins.")
    r["services"] = actions.create(ProcessingPurpose, city=city, key="services", name="Running council services",
                                   controller=r["council"], lawful_basis="public_task", **CONTACT)
    r["newsletter"] = actions.create(
        ProcessingPurpose, city=city, key="newsletter", name="Newsletter", controller=r["council"],
        category="communications", lawful_basis="consent", asks_consent=True,
        policy_url="https://council.example.org/privacy/newsletter", termination="Removed from the list.",
        m2m={"services": [r["bins"]]}, **CONTACT)
    r["panel"] = actions.create(
        ProcessingPurpose, city=city, key="panel", name="Research panel", controller=r["council"],
        category="research", lawful_basis="public_task", asks_consent=True,
        policy_url="https://council.example.org/privacy/panel", termination="Answers deleted in 30 days.",
        third_parties="University", **CONTACT)
    r["hidden"] = actions.create(
        ProcessingPurpose, city=city, key="hidden", name="Hidden purpose", controller=r["council"],
        lawful_basis="consent", asks_consent=True, policy_url="https://council.example.org/privacy/hidden",
        termination="Ends.", published=False, **CONTACT)
    r["tax"] = actions.create(
        PersonalDataHolding, city=city, key="tax", name="Council tax system", holder=r["council"],
        service=r["bins"], categories=["identity", "address", "financial"], data_subjects="Taxpayers",
        lawful_basis="legal_obligation", retention="6 years", retention_days=2190,
        m2m={"purposes": [r["services"], r["newsletter"]], "shared_with": [r["uni"]]})
    r["panel-answers"] = actions.create(
        PersonalDataHolding, city=city, key="panel-answers", name="Panel answers", holder=r["uni"],
        categories=["contact", "health"], data_subjects="Panel members", lawful_basis="consent",
        retention="While on the panel", transfers_outside_eea=True, transfers="USA, standard contractual clauses",
        m2m={"purposes": [r["panel"]]})
    r["draft-system"] = actions.create(
        PersonalDataHolding, city=city, key="draft-system", name="Secret draft system", holder=r["council"],
        categories=["biometric"], data_subjects="Staff", lawful_basis="contract", retention="1 year",
        published=False, m2m={"purposes": [r["services"]]})
    return city, r
