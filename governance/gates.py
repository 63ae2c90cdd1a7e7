"""Phase gates: who must sign, whether a gate can be signed, and the signing itself.

A gate closes when every required slot holds a live signature and every mandatory
deliverable of the phase is done or waived. Signing is all-or-nothing; a signature is
never edited or withdrawn, only superseded when the gate is reopened with a reason.
Two people signing the same slot at once: the phase-run row lock makes the second wait
and then find the slot taken (GateConflict); the partial unique constraint on live
signatures is the backstop. No gate is signed while the pilot's current AI Act
classification is a prohibited practice.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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
from governance.risks import Level, level_of
from pilots import gate_signers
from pilots import services as pilot_services
from pilots.access import can_edit_pilot
from pilots.models import Deliverable, PhaseRun, Pilot
from pilots.roles import is_programme_manager
from pilots.services import ChangeRefused
from playbook.models import DeliverableKind, SignerRole

# The phase whose gate takes a pilot to production: the independent review and the
# production warnings belong to it.
SCALE_PHASE = 3


class GateConflict(ChangeRefused):
    """Someone signed this slot (or closed the gate) a moment ago."""


PROHIBITED_REFUSAL = gettext_lazy(
    "This pilot's current AI Act classification is a prohibited practice, so no gate can "
    "be signed. Stop the pilot, or change the system and classify it again."
)


def current_classification(pilot: Pilot) -> Classification | None:
    return Classification.objects.current().filter(pilot=pilot).first()


def is_high_risk(pilot: Pilot) -> bool:
    return _is_class(current_classification(pilot), AiActClass.HIGH_RISK)


def _is_class(classification: Classification | None, risk_class: str) -> bool:
    return classification is not None and classification.risk_class == risk_class


def required_slots(phase_run: PhaseRun, high_risk: bool) -> list[str]:
    """The playbook's signers for this phase, by the rule the gate-ready notices and the
    calendar also follow (leadership only for high-risk pilots), so they never disagree."""
    return gate_signers.required_slots(phase_run.phase.gate_signers, high_risk)


def may_sign(user, slot: str, pilot: Pilot) -> bool:
    if slot == SignerRole.PRODUCTION_OWNER:
        return user.pk == pilot.production_owner_id
    if slot == SignerRole.PROGRAMME_MANAGER:
        # Named on the pilot is not enough: someone who has left the programme office
        # keeps the id on old pilots but no longer speaks for it.
        return user.pk == pilot.programme_manager_id and is_programme_manager(user)
    if slot == SignerRole.GOVERNANCE_REVIEWER:
        return is_governance_reviewer(user)
    if slot == SignerRole.LEADERSHIP_IF_HIGH_RISK:
        return is_leadership(user)
    return False


def may_reopen(user, pilot: Pilot) -> bool:
    """Whoever may edit the pilot: its programme manager while they hold the role, and
    administrators."""
    return can_edit_pilot(user, pilot)


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
    classification: Classification | None = None
    reviews: list[GovernanceReview] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def open_mandatory(self) -> list[Deliverable]:
        return [d for d in self.mandatory if d.is_open]

    @property
    def signed_off(self) -> bool:
        return self.phase_run.state == PhaseRun.State.SIGNED_OFF

    @property
    def prohibited(self) -> bool:
        return _is_class(self.classification, AiActClass.PROHIBITED)

    @property
    def can_be_signed(self) -> bool:
        return not self.signed_off and not self.open_mandatory and not self.prohibited

    @property
    def live_signatures(self) -> list[GateSignature]:
        return [slot.signature for slot in self.slots if slot.signature]

    @property
    def missing_slots(self) -> list[Slot]:
        return [slot for slot in self.slots if not slot.signature]

    @property
    def reopened_acceptances(self) -> list[RiskAcceptance]:
        return [a for a in self.acceptances if not a.is_open]


def scale_warnings(
    classification: Classification | None,
    reviews: list[GovernanceReview],
    open_risks: list[Risk],
    today,
) -> list[str]:
    """What the Scale gate's signers should know before going to production. Warnings, not
    refusals: the playbook leaves the decision to them, but it must be an informed one."""
    warnings = []
    if classification is None:
        warnings.append(_("The pilot has no current EU AI Act classification."))
    if not reviews:
        warnings.append(_("No independent governance review is recorded."))
    high = [r for r in open_risks if level_of(r.residual_score) == Level.HIGH]
    if high:
        covered = set(
            RiskAcceptance.objects.filter(
                risk__in=high, reopened_at__isnull=True, expires_on__gt=today
            ).values_list("risk_id", flat=True)
        )
        unaccepted = [r for r in high if r.pk not in covered]
        if unaccepted:
            count = len(unaccepted)
            titles = ", ".join(f"“{r.title}”" for r in unaccepted[:3])
            if count > 3:
                warning = ngettext(
                    "%(count)s high residual risk has no acceptance in force: %(titles)s and "
                    "%(more)s more.",
                    "%(count)s high residual risks have no acceptance in force: %(titles)s and "
                    "%(more)s more.",
                    count,
                )
            else:
                warning = ngettext(
                    "%(count)s high residual risk has no acceptance in force: %(titles)s.",
                    "%(count)s high residual risks have no acceptance in force: %(titles)s.",
                    count,
                )
            warnings.append(warning % {"count": count, "titles": titles, "more": count - 3})
    return warnings


def gate_for(phase_run: PhaseRun, user=None) -> Gate:
    """Load a gate in a fixed number of queries, whatever the number of deliverables."""
    pilot = phase_run.pilot
    classification = current_classification(pilot)
    high_risk = _is_class(classification, AiActClass.HIGH_RISK)
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
    open_risks = list(
        Risk.objects.filter(pilot=pilot)
        .exclude(status=Risk.Status.CLOSED)
        .select_related("owner")
        .order_by("-created_at")
    )
    is_scale = phase_run.number == SCALE_PHASE
    reviews = list(pilot.reviews.select_related("reviewer")) if is_scale else []
    return Gate(
        phase_run=phase_run,
        high_risk=high_risk,
        deliverables=deliverables,
        mandatory=[d for d in deliverables if d.mandatory],
        readiness=[d for d in deliverables if d.kind == DeliverableKind.READINESS_CHECK],
        criteria=list(phase_run.phase.gate_criteria.all()),
        slots=slots,
        open_risks=open_risks,
        acceptances=list(
            RiskAcceptance.objects.filter(phase_run=phase_run)
            .select_related("risk", "accepted_by")
            .order_by("-accepted_at")
        ),
        superseded=[s for s in signatures if s.superseded_by_id is not None],
        reopenings=list(phase_run.reopenings.select_related("reopened_by")),
        documents=list(phase_run.documents.defer("pdf", "html").order_by("-generation")),
        classification=classification,
        reviews=reviews,
        warnings=(
            scale_warnings(classification, reviews, open_risks, timezone.localdate())
            if is_scale
            else []
        ),
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
        raise ChangeRefused(_("Write a short statement of what you are signing for."))
    with transaction.atomic():
        locked = (
            PhaseRun.objects.select_for_update()
            .select_related("pilot", "phase")
            .get(pk=phase_run.pk)
        )
        pilot = locked.pilot
        if locked.state == PhaseRun.State.SIGNED_OFF:
            raise GateConflict(_("This gate has just been signed off."))
        classification = current_classification(pilot)
        required = required_slots(locked, _is_class(classification, AiActClass.HIGH_RISK))
        if slot not in required:
            raise ChangeRefused(_("This gate does not need that signature."))
        if not may_sign(signer, slot, pilot):
            raise PermissionDenied(_("You cannot sign for this role on this pilot."))
        if _is_class(classification, AiActClass.PROHIBITED):
            raise ChangeRefused(str(PROHIBITED_REFUSAL))
        open_mandatory = Deliverable.objects.filter(phase_run=locked, mandatory=True).open()
        if open_mandatory.exists():
            titles = ", ".join(f"“{d.title}”" for d in open_mandatory[:3])
            raise ChangeRefused(
                _("The gate cannot be signed while mandatory deliverables are open: %(titles)s.")
                % {"titles": titles}
            )
        live = set(
            locked.signatures.filter(superseded_by__isnull=True).values_list("slot", flat=True)
        )
        if slot in live:
            raise GateConflict(
                _("Someone has just signed this slot. Reload to see their signature.")
            )
        try:
            with transaction.atomic():
                signature = GateSignature.objects.create(
                    phase_run=locked, slot=slot, signer=signer, statement=statement
                )
        except IntegrityError as exc:
            raise GateConflict(_("Someone has just signed this slot.")) from exc
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
    """Sign the phase off and file its document, frozen as the gate stands now: the packet
    is gathered and written out as HTML in this transaction, after the closing event, so
    its chain head is that event. The PDF is rendered from that HTML after commit."""
    from governance import documents

    pilot_services.phase_run_sign_off(phase_run=phase_run, actor=actor)
    generation = phase_run.reopenings.count() + 1
    audit.append(
        actor=actor,
        verb="gate.closed",
        target=phase_run,
        pilot=phase_run.pilot,
        after={"phase": phase_run.number, "generation": generation},
    )
    return documents.document_file(phase_run=phase_run, generation=generation)


def gate_reopen(*, phase_run: PhaseRun, actor, reason: str) -> GateReopening:
    """Supersede every live signature of the gate and put the phase back in work.

    The next phase, if already active, stays active: work goes on while the reopened
    gate is signed again. Its next sign-off document is a new generation.
    """
    reason = reason.strip()
    if not reason:
        raise ChangeRefused(_("Say why the gate is reopened; signers will read it."))
    with transaction.atomic():
        locked = PhaseRun.objects.select_for_update().select_related("pilot").get(pk=phase_run.pk)
        if not may_reopen(actor, locked.pilot):
            raise PermissionDenied(_("Only the pilot's programme manager reopens a gate."))
        live = locked.signatures.filter(superseded_by__isnull=True)
        if not live.exists():
            raise ChangeRefused(_("There are no signatures to supersede on this gate."))
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
            _("The reviewer is part of this pilot's team; the review must be independent.")
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
