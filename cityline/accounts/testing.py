"""Test and demo helpers: grant a role the way an administrator would (validated)."""

from __future__ import annotations

from .models import RoleAssignment


def grant(user, role: str, *, city=None, organisation=None, outcome=None, granted_by=None) -> RoleAssignment:
    assignment = RoleAssignment(user=user, role=role, city=city, organisation=organisation, outcome=outcome,
                                granted_by=granted_by)
    assignment.full_clean()
    assignment.save()
    return assignment
