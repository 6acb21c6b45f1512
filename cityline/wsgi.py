"""WSGI entry point: ``cityline.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityline.settings")


class HeadWithoutBody:
    """Answers ``HEAD`` with the headers ``GET`` would have and no body (RFC 9110, 9.3.2).

    Django's views and handler leave the body in (its development server and test client strip it),
    and waitress, which ``cityline serve`` runs, sends what the application returns: a keep-alive
    client then read the body as the start of the next answer. Servers that strip it themselves
    (gunicorn, uWSGI) get nothing to strip. The response is closed unread, which ends a streaming
    one (the operations page's event stream) and fires Django's ``request_finished``.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        result = self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "HEAD":
            return result
        if hasattr(result, "close"):
            result.close()
        return []


application = HeadWithoutBody(get_wsgi_application())
