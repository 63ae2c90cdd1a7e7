"""Middleware for running in production: request ids and the access log, health probes,
security headers, and a log line for every refusal.

Order matters; see MIDDLEWARE in config/settings.py.
"""

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.functional import empty

from config import health
from config.logs import request_id_var

log = logging.getLogger("ninety.request")
security_log = logging.getLogger("ninety.security")

# What a proxy or a client may send as a request id; anything else is replaced by ours,
# so the id is safe to echo in a header and to write into a log.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
HEALTH_VIEWS = {"/healthz": health.healthz, "/readyz": health.readyz}


def client_ip(request: HttpRequest) -> str | None:
    """The address of the person, as far as our own proxies vouch for it.

    With NINETY_TRUSTED_PROXIES = N reverse proxies in front of gunicorn, each appends the
    address it was connected from to X-Forwarded-For, so the N-th entry from the right was
    written by our outermost proxy; everything left of it came from the client and may be
    forged. With no trusted proxy (or a request that did not pass through all of them)
    the connection's own address counts. Django-axes locks logins out by this address.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.NINETY_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _user_id(request: HttpRequest) -> int | None:
    """The user's id if something in the request already loaded the user: the access log
    must not cost a query of its own."""
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty:
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None


class RequestIdMiddleware:
    """First in the chain: give the request an id (a proxy's X-Request-ID if it sent a sane
    one), put it on every log line written while serving it, echo it in the response, and
    write one access-log line when the response leaves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if not (request.path_info in HEALTH_VIEWS and response.status_code == 200):
                log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "event": "request",
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                        "user_id": _user_id(request),
                        "client_ip": client_ip(request),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)


class HealthCheckMiddleware:
    """Answer /healthz and /readyz before anything reads the Host header or redirects to
    HTTPS: load balancers and container probes call them by IP address over plain HTTP,
    which ALLOWED_HOSTS and SECURE_SSL_REDIRECT rightly refuse for everything else. The
    same views are in config/urls.py, so they also answer there by name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_VIEWS.get(request.path_info.rstrip("/"))
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """The headers Django does not set itself: the Content Security Policy (no inline
    script anywhere, no framing), a Permissions-Policy that turns off device APIs, and a
    Cross-Origin-Resource-Policy. A view that needs a stricter policy (file downloads) sets
    its own and keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # SecurityMiddleware sets it too, but the health probes answer before it runs.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


class AccessDeniedLogMiddleware:
    """Log every 403 and 404 the access helpers raise, with who asked for what: a run of
    them from one account is how probing shows up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            status = 403
        elif isinstance(exception, Http404):
            status = 404
        else:
            return None
        user = getattr(request, "user", None)
        security_log.warning(
            "access denied (%s) to %s %s",
            status,
            request.method,
            request.path,
            extra={
                "event": "access.denied",
                "status": status,
                "method": request.method,
                "path": request.path,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "reason": str(exception)[:200],
                "client_ip": client_ip(request),
            },
        )
        return None


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the browser's Accept-Language, or the language cookie),
    but a person's own choice, kept in their session, comes first. Reading the session
    costs nothing more: the session is loaded for the login anyway."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.session.get(settings.NINETY_LANGUAGE_SESSION_KEY)
        if chosen and chosen in dict(settings.LANGUAGES):
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)
