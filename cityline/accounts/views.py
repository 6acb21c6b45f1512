"""Sign-in and sign-out pages (local accounts; the federation's providers are listed too)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.utils.translation import gettext_lazy as _

from .models import IdentityProvider
from .principals import SESSION_TRUST_KEY
from .roles import local_account_trust


class SignInView(auth_views.LoginView):
    """Local accounts sign in with a password; the session carries the local trust level."""

    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.get_redirect_url():
            # Someone signed in who is sent here with a page to come back to was refused by that page (the editor
            # needs a staff role their sign-in's trust level reaches): sending them back would go round in circles.
            # They get the form, to sign in again (with a stronger sign-in or another account).
            self.redirect_authenticated_user = False
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[SESSION_TRUST_KEY] = local_account_trust()
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"] = {"title": _("Sign in"), "name": "sign-in"}
        if self.request.user.is_authenticated:
            context["signed_in_as"] = self.request.user.get_username()
        context["providers"] = IdentityProvider.objects.filter(enabled=True).select_related("city")
        return context


class SignOutView(auth_views.LogoutView):
    """Signing out is a POST (with CSRF), as Django requires."""

    next_page = "/"


# --- federated sign-in (OpenID Connect, B10): thin shells over cityline.accounts.oidc ----------


def _provider_or_404(city: str, provider: str):
    from django.http import Http404

    found = IdentityProvider.objects.select_related("city").filter(city__key=city, key=provider).first()
    if found is None or not found.enabled:
        raise Http404(_("No such identity provider."))
    return found


def _failed(request, provider, error):
    from django.shortcuts import render

    return render(request, "accounts/sign_in_failed.html", {
        "page": {"title": _("Sign-in failed"), "name": "sign-in"},
        "provider": provider, "message": str(error)}, status=400 if provider is not None else 404)


def oidc_start(request, city: str, provider: str):
    """Send the visitor to the identity provider (authorisation-code flow with PKCE)."""
    from django.http import HttpResponseRedirect

    from . import oidc

    found = _provider_or_404(city, provider)
    try:
        url = oidc.begin(request, found, request.GET.get("next"))
    except oidc.SignInError as error:
        return _failed(request, found, error)
    return HttpResponseRedirect(url)


def oidc_callback(request, city: str, provider: str):
    """The provider sends the visitor back here; sign them in or say clearly why not."""
    from django.http import HttpResponseRedirect

    from . import oidc

    found = _provider_or_404(city, provider)
    try:
        done = oidc.complete(request, found)
    except oidc.SignInError as error:
        return _failed(request, found, error)
    return HttpResponseRedirect(done.next_url)
