"""Demo portfolio for `make run`: one user per role and about a dozen pilots.

The pilots sit at different days of their 90 days relative to today: some on time, some
late, one finished and in production, one paused, one still in intake. Running it again
changes nothing (it stops when the demo users exist).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from pilots import decisions, rollout, services
from pilots.models import (
    CostLine,
    Decision,
    DecisionKind,
    Deliverable,
    Intake,
    KpiReading,
    Operation,
    Pilot,
    RolloutStep,
)
from pilots.roles import Role
from playbook.models import Playbook

User = get_user_model()
DEMO_PASSWORD = "ninety-demo"

# username, first name, last name, role (None: no global role), is_superuser
PEOPLE = [
    ("pm", "Priya", "Raman", Role.PROGRAMME_MANAGER, False),
    ("owner", "Olaf", "de Wit", None, False),
    ("lead", "Lena", "Hartmann", Role.LEADERSHIP, False),
    ("reviewer", "Ruben", "Verhoeven", Role.GOVERNANCE_REVIEWER, False),
    ("admin", "Ada", "Mensah", Role.ADMINISTRATOR, True),
    ("pm2", "Tom", "Bakker", Role.PROGRAMME_MANAGER, False),
    ("sponsor", "Sofia", "Marino", None, False),
    ("prodowner", "Pieter", "Jansen", None, False),
    ("data", "Dana", "Kowalski", None, False),
    ("platform", "Yusuf", "Aydin", None, False),
]

# name, business unit, problem, day today (1 = kickoff today), health, status
PILOTS = [
    (
        "Claims triage assistant",
        "Insurance operations",
        "Claim handlers spend minutes routing each claim; route them automatically.",
        12,
        "on_time",
        "active",
    ),
    (
        "Invoice matching",
        "Finance",
        "Match supplier invoices to purchase orders without manual lookups.",
        24,
        "late",
        "active",
    ),
    (
        "Churn early warning",
        "Retail banking",
        "Spot customers likely to leave in time to call them.",
        38,
        "on_time",
        "active",
    ),
    (
        "Contract clause search",
        "Legal",
        "Find risky clauses across thousands of contracts.",
        47,
        "late",
        "active",
    ),
    (
        "Demand forecasting",
        "Supply chain",
        "Forecast weekly demand per store to cut waste.",
        58,
        "on_time",
        "active",
    ),
    (
        "Service desk answers",
        "IT",
        "Draft first answers to service-desk tickets.",
        66,
        "late",
        "active",
    ),
    (
        "Fraud scoring refresh",
        "Payments",
        "Replace the rules engine's scores with a learned model.",
        79,
        "on_time",
        "active",
    ),
    (
        "Document intake OCR",
        "Mortgages",
        "Read income documents and fill the application.",
        88,
        "late",
        "active",
    ),
    (
        "Call summarisation",
        "Customer service",
        "Summarise calls so agents stop writing notes.",
        97,
        "late",
        "active",
    ),
    (
        "Maintenance prediction",
        "Facilities",
        "Predict lift failures before they happen.",
        95,
        "done",
        "in_production",
    ),
    (
        "Marketing copy drafts",
        "Marketing",
        "Draft campaign copy variants for review.",
        41,
        "on_time",
        "paused",
    ),
    (
        "HR policy chatbot",
        "People",
        "Answer employees' policy questions in plain language.",
        -6,
        "on_time",
        "intake",
    ),
]


# The intake decisions leadership reads in the portfolio: success metric (name, unit,
# baseline, target), readings (days ago, value) and 12-month production cost lines
# (category, description, euros; people lines as FTE × yearly rate).
VALUE = {
    "Claims triage assistant": (
        ("Minutes to route a claim", "min", 14, 3),
        [(5, 13)],
        [("licences", "Model usage", 38_000), ("infrastructure", "Hosting", 12_000)],
    ),
    "Invoice matching": (
        ("Invoices matched without a person", "%", 35, 80),
        [(10, 41), (3, 47)],
        [
            ("licences", "OCR and model usage", 22_000),
            ("staff", "Finance ops support", (0.5, 70_000)),
        ],
    ),
    "Churn early warning": (
        ("Monthly churn of contacted customers", "%", 2.4, 1.8),
        [(20, 2.4), (6, 2.2)],
        [
            ("infrastructure", "Feature store and scoring", 30_000),
            ("monitoring", "Drift monitoring", 8_000),
            ("retraining", "Quarterly retraining", 15_000),
            ("staff", "Data scientist", (0.5, 95_000)),
        ],
    ),
    "Demand forecasting": (
        ("Fresh produce written off", "%", 6.5, 4.5),
        [(30, 6.4), (16, 5.9), (2, 5.6)],
        [
            ("infrastructure", "Forecast pipeline", 26_000),
            ("integration", "Ordering system link", 40_000),
            ("staff", "Planner support", (1, 65_000)),
        ],
    ),
    "Fraud scoring refresh": (
        ("Fraud losses per month", "k€", 410, 300),
        [(40, 405), (20, 362), (4, 331)],
        [
            ("infrastructure", "Real-time scoring", 55_000),
            ("monitoring", "Model monitoring", 18_000),
            ("staff", "ML engineer on call", (1, 105_000)),
        ],
    ),
    "Maintenance prediction": (
        ("Unplanned lift outages per quarter", "outages", 24, 12),
        [(60, 22), (30, 16), (7, 13)],
        [("infrastructure", "Sensors and hosting", 34_000), ("monitoring", "Alerting", 6_000)],
    ),
    "Service desk answers": (
        ("Tickets answered on first reply", "%", 18, 40),
        [],
        [],
    ),
    "HR policy chatbot": (
        ("Policy questions answered without HR staff", "%", 10, 60),
        [],
        [("licences", "Model usage", 18_000)],
    ),
}


# The rest of the intake: expected yearly benefit (euros), governance consulted and their
# early read, and the workforce plan. Pilots left out show the gaps triage looks for.
INTAKE = {
    "Claims triage assistant": (
        180_000,
        "Privacy office and the claims risk team",
        "Fine if claim texts stay in the EU and handlers can overrule every routing.",
        "Claim handlers learn to read and correct the suggested route in a one-hour session "
        "before the canary; team leads coach in the first two weeks.",
    ),
    "Invoice matching": (
        120_000,
        "Finance controls and IT security",
        "Matching rules must be auditable; keep every automatic match explainable.",
        "",
    ),
    "Churn early warning": (
        260_000,
        "Legal, privacy and the model risk committee",
        "Profiling customers is high-risk use: expect an impact assessment before go-live.",
        "Retention agents get a call script per risk reason and a weekly review with "
        "their lead for the first month.",
    ),
    "Demand forecasting": (
        310_000,
        "Supply chain risk and IT architecture",
        "No blocker; store managers must be able to override an order.",
        "Store managers learn to read the forecast band; planners run a two-week shadow "
        "period with the old spreadsheet.",
    ),
    "Fraud scoring refresh": (
        900_000,
        "Model risk, compliance and security",
        "A challenger model must run beside the rules engine until the gate.",
        "Fraud analysts learn the new score reasons; the rules team is retrained to "
        "maintain features.",
    ),
    "Maintenance prediction": (
        150_000,
        "Health and safety, IT security",
        "Engineers keep the final say on taking a lift out of service.",
        "Facilities planners schedule from the predictions; duty engineers trained on "
        "the alert screen.",
    ),
    "Call summarisation": (
        95_000,
        "Privacy office",
        "Call recordings need a retention limit before anything is stored.",
        "",
    ),
    "HR policy chatbot": (
        None,
        "Works council and privacy office",
        "Employees must be told they talk to a machine, with a way to reach a person.",
        "",
    ),
}
TRIAGED = {
    "Claims triage assistant": "On track; all four answers are in. Keep going.",
    "Churn early warning": "Owner, outcome, cost and training plan are clear. Continue.",
    "Demand forecasting": "Clear outcome and owner; cost line for the ordering link agreed.",
}
PAUSED = (
    "Marketing copy drafts",
    "Nobody in marketing operations will own it in production and the cost per campaign "
    "is unknown. Paused until the marketing director names an owner.",
    12,  # days ago
)
OVERRIDDEN = (
    "Call summarisation",
    "The contact centre contract renewal needs a working pilot this quarter. The production "
    "owner will be named at the first gate; the workforce plan follows the union talks.",
)
# Rollout decisions: step order -> (decision, days after the Scale phase's start, checks).
ROLLOUT = {
    "Fraud scoring refresh": {
        1: ("go", 3, "Latency p95 under 80 ms; false positives within 2 % of the rules engine."),
        2: ("go", 8, "A week at 15 % without incidents; analysts' feedback positive."),
    },
    "Document intake OCR": {
        1: ("no_go", 4, "Reading errors on scanned payslips at 6 %, above the 2 % agreed."),
    },
    "Maintenance prediction": {
        1: ("go", 2, "Alerts reached the duty engineer within a minute in every test."),
        2: ("go", 6, "Half the lifts for a week; no missed failure, two false alarms."),
        3: ("go", 9, "All lifts; the planners stopped the manual schedule."),
    },
}
OPERATION = {
    "operating_owner": "prodowner",
    "runbook_url": "https://wiki.example.com/runbooks/lift-maintenance",
    "support_model": "Facilities operations watches the dashboard daily; the platform team "
    "handles incidents; the data team retrains each quarter and ships model updates "
    "through the release train.",
    "on_call_contact": "Facilities duty engineer, +31 20 555 0134",
    "review_cadence": "quarterly",
}


class Command(BaseCommand):
    help = "Create demo users (one per role) and a demo portfolio. Safe to run twice."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:  # debug off, and a public host or a real secret key
            raise CommandError(
                "Refusing to load demo data into a production configuration: its users "
                "share a published password."
            )
        playbook = Playbook.default()
        if playbook is None:
            raise CommandError("No default playbook: run `manage.py load_playbooks` first.")
        if User.objects.filter(username="pm").exists():
            self.stdout.write("Demo data already present.")
        else:
            with transaction.atomic():
                people = self._people()
                self._pilots(people, playbook)
            self.stdout.write(self.style.SUCCESS(f"Demo portfolio created: {len(PILOTS)} pilots."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role, _ in PEOPLE[:5]:
            self.stdout.write(f"  {username:<9} {first} {last} — {role or 'deliverable owner'}")

    def _people(self) -> dict[str, object]:
        people = {}
        for username, first, last, role, superuser in PEOPLE:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                is_staff=superuser,
                is_superuser=superuser,
            )
            if role:
                user.groups.add(Group.objects.get_or_create(name=role)[0])
            people[username] = user
        return people

    def _pilots(self, people: dict, playbook: Playbook) -> None:
        today = timezone.localdate()
        team = [people[name] for name in ("owner", "data", "platform", "prodowner")]
        for index, (name, unit, problem, day, health, status) in enumerate(PILOTS):
            pilot = services.pilot_create(
                name=name,
                business_unit=unit,
                problem=problem,
                programme_manager=people["pm" if index % 3 else "pm2"],
                sponsor=people["sponsor"],
                production_owner=None if name == "Call summarisation" else people["prodowner"],
                kickoff_date=today - timedelta(days=day - 1),
                playbook=playbook,
            )
            self._value(pilot, people["prodowner"], today)
            self._intake(pilot)
            if status == "intake":
                continue
            if name == OVERRIDDEN[0]:
                services.pilot_launch(
                    pilot=pilot, actor=pilot.programme_manager, override_reason=OVERRIDDEN[1]
                )
            else:
                services.pilot_launch(pilot=pilot)
            # Started the day before day 1, not the moment the demo was loaded.
            Decision.objects.filter(pilot=pilot).update(
                decided_at=timezone.make_aware(
                    datetime.combine(pilot.kickoff_date - timedelta(days=1), time(10))
                )
            )
            self._progress(pilot, team, today, health)
            if status == "in_production":
                self._rollout(pilot, people, today)
                self._operate(pilot, people)
        self._lifecycle(today)

    def _value(self, pilot: Pilot, recorder, today) -> None:
        if pilot.name not in VALUE:
            return
        (metric, unit, baseline, target), readings, costs = VALUE[pilot.name]
        Pilot.objects.filter(pk=pilot.pk).update(
            success_metric=metric,
            success_unit=unit,
            success_baseline=Decimal(str(baseline)),
            success_target=Decimal(str(target)),
            success_target_date=pilot.kickoff_date + timedelta(days=180),
        )
        KpiReading.objects.bulk_create(
            KpiReading(
                pilot=pilot,
                taken_on=today - timedelta(days=days_ago),
                value=Decimal(str(value)),
                recorded_by=recorder,
            )
            for days_ago, value in readings
        )
        for category, description, amount in costs:
            line = CostLine(pilot=pilot, category=category, description=description)
            if isinstance(amount, tuple):
                line.fte, line.fte_annual_rate = (Decimal(str(part)) for part in amount)
            else:
                line.annual_cost = Decimal(amount)
            line.save()

    def _intake(self, pilot: Pilot) -> None:
        if pilot.name not in INTAKE:
            return
        benefit, consulted, early_read, workforce = INTAKE[pilot.name]
        Intake.objects.create(
            pilot=pilot,
            governance_engaged_on=pilot.kickoff_date - timedelta(days=21),
            governance_engaged_with=consulted,
            governance_early_read=early_read,
            expected_yearly_benefit=None if benefit is None else Decimal(benefit),
            workforce_plan=workforce,
            expected_scale="All users of the business unit, at peak about three times the "
            "average daily volume.",
            integrations="Single sign-on, the case system's API and the data warehouse.",
            acceptable_error_rate="Below 3 %, with every error correctable by a person.",
        )

    def _lifecycle(self, today) -> None:
        """Triage decisions, a pause and rollout decisions on running pilots, through the
        services, so the decisions and the audit trail read as they would in real use."""
        pilots = {p.name: p for p in Pilot.objects.select_related("programme_manager")}
        for name, rationale in TRIAGED.items():
            pilot = pilots[name]
            decisions.pilot_decide(
                pilot=pilot,
                kind=DecisionKind.CONTINUE,
                rationale=rationale,
                actor=pilot.programme_manager,
                in_triage=True,
            )
        name, rationale, days_ago = PAUSED
        pilot = pilots[name]
        pause = decisions.pilot_decide(
            pilot=pilot,
            kind=DecisionKind.PAUSE,
            rationale=rationale,
            actor=pilot.programme_manager,
            in_triage=True,
        )
        # Dated in the past, as if taken at the last triage: demo data only.
        Decision.objects.filter(pk=pause.pk).update(
            decided_at=timezone.now() - timedelta(days=days_ago)
        )
        for name in ("Fraud scoring refresh", "Document intake OCR"):
            self._rollout(pilots[name], None, today)

    def _rollout(self, pilot: Pilot, people, today) -> None:
        run = pilot.phase_runs.select_related("phase").order_by("-number").first()
        steps = {step.order: step for step in pilot.rollout_steps.all()}
        for order, (decision, day, checks) in ROLLOUT.get(pilot.name, {}).items():
            step = steps[order]
            step.pilot = pilot
            on = min(pilot.date_of_day(run.phase.start_day + day), today)
            rollout.rollout_step_decide(
                step=step,
                decision=decision,
                checks=checks,
                actual_on=on if decision == "go" else None,
                actor=pilot.programme_manager,
            )
            RolloutStep.objects.filter(pk=step.pk).update(
                decided_at=timezone.make_aware(datetime.combine(on, time(17)))
            )

    def _operate(self, pilot: Pilot, people: dict) -> None:
        """The in-production pilot's go-live. Its gates are signed afterwards by
        load_demo_governance, so the decision is written here directly (demo data only)."""
        live_since = timezone.localdate() - timedelta(days=5)
        details = {**OPERATION, "operating_owner": people[OPERATION["operating_owner"]]}
        Operation.objects.create(
            pilot=pilot,
            live_since=live_since,
            next_review_on=rollout.add_months(live_since, 3),
            **details,
        )
        Decision.objects.create(
            pilot=pilot,
            kind=DecisionKind.GO_LIVE,
            rationale="Scale gate signed, readiness checklist complete, operations trained.",
            decided_by=pilot.programme_manager,
            decided_at=timezone.now() - timedelta(days=5),
            details={"next_review_on": rollout.add_months(live_since, 3).isoformat()},
        )
        Pilot.objects.filter(pk=pilot.pk).update(status=Pilot.Status.IN_PRODUCTION)

    def _progress(self, pilot: Pilot, team: list, today, health: str) -> None:
        """Owners round-robin; work due before today done, except some when `late`.

        Done work is dated near its due date, so the burn-up and overdue charts show a
        history rather than everything finished the moment the demo was loaded.
        """
        deliverables = list(pilot.deliverables.order_by("due_date", "pk"))
        now = timezone.now()
        for position, deliverable in enumerate(deliverables):
            deliverable.owner = team[position % len(team)]
            past_due = deliverable.due_date < today
            slipping = health == "late" and position % 5 == 1
            if health == "done" or (past_due and not slipping):
                deliverable.status = Deliverable.Status.DONE
                done_on = min(deliverable.due_date - timedelta(days=position % 3), today)
                moment = timezone.make_aware(datetime.combine(done_on, time(16, position % 60)))
                deliverable.done_at = min(moment, now)
                deliverable.done_by = deliverable.owner
            elif deliverable.start_date <= today:
                deliverable.status = Deliverable.Status.IN_PROGRESS
        Deliverable.objects.bulk_update(
            deliverables, ["owner", "status", "done_at", "done_by"], batch_size=200
        )
        # Phase states move through gate sign-offs (governance's load_demo_governance).
