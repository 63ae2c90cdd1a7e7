"""What every playbook service shares: the refusals, the draft lock, snapshots for the
audit trail, renumbering and the day checks."""

from django.db import models
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from playbook.models import (
    DeliverableKind,
    Phase,
    Playbook,
)
from playbook.schema import Problem


class ChangeRefused(Exception):
    """The change breaks a rule; the message is fit to show the user."""


class DraftExists(ChangeRefused):
    """A playbook has at most one draft at a time: it takes the next version number."""

    def __init__(self, draft: Playbook):
        super().__init__(
            _(
                "“%(name)s” already has a draft, version %(version)s. Continue with that "
                "draft, or discard it first."
            )
            % {"name": draft.name, "version": draft.version}
        )
        self.draft = draft


class PublishRefused(ChangeRefused):
    def __init__(self, problems: list[Problem]):
        count = len(problems)
        message = ngettext(
            "This draft has %(count)s problem to fix before it can be published.",
            "This draft has %(count)s problems to fix before it can be published.",
            count,
        )
        super().__init__(message % {"count": count})
        self.problems = problems


class Direction(models.TextChoices):
    UP = "up", gettext_lazy("Up")
    DOWN = "down", gettext_lazy("Down")


# Numbers are unique per parent at every statement, so renumbering first moves the rows
# out of the way (numbers stay far below the field's 32767 ceiling).
RENUMBER_OFFSET = 10_000

PLAYBOOK_FIELDS = ("name", "description", "length_days", "escalation_days")
PHASE_FIELDS = ("name", "purpose", "start_day", "end_day", "gate_signers")
TEMPLATE_FIELDS = (
    "title",
    "guidance",
    "workstream",
    "dimension",
    "kind",
    "readiness_area",
    "start_day",
    "due_day",
    "mandatory",
    "evidence_required",
    "suggested_owner_role",
)


def lock_draft(playbook_id: int) -> Playbook:
    playbook = Playbook.objects.select_for_update().get(pk=playbook_id)
    playbook.ensure_editable()
    return playbook


def snapshot(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    names = [name for name in after if before.get(name) != after[name]]
    return {n: before.get(n) for n in names}, {n: after[n] for n in names}


def renumber(model: type[models.Model], rows: list, field: str) -> None:
    """Number `rows` (all the children of one parent) 1..n in list order."""
    if not rows:
        return
    model.objects.filter(pk__in=[row.pk for row in rows]).update(
        **{field: F(field) + RENUMBER_OFFSET}
    )
    for number, row in enumerate(rows, start=1):
        setattr(row, field, number)
    model.objects.bulk_update(rows, [field])


def moved(rows: list, row, direction: str) -> list | None:
    """`rows` with `row` swapped with its neighbour, or None at the end of the list."""
    index = next(i for i, r in enumerate(rows) if r.pk == row.pk)
    other = index - 1 if direction == Direction.UP else index + 1
    if not 0 <= other < len(rows):
        return None
    rows[index], rows[other] = rows[other], rows[index]
    return rows


def check_phase_days(*, start_day: int, end_day: int, length_days: int) -> None:
    if not 1 <= start_day <= end_day:
        raise ChangeRefused(_("A phase ends on or after the day it starts, from day 1."))
    if end_day > length_days:
        message = ngettext(
            "The playbook is %(days)s day long; end the phase by then.",
            "The playbook is %(days)s days long; end the phase by then.",
            length_days,
        )
        raise ChangeRefused(message % {"days": length_days})


def check_template_days(*, start_day: int, due_day: int, phase: Phase) -> None:
    if not 1 <= start_day <= due_day:
        raise ChangeRefused(_("The due day is on or after the start day."))
    if not phase.start_day <= start_day <= due_day <= phase.end_day:
        raise ChangeRefused(
            _("%(phase)s runs from day %(start)s to day %(end)s; plan the deliverable inside it.")
            % {"phase": phase.name, "start": phase.start_day, "end": phase.end_day}
        )


def check_area(*, kind: str, readiness_area: str) -> None:
    if kind == DeliverableKind.READINESS_CHECK and not readiness_area:
        raise ChangeRefused(_("A readiness check needs its area."))
    if kind != DeliverableKind.READINESS_CHECK and readiness_area:
        raise ChangeRefused(_("Only readiness checks have an area."))


# -- versions ---------------------------------------------------------------------------
