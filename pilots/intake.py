"""The five decisions before day 1 and the four triage questions, read from what the pilot
holds; and the two writes every launch makes besides the plan (its decision and its
default rollout steps).

Nothing here imports pilots.services, so the launch service can use it.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from pilots.intake_models import Decision, DecisionKind, Intake, RolloutStep
from pilots.signals import announce
from pilots.value_models import CostLine


class Question(models.TextChoices):
    PRODUCTION_OWNER = "production_owner", gettext_lazy("Production owner named")
    SUCCESS_METRIC = "success_metric", gettext_lazy("Success metric defined")
    GOVERNANCE = "governance", gettext_lazy("Governance engaged")
    COSTED = "costed", gettext_lazy("Running cost for 12 months")
    WORKFORCE = "workforce", gettext_lazy("Workforce change planned")


# Words that give away a model metric where a business outcome belongs.
MODEL_METRIC = re.compile(
    r"\b(accuracy|precision|recall|f1|auc|roc|bleu|rouge|perplexity|test[- ]set)\b", re.I
)


@dataclass(frozen=True)
class Answer:
    question: Question
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        return not self.missing

    @property
    def title(self) -> str:
        return self.question.label


@dataclass(frozen=True)
class Readiness:
    answers: tuple[Answer, ...]

    @property
    def total(self) -> int:
        return len(self.answers)

    @property
    def answered_count(self) -> int:
        return sum(answer.answered for answer in self.answers)

    @property
    def percent(self) -> int:
        return round(100 * self.answered_count / self.total)

    @property
    def complete(self) -> bool:
        return self.answered_count == self.total

    @property
    def unanswered(self) -> list[Answer]:
        return [answer for answer in self.answers if not answer.answered]

    @property
    def warnings(self) -> list[str]:
        return [warning for answer in self.answers for warning in answer.warnings]


@dataclass(frozen=True)
class CostFacts:
    lines: int = 0
    total: Decimal = Decimal(0)


def intake_of(pilot) -> Intake:
    """The pilot's intake answers; an unsaved empty row when none were given yet."""
    try:
        return pilot.intake
    except Intake.DoesNotExist:
        return Intake(pilot=pilot)


def cost_facts(pilot) -> CostFacts:
    row = CostLine.objects.filter(pilot=pilot).aggregate(
        lines=Count("pk"), total=Sum("annual_cost")
    )
    return CostFacts(lines=row["lines"], total=row["total"] or Decimal(0))


def readiness(pilot, intake: Intake | None = None, costs: CostFacts | None = None) -> Readiness:
    """Which of the five intake decisions are answered, what each still lacks, and the
    warnings the answers deserve. Pass `intake` and `costs` when already loaded."""
    intake = intake if intake is not None else intake_of(pilot)
    costs = costs if costs is not None else cost_facts(pilot)
    return Readiness(
        (
            _owner_answer(pilot),
            _metric_answer(pilot),
            _governance_answer(intake),
            _cost_answer(intake, costs),
            Answer(
                Question.WORKFORCE,
                ()
                if intake.workforce_plan.strip()
                else (pgettext("missing part of an intake answer", "the plan"),),
            ),
        )
    )


def _owner_answer(pilot) -> Answer:
    if pilot.production_owner_id is None:
        return Answer(
            Question.PRODUCTION_OWNER,
            (pgettext("missing part of an intake answer", "a named person"),),
        )
    if pilot.production_owner_id == pilot.sponsor_id:
        return Answer(
            Question.PRODUCTION_OWNER,
            warnings=(
                _(
                    "The production owner is also the sponsor. Name the person whose team "
                    "will run the system once it is live; the sponsor pays for it."
                ),
            ),
        )
    return Answer(Question.PRODUCTION_OWNER)


def _metric_answer(pilot) -> Answer:
    parts = (
        (pgettext("missing part of an intake answer", "a name"), pilot.success_metric.strip()),
        (pgettext("missing part of an intake answer", "a unit"), pilot.success_unit.strip()),
        (
            pgettext("missing part of an intake answer", "a baseline"),
            pilot.success_baseline is not None,
        ),
        (
            pgettext("missing part of an intake answer", "a target"),
            pilot.success_target is not None,
        ),
        (
            pgettext("missing part of an intake answer", "a target date"),
            pilot.success_target_date is not None,
        ),
    )
    warnings = []
    if MODEL_METRIC.search(pilot.success_metric):
        warnings.append(
            _(
                "The success metric reads like a model score. Measure a business outcome "
                "instead, such as time saved, cost avoided or errors caught."
            )
        )
    if pilot.success_baseline is not None and pilot.success_baseline == pilot.success_target:
        warnings.append(_("The baseline and the target are the same: nothing would change."))
    return Answer(
        Question.SUCCESS_METRIC,
        tuple(name for name, given in parts if not given),
        tuple(warnings),
    )


def _governance_answer(intake: Intake) -> Answer:
    parts = (
        (
            pgettext("missing part of an intake answer", "when"),
            intake.governance_engaged_on is not None,
        ),
        (
            pgettext("missing part of an intake answer", "with whom"),
            intake.governance_engaged_with.strip(),
        ),
        (
            pgettext("missing part of an intake answer", "their early read"),
            intake.governance_early_read.strip(),
        ),
    )
    return Answer(Question.GOVERNANCE, tuple(name for name, given in parts if not given))


def _cost_answer(intake: Intake, costs: CostFacts) -> Answer:
    missing, warnings = [], []
    if not costs.lines:
        missing.append(pgettext("missing part of an intake answer", "cost lines"))
    if intake.expected_yearly_benefit is None:
        missing.append(pgettext("missing part of an intake answer", "the expected yearly benefit"))
    elif costs.lines and costs.total > intake.expected_yearly_benefit:
        warnings.append(
            _(
                "A year of running it costs more than the benefit expected in that year. "
                "If that holds, the business case does not."
            )
        )
    return Answer(Question.COSTED, tuple(missing), tuple(warnings))


def latest_override(pilot) -> Decision | None:
    """The launch override a pilot was started with, if any (one query)."""
    return Decision.objects.overrides().filter(pilot=pilot).select_related("decided_by").first()


def override_summary(decision: Decision | None) -> dict | None:
    """What a pilot page shows of a launch override, or None without one."""
    if decision is None:
        return None
    details = decision.details if isinstance(decision.details, dict) else {}
    by = decision.decided_by
    return {
        "rationale": decision.rationale,
        "at": decision.decided_at,
        "by": (by.get_full_name() or by.username) if by else _("the system"),
        "missing": details.get("missing", []),
    }


# --- triage: the four questions asked of a running pilot -----------------------------------


class TriageQuestion(models.TextChoices):
    OWNER = "owner", gettext_lazy("Production owner")
    OUTCOME = "outcome", gettext_lazy("Measurable outcome, by when")
    COST = "cost", gettext_lazy("12-month running cost")
    WORKFORCE = "workforce", gettext_lazy("Workforce capability")


def for_triage(pilots: models.QuerySet) -> models.QuerySet:
    """The triage list's read: each pilot with what the four answers need and its last
    triage decision, in one query (scalar subqueries, no JOIN that multiplies rows)."""
    costs = (
        CostLine.objects.filter(pilot=OuterRef("pk"))
        .order_by()
        .values("pilot")
        .annotate(total=Sum("annual_cost"), n=Count("pk"))
    )
    last = Decision.objects.triage().filter(pilot=OuterRef("pk")).order_by("-decided_at", "-pk")
    return pilots.select_related(
        "production_owner", "programme_manager", "intake", "playbook"
    ).annotate(
        cost_total=Subquery(costs.values("total")[:1], output_field=models.DecimalField()),
        cost_line_count=Coalesce(Subquery(costs.values("n")[:1]), 0),
        last_triage_kind=Subquery(last.values("kind")[:1]),
        last_triage_at=Subquery(last.values("decided_at")[:1]),
        last_triage_rationale=Subquery(last.values("rationale")[:1]),
    )


def triage_answers(pilot, *, cost_lines: int, intake_row: Intake) -> dict[str, bool]:
    """Which of the four triage questions the pilot can answer, keyed by question."""
    return {
        TriageQuestion.OWNER.value: pilot.production_owner_id is not None,
        TriageQuestion.OUTCOME.value: bool(pilot.success_metric.strip())
        and pilot.success_target is not None
        and pilot.success_target_date is not None,
        TriageQuestion.COST.value: cost_lines > 0,
        TriageQuestion.WORKFORCE.value: bool(intake_row.workforce_plan.strip()),
    }


# --- writes made inside the services' transactions ---------------------------------------

DECISION_VERBS = {
    DecisionKind.START: "decision.start",
    DecisionKind.OVERRIDE: "decision.override",
    DecisionKind.CONTINUE: "decision.continue",
    DecisionKind.PAUSE: "decision.pause",
    DecisionKind.KILL: "decision.kill",
    DecisionKind.RESUME: "decision.resume",
    DecisionKind.GO_LIVE: "decision.go_live",
}


def record_decision(
    *,
    pilot,
    kind: DecisionKind,
    actor,
    rationale: str = "",
    in_triage: bool = False,
    details: dict | None = None,
    status_before: str | None = None,
) -> Decision:
    """Insert the decision and announce it; the caller holds the transaction and has
    already written the pilot's new status."""
    details = details or {}
    decision = Decision.objects.create(
        pilot=pilot,
        kind=kind,
        rationale=rationale,
        in_triage=in_triage,
        details=details,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    announce(
        actor=actor,
        verb=DECISION_VERBS[kind],
        target=decision,
        pilot=pilot,
        before={"status": status_before or pilot.status},
        after={"status": pilot.status, "rationale": rationale, "triage": in_triage, **details},
    )
    return decision


# Default steps: (label, from %, to %, day after the start of the Scale phase). The labels
# are written in the language of whoever launches the pilot; they can be renamed after.
DEFAULT_ROLLOUT = (
    (gettext_lazy("Canary"), 10, 15, 2),
    (gettext_lazy("Half of the users"), 50, 50, 6),
    (gettext_lazy("Everyone"), 100, 100, 9),
)


def default_rollout_steps(pilot, scale_phase) -> list[RolloutStep]:
    """Canary (10–15 %), half, everyone: dated early in the Scale phase (weeks 9–10 of
    the default playbook), within its days. Unsaved, for one bulk insert."""
    return [
        RolloutStep(
            pilot=pilot,
            order=order,
            label=str(label),
            percent_from=low,
            percent_to=high,
            planned_on=pilot.date_of_day(min(scale_phase.start_day + offset, scale_phase.end_day)),
        )
        for order, (label, low, high, offset) in enumerate(DEFAULT_ROLLOUT, start=1)
    ]
