from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from pilots.models import (
    CalendarFeed,
    CostLine,
    Deliverable,
    Evidence,
    KpiReading,
    Notification,
    NotificationSettings,
    PhaseRun,
    Pilot,
    PortfolioReport,
    ReminderLog,
)


class PhaseRunInline(admin.TabularInline):
    model = PhaseRun
    extra = 0
    fields = ["number", "name", "planned_start", "planned_end", "state"]
    readonly_fields = ["number", "name"]
    can_delete = False


@admin.register(Pilot)
class PilotAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "name",
        "business_unit",
        "status",
        "kickoff_date",
        "programme_manager",
        "production_owner",
    ]
    list_filter = ["status", "business_unit", "playbook"]
    search_fields = ["reference", "name", "business_unit", "problem"]
    list_select_related = ["programme_manager", "production_owner"]
    autocomplete_fields = ["sponsor", "production_owner", "programme_manager"]
    readonly_fields = ["reference", "launched_at", "version", "created_at", "updated_at"]
    date_hierarchy = "kickoff_date"
    inlines = [PhaseRunInline]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.version += 1  # an edit form opened before this change is then refused
        super().save_model(request, obj, form, change)


def evidence_download_link(evidence: Evidence) -> str:
    """Evidence files are never served by URL, only through the access-checked view."""
    if not evidence.file:
        return "—"
    url = reverse("evidence-download", args=[evidence.deliverable.pilot_id, evidence.pk])
    size = ngettext("(%(size)s byte)", "(%(size)s bytes)", evidence.size or 0) % {
        "size": evidence.size
    }
    return format_html('<a href="{}">{}</a> {}', url, evidence.file_name, size)


EVIDENCE_FILE_FIELDS = ["download", "content_type", "sha256"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    exclude = ["file", "file_name", "size"]
    readonly_fields = ["added_by", "added_at", *EVIDENCE_FILE_FIELDS]

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj: Evidence) -> str:
        return evidence_download_link(obj)


@admin.register(Deliverable)
class DeliverableAdmin(admin.ModelAdmin):
    list_display = ["title", "pilot", "phase_run", "owner", "due_date", "status", "mandatory"]
    list_filter = ["status", "kind", "dimension", "mandatory", "pilot__business_unit"]
    search_fields = [
        "title",
        "pilot__reference",
        "pilot__name",
        "owner__username",
        "owner__last_name",
    ]
    list_select_related = ["pilot", "phase_run__pilot", "owner"]
    autocomplete_fields = ["owner", "done_by"]
    raw_id_fields = ["pilot", "phase_run", "template"]
    readonly_fields = ["version", "updated_at"]
    date_hierarchy = "due_date"
    inlines = [EvidenceInline]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.version += 1  # an edit or tick based on the old row is then refused
        super().save_model(request, obj, form, change)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["deliverable", "url", "file_name", "added_by", "added_at"]
    search_fields = ["url", "note", "file_name", "sha256", "deliverable__title"]
    list_select_related = ["deliverable", "added_by"]
    raw_id_fields = ["deliverable"]
    # An uploaded file is evidence as it was given: shown and downloadable, not replaced.
    exclude = ["file", "file_name", "size"]
    readonly_fields = EVIDENCE_FILE_FIELDS

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj: Evidence) -> str:
        return evidence_download_link(obj)


@admin.register(PhaseRun)
class PhaseRunAdmin(admin.ModelAdmin):
    """Phase runs are created when a pilot is launched; support may correct their dates."""

    list_display = ["pilot", "number", "name", "planned_start", "planned_end", "state"]
    list_filter = ["state", "number"]
    search_fields = ["pilot__reference", "pilot__name", "name"]
    list_select_related = ["pilot"]
    readonly_fields = ["pilot", "phase", "number", "name", "signed_off_at"]

    def has_add_permission(self, request) -> bool:
        return False


# --- Value: KPI readings and production cost lines --------------------------------------


@admin.register(KpiReading)
class KpiReadingAdmin(admin.ModelAdmin):
    list_display = ["pilot", "taken_on", "value", "recorded_by", "recorded_at"]
    list_select_related = ["pilot", "recorded_by"]
    search_fields = ["pilot__reference", "pilot__name", "note"]
    raw_id_fields = ["pilot"]
    autocomplete_fields = ["recorded_by"]
    date_hierarchy = "taken_on"


@admin.register(CostLine)
class CostLineAdmin(admin.ModelAdmin):
    list_display = ["pilot", "category", "description", "fte", "fte_annual_rate", "annual_cost"]
    list_filter = ["category"]
    list_select_related = ["pilot"]
    search_fields = ["pilot__reference", "pilot__name", "description"]
    raw_id_fields = ["pilot"]


# --- Reminders and notifications ----------------------------------------------------------
# The reminder log is the memory of what was sent: changing or adding rows by hand would
# resend or swallow reminders, so support reads it here and changes nothing.


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "subject_type", "subject_id", "day", "status", "attempts"]
    list_filter = ["status", "kind", "subject_type"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "recipient__email", "last_error"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Written by the reminder machinery; support can read and remove them."""

    list_display = ["user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    search_fields = ["user__username", "title"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "digest", "escalation", "gate_ready", "gate_signed", "purgatory"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Only the token's hash is stored, so a feed cannot be made here; support can revoke
    one by setting its revoked time."""

    list_display = ["user", "created_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = ["user", "token_hash", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PortfolioReport)
class PortfolioReportAdmin(admin.ModelAdmin):
    """Rendered by a worker from a request on the portfolio page; support reads the status
    and the error of a failed one. The PDF bytes stay out of the page."""

    list_display = ["pk", "requested_by", "status", "pilots", "requested_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["requested_by"]
    search_fields = ["requested_by__username", "error"]
    exclude = ["pdf"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Intake answers, decisions, rollout steps and operating details.
from pilots import admin_lifecycle  # noqa: E402, F401
