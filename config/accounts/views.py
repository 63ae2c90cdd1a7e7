import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.accounts import oidc, provisioning
from config.accounts.oidc import SignInRefused
from config.middleware import client_ip

log = logging.getLogger("ninety.security")

# Where to go after signing in with single sign-on: the `next` the login page was given.
SSO_NEXT = "ninety_sso_next"


class LoginView(auth_views.LoginView):
    """Django's login page, offering single sign-on beside the password form or, with
    password login turned off, instead of it."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["sso_name"] = oidc.provider_name() if oidc.enabled() else ""
        context["password_login"] = settings.NINETY_PASSWORD_LOGIN
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.NINETY_PASSWORD_LOGIN:
            return super().post(request, *args, **kwargs)
        log.warning(
            "password login refused: it is turned off",
            extra={"event": "login.refused", "client_ip": client_ip(request)},
        )
        context = self.get_context_data(password_refused=True)
        return self.render_to_response(context, status=403)


def password_login_only(view: Callable) -> Callable:
    """Without password login there is no password to reset: the reset pages are gone."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.NINETY_PASSWORD_LOGIN:
            raise Http404("password login is turned off")
        return view(request, *args, **kwargs)

    return wrapped


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with the link in the mail starting at SITE_URL (read per
    request) rather than at whatever Host header the request named."""

    email_template_name = "registration/password_reset_email.txt"

    @property
    def extra_email_context(self) -> dict:
        return {"site_url": settings.SITE_URL}


def admin_login(request: HttpRequest, **kwargs) -> HttpResponse:
    """The admin's login. Its own form knows only passwords, so with single sign-on on,
    someone not yet signed in is sent to Ninety's login page, which offers both; the admin
    then lets staff in. (A password posted here still meets the password-login switch.)"""
    if oidc.enabled() and not request.user.is_authenticated and request.method == "GET":
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
    return admin.site.login(request, **kwargs)


@never_cache
@require_GET
def sso_login(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        raise Http404("single sign-on is not configured")
    next_url = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if next_url and safe:
        request.session[SSO_NEXT] = next_url
    else:
        request.session.pop(SSO_NEXT, None)
    try:
        return oidc.authorization_redirect(request)
    except SignInRefused as refused:
        return _refused(request, refused)


@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        raise Http404("single sign-on is not configured")
    try:
        claims = oidc.verified_claims(request)
        synced = provisioning.sso_user_sync(claims=claims)
    except SignInRefused as refused:
        return _refused(request, refused)
    next_url = request.session.pop(SSO_NEXT, "")
    # Django gives the session a new key; our receiver starts its idle and absolute limits.
    login(request, synced.user, backend="django.contrib.auth.backends.ModelBackend")
    log.info(
        "signed in with single sign-on",
        extra={
            "event": "sso.login",
            "user_id": synced.user.pk,
            "username": synced.user.username,
            "new_user": synced.created,
            "roles_added": synced.roles_added,
            "roles_removed": synced.roles_removed,
            "client_ip": client_ip(request),
        },
    )
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


def _refused(request: HttpRequest, refused: SignInRefused) -> HttpResponse:
    log.warning(
        "single sign-on refused (%s)",
        refused.reason,
        extra={
            "event": "sso.failed",
            "reason": refused.reason,
            "detail": refused.detail,
            "client_ip": client_ip(request),
        },
    )
    context = {
        "message": refused.message,
        "sso_name": oidc.provider_name(),
        "password_login": settings.NINETY_PASSWORD_LOGIN,
    }
    return render(request, "registration/sso_failed.html", context, status=refused.status)
