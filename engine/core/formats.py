"""Formats of what people type, shared by the forms and the accounts."""

from __future__ import annotations

import re

# An email address as people write it: something@domain.tld (no spaces, one @).
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
