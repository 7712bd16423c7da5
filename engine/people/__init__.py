"""Accounts, sign-in (throttled) and server-side sessions."""
