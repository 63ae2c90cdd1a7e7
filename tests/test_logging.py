"""Structured logs: one JSON object a line, carrying the request id; failed logins,
refusals and admin actions each leave a line a machine can count."""

import io
import json
import logging

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from config.logs import JsonFormatter, RequestIdFilter, request_id_var


class Console:
    """The console handler configured by settings.LOGGING (its filter and formatter),
    writing into a buffer for the length of a test."""

    def __init__(self):
        self.handler = next(
            h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
        )
        self.buffer = io.StringIO()

    def lines(self) -> list[dict]:
        text, self.buffer = self.buffer.getvalue(), io.StringIO()
        self.handler.setStream(self.buffer)
        return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def console():
    console = Console()
    previous = console.handler.setStream(console.buffer)
    yield console
    console.handler.setStream(previous)


def events(console: Console, name: str) -> list[dict]:
    return [line for line in console.lines() if line.get("event") == name]


def test_a_record_becomes_one_json_object_with_its_fields():
    record = logging.makeLogRecord(
        {"name": "ninety.test", "levelname": "INFO", "msg": "hello %s", "args": ("you",)}
    )
    record.event = "greeting"
    token = request_id_var.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello you"
    assert entry["event"] == "greeting" and entry["request_id"] == "abc123"
    assert entry["level"] == "INFO" and entry["logger"] == "ninety.test"
    assert entry["time"].endswith("+00:00")


def test_every_response_has_a_request_id_and_an_incoming_one_is_kept(client, db, console):
    generated = client.get(reverse("login"))["X-Request-ID"]
    assert len(generated) == 32
    kept = client.get(reverse("login"), HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert kept["X-Request-ID"] == "lb-7f3a.42"
    # Something unsafe to echo or log is replaced, not trusted.
    replaced = client.get(reverse("login"), HTTP_X_REQUEST_ID="bad\r\nid <script>")
    assert replaced["X-Request-ID"] != "bad\r\nid <script>"
    access = events(console, "request")
    assert [line["request_id"] for line in access] == [
        generated,
        "lb-7f3a.42",
        replaced["X-Request-ID"],
    ]
    assert access[0]["status"] == 200 and access[0]["path"] == "/accounts/login/"


def test_a_failed_login_is_logged_with_username_and_address_not_password(client, owner, console):
    client.post(
        reverse("login"),
        {"username": "owner", "password": "wrong-secret"},
        REMOTE_ADDR="203.0.113.9",
    )
    (failed,) = events(console, "login.failed")
    assert failed["username"] == "owner" and failed["client_ip"] == "203.0.113.9"
    assert failed["request_id"]
    assert "wrong-secret" not in json.dumps(failed)


@pytest.mark.parametrize("persona, status", [("leader", 403), ("outsider", 404)])
def test_refusals_by_the_access_helpers_are_logged(
    client, pilot, persona, status, request, console
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.post(reverse("pilot-edit", args=[pilot.pk]), {})
    assert response.status_code == status
    (denied,) = events(console, "access.denied")
    assert denied["status"] == status and denied["user_id"] == user.pk
    assert denied["path"] == reverse("pilot-edit", args=[pilot.pk])
    assert denied["request_id"] == response["X-Request-ID"]


def test_admin_actions_are_logged(client, admin_user, console):
    client.force_login(admin_user)
    client.post(reverse("admin:auth_group_add"), {"name": "Auditors"})
    group = Group.objects.get(name="Auditors")
    (added,) = events(console, "admin.action")
    assert added["action"] == "added" and added["object_id"] == str(group.pk)
    assert added["user_id"] == admin_user.pk and added["content_type"] == "group"

    doomed = [Group.objects.create(name=f"Temporary {n}") for n in range(2)]
    client.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": [g.pk for g in doomed], "post": "yes"},
    )
    (deleted,) = events(console, "admin.action")
    assert deleted["action"] == "deleted"
    assert sorted(deleted["object_reprs"]) == ["Temporary 0", "Temporary 1"]
