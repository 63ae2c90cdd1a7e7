"""Outgoing webhooks, the write side: which changes are events, what each event says, and
the outbox rows that carry it to every endpoint that subscribed to its kind.

The pilots app announces its changes (pilots.signals) inside their transactions;
governance.receivers hands them here. The delivery rows are written in that same
transaction, so they commit or roll back with the change, and their sending is queued
only after commit (governance.webhooks_send). Nothing here touches the network.

Each event has an id that names it stably (kind, object and the version or generation
of the change): a change announced twice, or an escalation claimed for two recipients,
is one event, and the unique (endpoint, event id) lets each endpoint receive it once.

The kinds, when each happens, and its event id:
- deliverable.done: a deliverable is ticked done. `deliverable.done:<id>:v<version>`
- gate.ready: the last mandatory deliverable of an unsigned gate of an active pilot is
  done or waived (or such a gate is reopened, or its pilot resumed); the rule of the
  gate-ready reminders. `gate.ready:<phase run>:<generation>`
- gate.signed: the last required signature closes a gate.
  `gate.signed:<phase run>:<generation>`
- pilot.status_changed: launch, pause, stop, resume, go-live.
  `pilot.status_changed:<id>:v<version>`
- deliverable.escalated: the reminder scan escalates overdue work, once per level.
  `deliverable.escalated:<id>:<level>:<due date>`

The payload shows no more than the pilot page: ids, reference, names, titles, states,
dates and links to the pages (which check access); no people, evidence or free text.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from governance.webhooks_models import WebhookDelivery, WebhookEndpoint, WebhookEventKind
from pilots.intake_models import Decision
from pilots.models import OPEN_STATUSES, Deliverable, PhaseRun, Pilot
from pilots.notifications import absolute
from pilots.notifications_models import NotificationKind, ReminderLog

Kind = WebhookEventKind


@dataclass(frozen=True)
class Event:
    kind: str
    id: str
    payload: dict


# --- From announced changes to events -----------------------------------------------------


def kinds_of_change(*, verb: str, target, before: dict, after: dict) -> set[str]:
    """The kinds of event an announced change may make, judged without a query."""
    kinds: set[str] = set()
    if verb == "deliverable.done":
        kinds |= {Kind.DELIVERABLE_DONE, Kind.GATE_READY}
    elif verb == "deliverable.waived":
        kinds.add(Kind.GATE_READY)
    elif verb == "phase.state_changed":
        if after.get("state") == PhaseRun.State.SIGNED_OFF:
            kinds.add(Kind.GATE_SIGNED)
        elif after.get("state") == PhaseRun.State.ACTIVE:
            kinds.add(Kind.GATE_READY)  # a reopened gate whose work is all done
    if isinstance(target, (Pilot, Decision)) and _status_moved(before, after):
        kinds.add(Kind.PILOT_STATUS_CHANGED)
        if after["status"] == Pilot.Status.ACTIVE:
            kinds.add(Kind.GATE_READY)  # a gate that became ready while the pilot was paused
    return kinds


def _status_moved(before: dict, after: dict) -> bool:
    return "status" in before and "status" in after and before["status"] != after["status"]


def on_change(*, verb: str, target, pilot: Pilot, before: dict, after: dict) -> list[int]:
    """Write the deliveries of an announced change (inside its transaction); return their
    ids. Costs nothing when the change is no event, one query when nobody subscribed."""
    kinds = kinds_of_change(verb=verb, target=target, before=before, after=after)
    if not kinds:
        return []
    endpoints = subscribed(kinds)
    if not endpoints:
        return []
    wanted = {kind for kind in kinds if any(e.wants(kind) for e in endpoints)}
    now = timezone.now()
    events: list[Event] = []
    if Kind.DELIVERABLE_DONE in wanted and verb == "deliverable.done":
        events.append(deliverable_done(target, pilot, now))
    if Kind.GATE_SIGNED in wanted and verb == "phase.state_changed":
        events.append(gate_event(Kind.GATE_SIGNED, target, pilot, now))
    if Kind.PILOT_STATUS_CHANGED in wanted and Kind.PILOT_STATUS_CHANGED in kinds:
        events.append(status_changed(pilot, before["status"], now))
    if Kind.GATE_READY in wanted:
        if isinstance(target, Deliverable):
            runs = ready_gates(pilot, [target.phase_run_id])
        elif isinstance(target, PhaseRun):
            runs = ready_gates(pilot, [target.pk])
        else:
            runs = ready_gates(pilot)
        events += [gate_event(Kind.GATE_READY, run, pilot, now) for run in runs]
    return enqueue(events, endpoints, now)


def on_reminders_claimed(*, ids: list[int], now: datetime) -> list[int]:
    """Escalation events of the reminder rows a scan has just claimed (inside the scan's
    transaction). One event per deliverable, level and due date, whoever its recipients."""
    endpoints = subscribed({Kind.ESCALATION})
    if not endpoints:
        return []
    escalated = (
        ReminderLog.objects.filter(pk__in=ids, kind=NotificationKind.ESCALATION)
        .order_by()
        .values_list("subject_id", "level", "day")
        .distinct()
    )
    keys = sorted(escalated)
    if not keys:
        return []
    items = Deliverable.objects.select_related("pilot", "phase_run").in_bulk(
        {pk for pk, _level, _due in keys}
    )
    events = [
        escalation(items[pk], level=level, now=now)
        for pk, level, due in keys
        # Deleted since, or given a new date: that date starts an escalation of its own.
        if pk in items and items[pk].due_date == due
    ]
    return enqueue(events, endpoints, now)


def subscribed(kinds: set[str]) -> list[WebhookEndpoint]:
    """Active endpoints that want any of these kinds. There are few endpoints: they are
    read whole and filtered here, which works the same on SQLite and PostgreSQL."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True)
    return [e for e in endpoints if any(e.wants(kind) for kind in kinds)]


def enqueue(events: list[Event], endpoints: list[WebhookEndpoint], now: datetime) -> list[int]:
    """Insert one delivery per event and subscribed endpoint, skipping those written before
    (the unique constraint), and queue their sending after commit. Returns the ids queued."""
    from governance.tasks import send_webhook

    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            event_kind=event.kind,
            event_id=event.id,
            payload=event.payload,
            queued_at=now,
        )
        for event in events
        for endpoint in endpoints
        if endpoint.wants(event.kind)
    ]
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    # Ids are not returned for ignored conflicts: read back what waits to be sent. A row
    # of the same event queued earlier may come too; its lease keeps it from going twice.
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.QUEUED,
            attempts=0,
            event_id__in={row.event_id for row in rows},
            endpoint__in={row.endpoint_id for row in rows},
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: [send_webhook.delay(pk) for pk in ids])
    return ids


def ready_gates(pilot: Pilot, run_ids: list[int] | None = None) -> list[PhaseRun]:
    """The unsigned gates of an active pilot whose mandatory work is all done or waived:
    the rule the gate-ready reminders follow (pilots.reminders), with each gate's
    generation (1, then +1 after each reopening)."""
    runs = PhaseRun.objects.filter(pilot_id=pilot.pk, pilot__status=Pilot.Status.ACTIVE)
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
    mandatory = Q(deliverables__mandatory=True)
    return list(
        runs.exclude(state=PhaseRun.State.SIGNED_OFF)
        .annotate(
            mandatory=Count("deliverables", filter=mandatory, distinct=True),
            open_mandatory=Count(
                "deliverables",
                filter=mandatory & Q(deliverables__status__in=OPEN_STATUSES),
                distinct=True,
            ),
            reopened=Count("reopenings", distinct=True),
        )
        .filter(mandatory__gt=0, open_mandatory=0)
        .order_by("number")
    )


# --- What each event says -------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _envelope(kind: str, event_id: str, now: datetime, pilot: Pilot, obj: dict) -> Event:
    """Every payload has the same shape: id, kind, occurred_at (UTC), pilot, object."""
    return Event(
        kind=kind,
        id=event_id,
        payload={
            "id": event_id,
            "kind": str(kind),
            "occurred_at": _time(now),
            "pilot": pilot_facts(pilot),
            "object": obj,
        },
    )


def pilot_facts(pilot: Pilot) -> dict:
    return {
        "id": pilot.pk,
        "reference": pilot.reference,
        "name": pilot.name,
        "status": pilot.status,
        "url": absolute(reverse("pilot-detail", args=[pilot.pk])),
    }


def deliverable_facts(item: Deliverable) -> dict:
    run = item.phase_run
    return {
        "type": "deliverable",
        "id": item.pk,
        "title": item.title,
        "phase": {"number": run.number, "name": run.name},
        "mandatory": item.mandatory,
        "status": item.status,
        "due_date": item.due_date.isoformat(),
        "url": absolute(f"{reverse('pilot-detail', args=[item.pilot_id])}#deliverable-{item.pk}"),
    }


def deliverable_done(item: Deliverable, pilot: Pilot, now: datetime) -> Event:
    # The version the tick wrote: ticked, unticked and ticked again is a second event.
    event_id = f"{Kind.DELIVERABLE_DONE}:{item.pk}:v{item.version}"
    return _envelope(Kind.DELIVERABLE_DONE, event_id, now, pilot, deliverable_facts(item))


def gate_event(kind: str, run: PhaseRun, pilot: Pilot, now: datetime) -> Event:
    reopened = getattr(run, "reopened", None)
    if reopened is None:
        reopened = run.reopenings.count()
    generation = reopened + 1
    obj = {
        "type": "gate",
        "id": run.pk,
        "phase": {"number": run.number, "name": run.name},
        "state": run.state,
        "generation": generation,
        "url": absolute(reverse("governance-gate", args=[pilot.pk, run.number])),
    }
    return _envelope(kind, f"{kind}:{run.pk}:{generation}", now, pilot, obj)


def status_changed(pilot: Pilot, previous: str, now: datetime) -> Event:
    # A launch announces the pilot and its start decision, at one version: one event.
    event_id = f"{Kind.PILOT_STATUS_CHANGED}:{pilot.pk}:v{pilot.version}"
    obj = {
        "type": "pilot",
        "id": pilot.pk,
        "status": pilot.status,
        "previous_status": previous,
    }
    return _envelope(Kind.PILOT_STATUS_CHANGED, event_id, now, pilot, obj)


def escalation(item: Deliverable, *, level: int, now: datetime) -> Event:
    event_id = f"{Kind.ESCALATION}:{item.pk}:{level}:{item.due_date.isoformat()}"
    obj = deliverable_facts(item) | {
        "escalation_level": level,
        "days_overdue": (timezone.localdate(now) - item.due_date).days,
    }
    return _envelope(Kind.ESCALATION, event_id, now, item.pilot, obj)
