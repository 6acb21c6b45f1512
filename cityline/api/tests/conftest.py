"""Fixtures for the API tests: a small city built through the actions layer, users and clients."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityline.core import actions
from cityline.core.models import Document
from cityline.core.testing import make_city, make_organisation, make_person
from cityline.strategy import models as sm

PASSWORD = "correct horse battery staple"


@pytest.fixture
def city(db):
    """Testville: organisations, people, a vision, a portfolio and a procurement pipeline."""
    city = make_city("testville", "Testville")
    council = make_organisation(city, "council", name="Testville City Council")
    uni = make_organisation(city, "uni", sector="academic", name="Testville University")
    make_organisation(city, "telco", sector="private", name="Fibre Networks Ltd")
    ada = make_person(city, "ada", name="Ada Lovelace", role="Chief Digital Officer", organisation=council,
                      email="ada@testville.example", phone="+33 1 23 45 67 89", published_contact=True)
    make_person(city, "bob", name="Bob Private", organisation=uni, email="bob@uni.example", phone="12345")
    strategy = actions.create(Document, city=city, key="strategy", title="Smart Testville strategy",
                              doc_type="strategy", status="published", owner=council,
                              adopted_on=date(2024, 3, 1), published_on=date(2024, 3, 15))
    actions.create(Document, city=city, key="data-policy", title="Open data policy", doc_type="policy")
    actions.create(sm.Vision, city=city, title="A city that works for everyone", statement="By 2035 ...",
                   horizon_year=2035, document=strategy)
    smart = actions.create(sm.Programme, city=city, key="smart", name="Smart Testville", owner=ada,
                           status="in_progress", progress=20, budget=Decimal("5000000.00"))
    for i, status in enumerate(["proposed", "approved", "in_progress", "in_progress", "completed"], start=1):
        actions.create(sm.Project, city=city, key=f"p{i}", name=f"Project {i}", programme=smart, owner=ada,
                       status=status, progress=100 if status == "completed" else 10 * i,
                       start_date=date(2025, i, 1))
    for i, (status, buyer) in enumerate([("planned", council), ("planned", uni), ("tender_open", council),
                                         ("awarded", council)], start=1):
        actions.create(sm.ProcurementEntry, city=city, key=f"buy-{i}", title=f"Sensors lot {i}", buyer=buyer,
                       outcome_sought="Air quality known street by street", estimated_value=Decimal(f"{i}00000.00"),
                       expected_tender_date=date(2026, i, 15), status=status, capital_cost=Decimal("1000"),
                       annual_running_cost=Decimal("100"), contract_years=3, exit_cost=Decimal("50"))
    return city


@pytest.fixture
def staff(db):
    from cityline.accounts.testing import grant

    user = get_user_model().objects.create_user("editor", "editor@testville.example", PASSWORD)
    grant(user, "platform_admin")
    return user


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("reader", "reader@testville.example", PASSWORD)


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def member_client(member):
    client = Client()
    client.force_login(member)
    return client


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}
