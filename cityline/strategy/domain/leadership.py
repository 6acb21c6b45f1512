"""Leadership of the programme: skills mix (B2.e) and cross-sector breadth (B2.b, B2.c).

Plain data in, plain data out: the governance page, its downloads and (later) the
self-assessment all read these results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

#: The leadership skills mix the standard asks for (B2.e), in display order.
SKILLS = ("strategy", "engagement", "marketing", "commercial", "technology")
#: The sectors a broad leadership team draws on (B2.b).
SECTORS = ("public", "private", "voluntary", "academic")
#: From this level up (1 aware … 4 expert) a skill counts as held by the team.
HELD_FROM_LEVEL = 3


@dataclass
class SkillCoverage:
    skill: str
    best_level: int = 0
    holders: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``covered`` (someone at practitioner level or above), ``thin`` (only below) or ``missing``."""
        if self.best_level >= HELD_FROM_LEVEL:
            return "covered"
        return "thin" if self.best_level else "missing"


def skills_coverage(entries: Iterable[dict]) -> list[SkillCoverage]:
    """Coverage of each B2.e skill from entries ``{"skill", "level", "person"}``.

    Holders are listed strongest first, then by name; skills outside the five are ignored.
    """
    by_skill = {s: SkillCoverage(s) for s in SKILLS}
    ranked = sorted(entries, key=lambda e: (-int(e["level"]), e["person"]))
    for e in ranked:
        cov = by_skill.get(e["skill"])
        if cov is None:
            continue
        cov.best_level = max(cov.best_level, int(e["level"]))
        if e["person"] not in cov.holders:
            cov.holders.append(e["person"])
    return [by_skill[s] for s in SKILLS]


def skills_gaps(coverage: list[SkillCoverage]) -> list[str]:
    """The skills nobody in the leadership team holds at practitioner level (B2.e)."""
    return [c.skill for c in coverage if c.status != "covered"]


def sector_mix(sectors: Iterable[str | None]) -> dict[str, int]:
    """How many members of the governance bodies come from each sector (B2.b); unknown ones are not counted."""
    counts = Counter(s for s in sectors if s in SECTORS)
    return {s: counts.get(s, 0) for s in SECTORS}


def missing_sectors(mix: dict[str, int]) -> list[str]:
    """Sectors with nobody on any governance body (B2.b asks for a team across sectors)."""
    return [s for s, n in mix.items() if n == 0]
