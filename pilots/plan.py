"""Shape a pilot's deliverables for reading: by phase, by week window, with progress.

Pure functions over rows already loaded, so the pilot page and the htmx fragments that
refresh parts of it compute the same numbers without further queries.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilots.models import Deliverable, PhaseRun, Pilot
from pilots.row_links import RowLinks


@dataclass
class Progress:
    total: int = 0
    closed: int = 0  # done or waived
    overdue: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 0

    def add(self, deliverable: Deliverable, today: date) -> None:
        self.total += 1
        self.closed += not deliverable.is_open
        self.overdue += deliverable.is_overdue(today)


@dataclass
class Workstream:
    label: str
    deliverables: list[Deliverable] = field(default_factory=list)


@dataclass
class PhaseBlock:
    run: PhaseRun
    progress: Progress = field(default_factory=Progress)
    workstreams: list[Workstream] = field(default_factory=list)
    is_current: bool = False


@dataclass
class PilotPlan:
    phases: list[PhaseBlock]
    progress: Progress
    current: PhaseBlock | None

    @property
    def all_deliverables(self) -> list[Deliverable]:
        return [d for block in self.phases for ws in block.workstreams for d in ws.deliverables]


def build_plan(
    runs: Iterable[PhaseRun], deliverables: Iterable[Deliverable], today: date
) -> PilotPlan:
    blocks = {run.pk: PhaseBlock(run=run) for run in runs}
    overall = Progress()
    for deliverable in deliverables:
        block = blocks[deliverable.phase_run_id]
        block.progress.add(deliverable, today)
        overall.add(deliverable, today)
        if not block.workstreams or block.workstreams[-1].label != deliverable.workstream:
            block.workstreams.append(Workstream(deliverable.workstream))
        block.workstreams[-1].deliverables.append(deliverable)
    return _plan(blocks.values(), overall, today)


def progress_plan(
    runs: Iterable[PhaseRun], counts: dict[int, dict[str, int]], today: date
) -> PilotPlan:
    """The plan's progress without its rows, from Deliverable.objects.progress_by_phase():
    what the progress bars need after a tick, without loading every deliverable."""
    blocks = [PhaseBlock(run=run, progress=Progress(**counts.get(run.pk, {}))) for run in runs]
    overall = Progress(
        total=sum(b.progress.total for b in blocks),
        closed=sum(b.progress.closed for b in blocks),
        overdue=sum(b.progress.overdue for b in blocks),
    )
    return _plan(blocks, overall, today)


def _plan(blocks: Iterable[PhaseBlock], overall: Progress, today: date) -> PilotPlan:
    ordered = sorted(blocks, key=lambda b: b.run.number)
    current = current_phase(ordered, today)
    if current:
        current.is_current = True
    return PilotPlan(phases=ordered, progress=overall, current=current)


def current_phase(blocks: list[PhaseBlock], today: date) -> PhaseBlock | None:
    """The latest phase that has started by the calendar; the first one before day 1."""
    started = [b for b in blocks if b.run.planned_start <= today]
    if started:
        return started[-1]
    return blocks[0] if blocks else None


def day_label(pilot: Pilot, today: date) -> str:
    if not pilot.is_launched:
        return _("Not launched")
    day = pilot.day_number(today)
    if day < 1:
        days_to_go = 1 - day
        return ngettext("Starts in %(days)s day", "Starts in %(days)s days", days_to_go) % {
            "days": days_to_go
        }
    length = pilot.playbook.length_days
    if day > length:
        return _("Day %(day)s · %(over)s past day %(length)s") % {
            "day": day,
            "over": day - length,
            "length": length,
        }
    return _("Day %(day)s of %(length)s") % {"day": day, "length": length}


def mark_row(deliverable: Deliverable, today: date, *, tickable: bool, links: RowLinks) -> None:
    """Set what a deliverable row shows beyond its fields: late or due soon, whether the
    reader may tick it, its links, and what a screen reader hears when htmx replaces
    the row.

    Done here, once per row, because the same work in the row template (a translation
    tag, a choices lookup) was a measurable share of the pilot page's time.
    """
    deliverable.overdue = deliverable.is_overdue(today)
    deliverable.due_soon = deliverable.is_due_soon(today)
    deliverable.tickable = tickable
    deliverable.links = links.of(deliverable)
    deliverable.announce = _("“%(title)s”: %(status)s") % {
        "title": deliverable.title,
        "status": deliverable.get_status_display(),
    }


def due_groups(deliverables: Iterable[Deliverable], today: date) -> dict[str, list[Deliverable]]:
    """My work's grouping: overdue, due within the next seven days, and later."""
    week_end = today + timedelta(days=6)
    groups: dict[str, list[Deliverable]] = {"overdue": [], "this_week": [], "later": []}
    for deliverable in deliverables:
        if deliverable.due_date < today:
            groups["overdue"].append(deliverable)
        elif deliverable.due_date <= week_end:
            groups["this_week"].append(deliverable)
        else:
            groups["later"].append(deliverable)
    return groups
