from django.contrib import admin

from pilots.models import Deliverable, Evidence, PhaseRun, Pilot


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
    readonly_fields = ["reference", "launched_at", "created_at", "updated_at"]
    date_hierarchy = "kickoff_date"
    inlines = [PhaseRunInline]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    readonly_fields = ["added_by", "added_at"]


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


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["deliverable", "url", "added_by", "added_at"]
    search_fields = ["url", "note", "deliverable__title"]
    list_select_related = ["deliverable", "added_by"]
    raw_id_fields = ["deliverable"]
