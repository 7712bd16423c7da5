"""Which receivers a webhook may reach (against server-side request forgery).

Only `http` and `https` URLs with a host and no credentials. A private, loopback, link-local,
multicast, reserved or unspecified address is refused unless the operator allows private
addresses (`WebhookSettings.allow_private`). Checked when a subscription is made (an address
typed as such, or a name that resolves to one) and again at each delivery, on the addresses
the name resolves to then; the delivery connects to the address checked, never resolving the
name a second time (a name that changes its answer between check and use gains nothing).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from engine.core.errors import InventaireError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(InventaireError):
    http_status = 422


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    # The path and query string, as sent on the request line.
    path: str


def parse(url: str) -> Target:
    """The URL's parts, or a French refusal of what cannot be a receiver's address."""
    text = url.strip()
    if not text:
        raise AddressRefused("Indiquez l'adresse (URL) du récepteur.")
    if len(text) > 2000:
        raise AddressRefused("L'adresse est trop longue (2\u00a0000 caractères au plus).")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise AddressRefused("Cette adresse n'est pas une URL valide.") from error
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Seules les adresses http:// ou https:// sont acceptées.")
    if not parts.hostname:
        raise AddressRefused("L'adresse doit nommer un serveur (https://exemple.fr/…).")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("L'adresse ne doit pas contenir d'identifiant ni de mot de passe.")
    if any(ord(char) < 33 for char in text):
        raise AddressRefused("L'adresse ne doit contenir ni espace ni caractère de contrôle.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default, path)


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def refusal(address: Address) -> AddressRefused:
    return AddressRefused(
        f"L'adresse {address} est une adresse privée, locale ou réservée\u00a0: un webhook ne "
        "peut pas y être envoyé (voir INVENTAIRE_WEBHOOKS_ALLOW_PRIVATE)."
    )


def literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_on_subscribing(url: str, allow_private: bool) -> Target:
    """At subscription: the URL's form, and its host unless private ones are allowed. A name
    that does not resolve yet is accepted (each delivery checks it again)."""
    target = parse(url)
    if allow_private:
        return target
    try:
        addresses = resolve(target)
    except AddressRefused:
        return target
    for address in addresses:
        if not is_public(address):
            raise refusal(address)
    return target


def resolve(target: Target) -> list[Address]:
    found = literal(target.host)
    if found is not None:
        return [found]
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(f"Le nom {target.host} ne se résout pas ({error}).") from error
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressRefused(f"Le nom {target.host} ne se résout pas.")
    return addresses


def checked_address(target: Target, allow_private: bool) -> Address:
    """At delivery: the address to connect to, every address of the name checked first."""
    addresses = resolve(target)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise refusal(address)
    return addresses[0]
