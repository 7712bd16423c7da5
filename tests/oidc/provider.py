"""A real OpenID Connect provider for the tests: panva's oidc-provider (npm, a devDependency)
run by Node from tests/oidc/provider.mjs on 127.0.0.1 with a free port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = Path(__file__).resolve().parent / "provider.mjs"
CLIENT_ID = "inventaire-tests"
CLIENT_SECRET = "secret-des-tests-uniquement"


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed (npm ci)"
    return None


@contextmanager
def oidc_provider(
    app_url: str, accounts_file: Path, *, signed_userinfo: bool = False
) -> Iterator[str]:
    """The provider, with one confidential client whose pages are those of `app_url`, and the
    accounts of `accounts_file` (read at each sign-in); yields its issuer URL. With
    `signed_userinfo`, its userinfo is a JWT signed with its keys (as ProConnect's)."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: .ci/run installs the npm packages with make")
        pytest.skip(missing)
    client: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{app_url}/connexion/oidc/retour"],
        "post_logout_redirect_uris": [f"{app_url}/connexion"],
    }
    environment = dict(os.environ)
    environment.update(
        {
            "OIDC_CLIENT": json.dumps(client),
            "OIDC_ACCOUNTS_FILE": str(accounts_file),
            "OIDC_SIGNED_USERINFO": "1" if signed_userinfo else "",
        }
    )
    process = subprocess.Popen(
        ["node", str(SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        issuer = process.stdout.readline().strip()
        assert issuer.startswith("http://127.0.0.1:"), "the OpenID provider did not start"
        yield issuer
    finally:
        process.terminate()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
