"""Emails: French templates, their recipients, and their delivery (outbox or SMTP)."""
