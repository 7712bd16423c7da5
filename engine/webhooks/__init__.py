"""Webhooks: events written with the change that causes them (an outbox of deliveries and
their jobs), delivered signed by the worker, retried, logged (docs/webhooks.md).

The engine's functions a caller (the admin pages, the API) uses: `subscriptions` (subscribe,
list, update, pause, resume, delete), `log` (a subscription's deliveries), `delivery.resend`.
"""
