"""The Governance tab and the risk forms through their real interface."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance import risks
from governance.classification import classification_prepare
from governance.models import Risk, RiskAcceptance
from tests.conftest import KICKOFF
from tests.test_classification import answers
from tests.test_risks import make_risk

HOSTILE = "<script>alert('x')</script>\u202eevil ünïcödé 漢字 🚀"
TODAY = KICKOFF + timedelta(days=40)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(f"{TODAY.isoformat()} 09:00 +0000", tick=False):
        yield


def risk_form(**overrides) -> dict:
    data = {
        "title": "Vendor changes the model without notice",
        "category": "vendor",
        "description": "",
        "likelihood": "3",
        "impact": "4",
        "mitigation": "Pin the model version in the contract.",
        "residual_likelihood": "2",
        "residual_impact": "4",
        "owner": "",
        "status": "open",
    }
    data.update(overrides)
    return data


def edit_form(risk: Risk, **overrides) -> dict:
    data = risk_form(
        title=risk.title,
        category=risk.category,
        likelihood=str(risk.likelihood),
        impact=str(risk.impact),
        mitigation=risk.mitigation,
        residual_likelihood=str(risk.residual_likelihood),
        residual_impact=str(risk.residual_impact),
        status=risk.status,
        version=str(risk.version),
    )
    data.update(overrides)
    return data


def accept_form(risk: Risk, **overrides) -> dict:
    data = {
        "version": risk.version,
        "justification": "Contract clause agreed; we monitor release notes weekly.",
        "expires_on": (TODAY + timedelta(days=60)).isoformat(),
    }
    data.update(overrides)
    return data


# --- the page -----------------------------------------------------------------------


def test_the_tab_shows_classification_register_heat_maps_and_acceptances(
    client, pilot, pm, reviewer
):
    classification_prepare(pilot=pilot, answers=answers(employment=True), actor=pm)
    risk = make_risk(pilot, pm)
    make_risk(pilot, pm, title="Hallucinated policy numbers", residual_impact=1)
    risks.risk_accept(
        risk=risk,
        actor=reviewer,
        justification="Tested.",
        expires_on=TODAY + timedelta(days=30),
        today=TODAY,
    )
    client.force_login(pm)
    response = client.get(reverse("governance-overview", args=[pilot.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Governance' in page
    assert "High risk" in page and "Awaiting confirmation" in page
    assert (
        "Inherent risk (before mitigation)" in page and "Residual risk (after mitigation)" in page
    )
    # Heat map cells carry text, not only colour.
    assert "Likelihood 4, impact 5: score 20, high; 2 risks" in page
    assert "✓ Accepted" in page and "Not needed (low)" in page
    assert "for the Integration gate" in page


def test_the_plan_page_links_to_the_governance_tab(client, pilot, pm):
    client.force_login(pm)
    page = client.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    assert reverse("governance-overview", args=[pilot.pk]) in page


def test_the_page_costs_the_same_queries_whatever_the_number_of_risks(
    client, pilot, pm, reviewer, leader, django_assert_num_queries
):
    classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    first = make_risk(pilot, pm)
    risks.risk_accept(
        risk=first, actor=reviewer, justification="ok", expires_on=TODAY + timedelta(days=9)
    )
    client.force_login(reviewer)
    url = reverse("governance-overview", args=[pilot.pk])
    client.get(url)  # warm the session
    # session, user, groups, pilot, classification, risks, acceptances, the bell's count
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
    for n in range(8):
        risk = make_risk(pilot, pm, title=f"Risk {n}", owner=leader)
        risks.risk_accept(
            risk=risk, actor=leader, justification="ok", expires_on=TODAY + timedelta(days=9)
        )
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url)
    assert len(captured) == 8 and page.content.decode().count('class="risk-row') == 9


# --- creating and editing -----------------------------------------------------------


def test_a_pm_adds_a_risk(client, pilot, pm):
    client.force_login(pm)
    response = client.post(reverse("governance-risk-create", args=[pilot.pk]), risk_form())
    risk = Risk.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#risk-{risk.pk}")
    assert (risk.score, risk.residual_score, risk.created_by) == (12, 8, pm)


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"title": "t" * 10_000}, "title", "at most 200 characters"),
        ({"title": "nul\x00"}, "title", "Null characters are not allowed"),
        ({"title": "   "}, "title", "This field is required"),
        ({"mitigation": "m" * 10_000}, "mitigation", "at most 4000 characters"),
        ({"likelihood": "6"}, "likelihood", "Select a valid choice"),
        ({"residual_impact": "0"}, "residual_impact", "Select a valid choice"),
        ({"category": "weather"}, "category", "Select a valid choice"),
        ({"owner": "987654"}, "owner", "Select a valid choice"),
    ],
)
def test_bad_risk_input_gets_a_form_error(client, pilot, pm, change, field, message):
    client.force_login(pm)
    response = client.post(reverse("governance-risk-create", args=[pilot.pk]), risk_form(**change))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert not Risk.objects.exists()


def test_an_edit_that_changes_an_accepted_risk_reopens_it_on_the_page(client, pilot, pm, reviewer):
    risk = make_risk(pilot, pm)
    client.force_login(reviewer)
    accept_url = reverse("governance-risk-accept", args=[pilot.pk, risk.pk])
    assert client.post(accept_url, accept_form(risk)).status_code == 302
    acceptance = RiskAcceptance.objects.get()
    assert acceptance.phase_run.number == 2 and acceptance.accepted_by == reviewer
    client.force_login(pm)
    edit_url = reverse("governance-risk-edit", args=[pilot.pk, risk.pk])
    assert client.post(edit_url, edit_form(risk, residual_likelihood="3")).status_code == 302
    page = client.get(reverse("governance-overview", args=[pilot.pk])).content.decode()
    assert "↺ Reopened" in page
    assert "residual likelihood 2 → 3" in page
    acceptance.refresh_from_db()
    assert acceptance.reopened_at is not None


def test_a_stale_edit_gets_a_conflict_and_overwrites_nothing(client, pilot, pm, reviewer):
    risk = make_risk(pilot, pm)
    stale = edit_form(risk, impact="1")
    risks.risk_update(risk=risk, actor=reviewer, expected_version=1, impact=3)
    client.force_login(pm)
    response = client.post(reverse("governance-risk-edit", args=[pilot.pk, risk.pk]), stale)
    assert response.status_code == 409
    assert "Someone else changed this risk" in response.content.decode()
    assert response.context["form"]["impact"].value() in (3, "3")  # the current value shown
    assert Risk.objects.get(pk=risk.pk).impact == 3


def test_inline_editing_with_htmx(client, pilot, pm):
    risk = make_risk(pilot, pm)
    client.force_login(pm)
    url = reverse("governance-risk-edit", args=[pilot.pk, risk.pk])
    row = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert row.lstrip().startswith(f'<tr id="risk-{risk.pk}" class="risk-row is-editing">')
    bad = client.post(url, edit_form(risk, title=""), HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and bad["HX-Retarget"] == f"#risk-{risk.pk}"
    saved = client.post(url, edit_form(risk, impact="2"), HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    assert saved.content.decode().lstrip().startswith('<section id="risk-register"')
    assert Risk.objects.get(pk=risk.pk).impact == 2


def test_a_risk_of_another_pilot_is_not_found(client, pilot, pm, playbook):
    from tests.conftest import build_pilot

    other = build_pilot(programme_manager=pm, playbook=playbook, name="Other")
    foreign = make_risk(other, pm)
    client.force_login(pm)
    assert (
        client.get(reverse("governance-risk-edit", args=[pilot.pk, foreign.pk])).status_code == 404
    )


# --- accepting ------------------------------------------------------------------------


def test_a_reviewer_accepts_medium_but_not_high_and_leadership_accepts_high(
    client, pilot, pm, reviewer, leader
):
    medium = make_risk(pilot, pm)
    high = make_risk(pilot, pm, residual_likelihood=4, residual_impact=4)
    client.force_login(reviewer)
    high_url = reverse("governance-risk-accept", args=[pilot.pk, high.pk])
    assert client.get(high_url).status_code == 403
    assert client.post(high_url, accept_form(high)).status_code == 403
    medium_url = reverse("governance-risk-accept", args=[pilot.pk, medium.pk])
    assert client.post(medium_url, accept_form(medium)).status_code == 302
    client.force_login(leader)
    assert client.post(high_url, accept_form(high)).status_code == 302
    assert dict(RiskAcceptance.objects.values_list("risk_id", "authority")) == {
        medium.pk: "governance_reviewer",
        high.pk: "leadership",
    }


@pytest.mark.parametrize("persona", ["pm", "sponsor", "owner", "production_owner"])
def test_people_without_authority_get_403_on_accepting(client, pilot, pm, persona, request):
    risk = make_risk(pilot, pm)
    client.force_login(request.getfixturevalue(persona))
    url = reverse("governance-risk-accept", args=[pilot.pk, risk.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, accept_form(risk)).status_code == 403
    assert not RiskAcceptance.objects.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"justification": "  "}, "This field is required"),
        ({"justification": "j" * 10_000}, "at most 4000 characters"),
        ({"justification": "nul\x00"}, "Null characters are not allowed"),
        ({"expires_on": TODAY.isoformat()}, "must be in the future"),
        ({"expires_on": "2026-02-30"}, "Enter a valid date"),
    ],
)
def test_bad_acceptances_get_a_form_error(client, pilot, pm, reviewer, change, message):
    risk = make_risk(pilot, pm)
    client.force_login(reviewer)
    url = reverse("governance-risk-accept", args=[pilot.pk, risk.pk])
    response = client.post(url, accept_form(risk, **change))
    assert response.status_code == 400 and message in response.content.decode()
    assert not RiskAcceptance.objects.exists()


def test_accepting_a_risk_that_just_changed_is_a_conflict(client, pilot, pm, reviewer):
    risk = make_risk(pilot, pm)
    seen = accept_form(risk)
    risks.risk_update(risk=risk, actor=pm, expected_version=1, residual_impact=4)  # still medium
    client.force_login(reviewer)
    url = reverse("governance-risk-accept", args=[pilot.pk, risk.pk])
    response = client.post(url, seen)
    assert response.status_code == 409 and not RiskAcceptance.objects.exists()
    # The form now carries the current version: submitting again accepts what is shown.
    assert client.post(url, accept_form(Risk.objects.get())).status_code == 302


def test_a_low_risk_needs_no_acceptance(client, pilot, pm, leader):
    low = make_risk(pilot, pm, residual_likelihood=1, residual_impact=1)
    client.force_login(leader)
    response = client.get(reverse("governance-risk-accept", args=[pilot.pk, low.pk]), follow=True)
    assert "needs no acceptance" in response.content.decode()


# --- access, methods, hostile text -------------------------------------------------------


def write_urls(pilot, risk) -> list[str]:
    return [
        reverse("governance-risk-create", args=[pilot.pk]),
        reverse("governance-risk-edit", args=[pilot.pk, risk.pk]),
        reverse("governance-risk-accept", args=[pilot.pk, risk.pk]),
    ]


def test_anonymous_users_are_sent_to_log_in(client, pilot, pm):
    risk = make_risk(pilot, pm)
    for url in [reverse("governance-overview", args=[pilot.pk]), *write_urls(pilot, risk)]:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")


def test_outsiders_get_404_everywhere(client, pilot, pm, outsider):
    risk = make_risk(pilot, pm)
    client.force_login(outsider)
    for url in [reverse("governance-overview", args=[pilot.pk]), *write_urls(pilot, risk)]:
        assert client.get(url).status_code == 404
    for url in write_urls(pilot, risk):
        assert client.post(url, risk_form()).status_code == 404


@pytest.mark.parametrize("persona", ["sponsor", "owner", "leader", "production_owner"])
def test_read_only_roles_read_the_register_but_get_403_on_changes(
    client, pilot, pm, persona, request
):
    risk = make_risk(pilot, pm)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("governance-overview", args=[pilot.pk])).status_code == 200
    create, edit, _accept = write_urls(pilot, risk)
    assert client.post(create, risk_form()).status_code == 403
    assert client.post(edit, edit_form(risk, impact="1")).status_code == 403
    assert Risk.objects.get().impact == 5 and Risk.objects.count() == 1


def test_wrong_methods_get_405(client, pilot, pm):
    risk = make_risk(pilot, pm)
    client.force_login(pm)
    assert client.post(reverse("governance-overview", args=[pilot.pk])).status_code == 405
    for url in write_urls(pilot, risk):
        assert client.put(url).status_code == 405
        assert client.delete(url).status_code == 405


def test_typed_text_is_escaped_on_the_register(client, pilot, pm, reviewer):
    client.force_login(pm)
    client.post(
        reverse("governance-risk-create", args=[pilot.pk]),
        risk_form(title=HOSTILE, description=HOSTILE, mitigation=HOSTILE),
    )
    risk = Risk.objects.get()
    client.force_login(reviewer)
    client.post(
        reverse("governance-risk-accept", args=[pilot.pk, risk.pk]),
        accept_form(risk, justification=HOSTILE),
    )
    assert RiskAcceptance.objects.count() == 1
    body = client.get(reverse("governance-overview", args=[pilot.pk])).content.decode()
    assert "<script>alert" not in body
    assert body.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 4
    assert "漢字 🚀" in body and "<bdi" in body
