"""The risk register's rules and services: levels, authority, acceptance, reopening, and
optimistic locking."""

from datetime import date, timedelta

import pytest
import time_machine

from governance import risks
from governance.models import AcceptanceAuthority, AuditEvent, Risk, RiskAcceptance
from pilots.services import ChangeRefused
from tests.conftest import KICKOFF

TODAY = KICKOFF + timedelta(days=40)  # day 41: the Integration phase


def make_risk(pilot, actor, **fields) -> Risk:
    values = {
        "title": "Model leaks personal data in answers",
        "category": "privacy",
        "likelihood": 4,
        "impact": 5,
        "residual_likelihood": 2,
        "residual_impact": 5,  # 10: medium
        "mitigation": "Redact names before prompting.",
    }
    values.update(fields)
    return risks.risk_create(pilot=pilot, actor=actor, **values)


def accept(risk, actor, **extra):
    values = {
        "justification": "Redaction tested on 500 claims; residual is tolerable.",
        "expires_on": TODAY + timedelta(days=90),
        "today": TODAY,
    }
    values.update(extra)
    return risks.risk_accept(risk=risk, actor=actor, **values)


@pytest.mark.parametrize(
    "score, level",
    [(1, "low"), (6, "low"), (8, "medium"), (12, "medium"), (15, "high"), (25, "high")],
)
def test_it_derives_the_level_from_the_score(score, level):
    assert risks.level_of(score) == level


def test_it_scores_inherent_and_residual_risk(pilot, pm):
    risk = make_risk(pilot, pm)
    assert (risk.score, risk.residual_score) == (20, 10)
    assert risks.level_of(risk.residual_score) == risks.Level.MEDIUM


def test_the_authority_each_level_needs(reviewer, leader, pm):
    assert risks.authority_of(reviewer, "medium") == AcceptanceAuthority.GOVERNANCE_REVIEWER
    assert risks.authority_of(leader, "medium") == AcceptanceAuthority.LEADERSHIP
    assert risks.authority_of(reviewer, "high") is None
    assert risks.authority_of(leader, "high") == AcceptanceAuthority.LEADERSHIP
    assert risks.authority_of(pm, "medium") is None
    assert risks.authority_of(leader, "low") is None


def test_creating_a_risk_is_audited(pilot, pm):
    risk = make_risk(pilot, pm)
    event = AuditEvent.objects.get(verb="risk.created")
    assert event.object_id == str(risk.pk) and event.pilot_id == pilot.pk
    assert event.after["residual_score"] == 10 and event.after["level"] == "medium"


def test_a_reviewer_accepts_a_medium_risk_for_the_current_gate(pilot, pm, reviewer):
    risk = make_risk(pilot, pm)
    acceptance = accept(risk, reviewer)
    assert acceptance.authority == AcceptanceAuthority.GOVERNANCE_REVIEWER
    assert acceptance.phase_run.number == 2  # day 41 is in Integration
    assert acceptance.risk_snapshot["residual_score"] == 10
    assert acceptance.risk_snapshot["mitigation"] == "Redact names before prompting."
    assert risks.is_in_force(acceptance, TODAY)
    event = AuditEvent.objects.get(verb="risk.accepted")
    assert event.after["authority"] == "governance_reviewer" and event.after["level"] == "medium"


def test_the_phase_run_can_be_named(pilot, pm, reviewer):
    risk = make_risk(pilot, pm)
    scale = pilot.phase_runs.get(number=3)
    assert accept(risk, reviewer, phase_run=scale).phase_run == scale


def test_a_reviewer_cannot_accept_a_high_risk_but_leadership_can(pilot, pm, reviewer, leader):
    risk = make_risk(pilot, pm, residual_likelihood=4, residual_impact=4)  # 16: high
    with pytest.raises(risks.NotEnoughAuthority):
        accept(risk, reviewer)
    with pytest.raises(risks.NotEnoughAuthority):
        accept(risk, pm)
    assert accept(risk, leader).authority == AcceptanceAuthority.LEADERSHIP
    assert RiskAcceptance.objects.count() == 1


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"justification": "   "}, "Say why"),
        ({"expires_on": TODAY}, "in the future"),
        ({"expires_on": TODAY - timedelta(days=1)}, "in the future"),
    ],
)
def test_an_acceptance_needs_a_justification_and_a_future_expiry(
    pilot, pm, reviewer, extra, message
):
    risk = make_risk(pilot, pm)
    with pytest.raises(ChangeRefused, match=message):
        accept(risk, reviewer, **extra)
    assert not RiskAcceptance.objects.exists()


def test_low_and_closed_risks_need_no_acceptance(pilot, pm, leader):
    low = make_risk(pilot, pm, residual_likelihood=1, residual_impact=5)
    with pytest.raises(ChangeRefused, match="low residual risk"):
        accept(low, leader)
    closed = make_risk(pilot, pm, status=Risk.Status.CLOSED)
    with pytest.raises(ChangeRefused, match="closed"):
        accept(closed, leader)


def test_an_acceptance_expires_on_its_date(pilot, pm, reviewer):
    acceptance = accept(make_risk(pilot, pm), reviewer)
    assert risks.is_in_force(acceptance, acceptance.expires_on - timedelta(days=1))
    assert not risks.is_in_force(acceptance, acceptance.expires_on)
    assert risks.acceptance_state(acceptance, acceptance.expires_on) == "expired"


@pytest.mark.parametrize(
    "change, named",
    [
        ({"residual_likelihood": 3}, "residual likelihood 2 → 3"),
        ({"impact": 4}, "impact 5 → 4"),
        ({"mitigation": "Redaction dropped."}, "mitigation edited"),
        ({"status": "mitigating"}, "status open → mitigating"),
        ({"category": "security"}, "category privacy → security"),
        ({"title": "Another title"}, "title edited"),
    ],
)
def test_a_material_change_reopens_every_open_acceptance(
    pilot, pm, reviewer, leader, change, named
):
    risk = make_risk(pilot, pm)
    first, second = accept(risk, reviewer), accept(risk, leader)
    risk.refresh_from_db()
    risks.risk_update(risk=risk, actor=pm, expected_version=risk.version, **change)
    for acceptance in (first, second):
        acceptance.refresh_from_db()
        assert acceptance.reopened_at is not None
        assert named in acceptance.reopen_reason
        assert not risks.is_in_force(acceptance, TODAY)
    assert AuditEvent.objects.filter(verb="risk.acceptance_reopened").count() == 2


def test_owner_and_description_changes_keep_the_acceptance(pilot, pm, reviewer, owner):
    risk = make_risk(pilot, pm)
    acceptance = accept(risk, reviewer)
    risks.risk_update(
        risk=risk, actor=pm, expected_version=risk.version, owner=owner, description="More."
    )
    acceptance.refresh_from_db()
    assert acceptance.reopened_at is None
    assert AuditEvent.objects.filter(verb="risk.changed").get().after == {
        "owner": owner.pk,
        "description": "More.",
    }


def test_an_unchanged_save_writes_nothing(pilot, pm):
    risk = make_risk(pilot, pm)
    same = risks.risk_update(risk=risk, actor=pm, expected_version=1, likelihood=4)
    assert same.version == 1
    assert not AuditEvent.objects.filter(verb="risk.changed").exists()


def test_closing_a_risk_is_its_own_event(pilot, pm):
    risk = make_risk(pilot, pm)
    risks.risk_update(risk=risk, actor=pm, expected_version=1, status=Risk.Status.CLOSED)
    event = AuditEvent.objects.get(verb="risk.closed")
    assert event.before == {"status": "open"} and event.after == {"status": "closed"}


def test_a_stale_edit_is_refused_and_overwrites_nothing(pilot, pm, reviewer):
    risk = make_risk(pilot, pm)
    risks.risk_update(risk=risk, actor=reviewer, expected_version=1, impact=3)
    with pytest.raises(risks.StaleRisk) as refused:
        risks.risk_update(risk=risk, actor=pm, expected_version=1, impact=1)
    assert refused.value.current.impact == 3 and refused.value.current.version == 2
    assert Risk.objects.get(pk=risk.pk).impact == 3


def test_a_stale_acceptance_is_refused(pilot, pm, reviewer):
    risk = make_risk(pilot, pm)
    risks.risk_update(risk=risk, actor=pm, expected_version=1, residual_impact=4)
    with pytest.raises(risks.StaleRisk):
        accept(risk, reviewer, expected_version=1)
    assert not RiskAcceptance.objects.exists()


def test_the_register_shows_each_risks_acceptance_state(pilot, pm, reviewer, leader):
    needed = make_risk(pilot, pm, title="needed")
    accepted = make_risk(pilot, pm, title="accepted")
    reopened = make_risk(pilot, pm, title="reopened")
    make_risk(pilot, pm, title="low", residual_likelihood=1, residual_impact=2)
    make_risk(pilot, pm, title="closed", status=Risk.Status.CLOSED)
    accept(accepted, reviewer)
    accept(reopened, reviewer)
    risks.risk_update(risk=reopened, actor=pm, expected_version=1, residual_likelihood=3)
    rows = risks.register_rows(risks.register_queryset(pilot), TODAY)
    states = {row.risk.title: row.state for row in rows}
    assert states == {
        "needed": "needed",
        "accepted": "in_force",
        "reopened": "reopened",
        "low": "not_needed",
        "closed": "closed",
    }
    with time_machine.travel(date(2030, 1, 1)):
        later = risks.register_rows(risks.register_queryset(pilot), date(2030, 1, 1))
    assert {r.risk.title: r.state for r in later}["accepted"] == "expired"
    assert needed.pk in {r.risk.pk for r in rows}


def test_the_heat_map_counts_open_risks_by_cell(pilot, pm):
    make_risk(pilot, pm)
    make_risk(pilot, pm, title="Second")
    make_risk(pilot, pm, title="Closed", status=Risk.Status.CLOSED)
    register = list(risks.register_queryset(pilot))
    inherent = risks.heat_map(register, residual=False)
    residual = risks.heat_map(register, residual=True)
    # Rows run from impact 5 down to 1; columns from likelihood 1 to 5.
    assert inherent[0][3].likelihood == 4 and inherent[0][3].impact == 5
    assert inherent[0][3].count == 2 and inherent[0][3].level == "high"
    assert residual[0][1].count == 2 and residual[0][1].score == 10
    assert sum(cell.count for row in inherent for cell in row) == 2
