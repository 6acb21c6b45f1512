"""The public consultation pages (issue 8; B2.g, B3, B11) in a real browser.

- axe-core (WCAG 2.2 A/AA + best practice) finds nothing on the list, on an open consultation
  with a survey, proposals, threaded and hidden comments (signed out, and signed in with every
  form shown and every disclosure opened), and on a responded one with its "you said, we did"
  items and the before/after of a change (signed out, and as a participant with their profile form),
  in English and French, at desktop width and at 320 px without sideways scrolling;
- at 320 px the forms are usable: a proposal is written and published;
- with JavaScript switched off the forms still work: a comment is posted and shown.

The signed-in person's session is made with ``Client.force_login`` before the server starts
(``cityline.portal.testing.signed_in_cookie``).
"""

import pytest

from cityline.portal.testing import (
    NARROW,
    assert_accessible,
    assert_light,
    assert_no_horizontal_scroll,
    audit_views,
    serve_city,
    signed_in_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

OPEN = "/{lang}riverford/consultations/cycle-lanes/"
PAGES = {
    "list": ("/{lang}riverford/consultations/", False),
    "open": (OPEN, False),
    "open-signed-in": (OPEN, True),
    "responded": ("/{lang}riverford/consultations/library-hours/", False),
    "responded-signed-in": ("/{lang}riverford/consultations/library-hours/", True),
}


def load_participation_city():
    from cityline.accounts.testing import grant
    from cityline.core import actions
    from cityline.participation import services
    from cityline.participation.models import ConsultationResponse, Participant, ResponseItem
    from cityline.participation.testing import make_participation_city, make_person
    from cityline.strategy.models import Initiative

    city, r = make_participation_city()
    people = []
    for i, (name, answers) in enumerate([("Ann from the Quay", {1: "Bike", 2: ["Quay Road"], 3: 2}),
                                         ("Bo Berg", {1: "Bus", 3: 4, 4: "Not shown"}),
                                         ("Chris", {1: "Bike", 2: ["High Street", "Quay Road"], 3: 5})]):
        user = make_person(f"person{i}")
        p = services.join(r["open"], user, display_name=name, district="North")
        services.answer_survey(p, answers)
        people.append(p)
    comment = services.contribute(people[0], "Quay Road first: it is where most cyclists get hurt.")
    services.contribute(people[1], "Agreed, and the junction by the station too.", parent=comment)
    proposal = services.contribute(people[2], "Close the High Street to through traffic instead.",
                                   kind="proposal", title="Car-free High Street")
    services.support(people[0], proposal)
    hidden = services.contribute(people[1], "Buy cheap bikes at example dot com now.")
    moderator = make_person("moderator")
    grant(moderator, "contributor", organisation=r["council"])
    services.hide(hidden, moderator, "Advertising")
    # the closed consultation, responded to with a real change
    initiative = Initiative.objects.get(city=city, key="library-wifi")
    actions.update(initiative, reason="After the consultation", title="Library wifi and Sunday opening")
    change = initiative.history.filter(id=initiative.pk).order_by("-history_date").first()
    response = actions.create(ConsultationResponse, city=city, consultation=r["closed"],
                              summary="Most people asked for Sunday opening.")
    actions.create(ResponseItem, city=city, response=response, number=1, you_said="Open on Sundays.",
                   we_did="We open on Sundays from March.", outcome="changed", record_type="strategy.Initiative",
                   record_key="library-wifi", change_id=change.history_id)
    actions.save(ResponseItem(city=city, response=response, number=2, you_said="Open at 6 am.",
                              we_did="We keep 9 am.", outcome="not_changed",
                              reason="Nobody came before 9 in the trial."))
    services.publish_response(r["closed"], notify=False)
    # a participant who sees every form (survey, proposal, comment, replies, reports, support)
    camille = make_person("camille")
    services.join(r["open"], camille, display_name="Camille M")
    # who took part in the responded consultation while it was open: their profile form stays on its page
    Participant.objects.create(city=city, consultation=r["closed"], user=camille, display_name="Camille M",
                               district="North")
    city.participant_cookie = signed_in_cookie(camille, trust=1)
    return city


@pytest.fixture(scope="module")
def participation_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_participation_city, "participation", django_db_blocker)


@audit_views
@pytest.mark.parametrize("name", list(PAGES))
def test_consultation_page_is_accessible(participation_site, open_page, name, lang, viewport):
    path, signed_in = PAGES[name]
    url = participation_site.url + path.format(lang="" if lang == "en" else "fr/")
    page = open_page(url, viewport, participation_site.city.participant_cookie if signed_in else None)
    assert page.evaluate("document.documentElement.lang") == lang
    if name.startswith("open"):
        assert page.locator("table caption").count() == 3  # the survey's live results
        assert "Advertising" in page.inner_text("main")
    if signed_in and name.startswith("open"):
        assert page.locator("input[name=form][value=survey]").count() == 1
        assert page.locator("input[name=form][value=support]").count() == 1
    if signed_in:
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if name.startswith("responded"):
        assert page.locator("#you-said").count() == 1 and page.locator("table").count() == 1
    if name == "responded-signed-in":  # the e-mail and the name stay the participant's to change
        assert page.locator("input[name=profile-notify]").count() == 1
        assert page.locator("input[name=profile-district]").count() == 0
    assert_accessible(page)
    assert_light(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])


def test_at_320px_the_forms_fit_and_work(participation_site, open_page):
    url = participation_site.url + OPEN.format(lang="")
    page = open_page(url, NARROW, participation_site.city.participant_cookie)
    page.click("details.propose summary")
    for selector in ["#id_proposal-title", "#id_proposal-body", "details.propose button[type=submit]",
                     "#id_comment-body", ".comment-form button[type=submit]", "#id_survey-q1_0"]:
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"], selector
    page.fill("#id_proposal-title", "Lanes on Quay Road at 320 px")
    page.fill("#id_proposal-body", "Written on a small phone screen.")
    page.click("details.propose button[type=submit]")
    page.wait_for_load_state("load")
    assert "Thank you: your proposal is published." in page.inner_text(".messages")
    assert "Lanes on Quay Road at 320 px" in page.inner_text("section[aria-labelledby=proposals]")
    assert_no_horizontal_scroll(page, NARROW["width"])


def test_without_javascript_the_forms_work(participation_site, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        url = participation_site.url + OPEN.format(lang="")
        context.add_cookies([{"name": "sessionid", "value": participation_site.city.participant_cookie, "url": url}])
        page = context.new_page()
        page.goto(url)
        # an empty comment: the error is shown next to the field
        page.click(".comment-form button[type=submit]")
        assert page.locator("#id_comment-body_error").count() == 1
        assert page.get_attribute("#id_comment-body", "aria-invalid") == "true"
        page.fill("#id_comment-body", "Posted with JavaScript switched off.")
        page.click(".comment-form button[type=submit]")
        assert "Thank you: your comment is published." in page.inner_text(".messages")
        assert "Posted with JavaScript switched off." in page.inner_text("section[aria-labelledby=comments]")
        # a reply through the disclosure (details/summary needs no script)
        page.click("section[aria-labelledby=comments] article summary:has-text('Reply to Ann from the Quay')")
        page.locator("section[aria-labelledby=comments] article").first.locator("textarea[name=reply-body]").first.fill("A reply, no script.")
        page.locator("section[aria-labelledby=comments] article").first.locator("form:has(input[value=reply]) button").first.click()
        assert "Thank you: your reply is published." in page.inner_text(".messages")
        assert "A reply, no script." in page.inner_text("section[aria-labelledby=comments] .replies")
    finally:
        context.close()
