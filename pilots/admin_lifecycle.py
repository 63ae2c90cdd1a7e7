"""The admin of intake answers, decisions, rollout steps and operating details: support
reads them. Decisions are a record and are never changed; the rest is written through
the pilot's pages (pilots.intake_services, pilots.rollout), whose rules the admin would
bypass, so it reads too. Imported by pilots.admin."""

from django.contrib import admin

from pilots.intake_models import Decision, Intake, Operation, RolloutStep


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Intake)
class IntakeAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "governance_engaged_on", "expected_yearly_benefit", "updated_at"]
    list_select_related = ["pilot"]
    search_fields = ["pilot__reference", "pilot__name"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "kind", "in_triage", "decided_by", "decided_at"]
    list_filter = ["kind", "in_triage"]
    list_select_related = ["pilot", "decided_by"]
    search_fields = ["pilot__reference", "pilot__name", "rationale"]
    date_hierarchy = "decided_at"


@admin.register(RolloutStep)
class RolloutStepAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "order", "label", "share", "planned_on", "actual_on", "decision"]
    list_filter = ["decision"]
    list_select_related = ["pilot"]
    search_fields = ["pilot__reference", "pilot__name", "label"]


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "operating_owner", "review_cadence", "live_since", "next_review_on"]
    list_select_related = ["pilot", "operating_owner"]
    search_fields = ["pilot__reference", "pilot__name"]
