"""Governance pages, all under a pilot: /pilots/<pk>/governance/..., plus document checks."""

from django.urls import path

from governance.views import audit

urlpatterns = [
    path("pilots/<int:pk>/audit/", audit.pilot_audit, name="governance-audit"),
    path("pilots/<int:pk>/audit.csv", audit.pilot_audit_csv, name="governance-audit-csv"),
]
