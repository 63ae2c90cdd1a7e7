"""The security log: failed logins, lockouts, admin actions; and what a login or a
deactivation does to sessions. Connected in AccountsConfig.ready()."""

import logging

from axes.signals import user_locked_out
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from config.accounts.middleware import mark_login
from config.accounts.sessions import end_user_sessions
from config.middleware import client_ip

log = logging.getLogger("ninety.security")
User = get_user_model()

ADMIN_ACTIONS = {1: "added", 2: "changed", 3: "deleted"}


def _username(credentials: dict) -> str:
    # What was typed, cut short: a login form is no place to store an essay.
    return str(credentials.get("username", ""))[:150]


@receiver(user_login_failed)
def log_failed_login(sender, credentials: dict, request=None, **kwargs) -> None:
    log.warning(
        "login failed",
        extra={
            "event": "login.failed",
            "username": _username(credentials),
            "client_ip": client_ip(request) if request is not None else None,
        },
    )


@receiver(user_locked_out)
def log_lockout(sender, request=None, username: str = "", ip_address: str = "", **kwargs) -> None:
    log.warning(
        "login locked out",
        extra={"event": "login.locked_out", "username": username[:150], "client_ip": ip_address},
    )


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs) -> None:
    """Django has already given the session a new key (no fixation); start its limits."""
    mark_login(request.session)
    log.info(
        "login",
        extra={"event": "login.succeeded", "user_id": user.pk, "client_ip": client_ip(request)},
    )


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    ended = end_user_sessions(instance)
    log.info(
        "user deactivated; %s session(s) ended",
        ended,
        extra={"event": "user.deactivated", "user_id": instance.pk, "sessions_ended": ended},
    )


@receiver(post_save, sender=LogEntry)
def log_admin_action(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    log.info(
        "admin %s %s",
        ADMIN_ACTIONS.get(instance.action_flag, "acted on"),
        instance.object_repr,
        extra={
            "event": "admin.action",
            "action": ADMIN_ACTIONS.get(instance.action_flag, str(instance.action_flag)),
            "user_id": instance.user_id,
            "content_type": instance.content_type.model if instance.content_type_id else None,
            "object_id": str(instance.object_id) if instance.object_id is not None else None,
            "object_repr": instance.object_repr,
            "change": instance.get_change_message()[:500],
        },
    )
