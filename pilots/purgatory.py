"""Pilot purgatory: the rules that say a pilot is stuck, in one place.

The reminders (alerts to sponsor and programme manager) and the portfolio dashboard both
use these, so a pilot is never "stuck" on one screen and fine on another.

A running (active) pilot is in purgatory when any of these holds:
- no progress: nothing ticked done for NO_PROGRESS_DAYS days (counted from launch when
  nothing was ever ticked);
- phase over time: a phase whose planned end has passed is not signed off;
- past the end: the playbook's length (day 90) has passed and it is not in production;
- no production owner named.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

NO_PROGRESS_DAYS = 21


def _no_progress_label() -> str:
    return ngettext(
        "No progress for %(days)s day", "No progress for %(days)s days", NO_PROGRESS_DAYS
    ) % {"days": NO_PROGRESS_DAYS}


class Reason(models.TextChoices):
    NO_PROGRESS = "no_progress", lazy(_no_progress_label, str)()
    PHASE_OVERRUN = "phase_overrun", _("Phase running past its end")
    PAST_END = "past_end", _("Past day 90 without going to production")
    NO_PRODUCTION_OWNER = "no_production_owner", _("No production owner")


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[Reason, ...]

    @property
    def stuck(self) -> bool:
        return bool(self.reasons)


def with_purgatory_facts(pilots: QuerySet, today: date) -> QuerySet:
    """Annotate what the rules need, as subqueries: no extra query per pilot.

    - `last_progress_on`: the date of the last tick, else the launch date;
    - `phase_overrun`: a phase past its planned end and not signed off exists;
    - `plan_ends_on`: the planned end of the last phase (day 90 for the default playbook).
    """
    from pilots.models import Deliverable, PhaseRun

    last_done = (
        Deliverable.objects.filter(pilot=OuterRef("pk"), done_at__isnull=False)
        .order_by()
        .values("pilot")
        .annotate(last=Max("done_at"))
        .values("last")
    )
    overrun = PhaseRun.objects.filter(pilot=OuterRef("pk"), planned_end__lt=today).exclude(
        state=PhaseRun.State.SIGNED_OFF
    )
    plan_end = (
        PhaseRun.objects.filter(pilot=OuterRef("pk"))
        .order_by()
        .values("pilot")
        .annotate(end=Max("planned_end"))
        .values("end")
    )
    return pilots.annotate(
        plan_ends_on=Subquery(plan_end, output_field=models.DateField()),
        last_progress_on=TruncDate(
            Coalesce(Subquery(last_done, output_field=models.DateTimeField()), "launched_at")
        ),
        phase_overrun=Exists(overrun),
    )


def judge(pilot, today: date) -> Verdict:
    """The reasons a pilot annotated by `with_purgatory_facts` is stuck (none if it is not)."""
    from pilots.models import Pilot

    if pilot.status != Pilot.Status.ACTIVE:
        return Verdict(())
    reasons = []
    last = pilot.last_progress_on
    if last is not None and last <= today - timedelta(days=NO_PROGRESS_DAYS):
        reasons.append(Reason.NO_PROGRESS)
    if pilot.phase_overrun:
        reasons.append(Reason.PHASE_OVERRUN)
    if pilot.plan_ends_on is not None and pilot.plan_ends_on < today:
        reasons.append(Reason.PAST_END)
    if pilot.production_owner_id is None:
        reasons.append(Reason.NO_PRODUCTION_OWNER)
    return Verdict(tuple(reasons))


def stuck_filter(today: date) -> Q:
    """The same rules as a filter, for finding stuck pilots in the database in one query.

    Apply to a queryset annotated by `with_purgatory_facts`.
    """
    from pilots.models import Pilot

    return Q(status=Pilot.Status.ACTIVE) & (
        Q(last_progress_on__lte=today - timedelta(days=NO_PROGRESS_DAYS))
        | Q(phase_overrun=True)
        | Q(plan_ends_on__lt=today)
        | Q(production_owner__isnull=True)
    )
