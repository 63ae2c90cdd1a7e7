"""The governance part of the JSON API (/api/v1/): risks, gate signatures and sign-off
documents, read-only. Mounted by config/api.py beside pilots/api.py; whoever may read a
pilot reads its governance, everyone else gets 404 (governance.access, pilots.access).
"""

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from governance import risks
from governance.models import GateSignature, Risk, RiskAcceptance, RiskCategory, SignOffDocument
from pilots.api_support import (
    Id,
    PageQuery,
    PersonOut,
    choice,
    get_visible,
    in_visible_pilots,
    page,
    page_schema,
    person,
    responses,
    web_url,
)
from playbook.models import SignerRole

router = Router()

# --- risks --------------------------------------------------------------------------------


class AcceptanceOut(Schema):
    state: Literal["in_force", "expired", "reopened"]
    accepted_by: PersonOut
    authority: str
    accepted_at: datetime
    expires_on: date


class RiskOut(Schema):
    id: int
    pilot_id: int
    title: str
    description: str
    category: choice(RiskCategory)
    status: choice(Risk.Status)
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    score: int
    level: choice(risks.Level)
    residual_likelihood: int = Field(ge=1, le=5)
    residual_impact: int = Field(ge=1, le=5)
    residual_score: int
    residual_level: choice(risks.Level)
    mitigation: str
    owner: PersonOut | None
    acceptance: AcceptanceOut | None = Field(description="The latest acceptance, if any.")
    created_at: datetime
    updated_at: datetime
    version: int
    url: str = Field(description="The pilot's risk register in Ninety.")


RiskPage = page_schema(RiskOut, "RiskPage")


class RiskFilters(PageQuery):
    pilot: Id | None = None
    status: choice(Risk.Status) | None = None
    category: choice(RiskCategory) | None = None


def _risks():
    acceptances = RiskAcceptance.objects.select_related("accepted_by").order_by(
        "-accepted_at", "-pk"
    )
    return Risk.objects.select_related("owner").prefetch_related(
        Prefetch("acceptances", queryset=acceptances)
    )


def _risk_row(risk: Risk, today: date) -> dict:
    latest = next(iter(risk.acceptances.all()), None)
    acceptance = None
    if latest is not None:
        acceptance = {
            "state": risks.acceptance_state(latest, today),
            "accepted_by": person(latest.accepted_by),
            "authority": latest.authority,
            "accepted_at": latest.accepted_at,
            "expires_on": latest.expires_on,
        }
    return {
        "id": risk.pk,
        "pilot_id": risk.pilot_id,
        "title": risk.title,
        "description": risk.description,
        "category": risk.category,
        "status": risk.status,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "score": risk.score,
        "level": risks.level_of(risk.score),
        "residual_likelihood": risk.residual_likelihood,
        "residual_impact": risk.residual_impact,
        "residual_score": risk.residual_score,
        "residual_level": risks.level_of(risk.residual_score),
        "mitigation": risk.mitigation,
        "owner": person(risk.owner),
        "acceptance": acceptance,
        "created_at": risk.created_at,
        "updated_at": risk.updated_at,
        "version": risk.version,
        "url": web_url("governance-overview", risk.pilot_id) + f"#risk-{risk.pk}",
    }


@router.get("/risks", response=responses({200: RiskPage}), tags=["Risks"], summary="List risks")
def risk_list(request: HttpRequest, filters: Query[RiskFilters]):
    """The risk registers of the pilots you may read."""
    today = timezone.localdate()
    found = in_visible_pilots(request.auth, _risks(), filters.pilot)
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.category:
        found = found.filter(category=filters.category)
    return page(found, filters, name="risks", row=lambda risk: _risk_row(risk, today))


@router.get(
    "/risks/{int:risk_id}",
    response=responses({200: RiskOut}),
    tags=["Risks"],
    summary="Read a risk",
)
def risk_read(request: HttpRequest, risk_id: Id):
    return _risk_row(
        get_visible(request.auth, _risks(), risk_id, _("No such risk.")), timezone.localdate()
    )


# --- gate signatures ----------------------------------------------------------------------


class SignatureOut(Schema):
    id: int
    pilot_id: int
    phase_id: int
    phase_number: int
    slot: choice(SignerRole)
    signer: PersonOut
    statement: str
    signed_at: datetime
    live: bool = Field(description="False once the gate was reopened after it.")


SignaturePage = page_schema(SignatureOut, "SignaturePage")


class SignatureFilters(PageQuery):
    pilot: Id | None = None
    phase: int | None = Field(None, ge=1, le=32767, description="Phase number.")
    live: bool | None = None


def _signatures():
    return GateSignature.objects.select_related("signer", "phase_run")


def _signature_row(signature: GateSignature) -> dict:
    return {
        "id": signature.pk,
        "pilot_id": signature.phase_run.pilot_id,
        "phase_id": signature.phase_run_id,
        "phase_number": signature.phase_run.number,
        "slot": signature.slot,
        "signer": person(signature.signer),
        "statement": signature.statement,
        "signed_at": signature.signed_at,
        "live": signature.superseded_by_id is None,
    }


# Signatures and documents hang from a phase run, not from the pilot itself.
VIA_PHASE = "phase_run__pilot"


@router.get(
    "/signatures",
    response=responses({200: SignaturePage}),
    tags=["Sign-offs"],
    summary="List gate signatures",
)
def signature_list(request: HttpRequest, filters: Query[SignatureFilters]):
    """Signatures of the phase gates of the pilots you may read."""
    found = in_visible_pilots(request.auth, _signatures(), filters.pilot, VIA_PHASE)
    if filters.phase:
        found = found.filter(phase_run__number=filters.phase)
    if filters.live is not None:
        found = found.filter(superseded_by__isnull=filters.live)
    return page(found, filters, name="signatures", row=_signature_row)


@router.get(
    "/signatures/{int:signature_id}",
    response=responses({200: SignatureOut}),
    tags=["Sign-offs"],
    summary="Read a gate signature",
)
def signature_read(request: HttpRequest, signature_id: Id):
    found = get_visible(
        request.auth, _signatures(), signature_id, _("No such signature."), VIA_PHASE
    )
    return _signature_row(found)


# --- sign-off documents -------------------------------------------------------------------


class DocumentOut(Schema):
    id: int
    pilot_id: int
    phase_id: int
    phase_number: int
    generation: int = Field(description="1 for the first sign-off; +1 after each reopening.")
    status: choice(SignOffDocument.Status)
    sha256: str = Field(description="SHA-256 of the PDF, once rendered.")
    content_sha256: str = Field(description="Fingerprint of the content, in the PDF's footer.")
    audit_head: str = Field(description="The audit chain's head when the gate closed.")
    created_at: datetime
    rendered_at: datetime | None
    download_url: str | None = Field(description="The PDF in Ninety, once ready.")


DocumentPage = page_schema(DocumentOut, "DocumentPage")


class DocumentFilters(PageQuery):
    pilot: Id | None = None
    phase: int | None = Field(None, ge=1, le=32767, description="Phase number.")
    status: choice(SignOffDocument.Status) | None = None


def _documents():
    # The stored PDF and its HTML stay in the database: this is the metadata.
    return SignOffDocument.objects.select_related("phase_run").defer("pdf", "html")


def _document_row(document: SignOffDocument) -> dict:
    pilot_id = document.phase_run.pilot_id
    ready = document.status == SignOffDocument.Status.READY
    return {
        "id": document.pk,
        "pilot_id": pilot_id,
        "phase_id": document.phase_run_id,
        "phase_number": document.phase_run.number,
        "generation": document.generation,
        "status": document.status,
        "sha256": document.sha256,
        "content_sha256": document.content_sha256,
        "audit_head": document.audit_head,
        "created_at": document.created_at,
        "rendered_at": document.rendered_at,
        "download_url": web_url("governance-document", pilot_id, document.pk) if ready else None,
    }


@router.get(
    "/signoff-documents",
    response=responses({200: DocumentPage}),
    tags=["Sign-offs"],
    summary="List sign-off documents",
)
def document_list(request: HttpRequest, filters: Query[DocumentFilters]):
    """The PDF packets of signed gates (their metadata) of the pilots you may read."""
    found = in_visible_pilots(request.auth, _documents(), filters.pilot, VIA_PHASE)
    if filters.phase:
        found = found.filter(phase_run__number=filters.phase)
    if filters.status:
        found = found.filter(status=filters.status)
    return page(found, filters, name="documents", row=_document_row)


@router.get(
    "/signoff-documents/{int:document_id}",
    response=responses({200: DocumentOut}),
    tags=["Sign-offs"],
    summary="Read a sign-off document's metadata",
)
def document_read(request: HttpRequest, document_id: Id):
    found = get_visible(
        request.auth, _documents(), document_id, _("No such sign-off document."), VIA_PHASE
    )
    return _document_row(found)
