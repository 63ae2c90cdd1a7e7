"""What a reminder says, and the three ways it reaches people: the in-app bell, e-mail
(HTML and plain text, from templates) and, for gate and escalation events, an optional
Slack or Teams incoming webhook."""

import json
import logging
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilots.models import Deliverable, PhaseRun, Pilot
from pilots.notifications_models import (
    Notification,
    NotificationKind,
    NotificationSettings,
    ReminderLog,
)
from pilots.purgatory import judge, with_purgatory_facts
from pilots.templatetags.ninety import ldate

log = logging.getLogger(__name__)
CHAT_KINDS = {
    NotificationKind.ESCALATION,
    NotificationKind.GATE_READY,
    NotificationKind.GATE_SIGNED,
}


def one_line(text: str) -> str:
    """Runs of whitespace, line breaks included, as one space. A subject holds names and
    titles people typed; a line break in a mail header makes Django refuse the mail
    (BadHeaderError), and it would refuse it at every retry."""
    return " ".join(text.split())


@dataclass
class Message:
    subject: str
    title: str
    url: str
    context: dict = field(default_factory=dict)
    pilot: Pilot | None = None

    def __post_init__(self) -> None:
        # The one place every subject (and the bell's title, and the chat line) passes.
        self.subject = one_line(self.subject)
        self.title = one_line(self.title)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def compose(row: ReminderLog, now: datetime) -> Message | None:
    """The message for a claimed reminder, from the data as it is now; None when there
    is nothing left to say (the work was done meanwhile)."""
    today = timezone.localdate(now)
    return {
        NotificationKind.DIGEST: _digest,
        NotificationKind.ESCALATION: _escalation,
        NotificationKind.GATE_READY: _gate_ready,
        NotificationKind.GATE_SIGNED: _gate_signed,
        NotificationKind.PURGATORY: _purgatory,
        NotificationKind.REVIEW: _review,
    }[row.kind](row, today)


def _digest(row: ReminderLog, today) -> Message | None:
    from pilots.reminders import digest_items

    buckets = digest_items(row.recipient_id, today)
    total = sum(len(items) for items in buckets.values())
    if not total:
        return None
    overdue = len(buckets["overdue"])
    if overdue:
        # Translators: the count is how many of the person's deliverables need attention.
        subject = ngettext(
            "Your deliverables: %(total)s need attention, %(overdue)s overdue",
            "Your deliverables: %(total)s need attention, %(overdue)s overdue",
            total,
        ) % {"total": total, "overdue": overdue}
    else:
        # Translators: the count is how many of the person's deliverables need attention.
        subject = ngettext(
            "Your deliverables: %(total)s need attention",
            "Your deliverables: %(total)s need attention",
            total,
        ) % {"total": total}
    return Message(
        subject=subject,
        title=subject,
        url=reverse("my-work"),
        context={"buckets": buckets, "total": total, "today": today},
    )


def _escalation(row: ReminderLog, today) -> Message | None:
    item = Deliverable.objects.select_related("pilot", "owner").filter(pk=row.subject_id).first()
    if item is None or not item.is_open or item.pilot.status != Pilot.Status.ACTIVE:
        return None
    days = (today - item.due_date).days
    subject = ngettext(
        "%(reference)s: “%(title)s” is %(days)s day overdue",
        "%(reference)s: “%(title)s” is %(days)s days overdue",
        days,
    ) % {"reference": item.pilot.reference, "title": item.title, "days": days}
    url = f"{reverse('pilot-detail', args=[item.pilot_id])}#deliverable-{item.pk}"
    return Message(
        subject=subject,
        title=subject,
        url=url,
        pilot=item.pilot,
        context={"item": item, "days": days, "level": row.level},
    )


def _gate(row: ReminderLog) -> PhaseRun | None:
    return PhaseRun.objects.select_related("pilot").filter(pk=row.subject_id).first()


def _gate_ready(row: ReminderLog, today) -> Message | None:
    run = _gate(row)
    if run is None or run.state == PhaseRun.State.SIGNED_OFF:
        return None
    if run.pilot.status != Pilot.Status.ACTIVE:  # paused or stopped since the scan
        return None
    subject = _("%(reference)s: the %(gate)s gate is ready for signature") % {
        "reference": run.pilot.reference,
        "gate": run.name,
    }
    return Message(
        subject=subject,
        title=subject,
        pilot=run.pilot,
        url=reverse("pilot-detail", args=[run.pilot_id]),
        context={"run": run},
    )


def _gate_signed(row: ReminderLog, today) -> Message | None:
    from pilots.reminders import SIGNED_NOTICE_STATUSES

    run = _gate(row)
    if run is None or run.state != PhaseRun.State.SIGNED_OFF:
        return None
    if run.pilot.status not in SIGNED_NOTICE_STATUSES:  # paused or stopped since the scan
        return None
    subject = _("%(reference)s: the %(phase)s phase is signed off") % {
        "reference": run.pilot.reference,
        "phase": run.name,
    }
    return Message(
        subject=subject,
        title=subject,
        pilot=run.pilot,
        url=reverse("pilot-detail", args=[run.pilot_id]),
        context={"run": run},
    )


def _purgatory(row: ReminderLog, today) -> Message | None:
    pilot = with_purgatory_facts(
        Pilot.objects.select_related("playbook").filter(pk=row.subject_id), today
    ).first()
    if pilot is None:
        return None
    verdict = judge(pilot, today)
    if not verdict.stuck:
        return None
    subject = _("%(reference)s %(name)s is stuck") % {
        "reference": pilot.reference,
        "name": pilot.name,
    }
    return Message(
        subject=subject,
        title=subject,
        pilot=pilot,
        url=reverse("pilot-detail", args=[pilot.pk]),
        context={"pilot": pilot, "reasons": [r.label for r in verdict.reasons]},
    )


def _review(row: ReminderLog, today) -> Message | None:
    from pilots.intake_models import Operation

    operation = (
        Operation.objects.select_related("pilot", "operating_owner")
        .filter(pilot_id=row.subject_id)
        .first()
    )
    if operation is None or operation.pilot.status != Pilot.Status.IN_PRODUCTION:
        return None
    if operation.next_review_on != row.day:  # reviewed since, or the date was moved
        return None
    pilot = operation.pilot
    subject = _("%(reference)s %(name)s: review due on %(date)s") % {
        "reference": pilot.reference,
        "name": pilot.name,
        "date": ldate(row.day, "date"),
    }
    return Message(
        subject=subject,
        title=subject,
        pilot=pilot,
        url=reverse("pilot-rollout", args=[pilot.pk]),
        context={"operation": operation, "pilot": pilot, "overdue": row.day < today},
    )


def mail_settings(user) -> NotificationSettings:
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


def deliver_message(row: ReminderLog, message: Message) -> None:
    """In the app always; by mail when wanted; to chat for gate and escalation events."""
    user = row.recipient
    Notification.objects.get_or_create(
        reminder=row,
        defaults={"user": user, "kind": row.kind, "title": message.title[:200], "url": message.url},
    )
    if user.email and mail_settings(user).wants_mail(row.kind):
        context = {
            **message.context,
            "user": user,
            "kind": row.kind,
            "kind_label": NotificationKind(row.kind).label,
            "link": absolute(message.url),
            "settings_link": absolute(reverse("notification-settings")),
            "site_url": settings.SITE_URL,
        }
        text = render_to_string(f"emails/{row.kind}.txt", context)
        html = render_to_string(f"emails/{row.kind}.html", context)
        mail = EmailMultiAlternatives(message.subject, text, to=[user.email])
        mail.attach_alternative(html, "text/html")
        mail.send()
    # Once per event, not once per recipient: with the programme manager's reminder (every
    # escalation and gate event has one), which is itself sent exactly once.
    pilot = message.pilot
    if (
        row.kind in CHAT_KINDS
        and pilot is not None
        and row.recipient_id == pilot.programme_manager_id
    ):
        post_to_chat(pilot, f"{message.subject} {absolute(message.url)}")


def post_to_chat(pilot: Pilot, text: str) -> None:
    """Post to the pilot's or the organisation's incoming webhook. Slack and Teams both
    accept {"text": ...}. Failures are logged, never fatal: mail and the bell have already
    told the people concerned."""
    url = pilot.chat_webhook_url or settings.NINETY_CHAT_WEBHOOK_URL
    if not url.startswith(("https://", "http://")):  # never file: or other schemes
        return
    request = urllib.request.Request(  # noqa: S310 - scheme checked just above
        url,
        data=json.dumps({"text": text}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - scheme checked above
            pass
    except OSError as exc:
        log.warning("Chat webhook for %s failed: %s", pilot.reference, exc)
