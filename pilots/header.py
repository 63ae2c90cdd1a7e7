"""What the pilot page's header shows beyond the pilot's own fields: the latest reading
and the gap to target, a launch override, when it was paused, and how it is operated
once live.

Read in two small queries beside the pilot's own. They were once nine correlated
subqueries on the pilot's query: one query fewer, but the ORM took longer to compile
that query (about 3.5 ms) than these two take to run, and PostgreSQL longer to plan it.
"""

from django.db.models import QuerySet
from django.utils import timezone

from pilots import intake, value
from pilots.intake_models import Decision, DecisionKind, Operation


def with_header_facts(pilots: QuerySet) -> QuerySet:
    """The pilot query of a page with the header: how it is operated comes in the join."""
    return pilots.select_related("operation__operating_owner")


def header_facts(pilot) -> dict:
    """For a pilot read through `with_header_facts`."""
    try:
        operation = pilot.operation
    except Operation.DoesNotExist:
        operation = None
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
        if pause and pilot.status == "paused"
        else None,
    }
