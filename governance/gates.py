"""Phase gates: who must sign, whether a gate can be signed, and the signing itself.

A gate closes when every required slot holds a live signature and every mandatory
deliverable of the phase is done or waived. Signing is all-or-nothing; a signature is
never edited or withdrawn, only superseded when the gate is reopened with a reason.
Two people signing the same slot at once: the phase-run row lock makes the second wait
and then find the slot taken (GateConflict); the partial unique constraint on live
signatures is the backstop.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance import audit
from governance.access import is_governance_reviewer, is_leadership, is_on_team
from governance.models import (
    AiActClass,
    Classification,
    GateReopening,
    GateSignature,
    GovernanceReview,
    Risk,
    RiskAcceptance,
    SignOffDocument,
)
from pilots import services as pilot_services
from pilots.models import Deliverable, PhaseRun, Pilot
from pilots.roles import is_administrator
from pilots.services import ChangeRefused
from playbook.models import DeliverableKind, SignerRole


class GateConflict(ChangeRefused):
    """Someone signed this slot (or closed the gate) a moment ago."""


def is_high_risk(pilot: Pilot) -> bool:
    return (
        Classification.objects.current()
        .filter(pilot=pilot, risk_class=AiActClass.HIGH_RISK)
        .exists()
    )


def required_slots(phase_run: PhaseRun, high_risk: bool) -> list[str]:
    """The playbook's signers for this phase; leadership only for high-risk pilots."""
    return [
        slot
        for slot in phase_run.phase.gate_signers
        if slot != SignerRole.LEADERSHIP_IF_HIGH_RISK or high_risk
    ]


def may_sign(user, slot: str, pilot: Pilot) -> bool:
    if slot == SignerRole.PRODUCTION_OWNER:
        return user.pk == pilot.production_owner_id
    if slot == SignerRole.PROGRAMME_MANAGER:
        return user.pk == pilot.programme_manager_id
    if slot == SignerRole.GOVERNANCE_REVIEWER:
        return is_governance_reviewer(user)
    if slot == SignerRole.LEADERSHIP_IF_HIGH_RISK:
        return is_leadership(user)
    return False


def may_reopen(user, pilot: Pilot) -> bool:
    return user.pk == pilot.programme_manager_id or is_administrator(user)


@dataclass
class Slot:
    role: str
    label: str
    signature: GateSignature | None
    can_sign: bool


@dataclass
class Gate:
    """Everything the gate page (and the sign-off document) shows about one phase's gate."""

    phase_run: PhaseRun
    high_risk: bool
    deliverables: list[Deliverable]
    mandatory: list[Deliverable]
    readiness: list[Deliverable]
    criteria: list
    slots: list[Slot]
    open_risks: list[Risk]
    acceptances: list[RiskAcceptance]
    superseded: list[GateSignature]
    reopenings: list[GateReopening]
    documents: list[SignOffDocument]
    reviews: list[GovernanceReview] = field(default_factory=list)

    @property
    def open_mandatory(self) -> list[Deliverable]:
        return [d for d in self.mandatory if d.is_open]

    @property
    def signed_off(self) -> bool:
        return self.phase_run.state == PhaseRun.State.SIGNED_OFF

    @property
    def can_be_signed(self) -> bool:
        return not self.signed_off and not self.open_mandatory

    @property
    def live_signatures(self) -> list[GateSignature]:
        return [slot.signature for slot in self.slots if slot.signature]

    @property
    def missing_slots(self) -> list[Slot]:
        return [slot for slot in self.slots if not slot.signature]

    @property
    def reopened_acceptances(self) -> list[RiskAcceptance]:
        return [a for a in self.acceptances if not a.is_open]


def gate_for(phase_run: PhaseRun, user=None) -> Gate:
    """Load a gate in a fixed number of queries, whatever the number of deliverables."""
    pilot = phase_run.pilot
    high_risk = is_high_risk(pilot)
    deliverables = list(
        Deliverable.objects.filter(phase_run=phase_run)
        .select_related("owner", "template")
        .prefetch_related("evidence")
        .order_by("order", "due_date", "pk")
    )
    signatures = list(phase_run.signatures.select_related("signer").order_by("signed_at", "pk"))
    live = {s.slot: s for s in signatures if s.superseded_by_id is None}
    slots = [
        Slot(
            role=role,
            label=SignerRole(role).label,
            signature=live.get(role),
            can_sign=bool(user) and role not in live and may_sign(user, role, pilot),
        )
        for role in required_slots(phase_run, high_risk)
    ]
    return Gate(
        phase_run=phase_run,
        high_risk=high_risk,
        deliverables=deliverables,
        mandatory=[d for d in deliverables if d.mandatory],
        readiness=[d for d in deliverables if d.kind == DeliverableKind.READINESS_CHECK],
        criteria=list(phase_run.phase.gate_criteria.all()),
        slots=slots,
        open_risks=list(
            Risk.objects.filter(pilot=pilot)
            .exclude(status=Risk.Status.CLOSED)
            .select_related("owner")
            .order_by("-created_at")
        ),
        acceptances=list(
            RiskAcceptance.objects.filter(phase_run=phase_run)
            .select_related("risk", "accepted_by")
            .order_by("-accepted_at")
        ),
        superseded=[s for s in signatures if s.superseded_by_id is not None],
        reopenings=list(phase_run.reopenings.select_related("reopened_by")),
        documents=list(phase_run.documents.defer("pdf").order_by("-generation")),
        reviews=list(pilot.reviews.select_related("reviewer")) if phase_run.number == 3 else [],
    )


def gate_sign(*, phase_run: PhaseRun, slot: str, signer, statement: str) -> GateSignature:
    """Sign one slot. When it is the last one, sign the phase off and queue its document.

    1. Lock the phase run, so concurrent signers of this gate take turns.
    2. Check the gate can be signed, the slot is required and free, and the signer may
       fill it.
    3. Insert the signature; if every slot is now filled, sign the phase off, create the
       sign-off document record and render it after commit (never inside the transaction).
    """
    statement = statement.strip()
    if not statement:
        raise ChangeRefused("Write a short statement of what you are signing for.")
    with transaction.atomic():
        locked = (
            PhaseRun.objects.select_for_update()
            .select_related("pilot", "phase")
            .get(pk=phase_run.pk)
        )
        pilot = locked.pilot
        if locked.state == PhaseRun.State.SIGNED_OFF:
            raise GateConflict("This gate has just been signed off.")
        required = required_slots(locked, is_high_risk(pilot))
        if slot not in required:
            raise ChangeRefused("This gate does not need that signature.")
        if not may_sign(signer, slot, pilot):
            raise PermissionDenied("You cannot sign for this role on this pilot.")
        open_mandatory = Deliverable.objects.filter(phase_run=locked, mandatory=True).open()
        if open_mandatory.exists():
            titles = ", ".join(f"“{d.title}”" for d in open_mandatory[:3])
            raise ChangeRefused(
                f"The gate cannot be signed while mandatory deliverables are open: {titles}."
            )
        live = set(
            locked.signatures.filter(superseded_by__isnull=True).values_list("slot", flat=True)
        )
        if slot in live:
            raise GateConflict("Someone has just signed this slot. Reload to see their signature.")
        try:
            with transaction.atomic():
                signature = GateSignature.objects.create(
                    phase_run=locked, slot=slot, signer=signer, statement=statement
                )
        except IntegrityError as exc:
            raise GateConflict("Someone has just signed this slot.") from exc
        audit.append(
            actor=signer,
            verb="gate.signed",
            target=signature,
            pilot=pilot,
            after={"phase": locked.number, "slot": slot, "statement": statement},
        )
        if live | {slot} >= set(required):
            _close_gate(locked, actor=signer)
        elif locked.state != PhaseRun.State.AWAITING_SIGNOFF:
            pilot_services.phase_run_set_state(
                phase_run=locked, state=PhaseRun.State.AWAITING_SIGNOFF, actor=signer
            )
    return signature


def _close_gate(phase_run: PhaseRun, actor) -> SignOffDocument:
    from governance.tasks import render_signoff_document

    pilot_services.phase_run_sign_off(phase_run=phase_run, actor=actor)
    generation = phase_run.reopenings.count() + 1
    document = SignOffDocument.objects.create(phase_run=phase_run, generation=generation)
    audit.append(
        actor=actor,
        verb="gate.closed",
        target=phase_run,
        pilot=phase_run.pilot,
        after={"phase": phase_run.number, "generation": generation},
    )
    transaction.on_commit(lambda: render_signoff_document.delay(document.pk))
    return document


def gate_reopen(*, phase_run: PhaseRun, actor, reason: str) -> GateReopening:
    """Supersede every live signature of the gate and put the phase back in work.

    The next phase, if already active, stays active: work goes on while the reopened
    gate is signed again. Its next sign-off document is a new generation.
    """
    reason = reason.strip()
    if not reason:
        raise ChangeRefused("Say why the gate is reopened; signers will read it.")
    with transaction.atomic():
        locked = PhaseRun.objects.select_for_update().select_related("pilot").get(pk=phase_run.pk)
        if not may_reopen(actor, locked.pilot):
            raise PermissionDenied("Only the pilot's programme manager reopens a gate.")
        live = locked.signatures.filter(superseded_by__isnull=True)
        if not live.exists():
            raise ChangeRefused("There are no signatures to supersede on this gate.")
        reopening = GateReopening.objects.create(phase_run=locked, reopened_by=actor, reason=reason)
        superseded = live.update(superseded_by=reopening)
        pilot_services.phase_run_set_state(
            phase_run=locked, state=PhaseRun.State.ACTIVE, actor=actor
        )
        audit.append(
            actor=actor,
            verb="gate.reopened",
            target=locked,
            pilot=locked.pilot,
            after={"phase": locked.number, "reason": reason, "signatures_superseded": superseded},
        )
    return reopening


def review_record(
    *,
    pilot: Pilot,
    reviewer,
    recorded_by,
    reviewer_organisation: str,
    performed_on,
    conclusion: str,
    findings: str,
) -> GovernanceReview:
    """Record the independent governance review. The reviewer must not be on the team."""
    if is_on_team(reviewer, pilot):
        raise ChangeRefused(
            "The reviewer is part of this pilot's team; the review must be independent."
        )
    with transaction.atomic():
        review = GovernanceReview.objects.create(
            pilot=pilot,
            reviewer=reviewer,
            recorded_by=recorded_by,
            reviewer_organisation=reviewer_organisation,
            performed_on=performed_on,
            conclusion=conclusion,
            findings=findings,
        )
        audit.append(
            actor=recorded_by,
            verb="review.recorded",
            target=review,
            pilot=pilot,
            after={
                "reviewer": reviewer.pk,
                "conclusion": conclusion,
                "performed_on": performed_on.isoformat(),
                "recorded_at": timezone.now().isoformat(),
            },
        )
    return review
