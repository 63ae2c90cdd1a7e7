"""The audit chain: the one writer of AuditEvent, and its verifier.

Appending takes a transaction-scoped lock (PostgreSQL advisory lock) so parallel
writers queue instead of both reading the same head and forking the chain; the unique
`seq` and `prev_hash` columns are the backstop. The event commits or rolls back with the
change it records, because it is written inside the caller's transaction.

A hash chain alone cannot show that its newest events were removed: what remains is
still a valid chain. So verification also checks the chain against the anchors kept
outside it: every sign-off document records the chain head at the moment its gate
closed (and prints it in the PDF), and a rendered document's rendering is an event. A
head that is no longer in the chain, or an empty chain with documents, is a break.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from celery import shared_task
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from governance.models import AuditEvent, SignOffDocument

GENESIS = "0" * 64
# Any fixed number: the key of the advisory lock that serialises appends.
CHAIN_LOCK_KEY = 9090


def _canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def event_hash(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "verb": event.verb,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "pilot": event.pilot_id,
        # Round-trip through JSON so the hash sees what the database will hand back.
        "before": json.loads(_canonical(event.before)),
        "after": json.loads(_canonical(event.after)),
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()


@dataclass(frozen=True)
class ObjectRef:
    """An audited object named by hand, for objects that may be gone by the time the event
    is written (an admin deletion is logged just before the row is deleted)."""

    type: str
    id: str
    repr: str


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def append(
    *, actor, verb: str, target, pilot=None, before: dict | None = None, after: dict | None = None
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction. `target` is a model
    instance or an ObjectRef.

    What is hashed does not depend on who is reading: the object's name, and any label
    in `before` and `after`, are written in English (the source language)."""
    with translation.override("en"):
        if isinstance(target, ObjectRef):
            object_type, object_id, object_repr = target.type, target.id, str(target.repr)
        else:
            object_type, object_id = target._meta.label_lower, str(target.pk)
            object_repr = str(target)
        before, after = json.loads(_canonical(before or {})), json.loads(_canonical(after or {}))
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
        event = AuditEvent(
            seq=(head.seq + 1) if head else 1,
            occurred_at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_name=(actor.get_full_name() or actor.get_username()) if actor else "system",
            verb=verb,
            object_type=object_type[:60],
            object_id=str(object_id)[:40],
            object_repr=object_repr[:200],
            pilot=pilot,
            before=before,
            after=after,
            prev_hash=head.hash if head else GENESIS,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
    return event


def chain_head() -> str:
    head = AuditEvent.objects.order_by("-seq").values_list("hash", flat=True).first()
    return head or GENESIS


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


def verify_chain(batch_size: int = 2000) -> tuple[int, Break | None]:
    """Walk the chain in order, then hold it against the sign-off documents' anchors.
    Returns (events checked, first break or None)."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for event in _in_order(batch_size):
        if event.seq != expected_seq:
            return checked, Break(
                expected_seq, _("event #%(seq)s is missing") % {"seq": expected_seq}
            )
        if event.prev_hash != expected_prev:
            # Translators: completes "event #12 …".
            return checked, Break(event.seq, _("does not follow the event before it"))
        if event_hash(event) != event.hash:
            # Translators: completes "event #12 …".
            return checked, Break(event.seq, _("its content no longer matches its hash"))
        expected_prev, expected_seq = event.hash, event.seq + 1
        checked += 1
    return checked, _check_anchors(checked)


def _check_anchors(checked: int) -> Break | None:
    """The events the sign-off documents point at must still be in the chain.

    Looked up by hash in the table, not in the walk: a gate that closed while the walk
    ran has a head beyond it, and that is fine. Anything missing can only have been cut
    from the end of the chain (the walk found the rest whole), so the break is named at
    the first event after the last one checked.
    """
    missing_from = checked + 1
    documents = list(
        SignOffDocument.objects.select_related("phase_run__pilot")
        .defer("pdf", "html")
        .order_by("pk")
    )
    if not documents:
        return None
    if checked == 0:
        count = len(documents)
        # Translators: completes "event #1 …".
        problem = ngettext(
            "is missing: the chain is empty, yet %(count)s sign-off document was filed against it",
            "is missing: the chain is empty, yet %(count)s sign-off documents were filed "
            "against it",
            count,
        ) % {"count": count}
        return Break(1, problem)
    heads = {d.audit_head for d in documents if d.audit_head and d.audit_head != GENESIS}
    present = set(AuditEvent.objects.filter(hash__in=heads).values_list("hash", flat=True))
    for document in documents:
        if document.audit_head in heads and document.audit_head not in present:
            return Break(
                missing_from,
                # Translators: completes "event #12 …".
                _(
                    "is missing: %(document)s recorded chain head %(head)s…, which is no "
                    "longer in the chain"
                )
                % {"document": _named(document), "head": document.audit_head[:16]},
            )
    rendered = set(
        AuditEvent.objects.filter(
            verb="document.rendered", object_type=SignOffDocument._meta.label_lower
        ).values_list("object_id", flat=True)
    )
    for document in documents:
        if document.status == SignOffDocument.Status.READY and str(document.pk) not in rendered:
            return Break(
                missing_from,
                # Translators: completes "event #12 …".
                _(
                    "is missing: %(document)s was rendered, but its rendering is no longer in "
                    "the chain"
                )
                % {"document": _named(document)},
            )
    return None


def _named(document: SignOffDocument) -> str:
    run = document.phase_run
    return _("the sign-off document of %(pilot)s phase %(phase)s #%(generation)s") % {
        "pilot": run.pilot.reference,
        "phase": run.number,
        "generation": document.generation,
    }


def _in_order(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def alert_administrators_if_broken() -> Break | None:
    """Verify the chain; when it is broken, mail every administrator. Returns the break."""
    import logging

    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.db.models import Q

    from pilots.roles import Role

    checked, broken = verify_chain()
    if broken is None:
        return None
    logging.getLogger(__name__).error("Audit chain broken at #%s: %s", broken.seq, broken.problem)
    admins = (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMINISTRATOR), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    send_mail(
        subject=_("Ninety: the audit trail is broken at event #%(seq)s") % {"seq": broken.seq},
        message="\n\n".join(
            [
                ngettext(
                    "The nightly check of the audit trail verified %(checked)s event and then "
                    "found event #%(seq)s %(problem)s.",
                    "The nightly check of the audit trail verified %(checked)s events and then "
                    "found event #%(seq)s %(problem)s.",
                    checked,
                )
                % {"checked": checked, "seq": broken.seq, "problem": broken.problem},
                _(
                    "Someone or something changed the audit table outside the application. "
                    "Keep a copy of the database as it is now, compare it with your latest "
                    "backup, and run `python manage.py verify_audit` after restoring to "
                    "confirm the chain is whole."
                ),
                _("You receive this because you are an administrator of Ninety."),
            ]
        ),
        from_email=None,
        recipient_list=sorted(admins),
    )
    return broken


@shared_task(name="governance.verify_audit_chain")
def verify_audit_chain() -> str:
    """Nightly (see CELERY_BEAT_SCHEDULE): walk the chain and alert on a break."""
    broken = alert_administrators_if_broken()
    return "intact" if broken is None else f"broken at #{broken.seq}"
