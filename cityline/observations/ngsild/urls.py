"""Addresses of the NGSI-LD subset, mounted at ``/ngsi-ld/v1/`` (outside the translated portal).

Clients differ on a trailing slash (ngsildclient posts to ``entities/``), so both are accepted.
Entity ids are URIs (``urn:ngsi-ld:Type:id``): the id takes the rest of the path (percent-encoded in a
``Location``: Django decodes the path before matching).
"""

from django.urls import re_path

from . import views

app_name = "ngsild"

urlpatterns = [
    re_path(r"^entities/?$", views.entities, name="entities"),
    re_path(r"^entities/(?P<entity_id>.+?)/attrs/?$", views.entity_attrs, name="entity-attrs"),
    re_path(r"^entities/(?P<entity_id>.+?)/attrs/(?P<attr>[^/]+)/?$", views.entity_attr, name="entity-attr"),
    re_path(r"^entities/(?P<entity_id>.+?)/?$", views.entity, name="entity"),
    re_path(r"^entityOperations/upsert/?$", views.batch_upsert, name="batch-upsert"),
    re_path(r"^entityOperations/create/?$", views.batch_create, name="batch-create"),
    re_path(r"^temporal/entities/(?P<entity_id>.+?)/?$", views.temporal_entity, name="temporal-entity"),
    re_path(r"^jsonldContexts/(?P<name>[\w.-]+)$", views.core_context, name="context"),
    # Last: every other address under /ngsi-ld/v1/ answers a ProblemDetails error (not the site's HTML 404).
    re_path(r"^(?P<path>.*)$", views.unsupported, name="unsupported"),
]
