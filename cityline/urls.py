"""URL map: public portal (translated, English unprefixed and /fr/), editor at /admin/, API at /api/v1/."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from cityline.api.router import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("ngsi-ld/v1/", include("cityline.observations.ngsild.urls")),  # before the /<city>/ catalogue routes
    path("", include("cityline.opendata.urls")),
]
urlpatterns += i18n_patterns(
    path("account/", include("cityline.accounts.urls")),
    path("account/", include("cityline.privacy.urls")),
    path("", include("cityline.participation.urls")),
    path("", include("cityline.observations.operations_urls")),
    path("", include("cityline.portal.urls")),
    prefix_default_language=False,
)
