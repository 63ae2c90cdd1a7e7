"""Sign-off documents: the PDF packet of a signed gate, rendered once and kept.

The packet's content (pilot, phase, deliverables, checklist, criteria, risks and
acceptances, AI Act class, signatures, audit chain head) is gathered into plain data; its
canonical JSON hashes to the content fingerprint printed in every page footer. The PDF
bytes are hashed separately after rendering: the footer cannot contain the hash of the
file it is printed in. Either hash verifies a copy on the verification page.

A sign-off's packet is frozen when its gate closes: gathered and written out as HTML
inside the closing transaction (`document_file`). The render task, which may run minutes
or hours later, only turns that HTML into PDF bytes (`render_and_store`), so the document
shows the gate as it was signed, whatever changed since. Failures, retries and re-queues
are recorded in the audit trail; the beat re-queues a render a lost task left pending.

WeasyPrint fetches nothing but our own static files and data: URLs (see SafeFetcher).
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from governance import audit
from governance.gates import Gate, gate_for
from governance.models import Classification, SignOffDocument
from pilots.models import PhaseRun
from pilots.pdf import html_to_pdf
from pilots.services import ChangeRefused

logger = logging.getLogger(__name__)

# A document still pending this long after its render was queued was lost on the way (a
# worker killed mid-task, a queue emptied by a Redis restart): the beat queues it again,
# and the gate page offers "Try again". Rendering takes seconds; this leaves room for a
# busy queue.
STALE_AFTER = timedelta(minutes=15)


@dataclass
class Packet:
    gate: Gate
    classification: Classification | None
    chain_head: str
    generated_at: datetime
    generation: int | None
    draft: bool

    def facts(self) -> dict:
        """The content the fingerprint covers, as plain data."""
        run = self.gate.phase_run
        pilot = run.pilot
        return {
            "pilot": [pilot.reference, pilot.name, pilot.business_unit],
            "phase": [run.number, run.name, run.planned_start, run.planned_end, run.state],
            "generation": self.generation,
            "draft": self.draft,
            "production_owner": _name(pilot.production_owner),
            "signed_off_at": run.signed_off_at,
            "deliverables": [
                [
                    d.pk,
                    d.title,
                    d.status,
                    _name(d.owner),
                    d.start_date,
                    d.due_date,
                    d.waived_reason,
                    [[e.url, e.note] for e in d.evidence.all()],
                ]
                for d in self.gate.deliverables
            ],
            "criteria": [c.statement for c in self.gate.criteria],
            "risks": [[r.pk, r.title, r.residual_score, r.status] for r in self.gate.open_risks],
            "acceptances": [
                [a.pk, a.risk_id, a.accepted_at, a.reopened_at] for a in self.gate.acceptances
            ],
            "classification": self.classification.risk_class if self.classification else None,
            "signatures": [
                [s.slot, _name(s.signer), s.signed_at, s.statement]
                for s in self.gate.live_signatures
            ],
            "warnings": self.gate.warnings,
            "chain_head": self.chain_head,
        }

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(self.facts(), sort_keys=True, cls=DjangoJSONEncoder)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def packet_for(phase_run: PhaseRun, *, draft: bool, generation: int | None = None) -> Packet:
    gate = gate_for(phase_run)
    return Packet(
        gate=gate,
        classification=gate.classification,
        chain_head=audit.chain_head(),
        generated_at=timezone.now(),
        generation=generation,
        draft=draft,
    )


def packet_html(packet: Packet) -> str:
    return render_to_string(
        "pdf/signoff.html",
        {"packet": packet, "gate": packet.gate, "fingerprint": packet.fingerprint},
    )


def document_language():
    """Sign-off documents speak the organisation's language (NINETY_LANGUAGE), whoever
    signs last or asks for a draft: one record, one language."""
    return translation.override(settings.LANGUAGE_CODE)


def render_draft(phase_run: PhaseRun) -> bytes:
    """A current-status PDF of any phase, marked DRAFT on every page, never stored."""
    with document_language():
        html = packet_html(packet_for(phase_run, draft=True))
    return html_to_pdf(html)


def document_file(*, phase_run: PhaseRun, generation: int) -> SignOffDocument:
    """File the sign-off document of a gate that is closing, with its packet frozen.

    Called inside the closing transaction (governance.gates), after the closing event: the
    packet shows the gate exactly as it closes, and its chain head is that event. Rendering
    the PDF is queued for after commit; nothing slow happens under the locks.
    """
    from governance.tasks import render_signoff_document

    with document_language():
        packet = packet_for(phase_run, draft=False, generation=generation)
        html = packet_html(packet)
    document = SignOffDocument.objects.create(
        phase_run=phase_run,
        generation=generation,
        html=html,
        content_sha256=packet.fingerprint,
        audit_head=packet.chain_head,
        queued_at=timezone.now(),
    )
    transaction.on_commit(lambda: render_signoff_document.delay(document.pk))
    return document


def render_and_store(document_id: int) -> SignOffDocument:
    """Render a signed gate's document from its frozen HTML, once. A document that is
    ready is never rendered again: downloads return its stored bytes."""
    document = SignOffDocument.objects.select_related("phase_run__pilot").get(pk=document_id)
    if document.status == SignOffDocument.Status.READY:
        return document
    if not document.html:
        document = _freeze_late(document)
    pdf = html_to_pdf(document.html)  # outside any transaction: slow, no locks held
    with transaction.atomic():
        locked = (
            SignOffDocument.objects.select_for_update(of=("self",))
            .select_related("phase_run__pilot")
            .defer("html")
            .get(pk=document_id)
        )
        if locked.status == SignOffDocument.Status.READY:
            return locked
        locked.pdf = pdf
        locked.sha256 = hashlib.sha256(pdf).hexdigest()
        locked.status = SignOffDocument.Status.READY
        locked.rendered_at = timezone.now()
        locked.error = ""
        locked.save(update_fields=["pdf", "sha256", "status", "rendered_at", "error"])
        audit.append(
            actor=None,
            verb="document.rendered",
            target=locked,
            pilot=locked.phase_run.pilot,
            after={
                "sha256": locked.sha256,
                "fingerprint": locked.content_sha256,
                "generation": locked.generation,
                "bytes": len(pdf),
            },
        )
    return locked


def _freeze_late(document: SignOffDocument) -> SignOffDocument:
    """Documents filed before packets were frozen at closing have no HTML: freeze theirs
    now, once, under the row lock, so every later attempt renders the same content."""
    with transaction.atomic():
        locked = SignOffDocument.objects.select_for_update().get(pk=document.pk)
        if not locked.html:
            with document_language():
                packet = packet_for(document.phase_run, draft=False, generation=locked.generation)
                locked.html = packet_html(packet)
            locked.content_sha256 = packet.fingerprint
            locked.audit_head = packet.chain_head
            locked.save(update_fields=["html", "content_sha256", "audit_head"])
    locked.phase_run = document.phase_run
    return locked


def document_record_failure(
    *, document_id: int, error: str, attempt: int, will_retry: bool
) -> None:
    """Mark a render attempt failed (unless another attempt made it ready meanwhile) and
    record it in the audit trail, with whether the task will try again by itself."""
    with transaction.atomic():
        document = (
            SignOffDocument.objects.select_for_update(of=("self",))
            .select_related("phase_run__pilot")
            .defer("pdf", "html")
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.status == SignOffDocument.Status.READY:
            return
        document.status = SignOffDocument.Status.FAILED
        document.error = error[:2000]
        document.save(update_fields=["status", "error"])
        audit.append(
            actor=None,
            verb="document.failed",
            target=document,
            pilot=document.phase_run.pilot,
            after={
                "generation": document.generation,
                "attempt": attempt,
                "will_retry": will_retry,
                "error": error[:500],
            },
        )


def _stale(now: datetime) -> Q:
    """Pending documents whose render was queued longer than STALE_AFTER ago."""
    cutoff = now - STALE_AFTER
    return Q(status=SignOffDocument.Status.PENDING) & (
        Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True, created_at__lt=cutoff)
    )


def is_stale(document: SignOffDocument, now: datetime | None = None) -> bool:
    if document.status != SignOffDocument.Status.PENDING:
        return False
    queued = document.queued_at or document.created_at
    return queued < (now or timezone.now()) - STALE_AFTER


def _requeue(document: SignOffDocument, *, now: datetime, actor, verb: str) -> None:
    """Queue the render again, after commit, and say so in the audit trail."""
    from governance.tasks import render_signoff_document

    audit.append(
        actor=actor,
        verb=verb,
        target=document,
        pilot=document.phase_run.pilot,
        before={"status": document.status},
        after={"status": SignOffDocument.Status.PENDING, "generation": document.generation},
    )
    transaction.on_commit(lambda: render_signoff_document.delay(document.pk))


def document_retry(*, document: SignOffDocument, actor) -> None:
    """Queue a failed, or stale pending, document's rendering again (the gate page's "Try
    again"). A document that is ready, or pending and recently queued, is left alone."""
    now = timezone.now()
    with transaction.atomic():
        # Claimed with a conditional UPDATE: two clicks (or a click and the beat) queue
        # one render, not two.
        claimed = (
            SignOffDocument.objects.filter(pk=document.pk)
            .filter(Q(status=SignOffDocument.Status.FAILED) | _stale(now))
            .update(status=SignOffDocument.Status.PENDING, queued_at=now)
        )
        if not claimed:
            raise ChangeRefused(
                _("This sign-off document is ready or already being rendered; nothing to retry.")
            )
        _requeue(document, now=now, actor=actor, verb="document.retry_requested")


def documents_requeue_stale(now: datetime | None = None) -> list[int]:
    """Queue again every document a lost task left pending (the beat runs this). Each is
    claimed with a conditional UPDATE of `queued_at`, so overlapping runs queue it once,
    and it is not queued again before another STALE_AFTER has passed."""
    now = now or timezone.now()
    requeued = []
    for pk in SignOffDocument.objects.filter(_stale(now)).values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            if SignOffDocument.objects.filter(_stale(now), pk=pk).update(queued_at=now):
                document = (
                    SignOffDocument.objects.select_related("phase_run__pilot")
                    .defer("pdf", "html")
                    .get(pk=pk)
                )
                _requeue(document, now=now, actor=None, verb="document.requeued")
                requeued.append(pk)
    if requeued:
        logger.warning("Re-queued %d sign-off document(s) left pending", len(requeued))
    return requeued


def find_by_hash(value: str) -> SignOffDocument | None:
    """The stored sign-off whose PDF hash or content fingerprint is `value`."""
    value = value.strip().lower()
    if len(value) != 64:
        return None
    return (
        SignOffDocument.objects.filter(status=SignOffDocument.Status.READY)
        .filter(Q(sha256=value) | Q(content_sha256=value))
        .select_related("phase_run__pilot")
        .defer("pdf")
        .first()
    )
