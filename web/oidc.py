"""OpenID Connect sign-in (ProConnect, FranceConnect, any provider with discovery) beside
passwords, through Authlib's Flask client: the authorization code flow with PKCE (S256), its
`state` and `nonce` checked, the ID token verified (signature against the provider's JWKS,
issuer, audience, expiry), then the userinfo read. engine/people/oidc_accounts.py decides
which account opens. Nothing of it exists when the deployment configures no provider."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from engine.core.clock import utcnow
from engine.core.settings import EngineSettings, OidcSettings
from engine.people import oidc_accounts, two_factor, user_sessions
from web.auth import PENDING, PROVIDER_ID_TOKEN, TOKEN, bp, lifetimes, safe_next
from web.database import db
from web.oidc_replies import ProviderReplyError, identity_from, provider_origins

log = logging.getLogger("inventaire.web.oidc")
# The page asked for, kept in the Flask session while the provider is visited.
NEXT_PAGE = "oidc_suivant"
CLIENT = "oidc_client"


def settings() -> OidcSettings | None:
    engine_settings: EngineSettings = current_app.extensions["engine_settings"]
    return engine_settings.oidc


def init_app(app: Flask) -> None:
    configured: OidcSettings | None = app.extensions["engine_settings"].oidc
    app.context_processor(lambda: {"oidc": settings()})
    if configured is None:
        return
    oauth = OAuth(app)
    client_kwargs: dict[str, Any] = {
        "scope": configured.scopes,
        "code_challenge_method": "S256",
        "timeout": 15,
    }
    if not configured.client_secret:
        client_kwargs["token_endpoint_auth_method"] = "none"  # a public client: PKCE alone
    app.extensions[CLIENT] = oauth.register(
        "fournisseur",
        client_id=configured.client_id,
        client_secret=configured.client_secret or None,
        server_metadata_url=f"{configured.issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    # The sign-in and sign-out forms lead to the provider: the CSP's form-action lets them.
    app.extensions["form_action_origins"] = provider_origins(configured.issuer)
    app.extensions["provider_sign_out"] = _provider_sign_out


def _client() -> Any:
    client = current_app.extensions.get(CLIENT)
    if client is None:
        abort(404)
    return client


def _refused(message: str, status: int) -> tuple[str, int]:
    return render_template("auth/login.html", email="", error=message), status


@bp.post("/connexion/oidc", endpoint="oidc_start")
def start() -> Response | tuple[str, int]:
    client = _client()
    configured = settings()
    assert configured is not None
    try:
        _claims_options(client, configured)  # its discovery read, its issuer the one configured
        response: Response = client.authorize_redirect(
            url_for("auth.oidc_callback", _external=True),
            # 43 characters each: beyond the minimum some providers ask of them.
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
        )
    except ProviderReplyError as error:
        log.warning("OpenID Connect provider refused: %s", error)
        return _refused(_unverifiable(configured), 502)
    except Exception:  # any failure of the provider: its discovery, the network
        log.warning("OpenID Connect discovery failed", exc_info=True)
        return _refused(_unreachable(configured), 503)
    session[NEXT_PAGE] = request.args.get("suivant") or ""
    return response


@bp.get("/connexion/oidc/retour", endpoint="oidc_callback")
def callback() -> Response | tuple[str, int]:
    client = _client()
    configured = settings()
    assert configured is not None
    name = configured.name
    error = request.args.get("error")
    if error:  # the provider says no (the user cancelled, or it refused): no token to check
        return _provider_error(error[:100], configured)
    try:
        token = client.authorize_access_token(claims_options=_claims_options(client, configured))
        identity = identity_from(client, token, configured)
    except MismatchingStateError:
        return _refused(
            f"Cette réponse de {name} ne correspond à aucune connexion commencée ici (lien "
            "expiré, déjà utilisé ou ouvert dans un autre navigateur)\u00a0: recommencez la "
            "connexion.",
            400,
        )
    except OAuthError as refused:
        return _provider_error(str(refused.error or "erreur")[:100], configured)
    except ProviderReplyError as error:
        log.warning("OpenID Connect reply refused: %s", error)
        return _refused(_unverifiable(configured), 401)
    except Exception:  # a bad token, the network: never a 500
        log.warning("OpenID Connect sign-in failed", exc_info=True)
        return _refused(_unverifiable(configured), 502)
    try:
        found = oidc_accounts.sign_in(db(), identity, name, utcnow())
    except oidc_accounts.Refused as refused:
        db().rollback()
        return _refused(refused.message, 403)
    return _open(found, token["id_token"])


def _provider_error(code: str, configured: OidcSettings) -> tuple[str, int]:
    log.info("OpenID Connect sign-in refused by the provider: %r", code)
    if not re.fullmatch(r"[a-z_]{1,40}", code):  # an error code of RFC 6749, or nothing shown
        code = "erreur"
    if code in ("access_denied", "login_required", "consent_required"):
        return _refused(f"La connexion par {configured.name} a été annulée.", 401)
    return _refused(
        f"{configured.name} n'a pas permis la connexion ({code})\u00a0: recommencez, ou "
        "connectez-vous avec votre mot de passe.",
        401,
    )


def _open(found: oidc_accounts.SignedIn, id_token: str) -> Response:
    user = found.user
    next_page = str(session.pop(NEXT_PAGE, "") or "")
    previous = session.get(TOKEN)
    if isinstance(previous, str):
        user_sessions.revoke(db(), previous)
    if two_factor.mode(db()) is not two_factor.Mode.OFF and two_factor.is_enrolled(db(), user.id):
        # An account that enrolled still types its code: the provider's own factors are not
        # known to us (docs/authentication.md).
        db().commit()
        session.clear()
        session[PENDING] = {"u": user.id, "t": int(time.time()), "s": next_page, "i": id_token}
        return redirect(url_for("auth.second_step"))
    token = user_sessions.open_session(db(), user.id, utcnow(), lifetimes())
    db().commit()
    session.clear()
    session[TOKEN] = token
    session[PROVIDER_ID_TOKEN] = id_token
    session.permanent = False
    if found.created:
        flash(
            "Votre compte est créé. Un administrateur doit vous attribuer un rôle avant que "
            "vous puissiez travailler sur la plateforme.",
            "info",
        )
    flash(f"Bienvenue, {user.name}.", "success")
    return redirect(safe_next(next_page))


def _claims_options(client: Any, configured: OidcSettings) -> dict[str, Any]:
    """The ID token's issuer must be the provider's (its discovery document says it, and it
    must be the one configured), its audience us, its expiry present."""
    metadata = client.load_server_metadata()
    issuer = str(metadata.get("issuer") or "")
    if issuer.rstrip("/") != configured.issuer:
        raise ProviderReplyError(f"discovery issuer {issuer!r} is not {configured.issuer!r}")
    return {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": configured.client_id},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }


def _provider_sign_out(id_token: str) -> str | None:
    """The provider's end_session_endpoint for this ID token (its session ends too), with the
    way back to the sign-in page; None when it offers none or cannot be reached."""
    client = current_app.extensions.get(CLIENT)
    if client is None:
        return None
    try:
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        found: dict[str, Any] = client.create_logout_url(
            post_logout_redirect_uri=url_for("auth.login", _external=True),
            id_token_hint=id_token,
        )
    except Exception:  # the provider unreachable: our session ends anyway
        log.warning("OpenID Connect end_session_endpoint unavailable", exc_info=True)
        return None
    url = str(found["url"])
    return url if urlsplit(url).scheme in ("http", "https") else None


def _unreachable(configured: OidcSettings) -> str:
    return (
        f"{configured.name} ne répond pas pour le moment\u00a0: réessayez dans quelques minutes, "
        "ou connectez-vous avec votre mot de passe."
    )


def _unverifiable(configured: OidcSettings) -> str:
    return (
        f"La réponse de {configured.name} n'a pas pu être vérifiée\u00a0: vous n'êtes pas "
        "connecté. Recommencez, ou connectez-vous avec votre mot de passe."
    )
