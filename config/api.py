"""The JSON API, version 1: assembled here from the routers the apps keep
(pilots/api.py, governance/api.py), with what every call shares:

- authentication by personal API token (`Authorization: Bearer ninety_...`, see
  config.accounts.tokens); no session cookie is read, so no CSRF token is needed;
- a rate limit per token (NINETY_API_RATE_PER_MINUTE) counted in Django's cache;
- one error shape for every refusal: {"error": {"code", "message", "fields"}};
- the OpenAPI schema and interactive docs, served from the package's own files.
"""

import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer

from config.accounts import tokens
from governance.api import router as governance_router
from pilots.api import router as pilots_router
from pilots.api_support import ApiError, PersonOut, errors_invalid, person, responses
from pilots.roles import role_names
from pilots.services import ChangeRefused, StaleEdit

log = logging.getLogger("ninety.api")


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("rate limited")
        self.retry_after = retry_after


def check_rate(token_id: int) -> None:
    """Count this request against the token's minute; RateLimited past the limit.

    A fixed window a minute long, counted with add + incr, which are atomic in Redis and
    in the per-process memory cache alike. A cache that is away does not stop the API:
    the request goes through, and the log says so.
    """
    limit = settings.NINETY_API_RATE_PER_MINUTE
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"ninety:api-rate:{token_id}:{window}"
    try:
        cache.add(key, 0, timeout=70)
        used = cache.incr(key)
    except Exception:  # noqa: BLE001 - any cache failure: serve rather than refuse
        log.warning("rate limit not checked: the cache is unavailable", exc_info=True)
        return
    if used > limit:
        raise RateLimited(retry_after=max(1, int((window + 1) * 60 - now) + 1))


class TokenAuth(HttpBearer):
    """A personal API token in the Authorization header; the caller is its owner."""

    def authenticate(self, request: HttpRequest, token: str):
        found = tokens.authenticate(token.strip())
        if found is None:
            return None
        check_rate(found.pk)
        request.user = found.user
        request.api_token = found
        return found.user


api = NinjaAPI(
    title="Ninety API",
    version="1",
    description=(
        "Pilots, phases, deliverables, risks, sign-offs and the portfolio, as you see them "
        "in Ninety. Authenticate with a personal API token from your account menu "
        "(API tokens): send `Authorization: Bearer <token>`. Every error has the shape "
        '`{"error": {"code": ..., "message": ..., "fields": {...}}}`.'
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    # Swagger UI from the package's static files, under the site's own CSP; no badge
    # fetched from the validator's site.
    docs=Swagger(settings={"validatorUrl": None, "deepLinking": False}),
    docs_decorator=require_GET,
)
api.add_router("", pilots_router)
api.add_router("", governance_router)


class MeOut(Schema):
    user: PersonOut
    username: str
    roles: list[str]


@api.get("/me", response=responses({200: MeOut}), tags=["Account"], summary="Who you are")
def me(request: HttpRequest):
    """The person the token belongs to, and their roles: a quick check of a new token."""
    return {
        "user": person(request.auth),
        "username": request.auth.get_username(),
        "roles": sorted(role_names(request.auth)),
    }


# --- errors -------------------------------------------------------------------------------


def error_response(
    status: int, code: str, message: str, fields: dict | None = None
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JsonResponse(body, status=status)


def _api_error(request, exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.fields)


def _not_authenticated(request, exc: AuthenticationError):
    response = error_response(
        401,
        "not_authenticated",
        _(
            "Send a valid API token: Authorization: Bearer <token>. "
            "Tokens are made on the API tokens page."
        ),
    )
    response["WWW-Authenticate"] = 'Bearer realm="ninety"'
    return response


def _rate_limited(request, exc: RateLimited):
    response = error_response(
        429,
        "rate_limited",
        _("Too many requests with this token. Try again in %(seconds)s seconds.")
        % {"seconds": exc.retry_after},
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _validation_error(request, exc: ValidationError):
    return _api_error(request, errors_invalid(exc.errors, skip=1))


def _not_found(request, exc: Http404):
    return error_response(404, "not_found", _("Not found, or not yours to see."))


def _forbidden(request, exc: PermissionDenied):
    message = str(exc) or _("You can read this but not change it.")
    return error_response(403, "forbidden", message)


def _stale(request, exc: StaleEdit):
    current = exc.current.version if exc.current is not None else None
    fields = {"version": [_("The current version is %(n)s.") % {"n": current}]} if current else {}
    return error_response(
        409,
        "stale_version",
        _("Someone changed this since you read it. Nothing was saved; read it again."),
        fields,
    )


def _refused(request, exc: ChangeRefused):
    return error_response(409, "conflict", str(exc))


def _http_error(request, exc: HttpError):
    return error_response(exc.status_code, "error", str(exc))


def _unexpected(request, exc: Exception):
    if isinstance(exc, SuspiciousOperation):  # e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(400, "bad_request", _("The request was refused as malformed."))
    log.exception("API request failed", extra={"event": "api.error", "path": request.path})
    return error_response(500, "server_error", _("Something went wrong on our side."))


for exc_class, handler in [
    (ApiError, _api_error),
    (AuthenticationError, _not_authenticated),
    (RateLimited, _rate_limited),
    (ValidationError, _validation_error),
    (Http404, _not_found),
    (PermissionDenied, _forbidden),
    (StaleEdit, _stale),
    (ChangeRefused, _refused),
    (HttpError, _http_error),
    (Exception, _unexpected),
]:
    api.add_exception_handler(exc_class, handler)


# --- URLs ---------------------------------------------------------------------------------


def _json_errors(view):
    """The answers Django and ninja give outside an operation (an unknown path, a method
    the path does not take) in the API's error shape rather than as HTML or text."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _not_found(request, Http404())
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response.get("Allow", "")
            response = error_response(
                405,
                "method_not_allowed",
                _("This address takes %(methods)s.") % {"methods": allowed or "-"},
            )
            response["Allow"] = allowed
        return response

    return wrapped


# Exempt from CSRF like the operations (no cookie is read): a POST to an unknown address
# would otherwise get Django's HTML "CSRF verification failed" page instead of a JSON 404.
@csrf_exempt
def _unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return _not_found(request, Http404())


def urls():
    """The API's URL patterns for config/urls.py, each answering errors in JSON."""
    patterns, app_name, namespace = api.urls
    # No view here reads the session cookie (tokens only), so none needs CSRF protection;
    # exempt, a write to the schema or the docs gets the JSON 405, not Django's HTML 403.
    wrapped = [
        URLPattern(p.pattern, csrf_exempt(_json_errors(p.callback)), p.default_args, p.name)
        for p in patterns
    ]
    # [\s\S], not ".": an address with an encoded line break (%0A) is the API's too.
    wrapped.append(re_path(r"^(?P<rest>[\s\S]*)$", _unknown))
    return wrapped, app_name, namespace
