"""Account pages: sign-in, sign-out (under the translated URL patterns: /account/, /fr/account/)."""

from django.urls import path

from . import token_views, views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("sign-in/<slug:city>/<slug:provider>/", views.oidc_start, name="oidc-start"),
    path("sign-in/<slug:city>/<slug:provider>/callback/", views.oidc_callback, name="oidc-callback"),
    path("tokens/", token_views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.TokenRevokeView.as_view(), name="token-revoke"),
]
