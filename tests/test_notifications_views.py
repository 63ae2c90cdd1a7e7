"""The bell, mail settings and the personal calendar feed, through their pages."""

from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse

from pilots import calendar, services
from pilots.notifications_models import CalendarFeed, Notification, NotificationSettings


@pytest.fixture
def note(owner):
    return Notification.objects.create(
        user=owner, kind="digest", title="3 deliverables need you", url=reverse("my-work")
    )


def test_the_bell_counts_unread_and_opening_marks_read(client, owner, note):
    client.force_login(owner)
    page = client.get(reverse("my-work")).content.decode()
    assert 'aria-label="Notifications, 1 unread"' in page and 'class="bell-count">1<' in page
    listing = client.get(reverse("notifications")).content.decode()
    assert "3 deliverables need you" in listing
    response = client.post(reverse("notification-read", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("my-work")
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'aria-label="Notifications, 0 unread"' in client.get(reverse("my-work")).content.decode()


def test_someone_elses_notification_is_not_found(client, pm, note):
    client.force_login(pm)
    assert client.post(reverse("notification-read", args=[note.pk])).status_code == 404
    assert client.get(reverse("notification-read", args=[note.pk])).status_code == 405


def test_mark_all_read(client, owner, note):
    client.force_login(owner)
    client.post(reverse("notifications-read-all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_mail_settings_are_saved_per_kind(client, owner):
    client.force_login(owner)
    url = reverse("notification-settings")
    assert client.get(url).status_code == 200
    client.post(url, {"escalation": "on", "gate_ready": "on"})
    saved = NotificationSettings.objects.get(user=owner)
    assert (saved.digest, saved.escalation, saved.gate_ready, saved.purgatory) == (
        False,
        True,
        True,
        False,
    )


def test_anonymous_users_are_sent_to_log_in(client):
    for name in ("notifications", "notification-settings"):
        assert client.get(reverse(name)).status_code == 302


def test_the_calendar_feed_parses_and_a_revoked_token_gets_404(client, owner, pilot, owned):
    client.force_login(owner)
    client.post(reverse("calendar-feed-create"))
    url = client.session["new_feed_url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash=token).exists()  # only the hash kept
    page = client.get(reverse("notification-settings")).content.decode()
    assert url in page and url not in client.get(reverse("notification-settings")).content.decode()
    client.logout()
    response = client.get(reverse("calendar-feed", args=[token]))
    assert response["Content-Type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(response.content)
    events = {str(e["SUMMARY"]): e for e in parsed.walk("VEVENT")}
    assert events[f"Due: {owned.title}"]["DTSTART"].dt == owned.due_date
    calendar.feed_revoke(user=owner)
    assert client.get(reverse("calendar-feed", args=[token])).status_code == 404


def test_gate_dates_and_awkward_text_survive_the_feed(pm, pilot, owner):
    services.pilot_update(pilot=pilot, actor=pm, name="Claims, triage; and \\ more\nline")
    token = calendar.feed_create(user=pm)
    text = calendar.render_feed(calendar.feed_user(token))
    parsed = icalendar.Calendar.from_ical(text)
    gates = [e for e in parsed.walk("VEVENT") if str(e["SUMMARY"]).startswith("Gate:")]
    assert len(gates) == 3
    assert "Claims, triage; and \\ more\nline" in {
        str(e["DESCRIPTION"]).split(": the")[0] for e in gates
    }
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert calendar.feed_create(user=pm) != token and calendar.feed_user(token) is None
    assert gates[0]["DTEND"].dt - gates[0]["DTSTART"].dt == timedelta(days=1)


def gate_summaries(user) -> list[str]:
    parsed = icalendar.Calendar.from_ical(calendar.render_feed(user))
    return [
        str(e["SUMMARY"]) for e in parsed.walk("VEVENT") if str(e["SUMMARY"]).startswith("Gate:")
    ]


def test_a_reviewer_sees_the_gates_they_must_sign(pilot, reviewer, leader):
    from governance.models import AiActClass, Classification

    scale = pilot.phase_runs.select_related("phase").get(number=3)
    scale.phase.gate_signers = [
        "programme_manager",
        "governance_reviewer",
        "leadership_if_high_risk",
    ]
    scale.phase.save(update_fields=["gate_signers"])
    assert gate_summaries(reviewer) == [f"Gate: {pilot.reference} Scale"]
    assert gate_summaries(leader) == []  # not high-risk: leadership does not sign
    Classification.objects.create(
        pilot=pilot,
        risk_class=AiActClass.HIGH_RISK,
        organisation_role="deployer",
        prepared_by=reviewer,
    )
    assert gate_summaries(leader) == [f"Gate: {pilot.reference} Scale"]


def test_the_notification_posts_refuse_get(client, owner):
    client.force_login(owner)
    for name in ("calendar-feed-create", "calendar-feed-revoke", "notifications-read-all"):
        assert client.get(reverse(name)).status_code == 405, name
    assert not CalendarFeed.objects.exists()
