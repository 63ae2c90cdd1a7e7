"""Personal iCal feeds: my deliverables' due dates and my pilots' gate dates, behind a
secret URL. The token is shown once; only its SHA-256 is stored; revoking it ends the feed."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from pilots.models import Deliverable, PhaseRun, Pilot
from pilots.notifications_models import CalendarFeed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_create(*, user) -> str:
    """Revoke the user's current feed (if any) and return the token of a new one."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed_revoke(user=user)
        CalendarFeed.objects.create(user=user, token_hash=_hash(token))
    return token


def feed_revoke(*, user) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_user(token: str):
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return feed.user if feed else None


def feed_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('calendar-feed', args=[token])}"


def _escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space."""
    data, out = line.encode(), []
    while len(data) > 75:
        cut = 75 if not out else 74
        while cut and (data[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(data[:cut].decode())
        data = data[cut:]
    out.append(data.decode())
    return [out[0], *(" " + part for part in out[1:])]


def render_feed(user) -> str:
    """VCALENDAR text: an all-day event per open deliverable the user owns and per gate of
    the pilots the user manages, sponsors or owns in production."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Ninety//Pilot deadlines//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Ninety deadlines",
    ]

    def event(uid: str, day, summary: str, description: str, url: str) -> None:
        lines.extend(
            [
                "BEGIN:VEVENT",
                f"UID:{uid}@ninety",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                f"SUMMARY:{_escape(summary)}",
                f"DESCRIPTION:{_escape(description)}",
                f"URL:{url}",
                "END:VEVENT",
            ]
        )

    deliverables = (
        Deliverable.objects.open()
        .filter(owner=user, pilot__status=Pilot.Status.ACTIVE)
        .select_related("pilot")
        .order_by("due_date")
    )
    for item in deliverables:
        event(
            f"deliverable-{item.pk}",
            item.due_date,
            f"Due: {item.title}",
            f"{item.pilot.reference} {item.pilot.name}",
            f"{settings.SITE_URL}{reverse('pilot-detail', args=[item.pilot_id])}",
        )
    gates = (
        PhaseRun.objects.filter(pilot__status=Pilot.Status.ACTIVE)
        .exclude(state=PhaseRun.State.SIGNED_OFF)
        .filter(
            Q(pilot__programme_manager=user)
            | Q(pilot__sponsor=user)
            | Q(pilot__production_owner=user)
        )
        .select_related("pilot")
        .order_by("planned_end")
    )
    for run in gates:
        event(
            f"gate-{run.pk}",
            run.planned_end,
            f"Gate: {run.pilot.reference} {run.name}",
            f"{run.pilot.name}: the {run.name} phase gate",
            f"{settings.SITE_URL}{reverse('pilot-detail', args=[run.pilot_id])}",
        )
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
