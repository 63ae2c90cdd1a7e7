"""The admin of outgoing webhooks: administrators register endpoints (and read their
signing secret here); deliveries and their attempts are a log, read-only, from which a
delivery can be sent again. Imported by governance.admin."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from governance import webhooks_send
from governance.webhooks_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventKind,
    new_webhook_secret,
)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The kinds of event sent to this endpoint."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "event_list", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["signing_secret", "created_at"]
    actions = ["new_secret"]

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookEndpoint) -> str:
        labels = dict(WebhookEventKind.choices)
        return ", ".join(str(labels.get(kind, kind)) for kind in obj.events)

    @admin.display(description=_("signing secret"))
    def signing_secret(self, obj: WebhookEndpoint) -> str:
        if not obj.pk:
            return _("Generated when the endpoint is saved.")
        return format_html(
            "<code>{}</code><br>{}",
            obj.secret,
            _("Give it to the receiver; it checks X-Ninety-Signature with it (see README)."),
        )

    @admin.action(permissions=["change"], description=_("Generate a new signing secret"))
    def new_secret(self, request, queryset) -> None:
        # One at a time: each endpoint gets a secret of its own.
        for endpoint in queryset:
            endpoint.secret = new_webhook_secret()
            endpoint.save(update_fields=["secret"])
            self.log_change(request, endpoint, "Generated a new signing secret.")
        self.message_user(request, _("New secrets generated; give them to the receivers."))


class ReadOnly(admin.options.BaseModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WebhookAttemptInline(ReadOnly, admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "replay", "number", "outcome", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "event_kind",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "event_kind", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["event_id", "=uuid"]
    date_hierarchy = "created_at"
    exclude = ["payload"]
    readonly_fields = ["payload_shown"]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    @admin.display(description=_("payload"))
    def payload_shown(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("governance.change_webhookdelivery")

    @admin.action(permissions=["replay"], description=_("Send again"))
    def replay(self, request, queryset) -> None:
        deliveries = list(queryset)
        queued = set(webhooks_send.webhook_replay(delivery_ids=[d.pk for d in deliveries]))
        for delivery in deliveries:
            if delivery.pk in queued:
                self.log_change(request, delivery, "Queued to be sent again.")
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued to be sent again.",
                "%(count)d deliveries queued to be sent again.",
                len(queued),
            )
            % {"count": len(queued)},
        )
        if len(queued) < len(deliveries):
            self.message_user(
                request,
                _("Deliveries being sent at this moment were left alone; try them again."),
                messages.WARNING,
            )


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "delivery",
        "replay",
        "number",
        "outcome",
        "status_code",
        "duration_ms",
    ]
    list_filter = ["outcome"]
    list_select_related = ["delivery"]
    search_fields = ["delivery__event_id"]
    date_hierarchy = "attempted_at"
