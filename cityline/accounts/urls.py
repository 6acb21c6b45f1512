"""Account pages: sign-in, sign-out (under the translated URL patterns: /account/, /fr/account/)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
]
