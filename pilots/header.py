"""What the pilot page's header shows beyond the pilot's own fields: the latest reading
and the gap to target, a launch override, when it was paused, and how it is operated
once live.

Read in two small queries beside the pilot's own (three for a pilot in production).
They were once joins and nine correlated subqueries on the pilot's query: fewer
queries, but the ORM took longer to compile that query (about 3.5 ms) than these take
to run, and PostgreSQL longer to plan it.
"""

from django.utils import timezone

from pilots import intake, value
from pilots.intake_models import Decision, DecisionKind, Operation
from pilots.models import Pilot


def header_facts(pilot: Pilot) -> dict:
    """The header's facts of one pilot: gap to target, override, pause date, operation."""
    # Going live creates the operation and sets the status in one transaction, and a
    # pilot in production stays there: only such a pilot has one to read.
    operation = (
        Operation.objects.select_related("operating_owner").filter(pilot=pilot).first()
        if pilot.status == Pilot.Status.IN_PRODUCTION
        else None
    )
    latest: dict[str, Decision] = {}
    decisions = Decision.objects.filter(
        pilot=pilot, kind__in=(DecisionKind.OVERRIDE, DecisionKind.PAUSE)
    ).select_related("decided_by")
    for decision in decisions:  # newest first (Meta.ordering)
        latest.setdefault(decision.kind, decision)
    pause = latest.get(DecisionKind.PAUSE)
    return {
        "gap": value.latest_gap(pilot),
        "override": intake.override_summary(latest.get(DecisionKind.OVERRIDE)),
        "operation": operation,
        "paused_on": timezone.localdate(pause.decided_at)
        if pause and pilot.status == Pilot.Status.PAUSED
        else None,
    }
