"""What an OpenID Connect provider answered, read and checked (web/oidc.py): the ID token's
claims Authlib verified, then the userinfo (JSON, or a JWT signed with the provider's keys, as
ProConnect sends it), the same person in both."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

from engine.core.settings import OidcSettings
from engine.people.oidc_accounts import Identity


class ProviderReplyError(Exception):
    """The provider's answer is not one we can trust (English: for the log only)."""


def identity_from(client: Any, token: dict[str, Any], configured: OidcSettings) -> Identity:
    """The person the checked ID token and the userinfo describe."""
    claims = token.get("userinfo")
    if not token.get("id_token") or not isinstance(claims, dict):
        raise ProviderReplyError("the token response has no ID token")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise ProviderReplyError("the ID token has no subject")
    found = dict(claims)
    endpoint = client.load_server_metadata().get("userinfo_endpoint")
    if endpoint:
        userinfo = _userinfo(client, str(endpoint), token, configured)
        if userinfo.get("sub") != subject:
            raise ProviderReplyError("the userinfo describes another subject than the ID token")
        found.update(userinfo)
    email = found.get("email")
    verified = found.get("email_verified") in (True, "true") or configured.trust_emails
    return Identity(
        issuer=str(claims["iss"]).rstrip("/"),
        subject=subject[:255],
        email=email.strip() if isinstance(email, str) else "",
        email_verified=verified,
        name=_name(found),
    )


def _userinfo(
    client: Any, endpoint: str, token: dict[str, Any], configured: OidcSettings
) -> dict[str, Any]:
    response = client.get(endpoint, token=token)
    response.raise_for_status()
    if response.headers.get("Content-Type", "").split(";")[0].strip() == "application/jwt":
        keys = KeySet.import_key_set(client.fetch_jwk_set())
        decoded = jwt.decode(response.text.strip(), keys)
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": False, "value": client.load_server_metadata()["issuer"]},
            aud={"essential": False, "value": configured.client_id},
        )
        registry.validate(decoded.claims)
        return dict(decoded.claims)
    data = response.json()
    if not isinstance(data, dict):
        raise ProviderReplyError("the userinfo is not a JSON object")
    return data


def _name(claims: dict[str, Any]) -> str:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name
    parts = [
        claims.get("given_name"),
        claims.get("usual_name") or claims.get("family_name"),  # ProConnect: usual_name
    ]
    return " ".join(part for part in parts if isinstance(part, str) and part.strip())


def provider_origins(issuer: str) -> tuple[str, ...]:
    """The origin the sign-in and sign-out forms lead to (the provider's pages)."""
    parts = urlsplit(issuer)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme and parts.netloc else ()
