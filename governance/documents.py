"""Sign-off documents: the PDF packet of a signed gate, rendered once and kept.

The packet's content (pilot, phase, deliverables, checklist, criteria, risks and
acceptances, AI Act class, signatures, audit chain head) is gathered into plain data; its
canonical JSON hashes to the content fingerprint printed in every page footer. The PDF
bytes are hashed separately after rendering: the footer cannot contain the hash of the
file it is printed in. Either hash verifies a copy on the verification page.

WeasyPrint fetches nothing but our own static files and data: URLs (see SafeFetcher).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from governance import audit
from governance.gates import Gate, gate_for
from governance.models import Classification, SignOffDocument
from pilots.models import PhaseRun
from pilots.pdf import html_to_pdf


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
            "deliverables": [
                [
                    d.pk,
                    d.title,
                    d.status,
                    _name(d.owner),
                    d.start_date,
                    d.due_date,
                    d.waived_reason,
                    [e.url for e in d.evidence.all()],
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
    classification = Classification.objects.current().filter(pilot=phase_run.pilot).first()
    return Packet(
        gate=gate,
        classification=classification,
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


def render_draft(phase_run: PhaseRun) -> bytes:
    """A current-status PDF of any phase, marked DRAFT on every page, never stored."""
    return html_to_pdf(packet_html(packet_for(phase_run, draft=True)))


def render_and_store(document_id: int) -> SignOffDocument:
    """Render a signed gate's document once. A document that is ready is never rendered
    again: downloads return its stored bytes."""
    document = SignOffDocument.objects.select_related("phase_run__pilot").get(pk=document_id)
    if document.status == SignOffDocument.Status.READY:
        return document
    packet = packet_for(document.phase_run, draft=False, generation=document.generation)
    pdf = html_to_pdf(packet_html(packet))  # outside any transaction: slow, no locks held
    with transaction.atomic():
        locked = SignOffDocument.objects.select_for_update().get(pk=document_id)
        if locked.status == SignOffDocument.Status.READY:
            return locked
        locked.pdf = pdf
        locked.sha256 = hashlib.sha256(pdf).hexdigest()
        locked.content_sha256 = packet.fingerprint
        locked.audit_head = packet.chain_head
        locked.status = SignOffDocument.Status.READY
        locked.rendered_at = timezone.now()
        locked.error = ""
        locked.save(
            update_fields=[
                "pdf",
                "sha256",
                "content_sha256",
                "audit_head",
                "status",
                "rendered_at",
                "error",
            ]
        )
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
