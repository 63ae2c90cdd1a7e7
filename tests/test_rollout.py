"""The phased rollout (steps, go/no-go on checks) and go-live: refused before the Scale gate
is signed off and while readiness checks are open; then In production, with how it is run."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from governance import gates
from governance.models import AuditEvent
from pilots import rollout, services
from pilots.models import (
    Decision,
    DecisionKind,
    Deliverable,
    Operation,
    Pilot,
    RolloutDecision,
    RolloutStep,
)
from tests.conftest import KICKOFF, build_pilot
from tests.governance_builders import close_mandatory, phase_run
from tests.lifecycle_builders import add_readiness_check

TODAY = KICKOFF + timedelta(days=70)


@pytest.fixture
def scaling(pm, sponsor, production_owner, playbook):
    """A running pilot whose Scale phase has a readiness check that is not mandatory."""
    add_readiness_check(playbook)
    return build_pilot(
        programme_manager=pm, playbook=playbook, sponsor=sponsor, production_owner=production_owner
    )


def sign_scale_gate(pilot, pm, production_owner) -> None:
    run = phase_run(pilot, 3)
    close_mandatory(run, pm)
    for slot, signer in (("programme_manager", pm), ("production_owner", production_owner)):
        gates.gate_sign(phase_run=run, slot=slot, signer=signer, statement="Ready for users.")


def close_readiness_checks(pilot, pm) -> None:
    for item in pilot.deliverables.filter(kind="readiness_check").open():
        services.deliverable_set_done(deliverable=item, actor=pm, done=True, expected_version=None)


def details(owner) -> rollout.OperatingDetails:
    return rollout.OperatingDetails(
        operating_owner=owner,
        runbook_url="https://wiki.example.com/runbook",
        support_model="Ops monitors daily; platform team on incidents.",
        on_call_contact="Duty engineer, +31 20 555 0100",
        review_cadence="quarterly",
    )


def step(pilot, order: int) -> RolloutStep:
    found = pilot.rollout_steps.get(order=order)
    found.pilot = pilot
    return found


# --- steps --------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_step_goes_only_after_the_steps_before_it(pm, scaling):
    with pytest.raises(services.ChangeRefused, match="steps before this one"):
        rollout.rollout_step_decide(
            step=step(scaling, 2), decision="go", checks="Looks fine", actor=pm
        )
    canary = rollout.rollout_step_decide(
        step=step(scaling, 1), decision="go", checks="p95 under 80 ms", actor=pm
    )
    assert canary.actual_on == TODAY and canary.decided_by == pm
    half = rollout.rollout_step_decide(
        step=step(scaling, 2), decision="go", checks="A week clean", actor=pm
    )
    assert half.decision == RolloutDecision.GO
    event = AuditEvent.objects.filter(verb="rollout.step_decided").latest("seq")
    assert event.after == {
        "step": "Half of the users",
        "share": "50 %",
        "decision": "go",
        "checks": "A week clean",
        "actual_on": TODAY.isoformat(),
    }


@time_machine.travel(TODAY, tick=False)
def test_a_no_go_can_be_followed_by_a_go_but_a_go_is_final(pm, scaling):
    canary = rollout.rollout_step_decide(
        step=step(scaling, 1), decision="no_go", checks="Errors at 6 %", actor=pm
    )
    assert canary.decision == RolloutDecision.NO_GO and canary.actual_on is None
    rollout.rollout_step_decide(
        step=step(scaling, 1),
        decision="go",
        checks="Errors at 1 % after the fix",
        actual_on=TODAY - timedelta(days=1),
        actor=pm,
    )
    with pytest.raises(services.ChangeRefused, match="already gone ahead"):
        rollout.rollout_step_decide(step=step(scaling, 1), decision="no_go", checks="x", actor=pm)
    with pytest.raises(services.ChangeRefused, match="stays as it was decided"):
        rollout.rollout_step_update(
            step=step(scaling, 1), label="Canary", percent_from=5, percent_to=5, planned_on=TODAY
        )
    with pytest.raises(services.ChangeRefused, match="stays on the record"):
        rollout.rollout_step_remove(step=step(scaling, 1))
    verbs = AuditEvent.objects.filter(verb="rollout.step_decided").values_list("after", flat=True)
    assert [after["decision"] for after in verbs] == ["no_go", "go"]


@time_machine.travel(TODAY, tick=False)
def test_rollout_decisions_wait_while_the_pilot_is_paused(pm, scaling):
    Pilot.objects.filter(pk=scaling.pk).update(status=Pilot.Status.PAUSED)
    with pytest.raises(services.ChangeRefused, match="while the pilot is running"):
        rollout.rollout_step_decide(step=step(scaling, 1), decision="go", checks="x", actor=pm)


def test_steps_are_edited_inline_with_htmx(client, pm, scaling):
    client.force_login(pm)
    canary = step(scaling, 1)
    url = reverse("pilot-rollout-edit", args=[scaling.pk, canary.pk])
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    assert form.content.decode().lstrip().startswith(f'<tr id="step-{canary.pk}"')
    data = {
        "label": "Pilot branch",
        "percent_from": "12",
        "percent_to": "12",
        "planned_on": "2026-05-05",
    }
    saved = client.post(url, data, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "Pilot branch" in saved.content.decode()
    canary.refresh_from_db()
    assert (canary.label, canary.share, canary.planned_on) == (
        "Pilot branch",
        "12 %",
        date(2026, 5, 5),
    )
    assert client.get(url).status_code == 200  # the same form as a page, without htmx


@pytest.mark.parametrize(
    "data",
    [
        {"label": "Half", "percent_from": "60", "percent_to": "50", "planned_on": "2026-05-05"},
        {"label": "Half", "percent_from": "0", "percent_to": "50", "planned_on": "2026-05-05"},
        {"label": "Half", "percent_from": "10", "percent_to": "101", "planned_on": "2026-05-05"},
        {"label": "", "percent_from": "10", "percent_to": "20", "planned_on": "2026-05-05"},
        {
            "label": "x" * 10_000,
            "percent_from": "10",
            "percent_to": "20",
            "planned_on": "2026-05-05",
        },
        {"label": "a\x00b", "percent_from": "10", "percent_to": "20", "planned_on": "2026-05-05"},
        {"label": "Half", "percent_from": "10", "percent_to": "20", "planned_on": "9999-01-01"},
        {"label": "Half", "percent_from": "ten", "percent_to": "20", "planned_on": "2026-05-05"},
    ],
)
def test_bad_steps_are_form_errors_and_change_nothing(client, pm, scaling, data):
    client.force_login(pm)
    before = list(
        RolloutStep.objects.values_list("label", "percent_from", "percent_to", "planned_on")
    )
    canary = step(scaling, 1)
    edit = reverse("pilot-rollout-edit", args=[scaling.pk, canary.pk])
    assert client.post(edit, data).status_code == 400
    assert client.post(edit, data, HTTP_HX_REQUEST="true").status_code == 422
    assert client.post(reverse("pilot-rollout-add", args=[scaling.pk]), data).status_code == 400
    after = list(
        RolloutStep.objects.values_list("label", "percent_from", "percent_to", "planned_on")
    )
    assert after == before


def test_adding_and_removing_a_step(client, pm, scaling):
    client.force_login(pm)
    data = {
        "label": "Night shift",
        "percent_from": "100",
        "percent_to": "100",
        "planned_on": "2026-05-20",
    }
    assert client.post(reverse("pilot-rollout-add", args=[scaling.pk]), data).status_code == 302
    added = scaling.rollout_steps.get(label="Night shift")
    assert added.order == 4
    url = reverse("pilot-rollout-remove", args=[scaling.pk, added.pk])
    assert client.post(url).status_code == 302
    assert scaling.rollout_steps.count() == 3
    assert client.post(url).status_code == 404


def test_default_steps_for_a_pilot_launched_without_them(client, pm, scaling):
    RolloutStep.objects.all().delete()
    client.force_login(pm)
    url = reverse("pilot-rollout-defaults", args=[scaling.pk])
    assert client.post(url).status_code == 302
    assert scaling.rollout_steps.count() == 3
    response = client.post(url, follow=True)
    assert "already has rollout steps" in response.content.decode()
    assert scaling.rollout_steps.count() == 3


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    "data",
    [
        {"decision": "go", "checks": ""},
        {"decision": "maybe", "checks": "Fine"},
        {"decision": "go", "checks": "Fine", "actual_on": "2026-05-13"},  # tomorrow
        {"decision": "go", "checks": "x" * 10_000},
    ],
)
def test_bad_go_no_go_is_a_form_error(client, pm, scaling, data):
    client.force_login(pm)
    url = reverse("pilot-rollout-decide", args=[scaling.pk, step(scaling, 1).pk])
    assert client.post(url, data).status_code == 400
    assert step(scaling, 1).decision == RolloutDecision.PENDING


# --- go-live ------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_go_live_is_refused_before_the_scale_gate_is_signed(pm, production_owner, scaling):
    close_readiness_checks(scaling, pm)
    assert rollout.go_live_blockers(scaling) == ["The Scale gate is not signed off yet."]
    with pytest.raises(services.ChangeRefused, match="Scale gate is not signed off"):
        rollout.pilot_go_live(
            pilot=scaling, details=details(production_owner), rationale="Ready", actor=pm
        )
    assert Pilot.objects.get(pk=scaling.pk).status == Pilot.Status.ACTIVE
    assert not Operation.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_go_live_is_refused_while_a_readiness_check_is_open(pm, production_owner, scaling):
    sign_scale_gate(scaling, pm, production_owner)
    assert rollout.go_live_blockers(scaling) == [
        "1 readiness check is still open: “Backup and recovery tested”."
    ]
    with pytest.raises(services.ChangeRefused, match="readiness check is still open"):
        rollout.pilot_go_live(
            pilot=scaling, details=details(production_owner), rationale="Ready", actor=pm
        )
    assert not Operation.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_go_live_makes_the_pilot_in_production_with_its_operating_details(
    pm, production_owner, scaling
):
    sign_scale_gate(scaling, pm, production_owner)
    close_readiness_checks(scaling, pm)
    operation = rollout.pilot_go_live(
        pilot=scaling, details=details(production_owner), rationale="Gate signed.", actor=pm
    )
    pilot = Pilot.objects.get(pk=scaling.pk)
    assert pilot.status == Pilot.Status.IN_PRODUCTION and pilot.version > scaling.version
    assert (operation.live_since, operation.next_review_on) == (TODAY, date(2026, 8, 11))
    decision = Decision.objects.get(pilot=pilot, kind=DecisionKind.GO_LIVE)
    assert (
        decision.rationale == "Gate signed." and decision.details["review_cadence"] == "quarterly"
    )
    event = AuditEvent.objects.get(verb="decision.go_live")
    assert (event.before["status"], event.after["status"]) == ("active", "in_production")
    assert event.after["operating_owner"] == production_owner.pk
    with pytest.raises(services.ChangeRefused):
        rollout.pilot_go_live(
            pilot=pilot, details=details(production_owner), rationale="Again", actor=pm
        )


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 5, 12), 6, date(2026, 11, 12)),
    ],
)
def test_review_dates_fall_on_a_real_day(day, months, expected):
    assert rollout.add_months(day, months) == expected


@time_machine.travel(TODAY, tick=False)
def test_going_live_through_the_page(client, pm, production_owner, scaling):
    client.force_login(pm)
    url = reverse("pilot-go-live", args=[scaling.pk])
    data = {
        "operating_owner": production_owner.pk,
        "runbook_url": "wiki.example.com/runbook",
        "support_model": "Ops daily, platform on incidents.",
        "on_call_contact": "Duty engineer",
        "review_cadence": "monthly",
        "rationale": "Everything checked.",
    }
    refused = client.post(url, data)
    assert refused.status_code == 409 and "Not live yet" in refused.content.decode()
    sign_scale_gate(scaling, pm, production_owner)
    close_readiness_checks(scaling, pm)
    page = client.get(reverse("pilot-rollout", args=[scaling.pk])).content.decode()
    assert f'action="/pilots/{scaling.pk}/go-live/"' in page
    for bad in (
        {"runbook_url": "javascript:alert(1)"},
        {"review_cadence": "hourly"},
        {"on_call_contact": "x" * 10_000},
    ):
        assert client.post(url, {**data, **bad}).status_code == 400
    assert not Operation.objects.exists()
    assert client.post(url, data).status_code == 302
    operation = Operation.objects.get()
    assert operation.runbook_url == "https://wiki.example.com/runbook"
    detail = client.get(reverse("pilot-detail", args=[scaling.pk])).content.decode()
    assert "In production since" in detail and "Duty engineer" in detail


# --- reads --------------------------------------------------------------------------------

# Session, user, groups, the pilot (with how it is operated), its steps, the Scale phase,
# its readiness checks, the Governance tab's stop flag, bell; once nothing blocks go-live,
# also the person list of its form.
ROLLOUT_PAGE_QUERIES = 9


@time_machine.travel(TODAY, tick=False)
def test_the_rollout_tab_reads_a_fixed_number_of_queries(
    client, pm, scaling, django_assert_num_queries
):
    client.force_login(pm)
    url = reverse("pilot-rollout", args=[scaling.pk])
    for label in ("Extra 1", "Extra 2"):
        with django_assert_num_queries(ROLLOUT_PAGE_QUERIES):
            assert client.get(url).status_code == 200
        rollout.rollout_step_add(
            pilot=scaling, label=label, percent_from=100, percent_to=100, planned_on=TODAY
        )
    assert Deliverable.objects.filter(pilot=scaling, kind="readiness_check").count() == 1


# --- reviews of a pilot in production -----------------------------------------------------


@pytest.fixture
def live(pm, production_owner, scaling):
    for user in (pm, production_owner):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    with time_machine.travel(TODAY, tick=False):
        sign_scale_gate(scaling, pm, production_owner)
        close_readiness_checks(scaling, pm)
        rollout.pilot_go_live(
            pilot=scaling, details=details(production_owner), rationale="Ready", actor=pm
        )
    return Pilot.objects.get(pk=scaling.pk)  # next review 11 Aug 2026


def scan_on(day: date, capture) -> None:
    from pilots import reminders

    moment = timezone.make_aware(datetime.combine(day, time(9)))
    with time_machine.travel(moment, tick=False), capture(execute=True):
        reminders.scan(moment)


def test_a_coming_review_reminds_the_operating_owner_and_the_manager_once(
    live, mailoutbox, django_capture_on_commit_callbacks
):
    scan_on(date(2026, 8, 3), django_capture_on_commit_callbacks)  # 8 days before
    assert not [m for m in mailoutbox if "review due" in m.subject]
    for day in (date(2026, 8, 4), date(2026, 8, 5), date(2026, 8, 12)):
        scan_on(day, django_capture_on_commit_callbacks)
    reviews = [m for m in mailoutbox if "review due" in m.subject]
    assert sorted(m.to[0] for m in reviews) == ["pm@example.com", "prodowner@example.com"]
    assert "11 Aug 2026" in reviews[0].subject and "Rollout tab" in reviews[0].body


def test_recording_the_review_sets_the_next_date_and_quiets_the_old_reminder(
    client, live, production_owner, mailoutbox
):
    from pilots import reminders
    from pilots.notifications_models import ReminderLog

    moment = timezone.make_aware(datetime.combine(date(2026, 8, 6), time(9)))
    with time_machine.travel(moment, tick=False):
        reminders.scan(moment, send=False)
        client.force_login(production_owner)
        url = reverse("pilot-operation-review", args=[live.pk])
        assert client.post(url, {"notes": ""}).status_code == 400
        assert client.post(url, {"notes": "On target; cost as planned."}).status_code == 302
        results = {
            reminders.deliver(pk, moment) for pk in ReminderLog.objects.values_list("pk", flat=True)
        }
    operation = Operation.objects.get(pilot=live)
    assert (operation.last_reviewed_on, operation.next_review_on) == (
        date(2026, 8, 6),
        date(2026, 11, 6),
    )
    assert results == {"skipped"} and mailoutbox == []
    event = AuditEvent.objects.get(verb="operation.reviewed")
    assert event.after["notes"] == "On target; cost as planned."


def test_only_the_manager_or_the_operating_owner_records_a_review(client, live, leader, sponsor):
    url = reverse("pilot-operation-review", args=[live.pk])
    for reader in (leader, sponsor):
        client.force_login(reader)
        assert client.post(url, {"notes": "Fine"}).status_code == 403
    assert Operation.objects.get(pilot=live).last_reviewed_on is None


def test_a_pilot_not_in_production_has_no_reviews(pm, scaling):
    with pytest.raises(services.ChangeRefused, match="Only a pilot in production"):
        rollout.operation_review_record(pilot=scaling, notes="x", actor=pm)
