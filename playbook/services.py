"""Every change to a playbook. Views call these; after a version is built nothing else
writes its rows.

A change to a version's content locks the version's row and refuses anything but a draft
(`Playbook.ensure_editable`), so a published version cannot change, whoever calls. Each
service announces its change (playbook.signals) inside its transaction, for the audit
trail. Items keep their numbering 1..n per parent: every insert, delete and move renumbers.
"""

from django.db import IntegrityError, models, transaction
from django.db.models import F, Max
from django.db.models.deletion import ProtectedError

from playbook.loading import build_version, playbook_as_data, read_document
from playbook.models import (
    DeliverableKind,
    DeliverableTemplate,
    GateCriterion,
    Phase,
    Playbook,
    new_key,
)
from playbook.schema import Problem, check_playbook
from playbook.signals import announce


class ChangeRefused(Exception):
    """The change breaks a rule; the message is fit to show the user."""


class DraftExists(ChangeRefused):
    """A playbook has at most one draft at a time: it takes the next version number."""

    def __init__(self, draft: Playbook):
        super().__init__(
            f"“{draft.name}” already has a draft, version {draft.version}. Continue with that "
            "draft, or discard it first."
        )
        self.draft = draft


class PublishRefused(ChangeRefused):
    def __init__(self, problems: list[Problem]):
        count = len(problems)
        super().__init__(
            f"This draft has {count} problem{'s' if count != 1 else ''} to fix before it can "
            "be published."
        )
        self.problems = problems


class Direction(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


# Numbers are unique per parent at every statement, so renumbering first moves the rows
# out of the way (numbers stay far below the field's 32767 ceiling).
_RENUMBER_OFFSET = 10_000

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


def _lock_draft(playbook_id: int) -> Playbook:
    playbook = Playbook.objects.select_for_update().get(pk=playbook_id)
    playbook.ensure_editable()
    return playbook


def _snapshot(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    names = [name for name in after if before.get(name) != after[name]]
    return {n: before.get(n) for n in names}, {n: after[n] for n in names}


def _renumber(model: type[models.Model], rows: list, field: str) -> None:
    """Number `rows` (all the children of one parent) 1..n in list order."""
    if not rows:
        return
    model.objects.filter(pk__in=[row.pk for row in rows]).update(
        **{field: F(field) + _RENUMBER_OFFSET}
    )
    for number, row in enumerate(rows, start=1):
        setattr(row, field, number)
    model.objects.bulk_update(rows, [field])


def _moved(rows: list, row, direction: str) -> list | None:
    """`rows` with `row` swapped with its neighbour, or None at the end of the list."""
    index = next(i for i, r in enumerate(rows) if r.pk == row.pk)
    other = index - 1 if direction == Direction.UP else index + 1
    if not 0 <= other < len(rows):
        return None
    rows[index], rows[other] = rows[other], rows[index]
    return rows


def _check_phase_days(*, start_day: int, end_day: int, length_days: int) -> None:
    if not 1 <= start_day <= end_day:
        raise ChangeRefused("A phase ends on or after the day it starts, from day 1.")
    if end_day > length_days:
        raise ChangeRefused(f"The playbook is {length_days} days long; end the phase by then.")


def _check_template_days(*, start_day: int, due_day: int, phase: Phase) -> None:
    if not 1 <= start_day <= due_day:
        raise ChangeRefused("The due day is on or after the start day.")
    if not phase.start_day <= start_day <= due_day <= phase.end_day:
        raise ChangeRefused(
            f"{phase.name} runs from day {phase.start_day} to day {phase.end_day}; "
            "plan the deliverable inside it."
        )


def _check_area(*, kind: str, readiness_area: str) -> None:
    if kind == DeliverableKind.READINESS_CHECK and not readiness_area:
        raise ChangeRefused("A readiness check needs its area.")
    if kind != DeliverableKind.READINESS_CHECK and readiness_area:
        raise ChangeRefused("Only readiness checks have an area.")


# -- versions ---------------------------------------------------------------------------


def _next_version(slug: str) -> int:
    return (Playbook.objects.filter(slug=slug).aggregate(top=Max("version"))["top"] or 0) + 1


def _existing_draft(slug: str) -> Playbook | None:
    return Playbook.objects.filter(slug=slug, status=Playbook.Status.DRAFT).first()


def playbook_clone(*, source: Playbook, actor) -> Playbook:
    """A new draft version of `source`'s playbook with the same content, items keeping their
    keys so the diff can follow them."""
    if source.is_draft:
        raise ChangeRefused("A draft is edited directly; publish it before starting another.")
    draft = _existing_draft(source.slug)
    if draft:
        raise DraftExists(draft)
    data = playbook_as_data(Playbook.objects.for_editor().get(pk=source.pk))
    try:
        with transaction.atomic():
            playbook = build_version(
                data,
                slug=source.slug,
                version=_next_version(source.slug),
                status=Playbook.Status.DRAFT,
                based_on=source,
            )
            announce(
                actor=actor,
                verb="playbook.cloned",
                target=playbook,
                playbook=playbook,
                after={"based_on_version": source.version, "version": playbook.version},
            )
    except IntegrityError as exc:
        # Someone started a draft of the same playbook at the same moment.
        draft = _existing_draft(source.slug)
        if draft:
            raise DraftExists(draft) from exc
        raise
    return playbook


@transaction.atomic
def playbook_update(
    *,
    playbook: Playbook,
    actor,
    name: str,
    description: str,
    length_days: int,
    escalation_days: int,
) -> Playbook:
    locked = _lock_draft(playbook.pk)
    if not 1 <= length_days <= 366:
        raise ChangeRefused("A playbook lasts between 1 and 366 days.")
    before = _snapshot(locked, PLAYBOOK_FIELDS)
    locked.name, locked.description = name, description
    locked.length_days, locked.escalation_days = length_days, escalation_days
    locked.save(update_fields=list(PLAYBOOK_FIELDS))
    old, new = _changed(before, _snapshot(locked, PLAYBOOK_FIELDS))
    announce(
        actor=actor, verb="playbook.changed", target=locked, playbook=locked, before=old, after=new
    )
    return locked


def draft_problems(playbook: Playbook) -> list[Problem]:
    """What stands between a draft and publishing: the rules an imported file must meet.
    `playbook` should come from `Playbook.objects.for_editor()`."""
    return check_playbook(playbook_as_data(playbook))


@transaction.atomic
def playbook_publish(*, playbook: Playbook, actor, make_default: bool) -> Playbook:
    """Publish a draft as its version; from now on it never changes. Pilots running on older
    versions keep them; new pilots may choose this one (the default, if `make_default`)."""
    locked = _lock_draft(playbook.pk)
    problems = draft_problems(Playbook.objects.for_editor().get(pk=locked.pk))
    if problems:
        raise PublishRefused(problems)
    if make_default:
        Playbook.objects.filter(is_default=True).exclude(pk=locked.pk).update(is_default=False)
        locked.is_default = True
    locked.status = Playbook.Status.PUBLISHED
    locked.save(update_fields=["status", "is_default"])
    announce(
        actor=actor,
        verb="playbook.published",
        target=locked,
        playbook=locked,
        before={"status": Playbook.Status.DRAFT},
        after={"status": locked.status, "is_default": locked.is_default},
    )
    return locked


@transaction.atomic
def playbook_discard(*, playbook: Playbook, actor) -> None:
    locked = _lock_draft(playbook.pk)
    announce(
        actor=actor,
        verb="playbook.discarded",
        target=locked,
        playbook=locked,
        before={"version": locked.version, "status": locked.status},
    )
    try:
        with transaction.atomic():
            Playbook.objects.filter(pk=locked.pk).delete()
    except ProtectedError as exc:
        raise ChangeRefused("Pilots use this draft, so it cannot be discarded.") from exc


@transaction.atomic
def playbook_retire(*, playbook: Playbook, actor) -> Playbook:
    """Take a published version off the list new pilots choose from; pilots on it go on."""
    locked = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if locked.status != Playbook.Status.PUBLISHED:
        raise ChangeRefused("Only a published version can be retired.")
    if locked.is_default:
        raise ChangeRefused(
            "This is the default playbook for new pilots. Make another version the default "
            "before retiring this one."
        )
    locked.status = Playbook.Status.RETIRED
    locked.save(update_fields=["status"])
    announce(
        actor=actor,
        verb="playbook.retired",
        target=locked,
        playbook=locked,
        before={"status": Playbook.Status.PUBLISHED},
        after={"status": locked.status},
    )
    return locked


@transaction.atomic
def playbook_make_default(*, playbook: Playbook, actor) -> Playbook:
    locked = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if locked.status != Playbook.Status.PUBLISHED:
        raise ChangeRefused("Only a published version can be the default for new pilots.")
    previous = Playbook.objects.filter(is_default=True).exclude(pk=locked.pk).first()
    Playbook.objects.filter(is_default=True).exclude(pk=locked.pk).update(is_default=False)
    locked.is_default = True
    locked.save(update_fields=["is_default"])
    announce(
        actor=actor,
        verb="playbook.made_default",
        target=locked,
        playbook=locked,
        before={"default": str(previous) if previous else None},
        after={"default": str(locked)},
    )
    return locked


def playbook_import(*, text: str, fmt: str, actor) -> Playbook:
    """A checked file as a new draft, all or nothing (PlaybookFileError lists the problems).

    A file whose slug is new starts a playbook at version 1. Otherwise the draft takes the
    next version and is based on the version the file names (as an export does), or on
    the latest one, so its diff shows what the file changes.
    """
    data = read_document(text, fmt)
    slug = data["slug"]
    draft = _existing_draft(slug)
    if draft:
        raise DraftExists(draft)
    others = Playbook.objects.filter(slug=slug).exclude(status=Playbook.Status.DRAFT)
    based_on = (
        others.filter(version=data.get("version")).first() or others.order_by("-version").first()
    )
    try:
        with transaction.atomic():
            playbook = build_version(
                data,
                slug=slug,
                version=_next_version(slug),
                status=Playbook.Status.DRAFT,
                based_on=based_on,
            )
            announce(
                actor=actor,
                verb="playbook.imported",
                target=playbook,
                playbook=playbook,
                after={
                    "version": playbook.version,
                    "based_on_version": based_on.version if based_on else None,
                },
            )
    except IntegrityError as exc:
        raise ChangeRefused(
            "Someone changed this playbook at the same moment. Nothing was imported; try again."
        ) from exc
    return playbook


# -- phases -----------------------------------------------------------------------------


@transaction.atomic
def phase_create(
    *,
    playbook: Playbook,
    actor,
    name: str,
    purpose: str,
    start_day: int,
    end_day: int,
    gate_signers: list[str],
) -> Phase:
    locked = _lock_draft(playbook.pk)
    _check_phase_days(start_day=start_day, end_day=end_day, length_days=locked.length_days)
    phase = Phase.objects.create(
        playbook=locked,
        key=new_key(),
        number=locked.phases.count() + 1,
        name=name,
        purpose=purpose,
        start_day=start_day,
        end_day=end_day,
        gate_signers=list(gate_signers),
    )
    announce(
        actor=actor,
        verb="phase.added",
        target=phase,
        playbook=locked,
        after=_snapshot(phase, ("number", *PHASE_FIELDS)),
    )
    return phase


@transaction.atomic
def phase_update(
    *,
    phase: Phase,
    actor,
    name: str,
    purpose: str,
    start_day: int,
    end_day: int,
    gate_signers: list[str],
) -> Phase:
    locked = _lock_draft(phase.playbook_id)
    _check_phase_days(start_day=start_day, end_day=end_day, length_days=locked.length_days)
    phase = Phase.objects.get(pk=phase.pk)
    before = _snapshot(phase, PHASE_FIELDS)
    phase.name, phase.purpose = name, purpose
    phase.start_day, phase.end_day = start_day, end_day
    phase.gate_signers = list(gate_signers)
    phase.save(update_fields=list(PHASE_FIELDS))
    old, new = _changed(before, _snapshot(phase, PHASE_FIELDS))
    announce(
        actor=actor, verb="phase.changed", target=phase, playbook=locked, before=old, after=new
    )
    return phase


@transaction.atomic
def phase_delete(*, phase: Phase, actor) -> None:
    """Delete a phase with its deliverables and gate criteria; the others close the gap."""
    locked = _lock_draft(phase.playbook_id)
    announce(
        actor=actor,
        verb="phase.deleted",
        target=phase,
        playbook=locked,
        before=_snapshot(phase, ("number", *PHASE_FIELDS)),
    )
    Phase.objects.filter(pk=phase.pk).delete()
    _renumber(Phase, list(locked.phases.order_by("number")), "number")


@transaction.atomic
def phase_move(*, phase: Phase, actor, direction: str) -> None:
    locked = _lock_draft(phase.playbook_id)
    rows = _moved(list(locked.phases.order_by("number")), phase, direction)
    if rows is None:
        return
    _renumber(Phase, rows, "number")
    announce(
        actor=actor,
        verb="phase.moved",
        target=phase,
        playbook=locked,
        before={"number": phase.number},
        after={"number": next(r.number for r in rows if r.pk == phase.pk)},
    )


# -- deliverable templates --------------------------------------------------------------


@transaction.atomic
def deliverable_template_create(
    *,
    phase: Phase,
    actor,
    title: str,
    guidance: str,
    workstream: str,
    dimension: str,
    kind: str,
    readiness_area: str,
    start_day: int,
    due_day: int,
    mandatory: bool,
    evidence_required: bool,
    suggested_owner_role: str,
) -> DeliverableTemplate:
    locked = _lock_draft(phase.playbook_id)
    phase = Phase.objects.get(pk=phase.pk)
    _check_template_days(start_day=start_day, due_day=due_day, phase=phase)
    _check_area(kind=kind, readiness_area=readiness_area)
    top = phase.templates.aggregate(top=Max("order"))["top"] or 0
    template = DeliverableTemplate.objects.create(
        phase=phase,
        key=new_key(),
        order=top + 1,
        title=title,
        guidance=guidance,
        workstream=workstream,
        dimension=dimension,
        kind=kind,
        readiness_area=readiness_area,
        start_day=start_day,
        due_day=due_day,
        mandatory=mandatory,
        evidence_required=evidence_required,
        suggested_owner_role=suggested_owner_role,
    )
    announce(
        actor=actor,
        verb="deliverable_template.added",
        target=template,
        playbook=locked,
        after={"phase": phase.name, **_snapshot(template, TEMPLATE_FIELDS)},
    )
    return template


@transaction.atomic
def deliverable_template_update(
    *,
    template: DeliverableTemplate,
    actor,
    phase: Phase,
    title: str,
    guidance: str,
    workstream: str,
    dimension: str,
    kind: str,
    readiness_area: str,
    start_day: int,
    due_day: int,
    mandatory: bool,
    evidence_required: bool,
    suggested_owner_role: str,
) -> DeliverableTemplate:
    """Change a deliverable; a new `phase` moves it to the end of that phase."""
    template = DeliverableTemplate.objects.select_related("phase").get(pk=template.pk)
    locked = _lock_draft(template.phase.playbook_id)
    target = Phase.objects.filter(pk=phase.pk, playbook=locked).first()
    if target is None:
        raise ChangeRefused("That phase is not part of this playbook.")
    _check_template_days(start_day=start_day, due_day=due_day, phase=target)
    _check_area(kind=kind, readiness_area=readiness_area)
    before = {"phase": template.phase.name, **_snapshot(template, TEMPLATE_FIELDS)}
    old_phase = template.phase
    fields = dict(
        title=title,
        guidance=guidance,
        workstream=workstream,
        dimension=dimension,
        kind=kind,
        readiness_area=readiness_area,
        start_day=start_day,
        due_day=due_day,
        mandatory=mandatory,
        evidence_required=evidence_required,
        suggested_owner_role=suggested_owner_role,
    )
    for name, value in fields.items():
        setattr(template, name, value)
    update_fields = list(TEMPLATE_FIELDS)
    if target.pk != old_phase.pk:
        top = target.templates.aggregate(top=Max("order"))["top"] or 0
        template.phase, template.order = target, top + 1
        update_fields += ["phase", "order"]
    template.save(update_fields=update_fields)
    if target.pk != old_phase.pk:
        _renumber(DeliverableTemplate, list(old_phase.templates.order_by("order")), "order")
    old, new = _changed(before, {"phase": target.name, **_snapshot(template, TEMPLATE_FIELDS)})
    announce(
        actor=actor,
        verb="deliverable_template.changed",
        target=template,
        playbook=locked,
        before=old,
        after=new,
    )
    return template


@transaction.atomic
def deliverable_template_delete(*, template: DeliverableTemplate, actor) -> None:
    template = DeliverableTemplate.objects.select_related("phase").get(pk=template.pk)
    locked = _lock_draft(template.phase.playbook_id)
    announce(
        actor=actor,
        verb="deliverable_template.deleted",
        target=template,
        playbook=locked,
        before={"phase": template.phase.name, **_snapshot(template, TEMPLATE_FIELDS)},
    )
    DeliverableTemplate.objects.filter(pk=template.pk).delete()
    _renumber(DeliverableTemplate, list(template.phase.templates.order_by("order")), "order")


@transaction.atomic
def deliverable_template_move(*, template: DeliverableTemplate, actor, direction: str) -> None:
    template = DeliverableTemplate.objects.select_related("phase").get(pk=template.pk)
    locked = _lock_draft(template.phase.playbook_id)
    rows = _moved(list(template.phase.templates.order_by("order")), template, direction)
    if rows is None:
        return
    _renumber(DeliverableTemplate, rows, "order")
    announce(
        actor=actor,
        verb="deliverable_template.moved",
        target=template,
        playbook=locked,
        before={"order": template.order},
        after={"order": next(r.order for r in rows if r.pk == template.pk)},
    )


# -- gate criteria ----------------------------------------------------------------------


@transaction.atomic
def gate_criterion_create(*, phase: Phase, actor, statement: str) -> GateCriterion:
    locked = _lock_draft(phase.playbook_id)
    top = GateCriterion.objects.filter(phase=phase).aggregate(top=Max("order"))["top"] or 0
    criterion = GateCriterion.objects.create(
        phase=phase, key=new_key(), order=top + 1, statement=statement
    )
    announce(
        actor=actor,
        verb="gate_criterion.added",
        target=criterion,
        playbook=locked,
        after={"phase": phase.name, "statement": statement},
    )
    return criterion


@transaction.atomic
def gate_criterion_update(*, criterion: GateCriterion, actor, statement: str) -> GateCriterion:
    criterion = GateCriterion.objects.select_related("phase").get(pk=criterion.pk)
    locked = _lock_draft(criterion.phase.playbook_id)
    before = {"statement": criterion.statement}
    criterion.statement = statement
    criterion.save(update_fields=["statement"])
    old, new = _changed(before, {"statement": statement})
    announce(
        actor=actor,
        verb="gate_criterion.changed",
        target=criterion,
        playbook=locked,
        before=old,
        after=new,
    )
    return criterion


@transaction.atomic
def gate_criterion_delete(*, criterion: GateCriterion, actor) -> None:
    criterion = GateCriterion.objects.select_related("phase").get(pk=criterion.pk)
    locked = _lock_draft(criterion.phase.playbook_id)
    announce(
        actor=actor,
        verb="gate_criterion.deleted",
        target=criterion,
        playbook=locked,
        before={"phase": criterion.phase.name, "statement": criterion.statement},
    )
    GateCriterion.objects.filter(pk=criterion.pk).delete()
    _renumber(GateCriterion, list(criterion.phase.gate_criteria.order_by("order")), "order")


@transaction.atomic
def gate_criterion_move(*, criterion: GateCriterion, actor, direction: str) -> None:
    criterion = GateCriterion.objects.select_related("phase").get(pk=criterion.pk)
    locked = _lock_draft(criterion.phase.playbook_id)
    rows = _moved(list(criterion.phase.gate_criteria.order_by("order")), criterion, direction)
    if rows is None:
        return
    _renumber(GateCriterion, rows, "order")
    announce(
        actor=actor,
        verb="gate_criterion.moved",
        target=criterion,
        playbook=locked,
        before={"order": criterion.order},
        after={"order": next(r.order for r in rows if r.pk == criterion.pk)},
    )
