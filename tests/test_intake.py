"""The five decisions before day 1: the readiness meter, the intake form, the cost lines,
and the launch that waits for them unless the programme manager overrides in writing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from governance.models import AuditEvent
from pilots import intake, services
from pilots.models import CostLine, Decision, DecisionKind, Intake, Pilot, RolloutStep
from tests.conftest import KICKOFF, build_pilot
from tests.lifecycle_builders import answers_for, complete_intake

HOSTILE = "<script>alert('x')</script> 漢字 🚀"


@pytest.fixture
def waiting(pm, sponsor, production_owner, playbook):
    """A pilot in intake, nothing answered but its production owner."""
    return build_pilot(
        programme_manager=pm,
        playbook=playbook,
        sponsor=sponsor,
        production_owner=production_owner,
        launch=False,
    )


def intake_post(pilot, **changes) -> dict:
    answers = answers_for(pilot, **changes)
    data = {name: getattr(answers, name) for name in answers.__dataclass_fields__}
    data["production_owner"] = data["production_owner"].pk if data["production_owner"] else ""
    data = {k: "" if v is None else str(v) for k, v in data.items()}
    data["version"] = str(pilot.version)
    return data


# --- the readiness meter ------------------------------------------------------------------


def test_it_lists_what_each_of_the_five_decisions_still_lacks(waiting):
    readiness = intake.readiness(waiting)
    assert (readiness.answered_count, readiness.total, readiness.percent) == (1, 5, 20)
    missing = {answer.question: answer.missing for answer in readiness.unanswered}
    assert missing[intake.Question.SUCCESS_METRIC] == (
        "a name",
        "a unit",
        "a baseline",
        "a target",
        "a target date",
    )
    assert missing[intake.Question.GOVERNANCE] == ("when", "with whom", "their early read")
    assert missing[intake.Question.COSTED] == ("cost lines", "the expected yearly benefit")
    assert missing[intake.Question.WORKFORCE] == ("the plan",)


def test_it_counts_each_decision_once_fully_answered(waiting):
    pilot = complete_intake(waiting)
    readiness = intake.readiness(pilot)
    assert readiness.complete and readiness.percent == 100 and readiness.warnings == []


def test_a_production_owner_who_is_the_sponsor_is_answered_with_a_warning(waiting, sponsor):
    pilot = complete_intake(waiting, production_owner=sponsor)
    readiness = intake.readiness(pilot)
    assert readiness.complete
    assert any("also the sponsor" in warning for warning in readiness.warnings)


def test_the_intake_page_warns_when_owner_and_sponsor_are_one_person(client, pm, waiting, sponsor):
    complete_intake(waiting, production_owner=sponsor)
    client.force_login(pm)
    page = client.get(reverse("pilot-intake", args=[waiting.pk])).content.decode()
    assert "also the sponsor" in page


def test_a_model_score_as_success_metric_is_flagged(waiting):
    pilot = complete_intake(waiting, success_metric="Test-set accuracy")
    assert any("model score" in w for w in intake.readiness(pilot).warnings)


def test_running_costs_above_the_benefit_are_flagged(waiting):
    pilot = complete_intake(waiting, cost=Decimal("300000"))
    assert any("costs more than the benefit" in w for w in intake.readiness(pilot).warnings)


# --- launching ----------------------------------------------------------------------------


def test_launch_is_refused_while_decisions_are_open(waiting, pm):
    with pytest.raises(services.ChangeRefused, match="4 of the five intake decisions"):
        services.pilot_launch(pilot=waiting, actor=pm)
    pilot = Pilot.objects.get(pk=waiting.pk)
    assert pilot.status == Pilot.Status.INTAKE and not pilot.is_launched
    assert not pilot.phase_runs.exists() and not pilot.deliverables.exists()
    assert not Decision.objects.exists() and not RolloutStep.objects.exists()


def test_launch_goes_ahead_once_the_five_are_answered(waiting, pm):
    pilot = services.pilot_launch(pilot=complete_intake(waiting), actor=pm)
    assert pilot.status == Pilot.Status.ACTIVE
    decision = Decision.objects.get(pilot=pilot)
    assert decision.kind == DecisionKind.START and decision.decided_by == pm


def test_the_programme_manager_overrides_with_a_written_reason_on_the_record(waiting, pm):
    pilot = services.pilot_launch(
        pilot=waiting, actor=pm, override_reason="  The board wants the pilot this quarter. "
    )
    assert pilot.status == Pilot.Status.ACTIVE and pilot.deliverables.exists()
    decision = Decision.objects.get(pilot=pilot)
    assert decision.kind == DecisionKind.OVERRIDE
    assert decision.rationale == "The board wants the pilot this quarter."
    assert "Workforce change planned" in decision.details["missing"]
    event = AuditEvent.objects.get(verb="decision.override")
    assert event.pilot_id == pilot.pk and event.actor_id == pm.pk
    assert event.after["rationale"] == "The board wants the pilot this quarter."
    assert event.after["missing"] == decision.details["missing"]
    assert (event.before["status"], event.after["status"]) == ("intake", "active")


@pytest.mark.parametrize("who", ["admin_user", "other_pm"])
def test_only_the_pilots_programme_manager_may_override(waiting, who, request):
    with pytest.raises(services.ChangeRefused, match="Only the pilot's programme manager"):
        services.pilot_launch(
            pilot=waiting, actor=request.getfixturevalue(who), override_reason="Because."
        )
    assert not Pilot.objects.get(pk=waiting.pk).is_launched


def test_a_programme_manager_who_lost_the_role_cannot_override(waiting, pm):
    pm.groups.clear()
    pm = type(pm).objects.get(pk=pm.pk)
    with pytest.raises(services.ChangeRefused, match="Only the pilot's programme manager"):
        services.pilot_launch(pilot=waiting, actor=pm, override_reason="Because.")


def test_a_refused_launch_through_the_page_goes_back_to_the_intake(client, pm, waiting):
    client.force_login(pm)
    response = client.post(reverse("pilot-launch", args=[waiting.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("pilot-intake", args=[waiting.pk])
    assert "Not launched" in response.content.decode()
    assert not Pilot.objects.get(pk=waiting.pk).is_launched


def test_an_override_through_the_page_is_shown_on_the_pilot(client, pm, waiting):
    client.force_login(pm)
    url = reverse("pilot-launch", args=[waiting.pk])
    response = client.post(url, {"override_reason": HOSTILE})
    assert response.status_code == 302
    for page in ("pilot-detail", "pilot-intake", "pilot-decisions"):
        body = client.get(reverse(page, args=[waiting.pk])).content.decode()
        assert "started without every intake decision" in body.lower(), page
        assert "<script>alert" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("reason", ["x" * 10_000, "nul\x00char"])
def test_a_bad_override_reason_is_a_form_error_and_launches_nothing(client, pm, waiting, reason):
    client.force_login(pm)
    response = client.post(reverse("pilot-launch", args=[waiting.pk]), {"override_reason": reason})
    assert response.status_code == 400
    assert response.context["launch_form"].errors
    assert not Pilot.objects.get(pk=waiting.pk).is_launched


def test_the_intake_page_offers_the_override_only_to_the_programme_manager(
    client, pm, admin_user, waiting
):
    url = reverse("pilot-intake", args=[waiting.pk])
    client.force_login(pm)
    assert "Launch anyway" in client.get(url).content.decode()
    client.force_login(admin_user)
    body = client.get(url).content.decode()
    assert "Launch anyway" not in body and "Only the pilot's programme manager" in body


@time_machine.travel(KICKOFF, tick=False)
def test_launch_plans_the_default_rollout_in_the_scale_phase(waiting, pm):
    pilot = services.pilot_launch(pilot=complete_intake(waiting), actor=pm)
    steps = list(pilot.rollout_steps.order_by("order"))
    assert [(s.label, s.percent_from, s.percent_to) for s in steps] == [
        ("Canary", 10, 15),
        ("Half of the users", 50, 50),
        ("Everyone", 100, 100),
    ]
    scale = pilot.phase_runs.get(number=3)
    assert all(scale.planned_start <= s.planned_on <= scale.planned_end for s in steps)
    assert [s.planned_on for s in steps] == sorted(s.planned_on for s in steps)


def test_moving_the_kickoff_moves_the_rollout_steps_not_yet_decided(pilot):
    before = {s.pk: s.planned_on for s in pilot.rollout_steps.all()}
    services.pilot_update(pilot=pilot, kickoff_date=KICKOFF + timedelta(days=7))
    after = {s.pk: s.planned_on for s in pilot.rollout_steps.all()}
    assert {pk: day - before[pk] for pk, day in after.items()} == {
        pk: timedelta(days=7) for pk in before
    }


# --- the intake form ----------------------------------------------------------------------


def test_saving_the_intake_writes_pilot_and_answers_and_moves_the_version(client, pm, waiting):
    client.force_login(pm)
    url = reverse("pilot-intake", args=[waiting.pk])
    response = client.post(url, intake_post(waiting, success_metric=HOSTILE[:160]))
    assert response.status_code == 302
    pilot = Pilot.objects.get(pk=waiting.pk)
    assert pilot.version == waiting.version + 1
    assert pilot.success_target == Decimal("9") and pilot.success_metric == HOSTILE[:160]
    assert Intake.objects.get(pilot=pilot).workforce_plan.startswith("Claim handlers")
    event = AuditEvent.objects.get(verb="intake.updated")
    assert event.after["success_target"] == "9" and event.before["success_target"] is None
    body = client.get(url).content.decode()
    assert "<script>alert" not in body and "漢字 🚀" in body


def test_saving_unchanged_answers_writes_nothing(client, pm, waiting):
    pilot = complete_intake(waiting)
    client.force_login(pm)
    events = AuditEvent.objects.count()
    response = client.post(reverse("pilot-intake", args=[pilot.pk]), intake_post(pilot))
    assert response.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).version == pilot.version
    assert AuditEvent.objects.count() == events


def test_an_intake_edit_over_someone_elses_is_refused_and_shows_theirs(client, pm, waiting):
    client.force_login(pm)
    url = reverse("pilot-intake", args=[waiting.pk])
    stale = intake_post(waiting, workforce_plan="Mine")
    complete_intake(waiting, workforce_plan="Theirs")
    response = client.post(url, stale)
    assert response.status_code == 409
    assert Intake.objects.get(pilot=waiting).workforce_plan == "Theirs"
    body = response.content.decode()
    assert "Someone else changed this pilot" in body and "Theirs" in body


@pytest.mark.parametrize(
    "field, value",
    [
        ("workforce_plan", "x" * 10_000),
        ("success_metric", "bad\x00name"),
        ("success_target_date", "2026-02-31"),
        ("success_target_date", "9999-12-31"),
        ("governance_engaged_on", "yesterday"),
        ("expected_yearly_benefit", "-5"),
        ("success_baseline", "1e400"),
        ("production_owner", "999999"),
        ("version", "abc"),
    ],
)
def test_bad_intake_input_is_a_form_error_and_saves_nothing(client, pm, waiting, field, value):
    client.force_login(pm)
    data = intake_post(waiting)
    data[field] = value
    response = client.post(reverse("pilot-intake", args=[waiting.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    pilot = Pilot.objects.get(pk=waiting.pk)
    assert pilot.version == waiting.version and pilot.success_metric == ""
    assert not Intake.objects.exists()


# --- cost lines ---------------------------------------------------------------------------


def test_a_people_cost_line_is_fte_times_rate(client, pm, waiting):
    client.force_login(pm)
    response = client.post(
        reverse("pilot-cost-add", args=[waiting.pk]),
        {"category": "staff", "description": "Ops", "fte": "0.5", "fte_annual_rate": "70000"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    line = CostLine.objects.get(pilot=waiting)
    assert line.annual_cost == Decimal("35000.00")
    body = response.content.decode()
    assert 'id="costs"' in body and 'id="readiness" class="card readiness"' in body
    assert 'hx-swap-oob="true"' in body and "€ 35,000" in body
    assert AuditEvent.objects.filter(verb="intake.cost_added").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"category": "staff", "annual_cost": "-10"},
        {"category": "staff", "fte": "-1", "fte_annual_rate": "1000"},
        {"category": "staff", "fte": "1"},
        {"category": "staff", "annual_cost": "10", "fte": "1", "fte_annual_rate": "5"},
        {"category": "staff"},
        {"category": "bitcoin", "annual_cost": "10"},
        {"category": "staff", "annual_cost": "10", "description": "x\x00"},
        {"category": "staff", "annual_cost": "1" * 20},
    ],
)
def test_bad_cost_lines_are_refused_and_nothing_is_saved(client, pm, waiting, data):
    client.force_login(pm)
    url = reverse("pilot-cost-add", args=[waiting.pk])
    assert client.post(url, data).status_code == 400
    assert client.post(url, data, HTTP_HX_REQUEST="true").status_code == 422
    assert not CostLine.objects.exists()


def test_removing_a_cost_line(client, pm, waiting):
    line = CostLine.objects.create(pilot=waiting, category="staff", annual_cost=Decimal(10))
    client.force_login(pm)
    url = reverse("pilot-cost-remove", args=[waiting.pk, line.pk])
    assert client.post(url).status_code == 302
    assert not CostLine.objects.exists()
    assert AuditEvent.objects.get(verb="intake.cost_removed").before["annual_cost"] == "10.00"
    assert client.post(url).status_code == 404


def test_a_cost_line_of_another_pilot_is_not_found(client, pm, waiting, playbook):
    other = build_pilot(programme_manager=pm, playbook=playbook, name="Other", launch=False)
    line = CostLine.objects.create(pilot=other, category="staff", annual_cost=Decimal(10))
    client.force_login(pm)
    url = reverse("pilot-cost-remove", args=[waiting.pk, line.pk])
    assert client.post(url).status_code == 404
    assert CostLine.objects.filter(pk=line.pk).exists()


# --- reads --------------------------------------------------------------------------------

# Session, user, groups, the pilot (with its intake and membership check), its launch
# override, cost lines, the Governance tab's stop flag, bell; and the form's person list.
INTAKE_PAGE_QUERIES = 9


def test_the_intake_page_reads_a_fixed_number_of_queries(
    client, pm, waiting, django_assert_num_queries
):
    complete_intake(waiting)
    client.force_login(pm)
    url = reverse("pilot-intake", args=[waiting.pk])
    client.get(url)
    with django_assert_num_queries(INTAKE_PAGE_QUERIES):
        assert client.get(url).status_code == 200
    for i in range(5):
        CostLine.objects.create(pilot=waiting, category="staff", annual_cost=Decimal(i))
    with django_assert_num_queries(INTAKE_PAGE_QUERIES):
        assert client.get(url).status_code == 200


def test_readers_see_the_answers_without_a_form(client, leader, waiting):
    complete_intake(waiting)
    client.force_login(leader)
    response = client.get(reverse("pilot-intake", args=[waiting.pk]))
    assert response.status_code == 200 and response.context["form"] is None
    body = response.content.decode()
    assert "Minutes to route a claim" in body and "Launch anyway" not in body
