"""EU AI Act classification: the rules on every branch, the obligations from the data,
and the services that record, supersede and confirm a classification."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from governance.classification import (
    classification_confirm,
    classification_prepare,
    classify,
    obligations_for,
)
from governance.management.commands.load_obligations import read_obligations
from governance.models import AiActClass, AuditEvent, Classification, Obligation
from governance.questionnaire import (
    ANNEX_III_AREAS,
    PROHIBITED,
    QUESTIONS,
    QUESTIONS_BY_KEY,
    questions_in,
)
from pilots.services import ChangeRefused

TODAY = date(2026, 3, 2)


def answers(**yes) -> dict:
    """Every yes/no question answered no, the role deployer, then the overrides."""
    base = {q["key"]: False for q in QUESTIONS if "choices" not in q}
    base["organisation_role"] = "deployer"
    base["purpose"] = "Route incoming claims to the right team."
    base.update(yes)
    return base


# --- the rules, branch by branch ---------------------------------------------------------


@pytest.mark.parametrize("key", [q["key"] for q in questions_in(PROHIBITED)])
def test_it_stops_on_each_prohibited_practice(key):
    outcome = classify(answers(**{key: True}, employment=True, interacts_with_people=True))
    assert outcome.risk_class == AiActClass.PROHIBITED
    assert outcome.reasons[0].startswith("Prohibited practice (Art. 5)")
    assert outcome.reasons[-1].startswith("Stop:")
    # Nothing after the stop counts: no Annex III or transparency reason.
    assert not any("Annex III" in r or "Art. 50" in r for r in outcome.reasons)


def test_it_names_every_prohibited_practice_answered_yes():
    outcome = classify(answers(social_scoring=True, face_scraping=True))
    assert outcome.reasons[:2] == [
        "Prohibited practice (Art. 5): social scoring.",
        "Prohibited practice (Art. 5): untargeted scraping of facial images.",
    ]


def test_it_classifies_an_annex_i_safety_component_as_high_risk():
    outcome = classify(answers(annex_i_safety_component=True))
    assert outcome.risk_class == AiActClass.HIGH_RISK
    assert "Annex I" in outcome.reasons[0]


@pytest.mark.parametrize("area", ANNEX_III_AREAS)
def test_it_classifies_each_annex_iii_area_as_high_risk(area):
    outcome = classify(answers(**{area: True}))
    assert outcome.risk_class == AiActClass.HIGH_RISK
    assert outcome.reasons[0].startswith("High risk under Annex III:")


def test_it_covers_the_eight_annex_iii_areas():
    assert ANNEX_III_AREAS == [
        "biometrics",
        "critical_infrastructure",
        "education",
        "employment",
        "essential_services",
        "law_enforcement",
        "migration",
        "justice_democracy",
    ]


def test_it_applies_the_art_6_3_exception_only_without_profiling():
    narrow = classify(answers(employment=True, narrow_task_only=True, profiles_people=False))
    assert narrow.risk_class == AiActClass.MINIMAL
    assert "Art. 6(3)" in narrow.reasons[0]
    profiling = classify(answers(employment=True, narrow_task_only=True, profiles_people=True))
    assert profiling.risk_class == AiActClass.HIGH_RISK
    # Leaving the profiling question blank does not claim the exception.
    blank = classify(answers(employment=True, narrow_task_only=True, profiles_people=None))
    assert blank.risk_class == AiActClass.HIGH_RISK


def test_the_exception_never_lifts_an_annex_i_product():
    outcome = classify(
        answers(
            annex_i_safety_component=True,
            employment=True,
            narrow_task_only=True,
            profiles_people=False,
        )
    )
    assert outcome.risk_class == AiActClass.HIGH_RISK


@pytest.mark.parametrize(
    "trigger",
    [
        "interacts_with_people",
        "generates_content",
        "deep_fakes",
        "emotion_or_biometric_categorisation",
    ],
)
def test_it_classifies_each_transparency_trigger_as_limited_risk(trigger):
    outcome = classify(answers(**{trigger: True}))
    assert outcome.risk_class == AiActClass.LIMITED
    label = QUESTIONS_BY_KEY[trigger]["label"]
    assert outcome.reasons == [f"Transparency duty (Art. 50): it {label}."]


def test_a_high_risk_chatbot_keeps_its_transparency_duty_in_the_reasons():
    outcome = classify(answers(employment=True, interacts_with_people=True))
    assert outcome.risk_class == AiActClass.HIGH_RISK
    assert outcome.reasons[-1].startswith("Also a transparency duty (Art. 50)")


def test_it_falls_back_to_minimal_risk():
    outcome = classify(answers())
    assert outcome.risk_class == AiActClass.MINIMAL
    assert outcome.reasons[0].startswith("Minimal risk")


def test_it_flags_general_purpose_models_without_changing_the_class():
    assert classify(answers(uses_gpai=True)).uses_general_purpose_model is True
    assert classify(answers(uses_gpai=True)).risk_class == AiActClass.MINIMAL
    assert classify(answers(provides_gpai=True)).uses_general_purpose_model is True
    assert classify(answers()).uses_general_purpose_model is False


def test_it_records_the_organisation_role():
    assert classify(answers(organisation_role="provider")).organisation_role == "provider"
    assert classify(answers()).organisation_role == "deployer"


# --- obligations from the data -------------------------------------------------------------


@pytest.fixture
def obligations(db):
    call_command("load_obligations", verbosity=0)
    return list(Obligation.objects.all())


def refs(classification, obligations, today=TODAY) -> set[str]:
    return {
        item.obligation.reference for item in obligations_for(classification, obligations, today)
    }


def stored(**given) -> Classification:
    """An unsaved classification as classification_prepare would store it."""
    given_answers = answers(**given)
    outcome = classify(given_answers)
    return Classification(
        answers=given_answers,
        risk_class=outcome.risk_class,
        reasons=outcome.reasons,
        uses_general_purpose_model=outcome.uses_general_purpose_model,
        organisation_role=outcome.organisation_role,
    )


def test_provider_and_deployer_of_a_high_risk_system_get_their_own_duties(obligations):
    provider = refs(stored(employment=True, organisation_role="provider"), obligations)
    deployer = refs(stored(employment=True), obligations)
    assert {"Art. 9", "Art. 17", "Art. 43, 47–49", "Art. 4"} <= provider
    assert "Art. 27" not in provider and "Art. 26(1)–(2)" not in provider
    assert {"Art. 26(1)–(2)", "Art. 27", "Art. 86", "Art. 4"} <= deployer
    assert "Art. 9" not in deployer


def test_annex_i_and_annex_iii_duties_come_with_their_own_dates(obligations):
    annex_i = obligations_for(
        stored(annex_i_safety_component=True, organisation_role="provider"), obligations, TODAY
    )
    annex_iii = obligations_for(
        stored(education=True, organisation_role="provider"), obligations, TODAY
    )
    high_dates = lambda items: {  # noqa: E731
        i.obligation.applies_from for i in items if i.obligation.risk_class == "high_risk"
    }
    assert high_dates(annex_i) == {date(2027, 8, 2)}
    assert high_dates(annex_iii) == {date(2026, 8, 2)}


def test_a_prohibited_system_has_only_the_stop(obligations):
    assert refs(stored(social_scoring=True, uses_gpai=True), obligations) == {"Art. 5", "Art. 99"}


def test_each_transparency_trigger_brings_its_own_article(obligations):
    assert "Art. 50(1)" in refs(
        stored(interacts_with_people=True, organisation_role="provider"), obligations
    )
    assert "Art. 50(2)" in refs(
        stored(generates_content=True, organisation_role="provider"), obligations
    )
    assert "Art. 50(3)" in refs(stored(emotion_or_biometric_categorisation=True), obligations)
    chatbot_deployer = refs(stored(deep_fakes=True), obligations)
    assert "Art. 50(4)" in chatbot_deployer and "Art. 50(1)" not in chatbot_deployer


def test_gpai_duties_follow_the_model_not_the_class(obligations):
    assert "Art. 53(1)(b)" in refs(stored(uses_gpai=True), obligations)
    assert "Art. 53(1)(b)" not in refs(stored(), obligations)
    provider = refs(stored(provides_gpai=True, organisation_role="provider"), obligations)
    assert {"Art. 53(1)(a)–(b)", "Art. 53(1)(c)–(d)", "Art. 55"} <= provider


def test_minimal_risk_keeps_ai_literacy_and_the_voluntary_codes(obligations):
    assert refs(stored(), obligations) == {"Art. 4", "Art. 95"}


def test_the_art_6_3_exception_asks_for_documentation_and_registration(obligations):
    found = refs(
        stored(
            employment=True,
            narrow_task_only=True,
            profiles_people=False,
            organisation_role="provider",
        ),
        obligations,
    )
    assert {"Art. 6(4)", "Art. 49(2)"} <= found and "Art. 9" not in found


def test_dates_in_the_past_apply_since_and_future_ones_apply_from(obligations):
    items = obligations_for(stored(employment=True), obligations, TODAY)
    by_ref = {i.obligation.reference: i for i in items}
    assert by_ref["Art. 4"].in_force is True  # 2 Feb 2025
    assert by_ref["Art. 26(1)–(2)"].in_force is False  # 2 Aug 2026
    assert [i.obligation.applies_from for i in items] == sorted(
        i.obligation.applies_from for i in items
    )


def test_load_obligations_fills_an_empty_table_once_and_keeps_admin_edits(db):
    call_command("load_obligations", verbosity=0)
    count = Obligation.objects.count()
    assert count == len(read_obligations())
    edited = Obligation.objects.get(reference="Art. 27")
    edited.applies_from = date(2027, 12, 2)
    edited.save(update_fields=["applies_from"])
    call_command("load_obligations", verbosity=0)
    assert Obligation.objects.count() == count
    assert Obligation.objects.get(reference="Art. 27").applies_from == date(2027, 12, 2)


# --- services -------------------------------------------------------------------------------


def test_reclassifying_supersedes_and_keeps_the_history(pilot, pm, reviewer):
    first = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    second = classification_prepare(pilot=pilot, answers=answers(employment=True), actor=reviewer)
    first.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None
    assert list(Classification.objects.current().filter(pilot=pilot)) == [second]
    assert Classification.objects.filter(pilot=pilot).count() == 2
    assert second.risk_class == AiActClass.HIGH_RISK and second.prepared_by == reviewer
    verbs = list(AuditEvent.objects.filter(pilot_id=pilot.pk).values_list("verb", flat=True))
    assert verbs[-3:] == [
        "classification.prepared",
        "classification.superseded",
        "classification.prepared",
    ]


def test_only_a_governance_reviewer_confirms(pilot, pm, reviewer, leader):
    classification = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    for somebody in (pm, leader):
        with pytest.raises(PermissionDenied):
            classification_confirm(classification=classification, actor=somebody)
    classification_confirm(classification=classification, actor=reviewer)
    classification.refresh_from_db()
    assert classification.confirmed_by == reviewer and classification.confirmed_at
    event = AuditEvent.objects.filter(verb="classification.confirmed").get()
    assert event.after["risk_class"] == "minimal" and event.actor_id == reviewer.pk


def test_a_reviewer_may_confirm_what_they_prepared_but_only_once(pilot, reviewer):
    classification = classification_prepare(pilot=pilot, answers=answers(), actor=reviewer)
    classification_confirm(classification=classification, actor=reviewer)
    with pytest.raises(ChangeRefused, match="already confirmed"):
        classification_confirm(classification=classification, actor=reviewer)


def test_a_superseded_classification_cannot_be_confirmed(pilot, pm, reviewer):
    old = classification_prepare(pilot=pilot, answers=answers(), actor=pm)
    classification_prepare(pilot=pilot, answers=answers(education=True), actor=pm)
    with pytest.raises(ChangeRefused, match="newer classification"):
        classification_confirm(classification=old, actor=reviewer)
