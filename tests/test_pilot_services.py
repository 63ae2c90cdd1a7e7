from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import IntegrityError

from pilots import services
from pilots.models import Deliverable, Evidence, PhaseRun, Pilot
from tests.conftest import KICKOFF, build_pilot


def test_it_creates_a_pilot_in_intake_with_a_reference(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, launch=False)
    assert pilot.status == Pilot.Status.INTAKE
    assert pilot.reference == f"P-{pilot.pk:03d}"
    assert Pilot.objects.get(pk=pilot.pk).reference == pilot.reference
    assert not pilot.deliverables.exists()


def test_launch_creates_every_phase_and_deliverable_dated_from_kickoff(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook)
    assert pilot.status == Pilot.Status.ACTIVE
    runs = list(pilot.phase_runs.order_by("number"))
    assert [(r.planned_start, r.planned_end) for r in runs] == [
        (KICKOFF, KICKOFF + timedelta(days=29)),
        (KICKOFF + timedelta(days=30), KICKOFF + timedelta(days=59)),
        (KICKOFF + timedelta(days=60), KICKOFF + timedelta(days=89)),
    ]
    assert [r.state for r in runs] == ["active", "upcoming", "upcoming"]
    assert pilot.deliverables.count() == 9  # 3 phases x (2 activities + 1 phase deliverable)
    gate_item = pilot.deliverables.get(title="Integration phase deliverable")
    assert gate_item.due_date == KICKOFF + timedelta(days=59)  # day 60
    assert gate_item.mandatory
    first = pilot.deliverables.get(title="Foundation activity 1")
    assert (first.start_date, first.due_date) == (KICKOFF, KICKOFF + timedelta(days=6))


def test_launch_is_all_or_nothing(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, launch=False)
    with (
        mock.patch.object(Deliverable.objects, "bulk_create", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        services.pilot_launch(pilot=pilot)
    pilot.refresh_from_db()
    assert pilot.status == Pilot.Status.INTAKE
    assert not PhaseRun.objects.filter(pilot=pilot).exists()


def test_launching_twice_is_refused(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook)
    with pytest.raises(services.ChangeRefused, match="already been launched"):
        services.pilot_launch(pilot=pilot)
    assert pilot.deliverables.count() == 9


def test_moving_kickoff_replans_open_work_and_keeps_done_dates(pilot, pm):
    done, still_open = pilot.deliverables.order_by("due_date", "pk")[:2]
    services.deliverable_set_done(deliverable=done, actor=pm, done=True, expected_version=None)
    done.refresh_from_db()
    before_open = still_open.due_date
    services.pilot_update(pilot=pilot, kickoff_date=KICKOFF + timedelta(days=14))
    done.refresh_from_db()
    still_open.refresh_from_db()
    pilot.refresh_from_db()
    assert pilot.kickoff_date == KICKOFF + timedelta(days=14)
    assert done.due_date == KICKOFF + timedelta(days=6)
    assert still_open.due_date == before_open + timedelta(days=14)
    assert pilot.phase_runs.get(number=1).planned_start == KICKOFF + timedelta(days=14)


def test_moving_kickoff_keeps_hand_edited_offsets(pilot):
    item = pilot.deliverables.get(title="Scale activity 1")
    services.deliverable_update(
        deliverable=item,
        expected_version=item.version,
        title=item.title,
        owner=None,
        start_date=item.start_date,
        due_date=item.due_date + timedelta(days=3),
    )
    edited_due = Deliverable.objects.get(pk=item.pk).due_date
    services.pilot_update(pilot=pilot, kickoff_date=KICKOFF - timedelta(days=7))
    assert Deliverable.objects.get(pk=item.pk).due_date == edited_due - timedelta(days=7)


def test_tick_records_who_when_and_evidence_and_undo_reverts(owned, owner):
    services.deliverable_set_done(
        deliverable=owned,
        actor=owner,
        done=True,
        expected_version=owned.version,
        evidence_url="https://wiki.example.com/arch",
        note="Reviewed with platform team",
    )
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.DONE
    assert owned.done_by == owner and owned.done_at is not None
    evidence = Evidence.objects.get(deliverable=owned)
    assert (evidence.url, evidence.note) == (
        "https://wiki.example.com/arch",
        "Reviewed with platform team",
    )
    services.deliverable_set_done(
        deliverable=owned, actor=owner, done=False, expected_version=owned.version
    )
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.TODO
    assert owned.done_at is None and owned.done_by is None


def test_a_stale_edit_is_refused_and_overwrites_nothing(owned, owner, pm):
    seen_version = owned.version
    services.deliverable_update(
        deliverable=owned,
        expected_version=seen_version,
        title="Renamed by the PM",
        owner=owner,
        start_date=owned.start_date,
        due_date=owned.due_date,
    )
    stale_copy = Deliverable.objects.get(pk=owned.pk)
    with pytest.raises(services.StaleEdit) as refused:
        services.deliverable_set_done(
            deliverable=stale_copy, actor=owner, done=True, expected_version=seen_version
        )
    assert refused.value.current.title == "Renamed by the PM"
    assert Deliverable.objects.get(pk=owned.pk).status == Deliverable.Status.TODO


def test_waive_needs_a_reason_and_reopen_clears_it(owned):
    with pytest.raises(services.ChangeRefused):
        services.deliverable_waive(deliverable=owned, reason="   ", expected_version=None)
    services.deliverable_waive(
        deliverable=owned, reason="Covered by the group standard", expected_version=owned.version
    )
    owned.refresh_from_db()
    assert (owned.status, owned.waived_reason) == ("waived", "Covered by the group standard")
    services.deliverable_reopen(deliverable=owned, expected_version=owned.version)
    owned.refresh_from_db()
    assert (owned.status, owned.waived_reason) == ("todo", "")


def test_the_database_refuses_a_waiver_without_reason(owned):
    with pytest.raises(IntegrityError):
        Deliverable.objects.filter(pk=owned.pk).update(status="waived", waived_reason="")


def test_bulk_assign_is_all_or_nothing_across_pilots(pilot, pm, playbook, owner, sponsor):
    other = build_pilot(programme_manager=pm, playbook=playbook, name="Other")
    mine = list(pilot.deliverables.values_list("pk", flat=True)[:3])
    foreign = other.deliverables.first().pk
    with pytest.raises(services.ChangeRefused, match="not part of this pilot"):
        services.deliverables_assign(pilot=pilot, deliverable_ids=[*mine, foreign], owner=sponsor)
    assert not Deliverable.objects.filter(owner=sponsor).exists()
    assert services.deliverables_assign(pilot=pilot, deliverable_ids=mine, owner=sponsor) == 3


def test_custom_deliverable_joins_the_chosen_phase(pilot, owner):
    run = pilot.phase_runs.get(number=2)
    item = services.deliverable_add_custom(
        pilot=pilot,
        phase_run=run,
        title="Load test with the call-centre peak",
        dimension="model",
        due_date=run.planned_start + timedelta(days=5),
        owner=owner,
        mandatory=True,
    )
    assert item.is_custom and item.phase_run == run and item.mandatory
    assert item.start_date == run.planned_start


def test_a_due_date_before_kickoff_is_refused(owned):
    with pytest.raises(services.ChangeRefused, match="kickoff"):
        services.deliverable_update(
            deliverable=owned,
            expected_version=owned.version,
            title=owned.title,
            owner=None,
            start_date=KICKOFF - timedelta(days=3),
            due_date=KICKOFF - timedelta(days=1),
        )


def test_day_number_counts_kickoff_as_day_one(pilot):
    assert pilot.day_number(KICKOFF) == 1
    assert pilot.day_number(date(2026, 5, 30)) == 90
