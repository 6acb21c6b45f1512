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

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[SESSION_TRUST_KEY] = local_account_trust()
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"] = {"title": _("Sign in"), "name": "sign-in"}
        context["providers"] = IdentityProvider.objects.filter(enabled=True)
        return context


class SignOutView(auth_views.LogoutView):
    """Signing out is a POST (with CSRF), as Django requires."""

    next_page = "/"
