"""Purgatory rules with frozen time: each reason, alone, and the database filter agreeing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pilots import services
from pilots.models import PhaseRun, Pilot
from pilots.purgatory import Reason, judge, stuck_filter, with_purgatory_facts
from tests.conftest import KICKOFF, build_pilot


def verdict(pilot, today):
    annotated = with_purgatory_facts(Pilot.objects.filter(pk=pilot.pk), today).get()
    in_db = (
        with_purgatory_facts(Pilot.objects.filter(pk=pilot.pk), today)
        .filter(stuck_filter(today))
        .exists()
    )
    result = judge(annotated, today)
    assert result.stuck == in_db, "the Python rules and the database filter disagree"
    return set(result.reasons)


@pytest.fixture
def healthy(pm, playbook, production_owner):
    with time_machine.travel(KICKOFF, tick=False):
        return build_pilot(
            programme_manager=pm, playbook=playbook, production_owner=production_owner
        )


def test_a_fresh_pilot_with_an_owner_is_not_stuck(healthy):
    assert verdict(healthy, KICKOFF + timedelta(days=5)) == set()


def test_no_progress_for_21_days_counts_from_launch_then_from_the_last_tick(healthy, pm):
    assert verdict(healthy, KICKOFF + timedelta(days=20)) == set()
    assert verdict(healthy, KICKOFF + timedelta(days=21)) == {Reason.NO_PROGRESS}
    with time_machine.travel(KICKOFF + timedelta(days=22), tick=False):
        item = healthy.deliverables.first()
        services.deliverable_set_done(deliverable=item, actor=pm, done=True, expected_version=None)
    assert verdict(healthy, KICKOFF + timedelta(days=29)) == set()


def test_a_phase_past_its_end_and_not_signed_off_is_an_overrun(healthy):
    day_31 = KICKOFF + timedelta(days=30)
    healthy.deliverables.update(done_at=timezone.now())  # progress is not the question here
    assert Reason.PHASE_OVERRUN in verdict(healthy, day_31)
    healthy.phase_runs.filter(number=1).update(state=PhaseRun.State.SIGNED_OFF)
    assert Reason.PHASE_OVERRUN not in verdict(healthy, day_31)


def test_past_day_90_without_production(healthy):
    healthy.phase_runs.update(state=PhaseRun.State.SIGNED_OFF)
    healthy.deliverables.update(done_at=timezone.now())
    assert Reason.PAST_END not in verdict(healthy, KICKOFF + timedelta(days=89))
    assert Reason.PAST_END in verdict(healthy, KICKOFF + timedelta(days=90))
    Pilot.objects.filter(pk=healthy.pk).update(status=Pilot.Status.IN_PRODUCTION)
    assert verdict(healthy, KICKOFF + timedelta(days=90)) == set()


def test_no_production_owner(pm, playbook):
    with time_machine.travel(KICKOFF, tick=False):
        pilot = build_pilot(programme_manager=pm, playbook=playbook)
    assert verdict(pilot, KICKOFF + timedelta(days=1)) == {Reason.NO_PRODUCTION_OWNER}


def test_paused_pilots_are_not_in_purgatory(pm, playbook):
    with time_machine.travel(KICKOFF, tick=False):
        pilot = build_pilot(programme_manager=pm, playbook=playbook)
    Pilot.objects.filter(pk=pilot.pk).update(status=Pilot.Status.PAUSED)
    assert verdict(pilot, KICKOFF + timedelta(days=100)) == set()
