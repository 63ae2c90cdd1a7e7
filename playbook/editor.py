"""The playbook page as one read: a version with its phases, deliverables and gate criteria,
and for a draft the problems that stand between it and publishing, each pinned to the row
it concerns. Costs the same few queries however large the playbook grows."""

from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from playbook.models import Phase, Playbook, SignerRole
from playbook.schema import Problem
from playbook.services import draft_problems

FIELD_LABELS = {
    "start_day": _("Start day"),
    "end_day": _("Last day"),
    "due_day": _("Due day"),
    "readiness_area": _("Readiness area"),
    "length_days": _("Length"),
    "phases": _("Phases"),
    "number": _("Number"),
    "key": _("Key"),
}


@dataclass(frozen=True)
class Flag:
    """A problem as the editor shows it: where (a row's anchor and a label) and what."""

    anchor: str
    label: str
    message: str


@dataclass
class PlaybookPage:
    playbook: Playbook
    phases: list[Phase]
    flags: list[Flag] = field(default_factory=list)

    @property
    def template_count(self) -> int:
        return sum(len(phase.items) for phase in self.phases)

    def flags_for(self, anchor: str) -> list[str]:
        return [f.message for f in self.flags if f.anchor == anchor]

    def phase(self, pk: int) -> Phase:
        return next(phase for phase in self.phases if phase.pk == pk)

    def template_row(self, pk: int):
        return next(t for phase in self.phases for t in phase.items if t.pk == pk)

    def criterion_row(self, pk: int):
        return next(c for phase in self.phases for c in phase.criteria if c.pk == pk)


def load_page(playbook: Playbook) -> PlaybookPage:
    """`playbook` must come from `Playbook.objects.for_editor()`."""
    phases = list(playbook.phases.all())
    for phase in phases:
        phase.items = list(phase.templates.all())
        phase.criteria = list(phase.gate_criteria.all())
        phase.signer_labels = [SignerRole(v).label for v in phase.gate_signers]
        for rows in (phase.items, phase.criteria):
            for i, row in enumerate(rows):
                row.is_first, row.is_last = i == 0, i == len(rows) - 1
        phase.is_first = phase is phases[0]
        phase.is_last = phase is phases[-1]
    page = PlaybookPage(playbook, phases)
    if playbook.is_draft:
        page.flags = [_flag(problem, phases) for problem in draft_problems(playbook)]
    for phase in phases:
        phase.flags = page.flags_for(f"phase-{phase.pk}")
        for template in phase.items:
            template.flags = page.flags_for(f"template-{template.pk}")
    return page


def _flag(problem: Problem, phases: list[Phase]) -> Flag:
    path = problem.path
    field_name = str(path[-1]) if path and isinstance(path[-1], str) else ""
    # Messages about days say which days; only the terse ones need the field named.
    what = FIELD_LABELS.get(field_name, "")
    message = problem.message
    if what and problem.predicate:
        # Translators: a field's name and what is wrong with it, e.g. "Start day is missing".
        message = gettext("%(field)s %(problem)s") % {"field": what, "problem": message}
    if len(path) >= 2 and path[0] == "phases" and isinstance(path[1], int):
        phase = phases[path[1]]
        if len(path) >= 4 and path[2] == "deliverables" and isinstance(path[3], int):
            template = phase.items[path[3]]
            return Flag(f"template-{template.pk}", f"{phase.name} · {template.title}", message)
        if len(path) >= 4 and path[2] == "gate_criteria" and isinstance(path[3], int):
            criterion = phase.criteria[path[3]]
            label = gettext("%(phase)s · gate criterion") % {"phase": phase.name}
            return Flag(f"criterion-{criterion.pk}", label, message)
        label = gettext("Phase %(number)s · %(name)s") % {
            "number": phase.number,
            "name": phase.name,
        }
        return Flag(f"phase-{phase.pk}", label, message)
    return Flag("playbook-head", gettext("The playbook"), message)
