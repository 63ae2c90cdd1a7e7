"""What the pilot page's header shows beyond the pilot's own fields: the latest reading
and the gap to target, a launch override, when it was paused, and how it is operated
once live. All read in the same query as the pilot (annotations and joins)."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from pilots import intake, value
from pilots.intake_models import Decision, DecisionKind, Operation


def with_header_facts(pilots: QuerySet) -> QuerySet:
    pause = Decision.objects.filter(pilot=OuterRef("pk"), kind=DecisionKind.PAUSE).order_by(
        "-decided_at"
    )
    annotated = intake.with_override(value.with_latest_reading(pilots))
    return annotated.select_related("intake", "operation", "operation__operating_owner").annotate(
        paused_at=Subquery(pause.values("decided_at")[:1])
    )


def header_facts(pilot) -> dict:
    """For a pilot read through `with_header_facts`."""
    try:
        operation = pilot.operation
    except Operation.DoesNotExist:
        operation = None
    paused_at = getattr(pilot, "paused_at", None)
    return {
        "gap": value.pilot_gap(pilot),
        "override": intake.override_summary(pilot),
        "operation": operation,
        "paused_on": timezone.localdate(paused_at)
        if paused_at and pilot.status == "paused"
        else None,
    }
