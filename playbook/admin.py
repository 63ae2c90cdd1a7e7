"""Playbooks in the admin, for looking things up. Changes belong in the playbook editor
(playbook.services), so a published or retired version is view-only here, as are the
phases, deliverables and criteria of one; a draft stays editable for repairs."""

from django.contrib import admin

from playbook.models import DeliverableTemplate, GateCriterion, Phase, Playbook


def _playbook_of(obj) -> Playbook | None:
    if isinstance(obj, Playbook):
        return obj
    if isinstance(obj, Phase):
        return obj.playbook
    if isinstance(obj, DeliverableTemplate | GateCriterion):
        return obj.phase.playbook
    return None


class DraftOnlyChanges:
    """Published versions are immutable: the admin may view them, never change them."""

    def _is_draft(self, obj) -> bool:
        playbook = _playbook_of(obj)
        return playbook is None or playbook.is_draft

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._is_draft(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._is_draft(obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A row added here can only join a draft.
        if db_field.name == "playbook":
            kwargs["queryset"] = Playbook.objects.filter(status=Playbook.Status.DRAFT)
        elif db_field.name == "phase":
            kwargs["queryset"] = Phase.objects.filter(playbook__status=Playbook.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DraftOnlyInline(DraftOnlyChanges):
    def has_add_permission(self, request, obj) -> bool:
        return super().has_add_permission(request, obj) and self._is_draft(obj)


class PhaseInline(DraftOnlyInline, admin.TabularInline):
    model = Phase
    extra = 0
    fields = ["number", "name", "start_day", "end_day", "gate_signers"]


@admin.register(Playbook)
class PlaybookAdmin(DraftOnlyChanges, admin.ModelAdmin):
    list_display = ["name", "version", "slug", "status", "is_default", "created_at"]
    list_filter = ["status", "is_default"]
    search_fields = ["name", "slug"]
    inlines = [PhaseInline]

    def has_add_permission(self, request) -> bool:
        # New versions come from the editor (a draft from a version, or an import).
        return False


class DeliverableTemplateInline(DraftOnlyInline, admin.TabularInline):
    model = DeliverableTemplate
    extra = 0
    fields = [
        "order",
        "title",
        "workstream",
        "dimension",
        "kind",
        "start_day",
        "due_day",
        "mandatory",
    ]


class GateCriterionInline(DraftOnlyInline, admin.TabularInline):
    model = GateCriterion
    extra = 0


@admin.register(Phase)
class PhaseAdmin(DraftOnlyChanges, admin.ModelAdmin):
    list_display = ["__str__", "playbook"]
    list_filter = ["playbook"]
    inlines = [DeliverableTemplateInline, GateCriterionInline]


@admin.register(DeliverableTemplate)
class DeliverableTemplateAdmin(DraftOnlyChanges, admin.ModelAdmin):
    list_display = [
        "title",
        "phase",
        "workstream",
        "dimension",
        "kind",
        "start_day",
        "due_day",
        "mandatory",
    ]
    list_filter = ["phase__playbook", "phase__number", "dimension", "kind", "mandatory"]
    search_fields = ["title", "guidance", "workstream"]
    list_select_related = ["phase__playbook"]


@admin.register(GateCriterion)
class GateCriterionAdmin(DraftOnlyChanges, admin.ModelAdmin):
    list_display = ["statement", "phase"]
    list_filter = ["phase__playbook"]
    list_select_related = ["phase__playbook"]
