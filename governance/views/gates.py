"""The Gates tab: the three gates, a gate's page with its sign forms, reopening, the
independent review, sign-off documents (stored bytes) and draft PDFs."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import documents, gates
from governance.access import get_pilot_for_governance, is_governance_reviewer, require
from governance.forms_gates import ReopenForm, ReviewForm, SignForm, VerifyForm
from governance.models import SignOffDocument
from pilots.access import visible_pilots
from pilots.models import PhaseRun, Pilot
from pilots.services import ChangeRefused
from playbook.models import SignerRole


def _phase_run(pilot: Pilot, number: int) -> PhaseRun:
    run = pilot.phase_runs.select_related("phase").filter(number=number).first()
    if run is None:
        raise Http404("No such phase")
    run.pilot = pilot
    return run


def _gate_url(pilot: Pilot, number: int) -> str:
    return reverse("governance-gate", args=[pilot.pk, number])


@login_required
@require_GET
def gates_overview(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    runs = list(pilot.phase_runs.select_related("phase"))
    for run in runs:
        run.pilot = pilot
    cards = [gates.gate_for(run, request.user) for run in runs]
    return render(
        request, "governance/gates.html", {"pilot": pilot, "tab": "gates", "cards": cards}
    )


def _gate_context(request: HttpRequest, pilot: Pilot, run: PhaseRun, **extra) -> dict:
    gate = gates.gate_for(run, request.user)
    now = timezone.now()
    for document in gate.documents:
        document.retryable = document.status == SignOffDocument.Status.FAILED or (
            documents.is_stale(document, now)
        )
    context = {
        "pilot": pilot,
        "tab": "gates",
        "gate": gate,
        "sign_form": SignForm(),
        "reopen_form": ReopenForm(),
        "can_reopen": gates.may_reopen(request.user, pilot) and bool(gate.live_signatures),
        "can_retry": gates.may_reopen(request.user, pilot),
        "prohibited_refusal": gates.PROHIBITED_REFUSAL,
        "can_record_review": run.number == 3 and is_governance_reviewer(request.user),
        "review_form": ReviewForm(initial={"performed_on": timezone.localdate()}),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def gate_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    run = _phase_run(pilot, number)
    return render(request, "governance/gate.html", _gate_context(request, pilot, run))


@login_required
@require_POST
def gate_sign(request: HttpRequest, pk: int, number: int, slot: str) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    run = _phase_run(pilot, number)
    if slot not in SignerRole.values:
        raise Http404("No such signature slot")
    require(gates.may_sign(request.user, slot, pilot), _("You cannot sign for this role here."))
    form = SignForm(request.POST)
    if not form.is_valid():
        context = _gate_context(request, pilot, run, sign_form=form, form_slot=slot)
        return render(request, "governance/gate.html", context, status=400)
    try:
        gates.gate_sign(
            phase_run=run, slot=slot, signer=request.user, statement=form.cleaned_data["statement"]
        )
    except gates.GateConflict as exc:
        context = _gate_context(request, pilot, run, conflict=str(exc))
        return render(request, "governance/gate.html", context, status=409)
    except ChangeRefused as exc:
        context = _gate_context(
            request, pilot, run, sign_form=form, form_slot=slot, refusal=str(exc)
        )
        return render(request, "governance/gate.html", context, status=400)
    messages.success(request, _("Signed as %(role)s.") % {"role": SignerRole(slot).label})
    return redirect(_gate_url(pilot, number))


@login_required
@require_POST
def gate_reopen(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    run = _phase_run(pilot, number)
    require(gates.may_reopen(request.user, pilot), _("Only the programme manager reopens a gate."))
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            gates.gate_reopen(phase_run=run, actor=request.user, reason=form.cleaned_data["reason"])
        except ChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Gate reopened; its signatures are superseded."))
            return redirect(_gate_url(pilot, number))
    context = _gate_context(request, pilot, run, reopen_form=form)
    return render(request, "governance/gate.html", context, status=400)


@login_required
@require_POST
def review_record(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    require(
        is_governance_reviewer(request.user),
        _("Governance reviewers record the independent review."),
    )
    run = _phase_run(pilot, 3)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            gates.review_record(pilot=pilot, recorded_by=request.user, **form.cleaned_data)
        except ChangeRefused as exc:
            form.add_error("reviewer", str(exc))
        else:
            messages.success(request, _("Independent review recorded."))
            return redirect(_gate_url(pilot, 3))
    context = _gate_context(request, pilot, run, review_form=form)
    return render(request, "governance/gate.html", context, status=400)


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(bytes(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def gate_draft_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    run = _phase_run(pilot, number)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _pdf_response(
        documents.render_draft(run), f"{pilot.reference}-phase{number}-DRAFT-{stamp}.pdf"
    )


def _document(request: HttpRequest, pk: int, document_pk: int) -> tuple[Pilot, SignOffDocument]:
    pilot = get_pilot_for_governance(request.user, pk)
    document = SignOffDocument.objects.filter(pk=document_pk, phase_run__pilot=pilot).first()
    if document is None:
        raise Http404("No such document")
    return pilot, document


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    pilot, document = _document(request, pk, document_pk)
    if document.status != SignOffDocument.Status.READY:
        messages.error(request, _("This sign-off document is not ready yet."))
        return redirect(_gate_url(pilot, document.phase_run.number))
    name = f"{pilot.reference}-phase{document.phase_run.number}-signoff-{document.generation}.pdf"
    return _pdf_response(document.pdf, name)


@login_required
@require_POST
def document_retry(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    pilot, document = _document(request, pk, document_pk)
    require(gates.may_reopen(request.user, pilot), _("Only the programme manager can retry this."))
    try:
        documents.document_retry(document=document, actor=request.user)
    except ChangeRefused as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, _("Rendering the sign-off document again."))
    return redirect(_gate_url(pilot, document.phase_run.number))


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Check a fingerprint or an uploaded PDF against the stored sign-offs.

    Anyone logged in may ask; the pilot is named only to users who may read it, others
    learn only that the document matches a sign-off kept by Ninety.
    """
    posted = request.method == "POST"
    form = VerifyForm(request.POST if posted else None, request.FILES if posted else None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("document")
        if upload:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            value = digest.hexdigest()
        else:
            value = form.cleaned_data["fingerprint"]
        match = documents.find_by_hash(value)
        readable = (
            bool(match)
            and visible_pilots(request.user).filter(pk=match.phase_run.pilot_id).exists()
        )
        result = {
            "value": value.strip().lower(),
            "match": match,
            "readable": readable,
            "by_upload": bool(upload),
        }
    status = 400 if form.errors else 200
    return render(
        request, "governance/verify.html", {"form": form, "result": result}, status=status
    )
