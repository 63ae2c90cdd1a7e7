"""The access matrix: every URL of the project, for every kind of person, GET and POST,
against the table below.

The table is the checked-in statement of who may do what. A URL added to the project
without a row here fails the suite (say who may use it); a row whose URL is gone fails
too. Each request runs in a savepoint that is rolled back, so every one sees the same
world: a launched pilot with an owner's deliverables (one done), evidence with a file, a
signed gate with its PDF, a classification to confirm, a risk, a portfolio report, a
notification, a calendar feed, a cost line, a reading, a rollout step and a draft
playbook. POSTs carry no data: they show who is let in, not what a valid form does.

The Django admin follows one rule instead of rows: staff only. Everybody else is sent to
the admin's login, whatever they ask for, and an administrator never gets a server error.

Reading the codes: 200 page, 302 redirect (to log in, for anonymous users; after a
write, for the others), 400/409/422 refused input (the person was let in), 403 may read
but not change, 404 not found or not theirs to know about, 405 wrong method.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from config.accounts import tokens
from config.accounts.models import ApiToken
from governance import classification, documents, gates, risks
from governance.models import GateSignature, SignOffDocument
from pilots import calendar, services, uploads
from pilots.models import (
    CostLine,
    Deliverable,
    Evidence,
    KpiReading,
    Notification,
    PortfolioReport,
    RolloutStep,
)
from playbook import services as playbook_services
from tests.conftest import build_pilot, make_user
from tests.governance_builders import answers

ROLES = ("anonymous", "outsider", "owner", "pm", "leader", "reviewer", "admin")

# One row per URL name: (GET codes, POST codes), one code per role in ROLES order:
#                                           ano out own pm  lea rev adm    ano out own pm  lea rev adm
# fmt: off
MATRIX: dict[str, tuple[str, str]] = {
    # --- Operations and logging in (no login needed)
    "healthz":                            ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "readyz":                             ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "login":                              ("200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "logout":                             ("405 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    "password_reset":                     ("200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "password_reset_done":                ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "password_reset_confirm":             ("302 302 302 302 302 302 302", "302 302 302 302 302 302 302"),
    "password_reset_complete":            ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    # Single sign-on is not configured in this world: its pages are not there (tests/test_oidc.py has them on)
    "sso-login":                          ("404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    "sso-callback":                       ("404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    # --- The language menu: anyone, logged in or not (it saves the choice for those who are)
    "language-set":                       ("405 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    # --- Start pages and lists: anyone logged in (each list shows only what they may see)
    "home":                               ("302 302 302 302 302 302 302", "302 405 405 405 405 405 405"),
    "my-work":                            ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "pilot-list":                         ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "triage":                             ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "notifications":                      ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "notification-settings":              ("302 200 200 200 200 200 200", "302 302 302 302 302 302 302"),
    "playbook-list":                      ("302 200 200 200 200 200 200", "302 405 405 405 405 405 405"),
    # --- A personal calendar feed: the secret token is the key, as calendar apps need
    "calendar-feed":                      ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    # --- Things of one's own: a notification belongs to the owner; others find nothing
    "notification-read":                  ("302 405 405 405 405 405 405", "302 404 302 404 404 404 404"),
    "notifications-read-all":             ("302 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    "calendar-feed-create":               ("302 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    "calendar-feed-revoke":               ("302 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    # --- Creating pilots: programme managers and administrators
    "pilot-create":                       ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    # --- A pilot: its readers read; only its programme manager (or an administrator) changes it
    "pilot-detail":                       ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "pilot-edit":                         ("302 404 403 200 403 403 200", "302 404 403 400 403 403 400"),
    "pilot-launch":                       ("302 405 405 405 405 405 405", "302 404 403 302 403 403 302"),
    "pilot-intake":                       ("302 404 200 200 200 200 200", "302 404 403 400 403 403 400"),
    "pilot-cost-add":                     ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "pilot-cost-remove":                  ("302 405 405 405 405 405 405", "302 404 403 302 403 403 302"),
    "pilot-triage":                       ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "pilot-decisions":                    ("302 404 200 200 200 200 200", "302 404 403 400 403 403 400"),
    "pilot-value":                        ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "pilot-reading-add":                  ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "pilot-reading-remove":               ("302 405 405 405 405 405 405", "302 404 403 302 403 403 302"),
    "pilot-rollout":                      ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "pilot-rollout-defaults":             ("302 405 405 405 405 405 405", "302 404 403 302 403 403 302"),
    "pilot-rollout-add":                  ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "pilot-rollout-edit":                 ("302 404 403 200 403 403 200", "302 404 403 400 403 403 400"),
    "pilot-rollout-decide":               ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "pilot-rollout-remove":               ("302 405 405 405 405 405 405", "302 404 403 302 403 403 302"),
    "pilot-go-live":                      ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "pilot-operation-review":             ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    # --- Deliverables: the owner ticks their own; the programme manager changes everything
    "deliverable-add":                    ("302 404 403 200 403 403 200", "302 404 403 400 403 403 400"),
    "deliverables-assign":                ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "deliverable-tick":                   ("302 405 405 405 405 405 405", "302 404 302 302 403 403 302"),
    "deliverable-untick":                 ("302 405 405 405 405 405 405", "302 404 302 302 403 403 302"),
    "deliverable-edit":                   ("302 404 403 200 403 403 200", "302 404 403 400 403 403 400"),
    "deliverable-waive":                  ("302 404 403 200 403 403 200", "302 404 403 400 403 403 400"),
    "deliverable-reopen":                 ("302 405 405 405 405 405 405", "302 404 403 302 403 403 302"),
    "deliverable-evidence":               ("302 404 200 200 403 403 200", "302 405 405 405 405 405 405"),
    "my-work-tick":                       ("302 405 405 405 405 405 405", "302 404 302 302 403 403 302"),
    "my-work-untick":                     ("302 405 405 405 405 405 405", "302 404 302 302 403 403 302"),
    "evidence-download":                  ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    # --- Governance: readers of the pilot read; reviewers classify and review, leadership accepts risks, slot holders sign
    "governance-overview":                ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-audit":                   ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-audit-csv":               ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-classification":          ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-classification-new":      ("302 404 403 200 403 200 200", "302 404 403 400 403 400 400"),
    "governance-classification-confirm":  ("302 405 405 405 405 405 405", "302 404 403 403 403 302 403"),
    "governance-risk-create":             ("302 404 403 200 403 200 200", "302 404 403 400 403 400 400"),
    "governance-risk-edit":               ("302 404 403 200 403 200 200", "302 404 403 400 403 400 400"),
    "governance-risk-accept":             ("302 404 403 403 200 403 403", "302 404 403 403 400 403 403"),
    "governance-gates":                   ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-gate":                    ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-gate-sign":               ("302 405 405 405 405 405 405", "302 404 403 400 403 403 403"),
    "governance-gate-reopen":             ("302 405 405 405 405 405 405", "302 404 403 400 403 403 400"),
    "governance-gate-draft":              ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-review":                  ("302 405 405 405 405 405 405", "302 404 403 403 403 400 403"),
    "governance-document":                ("302 404 200 200 200 200 200", "302 405 405 405 405 405 405"),
    "governance-document-retry":          ("302 405 405 405 405 405 405", "302 404 403 302 403 403 302"),
    "governance-verify":                  ("302 200 200 200 200 200 200", "302 400 400 400 400 400 400"),
    # --- The portfolio: the programme office (a report belongs to whoever asked for it)
    "portfolio":                          ("302 403 403 200 200 200 200", "302 405 405 405 405 405 405"),
    "portfolio-trend":                    ("302 403 403 200 200 200 200", "302 405 405 405 405 405 405"),
    "portfolio-csv":                      ("302 403 403 200 200 200 200", "302 405 405 405 405 405 405"),
    "portfolio-xlsx":                     ("302 403 403 200 200 200 200", "302 405 405 405 405 405 405"),
    "portfolio-report-create":            ("302 405 405 405 405 405 405", "302 403 403 302 302 302 302"),
    "portfolio-report":                   ("302 403 403 200 404 404 200", "302 405 405 405 405 405 405"),
    "portfolio-report-download":          ("302 403 403 200 404 404 200", "302 405 405 405 405 405 405"),
    "portfolio-report-retry":             ("302 405 405 405 405 405 405", "302 403 403 302 404 404 302"),
    # --- Playbooks: everyone sees the published list; programme managers and administrators edit drafts
    "playbook-detail":                    ("302 404 404 200 404 404 200", "302 405 405 405 405 405 405"),
    "playbook-diff":                      ("302 404 404 200 404 404 200", "302 405 405 405 405 405 405"),
    "playbook-export":                    ("302 404 404 200 404 404 200", "302 405 405 405 405 405 405"),
    "playbook-import":                    ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-clone":                     ("302 405 405 405 405 405 405", "302 403 403 302 403 403 302"),
    "playbook-settings":                  ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-publish":                   ("302 403 403 200 403 403 200", "302 403 403 302 403 403 302"),
    "playbook-discard":                   ("302 403 403 200 403 403 200", "302 403 403 302 403 403 302"),
    "playbook-retire":                    ("302 405 405 405 405 405 405", "302 403 403 302 403 403 302"),
    "playbook-make-default":              ("302 405 405 405 405 405 405", "302 403 403 302 403 403 302"),
    "playbook-phase-create":              ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-phase-edit":                ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-phase-delete":              ("302 405 405 405 405 405 405", "302 403 403 302 403 403 302"),
    "playbook-phase-move":                ("302 405 405 405 405 405 405", "302 403 403 400 403 403 400"),
    "playbook-template-create":           ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-template-edit":             ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-template-delete":           ("302 405 405 405 405 405 405", "302 403 403 302 403 403 302"),
    "playbook-template-move":             ("302 405 405 405 405 405 405", "302 403 403 400 403 403 400"),
    "playbook-criterion-create":          ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-criterion-edit":            ("302 403 403 200 403 403 200", "302 403 403 400 403 403 400"),
    "playbook-criterion-delete":          ("302 405 405 405 405 405 405", "302 403 403 302 403 403 302"),
    "playbook-criterion-move":            ("302 405 405 405 405 405 405", "302 403 403 400 403 403 400"),
    # --- API tokens: one's own (someone else's token is not there to revoke)
    "account-tokens":                     ("302 200 200 200 200 200 200", "302 400 400 400 400 400 400"),
    "account-token-revoke":               ("302 405 405 405 405 405 405", "302 404 302 404 404 404 404"),
    # --- The JSON API, called with each role's own token: the pages' rules (outsiders get 404,
    # a reader who may not write 403). Its schema and docs are public; PATCH is tested in test_api.py
    "api:api-root":                       ("404 404 404 404 404 404 404", "404 404 404 404 404 404 404"),
    "api:openapi-json":                   ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:openapi-view":                   ("200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:me":                             ("401 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:pilot_list":                     ("401 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:pilot_read":                     ("401 404 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:phase_list":                     ("401 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:phase_read":                     ("401 404 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:deliverable_list":               ("401 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:deliverable_read":               ("401 404 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:deliverable_update":             ("401 404 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:reading_list":                   ("401 404 200 200 200 200 200", "401 404 403 400 403 403 400"),
    "api:reading_add":                    ("401 404 200 200 200 200 200", "401 404 403 400 403 403 400"),
    "api:portfolio_summary":              ("401 403 403 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:risk_list":                      ("401 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:risk_read":                      ("401 404 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:signature_list":                 ("401 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:signature_read":                 ("401 404 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:document_list":                  ("401 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:document_read":                  ("401 404 200 200 200 200 200", "405 405 405 405 405 405 405"),
}
# fmt: on


@dataclass
class World:
    users: dict
    pilot: object
    owned: Deliverable
    done: Deliverable
    evidence: Evidence
    classification: object
    risk: object
    document: SignOffDocument
    report: PortfolioReport
    notification: Notification
    feed_token: str
    cost_line: CostLine
    reading: KpiReading
    step: RolloutStep
    draft: object
    api_tokens: dict
    signature: object


def build_world(playbook, media_root) -> World:
    from django.core.files.uploadedfile import SimpleUploadedFile

    users = {
        "outsider": make_user("outsider"),
        "owner": make_user("owner", email="owner@example.com"),
        "pm": make_user("pm", "Programme manager"),
        "leader": make_user("leader", "Leadership"),
        "reviewer": make_user("reviewer", "Governance reviewer"),
        "admin": make_user("admin", "Administrator", is_staff=True, is_superuser=True),
    }
    sponsor, production_owner = make_user("sponsor"), make_user("prodowner")
    pilot = build_pilot(
        programme_manager=users["pm"],
        playbook=playbook,
        sponsor=sponsor,
        production_owner=production_owner,
        kickoff=timezone.localdate() - timedelta(days=40),
    )
    items = list(pilot.deliverables.order_by("due_date", "pk"))
    owned, done = items[0], items[1]
    services.deliverables_assign(
        pilot=pilot, deliverable_ids=[owned.pk, done.pk], owner=users["owner"]
    )
    done.refresh_from_db()
    pdf = SimpleUploadedFile("proof.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")
    services.deliverable_set_done(
        deliverable=done,
        actor=users["owner"],
        done=True,
        expected_version=done.version,
        evidence_file=uploads.check_upload(pdf, max_bytes=1024),
    )
    owned.refresh_from_db()
    done.refresh_from_db()

    # Gate 1 signed by both slots, its document rendered.
    run = pilot.phase_runs.get(number=1)
    for item in Deliverable.objects.filter(phase_run=run, mandatory=True).open():
        services.deliverable_set_done(
            deliverable=item, actor=users["pm"], done=True, expected_version=None
        )
    gates.gate_sign(
        phase_run=run, slot="programme_manager", signer=users["pm"], statement="Plan holds"
    )
    gates.gate_sign(
        phase_run=run, slot="production_owner", signer=production_owner, statement="We run it"
    )
    document = SignOffDocument.objects.get(phase_run=run)
    documents.render_and_store(document.pk)

    pending = classification.classification_prepare(
        pilot=pilot, answers=answers(), actor=users["reviewer"]
    )
    risk = risks.risk_create(
        pilot=pilot,
        actor=users["reviewer"],
        title="Model leaks personal data",
        category="privacy",
        likelihood=4,
        impact=5,
        residual_likelihood=3,
        residual_impact=5,
        mitigation="Redact names before prompting.",
    )
    report = PortfolioReport.objects.create(
        requested_by=users["pm"], status=PortfolioReport.Status.READY, pdf=b"%PDF-1.7\n%%EOF\n"
    )
    notification = Notification.objects.create(
        user=users["owner"], kind="digest", title="Your work this week", url="/my-work/"
    )
    cost_line = CostLine.objects.create(
        pilot=pilot, category="inference", description="GPU hours", annual_cost=Decimal("1200")
    )
    reading = KpiReading.objects.create(
        pilot=pilot, taken_on=timezone.localdate(), value=Decimal("42"), recorded_by=users["pm"]
    )
    step = RolloutStep.objects.filter(pilot=pilot).order_by("order").first()
    api_tokens = {role: tokens.api_token_create(user=user)[1] for role, user in users.items()}
    draft = playbook_services.playbook_clone(source=playbook, actor=users["admin"])
    playbook_services.gate_criterion_create(
        phase=draft.phases.order_by("number").first(),
        actor=users["admin"],
        statement="The production owner accepts the plan.",
    )
    return World(
        users=users,
        pilot=pilot,
        owned=owned,
        done=done,
        evidence=Evidence.objects.get(deliverable=done),
        classification=pending,
        risk=risk,
        document=document,
        report=report,
        notification=notification,
        feed_token=calendar.feed_create(user=users["owner"]),
        cost_line=cost_line,
        reading=reading,
        step=step,
        draft=draft,
        api_tokens=api_tokens,
        signature=GateSignature.objects.filter(phase_run=run).order_by("pk").first(),
    )


def url_kwargs(name: str, params: list[str], world: World) -> dict:
    """The real objects each URL is asked about, chosen by the URL's parameter names."""
    owner = world.users["owner"]
    draft = world.draft
    phase = draft.phases.order_by("number").first()
    by_param = {
        "deliverable_pk": (world.done if "untick" in name else world.owned).pk,
        "evidence_pk": world.evidence.pk,
        "classification_pk": world.classification.pk,
        "risk_pk": world.risk.pk,
        "number": 1,
        "slot": "programme_manager",
        "document_pk": world.document.pk,
        "line_pk": world.cost_line.pk,
        "reading_pk": world.reading.pk,
        "step_pk": world.step.pk,
        "phase_pk": phase.pk,
        "template_pk": phase.templates.order_by("order").first().pk,
        "criterion_pk": phase.gate_criteria.order_by("order").first().pk,
        "fmt": "yaml",
        "token": world.feed_token,
        "uidb64": urlsafe_base64_encode(force_bytes(owner.pk)),
        # The owner's own token: theirs to revoke, nobody else's.
        "token_pk": ApiToken.objects.filter(user=owner).first().pk,
        # The JSON API's parameters
        "pilot_id": world.pilot.pk,
        "phase_id": world.document.phase_run_id,
        "deliverable_id": world.owned.pk,
        "risk_id": world.risk.pk,
        "signature_id": world.signature.pk,
        "document_id": world.document.pk,
    }
    if name == "password_reset_confirm":
        by_param["token"] = default_token_generator.make_token(owner)
    if name.startswith("portfolio-report"):
        pk = world.report.pk
    elif name.startswith("notification"):
        pk = world.notification.pk
    elif name.startswith("playbook-"):
        pk = draft.pk
    else:
        pk = world.pilot.pk
    by_param["pk"] = pk
    return {param: by_param[param] for param in params}


def project_urls() -> dict[str, list[str]]:
    """Every named URL outside the admin, with its parameter names."""
    found: dict[str, list[str]] = {}

    def walk(patterns, prefix: str, namespace: str | None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or namespace
                if inner == "admin":
                    continue
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name:
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found[name] = re.findall(r"<(?:\w+:)?(\w+)>", route)

    walk(get_resolver().url_patterns, "", None)
    return found


def test_every_url_of_the_project_has_a_row_in_the_table():
    urls = project_urls()
    missing = sorted(set(urls) - set(MATRIX))
    assert not missing, (
        "These URLs have no row in tests/test_access_matrix.py MATRIX. Add one saying what "
        "each role gets (GET, POST): " + ", ".join(missing)
    )
    stale = sorted(set(MATRIX) - set(urls))
    assert not stale, "These rows name URLs that no longer exist: " + ", ".join(stale)
    for name, (get, post) in MATRIX.items():
        for codes in (get, post):
            assert len(codes.split()) == len(ROLES), f"{name}: one code per role, please"


class Visitor:
    """One client per role, logged in once; each request in a rolled-back savepoint, and
    the cookies put back afterwards (a logout must not leak into the next request)."""

    def __init__(self, world: World):
        self.clients: dict[str, Client] = {"anonymous": Client()}
        self.api_clients: dict[str, Client] = {"anonymous": Client()}
        for role in ROLES[1:]:
            client = Client()
            client.force_login(world.users[role])
            self.clients[role] = client
            # The JSON API reads no session: each role calls it with their own token.
            self.api_clients[role] = Client(
                headers={"authorization": f"Bearer {world.api_tokens[role]}"}
            )

    def response(self, role: str, method: str, url: str):
        client = (self.api_clients if url.startswith("/api/") else self.clients)[role]
        saved = SimpleCookie()
        saved.update(client.cookies)
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url, {})
            transaction.set_rollback(True)
        client.cookies = saved
        return response

    def status(self, role: str, method: str, url: str) -> int:
        return self.response(role, method, url).status_code


@pytest.fixture
def world(db, settings, tmp_path, playbook):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return build_world(playbook, settings.MEDIA_ROOT)


def observe(world: World) -> dict[str, tuple[str, str]]:
    visitor = Visitor(world)
    seen = {}
    for name, params in sorted(project_urls().items()):
        url = reverse(name, kwargs=url_kwargs(name, params, world))
        seen[name] = tuple(
            " ".join(str(visitor.status(role, method, url)) for role in ROLES)
            for method in ("GET", "POST")
        )
    return seen


def test_every_url_answers_every_role_as_the_table_says(world):
    seen = observe(world)
    wrong = [
        f"{name:<36} {method:<4} expected {expected}\n{'':<41} got      {got}"
        for name, pair in seen.items()
        if name in MATRIX
        for method, expected, got in zip(("GET", "POST"), MATRIX[name], pair, strict=True)
        if expected != got
    ]
    assert not wrong, "roles: " + " ".join(ROLES) + "\n" + "\n".join(wrong)


# --- The admin: staff only -----------------------------------------------------------------

NON_STAFF = ("anonymous", "outsider", "owner", "pm", "leader", "reviewer")
# The admin's own door is open to everybody; everything behind it is not.
ADMIN_DOOR = {"admin:login", "admin:logout"}


def admin_urls(world: World) -> dict[str, str]:
    """Every named admin URL, resolved against a real row of its model where one exists."""
    from django.contrib.contenttypes.models import ContentType

    (admin,) = [
        r
        for r in get_resolver().url_patterns
        if isinstance(r, URLResolver) and r.namespace == "admin"
    ]
    found: dict[str, list[str]] = {}

    def walk(patterns, prefix: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif entry.name:
                route = prefix + str(entry.pattern)
                params = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
                found[f"admin:{entry.name}"] = [a or b for a, b in params]

    walk(admin.url_patterns, "")
    values = {
        "app_label": "pilots",
        "content_type_id": ContentType.objects.get_for_model(type(world.pilot)).pk,
    }
    return {
        name: reverse(
            name,
            kwargs={p: values.get(p) or _some_object_id(name) or world.pilot.pk for p in params},
        )
        for name, params in found.items()
    }


def _some_object_id(name: str) -> str | None:
    """The pk of a row of the model an admin URL name is about (admin:app_model_action)."""
    from django.apps import apps

    stem = name.removeprefix("admin:").rsplit("_", 1)[0]
    for model in apps.get_models():
        if f"{model._meta.app_label}_{model._meta.model_name}" == stem:
            pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            return None if pk is None else str(pk)
    return None


def test_the_admin_is_for_staff_only(world):
    visitor = Visitor(world)
    login = reverse("admin:login")
    urls = admin_urls(world)
    wrong = []
    for name, url in sorted(urls.items()):
        for method in ("GET", "POST"):
            for role in NON_STAFF:
                response = visitor.response(role, method, url)
                if name in ADMIN_DOOR:
                    let_through = response.status_code in (200, 302, 405)
                else:
                    let_through = response.status_code == 302 and response["Location"].startswith(
                        login
                    )
                if not let_through:
                    wrong.append(f"{name} {method} {role}: {response.status_code}")
            response = visitor.response("admin", method, url)
            sent_to_login = response.status_code == 302 and response["Location"].startswith(login)
            if response.status_code >= 500 or (sent_to_login and name not in ADMIN_DOOR):
                wrong.append(f"{name} {method} admin: {response.status_code}")
    assert len(urls) > 150  # every model's pages, really walked
    assert not wrong, "\n".join(wrong)
