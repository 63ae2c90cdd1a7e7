from django.contrib import admin

from playbook.models import DeliverableTemplate, GateCriterion, Phase, Playbook


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0
    fields = ["number", "name", "start_day", "end_day", "gate_signers"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "slug", "status", "is_default", "created_at"]
    list_filter = ["status", "is_default"]
    search_fields = ["name", "slug"]
    inlines = [PhaseInline]


class DeliverableTemplateInline(admin.TabularInline):
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


class GateCriterionInline(admin.TabularInline):
    model = GateCriterion
    extra = 0


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "playbook"]
    list_filter = ["playbook"]
    inlines = [DeliverableTemplateInline, GateCriterionInline]


@admin.register(DeliverableTemplate)
class DeliverableTemplateAdmin(admin.ModelAdmin):
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
class GateCriterionAdmin(admin.ModelAdmin):
    list_display = ["statement", "phase"]
    list_filter = ["phase__playbook"]
    list_select_related = ["phase__playbook"]
