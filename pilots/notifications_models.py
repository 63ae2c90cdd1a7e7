"""Models of reminders and notifications, imported into pilots.models.

ReminderLog is the memory of the reminder machinery: one row per (recipient, kind,
subject, level, day), unique, claimed by the scan before anything is sent. Whoever
inserted the row sends; a second scan, a second beat or a redelivered task finds the row
and sends nothing. Redis only carries the messages; losing it loses nothing, because
the next scan re-derives the work and the rows say what was already done.

A row's life: CLAIMED (queued for sending) -> SENDING (a delivery holds its lease) -> SENT,
or SKIPPED (too old, nothing left to say, recipient gone), or FAILED. A FAILED row waits
until `next_attempt_at` (backing off after each attempt) and the scan queues it again;
after the last attempt it is GAVE_UP and stays so: the scan, not a countdown in Redis, is
the retry.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    DIGEST = "digest", _("Daily digest of my deliverables")
    ESCALATION = "escalation", _("Escalations of overdue work")
    GATE_READY = "gate_ready", _("Gates ready for signature")
    GATE_SIGNED = "gate_signed", _("Gates signed off")
    PURGATORY = "purgatory", _("Pilots stuck in purgatory")
    REVIEW = "review", _("Reviews of pilots in production")


class ReminderStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed, queued for sending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Failed too often, given up")
    SKIPPED = "skipped", _("Skipped")


UNSENT_STATUSES = (ReminderStatus.CLAIMED, ReminderStatus.SENDING, ReminderStatus.FAILED)


class ReminderLog(models.Model):
    Status = ReminderStatus

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_logs"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    # What it is about: a deliverable, a phase run (gate), a pilot, or the user (digest).
    subject_type = models.CharField(max_length=16)
    subject_id = models.BigIntegerField()
    level = models.PositiveSmallIntegerField(default=0, help_text=_("Escalation level."))
    day = models.DateField(help_text=_("The local calendar day the reminder belongs to."))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CLAIMED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a send task was last queued for it.")
    )
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text=_("After a failure: not queued again before this.")
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "level", "day"],
                name="one_reminder_per_recipient_subject_kind_day",
            ),
        ]
        indexes = [
            # The scan's look for rows to queue again; sent and skipped rows stay out of it.
            models.Index(
                fields=["status", "queued_at"],
                name="reminder_unsent",
                condition=Q(status__in=UNSENT_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on {self.day}"


class Notification(models.Model):
    """What the bell shows: every reminder, whether or not it was also mailed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    reminder = models.OneToOneField(
        ReminderLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="notification"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user", "read_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationSettings(models.Model):
    """Which kinds a user also wants by e-mail. In-app notifications are always kept."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    digest = models.BooleanField(_("Daily digest"), default=True)
    escalation = models.BooleanField(_("Escalations"), default=True)
    gate_ready = models.BooleanField(_("Gate ready for signature"), default=True)
    gate_signed = models.BooleanField(_("Gate signed off"), default=True)
    purgatory = models.BooleanField(_("Pilot purgatory alerts"), default=True)
    review = models.BooleanField(_("Reviews of pilots in production"), default=True)
    # The language Ninety speaks to this person, pages and e-mails alike (pilots.language);
    # blank: no choice made, their browser's or the organisation's language applies.
    language = models.CharField(
        _("Language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES
    )

    def __str__(self) -> str:
        return f"Mail settings of {self.user}"

    def wants_mail(self, kind: str) -> bool:
        return bool(getattr(self, kind))


class CalendarFeed(models.Model):
    """A personal iCal feed behind a secret URL. Only the token's hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_calendar_feed_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
