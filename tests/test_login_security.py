"""Logging in: lockouts per username and address (behind our proxies), a new session key
at login, idle and absolute session limits, sessions ended on deactivation, and a
password reset by mail."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from tests.conftest import make_user

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _login(client, username="owner", password="pw", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _fail(client, times, username="owner", **extra):
    """`times` wrong passwords; the fifth in a row is answered with the lockout."""
    for _ in range(times):
        _login(client, username, "wrong", **extra)


# --- Lockout -------------------------------------------------------------------------------


def test_five_failures_lock_that_username_from_that_address_for_15_minutes(client, owner):
    with time_machine.travel(START, tick=False) as clock:
        _fail(client, 5, REMOTE_ADDR="203.0.113.5")
        locked = _login(client, REMOTE_ADDR="203.0.113.5")  # the right password, too late
        assert locked.status_code == 429
        assert "Too many attempts" in locked.content.decode()
        assert SESSION_KEY not in client.session

        # The same person elsewhere, and someone else here, are not locked out.
        assert _login(client, REMOTE_ADDR="198.51.100.20").status_code == 302
        client.logout()
        make_user("colleague")
        assert _login(client, "colleague", REMOTE_ADDR="203.0.113.5").status_code == 302
        client.logout()

        clock.shift(timedelta(minutes=14))
        assert _login(client, REMOTE_ADDR="203.0.113.5").status_code == 429
        # Trying during the lockout starts its 15 minutes again.
        clock.shift(timedelta(minutes=14))
        assert _login(client, REMOTE_ADDR="203.0.113.5").status_code == 429
        clock.shift(timedelta(minutes=15, seconds=1))
        assert _login(client, REMOTE_ADDR="203.0.113.5").status_code == 302


def test_four_failures_then_a_success_start_the_count_again(client, owner):
    _fail(client, 4, REMOTE_ADDR="203.0.113.5")
    assert _login(client, REMOTE_ADDR="203.0.113.5").status_code == 302
    client.logout()
    _fail(client, 4, REMOTE_ADDR="203.0.113.5")
    assert _login(client, REMOTE_ADDR="203.0.113.5").status_code == 302


def test_the_admin_login_is_locked_out_too(client, admin_user):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "admin", "password": "wrong"})
    locked = client.post(reverse("admin:login"), {"username": "admin", "password": "pw"})
    assert locked.status_code == 429


def test_behind_our_proxy_the_forwarded_address_counts_and_cannot_be_forged(
    client, owner, settings
):
    settings.NINETY_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    _fail(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    # Prefixing a made-up address does not help: our proxy appended the real one.
    forged = _login(client, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.5", **proxy)
    assert forged.status_code == 429
    # Another person behind the same proxy is not locked out with them.
    assert _login(client, HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy).status_code == 302


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(client, owner, settings):
    settings.NINETY_TRUSTED_PROXIES = 0
    for n in range(5):
        _login(
            client, "owner", "wrong", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}"
        )
    assert _login(client, REMOTE_ADDR="203.0.113.5").status_code == 429


# --- Sessions --------------------------------------------------------------------------------


def test_logging_in_gives_the_session_a_new_key(client, owner):
    session = client.session
    session["seen_before_login"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    before = session.session_key
    assert _login(client).status_code == 302
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_an_idle_session_ends_after_an_hour(client, owner):
    with time_machine.travel(START, tick=False) as clock:
        _login(client)
        clock.shift(timedelta(minutes=59))
        assert client.get(reverse("my-work")).status_code == 200
        clock.shift(timedelta(minutes=59))  # active a minute ago counts
        assert client.get(reverse("my-work")).status_code == 200
        clock.shift(timedelta(minutes=61))
        response = client.get(reverse("my-work"), follow=True)
        assert response.redirect_chain[0][0].startswith(reverse("login"))
        assert "after 60 minutes without activity" in response.content.decode()
        assert SESSION_KEY not in client.session


def test_a_session_ends_twelve_hours_after_login_however_active(client, owner):
    with time_machine.travel(START, tick=False) as clock:
        _login(client)
        for _ in range(14):  # every 50 minutes, for 11 h 40 min
            clock.shift(timedelta(minutes=50))
            assert client.get(reverse("my-work")).status_code == 200
        clock.shift(timedelta(minutes=21))
        response = client.get(reverse("my-work"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_expired_session_sends_htmx_to_the_login_page_as_a_whole_page(client, owned, owner):
    with time_machine.travel(START, tick=False) as clock:
        _login(client)
        clock.shift(timedelta(hours=2))
        response = client.post(
            reverse("my-work-tick", args=[owned.pk]),
            {"version": owned.version},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("login")
    owned.refresh_from_db()
    assert owned.status == "todo"


def test_deactivating_a_user_ends_every_session_of_theirs(client, owner, pm):
    from django.test import Client

    other_device = Client()
    colleague = Client()
    _login(client)
    _login(other_device)
    _login(colleague, "pm")
    assert Session.objects.count() == 3

    owner.is_active = False
    owner.save()

    assert Session.objects.count() == 1
    assert client.get(reverse("my-work")).status_code == 302
    assert colleague.get(reverse("my-work")).status_code == 200


# --- Password reset ----------------------------------------------------------------------------


@pytest.fixture
def with_mail(owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://ninety.example.com"
    owner.email = "owner@example.com"
    owner.save(update_fields=["email"])
    return owner


def test_a_forgotten_password_is_reset_through_a_link_by_mail(client, with_mail):
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "owner@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.subject == "Choose a new Ninety password"
    assert message.to == ["owner@example.com"]
    link = re.search(r"https://ninety\.example\.com(/accounts/password-reset/\S+/)", message.body)
    assert link, message.body

    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a calm long passphrase", "new_password2": "a calm long passphrase"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert _login(client, password="pw").status_code == 200  # the old one no longer works
    assert _login(client, password="a calm long passphrase").status_code == 302

    # The link works once.
    client.logout()
    assert "no longer works" in client.get(link.group(1), follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, with_mail):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
