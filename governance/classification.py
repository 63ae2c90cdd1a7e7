"""EU AI Act classification: the rules over the questionnaire's answers, and the services
that record a classification (the only writers of Classification).

The order follows the Act: a prohibited practice stops everything (Art. 5); otherwise an
Annex I product-safety role or an Annex III area makes the system high-risk (Art. 6);
otherwise a transparency duty makes it limited risk (Art. 50); otherwise it is minimal
risk. Whether a general-purpose model is used and whether we are provider or deployer do
not change the class; they change which obligations follow.

The Art. 6(3) exception is modelled simply: an Annex III system that only performs a
narrow procedural or preparatory task and never profiles people is not high-risk, but
the provider must document that assessment and register the system (an obligation with
the `art_6_3` trigger). Profiling always keeps it high-risk. Annex I has no exception.

No dates here: obligations and the dates they apply from are data (governance.models.
Obligation, loaded from governance/data/obligations.yaml and edited in the admin).

Confirming: only a governance reviewer confirms (governance.access). A reviewer may
confirm a classification they prepared themselves: the reviewer is the accountable role
and many organisations have one; the page shows when preparer and confirmer are the same
person. A classification prepared by the programme manager needs a reviewer to confirm.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from governance import audit
from governance.access import can_confirm_classification
from governance.models import (
    AiActClass,
    Classification,
    Obligation,
    ObligationTrigger,
    OrganisationRole,
)
from governance.questionnaire import (
    ANNEX_III_AREAS,
    PROHIBITED,
    QUESTIONS_BY_KEY,
    questions_in,
)
from pilots.models import Pilot
from pilots.services import ChangeRefused

_TRIGGER_OF_QUESTION = {
    "interacts_with_people": ObligationTrigger.CHATBOT,
    "generates_content": ObligationTrigger.SYNTHETIC_CONTENT,
    "deep_fakes": ObligationTrigger.DEEP_FAKE,
    "emotion_or_biometric_categorisation": ObligationTrigger.EMOTION_BIOMETRIC,
}


@dataclass(frozen=True)
class Outcome:
    risk_class: str
    reasons: list[str]
    uses_general_purpose_model: bool = False
    organisation_role: str = OrganisationRole.DEPLOYER


def _yes(answers: Mapping, key: str) -> bool:
    return answers.get(key) is True


def _label(key: str) -> str:
    """A question's short name, in the active language."""
    return str(QUESTIONS_BY_KEY[key]["label"])


def classify(answers: Mapping) -> Outcome:
    """The class the answers lead to, with the reasons in plain sentences.

    `answers` maps question keys to True/False (None or missing when unanswered) and
    `organisation_role` to a role. Pure: no database, no dates.
    """
    role = answers.get("organisation_role") or OrganisationRole.DEPLOYER
    gpai = _yes(answers, "uses_gpai") or _yes(answers, "provides_gpai")
    triggers = triggers_of(answers)
    common = {"uses_general_purpose_model": gpai, "organisation_role": role}

    prohibited = [_label(q["key"]) for q in questions_in(PROHIBITED) if _yes(answers, q["key"])]
    if prohibited:
        reasons = [
            _("Prohibited practice (Art. 5): %(practice)s.") % {"practice": name}
            for name in prohibited
        ]
        reasons.append(
            _(
                "Stop: a prohibited practice may not be placed on the market, put into service "
                "or used in the EU. Nothing else in this questionnaire changes that."
            )
        )
        return Outcome(AiActClass.PROHIBITED, reasons, **common)

    reasons: list[str] = []
    if _yes(answers, "annex_i_safety_component"):
        reasons.append(
            _(
                "High risk under Art. 6(1): it is a safety component of a product covered by "
                "the EU safety laws of Annex I."
            )
        )
    areas = [key for key in ANNEX_III_AREAS if _yes(answers, key)]
    if areas and ObligationTrigger.ART_6_3 not in triggers:
        reasons.extend(
            _("High risk under Annex III: %(area)s.") % {"area": _label(key)} for key in areas
        )
        if _yes(answers, "narrow_task_only"):
            reasons.append(
                _(
                    "The Art. 6(3) exception does not apply: the system profiles people (or it "
                    "was not said that it does not)."
                )
            )
    if reasons:
        reasons.extend(_transparency_reasons(answers, also=True))
        return Outcome(AiActClass.HIGH_RISK, reasons, **common)

    if ObligationTrigger.ART_6_3 in triggers:
        names = ", ".join(_label(key) for key in areas)
        reasons.append(
            _(
                "Not high risk although it touches an Annex III area (%(areas)s): it only "
                "performs a narrow procedural or preparatory task and does not profile people "
                "(Art. 6(3)). Document this assessment and register the system."
            )
            % {"areas": names}
        )
    transparency = _transparency_reasons(answers, also=False)
    if transparency:
        reasons.extend(transparency)
        return Outcome(AiActClass.LIMITED, reasons, **common)

    if reasons:
        reasons.append(_("Otherwise minimal risk: no transparency duty applies."))
    else:
        reasons.append(
            _(
                "Minimal risk: no prohibited practice, no Annex I product, no Annex III area "
                "and no transparency duty applies."
            )
        )
    return Outcome(AiActClass.MINIMAL, reasons, **common)


def _transparency_reasons(answers: Mapping, *, also: bool) -> list[str]:
    if also:
        # Translators: the duty is a question's short name, such as "interacts directly
        # with people".
        reason = _("Also a transparency duty (Art. 50): it %(duty)s.")
    else:
        # Translators: the duty is a question's short name, such as "interacts directly
        # with people".
        reason = _("Transparency duty (Art. 50): it %(duty)s.")
    return [reason % {"duty": _label(key)} for key in _TRIGGER_OF_QUESTION if _yes(answers, key)]


def reasons_shown(classification) -> list[str]:
    """A stored classification's reasons in the reader's language.

    Reasons are stored in English (they are a fact, hashed into the audit chain). When the
    rules still give those very sentences for the stored answers, they are given again in
    the active language; reasons written by older rules are shown as they were stored.
    """
    stored = list(classification.reasons or [])
    with translation.override("en"):
        english = classify(classification.answers).reasons
    if english != stored:
        return stored
    return classify(classification.answers).reasons


def triggers_of(answers: Mapping) -> set[str]:
    """Which trigger-specific obligations the answers call for (see ObligationTrigger)."""
    found: set[str] = set()
    if _yes(answers, "annex_i_safety_component"):
        found.add(ObligationTrigger.ANNEX_I)
    if any(_yes(answers, key) for key in ANNEX_III_AREAS):
        # Blank profiling counts as profiling: the exception must be claimed explicitly.
        exception = _yes(answers, "narrow_task_only") and answers.get("profiles_people") is False
        found.add(ObligationTrigger.ART_6_3 if exception else ObligationTrigger.ANNEX_III)
    for key, trigger in _TRIGGER_OF_QUESTION.items():
        if _yes(answers, key):
            found.add(trigger)
    if _yes(answers, "provides_gpai"):
        found.add(ObligationTrigger.GPAI_MODEL_PROVIDER)
    return found


def obligation_applies(
    obligation: Obligation, *, risk_class: str, triggers: Iterable[str], gpai: bool, role: str
) -> bool:
    """Whether one obligation follows from a classification.

    - The role must match (or the obligation is for both).
    - A prohibited system has only the prohibited-class duties: it must not exist.
    - General-purpose model duties follow from using (or, with their trigger, providing)
      such a model, whatever the class.
    - Otherwise the obligation's class must be the system's (empty: every class), and a
      trigger, when set, must hold. Transparency duties also bind a high-risk system.
    """
    if obligation.applies_to not in (role, Obligation.Applies.BOTH):
        return False
    if risk_class == AiActClass.PROHIBITED:
        return obligation.risk_class == AiActClass.PROHIBITED
    if obligation.risk_class == AiActClass.PROHIBITED:
        return False
    if obligation.trigger and obligation.trigger not in triggers:
        return False
    if obligation.general_purpose:
        return gpai
    if not obligation.risk_class or obligation.risk_class == risk_class:
        return True
    return obligation.risk_class == AiActClass.LIMITED and risk_class == AiActClass.HIGH_RISK


@dataclass(frozen=True)
class DatedObligation:
    obligation: Obligation
    in_force: bool  # True: "applies since"; False: "applies from"


def obligations_for(
    classification, obligations: Iterable[Obligation], today: date
) -> list[DatedObligation]:
    """The obligations a stored classification leads to, soonest date first."""
    triggers = triggers_of(classification.answers)
    chosen = [
        o
        for o in obligations
        if obligation_applies(
            o,
            risk_class=classification.risk_class,
            triggers=triggers,
            gpai=classification.uses_general_purpose_model,
            role=classification.organisation_role,
        )
    ]
    chosen.sort(key=lambda o: (o.applies_from, o.order, o.pk or 0))
    return [DatedObligation(o, o.applies_from <= today) for o in chosen]


# --- Services -------------------------------------------------------------------------


def _facts(classification: Classification) -> dict:
    return {
        "risk_class": classification.risk_class,
        "uses_general_purpose_model": classification.uses_general_purpose_model,
        "organisation_role": classification.organisation_role,
        "reasons": classification.reasons,
    }


def classification_prepare(*, pilot: Pilot, answers: dict, actor) -> Classification:
    """Record a classification from the answers; the current one, if any, is superseded
    (kept as history). It awaits a governance reviewer's confirmation.

    The reasons are stored, and hashed into the audit chain, in English whatever the
    preparer's language; pages show them translated (see `reasons_shown`)."""
    with translation.override("en"):
        outcome = classify(answers)
    with transaction.atomic():
        # Serialise reclassifications of one pilot: the loser waits, then supersedes the
        # winner's row instead of tripping over the one-current constraint.
        Pilot.objects.select_for_update().filter(pk=pilot.pk).values_list("pk").first()
        current = Classification.objects.current().filter(pilot=pilot).first()
        now = timezone.now()
        if current is not None:
            Classification.objects.filter(pk=current.pk).update(superseded_at=now)
            current.superseded_at = now
            audit.append(
                actor=actor,
                verb="classification.superseded",
                target=current,
                pilot=pilot,
                before={"superseded_at": None},
                after={"superseded_at": now},
            )
        classification = Classification.objects.create(
            pilot=pilot,
            answers=answers,
            risk_class=outcome.risk_class,
            reasons=outcome.reasons,
            uses_general_purpose_model=outcome.uses_general_purpose_model,
            organisation_role=outcome.organisation_role,
            prepared_by=actor,
        )
        classification.pilot = pilot
        audit.append(
            actor=actor,
            verb="classification.prepared",
            target=classification,
            pilot=pilot,
            before=_facts(current) if current else {},
            after=_facts(classification),
        )
    return classification


def classification_confirm(*, classification: Classification, actor) -> Classification:
    """A governance reviewer confirms the current classification. Only once; a superseded
    one cannot be confirmed (the newer one is what matters)."""
    if not can_confirm_classification(actor):
        raise PermissionDenied(_("Only a governance reviewer can confirm a classification."))
    with transaction.atomic():
        now = timezone.now()
        confirmed = Classification.objects.filter(
            pk=classification.pk, confirmed_at__isnull=True, superseded_at__isnull=True
        ).update(confirmed_by=actor, confirmed_at=now)
        if not confirmed:
            current = Classification.objects.select_related("confirmed_by").get(
                pk=classification.pk
            )
            if current.superseded_at:
                raise ChangeRefused(
                    _("A newer classification replaced this one; confirm that one.")
                )
            who = current.confirmed_by.get_full_name() or current.confirmed_by.get_username()
            raise ChangeRefused(
                _("%(name)s has already confirmed this classification.") % {"name": who}
            )
        classification.confirmed_by, classification.confirmed_at = actor, now
        audit.append(
            actor=actor,
            verb="classification.confirmed",
            target=classification,
            pilot=classification.pilot,
            before={"confirmed_by": None},
            after={"confirmed_by": actor.pk, "risk_class": classification.risk_class},
        )
    return classification
