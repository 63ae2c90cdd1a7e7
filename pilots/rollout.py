"""The phased rollout of the Scale phase and the go-live decision.

Rollout: steps to a growing share of the users (by default a canary of 10–15 %, then
half, then everyone), each with a planned date and a go/no-go taken on the checks made.
A step goes only after the steps before it went; a no-go can be followed by a go once
the problem is fixed (the audit trail keeps both); a go is final.

Go-live: allowed once the Scale gate is signed off and no readiness check of the Scale
phase is open. It makes the pilot In production, with the operating details that the
method's exit test asks for: an operating owner, a runbook, a support model, who is
called at night and how often it is reviewed.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilots import intake
from pilots.intake_models import (
    CADENCE_MONTHS,
    DecisionKind,
    Operation,
    RolloutDecision,
    RolloutStep,
)
from pilots.models import PhaseRun, Pilot
from pilots.services import ChangeRefused
from pilots.signals import announce
from playbook.models import DeliverableKind


def scale_run(pilot: Pilot) -> PhaseRun | None:
    """The pilot's last phase: Scale, in the default playbook."""
    return pilot.phase_runs.order_by("-number").first()


def _step_facts(step: RolloutStep) -> dict:
    return {
        "label": step.label,
        "percent_from": step.percent_from,
        "percent_to": step.percent_to,
        "planned_on": step.planned_on.isoformat(),
    }


def _check_share(percent_from: int, percent_to: int) -> None:
    if not 1 <= percent_from <= percent_to <= 100:
        raise ChangeRefused(
            _(
                "The share of users runs from 1 to 100 %%, and its first figure is not above "
                "its second."
            )
            % {}
        )


def rollout_defaults_add(*, pilot: Pilot, actor=None) -> list[RolloutStep]:
    """The default steps, for a pilot launched before rollouts were planned at launch."""
    with transaction.atomic():
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        run = scale_run(locked)
        if run is None:
            raise ChangeRefused(_("Launch the pilot first: the rollout is part of its plan."))
        if locked.rollout_steps.exists():
            raise ChangeRefused(_("This pilot already has rollout steps."))
        steps = RolloutStep.objects.bulk_create(intake.default_rollout_steps(locked, run.phase))
        announce(
            actor=actor,
            verb="rollout.planned",
            target=locked,
            pilot=locked,
            after={"steps": [_step_facts(step) for step in steps]},
        )
    return steps


def rollout_step_add(
    *,
    pilot: Pilot,
    label: str,
    percent_from: int,
    percent_to: int,
    planned_on: date,
    actor=None,
) -> RolloutStep:
    _check_share(percent_from, percent_to)
    with transaction.atomic():
        # The pilot's row lock serialises the choice of the next order number.
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        last = locked.rollout_steps.aggregate(last=Max("order"))["last"] or 0
        step = RolloutStep.objects.create(
            pilot=locked,
            order=last + 1,
            label=label,
            percent_from=percent_from,
            percent_to=percent_to,
            planned_on=planned_on,
        )
        announce(
            actor=actor,
            verb="rollout.step_added",
            target=step,
            pilot=locked,
            after=_step_facts(step),
        )
    return step


def rollout_step_update(
    *,
    step: RolloutStep,
    label: str,
    percent_from: int,
    percent_to: int,
    planned_on: date,
    actor=None,
) -> RolloutStep:
    """Change a step that is not decided yet."""
    _check_share(percent_from, percent_to)
    with transaction.atomic():
        locked = RolloutStep.objects.select_for_update().get(pk=step.pk)
        if locked.decision == RolloutDecision.GO:
            raise ChangeRefused(_("This step has gone ahead; it stays as it was decided."))
        before = _step_facts(locked)
        locked.label, locked.planned_on = label, planned_on
        locked.percent_from, locked.percent_to = percent_from, percent_to
        locked.save(update_fields=["label", "percent_from", "percent_to", "planned_on"])
        announce(
            actor=actor,
            verb="rollout.step_updated",
            target=locked,
            pilot=step.pilot,
            before=before,
            after=_step_facts(locked),
        )
    return locked


def rollout_step_remove(*, step: RolloutStep, actor=None) -> None:
    with transaction.atomic():
        locked = RolloutStep.objects.select_for_update().filter(pk=step.pk).first()
        if locked is None:
            raise ChangeRefused(_("That step was already removed."))
        if not locked.is_open:
            raise ChangeRefused(_("A decided step stays on the record."))
        announce(
            actor=actor,
            verb="rollout.step_removed",
            target=locked,
            pilot=step.pilot,
            before=_step_facts(locked),
        )
        locked.delete()


def rollout_step_decide(
    *,
    step: RolloutStep,
    decision: str,
    checks: str,
    actual_on: date | None = None,
    actor=None,
) -> RolloutStep:
    """Record go or no-go on a step, with the checks it was based on."""
    checks = checks.strip()
    if decision not in (RolloutDecision.GO, RolloutDecision.NO_GO):
        raise ChangeRefused(_("Choose go or no-go."))
    if not checks:
        raise ChangeRefused(_("Say which checks the decision rests on."))
    today = timezone.localdate()
    if decision == RolloutDecision.GO:
        actual_on = actual_on or today
        if actual_on > today:
            raise ChangeRefused(_("A step cannot have gone ahead on a date still to come."))
    else:
        actual_on = None
    with transaction.atomic():
        pilot = Pilot.objects.select_for_update().get(pk=step.pilot_id)
        if pilot.status != Pilot.Status.ACTIVE:
            raise ChangeRefused(_("Rollout decisions are taken while the pilot is running."))
        locked = RolloutStep.objects.select_for_update().get(pk=step.pk)
        if locked.decision == RolloutDecision.GO:
            raise ChangeRefused(_("This step has already gone ahead."))
        if decision == RolloutDecision.GO:
            waiting = pilot.rollout_steps.filter(order__lt=locked.order).exclude(
                decision=RolloutDecision.GO
            )
            if waiting.exists():
                raise ChangeRefused(_("The steps before this one have to go ahead first."))
        before = {"decision": locked.decision}
        locked.decision, locked.checks, locked.actual_on = decision, checks, actual_on
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.save(update_fields=["decision", "checks", "actual_on", "decided_by", "decided_at"])
        announce(
            actor=actor,
            verb="rollout.step_decided",
            target=locked,
            pilot=pilot,
            before=before,
            after={
                "step": locked.label,
                "share": locked.share,
                "decision": decision,
                "checks": checks,
                "actual_on": actual_on.isoformat() if actual_on else None,
            },
        )
    return locked


# --- go-live -------------------------------------------------------------------------------


def go_live_blockers(pilot: Pilot) -> list[str]:
    """What stands between the pilot and go-live, in words fit to show; empty when none."""
    run = scale_run(pilot)
    open_checks = []
    if run is not None:
        open_checks = list(
            run.deliverables.filter(kind=DeliverableKind.READINESS_CHECK)
            .open()
            .order_by("order", "pk")
            .values_list("title", flat=True)
        )
    return blockers_of(pilot, run, open_checks)


def blockers_of(pilot: Pilot, run: PhaseRun | None, open_checks: list[str]) -> list[str]:
    """The rule of `go_live_blockers`, on what the caller has already loaded."""
    if pilot.status != Pilot.Status.ACTIVE:
        return [_not_running(pilot)]
    if run is None:
        return [_("The pilot has not been launched.")]
    blockers = []
    if run.state != PhaseRun.State.SIGNED_OFF:
        # Translators: phase is the name of the pilot's last phase, e.g. "Scale".
        blockers.append(_("The %(phase)s gate is not signed off yet.") % {"phase": run.name})
    if open_checks:
        count = len(open_checks)
        # Translators: the title of a readiness check, quoted as your language quotes.
        titles = ", ".join(_("“%(title)s”") % {"title": title} for title in open_checks[:3])
        if count > 3:
            blockers.append(
                ngettext(
                    "%(count)s readiness check is still open: %(titles)s and %(more)s more.",
                    "%(count)s readiness checks are still open: %(titles)s and %(more)s more.",
                    count,
                )
                % {"count": count, "titles": titles, "more": count - 3}
            )
        else:
            blockers.append(
                ngettext(
                    "%(count)s readiness check is still open: %(titles)s.",
                    "%(count)s readiness checks are still open: %(titles)s.",
                    count,
                )
                % {"count": count, "titles": titles}
            )
    return blockers


def _not_running(pilot: Pilot) -> str:
    """Why a pilot that is not running cannot go live, as one whole sentence."""
    sentences = {
        Pilot.Status.INTAKE: _("The pilot is intake, not running."),
        Pilot.Status.IN_PRODUCTION: _("The pilot is in production, not running."),
        Pilot.Status.PAUSED: _("The pilot is paused, not running."),
        Pilot.Status.KILLED: _("The pilot is stopped, not running."),
    }
    if pilot.status in sentences:
        return sentences[pilot.status]
    return _("The pilot is %(status)s, not running.") % {
        "status": pilot.get_status_display().lower()
    }


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


@dataclass(frozen=True)
class OperatingDetails:
    operating_owner: object  # a user
    runbook_url: str
    support_model: str
    on_call_contact: str
    review_cadence: str


def pilot_go_live(
    *, pilot: Pilot, details: OperatingDetails, rationale: str, actor=None
) -> Operation:
    """Take the pilot into production.

    1. Lock the pilot; refuse while anything in `go_live_blockers` holds.
    2. Record how it is operated, with its first review date from the cadence.
    3. Mark it In production and record the go-live decision.
    """
    rationale = rationale.strip()
    if not rationale:
        raise ChangeRefused(_("Say in a sentence why it is ready to go live."))
    with transaction.atomic():
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        blockers = go_live_blockers(locked)
        if blockers:
            raise ChangeRefused(_("Not live yet. %(blockers)s") % {"blockers": " ".join(blockers)})
        today = timezone.localdate()
        operation = Operation.objects.create(
            pilot=locked,
            operating_owner=details.operating_owner,
            runbook_url=details.runbook_url,
            support_model=details.support_model,
            on_call_contact=details.on_call_contact,
            review_cadence=details.review_cadence,
            live_since=today,
            next_review_on=add_months(today, CADENCE_MONTHS[details.review_cadence]),
        )
        Pilot.objects.filter(pk=locked.pk).update(
            status=Pilot.Status.IN_PRODUCTION, version=F("version") + 1, updated_at=timezone.now()
        )
        locked.refresh_from_db(fields=["status", "version", "updated_at"])
        intake.record_decision(
            pilot=locked,
            kind=DecisionKind.GO_LIVE,
            actor=actor,
            rationale=rationale,
            details={
                "operating_owner": details.operating_owner.pk,
                "runbook_url": details.runbook_url,
                "support_model": details.support_model,
                "on_call_contact": details.on_call_contact,
                "review_cadence": details.review_cadence,
                "next_review_on": operation.next_review_on.isoformat(),
            },
            status_before=Pilot.Status.ACTIVE,
        )
    return operation


def operation_review_record(*, pilot: Pilot, notes: str, actor=None) -> Operation:
    """Record the periodic review of a pilot in production; the next one falls a cadence
    from today. What was found is kept in the audit trail."""
    notes = notes.strip()
    if not notes:
        raise ChangeRefused(_("Say in a few words what the review found."))
    with transaction.atomic():
        operation = Operation.objects.select_for_update().filter(pilot=pilot).first()
        if operation is None or pilot.status != Pilot.Status.IN_PRODUCTION:
            raise ChangeRefused(_("Only a pilot in production has reviews."))
        today = timezone.localdate()
        before = {
            "last_reviewed_on": operation.last_reviewed_on.isoformat()
            if operation.last_reviewed_on
            else None,
            "next_review_on": operation.next_review_on.isoformat(),
        }
        operation.last_reviewed_on = today
        operation.next_review_on = add_months(today, CADENCE_MONTHS[operation.review_cadence])
        operation.save(update_fields=["last_reviewed_on", "next_review_on"])
        announce(
            actor=actor,
            verb="operation.reviewed",
            target=operation,
            pilot=pilot,
            before=before,
            after={
                "last_reviewed_on": today.isoformat(),
                "next_review_on": operation.next_review_on.isoformat(),
                "notes": notes,
            },
        )
    return operation
