"""What the public and benefit owners see of a KPI's variance and measurements (C2.f, C3.a):
a difference of percentages in percentage points, a variance under 0.05 % not shown as 0 %, and a benefit
owner's measurement form offering only the KPIs of their outcome."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from cityline.accounts.testing import grant
from cityline.benefits.models import BenefitNode, Kpi
from cityline.benefits.testing import kpi, make_realisation_city

pytestmark = pytest.mark.django_db
CITY = "testville"


@pytest.fixture
def city():
    city, _nodes = make_realisation_city(CITY)
    return city


def page_of(client, key):
    with translation.override("en"):
        return re.sub(r"\s+", " ", client.get(f"/{CITY}/kpis/{key}/").content.decode())


def test_the_variance_of_a_percentage_kpi_is_in_percentage_points(client, city):
    """93% against 92.73% planned is 0.27 percentage points better, not "+0.27 %" (a share of the value)."""
    kpi(city, "online", BenefitNode.objects.get(city=city, key="cleaner-air"), "outcome", unit="% of households",
        baseline=(90, date(2019, 12, 31)), target=(95, date(2030, 12, 31)),
        values={2020: 90.5, 2021: 91, 2022: 91.5, 2023: 92, 2024: 92.5, 2025: 93})
    # planned for 2025-12-31: 90 + 5 × 2192/4018 = 92.7277; the variance is +0.2723 points, +0.29 % of the plan
    page = page_of(client, "online")
    assert "<dt>Variance</dt><dd>+0.27 percentage points (+0.3%)" in page
    assert "+0.27 % of households" not in page
    assert "<dt>Expected for that date</dt><dd>92.73 % of households</dd>" in page   # a value keeps its unit


def test_a_variance_under_a_twentieth_of_a_percent_is_not_shown_as_zero(client, city):
    """92.73% against 92.7277% planned used to read "(0% better than planned)" and "(0%)"."""
    kpi(city, "online", BenefitNode.objects.get(city=city, key="cleaner-air"), "outcome", unit="%",
        baseline=(90, date(2019, 12, 31)), target=(95, date(2030, 12, 31)),
        values={2020: 90.5, 2021: 91, 2022: 91.5, 2023: 92, 2024: 92.5, 2025: 92.73})
    page = page_of(client, "online")
    assert "0% better" not in page and "(0%)" not in page
    assert "(0.0025% better than planned): better than planned." in page     # relative variance 2.45e-5
    assert "(+0.0025%)" in page


def test_percent_shows_enough_precision_and_never_minus_zero():
    from cityline.benefits.domain.status import _pct
    from cityline.benefits.templatetags.benefits_public import percent

    with translation.override("en"):
        assert percent(-0.00009) == "−0.009%" and percent(0.0004) == "+0.04%"
        assert percent(0.00000001234) == "+0.0000012%"
        assert percent(0) == "0%" and percent(1e-12) == "0%" and percent(-0.933) == "−93.3%"
        assert percent(0.00049) == "+0.049%" and percent(0.0005) == "+0.1%" and percent(0.0123) == "+1.2%"
    assert _pct(0.0004) == "0.04%" and _pct(-0.00009) == "0.009%" and _pct(0.05) == "5%" and _pct(0.1234) == "12.3%"


def test_a_benefit_owner_is_offered_only_the_kpis_they_may_record(client, city):
    """The measurement form listed every KPI of the city, though saving one of another outcome is refused."""
    ada = get_user_model().objects.create_user("ada-owner", password="a-long-enough-password", is_staff=True)
    grant(ada, "benefit_owner", outcome=BenefitNode.objects.get(city=city, key="cleaner-air"))
    client.force_login(ada)
    add = client.get(reverse("admin:benefits_measurement_add"), {"city": city.pk})
    assert add.status_code == 200
    offered = add.context["adminform"].form.fields["kpi"].queryset
    assert sorted(k.key for k in offered) == ["no2"]                    # the KPI of cleaner-air, only
    lookup = client.get(reverse("admin:autocomplete"), {
        "app_label": "benefits", "model_name": "measurement", "field_name": "kpi", "term": "", "city": city.pk})
    assert [r["text"] for r in lookup.json()["results"]] == [str(Kpi.objects.get(key="no2"))]
    # a programme administrator keeps every KPI of the city
    pat = get_user_model().objects.create_user("pat", password="a-long-enough-password", is_staff=True)
    grant(pat, "programme_admin", city=city)
    client.force_login(pat)
    add = client.get(reverse("admin:benefits_measurement_add"), {"city": city.pk})
    assert add.context["adminform"].form.fields["kpi"].queryset.count() == Kpi.objects.filter(city=city).count() == 4
