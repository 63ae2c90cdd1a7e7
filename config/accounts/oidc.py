"""Single sign-on with OpenID Connect: the authorization code flow with PKCE, state and
nonce, through Authlib's Django client.

Authlib keeps, per sign-in, the state, the nonce and the PKCE verifier in the session,
exchanges the code for tokens and checks the ID token: its signature against the
provider's published keys (JWKS, fetched again when an unknown key id appears), its expiry
and nonce. Around it, this module adds what the library leaves to its user: the issuer and
the audience are checked against our settings, the discovery document must be the
configured issuer's, signatures are RS256 only, and a token response without an ID token
is no sign-in.

Everything comes from settings (OIDC_*, read from the environment). The client holds the
provider's metadata and keys for the life of the process; changing a setting (tests do)
forgets it.
"""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

# What Entra ID, Okta and Keycloak sign ID tokens with by default. Asymmetric only: a key
# set published for everyone can never verify a token signed with a shared secret.
ID_TOKEN_ALGORITHMS = ["RS256"]

CANNOT_VERIFY = _("The answer from the sign-in service could not be verified.")
UNREACHABLE = _("The sign-in service did not answer. Please try again in a minute.")


class SignInRefused(Exception):
    """A sign-in that must not complete. `reason` and `detail` go to the security log,
    `message` to the person, with `status` as the page's status code."""

    def __init__(self, reason: str, message, *, status: int = 400, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status
        self.detail = detail[:500]


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME


def redirect_uri() -> str:
    # From SITE_URL, not from the request's Host header: the provider only accepts the
    # callback address registered with it, and a forged Host must not choose another.
    return settings.SITE_URL + reverse("sso-callback")


class _Client(DjangoOAuth2App):
    def load_server_metadata(self) -> dict:
        metadata = super().load_server_metadata()
        if metadata.get("issuer") != settings.OIDC_ISSUER:
            # Authlib would check tokens against whatever issuer the document names.
            raise SignInRefused(
                "issuer_mismatch",
                _("Single sign-on is not set up correctly. Please tell your administrator."),
                status=502,
                detail=f"discovery names issuer {metadata.get('issuer')!r}, "
                f"OIDC_ISSUER is {settings.OIDC_ISSUER!r}",
            )
        metadata["id_token_signing_alg_values_supported"] = ID_TOKEN_ALGORITHMS
        return metadata


_client: _Client | None = None


def client() -> _Client:
    global _client
    if _client is None:
        _client = _Client(
            DjangoIntegration("oidc"),
            "oidc",
            client_id=settings.OIDC_CLIENT_ID,
            client_secret=settings.OIDC_CLIENT_SECRET,
            server_metadata_url=settings.OIDC_DISCOVERY_URL,
            client_kwargs={
                "scope": settings.OIDC_SCOPES,
                "code_challenge_method": "S256",
                "default_timeout": settings.OIDC_TIMEOUT,
            },
        )
    return _client


@receiver(setting_changed)
def _forget_client(setting: str, **kwargs) -> None:
    global _client
    if setting.startswith("OIDC_") or setting == "SITE_URL":
        _client = None


def authorization_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge
    remembered in this session."""
    try:
        return client().authorize_redirect(request, redirect_uri())
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        # RuntimeError: Authlib's word for a discovery document without the endpoints.
        raise SignInRefused(
            "provider_unreachable", UNREACHABLE, status=502, detail=repr(exc)
        ) from exc


def verified_claims(request: HttpRequest) -> dict:
    """The claims of the ID token the provider sent back for this callback, once it has
    passed every check; otherwise SignInRefused."""
    error = request.GET.get("error")
    if error:
        raise SignInRefused(
            "provider_error",
            _("The sign-in service did not sign you in."),
            status=403,
            detail=f"{error}: {request.GET.get('error_description', '')}",
        )
    try:
        token = client().authorize_access_token(
            request,
            # Authlib checks the issuer on its own but the audience only through `azp`:
            # a token for another client that names us as its authorized party would pass.
            claims_options={
                "iss": {"essential": True, "values": [settings.OIDC_ISSUER]},
                "aud": {"essential": True, "values": [settings.OIDC_CLIENT_ID]},
            },
        )
    except MismatchingStateError:
        raise SignInRefused(
            "state",
            _("This sign-in was started in another window or has expired. Please start again."),
        ) from None
    except JoseError as exc:
        raise SignInRefused(
            "id_token", CANNOT_VERIFY, detail=f"{type(exc).__name__}: {exc}"
        ) from exc
    except AuthlibBaseError as exc:
        # The token endpoint refused the code (used twice, expired, wrong client secret).
        raise SignInRefused(
            "token", CANNOT_VERIFY, detail=f"{exc.error}: {exc.description}"
        ) from exc
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        raise SignInRefused(
            "provider_unreachable", UNREACHABLE, status=502, detail=repr(exc)
        ) from exc
    claims = token.get("userinfo")
    if not claims:
        # Authlib checks an ID token when there is one; without one there is nothing to trust.
        raise SignInRefused("id_token", CANNOT_VERIFY, detail="token response has no ID token")
    return dict(claims)
