"""Outgoing webhooks: the endpoints administrators register, and the outbox of deliveries
with the log of every attempt. Imported by governance.models so Django finds them.

How events become deliveries: governance.webhooks. How deliveries are sent, retried and
replayed: governance.webhooks_send.
"""

import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Plain http is for a receiver on this machine only, and only when allowed (DEBUG, tests).
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class WebhookEventKind(models.TextChoices):
    DELIVERABLE_DONE = "deliverable.done", _("Deliverable done")
    GATE_READY = "gate.ready", _("Gate ready for signature")
    GATE_SIGNED = "gate.signed", _("Gate signed off")
    PILOT_STATUS_CHANGED = "pilot.status_changed", _("Pilot status changed")
    ESCALATION = "deliverable.escalated", _("Overdue work escalated")


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def validate_webhook_url(url: str) -> None:
    """HTTPS only; http://localhost or 127.0.0.1 too when DEBUG or
    NINETY_WEBHOOK_ALLOW_LOCAL_HTTP is on. Checked when an endpoint is saved and again
    before each send (a setting may have changed since)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValidationError(_("Enter a full address, starting with https://."))
    if parts.username or parts.password:
        raise ValidationError(
            _("Put no user name or password in the address; receivers check the signature.")
        )
    if parts.scheme == "https":
        return
    local_allowed = settings.DEBUG or settings.NINETY_WEBHOOK_ALLOW_LOCAL_HTTP
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and local_allowed:
        return
    raise ValidationError(
        _("Webhooks are sent over HTTPS only: the address must start with https://.")
    )


class WebhookEndpoint(models.Model):
    """A receiver of ours: where to POST, which kinds of event, and the secret every
    delivery to it is signed with (see governance.webhooks_send)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("Where events are posted. HTTPS only; redirects are not followed."),
    )
    events = models.JSONField(
        _("events"), default=list, help_text=_("The kinds of event sent to this endpoint.")
    )
    secret = models.CharField(
        _("signing secret"), max_length=80, default=new_webhook_secret, editable=False
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Switch an endpoint off instead of deleting it.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.events or []) - set(WebhookEventKind.values)
        if unknown or not self.events:
            raise ValidationError({"events": _("Choose at least one kind of event.")})

    def wants(self, kind: str) -> bool:
        return self.is_active and kind in self.events


class WebhookDeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Given up")


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the change it reports,
    sent after commit. The unique (endpoint, event id) makes an event arrive once per
    endpoint, however often it is announced. A row being sent holds a lease
    (`lease_until`); after a failure it waits until `next_attempt_at`."""

    Status = WebhookDeliveryStatus

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_kind = models.CharField(max_length=32, choices=WebhookEventKind.choices)
    event_id = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text=_("Attempts since the event (or its last replay).")
    )
    replays = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_duration_ms = models.PositiveIntegerField(
        _("last response time (ms)"), null=True, blank=True
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_event_once_per_endpoint"
            ),
        ]
        indexes = [
            # The beat's look for deliveries to queue again; sent ones stay out of it.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="webhook_unsent",
                condition=Q(status__in=["queued", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery, whatever its outcome: the log support reads."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    replay = models.PositiveSmallIntegerField(
        default=0, help_text=_("0 for the original sending, then 1, 2… for each replay.")
    )
    attempted_at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=WebhookDeliveryStatus.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery} #{self.replay}.{self.number}"
