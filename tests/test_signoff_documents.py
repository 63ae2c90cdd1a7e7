"""Sign-off documents: frozen when the gate closes, rendered late without drifting, their
failures and retries on the record, lost renders picked up again, and a PDF that holds
everything a board signs (and nothing past its margins)."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from governance import audit, classification, documents, gates, risks
from governance.models import AuditEvent, SignOffDocument
from governance.tasks import requeue_stale_documents
from pilots import services
from pilots.models import Deliverable, Evidence
from tests.conftest import build_pilot
from tests.governance_builders import (
    answers,
    close_mandatory,
    default_playbook,
    pdf_links,
    pdf_text,
    pdf_words,
    phase_run,
)

A4_MARGIN_PT = 18 * 72 / 25.4  # the template's left and right page margins


def sign_all_but_last(run, pm):
    close_mandatory(run, pm)
    gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="Plan holds")


def sign_last(run, production_owner):
    gates.gate_sign(
        phase_run=run,
        slot="production_owner",
        signer=production_owner,
        statement="My team will run it",
    )


@pytest.fixture
def failing_renderer(monkeypatch):
    """WeasyPrint failing at the edge, as a full disk or a killed font service would."""
    import weasyprint

    def fail(self, *args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", fail)
    return monkeypatch


# --- frozen at closing ------------------------------------------------------------------


def test_it_files_the_gate_as_it_closed_when_the_render_task_runs_late(
    pilot, pm, production_owner, django_capture_on_commit_callbacks, tmp_path
):
    run = phase_run(pilot, 1)
    sign_all_but_last(run, pm)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        sign_last(run, production_owner)
    closed = AuditEvent.objects.get(verb="gate.closed")
    # Before the task runs: a deliverable is renamed and the gate reopened.
    item = Deliverable.objects.get(phase_run=run, title="Foundation activity 1")
    services.deliverable_update(
        deliverable=item,
        expected_version=item.version,
        title="Renamed after the sign-off",
        owner=None,
        start_date=item.start_date,
        due_date=item.due_date,
    )
    gates.gate_reopen(phase_run=run, actor=pm, reason="Architecture changed")
    for callback in queued:  # the late render task
        callback()
    document = SignOffDocument.objects.get(phase_run=run)
    assert document.status == SignOffDocument.Status.READY
    assert document.audit_head == closed.hash
    text = pdf_text(document.pdf, tmp_path)
    assert "Foundation activity 1" in text and "Renamed after the sign-off" not in text
    assert "Plan holds" in text and "My team will run it" in text
    assert "not signed" not in text and "Signed off" in text
    assert document.content_sha256[:24] in text and closed.hash[:24] in text


def test_the_cover_carries_the_sign_off_date(
    pilot, pm, production_owner, django_capture_on_commit_callbacks, tmp_path
):
    run = phase_run(pilot, 1)
    sign_all_but_last(run, pm)
    with (
        time_machine.travel("2026-03-31 16:45 +02:00", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sign_last(run, production_owner)
    text = pdf_text(SignOffDocument.objects.get().pdf, tmp_path)
    assert "Signed off 31 March 2026 16:45 CEST" in text


# --- failures, retries and lost renders in the audit trail --------------------------------


def test_a_failed_render_is_recorded_and_trying_again_is_too(
    client,
    pilot,
    pm,
    production_owner,
    owner,
    outsider,
    failing_renderer,
    django_capture_on_commit_callbacks,
):
    run = phase_run(pilot, 1)
    sign_all_but_last(run, pm)
    with django_capture_on_commit_callbacks(execute=True):
        sign_last(run, production_owner)
    document = SignOffDocument.objects.get()
    assert document.status == SignOffDocument.Status.FAILED
    assert "No space left on device" in document.error
    failed = AuditEvent.objects.get(verb="document.failed")
    assert failed.pilot_id == pilot.pk and failed.actor is None
    assert failed.after["attempt"] == 1 and failed.after["will_retry"] is False
    assert "No space left on device" in failed.after["error"]

    gate_page = reverse("governance-gate", args=[pilot.pk, 1])
    retry = reverse("governance-document-retry", args=[pilot.pk, document.pk])
    client.force_login(pm)
    assert "Try again" in client.get(gate_page).content.decode()
    assert client.get(retry).status_code == 405
    client.force_login(owner)
    assert client.post(retry).status_code == 403
    client.force_login(outsider)
    assert client.post(retry).status_code == 404

    failing_renderer.undo()  # the disk has room again
    client.force_login(pm)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(retry).status_code == 302
    document.refresh_from_db()
    assert document.status == SignOffDocument.Status.READY
    requested = AuditEvent.objects.get(verb="document.retry_requested")
    assert requested.actor == pm and requested.before == {"status": "failed"}
    assert AuditEvent.objects.filter(verb="document.rendered").count() == 1
    with django_capture_on_commit_callbacks(execute=True):  # nothing left to retry
        client.post(retry)
    assert AuditEvent.objects.filter(verb="document.retry_requested").count() == 1
    assert audit.verify_chain()[1] is None


def test_the_beat_requeues_a_render_a_lost_task_left_pending(
    client, pilot, pm, production_owner, django_capture_on_commit_callbacks
):
    run = phase_run(pilot, 1)
    sign_all_but_last(run, pm)
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        sign_last(run, production_owner)
    document = SignOffDocument.objects.get()
    gate_page = reverse("governance-gate", args=[pilot.pk, 1])
    client.force_login(pm)
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_documents.delay().get() == 0  # just queued: left alone
    assert "Try again" not in client.get(gate_page).content.decode()
    later = timezone.now() + documents.STALE_AFTER + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert "Try again" in client.get(gate_page).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            assert requeue_stale_documents.delay().get() == 1
            assert requeue_stale_documents.delay().get() == 0  # claimed once
    document.refresh_from_db()
    assert document.status == SignOffDocument.Status.READY
    requeued = AuditEvent.objects.get(verb="document.requeued")
    assert requeued.actor is None and requeued.object_id == str(document.pk)


def test_a_stale_pending_document_can_be_tried_again_by_hand(
    client, pilot, pm, production_owner, django_capture_on_commit_callbacks
):
    run = phase_run(pilot, 1)
    sign_all_but_last(run, pm)
    with django_capture_on_commit_callbacks(execute=False):
        sign_last(run, production_owner)
    document = SignOffDocument.objects.get()
    retry = reverse("governance-document-retry", args=[pilot.pk, document.pk])
    client.force_login(pm)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry)  # queued a moment ago: still on its way
    assert not AuditEvent.objects.filter(verb="document.retry_requested").exists()
    with (
        time_machine.travel(timezone.now() + documents.STALE_AFTER * 2, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert client.post(retry).status_code == 302
    document.refresh_from_db()
    assert document.status == SignOffDocument.Status.READY
    assert AuditEvent.objects.get(verb="document.retry_requested").actor == pm


def test_the_beat_runs_the_requeue_and_the_nightly_check():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"governance.requeue_stale_documents", "governance.verify_audit_chain"} <= tasks


# --- what the PDF holds -------------------------------------------------------------------


@pytest.fixture
def scale_gate(pm, sponsor, production_owner, owner, reviewer, leader):
    """A high-risk pilot on the default playbook, at its Scale gate: evidence given, a
    high residual risk accepted by leadership, the classification confirmed."""
    pilot = build_pilot(
        programme_manager=pm,
        playbook=default_playbook(),
        sponsor=sponsor,
        production_owner=production_owner,
    )
    high = classification.classification_prepare(
        pilot=pilot, answers=answers(employment=True), actor=reviewer
    )
    classification.classification_confirm(classification=high, actor=reviewer)
    run = phase_run(pilot, 3)
    close_mandatory(run, pm)
    first = Deliverable.objects.filter(phase_run=run, mandatory=True).first()
    Evidence.objects.create(
        deliverable=first,
        url="https://wiki.example.com/runbooks/claims-triage",
        note="Runbook v3",
        added_by=pm,
    )
    risk = risks.risk_create(
        pilot=pilot,
        actor=reviewer,
        title="Model drifts after the March release",
        category="model_quality",
        likelihood=4,
        impact=4,
        residual_likelihood=4,
        residual_impact=4,
        mitigation="Weekly drift report.",
    )
    risks.risk_accept(
        risk=risk,
        actor=leader,
        justification="Drift report reviewed weekly by the team.",
        expires_on=timezone.localdate() + timedelta(days=120),
        phase_run=run,
    )
    return run


def test_the_pdf_holds_criteria_checklist_risks_class_owner_and_evidence(scale_gate, tmp_path):
    run = scale_gate
    pdf = documents.render_draft(run)
    text = pdf_text(pdf, tmp_path)
    lines = [" ".join(line.split()) for line in pdf_text(pdf, tmp_path, layout=True).splitlines()]
    assert "EU AI Act class High risk" in lines
    assert "Production owner Prodowner Test" in lines
    criteria = list(run.phase.gate_criteria.values_list("statement", flat=True))
    checks = list(
        Deliverable.objects.filter(phase_run=run, kind="readiness_check").values_list(
            "title", flat=True
        )
    )
    assert criteria and checks
    for expected in (
        *[" ".join(c.split()) for c in criteria],
        "Production-readiness checklist",
        *[" ".join(c.split()) for c in checks],
        "Model drifts after the March release",
        "Weekly drift report.",
        "Drift report reviewed weekly by the team.",
        "Leader Test (Leadership)",
        # pdftotext joins the URL's line break at the hyphen; the link below is whole.
        "Evidence: https://wiki.example.com/runbooks/claims",
        "· Runbook v3",
    ):
        assert expected in text, expected
    assert "https://wiki.example.com/runbooks/claims-triage" in pdf_links(pdf, tmp_path)


def test_the_scale_gate_warns_before_production_on_the_page_and_in_the_pdf(
    client, pilot, pm, reviewer, tmp_path
):
    run = phase_run(pilot, 3)
    risks.risk_create(
        pilot=pilot,
        actor=reviewer,
        title="Unreviewed vendor model",
        category="vendor",
        likelihood=5,
        impact=4,
        residual_likelihood=4,
        residual_impact=4,
    )
    expected = [
        "The pilot has no current EU AI Act classification.",
        "No independent governance review is recorded.",
        "1 high residual risk has no acceptance in force: “Unreviewed vendor model”.",
    ]
    assert gates.gate_for(run).warnings == expected
    client.force_login(pm)
    page = client.get(reverse("governance-gate", args=[pilot.pk, 3])).content.decode()
    assert "Before this pilot goes to production" in page
    assert all(warning in page for warning in expected)
    text = pdf_text(documents.render_draft(run), tmp_path)
    assert all(warning in text for warning in expected)
    assert gates.gate_for(phase_run(pilot, 1)).warnings == []  # the Scale gate only


# --- layout and hostile text --------------------------------------------------------------

RLO = "\u202e"
HOSTILE = f"<script>alert(1)</script> {RLO}gnp.exe 漢字テスト 🚀 Ünïcödé"


def test_no_text_runs_past_the_margins_with_long_words_and_300_deliverables(pilot, pm, tmp_path):
    run = phase_run(pilot, 1)
    services.deliverable_add_custom(
        pilot=pilot, phase_run=run, title="W" * 200, dimension="data", due_date=run.planned_end
    )
    Deliverable.objects.filter(title="W" * 200).update(status="waived", waived_reason="y" * 5000)
    for i in range(300):
        services.deliverable_add_custom(
            pilot=pilot,
            phase_run=run,
            title=f"Extra item {i} with a title long enough to wrap in its column",
            dimension="model",
            due_date=run.planned_end,
        )
    pdf = documents.render_draft(run)
    words = pdf_words(pdf, tmp_path)
    assert "Extra item 299" in pdf_text(pdf, tmp_path)
    outside = [
        w
        for w in words
        if w.x_min < A4_MARGIN_PT - 0.5 or w.x_max > w.page_width - A4_MARGIN_PT + 0.5
    ]
    assert outside == []


def test_hostile_text_is_escaped_in_html_and_rendered_in_the_pdf(
    client, pilot, pm, production_owner, reviewer, tmp_path
):
    services.pilot_update(pilot=pilot, actor=pm, name=HOSTILE[:120], business_unit=f"Ops{RLO}evil")
    pilot.refresh_from_db()
    run = phase_run(pilot, 1)
    risks.risk_create(
        pilot=pilot,
        actor=reviewer,
        title=("R" + HOSTILE)[:200],
        category="privacy",
        likelihood=3,
        impact=3,
        residual_likelihood=1,
        residual_impact=1,
        mitigation=HOSTILE + " " + "m" * 10_000,
    )
    close_mandatory(run, pm)
    gates.gate_sign(
        phase_run=run,
        slot="programme_manager",
        signer=pm,
        statement=HOSTILE + " " + "s" * 10_000,  # past the form's limit, straight to the service
    )
    client.force_login(pm)
    for url in (
        reverse("governance-gate", args=[pilot.pk, 1]),
        reverse("governance-overview", args=[pilot.pk]),
        reverse("governance-audit", args=[pilot.pk]),
    ):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    text = pdf_text(documents.render_draft(run), tmp_path)
    assert text.count("<script>alert(1)</script>") >= 3  # name, risk, statement: as text
    assert "漢字テスト" in text or set("漢字テスト") <= set(text)
    assert "🚀" in text and "Ünïcödé" in text
    # The override reverses the user's own words only; ours after it read as written.
    assert "· Phase 1: Foundation" in text


def test_nul_characters_are_refused_by_the_forms_not_stored(client, pilot, pm, reviewer):
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    client.force_login(pm)
    sign = reverse("governance-gate-sign", args=[pilot.pk, 1, "programme_manager"])
    assert client.post(sign, {"statement": "ok\x00then"}).status_code == 400
    client.force_login(reviewer)
    response = client.post(
        reverse("governance-risk-create", args=[pilot.pk]),
        {
            "title": "Leak\x00",
            "category": "privacy",
            "likelihood": 3,
            "impact": 3,
            "residual_likelihood": 2,
            "residual_impact": 2,
        },
    )
    assert response.status_code == 400
    assert not pilot.risks.exists() and not run.signatures.exists()
