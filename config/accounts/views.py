from django.conf import settings
from django.contrib.auth import views as auth_views


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with the link in the mail starting at SITE_URL (read per
    request) rather than at whatever Host header the request named."""

    email_template_name = "registration/password_reset_email.txt"

    @property
    def extra_email_context(self) -> dict:
        return {"site_url": settings.SITE_URL}
