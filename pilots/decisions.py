"""Decisions about a pilot's course: the triage of running pilots (continue, pause or
stop), pausing, stopping and resuming. Each is the only writer of the status change it
makes, and each is recorded as a Decision and announced for the audit trail.

Paused and stopped pilots leave the running portfolio and get no reminders (the reminder
scan and My work read active pilots only); their plan and history stay as they were.
Resuming moves every open date on by the length of the pause, so the plan picks up
where it stopped instead of arriving already overdue.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilots import intake
from pilots.intake_models import Decision, DecisionKind
from pilots.models import Pilot
from pilots.services import ChangeRefused, pilot_move_kickoff

Status = Pilot.Status

# The statuses each decision may be taken from, and the status it leads to.
RULES = {
    DecisionKind.CONTINUE: ({Status.ACTIVE}, Status.ACTIVE),
    DecisionKind.PAUSE: ({Status.ACTIVE}, Status.PAUSED),
    DecisionKind.KILL: ({Status.INTAKE, Status.ACTIVE, Status.PAUSED}, Status.KILLED),
    DecisionKind.RESUME: ({Status.PAUSED}, Status.ACTIVE),
}
REFUSALS = {
    DecisionKind.CONTINUE: gettext_lazy("Only a running pilot can be kept going."),
    DecisionKind.PAUSE: gettext_lazy("Only a running pilot can be paused."),
    DecisionKind.KILL: gettext_lazy(
        "A pilot in production or already stopped cannot be stopped here."
    ),
    DecisionKind.RESUME: gettext_lazy("Only a paused pilot can be resumed."),
}


def pilot_decide(
    *, pilot: Pilot, kind: DecisionKind, rationale: str, actor, in_triage: bool = False
) -> Decision:
    """Record a decision about a pilot and apply it.

    1. Lock the pilot and check the decision fits its status (ChangeRefused otherwise).
    2. For a triage, note which of the four triage questions it could answer.
    3. Write the new status (moving the version on), and for a resume shift the open plan
       by the days the pilot was paused.
    4. Record the decision; it is announced for the audit trail.
    """
    rationale = rationale.strip()
    if not rationale:
        raise ChangeRefused(_("Write down the reason for this decision; it stays on the record."))
    if kind not in RULES:
        raise ChangeRefused(_("That is not a decision that can be taken here."))
    if in_triage and kind == DecisionKind.RESUME:
        raise ChangeRefused(_("A triage continues, pauses or stops a running pilot."))
    allowed, new_status = RULES[kind]
    with transaction.atomic():
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        if locked.status not in allowed:
            raise ChangeRefused(str(REFUSALS[kind]))
        details: dict = {}
        if in_triage:
            answers = _triage_answers(locked)
            details["answers"] = answers
            details["unanswered"] = [key for key, given in answers.items() if not given]
        before = locked.status
        if new_status != before:
            locked.status = new_status
            locked.version += 1
            locked.save(update_fields=["status", "version", "updated_at"])
        if kind == DecisionKind.RESUME:
            details["shift_days"] = _shift_after_pause(locked, actor)
        decision = intake.record_decision(
            pilot=locked,
            kind=kind,
            actor=actor,
            rationale=rationale,
            in_triage=in_triage,
            details=details,
            status_before=before,
        )
    return decision


def paused_since(pilot: Pilot):
    """The local date of the decision that paused the pilot (None if it is not paused)."""
    if pilot.status != Status.PAUSED:
        return None
    pause = pilot.decisions.filter(kind=DecisionKind.PAUSE).order_by("-decided_at").first()
    return timezone.localdate(pause.decided_at) if pause else None


def _shift_after_pause(pilot: Pilot, actor) -> int:
    since = (
        pilot.decisions.filter(kind=DecisionKind.PAUSE)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if since is None:  # paused some other way (an old pilot, the admin): nothing to measure
        return 0
    days = timezone.localdate() - timezone.localdate(since)
    if days.days > 0:
        pilot_move_kickoff(pilot=pilot, kickoff_date=pilot.kickoff_date + days, actor=actor)
    return days.days


def _triage_answers(pilot: Pilot) -> dict[str, bool]:
    return intake.triage_answers(
        pilot, cost_lines=pilot.cost_lines.count(), intake_row=intake.intake_of(pilot)
    )
