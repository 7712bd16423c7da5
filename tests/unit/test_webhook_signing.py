"""Webhook signatures as docs/webhooks.md tells a receiver to check them (its function, run
as printed), and the addresses a webhook may reach."""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from engine.webhooks import addresses, signing

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "webhooks.md"
SECRET = signing.subscription_secret("clé du serveur", "nonce")
BODY = '{"evenement":"dossier.statut_modifie","id":"é"}'.encode()

Verify = Callable[..., bool]


def documented_verify() -> Verify:
    """The receiver's function as docs/webhooks.md prints it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(blocks[0], namespace)
    return cast(Verify, namespace["verify"])


@pytest.mark.parametrize("check", ["engine", "documentation"])
def test_a_signature_verifies_and_a_replay_or_a_change_does_not(check: str) -> None:
    now = int(time.time())
    if check == "documentation":
        doc_verify = documented_verify()

        def verify(secret: str, header: str, body: bytes, at: int) -> bool:
            assert at == now  # the documented function reads the clock itself
            return doc_verify(secret, header, body)

        old_header = signing.signature_header(SECRET, now - 301, BODY)
        assert not doc_verify(SECRET, old_header, BODY)
    else:

        def verify(secret: str, header: str, body: bytes, at: int) -> bool:
            return signing.verify(secret, header, body, now=at)

        old_header = signing.signature_header(SECRET, now - 301, BODY)
        assert not verify(SECRET, old_header, BODY, now)
    header = signing.signature_header(SECRET, now, BODY)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify(SECRET, header, BODY, now)
    assert not verify(SECRET, header, BODY.replace(b"statut", b"status"), now)
    assert not verify(signing.subscription_secret("autre clé", "nonce"), header, BODY, now)
    assert not verify(SECRET, header.replace(f"t={now}", f"t={now + 1}"), BODY, now)
    assert not verify(SECRET, "v1=abc", BODY, now)
    assert not verify(SECRET, "", BODY, now)


def test_the_secret_depends_on_the_server_key_and_the_nonce() -> None:
    assert SECRET.startswith("whsec_") and len(SECRET) == 6 + 64
    assert signing.subscription_secret("clé du serveur", "nonce") == SECRET
    assert signing.subscription_secret("clé du serveur", "autre") != SECRET
    with pytest.raises(signing.MissingServerKey, match="INVENTAIRE_SECRET_KEY"):
        signing.subscription_secret("", "nonce")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not addresses.is_public(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(addresses.AddressRefused, match="privée, locale ou réservée"):
        addresses.checked_address(addresses.parse(f"http://{host}/x"), allow_private=False)


def test_public_addresses_and_urls() -> None:
    assert addresses.is_public(ipaddress.ip_address("93.184.215.14"))
    assert addresses.is_public(ipaddress.ip_address("2a00:1450:4007:80a::200e"))
    target = addresses.parse("https://exemple.fr:8443/a/b?c=d")
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "exemple.fr",
        8443,
        "/a/b?c=d",
    )
    assert addresses.parse("http://exemple.fr").port == 80
    for url, message in (
        ("javascript:alert(1)", "Seules les adresses http://"),
        ("http://exemple.fr:99999/", "n'est pas une URL valide"),
        ("http:///chemin", "doit nommer un serveur"),
        ("http://exemple.fr/a b", "ni espace"),
        ("https://x:y@exemple.fr/", "ni de mot de passe"),
    ):
        with pytest.raises(addresses.AddressRefused, match=re.escape(message)):
            addresses.parse(url)
    # Allowed by the setting: loopback is then a receiver like any other.
    allowed = addresses.checked_address(addresses.parse("http://127.0.0.1:9/"), True)
    assert str(allowed) == "127.0.0.1"
