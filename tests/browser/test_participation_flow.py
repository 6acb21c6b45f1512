"""The citizen's whole journey through a consultation, in a real browser (issue 8; B1.b, B2.g, B3).

A resident signs in through the real sign-in page, takes part under a display name, comments,
supports someone else's proposal and answers the survey; the live results pick up another
person's answer without a reload. Then staff (here: through the services, in the test) close the
consultation and publish the response with a "you said, we did" item, and the resident reloads
the page and reads the response.

Transactional: the test writes while the live server reads, so its writes must be committed.
"""

import pytest

from cityline.portal.testing import DESKTOP, serve_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATH = "/riverford/consultations/cycle-lanes/"
PASSWORD = "a long enough password for dana"


def load_city():
    from django.contrib.auth import get_user_model

    from cityline.participation import services
    from cityline.participation.testing import make_participation_city, make_person

    city, r = make_participation_city()
    author = services.join(r["open"], make_person("author"), display_name="Chris")
    services.contribute(author, "Close the High Street to through traffic instead.", kind="proposal",
                        title="Car-free High Street")
    get_user_model().objects.create_user("dana", email="dana@mail.example.org", password=PASSWORD)
    return city


@pytest.fixture(scope="module")
def flow_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_city, "participation-flow", django_db_blocker)


def test_a_citizen_takes_part_and_reads_the_published_response(flow_site, browser):
    from playwright.sync_api import expect

    from cityline.core import actions
    from cityline.participation import services
    from cityline.participation.models import Consultation, ConsultationResponse, ResponseItem
    from cityline.participation.testing import make_person

    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        # signing in through the real sign-in page, which sends the resident back to the consultation
        page.goto(flow_site.url + PATH)
        page.click("text=Sign in to take part")
        assert "/account/sign-in/" in page.url
        page.fill("#id_username", "dana")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(flow_site.url + PATH)

        # taking part: the display name, then a comment
        page.fill("#id_profile-display_name", "Dana D")
        page.click("details.profile button[type=submit]")
        assert "You take part as “Dana D”." in page.inner_text(".messages")
        page.fill("#id_comment-body", "Protected lanes on Quay Road, please.")
        page.click(".comment-form button[type=submit]")
        assert "Thank you: your comment is published." in page.inner_text(".messages")
        assert "Dana D" in page.inner_text("section[aria-labelledby=comments]")

        # supporting someone else's proposal
        page.click("button:has-text('Support “Car-free High Street”')")
        assert "You support “Car-free High Street”." in page.inner_text(".messages")
        assert "1 supporter" in page.inner_text("section[aria-labelledby=proposals]")

        # answering the survey; the answers are kept and the results count them
        page.check("#id_survey-q1_0")  # Bike
        page.check("#id_survey-q3_3")  # 4 on the 1-5 scale
        page.click(".survey-form button[type=submit]")
        assert "your answers are saved" in page.inner_text(".messages")
        assert page.is_checked("#id_survey-q1_0")
        respondents = page.locator("[data-live='survey.respondents']")
        assert respondents.inner_text() == "1"

        # live results: another person answers; the page picks it up without a reload (every 15 s)
        other = services.join(Consultation.objects.get(key="cycle-lanes"), make_person("eli"), display_name="Eli K")
        services.answer_survey(other, {1: "Bus"})
        expect(respondents).to_have_text("2", timeout=25000)  # the page keeps its strict CSP: no eval here
        # two answers are below the city's small-count threshold: the breakdown stays withheld ("—")
        assert page.locator("[data-live='survey.questions.0.options.1.count']").inner_text() == "—"  # Bus
        assert page.locator("[data-live='survey.questions.0.answered']").inner_text() == "2"

        # staff close the consultation and publish the response
        consultation = Consultation.objects.get(key="cycle-lanes")
        services.close_consultation(consultation)
        response = actions.create(ConsultationResponse, city=consultation.city, consultation=consultation,
                                  summary="Most of you asked for protected lanes on Quay Road.")
        actions.create(ResponseItem, city=consultation.city, response=response, number=1,
                       you_said="Protect the lanes on Quay Road.", we_did="Quay Road gets protected lanes in 2027.",
                       outcome="changed")
        services.publish_response(consultation, notify=False)

        # the resident reloads and reads the response
        page.reload()
        main = page.inner_text("main")
        assert "Most of you asked for protected lanes on Quay Road." in main
        assert "Quay Road gets protected lanes in 2027." in main and "We changed it" in main
        assert "This consultation is closed" in main
        for form in ("comment", "reply", "propose", "support", "survey"):
            assert page.locator(f"main input[name=form][value={form}]").count() == 0, form
        # how she takes part stays hers to change (her name, the e-mail at the response)
        assert page.locator("main input[name=form][value=take-part]").count() == 1
        assert page.locator("#id_profile-notify").count() == 1
    finally:
        context.close()
