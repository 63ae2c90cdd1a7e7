"""Personal API tokens: made and revoked by their owner, checked on every API request.

A token reads `ninety_<prefix>_<secret>`. The prefix (12 hex characters) finds the row
through a unique index; the secret (256 random bits) never leaves the response that
shows it once. The database keeps the SHA-256 of the whole token, compared in constant
time, so a copy of the table lets nobody call the API.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.accounts.models import ApiToken

log = logging.getLogger("ninety.security")

SCHEME = "ninety"
# At most this many live tokens a person: one per system they connect is plenty, and a
# stolen session cannot mint them without bound.
MAX_LIVE_TOKENS = 20
# Writing the last-used time on every request would cost an UPDATE per call for a
# precision nobody reads; once a minute is enough to tell a used token from a stale one.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenRefused(Exception):
    """The token cannot be made; the message is fit to show its owner."""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def live_tokens(user):
    """The user's tokens not revoked (expired ones included, so their owner sees them)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def api_token_create(*, user, name: str = "", expires_at=None) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the row and the token itself, which is not stored
    anywhere and cannot be shown again."""
    if live_tokens(user).count() >= MAX_LIVE_TOKENS:
        raise TokenRefused(
            _("You have %(count)s tokens already. Revoke one you no longer use first.")
            % {"count": MAX_LIVE_TOKENS}
        )
    for _attempt_number in range(3):
        prefix = secrets.token_hex(6)
        raw = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name.strip(),
                    prefix=prefix,
                    token_hash=_hash(raw),
                    expires_at=expires_at,
                )
        except IntegrityError:  # a prefix drawn twice: 48 bits make this rare, not impossible
            continue
        log.info(
            "API token created",
            extra={"event": "api_token.created", "user_id": user.pk, "token_prefix": prefix},
        )
        return token, raw
    raise TokenRefused(_("The token could not be made. Please try again."))


def api_token_revoke(*, user, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when there is no such live token."""
    revoked = live_tokens(user).filter(pk=token_id).update(revoked_at=timezone.now())
    if revoked:
        log.info(
            "API token revoked",
            extra={"event": "api_token.revoked", "user_id": user.pk, "token_id": token_id},
        )
    return bool(revoked)


def authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` names, with its user loaded, or None.

    None for anything malformed, unknown, revoked, expired, or belonging to a person who
    is no longer active. Records when the token was last used (at most once a minute).
    """
    scheme, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != SCHEME or len(prefix) != 12 or not secret or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, _hash(raw)):
        return None
    now = timezone.now()
    if token.is_expired(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        # Conditional, so concurrent requests write it once.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
