"""Phase gates: who signs what, refusals, concurrency, reopening, the independent review,
and the sign-off documents they file."""

import hashlib
import shutil
import subprocess
import threading

import pytest
from django.db import connections
from django.urls import reverse

from governance import documents, gates
from governance.models import AiActClass, Classification, GateSignature, SignOffDocument
from pilots import services
from pilots.models import Deliverable, PhaseRun
from pilots.roles import Role
from tests.conftest import build_pilot, make_user, needs_postgres


def close_mandatory(run: PhaseRun, actor) -> None:
    for item in Deliverable.objects.filter(phase_run=run, mandatory=True).open():
        services.deliverable_set_done(
            deliverable=item, actor=actor, done=True, expected_version=None
        )


def first_run(pilot) -> PhaseRun:
    run = pilot.phase_runs.select_related("phase", "pilot").get(number=1)
    return run


def pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; `make system-deps`")
    path = tmp_path / "doc.pdf"
    path.write_bytes(bytes(data))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # words as they read, whatever the line breaks


def test_a_gate_cannot_be_signed_with_an_open_mandatory_deliverable(pilot, pm, client):
    run = first_run(pilot)
    with pytest.raises(services.ChangeRefused, match="mandatory deliverables are open"):
        gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="ok")
    client.force_login(pm)
    url = reverse("governance-gate-sign", args=[pilot.pk, 1, "programme_manager"])
    response = client.post(url, {"statement": "Looks complete"})
    assert (
        response.status_code == 400
        and "mandatory deliverables are open" in response.content.decode()
    )
    assert not GateSignature.objects.exists()


def test_the_last_signature_signs_off_files_the_document_and_activates_the_next_phase(
    pilot, pm, production_owner, django_capture_on_commit_callbacks, tmp_path
):
    run = first_run(pilot)
    close_mandatory(run, pm)
    gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="Plan holds")
    run.refresh_from_db()
    assert run.state == PhaseRun.State.AWAITING_SIGNOFF
    with django_capture_on_commit_callbacks(execute=True):
        gates.gate_sign(
            phase_run=run,
            slot="production_owner",
            signer=production_owner,
            statement="My team will run it",
        )
    run.refresh_from_db()
    assert run.state == PhaseRun.State.SIGNED_OFF
    assert pilot.phase_runs.get(number=2).state == PhaseRun.State.ACTIVE
    document = SignOffDocument.objects.get(phase_run=run)
    assert document.status == SignOffDocument.Status.READY
    assert document.sha256 == hashlib.sha256(bytes(document.pdf)).hexdigest()
    text = pdf_text(document.pdf, tmp_path)
    for expected in (
        pilot.name,
        "Foundation",
        "Plan holds",
        "My team will run it",
        "Foundation activity 1",
        document.audit_head[:24],
        document.content_sha256[:24],
        "Page 1 of",
    ):
        assert expected in text, expected


def test_each_slot_is_signed_only_by_its_holder(
    client, pilot, pm, owner, leader, outsider, production_owner, reviewer
):
    close_mandatory(first_run(pilot), pm)
    url = reverse("governance-gate-sign", args=[pilot.pk, 1, "production_owner"])
    for user in (pm, owner, leader, reviewer):
        client.force_login(user)
        assert client.post(url, {"statement": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"statement": "x"}).status_code == 404
    client.force_login(production_owner)
    assert client.get(url).status_code == 405
    assert client.post(url, {"statement": "Ready"}).status_code == 302
    assert GateSignature.objects.get().signer == production_owner


def test_leadership_signs_scale_only_for_high_risk_pilots(pilot, pm, reviewer, leader):
    scale = pilot.phase_runs.select_related("phase").get(number=3)
    scale.phase.gate_signers = [
        "production_owner",
        "programme_manager",
        "governance_reviewer",
        "leadership_if_high_risk",
    ]
    scale.phase.save(update_fields=["gate_signers"])
    roles = lambda: [s.role for s in gates.gate_for(scale).slots]  # noqa: E731
    assert "leadership_if_high_risk" not in roles()
    Classification.objects.create(
        pilot=pilot,
        risk_class=AiActClass.HIGH_RISK,
        organisation_role="deployer",
        prepared_by=reviewer,
    )
    assert roles()[-1] == "leadership_if_high_risk"
    assert gates.may_sign(leader, "leadership_if_high_risk", pilot)
    assert not gates.may_sign(pm, "leadership_if_high_risk", pilot)


@pytest.mark.django_db(transaction=True)
def test_two_people_signing_the_same_slot_at_once_one_wins_one_conflicts(pm, playbook):
    needs_postgres()
    pilot = build_pilot(programme_manager=pm, playbook=playbook)
    run = first_run(pilot)
    run.phase.gate_signers = ["governance_reviewer", "programme_manager"]
    run.phase.save(update_fields=["gate_signers"])
    close_mandatory(run, pm)
    first, second = (
        make_user("rev1", Role.GOVERNANCE_REVIEWER),
        make_user("rev2", Role.GOVERNANCE_REVIEWER),
    )
    barrier, outcomes = threading.Barrier(2), []

    def sign(user):
        try:
            barrier.wait()
            gates.gate_sign(
                phase_run=run, slot="governance_reviewer", signer=user, statement="Reviewed"
            )
            outcomes.append("signed")
        except gates.GateConflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "signed"]
    assert GateSignature.objects.filter(superseded_by__isnull=True).count() == 1


def test_reopening_supersedes_signatures_and_the_next_sign_off_is_a_new_generation(
    pilot, pm, production_owner, client, django_capture_on_commit_callbacks
):
    run = first_run(pilot)
    close_mandatory(run, pm)
    with django_capture_on_commit_callbacks(execute=True):
        gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="a")
        gates.gate_sign(
            phase_run=run, slot="production_owner", signer=production_owner, statement="b"
        )
    client.force_login(pm)
    url = reverse("governance-gate-reopen", args=[pilot.pk, 1])
    assert client.post(url, {"reason": "  "}).status_code == 400
    client.force_login(production_owner)
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(pm)
    assert client.post(url, {"reason": "Architecture changed after review"}).status_code == 302
    run.refresh_from_db()
    assert run.state == PhaseRun.State.ACTIVE
    assert GateSignature.objects.filter(superseded_by__isnull=False).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="c")
        gates.gate_sign(
            phase_run=run, slot="production_owner", signer=production_owner, statement="d"
        )
    assert list(run.documents.values_list("generation", flat=True)) == [1, 2]


def test_the_independent_review_cannot_be_done_by_a_team_member(client, pilot, reviewer, owner, pm):
    client.force_login(reviewer)
    url = reverse("governance-review", args=[pilot.pk])
    form = {
        "reviewer": owner.pk,
        "reviewer_organisation": "Legal",
        "performed_on": "2026-05-20",
        "conclusion": "passed",
        "findings": "All met.",
    }
    response = client.post(url, form)
    assert response.status_code == 400 and "must be independent" in response.content.decode()
    outside = make_user("auditor")
    assert client.post(url, {**form, "reviewer": outside.pk}).status_code == 302
    client.force_login(pm)
    assert client.post(url, form).status_code == 403


def test_downloads_return_the_stored_bytes_and_verification_spots_a_tampered_byte(
    client, pilot, pm, production_owner, outsider, django_capture_on_commit_callbacks
):
    run = first_run(pilot)
    close_mandatory(run, pm)
    with django_capture_on_commit_callbacks(execute=True):
        gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="a")
        gates.gate_sign(
            phase_run=run, slot="production_owner", signer=production_owner, statement="b"
        )
    document = SignOffDocument.objects.get()
    stored = bytes(document.pdf)
    assert documents.render_and_store(document.pk).sha256 == document.sha256  # not re-rendered
    client.force_login(pm)
    download = client.get(reverse("governance-document", args=[pilot.pk, document.pk]))
    assert download["Content-Type"] == "application/pdf" and download.content == stored
    verify = reverse("governance-verify")
    assert (
        "Match." in client.post(verify, {"fingerprint": document.content_sha256}).content.decode()
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    same = SimpleUploadedFile("signoff.pdf", stored, content_type="application/pdf")
    assert pilot.name in client.post(verify, {"document": same}).content.decode()
    tampered = bytearray(stored)
    tampered[len(tampered) // 2] ^= 0x01
    forged = SimpleUploadedFile("signoff.pdf", bytes(tampered), content_type="application/pdf")
    assert "No match." in client.post(verify, {"document": forged}).content.decode()
    client.force_login(outsider)  # a match is confirmed, but the pilot is not named
    body = client.post(verify, {"fingerprint": document.sha256}).content.decode()
    assert "Match." in body and pilot.name not in body
    assert (
        client.get(reverse("governance-document", args=[pilot.pk, document.pk])).status_code == 404
    )


def test_hostile_text_long_words_and_many_deliverables_render(pilot, pm, client, tmp_path):
    run = first_run(pilot)
    hostile = "<script>alert(1)</script> \u202egnp.exe 漢字テスト 🚀 Ünïcödé"
    services.deliverable_add_custom(
        pilot=pilot,
        phase_run=run,
        title=hostile[:200],
        dimension="data",
        due_date=run.planned_end,
        mandatory=True,
    )
    services.deliverable_add_custom(
        pilot=pilot,
        phase_run=run,
        title="W" * 200,
        dimension="data",
        due_date=run.planned_end,
        guidance="x" * 5000,
    )
    Deliverable.objects.filter(title="W" * 200).update(waived_reason="y" * 5000, status="waived")
    for i in range(300):
        services.deliverable_add_custom(
            pilot=pilot,
            phase_run=run,
            title=f"Extra item {i}",
            dimension="model",
            due_date=run.planned_end,
        )
    text = pdf_text(documents.render_draft(run), tmp_path)
    # The right-to-left override reverses what follows it on the line; the glyphs are there.
    assert set("漢字テスト") <= set(text) and "Extra item 299" in text and "DRAFT" in text
    assert "<script>alert(1)</script>" in text  # shown as text, never run
    client.force_login(pm)
    page = client.get(reverse("governance-gate", args=[pilot.pk, 1])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_pdf_fetcher_refuses_local_files_and_the_network(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    html = (
        f'<link rel="attachment" href="file://{secret}"><img src="file://{secret}">'
        '<img src="http://127.0.0.1:9/x.png"><p>Body</p>'
    )
    pdf = documents.html_to_pdf(html)
    assert b"/EmbeddedFile" not in pdf and b"TOP-SECRET-CONTENT" not in pdf


@pytest.mark.parametrize(
    "name, args",
    [
        ("governance-gates", []),
        ("governance-gate", [1]),
        ("governance-gate-draft", [1]),
    ],
)
def test_gate_pages_are_for_readers_of_the_pilot(client, pilot, name, args, outsider, leader):
    url = reverse(name, args=[pilot.pk, *args])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(leader)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_signing_writes_are_post_only_and_hidden_from_outsiders(client, pilot, outsider, pm):
    for name, args in (
        ("governance-gate-sign", [1, "programme_manager"]),
        ("governance-gate-reopen", [1]),
        ("governance-review", []),
    ):
        url = reverse(name, args=[pilot.pk, *args])
        client.force_login(outsider)
        assert client.post(url, {"statement": "x", "reason": "x"}).status_code == 404, name
        client.force_login(pm)
        assert client.get(url).status_code == 405, name


def test_the_nightly_audit_check_is_scheduled():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "governance.verify_audit_chain" in tasks


# --- the right to sign each slot, through HTTP, on the default playbook --------------------


@pytest.fixture
def high_risk_scale_gate(pm, sponsor, production_owner, owner, reviewer):
    """A high-risk pilot on the playbook the product ships, its Scale gate ready to sign:
    production owner, programme manager, governance reviewer and leadership sign it."""
    from governance.classification import classification_prepare
    from tests.governance_builders import answers, default_playbook

    pilot = build_pilot(
        programme_manager=pm,
        playbook=default_playbook(),
        sponsor=sponsor,
        production_owner=production_owner,
    )
    classification_prepare(pilot=pilot, answers=answers(employment=True), actor=reviewer)
    run = pilot.phase_runs.select_related("phase", "pilot").get(number=3)
    first = run.deliverables.order_by("due_date", "pk").first()
    services.deliverables_assign(pilot=pilot, deliverable_ids=[first.pk], owner=owner)
    close_mandatory(run, pm)
    return run


@pytest.mark.parametrize(
    "slot, holder, wrong",
    [
        (
            "programme_manager",
            "pm",
            ["production_owner", "owner", "reviewer", "leader", "other_pm"],
        ),
        ("governance_reviewer", "reviewer", ["pm", "production_owner", "leader"]),
        ("leadership_if_high_risk", "leader", ["pm", "production_owner", "reviewer"]),
    ],
)
def test_each_scale_slot_is_signed_through_http_only_by_its_holder(
    client, request, high_risk_scale_gate, outsider, slot, holder, wrong
):
    run = high_risk_scale_gate
    pilot = run.pilot
    assert [s.role for s in gates.gate_for(run).slots] == [
        "production_owner",
        "programme_manager",
        "governance_reviewer",
        "leadership_if_high_risk",
    ]
    url = reverse("governance-gate-sign", args=[pilot.pk, 3, slot])
    for name in wrong:
        client.force_login(request.getfixturevalue(name))
        assert client.post(url, {"statement": "x"}).status_code == 403, name
    client.force_login(outsider)
    assert client.post(url, {"statement": "x"}).status_code == 404
    assert not GateSignature.objects.exists()
    signer = request.getfixturevalue(holder)
    client.force_login(signer)
    assert (
        f'action="{url}"'
        in client.get(reverse("governance-gate", args=[pilot.pk, 3])).content.decode()
    )
    assert client.post(url, {"statement": "Ready for production"}).status_code == 302
    signature = GateSignature.objects.get()
    assert (signature.slot, signature.signer) == (slot, signer)


def test_a_slot_signed_a_moment_earlier_answers_409_with_a_clear_message(
    client, high_risk_scale_gate
):
    # The loser of a race: the row lock let the winner commit first, so the second
    # request finds the slot taken.
    run = high_risk_scale_gate
    first = make_user("rev1", Role.GOVERNANCE_REVIEWER)
    second = make_user("rev2", Role.GOVERNANCE_REVIEWER)
    url = reverse("governance-gate-sign", args=[run.pilot.pk, 3, "governance_reviewer"])
    client.force_login(second)
    assert (
        "Sign as governance reviewer"
        in client.get(reverse("governance-gate", args=[run.pilot.pk, 3])).content.decode()
    )
    gates.gate_sign(phase_run=run, slot="governance_reviewer", signer=first, statement="Mine")
    response = client.post(url, {"statement": "Also mine"})
    assert response.status_code == 409
    assert "Someone has just signed this slot" in response.content.decode()
    assert GateSignature.objects.get().signer == first


def test_no_gate_is_signed_while_the_classification_is_prohibited(
    client, pilot, pm, reviewer, production_owner
):
    from governance.classification import classification_prepare
    from tests.governance_builders import answers

    run = first_run(pilot)
    close_mandatory(run, pm)
    classification_prepare(pilot=pilot, answers=answers(social_scoring=True), actor=reviewer)
    with pytest.raises(services.ChangeRefused, match="prohibited practice"):
        gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="ok")
    client.force_login(pm)
    page = client.get(reverse("governance-gate", args=[pilot.pk, 1])).content.decode()
    assert "prohibited practice, so no gate can be signed" in page
    assert "Sign as programme manager" not in page
    url = reverse("governance-gate-sign", args=[pilot.pk, 1, "programme_manager"])
    response = client.post(url, {"statement": "Plan holds"})
    assert response.status_code == 400
    assert "prohibited practice, so no gate can be signed" in response.content.decode()
    assert not GateSignature.objects.exists()
    classification_prepare(pilot=pilot, answers=answers(), actor=reviewer)  # changed system
    assert client.post(url, {"statement": "Plan holds"}).status_code == 302


def test_the_gate_page_shows_an_acceptance_reopened_by_a_change_to_its_risk(
    client, pilot, pm, reviewer
):
    from datetime import timedelta

    from django.utils import timezone

    from governance import risks

    run = first_run(pilot)
    risk = risks.risk_create(
        pilot=pilot,
        actor=reviewer,
        title="Answers leak personal data",
        category="privacy",
        likelihood=4,
        impact=4,
        residual_likelihood=2,
        residual_impact=5,
    )
    risks.risk_accept(
        risk=risk,
        actor=reviewer,
        justification="Redaction tested.",
        expires_on=timezone.localdate() + timedelta(days=60),
        phase_run=run,
    )
    risk.refresh_from_db()
    risks.risk_update(risk=risk, actor=reviewer, expected_version=risk.version, residual_impact=4)
    client.force_login(pm)
    page = client.get(reverse("governance-gate", args=[pilot.pk, 1])).content.decode()
    assert "1 acceptance given for this gate no longer cover" in page
    assert "reopened: The risk changed after it was accepted" in page
