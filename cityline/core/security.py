"""Security headers of every response (B10: identity and privacy management; hardened public pages and API).

The Content-Security-Policy itself comes from django-csp (``CONTENT_SECURITY_POLICY`` in
settings: scripts and styles from our own origin only, no inline code, no framing). This
module adds what neither Django's SecurityMiddleware nor django-csp sends:

- ``Permissions-Policy``: no page of Cityline uses the camera, microphone, location,
  payment or similar powerful features, so none may, not even an injected frame;
- ``Cross-Origin-Opener-Policy``, ``X-Content-Type-Options`` and ``Referrer-Policy`` as a
  safety net for responses that bypass Django's SecurityMiddleware settings.

:func:`allow_inline_styles` lets one standalone document (the printable board pack, which
must keep working when saved to disk) carry its own ``<style>`` block: the block's SHA-256
hash is added to that one response's ``style-src``, the policy of every other page stays strict.
See docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import re

from django.http import HttpRequest, HttpResponseBase

#: Powerful browser features, all switched off (https://www.w3.org/TR/permissions-policy/).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "sync-xhr", "usb",
        "xr-spatial-tracking",
    )
)

#: Headers every response carries (set only when the view or an earlier middleware did not).
HEADERS = {
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Add :data:`HEADERS` to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        for name, value in HEADERS.items():
            if name not in response:
                response[name] = value
        return response


_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def style_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of each ``<style>`` block of an HTML document."""
    out = []
    for body in _STYLE_BLOCK.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        out.append(f"'sha256-{digest}'")
    return out


def allow_inline_styles(response: HttpResponseBase, html: str) -> HttpResponseBase:
    """Let this one response apply exactly the ``<style>`` blocks of ``html`` (by hash)."""
    hashes = style_hashes(html)
    if hashes:
        response._csp_update = {"style-src": hashes}  # read by csp.middleware.CSPMiddleware
    return response


def max_request_bytes() -> int:
    """The largest request body accepted: the open data upload limit plus room for the form around it."""
    from cityline.opendata.services import limits

    return limits().max_bytes + 1024 * 1024


class RequestSizeMiddleware:
    """Refuse a request whose declared body is larger than any upload may be (413), before reading it.

    Django bounds form and JSON bodies (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but streams uploaded
    files to disk whatever their size; the open data checks (``CITYLINE_UPLOAD_MAX_BYTES``) run
    only once the file is stored. This stops an oversized upload at the door.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = max_request_bytes()
        if declared > limit:
            from django.http import HttpResponse

            return HttpResponse(f"Request body too large: {declared} bytes, at most {limit} are accepted.\n",
                                status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
