"""The password policy, checked wherever a person sets a password (an account created by an
administrator, a password changed, a password reset by email).

Following the CNIL (délibération n° 2022-100 du 21 juillet 2022, recommandation relative aux
mots de passe) and the ANSSI (recommandations relatives à l'authentification multifacteur et
aux mots de passe, 2021): a password alone, with a limit on failed attempts (the sign-in
throttling of login_throttle.py), must be long — 12 characters at least by default (the
setting INVENTAIRE_PASSWORD_MIN_LENGTH) — and no forced mix of character classes is
demanded (length does more); the passwords most often found in leaks are refused, and so is
a password made of the account's own address or name.

The list of common passwords (engine/people/data/mots_de_passe_courants.txt.gz, 30,000
entries) is built by tools/common_passwords.py from the list the zxcvbn package ships.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

DEFAULT_MIN_LENGTH = 12
MAX_LENGTH = 200
COMMON_PASSWORDS = Path(__file__).parent / "data" / "mots_de_passe_courants.txt.gz"
# Stripped from the end of a password before it is looked up again: « motdepasse2024! » is
# « motdepasse » with what everyone appends.
_TRAILING = "0123456789!?.*_-+#@$&%"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as listed:
        return frozenset(line.strip() for line in listed if line.strip())


def problem(password: str, min_length: int, *, email: str = "", name: str = "") -> str | None:
    """What is wrong with `password` (a French sentence for the form), None when it will do."""
    if len(password) < min_length:
        return (
            f"Le mot de passe doit compter au moins {min_length}\u00a0caractères "
            f"(il en compte {len(password)})."
        )
    if len(password) > MAX_LENGTH:
        return f"Le mot de passe doit compter au plus {MAX_LENGTH}\u00a0caractères."
    folded = password.casefold()
    if is_common(folded):
        return (
            "Ce mot de passe figure parmi les plus courants, que les attaquants essaient en "
            "premier\u00a0: choisissez-en un autre (une phrase de plusieurs mots, par exemple)."
        )
    if len(set(folded)) <= 2:
        return "Ce mot de passe répète un ou deux caractères\u00a0: choisissez-en un autre."
    personal = [part for part in (email.strip().casefold(), name.strip().casefold()) if part]
    local_part = email.strip().casefold().partition("@")[0]
    if local_part:
        personal.append(local_part)
    if any(folded.strip(_TRAILING) == part for part in personal):
        return (
            "Le mot de passe ne doit pas reprendre votre adresse électronique ou votre "
            "nom\u00a0: choisissez-en un autre."
        )
    return None


def is_common(folded: str) -> bool:
    listed = common_passwords()
    return folded in listed or folded.rstrip(_TRAILING) in listed
