"""Who may sign a gate's programme-manager slot and reopen a gate, and which slots a gate
needs: the rule is shared with the gate-ready notices, so both name the same people."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from governance import classification, gates
from governance.models import GateSignature
from pilots import gate_signers
from tests.governance_builders import answers, close_mandatory, phase_run


def lose_role(user):
    user.groups.clear()
    return type(user).objects.get(pk=user.pk)  # no cached roles


def test_a_programme_manager_who_left_the_role_cannot_sign_for_it(pm, pilot):
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    former = lose_role(pm)
    assert not gates.may_sign(former, "programme_manager", pilot)
    with pytest.raises(PermissionDenied):
        gates.gate_sign(phase_run=run, slot="programme_manager", signer=former, statement="Yes")
    assert not GateSignature.objects.exists()
    gate = gates.gate_for(run, former)
    assert not next(s for s in gate.slots if s.role == "programme_manager").can_sign


def test_the_pilots_programme_manager_holding_the_role_signs(pm, pilot):
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="Yes")
    assert GateSignature.objects.get().signer == pm


def test_another_programme_manager_cannot_sign_for_this_pilot(other_pm, pilot):
    assert not gates.may_sign(other_pm, "programme_manager", pilot)


def test_the_sign_page_refuses_a_former_programme_manager(client, pm, pilot):
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    former = lose_role(pm)
    client.force_login(former)
    url = reverse("governance-gate-sign", args=[pilot.pk, 1, "programme_manager"])
    assert client.post(url, {"statement": "Yes"}).status_code == 403
    assert not GateSignature.objects.exists()


def test_a_former_programme_manager_cannot_reopen_a_gate(pm, production_owner, pilot, admin_user):
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="Yes")
    former = lose_role(pm)
    assert not gates.may_reopen(former, pilot)
    with pytest.raises(PermissionDenied):
        gates.gate_reopen(phase_run=run, actor=former, reason="Changed my mind")
    assert gates.may_reopen(admin_user, pilot)


@pytest.mark.parametrize("high_risk", [True, False])
def test_gates_and_notices_share_the_leadership_rule(pm, reviewer, leader, pilot, high_risk):
    run = phase_run(pilot, 2)
    run.phase.gate_signers = ["programme_manager", "leadership_if_high_risk"]
    run.phase.save(update_fields=["gate_signers"])
    yes = {"essential_services": True, "profiles_people": True} if high_risk else {}
    prepared = classification.classification_prepare(pilot=pilot, answers=answers(**yes), actor=pm)
    classification.classification_confirm(classification=prepared, actor=reviewer)

    slots = [slot.role for slot in gates.gate_for(run).slots]
    shared = gate_signers.required_slots(run.phase.gate_signers, high_risk)
    assert slots == shared == gates.required_slots(run, high_risk)
    assert ("leadership_if_high_risk" in slots) is high_risk
    row = gate_signers.GateRow(run.pk, pilot.pk, run.phase.gate_signers, pm.pk, None)
    assert (leader.pk in gate_signers.signers_of([row])[run.pk]) is high_risk
