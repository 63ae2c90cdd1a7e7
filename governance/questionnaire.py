"""The EU AI Act questionnaire, as data: sections and questions in our own words.

Rendered by governance.forms_classification.QuestionnaireForm and read by the rules in
governance.classification. A question is a yes/no unless it has `choices`; `label` is
its short name in the reasons; `required: False` questions may be left blank.
"""

from collections.abc import Mapping

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from governance.models import OrganisationRole

PROHIBITED = "prohibited"
PRODUCT_SAFETY = "product_safety"
ANNEX_III = "annex_iii"
TRANSPARENCY = "transparency"
MODEL = "model"

SECTIONS: list[dict] = [
    {
        "key": PROHIBITED,
        "title": _("1. Prohibited practices"),
        "intro": _(
            "Answer these first. A single yes means the system may not be built or used "
            "in the EU: stop the pilot and talk to legal before anything else."
        ),
    },
    {
        "key": PRODUCT_SAFETY,
        "title": _("2. Product safety (Annex I)"),
        "intro": _(
            "Products already regulated by EU safety law stay regulated when AI is in them."
        ),
    },
    {
        "key": ANNEX_III,
        "title": _("3. High-risk areas (Annex III)"),
        "intro": _(
            "Is the system used to make or shape decisions about people in one of these "
            "areas? Answer for what the system is meant to do, not for what it could do."
        ),
    },
    {
        "key": TRANSPARENCY,
        "title": _("4. Transparency duties"),
        "intro": _("People must know when they deal with an AI system or with what it made."),
    },
    {
        "key": MODEL,
        "title": _("5. General-purpose models and our role"),
        "intro": _("These do not change the class; they decide which duties are ours."),
    },
]

QUESTIONS: list[dict] = [
    # -- Art. 5: prohibited practices
    {
        "key": "manipulation",
        "section": PROHIBITED,
        "label": _("manipulative or deceptive techniques"),
        "text": _(
            "Does it use subliminal, manipulative or deceptive techniques that distort "
            "people's behaviour in a way likely to cause them significant harm?"
        ),
        "help": _(
            "For example nudging people into decisions they would not otherwise take, "
            "below their awareness."
        ),
    },
    {
        "key": "exploits_vulnerability",
        "section": PROHIBITED,
        "label": _("exploitation of vulnerable people"),
        "text": _(
            "Does it exploit a vulnerability due to age, disability or a social or "
            "economic situation to distort behaviour harmfully?"
        ),
        "help": _("For example targeting people in debt with pressure they cannot resist."),
    },
    {
        "key": "social_scoring",
        "section": PROHIBITED,
        "label": _("social scoring"),
        "text": _(
            "Does it score people on their social behaviour or personal traits, leading "
            "to unfavourable treatment that is unrelated or disproportionate?"
        ),
        "help": _(
            "Scoring for one lawful, proportionate purpose (such as a credit decision) is "
            "not social scoring, but it may be high-risk below."
        ),
    },
    {
        "key": "predictive_policing",
        "section": PROHIBITED,
        "label": _("crime prediction from profiling alone"),
        "text": _(
            "Does it predict whether a person will commit a crime based only on "
            "profiling or on their personality traits?"
        ),
        "help": _(
            "Supporting a human assessment that rests on objective, verifiable facts is "
            "not covered."
        ),
    },
    {
        "key": "face_scraping",
        "section": PROHIBITED,
        "label": _("untargeted scraping of facial images"),
        "text": _(
            "Does it build or expand a facial recognition database by scraping facial "
            "images from the internet or CCTV footage without a target?"
        ),
        "help": "",
    },
    {
        "key": "emotion_at_work_or_school",
        "section": PROHIBITED,
        "label": _("emotion recognition at work or in education"),
        "text": _(
            "Does it infer the emotions of people at the workplace or in an educational "
            "institution?"
        ),
        "help": _(
            "Only medical or safety reasons (such as detecting a pilot's fatigue) are exempt."
        ),
    },
    {
        "key": "sensitive_biometric_categorisation",
        "section": PROHIBITED,
        "label": _("biometric categorisation by sensitive traits"),
        "text": _(
            "Does it sort people by biometric data to infer race, political opinions, "
            "trade union membership, religion or beliefs, sex life or sexual orientation?"
        ),
        "help": "",
    },
    {
        "key": "realtime_remote_biometric_id",
        "section": PROHIBITED,
        "label": _("real-time remote biometric identification for law enforcement"),
        "text": _(
            "Is it used for real-time remote biometric identification of people in "
            "publicly accessible spaces for law enforcement?"
        ),
        "help": _("A few narrow, authorised exceptions exist; none of them is a business pilot."),
    },
    # -- Art. 6(1) and Annex I
    {
        "key": "annex_i_safety_component",
        "section": PRODUCT_SAFETY,
        "label": _("safety component of a regulated product"),
        "text": _(
            "Is it a safety component of a product, or itself a product, covered by the "
            "EU safety laws of Annex I and needing a third-party conformity assessment?"
        ),
        "help": _(
            "Machinery, toys, lifts, radio equipment, pressure equipment, medical and in "
            "vitro diagnostic devices, cars, aircraft, rail and marine equipment, among others."
        ),
    },
    # -- Art. 6(2) and Annex III
    {
        "key": "biometrics",
        "section": ANNEX_III,
        "label": _("biometrics"),
        "text": _(
            "Biometrics: remote identification of people, categorisation by sensitive or "
            "protected attributes, or emotion recognition as the system's purpose?"
        ),
        "help": _(
            "Checking that someone is who they claim to be (unlocking a phone, a badge "
            "gate) is not covered."
        ),
    },
    {
        "key": "critical_infrastructure",
        "section": ANNEX_III,
        "label": _("critical infrastructure"),
        "text": _(
            "Critical infrastructure: a safety component in running digital "
            "infrastructure, road traffic, or the supply of water, gas, heating or electricity?"
        ),
        "help": "",
    },
    {
        "key": "education",
        "section": ANNEX_III,
        "label": _("education and vocational training"),
        "text": _(
            "Education: deciding on admission, assessing learning outcomes or the level "
            "of education someone may reach, or watching for cheating in tests?"
        ),
        "help": "",
    },
    {
        "key": "employment",
        "section": ANNEX_III,
        "label": _("employment and workers management"),
        "text": _(
            "Employment: recruiting or selecting candidates, deciding on promotion, "
            "termination or task allocation, or monitoring and evaluating workers?"
        ),
        "help": _("CV screening and performance scoring are typical examples."),
    },
    {
        "key": "essential_services",
        "section": ANNEX_III,
        "label": _("access to essential private and public services"),
        "text": _(
            "Essential services: eligibility for public benefits or healthcare, credit "
            "scoring of people, pricing of life or health insurance, or triage of emergency calls?"
        ),
        "help": _("Detecting financial fraud is not credit scoring."),
    },
    {
        "key": "law_enforcement",
        "section": ANNEX_III,
        "label": _("law enforcement"),
        "text": _(
            "Law enforcement: used by or for police and prosecutors to assess victims or "
            "suspects, evaluate evidence or profile people in investigations?"
        ),
        "help": "",
    },
    {
        "key": "migration",
        "section": ANNEX_III,
        "label": _("migration, asylum and border control"),
        "text": _(
            "Migration and borders: assessing risks posed by travellers, examining "
            "asylum, visa or residence applications, or detecting people at borders?"
        ),
        "help": "",
    },
    {
        "key": "justice_democracy",
        "section": ANNEX_III,
        "label": _("administration of justice and democratic processes"),
        "text": _(
            "Justice and democracy: helping a court or dispute body find or apply the "
            "law, or influencing how people vote in elections or referendums?"
        ),
        "help": "",
    },
    {
        "key": "narrow_task_only",
        "section": ANNEX_III,
        "label": _("narrow procedural or preparatory task only"),
        "text": _(
            "Only if an area above applies: does the system merely perform a narrow "
            "procedural or preparatory task, or improve a finished human decision, without "
            "replacing or influencing the human assessment?"
        ),
        "help": _(
            "Art. 6(3). Leave blank when no area applies. Claiming this exception must be "
            "documented and the system registered; a reviewer must agree."
        ),
        "required": False,
    },
    {
        "key": "profiles_people",
        "section": ANNEX_III,
        "label": _("profiling of people"),
        "text": _(
            "Only if an area above applies: does it profile people (evaluate aspects of "
            "their work, finances, health, preferences, behaviour or location)?"
        ),
        "help": _(
            "Profiling always keeps an Annex III system high-risk. Leave blank when no "
            "area applies; blank counts as yes."
        ),
        "required": False,
    },
    # -- Art. 50: transparency
    {
        "key": "interacts_with_people",
        "section": TRANSPARENCY,
        # Translators: completes the reason "Transparency duty (Art. 50): it …".
        "label": _("interacts directly with people"),
        "text": _(
            "Does it interact directly with people, as a chatbot, voice assistant or "
            "agent that writes to them?"
        ),
        "help": "",
    },
    {
        "key": "generates_content",
        "section": TRANSPARENCY,
        # Translators: completes the reason "Transparency duty (Art. 50): it …".
        "label": _("generates synthetic audio, images, video or text"),
        "text": _("Does it generate or manipulate audio, images, video or text?"),
        "help": _("Its output must be marked as machine-generated in a machine-readable way."),
    },
    {
        "key": "deep_fakes",
        "section": TRANSPARENCY,
        # Translators: completes the reason "Transparency duty (Art. 50): it …".
        "label": _("publishes deep fakes or AI text on public-interest matters"),
        "text": _(
            "Do we publish what it makes as realistic images, audio or video of real "
            "people, places or events, or as text informing the public on matters of public "
            "interest?"
        ),
        "help": "",
    },
    {
        "key": "emotion_or_biometric_categorisation",
        "section": TRANSPARENCY,
        # Translators: completes the reason "Transparency duty (Art. 50): it …".
        "label": _("recognises emotions or categorises people biometrically"),
        "text": _(
            "Does it recognise emotions or categorise people from biometric data "
            "(outside work and education, and not by sensitive traits)?"
        ),
        "help": _(
            "The people exposed must be told. If recognising emotions is the system's "
            "purpose, answer yes to biometrics in section 3 as well."
        ),
    },
    # -- general-purpose models and role
    {
        "key": "uses_gpai",
        "section": MODEL,
        "label": _("uses a general-purpose AI model"),
        "text": _(
            "Is it built on a general-purpose AI model, such as a large language model "
            "from a vendor or an open-weight model?"
        ),
        "help": "",
    },
    {
        "key": "provides_gpai",
        "section": MODEL,
        "label": _("provides a general-purpose AI model"),
        "text": _(
            "Do we ourselves train a general-purpose model, or modify one substantially, "
            "and make it available to others?"
        ),
        "help": _("Fine-tuning for our own system only is usually not this."),
    },
    {
        "key": "organisation_role",
        "section": MODEL,
        "label": _("our role"),
        "text": _("What is our organisation's role for this system?"),
        "help": _(
            "Provider: we develop it (or have it developed) and put it into service under "
            "our own name, even for internal use. Deployer: we use a system someone else provides."
        ),
        "choices": OrganisationRole.choices,
    },
]

QUESTIONS_BY_KEY = {q["key"]: q for q in QUESTIONS}
ANNEX_III_AREAS = [
    q["key"] for q in QUESTIONS if q["section"] == ANNEX_III and q.get("required", True)
]


def questions_in(section: str) -> list[dict]:
    return [q for q in QUESTIONS if q["section"] == section]


def answered_questions(answers: Mapping) -> list[dict]:
    """The questions with the answers given, for a reviewer to read them back."""
    rows = []
    for question in QUESTIONS:
        value = answers.get(question["key"])
        if "choices" in question:
            shown = dict(question["choices"]).get(value, "—")
        else:
            shown = {True: gettext("Yes"), False: gettext("No")}.get(value, "—")
        rows.append({**question, "answer": shown, "is_yes": value is True})
    return rows
