"""Which language Ninety speaks to a person.

A person's choice is saved with their notification settings (NotificationSettings.language,
blank: none made), so it follows them to every browser and into the e-mails they get.
From login on it is kept in the session, where config.middleware.LanguageMiddleware reads
it without a query; before login, or with no choice saved, the browser's Accept-Language
(or the language cookie the menu sets) decides, and otherwise NINETY_LANGUAGE.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pilots.notifications_models import NotificationSettings


def supported(code: str | None) -> bool:
    return bool(code) and code in dict(settings.LANGUAGES)


def saved_language(user) -> str | None:
    """The language `user` chose in the menu, if they chose one."""
    chosen = (
        NotificationSettings.objects.filter(user=user).values_list("language", flat=True).first()
    )
    return chosen if supported(chosen) else None


def language_of(user) -> str:
    """The language to write to `user` in when no request is at hand (e-mails, PDFs made
    by a worker): their saved choice, else the organisation's default."""
    return saved_language(user) or settings.LANGUAGE_CODE


@receiver(user_logged_in, dispatch_uid="pilots-language-at-login")
def _remember_at_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    chosen = saved_language(user)
    if chosen:
        request.session[settings.NINETY_LANGUAGE_SESSION_KEY] = chosen


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language menu: switch now (this session and a cookie, for the login page too)
    and, for someone logged in, save the choice for e-mails and other browsers."""
    code = request.POST.get("language", "")
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if not supported(code):
        return response
    if request.user.is_authenticated:
        NotificationSettings.objects.update_or_create(
            user=request.user, defaults={"language": code}
        )
        request.session[settings.NINETY_LANGUAGE_SESSION_KEY] = code
    translation.activate(code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
