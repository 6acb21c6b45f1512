"""Leadership skills mix (B2.e) and sector breadth (B2.b): pure functions, no database."""

from cityline.strategy.domain import leadership


def test_skills_coverage_classifies_each_of_the_five_skills():
    entries = [
        {"skill": "strategy", "level": 4, "person": "Nadia"},
        {"skill": "strategy", "level": 3, "person": "Owen"},
        {"skill": "engagement", "level": 2, "person": "Priya"},
        {"skill": "technology", "level": 3, "person": "Marek"},
        {"skill": "juggling", "level": 4, "person": "Clown"},
    ]
    cov = {c.skill: c for c in leadership.skills_coverage(entries)}
    assert list(cov) == list(leadership.SKILLS)
    assert cov["strategy"].status == "covered" and cov["strategy"].best_level == 4
    assert cov["strategy"].holders == ["Nadia", "Owen"]
    assert cov["engagement"].status == "thin"
    assert cov["marketing"].status == "missing" and cov["marketing"].holders == []
    assert leadership.skills_gaps(list(cov.values())) == ["engagement", "marketing", "commercial"]


def test_a_person_is_listed_once_per_skill_strongest_first():
    entries = [
        {"skill": "commercial", "level": 1, "person": "Ann"},
        {"skill": "commercial", "level": 4, "person": "Bob"},
        {"skill": "commercial", "level": 1, "person": "Ann"},
    ]
    (_, _, _, commercial, _) = leadership.skills_coverage(entries)
    assert commercial.holders == ["Bob", "Ann"]


def test_sector_mix_counts_every_sector_and_names_the_missing_ones():
    mix = leadership.sector_mix(["public", "public", "private", None, "galactic", "academic"])
    assert mix == {"public": 2, "private": 1, "voluntary": 0, "academic": 1}
    assert leadership.missing_sectors(mix) == ["voluntary"]
