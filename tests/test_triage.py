"""Triage of running pilots and the decisions that follow: continue, pause, stop, resume.
Paused and stopped pilots get no reminders and leave the running portfolio, keeping their
history; resuming moves the open plan on by the length of the pause."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from governance.models import AuditEvent
from pilots import decisions, portfolio, reminders, services
from pilots.models import Decision, DecisionKind, Deliverable, Pilot, RolloutDecision
from pilots.notifications_models import ReminderLog
from tests.conftest import KICKOFF, build_pilot
from tests.lifecycle_builders import complete_intake

AMS = ZoneInfo("Europe/Amsterdam")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMS)


@pytest.fixture
def team(pm, owner, production_owner, sponsor):
    for user in (pm, owner, production_owner, sponsor):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return pm


@pytest.fixture
def running(team, pilot, owner):
    """The pilot with every deliverable owned by `owner`, launched on KICKOFF."""
    ids = list(pilot.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    return pilot


def scan_at(moment: datetime, capture) -> None:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        reminders.scan(moment)


def decide(pilot, kind, pm, **extra):
    return decisions.pilot_decide(
        pilot=pilot, kind=kind, rationale=f"Reason to {kind}", actor=pm, **extra
    )


# --- the triage list ----------------------------------------------------------------------


def test_the_triage_lists_running_pilots_with_the_four_answers_and_marks_gaps(
    client, pm, playbook, production_owner
):
    answered = build_pilot(
        programme_manager=pm,
        playbook=playbook,
        name="Answered",
        production_owner=production_owner,
        launch=False,
    )
    services.pilot_launch(pilot=complete_intake(answered), actor=pm)
    build_pilot(programme_manager=pm, playbook=playbook, name="Bare")
    build_pilot(programme_manager=pm, playbook=playbook, name="Not started", launch=False)
    client.force_login(pm)
    response = client.get(reverse("triage"))
    running = {p.name: p for p in response.context["running"]}
    assert set(running) == {"Answered", "Bare"}
    assert running["Answered"].unanswered == []
    assert running["Bare"].unanswered == ["owner", "outcome", "cost", "workforce"]
    summary = response.context["summary"]
    assert (summary["running"], summary["complete"], summary["incomplete"]) == (2, 1, 1)
    body = response.content.decode()
    assert body.count("Missing</span>") == 4
    assert "Minutes to route a claim" in body and "€ 120,000" in body


def test_a_triage_decision_is_recorded_with_the_answers_it_had(client, pm, running):
    client.force_login(pm)
    response = client.post(
        reverse("pilot-triage", args=[running.pk]),
        {"kind": "continue", "rationale": "Owner and outcome are clear."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="triage-{running.pk}"') and "Continue" in body
    decision = Decision.objects.get(in_triage=True)
    assert decision.kind == DecisionKind.CONTINUE and decision.decided_by == pm
    assert decision.details["answers"] == {
        "owner": True,
        "outcome": False,
        "cost": False,
        "workforce": False,
    }
    assert decision.details["unanswered"] == ["outcome", "cost", "workforce"]
    assert Pilot.objects.get(pk=running.pk).status == Pilot.Status.ACTIVE
    event = AuditEvent.objects.get(verb="decision.continue")
    assert (
        event.after["triage"] is True
        and event.after["unanswered"] == decision.details["unanswered"]
    )


def test_a_triage_without_a_reason_is_refused(client, pm, running):
    client.force_login(pm)
    url = reverse("pilot-triage", args=[running.pk])
    assert client.post(url, {"kind": "pause", "rationale": "  "}).status_code == 400
    htmx = client.post(url, {"kind": "pause", "rationale": ""}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 422 and "Write down the reason" in htmx.content.decode()
    assert client.post(url, {"kind": "resume", "rationale": "x"}).status_code == 400
    assert client.post(url, {"kind": "pause", "rationale": "x" * 10_000}).status_code == 400
    assert Pilot.objects.get(pk=running.pk).status == Pilot.Status.ACTIVE
    assert not Decision.objects.filter(in_triage=True).exists()


def test_a_triage_of_a_pilot_no_longer_running_is_a_conflict(client, pm, running):
    decide(running, DecisionKind.KILL, pm)
    client.force_login(pm)
    response = client.post(
        reverse("pilot-triage", args=[running.pk]),
        {"kind": "pause", "rationale": "Too late"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert Pilot.objects.get(pk=running.pk).status == Pilot.Status.KILLED


@pytest.mark.parametrize("kind", [DecisionKind.PAUSE, DecisionKind.KILL])
def test_paused_and_stopped_pilots_leave_the_running_portfolio_but_keep_their_history(
    pm, running, kind
):
    count = running.deliverables.count()
    decide(running, kind, pm, in_triage=True)
    pilot = Pilot.objects.get(pk=running.pk)
    assert pilot.status == {DecisionKind.PAUSE: "paused", DecisionKind.KILL: "killed"}[kind]
    assert pilot.deliverables.count() == count and pilot.phase_runs.count() == 3
    (row,) = portfolio.rows(Pilot.objects.for_portfolio(), KICKOFF + timedelta(days=10))
    assert row.stage == pilot.status and row.rag == ""
    assert portfolio.summarise([row]).stages[portfolio.Stage.FOUNDATION] == 0
    assert not Deliverable.objects.for_my_work(running.deliverables.first().owner).exists()
    assert pilot.decisions.filter(kind=kind, in_triage=True).exists()


# --- reminders ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [DecisionKind.PAUSE, DecisionKind.KILL])
def test_paused_and_stopped_pilots_get_no_reminders(
    pm, running, kind, mailoutbox, django_capture_on_commit_callbacks
):
    # Overdue work (escalations), due work (digest), a gate ready and a stuck pilot.
    services.pilot_update(pilot=running, production_owner=None)
    for item in running.deliverables.filter(phase_run__number=1, mandatory=True):
        services.deliverable_set_done(deliverable=item, actor=pm, done=True, expected_version=None)
    decide(Pilot.objects.get(pk=running.pk), kind, pm)
    for days in (6, 13, 20, 40):
        scan_at(at(KICKOFF + timedelta(days=days)), django_capture_on_commit_callbacks)
    assert mailoutbox == [] and not ReminderLog.objects.exists()


def test_a_running_pilot_in_the_same_state_does_get_reminders(
    pm, running, mailoutbox, django_capture_on_commit_callbacks
):
    """The control for the test above: the same world, not paused, does send."""
    services.pilot_update(pilot=running, production_owner=None)
    for days in (6, 13, 20, 40):
        scan_at(at(KICKOFF + timedelta(days=days)), django_capture_on_commit_callbacks)
    kinds = set(ReminderLog.objects.values_list("kind", flat=True))
    assert {"digest", "escalation", "purgatory"} <= kinds and mailoutbox


def test_a_gate_signed_before_the_pause_is_not_announced_after_it(
    pm, running, mailoutbox, django_capture_on_commit_callbacks
):
    run = running.phase_runs.get(number=1)
    with time_machine.travel(at(KICKOFF + timedelta(days=29)), tick=False):
        services.phase_run_sign_off(phase_run=run, actor=pm)
        decide(running, DecisionKind.PAUSE, pm)
    scan_at(at(KICKOFF + timedelta(days=29), 10), django_capture_on_commit_callbacks)
    assert not [m for m in mailoutbox if "signed off" in m.subject]


def test_a_reminder_claimed_before_the_pause_is_not_sent_after_it(
    pm, running, mailoutbox, django_capture_on_commit_callbacks
):
    for item in running.deliverables.filter(phase_run__number=1, mandatory=True):
        services.deliverable_set_done(deliverable=item, actor=pm, done=True, expected_version=None)
    moment = at(KICKOFF + timedelta(days=5))
    with time_machine.travel(moment, tick=False):
        reminders.scan(moment, send=False)  # claimed, the worker has not sent it yet
    claimed = list(ReminderLog.objects.filter(kind="gate_ready").values_list("pk", flat=True))
    assert claimed
    decide(running, DecisionKind.PAUSE, pm)
    with time_machine.travel(moment, tick=False):
        results = {reminders.deliver(pk, moment) for pk in claimed}
    assert results == {"skipped"} and mailoutbox == []


# --- pause and resume ---------------------------------------------------------------------


def test_resume_shifts_the_open_plan_by_the_length_of_the_pause(pm, running):
    done = running.deliverables.order_by("due_date").first()
    services.deliverable_set_done(deliverable=done, actor=pm, done=True, expected_version=None)
    done.refresh_from_db()
    open_before = dict(running.deliverables.open().values_list("pk", "due_date"))
    steps_before = dict(running.rollout_steps.values_list("pk", "planned_on"))
    runs_before = dict(running.phase_runs.values_list("pk", "planned_start"))
    with time_machine.travel(at(KICKOFF + timedelta(days=20)), tick=False):
        decide(running, DecisionKind.PAUSE, pm)
    with time_machine.travel(at(KICKOFF + timedelta(days=34)), tick=False):
        resume = decide(Pilot.objects.get(pk=running.pk), DecisionKind.RESUME, pm)
    pilot = Pilot.objects.get(pk=running.pk)
    assert pilot.status == Pilot.Status.ACTIVE and resume.details["shift_days"] == 14
    assert pilot.kickoff_date == KICKOFF + timedelta(days=14)
    fortnight = timedelta(days=14)
    open_after = dict(pilot.deliverables.open().values_list("pk", "due_date"))
    assert open_after == {pk: due + fortnight for pk, due in open_before.items()}
    assert pilot.deliverables.get(pk=done.pk).due_date == done.due_date
    steps_after = dict(pilot.rollout_steps.values_list("pk", "planned_on"))
    assert steps_after == {pk: day + fortnight for pk, day in steps_before.items()}
    runs_after = dict(pilot.phase_runs.values_list("pk", "planned_start"))
    assert runs_after == {pk: day + fortnight for pk, day in runs_before.items()}
    verbs = list(AuditEvent.objects.filter(pilot_id=pilot.pk).values_list("verb", flat=True))
    assert {"decision.pause", "decision.resume", "pilot.kickoff_moved"} <= set(verbs)


def test_a_decided_rollout_step_keeps_its_date_on_resume(pm, running):
    step = running.rollout_steps.get(order=1)
    type(step).objects.filter(pk=step.pk).update(
        decision=RolloutDecision.NO_GO, checks="Latency", decided_at=at(KICKOFF)
    )
    with time_machine.travel(at(KICKOFF + timedelta(days=20)), tick=False):
        decide(running, DecisionKind.PAUSE, pm)
    with time_machine.travel(at(KICKOFF + timedelta(days=27)), tick=False):
        decide(Pilot.objects.get(pk=running.pk), DecisionKind.RESUME, pm)
    assert running.rollout_steps.get(pk=step.pk).planned_on == step.planned_on


def test_a_pause_and_resume_on_the_same_day_moves_nothing(pm, running):
    before = dict(running.deliverables.values_list("pk", "due_date"))
    decide(running, DecisionKind.PAUSE, pm)
    resume = decide(Pilot.objects.get(pk=running.pk), DecisionKind.RESUME, pm)
    assert resume.details["shift_days"] == 0
    assert dict(running.deliverables.values_list("pk", "due_date")) == before


@pytest.mark.parametrize(
    "status, kind",
    [
        ("active", DecisionKind.RESUME),
        ("paused", DecisionKind.PAUSE),
        ("killed", DecisionKind.RESUME),
        ("killed", DecisionKind.KILL),
        ("in_production", DecisionKind.KILL),
        ("intake", DecisionKind.PAUSE),
    ],
)
def test_decisions_that_do_not_fit_the_status_are_refused(pm, running, status, kind):
    Pilot.objects.filter(pk=running.pk).update(status=status)
    with pytest.raises(services.ChangeRefused):
        decide(Pilot.objects.get(pk=running.pk), kind, pm)
    assert Pilot.objects.get(pk=running.pk).status == status
    assert not Decision.objects.exclude(kind=DecisionKind.START).exists()


def test_a_pilot_in_intake_can_be_stopped_before_it_starts(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, launch=False)
    decide(pilot, DecisionKind.KILL, pm)
    assert Pilot.objects.get(pk=pilot.pk).status == Pilot.Status.KILLED


# --- the Decisions tab --------------------------------------------------------------------


def test_pausing_and_resuming_from_the_decisions_tab(client, pm, running):
    client.force_login(pm)
    url = reverse("pilot-decisions", args=[running.pk])
    response = client.post(url, {"kind": "pause", "rationale": "Waiting for the budget."})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Waiting for the budget." in page and "Resume pilot" in page
    detail = client.get(reverse("pilot-detail", args=[running.pk])).content.decode()
    assert "This pilot is paused since" in detail
    response = client.post(url, {"kind": "resume", "rationale": "Budget approved."}, follow=True)
    assert "Resumed." in response.content.decode()
    assert Pilot.objects.get(pk=running.pk).status == Pilot.Status.ACTIVE


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "pause", "rationale": ""},
        {"kind": "pause", "rationale": "x\x00y"},
        {"kind": "pause", "rationale": "x" * 10_000},
        {"kind": "go_live", "rationale": "Why not"},
        {"kind": "continue", "rationale": "Outside a triage"},
    ],
)
def test_bad_decisions_are_form_errors_and_change_nothing(client, pm, running, data):
    client.force_login(pm)
    response = client.post(reverse("pilot-decisions", args=[running.pk]), data)
    assert response.status_code == 400
    assert Pilot.objects.get(pk=running.pk).status == Pilot.Status.ACTIVE
    assert Decision.objects.filter(pilot=running).count() == 1  # the start only


def test_a_decision_the_status_does_not_allow_is_explained(client, pm, running):
    client.force_login(pm)
    url = reverse("pilot-decisions", args=[running.pk])
    response = client.post(url, {"kind": "resume", "rationale": "Go on"}, follow=True)
    assert "Only a paused pilot can be resumed." in response.content.decode()


# --- reads --------------------------------------------------------------------------------

# Session, user, groups, the pilots with their answers and last triage, bell.
TRIAGE_PAGE_QUERIES = 5
# Session, user, groups, the pilot, its decisions, the Governance tab's stop flag, bell.
DECISIONS_PAGE_QUERIES = 7


def test_the_triage_page_reads_the_same_queries_whatever_the_number_of_pilots(
    client, pm, playbook, django_assert_num_queries
):
    client.force_login(pm)
    for count in (1, 6):
        while Pilot.objects.count() < count:
            pilot = build_pilot(
                programme_manager=pm, playbook=playbook, name=f"P{Pilot.objects.count()}"
            )
            complete_intake(pilot)
            decide(pilot, DecisionKind.CONTINUE, pm, in_triage=True)
        with django_assert_num_queries(TRIAGE_PAGE_QUERIES):
            response = client.get(reverse("triage"))
        assert len(response.context["running"]) == count


def test_the_decisions_tab_reads_a_fixed_number_of_queries(
    client, pm, running, django_assert_num_queries
):
    client.force_login(pm)
    url = reverse("pilot-decisions", args=[running.pk])
    for _ in range(3):
        decide(Pilot.objects.get(pk=running.pk), DecisionKind.CONTINUE, pm, in_triage=True)
        with django_assert_num_queries(DECISIONS_PAGE_QUERIES):
            assert client.get(url).status_code == 200
