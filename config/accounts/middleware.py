"""Session limits: an idle timeout and an absolute age, whatever the activity."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

log = logging.getLogger("ninety.security")

STARTED = "ninety_login_at"
LAST_SEEN = "ninety_last_seen"
# Write the last-seen time at most this often: a session write on every request would
# cost an UPDATE per click for a precision nobody needs.
LAST_SEEN_GRANULARITY = 60


def mark_login(session) -> None:
    now = int(time.time())
    session[STARTED] = now
    session[LAST_SEEN] = now


class SessionTimeoutMiddleware:
    """Log out a session idle for longer than SESSION_IDLE_SECONDS or older than
    SESSION_COOKIE_AGE since its login. The next page is the login page, with a word
    about why; an htmx request is sent there as a whole page, not swapped into a row."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return self._log_out(request, expired)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str | None:
        session = request.session
        now = int(time.time())
        started = session.get(STARTED)
        last_seen = session.get(LAST_SEEN)
        if started is None or last_seen is None:
            # A session from before these limits: its clock starts now.
            mark_login(session)
            return None
        if now - started > settings.SESSION_COOKIE_AGE:
            return "absolute"
        if now - last_seen > settings.SESSION_IDLE_SECONDS:
            return "idle"
        if now - last_seen >= LAST_SEEN_GRANULARITY:
            session[LAST_SEEN] = now
        return None

    def _log_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        user_id = request.user.pk
        logout(request)
        log.info(
            "session ended (%s)",
            reason,
            extra={"event": "session.expired", "reason": reason, "user_id": user_id},
        )
        if reason == "idle":
            minutes = settings.SESSION_IDLE_SECONDS // 60
            text = f"You were logged out after {minutes} minutes without activity."
        else:
            hours = settings.SESSION_COOKIE_AGE // 3600
            text = f"You were logged out: a session lasts at most {hours} hours."
        messages.info(request, f"{text} Log in again to carry on.")
        if request.htmx:
            return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
        return redirect_to_login(request.get_full_path())
