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
from django.utils.translation import gettext as _

from pilots.gate_signers import ROLE_OF_SLOT, GateRow, signers_of
from pilots.models import Deliverable, PhaseRun, Pilot
from pilots.notifications_models import CalendarFeed
from pilots.roles import role_names


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


def _gates_of(user) -> list[PhaseRun]:
    """Open gates of active pilots the user is on (programme manager, sponsor, production
    owner) or whose playbook wants the user's global role among the signers."""
    open_gates = (
        PhaseRun.objects.filter(pilot__status=Pilot.Status.ACTIVE)
        .exclude(state=PhaseRun.State.SIGNED_OFF)
        .select_related("pilot", "phase")
        .order_by("planned_end", "pk")
    )
    on_the_pilot = (
        Q(pilot__programme_manager=user) | Q(pilot__sponsor=user) | Q(pilot__production_owner=user)
    )
    roles = role_names(user)
    if not any(role in roles for role in ROLE_OF_SLOT.values()):
        return list(open_gates.filter(on_the_pilot))
    # The playbook's signers are a JSON list, filtered here rather than in SQL (SQLite,
    # the embedded default, cannot look inside one); the signers_of rule decides.
    runs = list(open_gates)
    signers = signers_of(
        [
            GateRow(
                run.pk,
                run.pilot_id,
                run.phase.gate_signers,
                run.pilot.programme_manager_id,
                run.pilot.production_owner_id,
            )
            for run in runs
        ]
    )
    team = lambda run: (  # noqa: E731
        run.pilot.programme_manager_id,
        run.pilot.sponsor_id,
        run.pilot.production_owner_id,
    )
    return [run for run in runs if user.pk in signers[run.pk] or user.pk in team(run)]


def render_feed(user) -> str:
    """VCALENDAR text: an all-day event per open deliverable the user owns and per open
    gate of the pilots the user manages, sponsors or owns in production, or must sign as a
    governance reviewer or (high-risk pilots) as leadership."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Ninety//Pilot deadlines//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(_('Ninety deadlines'))}",
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
            _("Due: %(title)s") % {"title": item.title},
            f"{item.pilot.reference} {item.pilot.name}",
            f"{settings.SITE_URL}{reverse('pilot-detail', args=[item.pilot_id])}",
        )
    for run in _gates_of(user):
        event(
            f"gate-{run.pk}",
            run.planned_end,
            _("Gate: %(reference)s %(gate)s")
            % {"reference": run.pilot.reference, "gate": run.name},
            _("%(pilot)s: the %(phase)s phase gate") % {"pilot": run.pilot.name, "phase": run.name},
            f"{settings.SITE_URL}{reverse('pilot-detail', args=[run.pilot_id])}",
        )
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
