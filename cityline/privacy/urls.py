"""The citizen area (mounted under the translated URL patterns at /account/ and /fr/account/)."""

from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("", views.account, name="account"),
    path("privacy/", views.privacy, name="privacy"),
    path("consents/<uuid:receipt_id>.json", views.receipt, name="receipt"),
    path("my-data.json", views.my_data, name="my-data"),
    path("erase/", views.erase, name="erase"),
    path("erase/done/", views.erased, name="erased"),
]
