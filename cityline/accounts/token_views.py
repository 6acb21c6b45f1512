"""Account pages for API tokens (B10): list, create (the raw token shown once), revoke.

A token acts for its user with the scopes chosen here and, at most, the trust level of the
session that created it: a token made in a low-trust session cannot act in a role that needs
more (see :mod:`.tokens` and :func:`.authz.principal_for_user`).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from . import tokens
from .models import ApiToken
from .operations import status_of
from .principals import SESSION_TRUST_KEY
from .roles import local_account_trust

SCOPE_LABELS = {
    "read": gettext_lazy("read: see the unpublished records your roles let you see"),
    "write": gettext_lazy("write: create, change and delete records your roles let you change"),
}


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100,
                           help_text=gettext_lazy("What the token is for, e.g. the script or system using it."))
    scopes = forms.MultipleChoiceField(label=gettext_lazy("Scopes"), widget=forms.CheckboxSelectMultiple,
                                       choices=list(SCOPE_LABELS.items()))
    days = forms.IntegerField(label=gettext_lazy("Lifetime in days"), min_value=1, max_value=tokens.MAX_DAYS,
                              initial=90, help_text=gettext_lazy("From 1 to 366 days."))


def session_trust(request) -> int:
    """The trust level of the signed-in session (local accounts' level when the session has none)."""
    trust = request.session.get(SESSION_TRUST_KEY)
    return int(trust) if trust is not None else local_account_trust()


STATUS_LABELS = {"active": gettext_lazy("active"), "expired": gettext_lazy("expired"),
                 "revoked": gettext_lazy("revoked")}


def _page(request, form, *, created=None, raw=None, status=200):
    rows = [{"token": t, "status": status_of(t), "status_label": STATUS_LABELS[status_of(t)]}
            for t in ApiToken.objects.filter(user=request.user)]
    context = {
        "page": {"title": _("Your API tokens"), "name": "account-tokens"},
        "rows": rows, "form": form, "created": created, "raw": raw,
    }
    return render(request, "accounts/tokens.html", context, status=status)


@method_decorator(login_required(login_url="accounts:sign-in"), name="dispatch")
class TokenListView(View):
    """``/account/tokens/``: the user's tokens and the form to make one."""

    def get(self, request):
        return _page(request, TokenForm())

    def post(self, request):
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, raw = tokens.issue(request.user, name=form.cleaned_data["name"],
                                          scopes=form.cleaned_data["scopes"], days=form.cleaned_data["days"],
                                          trust_level=session_trust(request))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                response = _page(request, TokenForm(), created=token, raw=raw)
                response["Cache-Control"] = "no-store"  # the raw token must not stay in a cache
                return response
        return _page(request, form, status=400)


@method_decorator(login_required(login_url="accounts:sign-in"), name="dispatch")
class TokenRevokeView(View):
    """``POST /account/tokens/<id>/revoke/``: only the token's own user finds it (404 otherwise)."""

    def post(self, request, pk: int):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        tokens.revoke(token)
        messages.success(request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name})
        return redirect("accounts:tokens")
