"""Hands the session's sign-in trust level to permission checks (after AuthenticationMiddleware)."""

from __future__ import annotations

from .backends import TRUST_ATTR
from .principals import SESSION_TRUST_KEY


class TrustLevelMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_TRUST_KEY in session:
            user = request.user
            if user.is_authenticated:
                setattr(user, TRUST_ATTR, session[SESSION_TRUST_KEY])
        return self.get_response(request)
