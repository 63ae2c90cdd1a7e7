"""The classification pages through their real interface: questionnaire, result, confirm."""

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from governance.classification import classification_prepare
from governance.models import Classification
from governance.questionnaire import QUESTIONS
from tests.test_classification import answers

HOSTILE = "<script>alert('x')</script>\u202eevil ünïcödé 漢字 🚀"


def posted(**yes) -> dict:
    """The questionnaire as a browser posts it: everything no, then the overrides."""
    data = {"purpose": "Route incoming claims to the right team.", "organisation_role": "deployer"}
    for question in QUESTIONS:
        if "choices" not in question and question.get("required", True):
            data[question["key"]] = "no"
    data.update({key: ("yes" if value is True else value) for key, value in yes.items()})
    return data


@pytest.fixture(autouse=True)
def obligations(db):
    call_command("load_obligations", verbosity=0)


@time_machine.travel("2026-03-02 09:00 +0000", tick=False)
def test_the_pm_classifies_and_the_page_explains_why_with_dated_obligations(client, pilot, pm):
    client.force_login(pm)
    response = client.post(
        reverse("governance-classification-new", args=[pilot.pk]), posted(employment=True)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("governance-classification", args=[pilot.pk])
    page = client.get(response["Location"]).content.decode()
    assert "High risk" in page
    assert "High risk under Annex III: employment and workers management." in page
    assert "Fundamental rights impact assessment" in page  # a deployer duty, from the data
    assert "Risk management system" not in page  # a provider duty
    assert "applies since" in page and "applies from" in page
    assert "Awaiting confirmation" in page
    stored = Classification.objects.get(pilot=pilot)
    assert stored.answers["employment"] is True and stored.answers["education"] is False


def test_unanswered_questions_are_marked_and_nothing_is_saved(client, pilot, pm):
    client.force_login(pm)
    data = posted()
    del data["employment"], data["organisation_role"]
    response = client.post(reverse("governance-classification-new", args=[pilot.pk]), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"employment", "organisation_role"}
    assert not Classification.objects.exists()


def test_a_prohibited_answer_settles_it_and_flags_the_pilot_loudly(client, pilot, pm):
    client.force_login(pm)
    data = {"purpose": "Score citizens.", "social_scoring": "yes"}
    response = client.post(reverse("governance-classification-new", args=[pilot.pk]), data)
    assert response.status_code == 302
    for url in (
        reverse("governance-classification", args=[pilot.pk]),
        reverse("governance-overview", args=[pilot.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Stop: prohibited practice" in page
    plan = client.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    assert "⛔ Prohibited practice" in plan  # on the Governance tab of the pilot page


def test_the_questionnaire_shows_the_stop_flag_beside_the_prohibited_questions(client, pilot, pm):
    client.force_login(pm)
    page = client.get(reverse("governance-classification-new", args=[pilot.pk])).content.decode()
    assert 'class="stop-flag stop-flag-live"' in page


def test_reclassifying_keeps_the_earlier_one_in_the_history(client, pilot, pm, reviewer):
    classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    client.force_login(reviewer)
    form = client.get(reverse("governance-classification-new", args=[pilot.pk]))
    assert form.context["form"].initial["employment"] == "no"  # prefilled from the last one
    client.post(
        reverse("governance-classification-new", args=[pilot.pk]),
        posted(interacts_with_people=True),
    )
    page = client.get(reverse("governance-classification", args=[pilot.pk]))
    assert page.context["current_classification"].risk_class == "limited"
    assert [c.risk_class for c in page.context["history"]] == ["minimal"]
    assert "Earlier classifications" in page.content.decode()


def test_a_reviewer_confirms_through_the_page(client, pilot, pm, reviewer):
    classification = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    client.force_login(reviewer)
    url = reverse("governance-classification-confirm", args=[pilot.pk, classification.pk])
    assert client.post(url).status_code == 302
    page = client.get(reverse("governance-classification", args=[pilot.pk])).content.decode()
    assert "✓ Confirmed" in page and "Reviewer Test" in page
    # A second confirmation is refused with a message, not an error page.
    again = client.post(url, follow=True).content.decode()
    assert "already confirmed" in again


@pytest.mark.parametrize("persona", ["pm", "leader", "sponsor", "owner", "admin_user"])
def test_only_a_reviewer_may_confirm(client, pilot, pm, persona, request):
    classification = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    client.force_login(request.getfixturevalue(persona))
    url = reverse("governance-classification-confirm", args=[pilot.pk, classification.pk])
    assert client.post(url).status_code == 403
    assert Classification.objects.get().confirmed_at is None


def test_a_classification_of_another_pilot_is_not_found(client, pilot, pm, reviewer, playbook):
    from tests.conftest import build_pilot

    other = build_pilot(programme_manager=pm, playbook=playbook, name="Other")
    foreign = classification_prepare(pilot=other, answers=answers(), actor=pm)
    client.force_login(reviewer)
    url = reverse("governance-classification-confirm", args=[pilot.pk, foreign.pk])
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("persona", ["sponsor", "owner", "leader", "production_owner"])
def test_read_only_roles_read_but_cannot_classify(client, pilot, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("governance-classification", args=[pilot.pk])).status_code == 200
    url = reverse("governance-classification-new", args=[pilot.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, posted()).status_code == 403
    assert not Classification.objects.exists()


def classification_urls(pilot, classification) -> dict[str, str]:
    """Each classification URL with a method it does not accept."""
    return {
        reverse("governance-classification", args=[pilot.pk]): "POST",
        reverse("governance-classification-new", args=[pilot.pk]): "PUT",
        reverse("governance-classification-confirm", args=[pilot.pk, classification.pk]): "GET",
    }


def test_anonymous_users_are_sent_to_log_in(client, pilot, pm):
    classification = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    for url in classification_urls(pilot, classification):
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_outsiders_get_404(client, pilot, pm, outsider):
    classification = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    client.force_login(outsider)
    page, form, confirm = classification_urls(pilot, classification)
    assert client.get(page).status_code == 404
    assert client.get(form).status_code == 404
    assert client.post(form, posted()).status_code == 404
    assert client.post(confirm).status_code == 404
    assert Classification.objects.get().confirmed_at is None


def test_wrong_methods_get_405(client, pilot, pm):
    classification = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    client.force_login(pm)
    for url, wrong in classification_urls(pilot, classification).items():
        assert client.generic(wrong, url).status_code == 405


@pytest.mark.parametrize(
    "purpose, message",
    [
        ("x" * 10_000, "at most 2000 characters"),
        ("nul\x00here", "Null characters are not allowed"),
        ("   ", "This field is required"),
    ],
)
def test_bad_purpose_gets_a_form_error(client, pilot, pm, purpose, message):
    client.force_login(pm)
    response = client.post(
        reverse("governance-classification-new", args=[pilot.pk]), posted(purpose=purpose)
    )
    assert response.status_code == 400 and message in response.content.decode()


def test_typed_text_is_escaped_on_the_result_page(client, pilot, pm):
    client.force_login(pm)
    client.post(reverse("governance-classification-new", args=[pilot.pk]), posted(purpose=HOSTILE))
    body = client.get(reverse("governance-classification", args=[pilot.pk])).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "\u202eevil ünïcödé 漢字 🚀</bdi>" in body  # the override is fenced in by <bdi>
