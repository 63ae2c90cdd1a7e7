"""Reminder rules with frozen time: digest buckets, escalation levels, gate and purgatory
notices to the right people, opt-outs, nothing-to-say, exactly-once claiming, failures
retried with backoff, and DST weekends."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from pilots import reminders, services
from pilots.models import Deliverable, Pilot
from pilots.notifications_models import (
    Notification,
    NotificationKind,
    NotificationSettings,
    ReminderLog,
)
from pilots.roles import Role
from tests.conftest import build_pilot, make_user

AMS = ZoneInfo("Europe/Amsterdam")
KICKOFF = date(2026, 3, 2)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)


@pytest.fixture
def team(pm, owner, production_owner, sponsor):
    for user in (pm, owner, production_owner, sponsor):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return {"pm": pm, "owner": owner, "po": production_owner, "sponsor": sponsor}


@pytest.fixture
def running(team, playbook):
    """A launched pilot whose deliverables all belong to `owner`, none done."""
    pilot = build_pilot(
        programme_manager=team["pm"],
        playbook=playbook,
        sponsor=team["sponsor"],
        production_owner=team["po"],
    )
    ids = list(pilot.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=team["owner"])
    return pilot


def run_scan(moment: datetime, capture) -> reminders.ScanResult:
    """Scan at `moment` and deliver what it queued, as the worker would (eagerly)."""
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return reminders.scan(moment)


def mails_of(mailoutbox, kind_word: str) -> list:
    return [m for m in mailoutbox if kind_word in m.subject]


def test_the_digest_lists_due_in_a_week_tomorrow_today_and_overdue(
    running, team, mailoutbox, django_capture_on_commit_callbacks
):
    first = running.deliverables.get(title="Foundation activity 1")  # due day 7
    day = first.due_date
    run_scan(at(day, 7, 55), django_capture_on_commit_callbacks)
    assert not ReminderLog.objects.filter(kind=NotificationKind.DIGEST).exists()  # before 08:00
    run_scan(at(day, 8, 0), django_capture_on_commit_callbacks)
    digest = mails_of(mailoutbox, "Your deliverables")
    assert len(digest) == 1 and digest[0].to == ["owner@example.com"]
    body = digest[0].body
    assert "DUE TODAY" in body and "Foundation activity 1" in body
    assert "DUE IN A WEEK" in body and "Foundation activity 2" in body  # due day 14
    assert "Choose which mail Ninety sends you" in body
    html = digest[0].alternatives[0][0]
    assert "Foundation activity 1" in html and "<html" in html
    run_scan(at(day + timedelta(days=1), 9), django_capture_on_commit_callbacks)
    tomorrow_or_overdue = mails_of(mailoutbox, "Your deliverables")[-1].body
    assert "OVERDUE" in tomorrow_or_overdue


def test_nothing_to_say_sends_nothing(running, mailoutbox, django_capture_on_commit_callbacks):
    run_scan(at(KICKOFF + timedelta(days=2)), django_capture_on_commit_callbacks)  # day 3
    assert mailoutbox == [] and not ReminderLog.objects.exists()


def test_scanning_twice_sends_one_digest(running, mailoutbox, django_capture_on_commit_callbacks):
    day = KICKOFF + timedelta(days=6)
    first = run_scan(at(day, 8, 5), django_capture_on_commit_callbacks)
    second = run_scan(at(day, 8, 10), django_capture_on_commit_callbacks)
    assert first.claimed == 1 and second.claimed == 0
    assert len(mails_of(mailoutbox, "Your deliverables")) == 1


def test_an_opted_out_owner_gets_the_bell_but_no_mail(
    running, team, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.create(user=team["owner"], digest=False)
    run_scan(at(KICKOFF + timedelta(days=6)), django_capture_on_commit_callbacks)
    assert mails_of(mailoutbox, "Your deliverables") == []
    assert Notification.objects.get(user=team["owner"]).kind == NotificationKind.DIGEST


def test_escalation_after_the_grace_days_once_per_level(
    running, team, mailoutbox, django_capture_on_commit_callbacks
):
    item = running.deliverables.get(title="Foundation activity 1")
    due = item.due_date
    run_scan(at(due + timedelta(days=3)), django_capture_on_commit_callbacks)
    assert mails_of(mailoutbox, "days overdue") == []  # 3 days: within the grace
    run_scan(at(due + timedelta(days=4)), django_capture_on_commit_callbacks)
    first = mails_of(mailoutbox, "“Foundation activity 1” is 4 days overdue")
    assert sorted(m.to[0] for m in first) == ["pm@example.com", "prodowner@example.com"]
    run_scan(at(due + timedelta(days=5)), django_capture_on_commit_callbacks)
    assert len(mails_of(mailoutbox, "“Foundation activity 1” is")) == 2  # same level: nothing
    run_scan(at(due + timedelta(days=7)), django_capture_on_commit_callbacks)
    assert len(mails_of(mailoutbox, "“Foundation activity 1” is 7 days overdue")) == 2
    levels = set(
        ReminderLog.objects.filter(kind="escalation", subject_id=item.pk).values_list(
            "level", flat=True
        )
    )
    assert levels == {1, 2}


def test_escalation_days_come_from_the_playbook(
    running, mailoutbox, django_capture_on_commit_callbacks
):
    running.playbook.escalation_days = 10
    running.playbook.save(update_fields=["escalation_days"])
    due = running.deliverables.get(title="Foundation activity 1").due_date
    run_scan(at(due + timedelta(days=5)), django_capture_on_commit_callbacks)
    assert mails_of(mailoutbox, "days overdue") == []


def test_a_gate_ready_for_signature_tells_its_signers_once(
    running, team, mailoutbox, django_capture_on_commit_callbacks
):
    run = running.phase_runs.get(number=1)
    for item in running.deliverables.filter(phase_run=run, mandatory=True):
        services.deliverable_set_done(
            deliverable=item, actor=team["pm"], done=True, expected_version=None
        )
    for _ in range(2):
        run_scan(at(KICKOFF + timedelta(days=2)), django_capture_on_commit_callbacks)
    ready = mails_of(mailoutbox, "ready for signature")
    assert sorted(m.to[0] for m in ready) == ["pm@example.com", "prodowner@example.com"]


def test_a_signed_gate_tells_the_team(
    running, team, mailoutbox, django_capture_on_commit_callbacks
):
    run = running.phase_runs.get(number=1)
    with time_machine.travel(at(KICKOFF + timedelta(days=29)), tick=False):
        services.phase_run_sign_off(phase_run=run, actor=team["pm"])
    run_scan(at(KICKOFF + timedelta(days=29), 10), django_capture_on_commit_callbacks)
    signed = mails_of(mailoutbox, "phase is signed off")
    assert sorted(m.to[0] for m in signed) == [
        "owner@example.com",
        "pm@example.com",
        "prodowner@example.com",
        "sponsor@example.com",
    ]


def test_purgatory_alerts_the_sponsor_and_manager_once_a_week(
    team, playbook, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(KICKOFF), tick=False):
        build_pilot(programme_manager=team["pm"], playbook=playbook, sponsor=team["sponsor"])
    monday = KICKOFF + timedelta(days=7)
    run_scan(at(monday), django_capture_on_commit_callbacks)
    run_scan(at(monday + timedelta(days=3)), django_capture_on_commit_callbacks)
    stuck = mails_of(mailoutbox, "is stuck")
    assert sorted(m.to[0] for m in stuck) == ["pm@example.com", "sponsor@example.com"]
    assert "No production owner" in stuck[0].body
    run_scan(at(monday + timedelta(days=7)), django_capture_on_commit_callbacks)
    assert len(mails_of(mailoutbox, "is stuck")) == 4  # the next week: once more


def test_paused_pilots_send_nothing(running, mailoutbox, django_capture_on_commit_callbacks):
    Pilot.objects.filter(pk=running.pk).update(status=Pilot.Status.PAUSED)
    run_scan(at(KICKOFF + timedelta(days=20)), django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_a_rolled_back_scan_sends_nothing(running, mailoutbox, django_capture_on_commit_callbacks):
    moment = at(KICKOFF + timedelta(days=6))
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
        time_machine.travel(moment, tick=False),
    ):
        reminders.scan()
        raise RuntimeError("the transaction fails after the claims")
    assert mailoutbox == [] and not ReminderLog.objects.exists()


def test_a_delivery_takes_its_row_once(running, mailoutbox):
    with time_machine.travel(at(KICKOFF + timedelta(days=6)), tick=False):
        reminders.scan(send=False)
        row = ReminderLog.objects.get(kind="digest")
        assert reminders.deliver(row.pk) == "sent"
        assert reminders.deliver(row.pk) == "not mine"
    assert len(mailoutbox) == 1


def test_work_claimed_but_never_sent_is_queued_again(
    running, mailoutbox, django_capture_on_commit_callbacks
):
    day = KICKOFF + timedelta(days=6)
    with time_machine.travel(at(day, 8, 1), tick=False):
        reminders.scan(send=False)  # as if Redis lost the messages
    assert mailoutbox == []
    result = run_scan(at(day, 8, 10), django_capture_on_commit_callbacks)
    assert result.claimed == 0 and result.requeued == 1 and len(mailoutbox) == 1


def test_a_digest_too_old_to_matter_is_skipped(running, mailoutbox):
    day = KICKOFF + timedelta(days=6)
    with time_machine.travel(at(day, 8, 1), tick=False):
        reminders.scan(send=False)
    row = ReminderLog.objects.get(kind="digest")
    with time_machine.travel(at(day + timedelta(days=1), 9), tick=False):
        assert reminders.deliver(row.pk) == "skipped"
    assert mailoutbox == []
    assert ReminderLog.objects.get(pk=row.pk).status == ReminderLog.Status.SKIPPED


@pytest.mark.parametrize("sunday", [date(2026, 3, 29), date(2026, 10, 25)])
def test_daylight_saving_weekends_neither_skip_nor_double_a_digest(
    team, playbook, mailoutbox, django_capture_on_commit_callbacks, sunday
):
    saturday, monday = sunday - timedelta(days=1), sunday + timedelta(days=1)
    pilot = build_pilot(
        programme_manager=team["pm"],
        playbook=playbook,
        production_owner=team["po"],
        kickoff=saturday - timedelta(days=10),
    )
    ids = list(pilot.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=team["owner"])
    Deliverable.objects.filter(pilot=pilot).update(
        start_date=saturday - timedelta(days=10), due_date=monday + timedelta(days=30)
    )
    for day in (saturday, sunday, monday):  # something due on each of the three days
        item = Deliverable.objects.filter(pilot=pilot, due_date__gt=monday).first()
        item.due_date = day
        item.save(update_fields=["due_date"])
    moment = datetime(saturday.year, saturday.month, saturday.day, 6, 0, tzinfo=AMS)
    end = moment + timedelta(days=2, hours=5)
    while moment < end:  # every 20 minutes, as the beat would (every 5)
        run_scan(moment, django_capture_on_commit_callbacks)
        moment += timedelta(minutes=20)
    digests = ReminderLog.objects.filter(kind="digest", recipient=team["owner"])
    assert sorted(digests.values_list("day", flat=True)) == [saturday, sunday, monday]
    assert len(mails_of(mailoutbox, "Your deliverables")) == 3
    for log_row in digests:  # each sent at or after 08:00 local on its own day
        local = log_row.sent_at.astimezone(AMS)
        assert local.date() == log_row.day and local.hour >= 8


def test_send_reminders_dry_run_lists_and_sends_nothing(running, capsys, mailoutbox):
    day = KICKOFF + timedelta(days=6)
    call_command("send_reminders", "--date", day.isoformat(), "--dry-run")
    out = capsys.readouterr().out
    assert "digest" in out and "1 reminder(s) would be sent; nothing sent" in out
    assert mailoutbox == [] and not ReminderLog.objects.exists()


def test_send_reminders_refuses_a_bad_date(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "24/11/2026")


def test_the_scan_costs_the_same_queries_whatever_the_number_of_deliverables(team, playbook):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import build_playbook

    def scan_queries() -> int:
        ReminderLog.objects.all().delete()
        with (
            CaptureQueriesContext(connection) as captured,
            time_machine.travel(at(KICKOFF + timedelta(days=40)), tick=False),
        ):
            reminders.scan(send=False)
        return len(captured)

    build_pilot(programme_manager=team["pm"], playbook=playbook, production_owner=team["po"])
    small = scan_queries()
    big = build_pilot(
        programme_manager=team["pm"],
        playbook=build_playbook(20, slug="big"),
        production_owner=team["po"],
        name="Big",
    )
    ids = list(big.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=big, deliverable_ids=ids, owner=team["owner"])
    assert scan_queries() == small


def test_escalations_also_go_to_the_pilots_chat_once(
    running, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    import json
    import urllib.request

    posted = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):  # the network edge, and only it
        posted.append((request.full_url, json.loads(request.data)))
        return Response()

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    Pilot.objects.filter(pk=running.pk).update(
        chat_webhook_url="https://hooks.example.com/services/T000/B000"
    )
    due = running.deliverables.get(title="Foundation activity 1").due_date
    run_scan(at(due + timedelta(days=4)), django_capture_on_commit_callbacks)
    escalations = [p for p in posted if "days overdue" in p[1]["text"]]
    assert len(escalations) == 1  # one post per event, though two people were mailed
    assert escalations[0][0] == "https://hooks.example.com/services/T000/B000"
    assert "/pilots/" in escalations[0][1]["text"]


def test_the_digest_links_each_deliverable(running, mailoutbox, django_capture_on_commit_callbacks):
    item = running.deliverables.get(title="Foundation activity 1")
    run_scan(at(item.due_date), django_capture_on_commit_callbacks)
    html = mails_of(mailoutbox, "Your deliverables")[0].alternatives[0][0]
    assert f"/pilots/{running.pk}/#deliverable-{item.pk}" in html


# --- gate signers ---------------------------------------------------------------------


def close_mandatory(run, actor) -> None:
    for item in run.deliverables.filter(mandatory=True):
        services.deliverable_set_done(
            deliverable=item, actor=actor, done=True, expected_version=None
        )


def test_a_gate_ready_notice_goes_to_the_signers_the_playbook_names(
    running, team, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    run = running.phase_runs.select_related("phase").get(number=1)
    run.phase.gate_signers = ["governance_reviewer", "programme_manager"]
    run.phase.save(update_fields=["gate_signers"])
    reviewer.email = "reviewer@example.com"
    reviewer.save(update_fields=["email"])
    make_user("retired", Role.GOVERNANCE_REVIEWER, email="retired@example.com", is_active=False)
    close_mandatory(run, team["pm"])
    run_scan(at(KICKOFF + timedelta(days=2)), django_capture_on_commit_callbacks)
    ready = mails_of(mailoutbox, "ready for signature")
    # Not the production owner: this gate does not need their signature.
    assert sorted(m.to[0] for m in ready) == ["pm@example.com", "reviewer@example.com"]


def test_leadership_hears_of_a_gate_only_when_the_pilot_is_high_risk(
    running, team, reviewer, leader, mailoutbox, django_capture_on_commit_callbacks
):
    from governance.models import AiActClass, Classification

    run = running.phase_runs.select_related("phase").get(number=1)
    run.phase.gate_signers = ["programme_manager", "leadership_if_high_risk"]
    run.phase.save(update_fields=["gate_signers"])
    leader.email = "leader@example.com"
    leader.save(update_fields=["email"])
    close_mandatory(run, team["pm"])
    run_scan(at(KICKOFF + timedelta(days=2)), django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mails_of(mailoutbox, "ready for signature")] == ["pm@example.com"]
    Classification.objects.create(
        pilot=running,
        risk_class=AiActClass.HIGH_RISK,
        organisation_role="deployer",
        prepared_by=reviewer,
    )
    run_scan(at(KICKOFF + timedelta(days=2), 10), django_capture_on_commit_callbacks)
    ready = mails_of(mailoutbox, "ready for signature")
    assert sorted(m.to[0] for m in ready) == ["leader@example.com", "pm@example.com"]


# --- failures, backoff and re-queueing --------------------------------------------------

REFUSING = "tests.failing_mail.RefusingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def the_digest() -> ReminderLog:
    return ReminderLog.objects.get(kind=NotificationKind.DIGEST)


def test_a_failing_mail_server_is_retried_with_backoff_then_given_up(
    running, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING
    moment = at(KICKOFF + timedelta(days=6))
    run_scan(moment, django_capture_on_commit_callbacks)
    waits = []
    for attempt in range(1, reminders.MAX_ATTEMPTS):
        row = the_digest()
        assert (row.status, row.attempts) == (ReminderLog.Status.FAILED, attempt)
        assert "Connection refused" in row.last_error
        waits.append(row.next_attempt_at - moment)
        # A scan before the backoff is over leaves it alone ...
        early = run_scan(
            row.next_attempt_at - timedelta(seconds=30), django_capture_on_commit_callbacks
        )
        assert early.requeued == 0 and the_digest().attempts == attempt
        # ... the first one after queues it again.
        moment = row.next_attempt_at + timedelta(seconds=1)
        assert run_scan(moment, django_capture_on_commit_callbacks).requeued == 1
    assert waits == [timedelta(minutes=m) for m in (2, 4, 8, 16, 32)]
    row = the_digest()
    assert (row.status, row.attempts) == (ReminderLog.Status.GAVE_UP, reminders.MAX_ATTEMPTS)
    later = run_scan(moment + timedelta(hours=3), django_capture_on_commit_callbacks)
    assert later.requeued == 0 and the_digest().status == ReminderLog.Status.GAVE_UP
    assert mailoutbox == []


def test_a_failed_reminder_goes_out_once_the_mail_server_is_back(
    running, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING
    moment = at(KICKOFF + timedelta(days=6))
    run_scan(moment, django_capture_on_commit_callbacks)
    settings.EMAIL_BACKEND = LOCMEM
    run_scan(moment + timedelta(minutes=3), django_capture_on_commit_callbacks)
    run_scan(moment + timedelta(minutes=8), django_capture_on_commit_callbacks)
    assert len(mails_of(mailoutbox, "Your deliverables")) == 1
    row = the_digest()
    assert (row.status, row.attempts, row.last_error) == (ReminderLog.Status.SENT, 2, "")
    assert Notification.objects.filter(reminder=row).count() == 1


def test_the_send_task_records_a_failure_instead_of_retrying_in_the_queue(running, settings):
    from pilots.tasks import send_reminder

    settings.EMAIL_BACKEND = REFUSING
    moment = at(KICKOFF + timedelta(days=6))
    with time_machine.travel(moment, tick=False):
        reminders.scan(send=False)
        assert send_reminder.delay(the_digest().pk).get() == "failed"
    assert the_digest().next_attempt_at == moment + timedelta(minutes=2)


def test_a_queued_reminder_is_queued_again_only_after_the_visibility_timeout(running, settings):
    settings.NINETY_REMINDER_REQUEUE_SECONDS = 360  # visibility timeout (300) + a margin
    day = KICKOFF + timedelta(days=6)

    def requeued(hour: int, minute: int) -> int:
        with time_machine.travel(at(day, hour, minute), tick=False):
            return reminders.scan(at(day, hour, minute), send=False).requeued

    with time_machine.travel(at(day, 8, 1), tick=False):
        assert reminders.scan(send=False).claimed == 1  # queued, and the message lost
    # Every five minutes, as the beat: once per six minutes at most, not at every scan.
    assert [requeued(8, m) for m in (5, 10, 15, 20, 25)] == [0, 1, 0, 1, 0]


def test_claiming_is_one_statement_however_many_reminders(team, playbook, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import needs_postgres

    needs_postgres()
    monkeypatch.setattr(reminders, "CLAIM_BATCH", 5)  # the old batch size, scaled down
    pilot = build_pilot(
        programme_manager=team["pm"], playbook=playbook, production_owner=team["po"]
    )
    ids = list(pilot.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=team["owner"])
    with (
        CaptureQueriesContext(connection) as captured,
        time_machine.travel(at(KICKOFF + timedelta(days=80)), tick=False),
    ):
        result = reminders.scan(send=False)
    inserts = [q for q in captured if q["sql"].startswith("INSERT")]
    assert result.claimed > reminders.CLAIM_BATCH and len(inserts) == 1


def test_a_send_is_stopped_before_its_lease_runs_out(settings):
    from django.core.mail import get_connection

    from pilots.tasks import send_reminder

    lease = settings.NINETY_REMINDER_LEASE_SECONDS
    assert settings.EMAIL_TIMEOUT == 20
    assert settings.EMAIL_TIMEOUT < send_reminder.soft_time_limit < send_reminder.time_limit < lease
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert smtp.timeout == settings.EMAIL_TIMEOUT
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility < settings.NINETY_REMINDER_REQUEUE_SECONDS


def test_mail_to_an_inactive_account_is_skipped(
    running, team, mailoutbox, django_capture_on_commit_callbacks
):
    team["po"].is_active = False
    team["po"].save(update_fields=["is_active"])
    due = running.deliverables.get(title="Foundation activity 1").due_date
    run_scan(at(due + timedelta(days=4)), django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mails_of(mailoutbox, "days overdue")] == ["pm@example.com"]
    skipped = ReminderLog.objects.get(recipient=team["po"], kind=NotificationKind.ESCALATION)
    assert skipped.status == ReminderLog.Status.SKIPPED
    assert not Notification.objects.filter(user=team["po"]).exists()


# --- subjects -------------------------------------------------------------------------


def test_a_line_break_in_a_title_or_name_still_makes_a_one_line_subject(
    running, team, mailoutbox, django_capture_on_commit_callbacks
):
    item = running.deliverables.get(title="Foundation activity 1")
    Deliverable.objects.filter(pk=item.pk).update(title="Data\r\nreadiness")
    Pilot.objects.filter(pk=running.pk).update(name="Claims\ntriage")
    run_scan(at(item.due_date + timedelta(days=4)), django_capture_on_commit_callbacks)
    escalated = mails_of(mailoutbox, "days overdue")
    assert [m.subject for m in escalated] == [
        f"{running.reference}: “Data readiness” is 4 days overdue"
    ] * 2
    assert ReminderLog.objects.exclude(status=ReminderLog.Status.SENT).count() == 0
    Pilot.objects.filter(pk=running.pk).update(production_owner=None)
    run_scan(at(item.due_date + timedelta(days=5)), django_capture_on_commit_callbacks)
    assert f"{running.reference} Claims triage is stuck" in [m.subject for m in mailoutbox]


# --- the command ----------------------------------------------------------------------


def test_send_reminders_sends_only_for_today(
    running, mailoutbox, django_capture_on_commit_callbacks
):
    from django.core.management import CommandError

    today = KICKOFF + timedelta(days=6)
    with time_machine.travel(at(today, 9), tick=False):
        with pytest.raises(CommandError, match="not today: add --dry-run"):
            call_command("send_reminders", "--date", (today + timedelta(days=1)).isoformat())
        with pytest.raises(CommandError, match="not today"):
            call_command("send_reminders", "--date", (today - timedelta(days=1)).isoformat())
        assert not ReminderLog.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", "--date", today.isoformat())
    assert len(mails_of(mailoutbox, "Your deliverables")) == 1


# --- what the rules send ---------------------------------------------------------------


def test_the_beat_runs_the_scan(settings):
    from config.celery import app

    tasks = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "pilots.scan_reminders" in tasks
    assert "pilots.scan_reminders" in app.tasks


def test_the_digest_buckets_tomorrow_and_in_a_week(
    running, mailoutbox, django_capture_on_commit_callbacks
):
    today = KICKOFF + timedelta(days=3)
    open_items = running.deliverables.order_by("pk")
    plan = {
        "Due tomorrow thing": today + timedelta(days=1),
        "Due in a week thing": today + timedelta(days=7),
        "Due in three days thing": today + timedelta(days=3),
    }
    for item, (title, due) in zip(open_items[:3], plan.items(), strict=True):
        Deliverable.objects.filter(pk=item.pk).update(title=title, start_date=KICKOFF, due_date=due)
    Deliverable.objects.filter(pilot=running).exclude(title__in=plan).update(
        start_date=KICKOFF, due_date=today + timedelta(days=30)
    )
    run_scan(at(today), django_capture_on_commit_callbacks)
    body = mails_of(mailoutbox, "Your deliverables")[0].body
    tomorrow, week = body.index("DUE TOMORROW"), body.index("DUE IN A WEEK")
    assert tomorrow < body.index("Due tomorrow thing") < week < body.index("Due in a week thing")
    assert "Due in three days thing" not in body and "OVERDUE" not in body
    html = mails_of(mailoutbox, "Your deliverables")[0].alternatives[0][0]
    assert "Due tomorrow thing" in html and "Due in a week thing" in html


def test_an_escalation_too_old_to_matter_is_skipped(running, mailoutbox):
    due = running.deliverables.get(title="Foundation activity 1").due_date
    claimed_at = at(due + timedelta(days=4))
    with time_machine.travel(claimed_at, tick=False):
        reminders.scan(send=False)
    rows = ReminderLog.objects.filter(kind=NotificationKind.ESCALATION)
    first, second = list(rows.order_by("pk"))
    with time_machine.travel(claimed_at + timedelta(days=1), tick=False):
        assert reminders.deliver(first.pk) == "sent"  # late, but it still matters
    with time_machine.travel(claimed_at + reminders.MAX_AGE + timedelta(minutes=1), tick=False):
        assert reminders.deliver(second.pk) == "skipped"
    assert ReminderLog.objects.get(pk=second.pk).last_error == "too old to matter"
    assert len(mails_of(mailoutbox, "days overdue")) == 1


class ChatEdge:
    """urllib.request.urlopen, the network edge of the chat webhook, recording posts."""

    def __init__(self):
        self.posts: list[tuple[str, str]] = []

    def __call__(self, request, timeout):
        import json

        self.posts.append((request.full_url, json.loads(request.data)["text"]))
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def chat(monkeypatch) -> ChatEdge:
    import urllib.request

    edge = ChatEdge()
    monkeypatch.setattr(urllib.request, "urlopen", edge)
    return edge


def test_gate_events_are_posted_to_the_pilots_chat_once_each(
    running, team, chat, settings, django_capture_on_commit_callbacks
):
    settings.NINETY_CHAT_WEBHOOK_URL = "https://hooks.example.com/organisation"
    Pilot.objects.filter(pk=running.pk).update(chat_webhook_url="https://hooks.example.com/pilot")
    run = running.phase_runs.get(number=1)
    close_mandatory(run, team["pm"])
    run_scan(at(KICKOFF + timedelta(days=2)), django_capture_on_commit_callbacks)
    with time_machine.travel(at(KICKOFF + timedelta(days=2), 11), tick=False):
        services.phase_run_sign_off(phase_run=run, actor=team["pm"])
    run_scan(at(KICKOFF + timedelta(days=2), 12), django_capture_on_commit_callbacks)
    assert [(url, text.split(" http")[0]) for url, text in chat.posts] == [
        (
            "https://hooks.example.com/pilot",
            f"{running.reference}: the Foundation gate is ready for signature",
        ),
        (
            "https://hooks.example.com/pilot",
            f"{running.reference}: the Foundation phase is signed off",
        ),
    ]


def test_without_its_own_webhook_a_pilot_posts_to_the_organisations(
    running, team, chat, settings, django_capture_on_commit_callbacks
):
    settings.NINETY_CHAT_WEBHOOK_URL = "https://hooks.example.com/organisation"
    close_mandatory(running.phase_runs.get(number=1), team["pm"])
    run_scan(at(KICKOFF + timedelta(days=2)), django_capture_on_commit_callbacks)
    assert [url for url, _ in chat.posts] == ["https://hooks.example.com/organisation"]
    assert "ready for signature" in chat.posts[0][1]
