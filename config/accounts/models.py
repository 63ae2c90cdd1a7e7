"""Personal API tokens: how another system calls the API as one person.

A token is shown once, when it is made; only its SHA-256 is kept, beside a short prefix
that finds the row without scanning (config.accounts.tokens does the work).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    # The token's public part, printed in it after "ninety_": finds the row by an index.
    prefix = models.CharField(max_length=16, unique=True)
    # SHA-256 of the whole token, hex. The secret has 256 bits of randomness, so a fast
    # hash is enough: there is nothing to guess a dictionary word from.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"{self.name or self.prefix} ({self.user})"

    def is_expired(self, now) -> bool:
        return self.expires_at is not None and self.expires_at <= now
