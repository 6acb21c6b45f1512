"""Public portal URLs, built from the page registry (see ``cityline.portal.registry``).

Included under ``i18n_patterns`` in ``cityline/urls.py``: English unprefixed, French under /fr/.
"""

from . import registry

app_name = "portal"
urlpatterns = registry.urlpatterns()
