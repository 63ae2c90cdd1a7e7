"""What a draft holds: phases, deliverable templates and gate criteria, added, changed,
deleted and moved."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from playbook.models import (
    DeliverableTemplate,
    GateCriterion,
    Phase,
    Playbook,
    new_key,
)
from playbook.services.common import (
    PHASE_FIELDS,
    TEMPLATE_FIELDS,
    ChangeRefused,
    changes,
    check_area,
    check_phase_days,
    check_template_days,
    lock_draft,
    moved,
    renumber,
    snapshot,
)
from playbook.signals import announce

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
    locked = lock_draft(playbook.pk)
    check_phase_days(start_day=start_day, end_day=end_day, length_days=locked.length_days)
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
        after=snapshot(phase, ("number", *PHASE_FIELDS)),
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
    locked = lock_draft(phase.playbook_id)
    check_phase_days(start_day=start_day, end_day=end_day, length_days=locked.length_days)
    phase = Phase.objects.get(pk=phase.pk)
    before = snapshot(phase, PHASE_FIELDS)
    phase.name, phase.purpose = name, purpose
    phase.start_day, phase.end_day = start_day, end_day
    phase.gate_signers = list(gate_signers)
    phase.save(update_fields=list(PHASE_FIELDS))
    old, new = changes(before, snapshot(phase, PHASE_FIELDS))
    announce(
        actor=actor, verb="phase.changed", target=phase, playbook=locked, before=old, after=new
    )
    return phase


@transaction.atomic
def phase_delete(*, phase: Phase, actor) -> None:
    """Delete a phase with its deliverables and gate criteria; the others close the gap."""
    locked = lock_draft(phase.playbook_id)
    announce(
        actor=actor,
        verb="phase.deleted",
        target=phase,
        playbook=locked,
        before=snapshot(phase, ("number", *PHASE_FIELDS)),
    )
    Phase.objects.filter(pk=phase.pk).delete()
    renumber(Phase, list(locked.phases.order_by("number")), "number")


@transaction.atomic
def phase_move(*, phase: Phase, actor, direction: str) -> None:
    locked = lock_draft(phase.playbook_id)
    rows = moved(list(locked.phases.order_by("number")), phase, direction)
    if rows is None:
        return
    renumber(Phase, rows, "number")
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
    locked = lock_draft(phase.playbook_id)
    phase = Phase.objects.get(pk=phase.pk)
    check_template_days(start_day=start_day, due_day=due_day, phase=phase)
    check_area(kind=kind, readiness_area=readiness_area)
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
        after={"phase": phase.name, **snapshot(template, TEMPLATE_FIELDS)},
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
    locked = lock_draft(template.phase.playbook_id)
    target = Phase.objects.filter(pk=phase.pk, playbook=locked).first()
    if target is None:
        raise ChangeRefused(_("That phase is not part of this playbook."))
    check_template_days(start_day=start_day, due_day=due_day, phase=target)
    check_area(kind=kind, readiness_area=readiness_area)
    before = {"phase": template.phase.name, **snapshot(template, TEMPLATE_FIELDS)}
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
        renumber(DeliverableTemplate, list(old_phase.templates.order_by("order")), "order")
    old, new = changes(before, {"phase": target.name, **snapshot(template, TEMPLATE_FIELDS)})
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
    locked = lock_draft(template.phase.playbook_id)
    announce(
        actor=actor,
        verb="deliverable_template.deleted",
        target=template,
        playbook=locked,
        before={"phase": template.phase.name, **snapshot(template, TEMPLATE_FIELDS)},
    )
    DeliverableTemplate.objects.filter(pk=template.pk).delete()
    renumber(DeliverableTemplate, list(template.phase.templates.order_by("order")), "order")


@transaction.atomic
def deliverable_template_move(*, template: DeliverableTemplate, actor, direction: str) -> None:
    template = DeliverableTemplate.objects.select_related("phase").get(pk=template.pk)
    locked = lock_draft(template.phase.playbook_id)
    rows = moved(list(template.phase.templates.order_by("order")), template, direction)
    if rows is None:
        return
    renumber(DeliverableTemplate, rows, "order")
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
    locked = lock_draft(phase.playbook_id)
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
    locked = lock_draft(criterion.phase.playbook_id)
    before = {"statement": criterion.statement}
    criterion.statement = statement
    criterion.save(update_fields=["statement"])
    old, new = changes(before, {"statement": statement})
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
    locked = lock_draft(criterion.phase.playbook_id)
    announce(
        actor=actor,
        verb="gate_criterion.deleted",
        target=criterion,
        playbook=locked,
        before={"phase": criterion.phase.name, "statement": criterion.statement},
    )
    GateCriterion.objects.filter(pk=criterion.pk).delete()
    renumber(GateCriterion, list(criterion.phase.gate_criteria.order_by("order")), "order")


@transaction.atomic
def gate_criterion_move(*, criterion: GateCriterion, actor, direction: str) -> None:
    criterion = GateCriterion.objects.select_related("phase").get(pk=criterion.pk)
    locked = lock_draft(criterion.phase.playbook_id)
    rows = moved(list(criterion.phase.gate_criteria.order_by("order")), criterion, direction)
    if rows is None:
        return
    renumber(GateCriterion, rows, "order")
    announce(
        actor=actor,
        verb="gate_criterion.moved",
        target=criterion,
        playbook=locked,
        before={"order": criterion.order},
        after={"order": next(r.order for r in rows if r.pk == criterion.pk)},
    )
