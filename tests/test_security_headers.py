"""Every response carries the security headers; no page needs inline script."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def _policy(response) -> dict[str, str]:
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in directives if d}


def assert_hardened(response) -> None:
    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["default-src"] + policy["style-src"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Request-ID"]


def test_pages_fragments_redirects_and_errors_all_carry_the_headers(
    client, pilot, owned, owner, outsider
):
    anonymous = client.get(reverse("my-work"))
    assert anonymous.status_code == 302
    assert_hardened(anonymous)
    login = client.get(reverse("login"))
    assert_hardened(login)
    assert login["X-Frame-Options"] == "DENY"
    assert login["Referrer-Policy"] == "same-origin"
    assert login["Cross-Origin-Opener-Policy"] == "same-origin"

    client.force_login(owner)
    assert_hardened(client.get(reverse("pilot-detail", args=[pilot.pk])))
    fragment = client.post(
        reverse("my-work-tick", args=[owned.pk]), {"version": owned.version}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    assert_hardened(fragment)
    assert_hardened(client.get("/healthz"))

    client.force_login(outsider)
    missing = client.get(reverse("pilot-detail", args=[pilot.pk]))
    assert missing.status_code == 404
    assert_hardened(missing)


def test_hsts_is_sent_over_https_in_production(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_cookies_are_http_only_and_same_site(client, owner):
    client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": "owner", "password": "pw"})
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


@pytest.mark.parametrize("secure", [True])
def test_cookies_are_secure_when_served_over_https(client, owner, settings, secure):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = secure
    client.get(reverse("login"), secure=True)
    response = client.post(reverse("login"), {"username": "owner", "password": "pw"}, secure=True)
    assert response.cookies[django_settings.SESSION_COOKIE_NAME]["secure"]
    assert client.cookies[django_settings.CSRF_COOKIE_NAME]["secure"]


def _page_templates() -> list[Path]:
    # PDFs and mails are not served to browsers as pages; everything else is.
    return [
        path
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).parts[0] not in {"pdf", "emails"}
    ]


def test_no_page_template_holds_inline_script_or_style_elements():
    offenders = []
    for path in _page_templates():
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\ssrc=)[^>]*>",  # a script element without src
            r"\son[a-z]+\s*=",  # an inline event handler
            r"javascript:",
            r"<style[\s>]",
            r"hx-on[:-]",  # htmx handlers are evaluated code
            r"hx-vals=['\"]js:",
        ):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert not offenders, offenders


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code():
    base = (TEMPLATES / "base.html").read_text()
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', base).group(1)
    assert '"includeIndicatorStyles":false' in config
    assert '"allowEval":false' in config
    assert '"allowScriptTags":false' in config
    css = (TEMPLATES.parent / "static" / "css" / "ninety.css").read_text()
    assert ".htmx-request .htmx-indicator" in css
