"""The leadership portfolio: every pilot's numbers, its RAG status and the funnel.

One read serves the page and every export (`rows`), in three queries whatever the number
of pilots:
1. the pilots, filtered in SQL, with their people and per-pilot scalar facts (12-month
   cost, latest KPI reading, the facets other apps register):
   `Pilot.objects.for_portfolio()`;
2. their deliverable counts, one aggregate grouped by pilot (`deliverable_counts`);
3. their phase runs, three a pilot (`phase_facts`).
The rules (stage, purgatory, RAG and the reasons behind it) then run in Python over those
numbers, once, in one place; filtering by stage or RAG and sorting happen on the rows.
Why not one SQL statement: RAG depends on aggregates and on subqueries, and expressed in
SQL every rule that reuses another repeats it, so the database evaluated the phase
subqueries once per deliverable and the page took 1.5 s at 1,000 pilots. The three plain
queries together take about as long as one hand-written aggregate (`make bench`,
portfolio floor_ms).

RAG, for running pilots only (the page's help shows `RAG_RULES`):
- red: a mandatory deliverable overdue by more than LATE_MANDATORY_DAYS days, a gate
  overdue (a phase past its planned end and not signed off), or the pilot in purgatory;
- amber: anything overdue, or work due within NINETY_DUE_SOON_DAYS days with no owner;
- green: otherwise.

Other apps add per-pilot columns through `register_facet` (governance adds the AI Act
class): `pilots` may not import them (DESIGN.md, dependency rule).
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from pilots import purgatory, value

LATE_MANDATORY_DAYS = 7


class Rag(models.TextChoices):
    RED = "red", gettext_lazy("Red")
    AMBER = "amber", gettext_lazy("Amber")
    GREEN = "green", gettext_lazy("Green")


RAG_RANK = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, "": 3}

# Each rule's text takes `late` (LATE_MANDATORY_DAYS) and `soon` (NINETY_DUE_SOON_DAYS)
# with %: see portfolio_read.rag_rules.
RAG_RULES = (
    (
        Rag.RED,
        ngettext_lazy(
            "a mandatory deliverable is more than %(late)s day overdue, a gate is overdue "
            "(a phase has passed its planned end without being signed off), or the pilot is "
            "in purgatory.",
            "a mandatory deliverable is more than %(late)s days overdue, a gate is overdue "
            "(a phase has passed its planned end without being signed off), or the pilot is "
            "in purgatory.",
            "late",
        ),
    ),
    (
        Rag.AMBER,
        ngettext_lazy(
            "anything is overdue, or work due within the next %(soon)s day has no owner.",
            "anything is overdue, or work due within the next %(soon)s days has no owner.",
            "soon",
        ),
    ),
    (Rag.GREEN, gettext_lazy("none of the above.")),
)


class Stage(models.TextChoices):
    """Where a pilot stands, in funnel order."""

    INTAKE = "intake", gettext_lazy("Intake")
    FOUNDATION = "phase-1", gettext_lazy("Foundation")
    INTEGRATION = "phase-2", gettext_lazy("Integration")
    SCALE = "phase-3", gettext_lazy("Scale")
    IN_PRODUCTION = "in_production", gettext_lazy("In production")
    PAUSED = "paused", gettext_lazy("Paused")
    KILLED = "killed", gettext_lazy("Stopped")


# --- facets other apps contribute -----------------------------------------------------


@dataclass(frozen=True)
class Facet:
    """A per-pilot value another app computes as a subquery on `OuterRef("pk")`."""

    name: str
    label: str
    expression: Callable[[], models.Expression]
    choices: tuple[tuple[str, str], ...] = ()
    empty: str = "none"  # the filter value that asks for pilots without a value

    def display(self, value) -> str:
        return dict(self.choices).get(value, value or "")


_facets: dict[str, Facet] = {}


def register_facet(facet: Facet) -> None:
    _facets[facet.name] = facet


def facets() -> dict[str, Facet]:
    return dict(_facets)


def facet_annotations() -> dict[str, models.Expression]:
    return {name: facet.expression() for name, facet in _facets.items()}


# --- the rows -------------------------------------------------------------------------


@dataclass(slots=True)
class PortfolioRow:
    """One pilot as the portfolio shows it: its numbers, where it stands, and why."""

    pk: int
    reference: str
    name: str
    business_unit: str
    status: str
    kickoff_date: date
    launched_on: date | None  # local date of the launch; None while in intake
    production_owner_id: int | None
    production_owner: str
    programme_manager_id: int
    programme_manager: str
    success_metric: str
    success_unit: str
    success_baseline: Decimal | None
    success_target: Decimal | None
    cost_12m: Decimal | None
    latest_reading: Decimal | None
    latest_reading_on: date | None
    last_triage_on: date | None
    override_reason: str | None  # why it was launched without its five intake decisions
    facets: dict[str, str] = field(default_factory=dict)  # facet name -> value shown
    facet_values: dict[str, str | None] = field(default_factory=dict)  # the raw values
    # Deliverables
    total_count: int = 0
    closed_count: int = 0
    overdue_count: int = 0
    late_mandatory_count: int = 0
    unowned_soon_count: int = 0
    last_done_on: date | None = None  # local date of the last tick
    # Phase runs
    current_phase_number: int | None = None
    next_gate_number: int | None = None
    next_gate_name: str = ""
    next_gate_on: date | None = None
    phase_overrun: bool = False
    plan_ends_on: date | None = None
    # Judged
    day: int | None = None
    stage: str = ""
    rag: str = ""
    rag_reasons: list[str] = field(default_factory=list)
    stuck_reasons: list[str] = field(default_factory=list)

    @property
    def percent_closed(self) -> int:
        return round(100 * self.closed_count / self.total_count) if self.total_count else 0

    @property
    def last_progress_on(self) -> date | None:
        """What the no-progress rule reads: the last tick, else the launch."""
        return self.last_done_on or self.launched_on

    @property
    def rag_rank(self) -> int:
        return RAG_RANK[self.rag]

    @property
    def progress_label(self) -> str:
        """The progress bar's name for screen readers."""
        return _("%(name)s: %(percent)s%% done") % {
            "name": self.name,
            "percent": self.percent_closed,
        }

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label) if self.stage in Stage.values else self.stage

    @property
    def gap(self) -> "value.Gap | None":
        """How far the latest reading is from the target, in the metric's direction."""
        return value.gap_to_target(
            baseline=self.success_baseline,
            target=self.success_target,
            latest=self.latest_reading,
            taken_on=self.latest_reading_on,
        )

    @property
    def gap_text(self) -> str:
        gap = self.gap
        if gap is None:
            return ""
        if gap.reached:
            return _("target reached")
        text = _("%(amount)s %(unit)s to go") % {
            "amount": _number(gap.remaining),
            "unit": self.success_unit,
        }
        return text.replace("  ", " ")

    @property
    def metric_text(self) -> str:
        """baseline → target → latest, in the metric's unit; empty when not set."""
        parts = [self.success_baseline, self.success_target, self.latest_reading]
        if all(part is None for part in parts):
            return ""
        shown = " → ".join("–" if part is None else _number(part) for part in parts)
        return f"{shown} {self.success_unit}".strip()


def _number(value: Decimal) -> str:
    """1,250 and 2.4 rather than 1250.00 and 2.40 (1.250 and 2,4 in Dutch and German)."""
    return formats.number_format(value.normalize(), force_grouping=True)


def _person(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


PILOT_FIELDS = (
    "pk",
    "reference",
    "name",
    "business_unit",
    "status",
    "kickoff_date",
    "launched_on",
    "production_owner_id",
    "production_owner__first_name",
    "production_owner__last_name",
    "production_owner__username",
    "programme_manager_id",
    "programme_manager__first_name",
    "programme_manager__last_name",
    "programme_manager__username",
    "success_metric",
    "success_unit",
    "success_baseline",
    "success_target",
    "cost_12m",
    "latest_reading",
    "latest_reading_on",
    "last_triage_on",
    "override_reason",
)


def rows(pilots: QuerySet, today: date) -> list[PortfolioRow]:
    """Every pilot of `pilots` (a `for_portfolio()` queryset, filtered) as a judged row,
    in three queries. See the module docstring."""
    names = list(_facets)
    made = []
    # What a facet shows for a value, worked out (and translated) once per value.
    shown: dict[tuple[str, object], str] = {}

    def display(name: str, value) -> str:
        key = (name, value)
        if key not in shown:
            shown[key] = _facets[name].display(value)
        return shown[key]

    # Sorting happens on the judged rows, so the database need not order anything.
    for values in pilots.order_by().values_list(*PILOT_FIELDS, *names):
        facet_values = dict(zip(names, values[len(PILOT_FIELDS) :], strict=True))
        (pk, reference, name, unit, status, kickoff, launched_on, po_id, po_first, po_last,
         po_user, pm_id, pm_first, pm_last, pm_user, metric, unit_of_metric, baseline, target,
         cost, reading, reading_on, triaged_on, override) = values[: len(PILOT_FIELDS)]  # fmt: skip
        made.append(
            PortfolioRow(
                pk=pk,
                reference=reference,
                name=name,
                business_unit=unit,
                status=status,
                kickoff_date=kickoff,
                launched_on=launched_on,
                production_owner_id=po_id,
                production_owner=_person(po_first, po_last, po_user) if po_id else "",
                programme_manager_id=pm_id,
                programme_manager=_person(pm_first, pm_last, pm_user),
                success_metric=metric,
                success_unit=unit_of_metric,
                success_baseline=baseline,
                success_target=target,
                cost_12m=cost,
                latest_reading=reading,
                latest_reading_on=reading_on,
                last_triage_on=triaged_on,
                override_reason=override,
                facet_values=facet_values,
                facets={name: display(name, value) for name, value in facet_values.items()},
            )
        )
    if not made:
        return made
    by_pk = {row.pk: row for row in made}
    ids = scope(pilots)
    for pilot_id, *counts in deliverable_counts(ids, today):
        row = by_pk[pilot_id]
        (row.total_count, row.closed_count, row.overdue_count, row.late_mandatory_count,
         row.unowned_soon_count, row.last_done_on) = counts  # fmt: skip
    for pilot_id, runs in phase_runs(ids):
        add_phase_facts(by_pk[pilot_id], runs, today)
    language = translation.get_language()
    for row in made:
        judge(row, today, language)
    return made


COUNT_FIELDS = (
    "total_count",
    "closed_count",
    "overdue_count",
    "late_mandatory_count",
    "unowned_soon_count",
    "last_done_on",
)


def scope(pilots: QuerySet) -> QuerySet | None:
    """The pilots the aggregates cover, as a subquery; None when unfiltered, since every
    pilot is then in the read and the aggregates need not join back to it."""
    return pilots.values("pk") if pilots.query.has_filters() else None


def deliverable_counts(pilot_ids: QuerySet | None, today: date) -> QuerySet:
    """(pilot id, *COUNT_FIELDS) per pilot: deliverables in all, closed, overdue, mandatory
    and long overdue, due soon without an owner, and the last tick. One aggregate grouped
    by pilot."""
    from pilots.models import OPEN_STATUSES, Deliverable

    is_open = Q(status__in=OPEN_STATUSES)
    soon = today + timedelta(days=settings.NINETY_DUE_SOON_DAYS)
    deliverables = Deliverable.objects.all()
    if pilot_ids is not None:
        deliverables = deliverables.filter(pilot_id__in=pilot_ids)
    return (
        deliverables.order_by()
        .values("pilot_id")
        .annotate(
            total_count=Count("pk"),
            closed_count=Count("pk", filter=~is_open),
            overdue_count=Count("pk", filter=is_open & Q(due_date__lt=today)),
            late_mandatory_count=Count(
                "pk",
                filter=is_open
                & Q(mandatory=True, due_date__lt=today - timedelta(days=LATE_MANDATORY_DAYS)),
            ),
            unowned_soon_count=Count(
                "pk", filter=is_open & Q(owner__isnull=True, due_date__lte=soon)
            ),
            last_done_on=TruncDate(Max("done_at")),
        )
        .values_list("pilot_id", *COUNT_FIELDS)
    )


def phase_run_values(pilot_ids: QuerySet | None) -> QuerySet:
    from pilots.models import PhaseRun

    runs = PhaseRun.objects.all()
    if pilot_ids is not None:
        runs = runs.filter(pilot_id__in=pilot_ids)
    return runs.order_by("pilot_id", "number").values_list(
        "pilot_id", "number", "name", "planned_start", "planned_end", "state"
    )


def phase_runs(pilot_ids: QuerySet | None) -> Iterable[tuple[int, list[tuple]]]:
    """Each pilot's phase runs in order, as (number, name, start, end, state) tuples."""
    for pilot_id, group in groupby(phase_run_values(pilot_ids), key=itemgetter(0)):
        yield pilot_id, [run[1:] for run in group]


def add_phase_facts(row: "PortfolioRow", runs: list[tuple], today: date) -> None:
    """From a pilot's phase runs: the current phase (the last one started), the next gate
    (the first phase not signed off) and its date, whether a phase is past its end without
    sign-off, and the end of the plan."""
    from pilots.models import PhaseRun

    signed = PhaseRun.State.SIGNED_OFF
    for number, name, start, end, state in runs:
        if start <= today:
            row.current_phase_number = number
        if state != signed:
            if row.next_gate_number is None:
                row.next_gate_number, row.next_gate_name, row.next_gate_on = number, name, end
            if end < today:
                row.phase_overrun = True
    row.plan_ends_on = max(run[3] for run in runs)


# --- the rules --------------------------------------------------------------------------


def judge(row: PortfolioRow, today: date, language: str | None = None) -> None:
    """Fill in the row's day, stage, purgatory reasons, RAG and the reasons for it, in
    `language` (the active one unless given: rows() looks it up once, not per pilot)."""
    from pilots.models import Pilot

    running = row.status == Pilot.Status.ACTIVE
    row.day = (today - row.kickoff_date).days + 1 if row.launched_on else None
    row.stage = stage_of(row) if running else row.status
    language = language or translation.get_language()
    row.stuck_reasons = [
        _in_language(language, reason.label) for reason in purgatory.judge(row, today).reasons
    ]
    row.rag = rag_of(row) if running else ""
    row.rag_reasons = rag_reasons(row, language)


# A thousand pilots share a handful of reasons: each is translated once per language and
# number, not once per pilot (a catalogue lookup per pilot was a tenth of the page).
@lru_cache(maxsize=1024)
def _in_language(language: str | None, text) -> str:
    with translation.override(language):
        return str(text)


# Plural by the number of deliverables; `days` (LATE_MANDATORY_DAYS) is above one.
COUNTED_REASONS = {
    "late_mandatory": ngettext_lazy(
        "%(count)s mandatory deliverable(s) more than %(days)s days overdue",
        "%(count)s mandatory deliverable(s) more than %(days)s days overdue",
        "count",
    ),
    "overdue": ngettext_lazy(
        "%(count)s deliverable(s) overdue", "%(count)s deliverable(s) overdue", "count"
    ),
    "unowned_soon": ngettext_lazy(
        "%(count)s deliverable(s) due soon with no owner",
        "%(count)s deliverable(s) due soon with no owner",
        "count",
    ),
}


@lru_cache(maxsize=1024)
def _counted(language: str | None, key: str, count: int) -> str:
    with translation.override(language):
        return COUNTED_REASONS[key] % {"count": count, "days": LATE_MANDATORY_DAYS}


@lru_cache(maxsize=1024)
def _purgatory_reason(language: str | None, reason: str) -> str:
    with translation.override(language):
        # Translators: reason is a purgatory reason with its first letter made lower case.
        return _("In purgatory: %(reason)s") % {"reason": f"{reason[0].lower()}{reason[1:]}"}


def stage_of(row: PortfolioRow) -> str:
    """A running pilot's stage is its current phase; launched but before its kickoff date
    counts as Foundation."""
    return {2: Stage.INTEGRATION, 3: Stage.SCALE}.get(row.current_phase_number, Stage.FOUNDATION)


def rag_of(row: PortfolioRow) -> str:
    if row.late_mandatory_count or row.phase_overrun or row.stuck_reasons:
        return Rag.RED
    if row.overdue_count or row.unowned_soon_count:
        return Rag.AMBER
    return Rag.GREEN


def rag_reasons(row: PortfolioRow, language: str | None = None) -> list[str]:
    """Why a running pilot is red or amber, in words (empty when green or not running).

    An overdue gate is the purgatory reason "phase running past its end", said once.
    """
    if row.rag not in (Rag.RED, Rag.AMBER):
        return []
    language = language or translation.get_language()
    reasons = []
    if row.late_mandatory_count:
        reasons.append(_counted(language, "late_mandatory", row.late_mandatory_count))
    reasons.extend(_purgatory_reason(language, reason) for reason in row.stuck_reasons)
    if row.overdue_count and not reasons:
        reasons.append(_counted(language, "overdue", row.overdue_count))
    if row.unowned_soon_count:
        reasons.append(_counted(language, "unowned_soon", row.unowned_soon_count))
    return reasons


# --- the summary over every row ------------------------------------------------------------


@dataclass
class Summary:
    pilots: int = 0
    stages: Counter = field(default_factory=Counter)
    rag: Counter = field(default_factory=Counter)
    stuck: list[PortfolioRow] = field(default_factory=list)
    overdue: int = 0
    cost_12m: Decimal | None = None  # None until at least one pilot is costed
    costed: int = 0
    triaged: int = 0  # pilots with a triage decision on record
    last_triage_on: date | None = None
    overridden: int = 0  # pilots launched without their five intake decisions

    @property
    def production_share(self) -> int:
        """Percent of the pilots shown that reached production."""
        if not self.pilots:
            return 0
        return round(100 * self.stages[Stage.IN_PRODUCTION] / self.pilots)

    @property
    def funnel(self) -> list[tuple[Stage, int]]:
        return [(stage, self.stages[stage.value]) for stage in Stage]


def summarise(rows: Iterable[PortfolioRow]) -> Summary:
    summary = Summary()
    for row in rows:
        summary.pilots += 1
        summary.stages[row.stage] += 1
        if row.rag:
            summary.rag[row.rag] += 1
            summary.overdue += row.overdue_count
        if row.stuck_reasons:
            summary.stuck.append(row)
        if row.last_triage_on is not None:
            summary.triaged += 1
            summary.last_triage_on = max(summary.last_triage_on or date.min, row.last_triage_on)
        summary.overridden += bool(row.override_reason)
        if row.cost_12m is not None:
            summary.costed += 1
            summary.cost_12m = (summary.cost_12m or 0) + row.cost_12m
    # The most stuck first: most reasons, then longest without progress.
    summary.stuck.sort(key=lambda row: (-len(row.stuck_reasons), row.last_progress_on or date.min))
    return summary


# --- sorting ------------------------------------------------------------------------------


def sort_rows(rows: list[PortfolioRow], keys: Iterable[str], descending: bool) -> None:
    """Sort in place by attribute names ("-name" reverses one key); `descending` reverses
    them all. Unknown values (no gate, no cost) go last either way; text ignores case."""
    for key in reversed(list(keys)):
        name = key.removeprefix("-")
        reverse = key.startswith("-") != descending

        def value(row, name=name, reverse=reverse):
            found = getattr(row, name)
            if isinstance(found, str):
                found = found.casefold()
            # Missing sorts after present: (True, …) > (False, …), flipped when reversed.
            return (found is None) != reverse, found

        rows.sort(key=value, reverse=reverse)
