"""Settings the engine is given (never read from the environment here: the web layer and the
command line read it and pass them on)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "Inventaire <ne-pas-repondre@inventaire.invalid>"
    timeout: float = 30.0
