"""Writes that span models or need care (locking, transactions). Each is the only writer
of the state it changes; views call these and never save pilots or deliverables directly.
"""

from datetime import date
from uuid import uuid4

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pilots.models import OPEN_STATUSES, Deliverable, Evidence, PhaseRun, Pilot
from playbook.models import DeliverableKind, Playbook

CUSTOM_WORKSTREAM = "Added for this pilot"


class ChangeRefused(Exception):
    """The change breaks a rule; the message is fit to show the user."""


class StaleEdit(ChangeRefused):
    """Somebody else changed the row since the user loaded it; nothing was written."""

    def __init__(self, current: Deliverable | None = None):
        super().__init__(
            "Someone else changed this deliverable while you were editing it. "
            "Nothing was saved; the current version is shown."
        )
        self.current = current


def pilot_create(
    *,
    name: str,
    business_unit: str,
    problem: str,
    programme_manager,
    kickoff_date: date,
    playbook: Playbook,
    sponsor=None,
    production_owner=None,
) -> Pilot:
    with transaction.atomic():
        pilot = Pilot.objects.create(
            # Placeholder, unique until the real reference is written just below.
            reference=uuid4().hex[:12],
            name=name,
            business_unit=business_unit,
            problem=problem,
            sponsor=sponsor,
            production_owner=production_owner,
            programme_manager=programme_manager,
            kickoff_date=kickoff_date,
            playbook=playbook,
        )
        # The reference follows the primary key, which the database hands out race-free.
        pilot.reference = f"P-{pilot.pk:03d}"
        Pilot.objects.filter(pk=pilot.pk).update(reference=pilot.reference)
    return pilot


def pilot_launch(*, pilot: Pilot) -> Pilot:
    """Create every phase run and deliverable of the pilot's playbook, in one transaction.

    1. Lock the pilot row so two launches cannot both create a plan.
    2. Create the phase runs, dated from the kickoff date (day 1 = kickoff).
    3. Create one deliverable per template, in one bulk insert.
    4. Mark the pilot active.
    """
    with transaction.atomic():
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        if locked.is_launched:
            raise ChangeRefused("This pilot has already been launched.")
        phases = list(locked.playbook.phases.prefetch_related("templates").order_by("number"))
        if not phases:
            raise ChangeRefused("The playbook has no phases to launch.")
        runs = PhaseRun.objects.bulk_create(
            [
                PhaseRun(
                    pilot=locked,
                    phase=phase,
                    number=phase.number,
                    name=phase.name,
                    planned_start=locked.date_of_day(phase.start_day),
                    planned_end=locked.date_of_day(phase.end_day),
                    state=PhaseRun.State.ACTIVE if index == 0 else PhaseRun.State.UPCOMING,
                )
                for index, phase in enumerate(phases)
            ]
        )
        deliverables = [
            Deliverable(
                pilot=locked,
                phase_run=run,
                template=template,
                order=phase.number * 1000 + template.order,
                title=template.title,
                guidance=template.guidance,
                workstream=template.workstream,
                dimension=template.dimension,
                kind=template.kind,
                mandatory=template.mandatory,
                evidence_required=template.evidence_required,
                start_date=locked.date_of_day(template.start_day),
                due_date=locked.date_of_day(template.due_day),
            )
            for phase, run in zip(phases, runs, strict=True)
            for template in phase.templates.all()
        ]
        Deliverable.objects.bulk_create(deliverables, batch_size=500)
        locked.status = Pilot.Status.ACTIVE
        locked.launched_at = timezone.now()
        locked.save(update_fields=["status", "launched_at", "updated_at"])
    return locked


def pilot_update(*, pilot: Pilot, **fields) -> Pilot:
    """Change a pilot's details. A new kickoff date re-plans the open work (see below)."""
    new_kickoff = fields.pop("kickoff_date", pilot.kickoff_date)
    if "playbook" in fields and pilot.is_launched and fields["playbook"] != pilot.playbook:
        raise ChangeRefused("The playbook of a launched pilot cannot change.")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(pilot, name, value)
        pilot.save(update_fields=[*fields, "updated_at"])
        if new_kickoff != pilot.kickoff_date:
            pilot_move_kickoff(pilot=pilot, kickoff_date=new_kickoff)
    return pilot


def pilot_move_kickoff(*, pilot: Pilot, kickoff_date: date) -> int:
    """Shift every open date by the move of day 1; done and waived work keeps its dates.

    Shifting (rather than recomputing from the templates) keeps the due dates people
    changed by hand in the same place relative to the plan. Returns how many
    deliverables moved.
    """
    shift = kickoff_date - pilot.kickoff_date
    with transaction.atomic():
        Pilot.objects.filter(pk=pilot.pk).update(kickoff_date=kickoff_date)
        pilot.kickoff_date = kickoff_date
        if not shift:
            return 0
        PhaseRun.objects.filter(pilot=pilot).exclude(state=PhaseRun.State.SIGNED_OFF).update(
            planned_start=F("planned_start") + shift, planned_end=F("planned_end") + shift
        )
        return Deliverable.objects.filter(pilot=pilot, status__in=OPEN_STATUSES).update(
            start_date=F("start_date") + shift,
            due_date=F("due_date") + shift,
            version=F("version") + 1,
        )


def _write(deliverable: Deliverable, expected_version: int | None, **changes) -> Deliverable:
    """Apply changes only if nobody wrote since `expected_version`; bump the version."""
    rows = Deliverable.objects.filter(pk=deliverable.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    updated = rows.update(**changes, version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        raise StaleEdit(Deliverable.objects.select_related("owner").get(pk=deliverable.pk))
    for name, value in changes.items():
        setattr(deliverable, name, value)
    deliverable.refresh_from_db(fields=["version", "updated_at"])
    return deliverable


def deliverable_set_done(
    *,
    deliverable: Deliverable,
    actor,
    done: bool,
    expected_version: int | None,
    evidence_url: str = "",
    note: str = "",
) -> Deliverable:
    """Tick a deliverable done (with optional evidence) or undo the tick."""
    if done and deliverable.status == Deliverable.Status.WAIVED:
        raise ChangeRefused("This deliverable is waived; reopen it before ticking it.")
    if not done and deliverable.status != Deliverable.Status.DONE:
        raise ChangeRefused("Only a done deliverable can be un-ticked.")
    with transaction.atomic():
        if done:
            _write(
                deliverable,
                expected_version,
                status=Deliverable.Status.DONE,
                done_at=timezone.now(),
                done_by=actor,
            )
            if evidence_url or note:
                Evidence.objects.create(
                    deliverable=deliverable, url=evidence_url, note=note, added_by=actor
                )
        else:
            _write(
                deliverable,
                expected_version,
                status=Deliverable.Status.TODO,
                done_at=None,
                done_by=None,
            )
    return deliverable


def deliverable_waive(
    *, deliverable: Deliverable, reason: str, expected_version: int | None
) -> Deliverable:
    reason = reason.strip()
    if not reason:
        raise ChangeRefused("Say why this deliverable is waived.")
    if not deliverable.is_open:
        raise ChangeRefused("Only open work can be waived.")
    return _write(
        deliverable, expected_version, status=Deliverable.Status.WAIVED, waived_reason=reason
    )


def deliverable_reopen(*, deliverable: Deliverable, expected_version: int | None) -> Deliverable:
    """Put a waived deliverable back into the plan."""
    if deliverable.status != Deliverable.Status.WAIVED:
        raise ChangeRefused("Only a waived deliverable can be reopened.")
    return _write(deliverable, expected_version, status=Deliverable.Status.TODO, waived_reason="")


def deliverable_update(
    *,
    deliverable: Deliverable,
    expected_version: int,
    title: str,
    owner,
    start_date: date,
    due_date: date,
) -> Deliverable:
    pilot = deliverable.pilot
    if due_date < pilot.kickoff_date:
        raise ChangeRefused(
            f"The due date cannot be before the pilot's kickoff ({pilot.kickoff_date:%-d %b %Y})."
        )
    if start_date > due_date:
        raise ChangeRefused("The start date must be on or before the due date.")
    return _write(
        deliverable,
        expected_version,
        title=title,
        owner=owner,
        start_date=start_date,
        due_date=due_date,
    )


def deliverables_assign(*, pilot: Pilot, deliverable_ids: list[int], owner) -> int:
    """Give several deliverables of one pilot the same owner, all or nothing."""
    wanted = set(deliverable_ids)
    if not wanted:
        raise ChangeRefused("Select at least one deliverable.")
    with transaction.atomic():
        rows = Deliverable.objects.select_for_update().filter(pilot=pilot, pk__in=wanted)
        found = set(rows.values_list("pk", flat=True))
        if found != wanted:
            raise ChangeRefused("Some of the selected deliverables are not part of this pilot.")
        return Deliverable.objects.filter(pk__in=found).update(
            owner=owner, version=F("version") + 1, updated_at=timezone.now()
        )


def deliverable_add_custom(
    *,
    pilot: Pilot,
    phase_run: PhaseRun,
    title: str,
    dimension: str,
    due_date: date,
    owner=None,
    mandatory: bool = False,
    guidance: str = "",
) -> Deliverable:
    if phase_run.pilot_id != pilot.pk:
        raise ChangeRefused("That phase belongs to another pilot.")
    if due_date < pilot.kickoff_date:
        raise ChangeRefused("The due date cannot be before the pilot's kickoff.")
    start_date = min(max(phase_run.planned_start, pilot.kickoff_date), due_date)
    return Deliverable.objects.create(
        pilot=pilot,
        phase_run=phase_run,
        order=phase_run.number * 1000 + 999,
        title=title,
        guidance=guidance,
        workstream=CUSTOM_WORKSTREAM,
        dimension=dimension,
        kind=DeliverableKind.ACTIVITY,
        mandatory=mandatory,
        owner=owner,
        start_date=start_date,
        due_date=due_date,
    )
