"""Governance pages, all under a pilot: /pilots/<pk>/governance/..., plus document checks."""

from django.urls import path

from governance.views import audit, classification, gates, risks

urlpatterns = [
    path("pilots/<int:pk>/audit/", audit.pilot_audit, name="governance-audit"),
    path("pilots/<int:pk>/audit.csv", audit.pilot_audit_csv, name="governance-audit-csv"),
    path("pilots/<int:pk>/governance/", risks.governance_overview, name="governance-overview"),
    path(
        "pilots/<int:pk>/governance/classification/",
        classification.classification_page,
        name="governance-classification",
    ),
    path(
        "pilots/<int:pk>/governance/classification/new/",
        classification.classification_new,
        name="governance-classification-new",
    ),
    path(
        "pilots/<int:pk>/governance/classification/<int:classification_pk>/confirm/",
        classification.classification_confirm_view,
        name="governance-classification-confirm",
    ),
    path("pilots/<int:pk>/governance/risks/new/", risks.risk_create, name="governance-risk-create"),
    path(
        "pilots/<int:pk>/governance/risks/<int:risk_pk>/edit/",
        risks.risk_edit,
        name="governance-risk-edit",
    ),
    path(
        "pilots/<int:pk>/governance/risks/<int:risk_pk>/accept/",
        risks.risk_accept,
        name="governance-risk-accept",
    ),
    path("pilots/<int:pk>/gates/", gates.gates_overview, name="governance-gates"),
    path("pilots/<int:pk>/gates/<int:number>/", gates.gate_detail, name="governance-gate"),
    path(
        "pilots/<int:pk>/gates/<int:number>/sign/<str:slot>/",
        gates.gate_sign,
        name="governance-gate-sign",
    ),
    path(
        "pilots/<int:pk>/gates/<int:number>/reopen/",
        gates.gate_reopen,
        name="governance-gate-reopen",
    ),
    path(
        "pilots/<int:pk>/gates/<int:number>/draft.pdf",
        gates.gate_draft_pdf,
        name="governance-gate-draft",
    ),
    path("pilots/<int:pk>/gates/review/", gates.review_record, name="governance-review"),
    path(
        "pilots/<int:pk>/documents/<int:document_pk>/",
        gates.document_download,
        name="governance-document",
    ),
    path(
        "pilots/<int:pk>/documents/<int:document_pk>/retry/",
        gates.document_retry,
        name="governance-document-retry",
    ),
    path("verify/", gates.verify, name="governance-verify"),
]
