"""Ending every session of a user, e.g. when an administrator deactivates them."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def end_user_sessions(user) -> int:
    """Delete every live session that belongs to `user`; returns how many.

    Sessions are stored by key, not by user, so this decodes each live session. That is
    a scan of the session table, acceptable for something as rare as a deactivation.
    (Even before this runs, Django refuses an inactive user on their next request; this
    removes the sessions themselves.)
    """
    ended = 0
    user_id = str(user.pk)
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get(SESSION_KEY)) == user_id:
            ended += Session.objects.filter(pk=session.pk).delete()[0]
    return ended
