"""Security headers on every response: pages, errors, redirects, static files.

The Content-Security-Policy allows scripts and styles from this site only: no inline script,
no `eval`, no `style` attribute. Every page works without JavaScript and the studio's bundles
(web/static/build/) are files. Images may be `data:` URIs (the DSFR's icons, in its CSS). A PDF
shown in the browser gets a policy of its own: `sandbox`.
"""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

AnyResponse = TypeVar("AnyResponse", bound=Response)

# The diagram and decision-table editors (bpmn-js, dmn-js) set `style` attributes and add
# <style> elements as they draw (table columns, popup menu icons): their pages alone allow
# inline styles. Scripts stay strict there too.
INLINE_STYLE_ENDPOINTS = frozenset({"studio.editor", "studio.decisions"})


def _policy(style_src: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style_src}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = _policy("'self'")
EDITOR_CONTENT_SECURITY_POLICY = _policy("'self' 'unsafe-inline'")
# A PDF opened in the browser (a piece, the dossier's summary) is a document of its own, in a
# sandbox: no script, no form, no access to the site's origin, never framed. The browser's PDF
# viewer must still draw it, so nothing more is forbidden.
SANDBOX_CONTENT_SECURITY_POLICY = "sandbox; frame-ancestors 'none'"
# A piece downloaded: in a sandbox, and allowed to load nothing at all, should a browser ever
# show it rather than save it.
PIECE_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"
# Browser features the site never uses, off for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
)
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Two years, subdomains included; sent only when the site is configured as served over HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.after_request(add_headers)


def sandbox_piece(response: AnyResponse, *, inline_pdf: bool = False) -> AnyResponse:
    """A piece's response in its sandbox (kept by `add_headers`): the PDF viewer's policy for a
    PDF shown inline, the strictest one for anything else."""
    inline = inline_pdf and response.mimetype == "application/pdf"
    response.headers["Content-Security-Policy"] = (
        SANDBOX_CONTENT_SECURITY_POLICY if inline else PIECE_CONTENT_SECURITY_POLICY
    )
    return response


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    if not response.headers.get("Content-Security-Policy", "").startswith("sandbox;"):
        editor = request.endpoint in INLINE_STYLE_ENDPOINTS
        policy = EDITOR_CONTENT_SECURITY_POLICY if editor else CONTENT_SECURITY_POLICY
        # The OpenID Connect provider's pages, which the sign-in and sign-out forms lead to.
        origins = current_app.extensions.get("form_action_origins")
        if origins:
            policy = policy.replace("form-action 'self'", f"form-action 'self' {' '.join(origins)}")
        response.headers["Content-Security-Policy"] = policy
    if current_app.config.get("HTTPS"):
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response
