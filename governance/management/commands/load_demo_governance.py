"""Governance for the demo portfolio (after `load_demo`): past gates signed where their
mandatory work is done (with real sign-off PDFs), some pilots classified, a few risks.

Late pilots keep unsigned gates: that is what an overdue gate looks like. Safe to run
twice: it stops when any signature exists.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance import classification, gates, risks
from governance.models import GateSignature
from governance.questionnaire import QUESTIONS
from pilots.models import PhaseRun, Pilot

User = get_user_model()

# Demo pilot name -> the answers that differ from "no" (and the class they lead to).
CLASSIFIED = {
    "Claims triage assistant": {"interacts_with_people": True},  # limited: chatbot duty
    "Churn early warning": {"essential_services": True, "profiles_people": True},  # high
    "Contract clause search": {},  # minimal
    "Fraud scoring refresh": {"essential_services": True, "profiles_people": True},
    "Maintenance prediction": {},
}
RISKS = [
    (
        "Training data contains personal data beyond what the purpose needs",
        "privacy",
        4,
        4,
        2,
        3,
        "Minimise the extract; pseudonymise identifiers before training.",
    ),
    (
        "Model accuracy drops on seasonal peaks",
        "model_quality",
        3,
        4,
        3,
        3,
        "Monitor drift weekly; retrain before the quarter-end peak.",
    ),
    (
        "Single vendor for the language model",
        "vendor",
        3,
        3,
        3,
        3,
        "Keep prompts portable; agree an exit clause.",
    ),
]


class Command(BaseCommand):
    help = "Sign past demo gates, classify some demo pilots and add risks. Safe to run twice."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:  # debug off, and a public host or a real secret key
            raise CommandError("Refusing to load demo data into a production configuration.")
        if GateSignature.objects.exists():
            self.stdout.write("Demo governance already present.")
            return
        reviewer = User.objects.filter(username="reviewer").first()
        if reviewer is None:
            raise CommandError("Run `manage.py load_demo` first.")
        today = timezone.localdate()
        signed = 0
        pilots = (
            Pilot.objects.exclude(status=Pilot.Status.INTAKE)
            .select_related("programme_manager", "production_owner")
            .order_by("pk")
        )
        for index, pilot in enumerate(pilots):
            signed += self._sign_past_gates(pilot, today)
            if pilot.name in CLASSIFIED:
                self._classify(pilot, CLASSIFIED[pilot.name], reviewer)
            if pilot.status == Pilot.Status.ACTIVE and index % 2 == 0:
                self._risks(pilot, reviewer)
        self.stdout.write(self.style.SUCCESS(f"Demo governance: {signed} gates signed off."))

    def _sign_past_gates(self, pilot: Pilot, today) -> int:
        signed = 0
        for run in pilot.phase_runs.select_related("phase").order_by("number"):
            if run.planned_end >= today and pilot.status != Pilot.Status.IN_PRODUCTION:
                break
            run.pilot = pilot
            gate = gates.gate_for(run)
            if gate.open_mandatory or pilot.production_owner is None:
                break  # an overdue gate, as it happens in real programmes
            for slot in gate.slots:
                signer = self._signer(slot.role, pilot)
                if signer is None:
                    return signed
                gates.gate_sign(
                    phase_run=run,
                    slot=slot.role,
                    signer=signer,
                    statement="The phase delivered what the playbook asks; "
                    "I accept it and what it commits us to.",
                )
            run.refresh_from_db()
            signed += run.state == PhaseRun.State.SIGNED_OFF
        return signed

    def _signer(self, role: str, pilot: Pilot):
        return {
            "production_owner": pilot.production_owner,
            "programme_manager": pilot.programme_manager,
            "governance_reviewer": User.objects.filter(username="reviewer").first(),
            "leadership_if_high_risk": User.objects.filter(username="lead").first(),
        }.get(role)

    def _classify(self, pilot: Pilot, yes: dict, reviewer) -> None:
        answers = {q["key"]: False for q in QUESTIONS if "choices" not in q}
        answers.update(yes, organisation_role="deployer")
        prepared = classification.classification_prepare(
            pilot=pilot, answers=answers, actor=pilot.programme_manager
        )
        classification.classification_confirm(classification=prepared, actor=reviewer)

    def _risks(self, pilot: Pilot, reviewer) -> None:
        for title, category, lik, imp, rlik, rimp, mitigation in RISKS:
            risks.risk_create(
                pilot=pilot,
                actor=reviewer,
                title=title,
                category=category,
                likelihood=lik,
                impact=imp,
                residual_likelihood=rlik,
                residual_impact=rimp,
                mitigation=mitigation,
                owner=pilot.production_owner,
            )
