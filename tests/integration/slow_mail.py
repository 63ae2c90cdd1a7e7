"""A mail backend for the crash test: it pauses before writing, so a worker can be killed
while a reminder is on its way."""

import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(4)
        return super().send_messages(email_messages)
