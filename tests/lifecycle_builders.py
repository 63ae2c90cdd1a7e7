"""Small explicit builders for the intake, triage, value and rollout tests."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from pilots import intake_services
from pilots.models import Pilot
from playbook.models import DeliverableKind, DeliverableTemplate, Playbook

KICKOFF = date(2026, 3, 2)


def answers_for(pilot: Pilot, **changes) -> intake_services.IntakeAnswers:
    """Every intake question answered, for `pilot`; `changes` overrides some."""
    full = intake_services.IntakeAnswers(
        production_owner=pilot.production_owner,
        success_metric="Minutes to route a claim",
        success_unit="min",
        success_baseline=Decimal("14"),
        success_target=Decimal("9"),
        success_target_date=date(2026, 9, 30),
        governance_engaged_on=date(2026, 2, 10),
        governance_engaged_with="Privacy office, security",
        governance_early_read="Keep claim texts in the EU.",
        expected_yearly_benefit=Decimal("240000"),
        workforce_plan="Claim handlers learn to correct the route in one session.",
        expected_scale="All 400 handlers",
        integrations="Claims system API",
        acceptable_error_rate="3 %",
        known_shortcuts="",
    )
    return replace(full, **changes)


def complete_intake(pilot: Pilot, *, cost: Decimal = Decimal("120000"), **changes) -> Pilot:
    """Answer the five intake decisions (with one cost line of `cost`)."""
    pilot = Pilot.objects.get(pk=pilot.pk)
    pilot = intake_services.intake_update(
        pilot=pilot, expected_version=pilot.version, answers=answers_for(pilot, **changes)
    )
    intake_services.cost_line_add(
        pilot=pilot, category="infrastructure", description="Hosting", annual_cost=cost
    )
    return Pilot.objects.get(pk=pilot.pk)


def add_readiness_check(playbook: Playbook, title: str = "Backup and recovery tested"):
    """A readiness check in the last (Scale) phase of `playbook`, not mandatory, so the
    gate can be signed while it is open."""
    phase = playbook.phases.order_by("-number").first()
    return DeliverableTemplate.objects.create(
        phase=phase,
        order=50,
        title=title,
        workstream="Production-readiness checklist",
        dimension="infrastructure",
        kind=DeliverableKind.READINESS_CHECK,
        start_day=phase.start_day,
        due_day=phase.end_day,
    )
