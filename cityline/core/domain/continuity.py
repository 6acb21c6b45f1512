"""Continuity of assets and services as partner organisations change (B2.f).

When a partner merges, declines or is dissolved, whatever the programme relies on
from it (documents it owns, contracts it signed, procurements it runs, people on
boards, …) must pass to a successor. These functions find where that hand-over is
missing or broken. Plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Lifecycle stages in which an organisation's responsibilities must be handed over.
WINDING_DOWN = ("merging", "merged", "declining", "dissolved")
#: Stages in which an organisation can still take things over.
ABLE_TO_TAKE_OVER = ("active",)


@dataclass(frozen=True)
class Finding:
    organisation: str
    problem: str  # "no_successor" | "successor_not_active" | "successor_loop"
    message: str
    dependants: tuple[str, ...] = ()


def successor_chain(start: str, successors: Mapping[str, str | None]) -> tuple[list[str], bool]:
    """Follow successors from ``start``; return the chain (without ``start``) and whether it loops."""
    chain: list[str] = []
    seen = {start}
    current = successors.get(start)
    while current:
        if current in seen:
            return chain, True
        chain.append(current)
        seen.add(current)
        current = successors.get(current)
    return chain, False


def continuity_findings(
    organisations: Mapping[str, dict], dependants: Mapping[str, list[str]]
) -> list[Finding]:
    """Find broken hand-overs.

    ``organisations``: key → ``{"name", "lifecycle", "successor"}`` (successor is a key or None).
    ``dependants``: key → descriptions of the records that still rely on that organisation.
    """
    successors = {k: o.get("successor") for k, o in organisations.items()}
    findings: list[Finding] = []
    for key in sorted(organisations):
        org = organisations[key]
        chain, loops = successor_chain(key, successors)
        if loops:
            findings.append(Finding(key, "successor_loop",
                                    f"{org['name']}: the chain of successors loops back ({' → '.join([key, *chain])})"))
            continue
        if org["lifecycle"] not in WINDING_DOWN:
            continue
        relying = tuple(dependants.get(key, ()))
        if not chain:
            if relying:
                findings.append(Finding(
                    key, "no_successor",
                    f"{org['name']} is {org['lifecycle']} and names no successor, but {len(relying)} "
                    f"record(s) still rely on it", relying))
            continue
        final = chain[-1]
        final_org = organisations.get(final)
        if final_org is not None and final_org["lifecycle"] not in ABLE_TO_TAKE_OVER:
            findings.append(Finding(
                key, "successor_not_active",
                f"{org['name']} hands over to {final_org['name']}, which is {final_org['lifecycle']} itself",
                relying))
    return findings
