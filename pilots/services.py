"""Writes that span models or need care (locking, transactions). Each is the only writer
of the state it changes; views call these and never save pilots or deliverables directly.
"""

from datetime import date, timedelta
from uuid import uuid4

from django.db import transaction
from django.db.models import F, Max, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pilots import intake, uploads
from pilots.intake_models import DecisionKind, RolloutDecision, RolloutStep
from pilots.models import OPEN_STATUSES, Deliverable, Evidence, PhaseRun, Pilot
from pilots.roles import is_programme_manager
from pilots.signals import announce
from pilots.templatetags.ninety import ldate
from playbook.models import DeliverableKind, Playbook

# The workstream of a deliverable added by hand, written in the language of whoever adds it.
CUSTOM_WORKSTREAM = gettext_lazy("Added for this pilot")


class ChangeRefused(Exception):
    """The change breaks a rule; the message is fit to show the user."""


class StaleEdit(ChangeRefused):
    """Somebody else changed the row since the user loaded it; nothing was written."""

    def __init__(self, current: Deliverable | None = None):
        super().__init__(
            _(
                "Someone else changed this deliverable while you were editing it. "
                "Nothing was saved; the current version is shown."
            )
        )
        self.current = current


class StalePilotEdit(ChangeRefused):
    """Somebody else changed the pilot since the user loaded the form; nothing was written."""

    def __init__(self, current: Pilot):
        super().__init__(
            _(
                "Someone else changed this pilot while you were editing it. Nothing was saved; "
                "the form now shows the current details. Make your change again if it still "
                "applies."
            )
        )
        self.current = current


OUT_OF_CALENDAR = gettext_lazy(
    "The plan cannot be dated from that kickoff: some of its dates would fall outside "
    "the calendar. Choose a kickoff date closer to today."
)


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
    actor=None,
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
        announce(
            actor=actor, verb="pilot.created", target=pilot, pilot=pilot, after=_pilot_facts(pilot)
        )
    return pilot


def _pilot_facts(pilot: Pilot) -> dict:
    return {
        "name": pilot.name,
        "business_unit": pilot.business_unit,
        "kickoff_date": pilot.kickoff_date.isoformat(),
        "status": pilot.status,
        "programme_manager": pilot.programme_manager_id,
        "sponsor": pilot.sponsor_id,
        "production_owner": pilot.production_owner_id,
        "playbook": pilot.playbook_id,
    }


def _jsonable(value):
    """Model instances as their id and dates as ISO text, for audit before/after."""
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def pilot_launch(*, pilot: Pilot, actor=None, override_reason: str = "") -> Pilot:
    """Create every phase run and deliverable of the pilot's playbook, in one transaction.

    1. Lock the pilot row so two launches cannot both create a plan.
    2. Refuse a plan that would leave the calendar; then refuse unless the five intake
       decisions are answered, or the pilot's programme manager launches anyway with a
       written `override_reason` (recorded as an override decision). A launch without
       an actor is the system's own (demo data, fixtures, benchmarks): it is recorded as
       a plain start, with what was missing.
    3. Create the phase runs, dated from the kickoff date (day 1 = kickoff).
    4. Create one deliverable per template, and the default rollout steps of the last
       (Scale) phase, in bulk inserts.
    5. Mark the pilot active and record the start decision.
    """
    with transaction.atomic():
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        if locked.is_launched:
            raise ChangeRefused(_("This pilot has already been launched."))
        phases = list(locked.playbook.phases.prefetch_related("templates").order_by("number"))
        if not phases:
            raise ChangeRefused(_("The playbook has no phases to launch."))
        last_day = max(
            [phase.end_day for phase in phases]
            + [template.due_day for phase in phases for template in phase.templates.all()]
        )
        try:
            locked.date_of_day(last_day)
        except OverflowError:
            # A kickoff near the end of the calendar (typed as 9999, or set in the admin).
            raise ChangeRefused(str(OUT_OF_CALENDAR)) from None
        decision_kind, missing = _launch_decision(locked, actor, override_reason.strip())
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
        RolloutStep.objects.bulk_create(intake.default_rollout_steps(locked, phases[-1]))
        locked.status = Pilot.Status.ACTIVE
        locked.launched_at = timezone.now()
        locked.version += 1
        locked.save(update_fields=["status", "launched_at", "version", "updated_at"])
        announce(
            actor=actor,
            verb="pilot.launched",
            target=locked,
            pilot=locked,
            before={"status": Pilot.Status.INTAKE},
            after={
                "status": locked.status,
                "deliverables": len(deliverables),
                "kickoff_date": locked.kickoff_date.isoformat(),
            },
        )
        intake.record_decision(
            pilot=locked,
            kind=decision_kind,
            actor=actor,
            rationale=override_reason.strip() if decision_kind == DecisionKind.OVERRIDE else "",
            details={"missing": missing} if missing else {},
            status_before=Pilot.Status.INTAKE,
        )
    return locked


def _launch_decision(pilot: Pilot, actor, override_reason: str) -> tuple[str, list[str]]:
    """The kind of start decision a launch records, and the intake decisions it lacks;
    ChangeRefused when it may not go ahead (step 2 of pilot_launch)."""
    unanswered = intake.readiness(pilot).unanswered
    # What is recorded (the decision's details, the audit trail) stays in English.
    with translation.override("en"):
        missing = [str(answer.title) for answer in unanswered]
    if not missing or actor is None:
        return DecisionKind.START, missing
    if not override_reason:
        raise ChangeRefused(
            ngettext(
                "Not launched: %(count)s of the five intake decisions is still open "
                "(%(decisions)s). Answer them on the Intake tab, or launch anyway with a "
                "written reason.",
                "Not launched: %(count)s of the five intake decisions are still open "
                "(%(decisions)s). Answer them on the Intake tab, or launch anyway with a "
                "written reason.",
                len(missing),
            )
            % {
                "count": len(missing),
                "decisions": ", ".join(str(answer.title) for answer in unanswered),
            }
        )
    if not (actor.pk == pilot.programme_manager_id and is_programme_manager(actor)):
        raise ChangeRefused(
            _(
                "Only the pilot's programme manager can launch it before every intake "
                "decision is answered."
            )
        )
    return DecisionKind.OVERRIDE, missing


def pilot_update(
    *, pilot: Pilot, expected_version: int | None = None, actor=None, **fields
) -> Pilot:
    """Change a pilot's details. A new kickoff date re-plans the open work (see below).

    With `expected_version`, the change applies only if nobody wrote the pilot since the
    user loaded it (StalePilotEdit otherwise). The row is locked, re-read and judged as it
    stands in the database, whatever the caller's copy holds. Returns the fresh pilot.
    """
    with transaction.atomic():
        locked = Pilot.objects.select_for_update().get(pk=pilot.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StalePilotEdit(locked)
        new_kickoff = fields.pop("kickoff_date", locked.kickoff_date)
        if "playbook" in fields and locked.is_launched and fields["playbook"] != locked.playbook:
            raise ChangeRefused(_("The playbook of a launched pilot cannot change."))
        if fields:
            before = {name: _jsonable(getattr(locked, name)) for name in fields}
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.version += 1
            locked.save(update_fields=[*fields, "version", "updated_at"])
            announce(
                actor=actor,
                verb="pilot.updated",
                target=locked,
                pilot=locked,
                before=before,
                after={name: _jsonable(value) for name, value in fields.items()},
            )
        if new_kickoff != locked.kickoff_date:
            pilot_move_kickoff(pilot=locked, kickoff_date=new_kickoff, actor=actor)
    return locked


def pilot_move_kickoff(*, pilot: Pilot, kickoff_date: date, actor=None) -> int:
    """Shift every open date by the move of day 1; done and waived work keeps its dates.

    Shifting (rather than recomputing from the templates) keeps the due dates people
    changed by hand in the same place relative to the plan. Returns how many
    deliverables moved.
    """
    shift = kickoff_date - pilot.kickoff_date
    if not shift:
        return 0
    with transaction.atomic():
        _refuse_dates_outside_calendar(pilot, shift)
        previous = pilot.kickoff_date
        Pilot.objects.filter(pk=pilot.pk).update(
            kickoff_date=kickoff_date, version=F("version") + 1, updated_at=timezone.now()
        )
        pilot.kickoff_date = kickoff_date
        pilot.refresh_from_db(fields=["version", "updated_at"])
        PhaseRun.objects.filter(pilot=pilot).exclude(state=PhaseRun.State.SIGNED_OFF).update(
            planned_start=F("planned_start") + shift, planned_end=F("planned_end") + shift
        )
        moved = Deliverable.objects.filter(pilot=pilot, status__in=OPEN_STATUSES).update(
            start_date=F("start_date") + shift,
            due_date=F("due_date") + shift,
            version=F("version") + 1,
        )
        # Rollout steps not yet decided are part of the open plan too.
        RolloutStep.objects.filter(pilot=pilot, decision=RolloutDecision.PENDING).update(
            planned_on=F("planned_on") + shift
        )
        announce(
            actor=actor,
            verb="pilot.kickoff_moved",
            target=pilot,
            pilot=pilot,
            before={"kickoff_date": previous.isoformat()},
            after={
                "kickoff_date": kickoff_date.isoformat(),
                "shift_days": shift.days,
                "deliverables_moved": moved,
            },
        )
    return moved


def _refuse_dates_outside_calendar(pilot: Pilot, shift: timedelta) -> None:
    """ChangeRefused if moving the open plan by `shift` would leave the calendar.

    Checked here, before any write, because the database would store such a date and
    every page reading it back would then fail.
    """
    open_work = Deliverable.objects.filter(pilot=pilot, status__in=OPEN_STATUSES).aggregate(
        first=Min("start_date"), last=Max("due_date")
    )
    runs = (
        PhaseRun.objects.filter(pilot=pilot)
        .exclude(state=PhaseRun.State.SIGNED_OFF)
        .aggregate(first=Min("planned_start"), last=Max("planned_end"))
    )
    try:
        # The new day 1 must leave room for the playbook's days after it.
        (pilot.kickoff_date + shift) + timedelta(days=pilot.playbook.length_days)
        for day in (*open_work.values(), *runs.values()):
            if day is not None:
                day + shift
    except OverflowError:
        raise ChangeRefused(str(OUT_OF_CALENDAR)) from None


def _write(
    deliverable: Deliverable,
    expected_version: int | None,
    *,
    actor,
    verb: str,
    also_record: dict | None = None,
    **changes,
) -> Deliverable:
    """Apply changes only if nobody wrote since `expected_version`; bump the version;
    announce the change (the caller holds the transaction). `also_record` adds facts to
    the announced change that are not fields of the deliverable."""
    # attname reads a foreign key's id without loading the related row.
    before = {
        name: _jsonable(getattr(deliverable, Deliverable._meta.get_field(name).attname))
        for name in changes
    }
    rows = Deliverable.objects.filter(pk=deliverable.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    updated = rows.update(**changes, version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        raise StaleEdit(Deliverable.objects.select_related("owner").get(pk=deliverable.pk))
    for name, value in changes.items():
        setattr(deliverable, name, value)
    deliverable.refresh_from_db(fields=["version", "updated_at"])
    announce(
        actor=actor,
        verb=verb,
        target=deliverable,
        pilot=deliverable.pilot,
        before=before,
        after={name: _jsonable(v) for name, v in changes.items()} | (also_record or {}),
    )
    return deliverable


def deliverable_set_done(
    *,
    deliverable: Deliverable,
    actor,
    done: bool,
    expected_version: int | None,
    evidence_url: str = "",
    note: str = "",
    evidence_file: uploads.CheckedUpload | None = None,
) -> Deliverable:
    """Tick a deliverable done (with optional evidence) or undo the tick.

    An evidence file is written to storage first (a quick local write, never inside the
    transaction) and deleted again if the tick is refused.
    """
    if done and deliverable.status == Deliverable.Status.WAIVED:
        raise ChangeRefused(_("This deliverable is waived; reopen it before ticking it."))
    if not done and deliverable.status != Deliverable.Status.DONE:
        raise ChangeRefused(_("Only a done deliverable can be un-ticked."))
    stored = uploads.store(evidence_file) if done and evidence_file else None
    try:
        with transaction.atomic():
            if done:
                _write(
                    deliverable,
                    expected_version,
                    actor=actor,
                    verb="deliverable.done",
                    status=Deliverable.Status.DONE,
                    done_at=timezone.now(),
                    done_by=actor,
                    # The evidence given with the tick belongs to the tick's record.
                    also_record={
                        key: value
                        for key, value in (
                            ("evidence_url", evidence_url),
                            ("evidence_note", note),
                            ("evidence_file", stored.original_name if stored else ""),
                            ("evidence_sha256", stored.sha256 if stored else ""),
                        )
                        if value
                    },
                )
                if evidence_url or note or stored:
                    Evidence.objects.create(
                        deliverable=deliverable,
                        url=evidence_url,
                        note=note,
                        added_by=actor,
                        **(stored.evidence_fields() if stored else {}),
                    )
            else:
                _write(
                    deliverable,
                    expected_version,
                    actor=actor,
                    verb="deliverable.undone",
                    status=Deliverable.Status.TODO,
                    done_at=None,
                    done_by=None,
                )
    except BaseException:
        if stored:
            stored.delete()
        raise
    return deliverable


def deliverable_waive(
    *, deliverable: Deliverable, reason: str, expected_version: int | None, actor=None
) -> Deliverable:
    reason = reason.strip()
    if not reason:
        raise ChangeRefused(_("Say why this deliverable is waived."))
    if not deliverable.is_open:
        raise ChangeRefused(_("Only open work can be waived."))
    with transaction.atomic():
        return _write(
            deliverable,
            expected_version,
            actor=actor,
            verb="deliverable.waived",
            status=Deliverable.Status.WAIVED,
            waived_reason=reason,
        )


def deliverable_reopen(
    *, deliverable: Deliverable, expected_version: int | None, actor=None
) -> Deliverable:
    """Put a waived deliverable back into the plan."""
    if deliverable.status != Deliverable.Status.WAIVED:
        raise ChangeRefused(_("Only a waived deliverable can be reopened."))
    with transaction.atomic():
        return _write(
            deliverable,
            expected_version,
            actor=actor,
            verb="deliverable.reopened",
            status=Deliverable.Status.TODO,
            waived_reason="",
        )


def deliverable_update(
    *,
    deliverable: Deliverable,
    expected_version: int,
    title: str,
    owner,
    start_date: date,
    due_date: date,
    actor=None,
) -> Deliverable:
    pilot = deliverable.pilot
    if due_date < pilot.kickoff_date:
        raise ChangeRefused(
            _("The due date cannot be before the pilot's kickoff (%(kickoff)s).")
            % {"kickoff": ldate(pilot.kickoff_date, "date")}
        )
    if start_date > due_date:
        raise ChangeRefused(_("The start date must be on or before the due date."))
    with transaction.atomic():
        return _write(
            deliverable,
            expected_version,
            actor=actor,
            verb="deliverable.updated",
            title=title,
            owner=owner,
            start_date=start_date,
            due_date=due_date,
        )


def deliverables_assign(*, pilot: Pilot, deliverable_ids: list[int], owner, actor=None) -> int:
    """Give several deliverables of one pilot the same owner, all or nothing."""
    wanted = set(deliverable_ids)
    if not wanted:
        raise ChangeRefused(_("Select at least one deliverable."))
    with transaction.atomic():
        rows = Deliverable.objects.select_for_update().filter(pilot=pilot, pk__in=wanted)
        previous = dict(rows.values_list("pk", "owner_id"))
        if set(previous) != wanted:
            raise ChangeRefused(_("Some of the selected deliverables are not part of this pilot."))
        count = Deliverable.objects.filter(pk__in=wanted).update(
            owner=owner, version=F("version") + 1, updated_at=timezone.now()
        )
        announce(
            actor=actor,
            verb="deliverables.assigned",
            target=pilot,
            pilot=pilot,
            before={"owners": {str(pk): owner_id for pk, owner_id in previous.items()}},
            after={"owner": owner.pk, "deliverables": sorted(wanted)},
        )
    return count


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
    actor=None,
) -> Deliverable:
    if phase_run.pilot_id != pilot.pk:
        raise ChangeRefused(_("That phase belongs to another pilot."))
    if due_date < pilot.kickoff_date:
        raise ChangeRefused(_("The due date cannot be before the pilot's kickoff."))
    start_date = min(max(phase_run.planned_start, pilot.kickoff_date), due_date)
    with transaction.atomic():
        deliverable = Deliverable.objects.create(
            pilot=pilot,
            phase_run=phase_run,
            order=phase_run.number * 1000 + 999,
            title=title,
            guidance=guidance,
            workstream=str(CUSTOM_WORKSTREAM),
            dimension=dimension,
            kind=DeliverableKind.ACTIVITY,
            mandatory=mandatory,
            owner=owner,
            start_date=start_date,
            due_date=due_date,
        )
        announce(
            actor=actor,
            verb="deliverable.added",
            target=deliverable,
            pilot=pilot,
            after={
                "title": title,
                "phase": phase_run.number,
                "due_date": due_date.isoformat(),
                "owner": _jsonable(owner),
            },
        )
    return deliverable


def phase_run_set_state(*, phase_run: PhaseRun, state: str, actor=None) -> PhaseRun:
    """The one writer of a phase run's state (gates move it; see governance.gates)."""
    with transaction.atomic():
        before = phase_run.state
        if before == state:
            return phase_run
        phase_run.state = state
        phase_run.save(update_fields=["state"])
        announce(
            actor=actor,
            verb="phase.state_changed",
            target=phase_run,
            pilot=phase_run.pilot,
            before={"state": before},
            after={"state": state},
        )
    return phase_run


def phase_run_sign_off(*, phase_run: PhaseRun, actor=None) -> PhaseRun | None:
    """Mark the phase signed off and make the next one active. Returns the next phase run
    (None after the last phase)."""
    with transaction.atomic():
        phase_run_set_state(phase_run=phase_run, state=PhaseRun.State.SIGNED_OFF, actor=actor)
        # The reminder scan tells the team about sign-offs of the last days from this.
        phase_run.signed_off_at = timezone.now()
        phase_run.save(update_fields=["signed_off_at"])
        following = (
            PhaseRun.objects.select_for_update()
            .filter(pilot_id=phase_run.pilot_id, number__gt=phase_run.number)
            .order_by("number")
            .first()
        )
        if following and following.state == PhaseRun.State.UPCOMING:
            phase_run_set_state(phase_run=following, state=PhaseRun.State.ACTIVE, actor=actor)
    return following
