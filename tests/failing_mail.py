"""A mail backend whose server refuses every connection: the network edge, failing.

Tests point EMAIL_BACKEND here (the unit tests through the settings fixture, the worker
tests through the worker's environment)."""

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")
