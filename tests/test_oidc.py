"""Single sign-on with OpenID Connect, against a fake provider inside the test suite.

The provider (FakeProvider) is only the network edge: requests' HTTP adapter is patched
to answer its discovery document, its key set and its token endpoint, with ID tokens
signed by an RSA key made here. Everything on our side is real: the views, Authlib's
checks, the user created and the roles given. Any other address fails the test.
"""

import base64
import hashlib
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import time_machine
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import RSAKey

from pilots.roles import Role
from tests.conftest import make_user

User = get_user_model()

ISSUER = "https://idp.example.test/realms/ninety"
DISCOVERY = ISSUER + "/.well-known/openid-configuration"
AUTHORIZE = ISSUER + "/protocol/openid-connect/auth"
TOKEN = ISSUER + "/protocol/openid-connect/token"
JWKS = ISSUER + "/protocol/openid-connect/certs"
CLIENT_ID = "ninety"
CLIENT_SECRET = "s3cret-for-tests"
SITE_URL = "https://ninety.example.test"
CALLBACK = SITE_URL + "/accounts/sso/callback/"


@pytest.fixture(scope="module")
def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


@pytest.fixture(scope="module")
def stranger_key() -> RSAKey:
    """Someone else's key, published nowhere, under the provider's key id."""
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


def _response(request, status: int, body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    response.url = request.url
    response.request = request
    return response


class FakeProvider:
    """An OpenID provider as a person's browser and our server see it.

    `approve(location, ...)` plays the person signing in at the provider: it reads the
    authorization request our server redirected to, remembers its nonce and PKCE
    challenge under a new code, and returns the callback URL. The token endpoint then
    checks the client's secret, the code and the PKCE verifier before it signs an ID token.
    """

    def __init__(self, key: RSAKey):
        self.key = key
        self.issuer = ISSUER
        self.codes: dict[str, dict] = {}
        self.calls: list[str] = []

    # --- the HTTP edge ---------------------------------------------------------------------

    def send(self, request) -> requests.Response:
        url = request.url.split("?")[0]
        self.calls.append(url)
        if url == DISCOVERY:
            return _response(request, 200, self.discovery())
        if url == JWKS:
            return _response(request, 200, {"keys": [self.key.as_dict(private=False)]})
        if url == TOKEN:
            return self.token(request)
        raise requests.ConnectionError(f"no network in tests: {request.url}")

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": AUTHORIZE,
            "token_endpoint": TOKEN,
            "jwks_uri": JWKS,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def token(self, request) -> requests.Response:
        form = {key: values[0] for key, values in parse_qs(request.body).items()}
        expected_auth = (
            "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        )
        if request.headers.get("Authorization") != expected_auth:
            return _response(request, 401, {"error": "invalid_client"})
        grant = self.codes.pop(form.get("code"), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return _response(request, 400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["code_challenge"] or form.get("redirect_uri") != CALLBACK:
            return _response(request, 400, {"error": "invalid_grant"})
        return _response(
            request,
            200,
            {
                "access_token": "access-" + form["code"],
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": grant["id_token"],
            },
        )

    # --- the person at the provider ---------------------------------------------------------

    def approve(self, location: str, *, sign_with: RSAKey | None = None, **claims) -> str:
        query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        assert location.startswith(AUTHORIZE + "?")
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert query["redirect_uri"] == CALLBACK
        assert query["code_challenge_method"] == "S256"
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "sub": "subject-" + str(claims.get("preferred_username", "x")),
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": query["nonce"],
            **claims,
        }
        payload = {key: value for key, value in payload.items() if value is not None}
        key = sign_with or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, payload, key)
        code = f"code-{len(self.codes)}-{now}"
        self.codes[code] = {"code_challenge": query["code_challenge"], "id_token": id_token}
        return reverse("sso-callback") + "?" + urlencode({"code": code, "state": query["state"]})


@pytest.fixture
def provider(db, monkeypatch, settings, signing_key) -> FakeProvider:
    fake = FakeProvider(signing_key)
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kw: fake.send(request)
    )
    settings.SITE_URL = SITE_URL
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_DISCOVERY_URL = DISCOVERY
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_SCOPES = "openid email profile"
    settings.OIDC_PROVIDER_NAME = "Keycloak"
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {
        "ninety-pm": ["Programme manager"],
        "ninety-governance": ["governance reviewer"],  # role names match ignoring case
        "ninety-admins": ["Administrator"],
    }
    settings.OIDC_SUPERUSER_GROUPS = []
    return fake


def _start(client, next_url: str = "") -> str:
    url = reverse("sso-login") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


def _sign_in(client, provider, **claims):
    return client.get(provider.approve(_start(client), **claims))


def _person(**extra) -> dict:
    return {
        "preferred_username": "jdevries",
        "given_name": "Jan",
        "family_name": "de Vries",
        "email": "jan.devries@example.com",
        "groups": ["ninety-pm", "everyone"],
        **extra,
    }


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- Starting a sign-in ---------------------------------------------------------------------


def test_it_redirects_to_the_authorization_endpoint_with_state_nonce_and_pkce(client, provider):
    location = _start(client)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(AUTHORIZE + "?")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    # A second start gets fresh values.
    again = parse_qs(urlsplit(_start(client)).query)
    assert again["state"] != query["state"] and again["nonce"] != query["nonce"]
    assert again["code_challenge"] != query["code_challenge"]
    # The secret never travels through the browser.
    assert CLIENT_SECRET not in location


def test_it_is_not_there_without_configuration(client, db):
    assert client.get(reverse("sso-login")).status_code == 404
    assert client.get(reverse("sso-callback")).status_code == 404


def test_it_answers_502_when_the_provider_cannot_be_reached(client, provider, monkeypatch):
    def down(adapter, request, **kwargs):
        raise requests.ConnectTimeout("provider down")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", down)
    response = client.get(reverse("sso-login"))
    assert response.status_code == 502
    assert "did not answer" in response.content.decode()


def test_it_refuses_a_discovery_document_of_another_issuer(client, provider, caplog):
    provider.issuer = "https://idp.example.test/realms/other"
    response = client.get(reverse("sso-login"))
    assert response.status_code == 502
    assert "not set up correctly" in response.content.decode()
    assert any(getattr(r, "reason", "") == "issuer_mismatch" for r in caplog.records)


# --- Signing in -----------------------------------------------------------------------------


def test_it_creates_the_person_signs_them_in_and_gives_roles_from_groups(client, provider, caplog):
    caplog.set_level(logging.INFO, logger="ninety.security")
    response = client.get(provider.approve(_start(client, "/pilots/"), **_person()))

    assert response.status_code == 302 and response["Location"] == "/pilots/"
    user = User.objects.get(username="jdevries")
    assert (user.first_name, user.last_name, user.email) == (
        "Jan",
        "de Vries",
        "jan.devries@example.com",
    )
    assert not user.has_usable_password()
    assert _roles(user) == {Role.PROGRAMME_MANAGER}
    assert not user.is_staff and not user.is_superuser
    assert str(client.session[SESSION_KEY]) == str(user.pk)
    assert client.get(reverse("pilot-create")).status_code == 200  # a programme manager
    assert provider.calls == [DISCOVERY, TOKEN, JWKS]

    (event,) = [r for r in caplog.records if getattr(r, "event", "") == "sso.login"]
    assert event.user_id == user.pk and event.new_user is True
    assert event.roles_added == [Role.PROGRAMME_MANAGER] and event.roles_removed == []
    assert any(getattr(r, "event", "") == "login.succeeded" for r in caplog.records)


def test_every_sign_in_brings_the_mapped_roles_up_to_date_and_leaves_the_others(client, provider):
    _sign_in(client, provider, **_person(groups=["ninety-pm"]))
    user = User.objects.get(username="jdevries")
    user.groups.add(Group.objects.get_or_create(name=Role.LEADERSHIP)[0])  # by hand, unmapped
    client.logout()

    _sign_in(client, provider, **_person(groups=["ninety-governance"], family_name="Visser"))
    user.refresh_from_db()
    assert _roles(user) == {Role.GOVERNANCE_REVIEWER, Role.LEADERSHIP}
    assert user.last_name == "Visser"
    assert User.objects.filter(username="jdevries").count() == 1
    client.logout()

    _sign_in(client, provider, **_person(groups=None))  # no groups claim at all
    assert _roles(user) == {Role.LEADERSHIP}


def test_a_single_group_sent_as_a_string_counts(client, provider):
    _sign_in(client, provider, **_person(groups="ninety-governance"))
    assert _roles(User.objects.get(username="jdevries")) == {Role.GOVERNANCE_REVIEWER}


def test_an_existing_account_with_that_username_is_the_same_person(client, provider, pm):
    _sign_in(client, provider, **_person(preferred_username="pm", groups=[]))
    pm.refresh_from_db()
    assert str(client.session[SESSION_KEY]) == str(pm.pk)
    assert _roles(pm) == set()  # the map covers Programme manager; no group gives it now
    assert pm.check_password("pw")  # their password stays, for when password login is on


def test_the_username_can_come_from_another_claim(client, provider, settings):
    settings.OIDC_USERNAME_CLAIM = "email"
    _sign_in(client, provider, **_person())
    assert User.objects.filter(username="jan.devries@example.com").exists()


def test_administrators_reach_the_admin_but_claims_make_nobody_superuser(client, provider):
    _sign_in(client, provider, **_person(groups=["ninety-admins", "Domain Admins"]))
    user = User.objects.get(username="jdevries")
    assert user.is_staff and not user.is_superuser
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()

    _sign_in(client, provider, **_person(groups=["ninety-pm"]))
    user.refresh_from_db()
    assert not user.is_staff
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_superusers_come_from_claims_only_when_configured(client, provider, settings):
    settings.OIDC_SUPERUSER_GROUPS = ["Domain Admins"]
    _sign_in(client, provider, **_person(groups=["Domain Admins"]))
    user = User.objects.get(username="jdevries")
    assert user.is_superuser and user.is_staff
    client.logout()

    _sign_in(client, provider, **_person(groups=["ninety-pm"]))
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff


def test_a_next_address_on_another_site_is_ignored(client, provider):
    location = _start(client, "https://evil.example.com/")
    response = client.get(provider.approve(location, **_person()))
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_the_admin_login_sends_people_to_the_sign_in_page(client, provider):
    response = client.get(reverse("admin:login") + "?next=/admin/pilots/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/admin/pilots/"


def test_a_new_signing_key_is_fetched_when_the_provider_rotates(client, provider, stranger_key):
    _sign_in(client, provider, **_person())
    client.logout()
    rotated = RSAKey.generate_key(2048, parameters={"kid": "key-2"})
    provider.key = rotated
    response = _sign_in(client, provider, **_person())
    assert response.status_code == 302 and SESSION_KEY in client.session
    assert provider.calls.count(JWKS) == 2


# --- Refusals -------------------------------------------------------------------------------


def _assert_refused(response, client, status: int = 400, text: str = "Sign-in failed"):
    assert response.status_code == status
    assert text in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(username="jdevries").exists()


def _reason(caplog) -> str:
    (event,) = [r for r in caplog.records if getattr(r, "event", "") == "sso.failed"]
    return event.reason


def test_it_refuses_a_callback_with_a_state_it_did_not_start(client, provider, caplog):
    callback = provider.approve(_start(client), **_person())
    forged = callback.replace("state=", "state=x")
    _assert_refused(client.get(forged), client)
    assert _reason(caplog) == "state"


def test_it_refuses_a_callback_in_a_browser_that_did_not_start_it(client, provider, caplog):
    from django.test import Client

    callback = provider.approve(_start(client), **_person())
    victim = Client()  # login CSRF: someone else's code, pushed into this browser
    _assert_refused(victim.get(callback), victim)
    assert _reason(caplog) == "state"


def test_a_callback_cannot_be_replayed(client, provider):
    callback = provider.approve(_start(client), **_person())
    assert client.get(callback).status_code == 302
    client.logout()
    response = client.get(callback)
    assert response.status_code == 400 and SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("wrong audience", {"aud": "someone-else"}),
        ("wrong audience, our azp", {"aud": ["someone-else"], "azp": CLIENT_ID}),
        ("wrong issuer", {"iss": "https://idp.example.test/realms/other"}),
        ("expired", {"iat": int(time.time()) - 3600, "exp": int(time.time()) - 600}),
        ("wrong nonce", {"nonce": "not-the-one-we-sent"}),
        ("no expiry", {"exp": None}),
    ],
)
def test_it_refuses_an_id_token_that_fails_a_check(client, provider, caplog, case, claims):
    response = _sign_in(client, provider, **_person(**claims))
    _assert_refused(response, client)
    assert "could not be verified" in response.content.decode()
    assert _reason(caplog) == "id_token"


def test_it_refuses_an_id_token_signed_with_another_key(client, provider, caplog, stranger_key):
    callback = provider.approve(_start(client), sign_with=stranger_key, **_person())
    _assert_refused(client.get(callback), client)
    assert _reason(caplog) == "id_token"


def test_it_refuses_an_unsigned_id_token(client, provider, caplog):
    callback = provider.approve(_start(client), **_person())
    code = parse_qs(urlsplit(callback).query)["code"][0]
    header, payload, _ = provider.codes[code]["id_token"].split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    provider.codes[code]["id_token"] = f"{none_header}.{payload}."
    _assert_refused(client.get(callback), client)
    assert _reason(caplog) == "id_token"


def test_it_refuses_when_the_token_endpoint_does(client, provider, caplog, settings):
    callback = provider.approve(_start(client), **_person())
    settings.OIDC_CLIENT_SECRET = "wrong"
    _assert_refused(client.get(callback), client)
    assert _reason(caplog) == "token"


def test_it_refuses_when_the_provider_says_no(client, provider, caplog):
    _start(client)
    response = client.get(reverse("sso-callback") + "?error=access_denied&state=x")
    _assert_refused(response, client, status=403, text="did not sign you in")
    assert _reason(caplog) == "provider_error"


def test_it_refuses_a_token_without_a_usable_username(client, provider, caplog):
    response = _sign_in(client, provider, **_person(preferred_username=None))
    _assert_refused(response, client, status=403, text="no user name")
    assert _reason(caplog) == "username"
    response = _sign_in(client, provider, **_person(preferred_username="jan de vries"))
    _assert_refused(response, client, status=403)


def test_a_deactivated_account_stays_out(client, provider, caplog):
    make_user("jdevries", is_active=False)
    response = _sign_in(client, provider, **_person())
    assert response.status_code == 403 and "deactivated" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not User.objects.get(username="jdevries").groups.exists()  # nothing changed
    assert _reason(caplog) == "inactive"


def test_a_role_map_naming_no_role_fails_the_checks(settings):
    settings.OIDC_ROLE_MAP = {"ninety-pm": ["Programme manager"], "x": ["Programme boss"]}
    with pytest.raises(SystemCheckError, match="Programme boss"):
        call_command("check")


# --- The login page and password login ------------------------------------------------------


def test_the_login_page_offers_both_while_password_login_is_on(client, provider):
    page = client.get(reverse("login") + "?next=/pilots/").content.decode()
    assert "Sign in with Keycloak" in page
    assert reverse("sso-login") + "?next=/pilots/" in page
    assert 'name="password"' in page and "Forgot your password?" in page


def test_without_sso_the_login_page_is_as_before(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with" not in page and 'name="password"' in page


@pytest.fixture
def sso_only(provider, settings):
    settings.NINETY_PASSWORD_LOGIN = False
    return provider


def test_with_password_login_off_the_page_shows_only_sso(client, sso_only):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Keycloak" in page
    assert 'name="password"' not in page and "Forgot your password?" not in page


def test_with_password_login_off_a_password_is_refused_everywhere(client, sso_only, owner, caplog):
    response = client.post(reverse("login"), {"username": "owner", "password": "pw"})
    assert response.status_code == 403
    assert "turned off" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert any(getattr(r, "event", "") == "login.refused" for r in caplog.records)

    make_user("boss", is_staff=True, is_superuser=True)
    response = client.post(reverse("admin:login"), {"username": "boss", "password": "pw"})
    assert response.status_code == 200 and SESSION_KEY not in client.session


def test_with_password_login_off_the_password_reset_is_gone(client, sso_only, owner):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse("password_reset"), {"email": "x@example.com"}).status_code == 404


def test_with_password_login_off_administrators_reach_the_admin_through_sso(client, sso_only):
    response = client.get(reverse("admin:index"), follow=True)
    assert "Sign in with Keycloak" in response.content.decode()
    _sign_in(client, sso_only, **_person(groups=["ninety-admins"]))
    assert client.get(reverse("admin:index")).status_code == 200


# --- Lockouts and sessions still apply ------------------------------------------------------


def test_password_lockouts_still_apply_with_sso_on(client, provider, owner):
    for _ in range(5):
        client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "owner", "password": "pw"})
    assert locked.status_code == 429


def test_an_sso_session_gets_a_new_key_and_the_session_limits(client, provider):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        location = _start(client)
        before = client.session.session_key
        callback = provider.approve(location, **_person())
        assert client.get(callback).status_code == 302
        assert client.session.session_key != before
        assert client.get(reverse("my-work")).status_code == 200
        clock.shift(timedelta(minutes=61))
        response = client.get(reverse("my-work"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert SESSION_KEY not in client.session
