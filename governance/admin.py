from django.contrib import admin
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import router, transaction

from governance import admin_audit
from governance.models import (
    AuditEvent,
    Classification,
    GateReopening,
    GateSignature,
    GovernanceReview,
    Obligation,
    Risk,
    RiskAcceptance,
    SignOffDocument,
)

# --- Every admin change in the audit trail ---------------------------------------------


@admin.action(permissions=["delete"], description=django_delete_selected.short_description)
def delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected", with its deletions in the audit trail.

    Django logs a deletion of several objects with bulk_create, which sends no post_save,
    so governance.receivers never hears of those log entries; they are recorded here,
    in the transaction that deletes the objects. See governance.admin_audit.
    """
    model = queryset.model
    with transaction.atomic(using=router.db_for_write(model)):
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        last = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = django_delete_selected(modeladmin, request, queryset)
        logged = LogEntry.objects.filter(
            pk__gt=last,
            user_id=request.user.pk,
            action_flag=DELETION,
            content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
            object_id__in=ids,
        ).order_by("pk")
        admin_audit.record_unrecorded(list(logged))
    return response


admin.site.add_action(delete_selected, "delete_selected")


# --- Classification and risks -----------------------------------------------------------
# Obligations are the one thing meant to be edited here: the Act's dates get amended.
# Classifications, risks and acceptances are written by the services (with audit events),
# so they are read-only in the admin.


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "risk_class",
        "trigger",
        "general_purpose",
        "applies_to",
        "applies_from",
    ]
    list_filter = ["risk_class", "trigger", "general_purpose", "applies_to"]
    search_fields = ["reference", "title", "summary"]
    ordering = ["applies_from", "risk_class", "order"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Classification)
class ClassificationAdmin(ReadOnlyAdmin):
    list_display = [
        "pilot",
        "risk_class",
        "organisation_role",
        "prepared_by",
        "prepared_at",
        "confirmed_by",
        "superseded_at",
    ]
    list_filter = ["risk_class", "organisation_role", "uses_general_purpose_model"]
    list_select_related = ["pilot", "prepared_by", "confirmed_by"]
    search_fields = ["pilot__reference", "pilot__name"]


@admin.register(Risk)
class RiskAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "pilot",
        "category",
        "likelihood",
        "impact",
        "residual_likelihood",
        "residual_impact",
        "status",
        "owner",
    ]
    list_filter = ["category", "status"]
    list_select_related = ["pilot", "owner"]
    search_fields = ["title", "pilot__reference", "pilot__name"]


@admin.register(RiskAcceptance)
class RiskAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["risk", "accepted_by", "authority", "accepted_at", "expires_on", "reopened_at"]
    list_filter = ["authority"]
    list_select_related = ["risk", "accepted_by"]
    search_fields = ["risk__title", "risk__pilot__reference", "justification"]


# --- Gates and sign-off (below) -----------------------------------------------------------


@admin.register(GateSignature)
class GateSignatureAdmin(ReadOnlyAdmin):
    list_display = ["phase_run", "slot", "signer", "signed_at", "superseded_by"]
    list_filter = ["slot"]
    list_select_related = ["phase_run__pilot", "signer", "superseded_by"]
    search_fields = ["phase_run__pilot__reference", "signer__username", "statement"]


@admin.register(GateReopening)
class GateReopeningAdmin(ReadOnlyAdmin):
    list_display = ["phase_run", "reopened_by", "reopened_at", "reason"]
    list_select_related = ["phase_run__pilot", "reopened_by"]


@admin.register(GovernanceReview)
class GovernanceReviewAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "reviewer", "performed_on", "conclusion", "recorded_by"]
    list_filter = ["conclusion"]
    list_select_related = ["pilot", "reviewer", "recorded_by"]


@admin.register(SignOffDocument)
class SignOffDocumentAdmin(ReadOnlyAdmin):
    list_display = ["phase_run", "generation", "status", "rendered_at", "sha256"]
    list_filter = ["status"]
    list_select_related = ["phase_run__pilot"]
    search_fields = ["sha256", "content_sha256", "phase_run__pilot__reference"]
    exclude = ["pdf"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the table is append-only (a database trigger refuses changes)."""

    list_display = ["seq", "occurred_at", "actor_name", "verb", "object_repr", "pilot"]
    list_filter = ["verb"]
    search_fields = ["verb", "object_repr", "actor_name", "hash"]
    list_select_related = ["pilot"]
    date_hierarchy = "occurred_at"


# --- Outgoing webhooks: endpoints, and the log of deliveries and attempts ----------------
from governance import webhooks_admin  # noqa: E402, F401
