"""Outgoing webhooks: one delivery per event and subscribed endpoint, written with the
change (and gone with it when it rolls back); posted to a real HTTP receiver on
127.0.0.1, signed so the receiver can verify it by the README's algorithm; failures
retried with backoff held in the database, then given up; replays from the admin; a task
delivered twice sends once; only HTTPS endpoints (local http when allowed); no redirect
followed. Nothing of ours is mocked: the receiver is a real server on an ephemeral port.
"""

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from governance import gates, webhooks_send
from governance.models import (
    AuditEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventKind,
)
from governance.tasks import send_webhook
from pilots import decisions, reminders, services
from pilots.intake_models import DecisionKind
from tests.conftest import build_pilot
from tests.governance_builders import close_mandatory, phase_run

Kind = WebhookEventKind
Status = WebhookDelivery.Status
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


# --- A real receiver on 127.0.0.1 ---------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes


class Receiver:
    """An HTTP server in a thread. It answers each request with the next code of
    `answers` (200 once they run out), after `delay` seconds; a 3xx points elsewhere."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    Received(self.command, self.path, dict(self.headers), self.rfile.read(length))
                )
                code = receiver.answers.pop(0) if receiver.answers else 200
                time.sleep(receiver.delay)
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", receiver.url + "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = do_GET = _answer

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            block_on_close = False

            def handle_error(self, request, client_address) -> None:
                pass  # the client gave up (a timeout test): nothing to report

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/ninety"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.NINETY_WEBHOOK_ALLOW_LOCAL_HTTP = True
    server = Receiver()
    yield server
    server.close()


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: int = 300) -> bool:
    """The receiver's check, as the README documents it (with the clock passed in)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", "")) and (
        abs(now - int(fields["t"])) <= tolerance
    )


# --- Builders -------------------------------------------------------------------------------


def endpoint(url: str, *kinds: str, name: str = "Ops bus", active: bool = True):
    hook = WebhookEndpoint(name=name, url=url, events=list(kinds), is_active=active)
    hook.full_clean()
    hook.save()
    return hook


def mandatory_of(pilot, number: int = 1):
    return pilot.deliverables.get(phase_run__number=number, mandatory=True)


def tick(item, actor, done: bool = True) -> None:
    services.deliverable_set_done(deliverable=item, actor=actor, done=done, expected_version=None)


def sign_gate(run, pm, production_owner) -> None:
    for slot, signer in (("production_owner", production_owner), ("programme_manager", pm)):
        gates.gate_sign(phase_run=run, slot=slot, signer=signer, statement="Checked and agreed.")


def the_delivery() -> WebhookDelivery:
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


def attempts_of(delivery) -> list[tuple]:
    return list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("attempted_at", "pk")
        .values_list("replay", "number", "outcome", "status_code")
    )


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run what the code queued after commit, as a worker would (eagerly, here)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- Which events, to whom ------------------------------------------------------------------


def test_it_writes_one_delivery_per_event_and_subscribed_endpoint(pilot, pm, production_owner):
    endpoint("https://hooks.example.com/all", *Kind.values, name="Everything")
    endpoint("https://hooks.example.com/done", Kind.DELIVERABLE_DONE, name="Done only")
    endpoint("https://hooks.example.com/off", *Kind.values, name="Switched off", active=False)
    late = pilot.deliverables.get(title="Foundation activity 1")
    for days in (4, 4, 5):  # overdue past the grace days: one escalation, however often seen
        with time_machine.travel(late.due_date + timedelta(days=days, hours=9), tick=False):
            reminders.scan(send=False)
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    sign_gate(run, pm, production_owner)
    decisions.pilot_decide(
        pilot=pilot, kind=DecisionKind.PAUSE, rationale="Budget review.", actor=pm
    )

    sent = Counter(WebhookDelivery.objects.values_list("endpoint__name", "event_kind"))
    assert sent == {
        ("Everything", Kind.ESCALATION): 1,
        ("Everything", Kind.DELIVERABLE_DONE): 1,
        ("Everything", Kind.GATE_READY): 1,
        ("Everything", Kind.GATE_SIGNED): 1,
        ("Everything", Kind.PILOT_STATUS_CHANGED): 1,
        ("Done only", Kind.DELIVERABLE_DONE): 1,
    }
    escalated = WebhookDelivery.objects.get(event_kind=Kind.ESCALATION).payload["object"]
    assert escalated["id"] == late.pk and escalated["escalation_level"] == 1
    assert escalated["days_overdue"] == 4
    status = WebhookDelivery.objects.get(event_kind=Kind.PILOT_STATUS_CHANGED).payload["object"]
    assert (status["previous_status"], status["status"]) == ("active", "paused")


def test_an_event_is_one_delivery_however_often_it_is_announced(pm, playbook, production_owner):
    endpoint("https://hooks.example.com/all", *Kind.values)
    # A launch announces the pilot and its start decision: one status change.
    pilot = build_pilot(programme_manager=pm, playbook=playbook, production_owner=production_owner)
    (launched,) = WebhookDelivery.objects.filter(event_kind=Kind.PILOT_STATUS_CHANGED)
    assert launched.payload["object"]["previous_status"] == "intake"
    assert launched.payload["pilot"]["status"] == "active"
    # Ticked, unticked, ticked again: two ticks, but the gate got ready once.
    item = mandatory_of(pilot)
    tick(item, pm)
    tick(item, pm, done=False)
    tick(item, pm)
    kinds = Counter(WebhookDelivery.objects.values_list("event_kind", flat=True))
    assert kinds[Kind.DELIVERABLE_DONE] == 2 and kinds[Kind.GATE_READY] == 1
    # Reopened after signing, the gate is ready again: a generation of its own.
    run = phase_run(pilot, 1)
    sign_gate(run, pm, production_owner)
    gates.gate_reopen(phase_run=run, actor=pm, reason="The data contract changed.")
    ready = WebhookDelivery.objects.filter(event_kind=Kind.GATE_READY).order_by("pk")
    assert [d.payload["object"]["generation"] for d in ready] == [1, 2]


def test_a_rolled_back_change_queues_nothing(receiver, pilot, pm, run_tasks):
    endpoint(receiver.url, *Kind.values)
    with run_tasks() as queued, pytest.raises(RuntimeError), transaction.atomic():
        tick(mandatory_of(pilot), pm)
        assert WebhookDelivery.objects.count() == 2  # done, and the gate is ready
        raise RuntimeError("the request failed after the tick")
    assert queued == [] and receiver.requests == []
    assert not WebhookDelivery.objects.exists()


# --- Sending and signing --------------------------------------------------------------------


def test_it_posts_a_signed_event_that_the_receiver_verifies(receiver, pilot, pm, run_tasks):
    hook = endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    item = mandatory_of(pilot)
    with run_tasks():
        tick(item, pm)

    (request,) = receiver.requests
    delivery = the_delivery()
    assert (request.method, request.path) == ("POST", "/hooks/ninety")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Ninety-Event"] == "deliverable.done"
    assert request.headers["X-Ninety-Event-Id"] == delivery.event_id
    assert request.headers["X-Ninety-Delivery"] == str(delivery.uuid)
    header = request.headers["X-Ninety-Signature"]
    assert verify(hook.secret, header, request.body, now=time.time())
    assert not verify("whsec_someone-else", header, request.body, now=time.time())
    assert not verify(hook.secret, header, request.body + b" ", now=time.time())
    assert not verify(hook.secret, header, request.body, now=time.time() + 3600)  # replayed late

    payload = json.loads(request.body)
    item.refresh_from_db()
    site = django_settings.SITE_URL
    assert payload == {
        "id": f"deliverable.done:{item.pk}:v{item.version}",
        "kind": "deliverable.done",
        "occurred_at": payload["occurred_at"],
        "pilot": {
            "id": pilot.pk,
            "reference": pilot.reference,
            "name": "Claims triage",
            "status": "active",
            "url": f"{site}/pilots/{pilot.pk}/",
        },
        "object": {
            "type": "deliverable",
            "id": item.pk,
            "title": "Foundation phase deliverable",
            "phase": {"number": 1, "name": "Foundation"},
            "mandatory": True,
            "status": "done",
            "due_date": item.due_date.isoformat(),
            "url": f"{site}/pilots/{pilot.pk}/#deliverable-{item.pk}",
        },
    }
    assert datetime.fromisoformat(payload["occurred_at"]).utcoffset() == timedelta(0)
    assert payload["occurred_at"].endswith("Z")

    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.SENT, 1, 200)
    assert delivery.sent_at is not None and delivery.last_duration_ms is not None
    assert attempts_of(delivery) == [(0, 1, "sent", 200)]


def test_a_gate_event_links_to_the_gate_page(receiver, pilot, pm, production_owner, run_tasks):
    endpoint(receiver.url, Kind.GATE_SIGNED)
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    with run_tasks():
        sign_gate(run, pm, production_owner)
    gate = json.loads(receiver.requests[0].body)["object"]
    assert gate == {
        "type": "gate",
        "id": run.pk,
        "phase": {"number": 1, "name": "Foundation"},
        "state": "signed_off",
        "generation": 1,
        "url": f"{django_settings.SITE_URL}/pilots/{pilot.pk}/gates/1/",
    }


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    receiver, pilot, pm, run_tasks
):
    receiver.answers = [500, 500]  # then 200
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    with time_machine.travel(START, tick=False), run_tasks():
        tick(mandatory_of(pilot), pm)
    delivery = the_delivery()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 1)
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at == START + timedelta(minutes=1)
    assert "HTTP 500" in delivery.last_error

    def beat(moment: datetime) -> list[int]:
        with time_machine.travel(moment, tick=False), run_tasks():
            return webhooks_send.requeue_due()

    assert beat(START + timedelta(seconds=59)) == []  # still waiting out its backoff
    assert beat(START + timedelta(minutes=1)) == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.next_attempt_at == START + timedelta(minutes=3)  # then two minutes
    assert beat(START + timedelta(minutes=3)) == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.SENT, 3, "")
    assert attempts_of(delivery) == [
        (0, 1, "failed", 500),
        (0, 2, "failed", 500),
        (0, 3, "sent", 200),
    ]
    assert len({r.headers["X-Ninety-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    assert beat(START + timedelta(hours=5)) == []


def test_a_receiver_too_slow_to_answer_is_a_failed_attempt(
    receiver, settings, pilot, pm, run_tasks
):
    settings.NINETY_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.5
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    with time_machine.travel(START, tick=False), run_tasks():
        tick(mandatory_of(pilot), pm)
    delivery = the_delivery()
    assert delivery.status == Status.FAILED and delivery.last_status_code is None
    assert "timed out" in delivery.last_error
    assert delivery.next_attempt_at == START + timedelta(minutes=1)
    assert attempts_of(delivery) == [(0, 1, "failed", None)]


def test_it_gives_up_after_the_last_attempt(receiver, pilot, pm, run_tasks):
    receiver.answers = [503] * 20
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    with time_machine.travel(START, tick=False), run_tasks():
        tick(mandatory_of(pilot), pm)
    delivery = the_delivery()
    while delivery.status == Status.FAILED:
        with time_machine.travel(delivery.next_attempt_at, tick=False), run_tasks():
            webhooks_send.requeue_due()
        delivery.refresh_from_db()
    assert delivery.status == Status.GAVE_UP and delivery.next_attempt_at is None
    assert delivery.attempts == webhooks_send.MAX_ATTEMPTS == len(receiver.requests)
    times = list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("attempted_at")
        .values_list("attempted_at", flat=True)
    )
    waits = [(b - a) / timedelta(minutes=1) for a, b in zip(times, times[1:], strict=False)]
    assert waits == [1, 2, 4, 8, 16, 32, 64]
    with time_machine.travel(START + timedelta(days=2), tick=False), run_tasks():
        assert webhooks_send.requeue_due() == []


def test_a_redirect_is_not_followed(receiver, pilot, pm, run_tasks):
    receiver.answers = [302]
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    with run_tasks():
        tick(mandatory_of(pilot), pm)
    assert [r.path for r in receiver.requests] == ["/hooks/ninety"]  # never /elsewhere
    delivery = the_delivery()
    assert delivery.status == Status.FAILED and delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


# --- Exactly once, and replays -------------------------------------------------------------


def test_a_task_delivered_twice_sends_once(receiver, pilot, pm):
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    tick(mandatory_of(pilot), pm)  # its task is queued after a commit that never comes here
    delivery = the_delivery()
    assert send_webhook.delay(delivery.pk).get() == "sent"
    assert send_webhook.delay(delivery.pk).get() == "not mine"  # the broker redelivers it
    assert len(receiver.requests) == 1


def test_a_delivery_held_by_another_worker_is_left_to_it_until_its_lease_runs_out(
    receiver, pilot, pm, run_tasks
):
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    with time_machine.travel(START, tick=False):
        tick(mandatory_of(pilot), pm)
    delivery = the_delivery()
    # Another worker took it a moment ago, and then died without a word.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_until=START + webhooks_send.LEASE, attempts=1
    )
    with time_machine.travel(START + timedelta(seconds=10), tick=False), run_tasks():
        assert webhooks_send.deliver(delivery.pk) == "not mine"
        assert webhooks_send.requeue_due() == []
    assert receiver.requests == []
    with time_machine.travel(START + timedelta(minutes=2), tick=False), run_tasks():
        assert webhooks_send.requeue_due() == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT and len(receiver.requests) == 1


def test_a_queued_delivery_whose_message_was_lost_is_queued_again(receiver, pilot, pm, run_tasks):
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    with time_machine.travel(START, tick=False):
        tick(mandatory_of(pilot), pm)  # the message to the worker is lost
    delivery = the_delivery()
    waited = webhooks_send.requeue_after()
    with time_machine.travel(START + waited - timedelta(seconds=1), tick=False), run_tasks():
        assert webhooks_send.requeue_due() == []  # Redis may still hand it out itself
    with time_machine.travel(START + waited + timedelta(seconds=1), tick=False), run_tasks():
        assert webhooks_send.requeue_due() == [delivery.pk]
    assert len(receiver.requests) == 1 and the_delivery().status == Status.SENT


def test_a_delivery_is_sent_again_from_the_admin_and_logged(
    client, admin_user, receiver, pilot, pm, run_tasks
):
    hook = endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    with run_tasks():
        tick(mandatory_of(pilot), pm)
    delivery = the_delivery()
    client.force_login(admin_user)
    changelist = reverse("admin:governance_webhookdelivery_changelist")
    with run_tasks():
        response = client.post(
            changelist, {"action": "replay", "index": "0", "_selected_action": [delivery.pk]}
        )
    assert response.status_code == 302

    first, again = receiver.requests
    assert again.body == first.body
    assert again.headers["X-Ninety-Delivery"] == first.headers["X-Ninety-Delivery"]
    assert verify(hook.secret, again.headers["X-Ninety-Signature"], again.body, now=time.time())
    delivery.refresh_from_db()
    assert (delivery.status, delivery.replays, delivery.attempts) == (Status.SENT, 1, 1)
    assert attempts_of(delivery) == [(0, 1, "sent", 200), (1, 1, "sent", 200)]
    assert LogEntry.objects.filter(object_id=str(delivery.pk)).exists()
    assert AuditEvent.objects.filter(verb="admin.changed", object_id=str(delivery.pk)).exists()


def test_a_given_up_delivery_replayed_gets_a_fresh_set_of_attempts(receiver, pilot, pm, run_tasks):
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    tick(mandatory_of(pilot), pm)
    WebhookDelivery.objects.update(status=Status.GAVE_UP, attempts=webhooks_send.MAX_ATTEMPTS)
    delivery = the_delivery()
    with run_tasks():
        assert webhooks_send.webhook_replay(delivery_ids=[delivery.pk]) == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.replays) == (Status.SENT, 1, 1)


# --- Endpoints --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "debug", "allow_local", "accepted"),
    [
        ("https://hooks.example.com/ninety", False, False, True),
        ("http://hooks.example.com/ninety", False, False, False),
        ("http://127.0.0.1:9000/hook", False, False, False),
        ("http://127.0.0.1:9000/hook", False, True, True),
        ("http://localhost/hook", True, False, True),
        ("http://hooks.example.com/ninety", True, True, False),
        ("http://10.0.0.8/hook", False, True, False),
        ("ftp://hooks.example.com/ninety", False, True, False),
        ("https://user:secret@hooks.example.com/ninety", False, False, False),
    ],
)
def test_only_https_endpoints_are_accepted(settings, db, url, debug, allow_local, accepted):
    settings.DEBUG = debug
    settings.NINETY_WEBHOOK_ALLOW_LOCAL_HTTP = allow_local
    hook = WebhookEndpoint(name="Bus", url=url, events=[Kind.DELIVERABLE_DONE])
    if accepted:
        hook.full_clean()
    else:
        with pytest.raises(ValidationError) as refused:
            hook.full_clean()
        assert "url" in refused.value.message_dict


def test_an_endpoint_needs_at_least_one_kind_of_event(db):
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(name="Bus", url="https://hooks.example.com/", events=[]).full_clean()
    assert "events" in refused.value.message_dict


def test_plain_http_no_longer_allowed_is_not_sent(receiver, settings, pilot, pm, run_tasks):
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    settings.NINETY_WEBHOOK_ALLOW_LOCAL_HTTP = False
    with run_tasks():
        tick(mandatory_of(pilot), pm)
    delivery = the_delivery()
    assert delivery.status == Status.GAVE_UP and "HTTPS" in delivery.last_error
    assert receiver.requests == []


def test_each_endpoint_gets_a_secret_of_its_own(db):
    first = endpoint("https://hooks.example.com/a", Kind.GATE_READY)
    second = endpoint("https://hooks.example.com/b", Kind.GATE_READY)
    assert first.secret.startswith("whsec_") and len(first.secret) > 40
    assert first.secret != second.secret


# --- The admin and the beat ---------------------------------------------------------------


def test_an_administrator_registers_an_endpoint_and_reads_its_secret(client, admin_user):
    client.force_login(admin_user)
    add = reverse("admin:governance_webhookendpoint_add")
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {
            "name": "Service desk",
            "url": "https://hooks.example.com/ninety",
            "events": [Kind.GATE_READY, Kind.ESCALATION],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    hook = WebhookEndpoint.objects.get(name="Service desk")
    assert hook.events == [Kind.GATE_READY, Kind.ESCALATION]
    page = client.get(reverse("admin:governance_webhookendpoint_change", args=[hook.pk]))
    assert page.status_code == 200 and hook.secret in page.content.decode()
    refused = client.post(
        add, {"name": "Plain", "url": "http://hooks.example.com/", "events": [Kind.GATE_READY]}
    )
    assert refused.status_code == 200 and "HTTPS" in refused.content.decode()
    assert not WebhookEndpoint.objects.filter(name="Plain").exists()


def test_the_delivery_pages_open_for_an_administrator(
    client, admin_user, receiver, pilot, pm, run_tasks
):
    endpoint(receiver.url, Kind.DELIVERABLE_DONE)
    receiver.answers = [500]
    with run_tasks():
        tick(mandatory_of(pilot), pm)
    delivery = the_delivery()
    client.force_login(admin_user)
    for url in (
        reverse("admin:governance_webhookdelivery_changelist") + "?status=failed",
        reverse("admin:governance_webhookdelivery_change", args=[delivery.pk]),
        reverse("admin:governance_webhookattempt_changelist"),
        reverse("admin:governance_webhookendpoint_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("admin:governance_webhookdelivery_change", args=[delivery.pk]))
    assert "HTTP 500" in page.content.decode() and delivery.event_id in page.content.decode()


def test_the_beat_queues_webhook_retries_every_minute():
    from config.celery import app

    entry = django_settings.CELERY_BEAT_SCHEDULE["requeue-webhooks"]
    assert entry == {"task": "governance.requeue_webhooks", "schedule": 60}
    assert {"governance.requeue_webhooks", "governance.send_webhook"} <= set(app.tasks)
