"""Deadline reminders and notifications: find what is due, claim it once, send it once.

The scan (every few minutes, from the beat; or `manage.py send_reminders`):
1. derives from PostgreSQL every reminder due now: the daily digest of each owner (from
   08:00 local time), escalations of work overdue by more than the playbook's days (once
   per level), gates ready for signature, gates signed off in the last days, pilots in
   purgatory (weekly), and reviews of pilots in production coming up;
2. claims each one by inserting its ReminderLog row, ON CONFLICT DO NOTHING, and learns
   from RETURNING which rows this scan inserted: a row claimed before (by an earlier
   scan, a parallel beat) is not returned, so it is not sent again; the new claims are
   announced (pilots.signals.reminders_claimed: governance sends escalation webhooks);
3. picks the rows to queue again: queued but still unsent after the broker's visibility
   timeout and a margin (a lost Redis message), failed and past their backoff, or held
   by a delivery whose lease ran out (a crashed worker); it stamps them queued now, so
   the next scan leaves them alone while they wait in the queue;
4. after commit, queues one send task per row of steps 2 and 3: the rows, not the
   queue, are the memory.

A send task (`deliver`) leases its row with a conditional UPDATE, so two deliveries of
the same message never both send; a reminder older than it is useful is skipped. A
failed send is recorded with the time of its next attempt, backing off from two minutes
to an hour; after MAX_ATTEMPTS the row is given up. No retry waits in Redis.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation

from pilots.gate_signers import GateRow, signers_of
from pilots.models import OPEN_STATUSES, Deliverable, PhaseRun, Pilot
from pilots.notifications_models import NotificationKind, ReminderLog
from pilots.purgatory import stuck_filter, with_purgatory_facts
from pilots.signals import reminders_claimed

log = logging.getLogger(__name__)

# Rows per INSERT where the database cannot take the whole claim as arrays (SQLite).
CLAIM_BATCH = 1000
# At most this many rows are queued again by one scan; the next scan takes the rest.
REQUEUE_LIMIT = 10_000
MAX_ATTEMPTS = 6


def requeue_after() -> timedelta:
    """A row queued this long ago and still unsent is queued again by the next scan.
    Longer than the broker's visibility timeout, so a message Redis still holds (and
    would redeliver) is not doubled at every scan of the 08:00 burst."""
    return timedelta(seconds=settings.NINETY_REMINDER_REQUEUE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """Wait after a failed attempt: 2, 4, 8, 16, 32 minutes, then at most an hour."""
    return timedelta(seconds=min(60 * 2**attempts, 3600))


def lease() -> timedelta:
    """How long a send task may hold a row before another delivery may take it over."""
    return timedelta(seconds=settings.NINETY_REMINDER_LEASE_SECONDS)


# A reminder not sent this long after it was claimed is skipped rather than sent late
# (a digest: once its day is over).
MAX_AGE = timedelta(days=2)
GATE_SIGNED_WINDOW = timedelta(days=7)
ESCALATION_LEVELS = (1, 2, 4)  # overdue by more than N, 2N, 4N days
SIGNED_NOTICE_STATUSES = (Pilot.Status.ACTIVE, Pilot.Status.IN_PRODUCTION)
REVIEW_NOTICE_DAYS = 7  # a review of a pilot in production is announced this long before


@dataclass(frozen=True)
class Due:
    recipient_id: int
    kind: str
    subject_type: str
    subject_id: int
    level: int
    day: date


def digest_time() -> time:
    hours, minutes = settings.NINETY_DIGEST_TIME.split(":")
    return time(int(hours), int(minutes))


def escalation_level(days_overdue: int, escalation_days: int) -> int:
    """0 while within the grace days; then 1, 2, 3 past N, 2N and 4N days."""
    return sum(days_overdue > factor * escalation_days for factor in ESCALATION_LEVELS)


def find_due(now: datetime) -> Iterator[Due]:
    """Every reminder due at `now`, derived from the database in a fixed number of queries."""
    today = timezone.localdate(now)
    if timezone.localtime(now).time() >= digest_time():
        yield from _digests(today)
    yield from _escalations(today)
    yield from _gates_ready(today)
    yield from _gates_signed(now)
    yield from _purgatory(today)
    yield from _reviews(today)


def digest_items(owner_id: int, today: date) -> dict[str, list[Deliverable]]:
    """An owner's digest: due in 7 days, tomorrow, today, and overdue (empty: no digest)."""
    rows = (
        Deliverable.objects.open()
        .filter(owner_id=owner_id, pilot__status=Pilot.Status.ACTIVE)
        .filter(Q(due_date__lte=today + timedelta(days=1)) | Q(due_date=today + timedelta(days=7)))
        .select_related("pilot")
        .order_by("due_date", "pilot__reference", "pk")
    )
    buckets: dict[str, list[Deliverable]] = {
        "overdue": [],
        "today": [],
        "tomorrow": [],
        "in_7_days": [],
    }
    for item in rows:
        if item.due_date < today:
            buckets["overdue"].append(item)
        elif item.due_date == today:
            buckets["today"].append(item)
        elif item.due_date == today + timedelta(days=1):
            buckets["tomorrow"].append(item)
        else:
            buckets["in_7_days"].append(item)
    return buckets


def _digests(today: date) -> Iterator[Due]:
    owners = (
        Deliverable.objects.open()
        .filter(pilot__status=Pilot.Status.ACTIVE, owner__isnull=False, owner__is_active=True)
        .filter(Q(due_date__lte=today + timedelta(days=1)) | Q(due_date=today + timedelta(days=7)))
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )
    for owner_id in owners.iterator(chunk_size=5000):
        yield Due(owner_id, NotificationKind.DIGEST, "user", owner_id, 0, today)


def _escalations(today: date) -> Iterator[Due]:
    rows = (
        Deliverable.objects.open()
        .filter(pilot__status=Pilot.Status.ACTIVE, due_date__lt=today - timedelta(days=1))
        .order_by()
        .values_list(
            "pk",
            "due_date",
            "pilot__playbook__escalation_days",
            "pilot__programme_manager_id",
            "pilot__production_owner_id",
        )
    )
    for pk, due, grace, manager, production_owner in rows.iterator(chunk_size=5000):
        level = escalation_level((today - due).days, grace)
        if not level:
            continue
        for recipient in {manager, production_owner} - {None}:
            # The due date in the key: moving the date starts a new escalation cycle.
            yield Due(recipient, NotificationKind.ESCALATION, "deliverable", pk, level, due)


def _gates_ready(today: date) -> Iterator[Due]:
    """Each gate whose mandatory work is done, to each person who must sign it."""
    runs = (
        PhaseRun.objects.filter(pilot__status=Pilot.Status.ACTIVE)
        .exclude(state=PhaseRun.State.SIGNED_OFF)
        .annotate(
            mandatory=Count("deliverables", filter=Q(deliverables__mandatory=True)),
            open_mandatory=Count(
                "deliverables",
                filter=Q(deliverables__mandatory=True, deliverables__status__in=OPEN_STATUSES),
            ),
        )
        .filter(mandatory__gt=0, open_mandatory=0)
        .values_list(
            "pk",
            "planned_end",
            "pilot_id",
            "phase__gate_signers",
            "pilot__programme_manager_id",
            "pilot__production_owner_id",
        )
    )
    rows = list(runs)
    signers = signers_of(
        [GateRow(pk, pilot, slots, manager, owner) for pk, _, pilot, slots, manager, owner in rows]
    )
    for pk, planned_end, *_ in rows:
        for recipient in sorted(signers[pk]):
            yield Due(recipient, NotificationKind.GATE_READY, "phase_run", pk, 0, planned_end)


def _gates_signed(now: datetime) -> Iterator[Due]:
    runs = list(
        PhaseRun.objects.filter(
            state=PhaseRun.State.SIGNED_OFF, signed_off_at__gte=now - GATE_SIGNED_WINDOW
        )
        # A paused or stopped pilot's team hears nothing more of it; one that went live
        # right after its last gate still hears of that gate.
        .filter(pilot__status__in=SIGNED_NOTICE_STATUSES)
        .values_list(
            "pk",
            "pilot_id",
            "signed_off_at",
            "pilot__programme_manager_id",
            "pilot__sponsor_id",
            "pilot__production_owner_id",
        )
    )
    if not runs:
        return
    owners = defaultdict(set)
    for pilot_id, owner_id in (
        Deliverable.objects.filter(pilot_id__in={r[1] for r in runs}, owner__isnull=False)
        .order_by()
        .values_list("pilot_id", "owner_id")
        .distinct()
    ):
        owners[pilot_id].add(owner_id)
    for pk, pilot_id, signed_at, *people in runs:
        day = timezone.localdate(signed_at)
        for recipient in (set(people) | owners[pilot_id]) - {None}:
            yield Due(recipient, NotificationKind.GATE_SIGNED, "phase_run", pk, 0, day)


def _purgatory(today: date) -> Iterator[Due]:
    week = today - timedelta(days=today.weekday())  # at most one alert a week per pilot
    stuck = with_purgatory_facts(Pilot.objects.all(), today).filter(stuck_filter(today))
    for pk, sponsor, manager in stuck.values_list("pk", "sponsor_id", "programme_manager_id"):
        for recipient in {sponsor, manager} - {None}:
            yield Due(recipient, NotificationKind.PURGATORY, "pilot", pk, 0, week)


def _reviews(today: date) -> Iterator[Due]:
    """A pilot in production whose review falls within the notice days: to its operating
    owner and programme manager, once per review date (recording the review moves the
    date, and the next one is a new reminder)."""
    from pilots.intake_models import Operation

    due = Operation.objects.filter(
        pilot__status=Pilot.Status.IN_PRODUCTION,
        next_review_on__lte=today + timedelta(days=REVIEW_NOTICE_DAYS),
    ).values_list("pilot_id", "next_review_on", "operating_owner_id", "pilot__programme_manager_id")
    for pilot_id, review_on, operating_owner, manager in due:
        for recipient in sorted({operating_owner, manager} - {None}):
            yield Due(recipient, NotificationKind.REVIEW, "pilot", pilot_id, 0, review_on)


def claim(dues: Iterable[Due], now: datetime) -> list[int]:
    """Insert the rows not claimed before, stamped queued at `now`; return the ids of
    those this call inserted.

    On PostgreSQL the whole claim is one INSERT ... SELECT FROM unnest(arrays), so the
    scan's query count does not grow with the number of reminders (the arrays cost a few
    hundred bytes a reminder in memory). Elsewhere (SQLite, the embedded default) it
    inserts CLAIM_BATCH rows a statement.
    """
    if connection.vendor != "postgresql":
        return _claim_in_batches(dues, now)
    columns: tuple[list, ...] = ([], [], [], [], [], [])
    for due in dues:
        for column, value in zip(columns, _key(due), strict=True):
            column.append(value)
    if not columns[0]:
        return []
    sql = (
        f"INSERT INTO {ReminderLog._meta.db_table} ({_COLUMNS}) "  # noqa: S608 - table name from the model
        "SELECT recipient_id, kind, subject_type, subject_id, level, day, %s, 0, '', %s, %s "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::smallint[], "
        "%s::date[]) AS due(recipient_id, kind, subject_type, subject_id, level, day) "
        f"{_ON_CONFLICT}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ReminderLog.Status.CLAIMED, now, now, *columns])
        return [row[0] for row in cursor.fetchall()]


_COLUMNS = (
    "recipient_id, kind, subject_type, subject_id, level, day, "
    "status, attempts, last_error, claimed_at, queued_at"
)
_ON_CONFLICT = (
    "ON CONFLICT (recipient_id, kind, subject_type, subject_id, level, day) DO NOTHING RETURNING id"
)


def _key(due: Due) -> tuple:
    return (
        due.recipient_id,
        str(due.kind),
        due.subject_type,
        due.subject_id,
        due.level,
        due.day,
    )


def _claim_in_batches(dues: Iterable[Due], now: datetime) -> list[int]:
    claimed: list[int] = []
    batch: list[Due] = []
    for due in dues:
        batch.append(due)
        if len(batch) >= CLAIM_BATCH:
            claimed += _insert_claims(batch, now)
            batch = []
    if batch:
        claimed += _insert_claims(batch, now)
    return claimed


def _insert_claims(batch: list[Due], now: datetime) -> list[int]:
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, 0, '', %s, %s)"] * len(batch))
    params: list = []
    for due in batch:
        params += [*_key(due), ReminderLog.Status.CLAIMED, now, now]
    # Only the table name (from the model) is formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {ReminderLog._meta.db_table} ({_COLUMNS}) "  # noqa: S608
        f"VALUES {values} {_ON_CONFLICT}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _requeue(now: datetime) -> list[int]:
    """Take the rows to queue again (step 3 of the module docstring) and stamp them queued.

    SKIP LOCKED: a parallel scan busy with the same rows keeps them; the UPDATE's
    conditions are checked again on the locked rows, so each row is queued by one scan.
    """
    Status = ReminderLog.Status
    again = (
        Q(status=Status.CLAIMED)
        & (Q(queued_at__isnull=True) | Q(queued_at__lt=now - requeue_after()))
        | Q(status=Status.FAILED, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, lease_until__lt=now)
    )
    ids = list(
        ReminderLog.objects.select_for_update(skip_locked=True)
        .filter(again)
        .order_by()
        .values_list("pk", flat=True)[:REQUEUE_LIMIT]
    )
    if ids:
        ReminderLog.objects.filter(again, pk__in=ids).update(
            status=Status.CLAIMED, queued_at=now, lease_until=None
        )
    return ids


@dataclass
class ScanResult:
    due: int
    claimed: int
    requeued: int


def scan(now: datetime | None = None, *, send: bool = True) -> ScanResult:
    """Claim what is due and, after commit, queue its sending (see the module docstring).

    With `send=False` the scan does its database work but hands nothing to the broker,
    as if the messages were lost (tests, the benchmark).
    """
    from pilots.tasks import send_reminder

    now = now or timezone.now()
    counter = {"due": 0}

    def counted(dues):
        for due in dues:
            counter["due"] += 1
            yield due

    with transaction.atomic():
        # Queue again first: the rows claimed below are stamped queued now and so are
        # never taken twice by one scan.
        stale = _requeue(now)
        claimed = claim(counted(find_due(now)), now)
        if claimed:
            reminders_claimed.send(sender=ReminderLog, ids=claimed, now=now)
        if send:
            ids = claimed + stale
            transaction.on_commit(lambda: [send_reminder.delay(pk) for pk in ids])
    return ScanResult(due=counter["due"], claimed=len(claimed), requeued=len(stale))


def pending_preview(now: datetime) -> list[Due]:
    """What a scan at `now` would claim (dry run): due and not claimed before."""
    dues = list(find_due(now))
    if not dues:
        return []
    days = {d.day for d in dues}
    known = set(
        ReminderLog.objects.filter(day__in=days).values_list(
            "recipient_id", "kind", "subject_type", "subject_id", "level", "day"
        )
    )
    return [
        d
        for d in dues
        if (d.recipient_id, d.kind, d.subject_type, d.subject_id, d.level, d.day) not in known
    ]


def too_old(row: ReminderLog, now: datetime) -> bool:
    if row.kind == NotificationKind.DIGEST:
        return row.day < timezone.localdate(now)
    return now - row.claimed_at > MAX_AGE


def _lease(log_id: int, now: datetime) -> ReminderLog | None:
    """Take the row for sending, unless it is sent, given up, waiting out its backoff, or
    held by another delivery whose lease still runs."""
    takeable = (
        Q(status=ReminderLog.Status.CLAIMED)
        | Q(status=ReminderLog.Status.FAILED, next_attempt_at__lte=now)
        | Q(status=ReminderLog.Status.SENDING, lease_until__lt=now)
    )
    taken = ReminderLog.objects.filter(takeable, pk=log_id).update(
        status=ReminderLog.Status.SENDING, lease_until=now + lease(), attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return ReminderLog.objects.select_related("recipient").get(pk=log_id)


def deliver(log_id: int, now: datetime | None = None) -> str:
    """Send one claimed reminder (in the app, and by mail if the recipient wants it).

    Returns what happened: "sent"; "skipped" (too old, nothing left to say, or the
    recipient's account is inactive); "failed" (recorded with the time of the next
    attempt, which the scan will queue); "gave up" (the last attempt failed); or
    "not mine" (sent already, waiting out its backoff, or another delivery holds it).
    """
    from pilots import notifications
    from pilots.language import language_of

    now = now or timezone.now()
    row = _lease(log_id, now)
    if row is None:
        return "not mine"
    if row.attempts > MAX_ATTEMPTS:
        # Deliveries kept dying without recording a failure (a crash each time).
        _finish(row, ReminderLog.Status.GAVE_UP, "no delivery finished; given up")
        return "gave up"
    if not row.recipient.is_active:
        _finish(row, ReminderLog.Status.SKIPPED, "the recipient's account is inactive")
        return "skipped"
    if too_old(row, now):
        _finish(row, ReminderLog.Status.SKIPPED, "too old to matter")
        return "skipped"
    try:
        # Everything the recipient reads (mail, bell, subject, dates) in their language.
        with translation.override(language_of(row.recipient)):
            message = notifications.compose(row, now)
            if message is None:
                _finish(row, ReminderLog.Status.SKIPPED, "nothing to say any more")
                return "skipped"
            notifications.deliver_message(row, message)
    except Exception as exc:  # a soft time limit too: recorded, then the scan retries
        return _fail(row, now, f"{type(exc).__name__}: {exc}"[:2000])
    _finish(row, ReminderLog.Status.SENT, "")
    return "sent"


def _fail(row: ReminderLog, now: datetime, note: str) -> str:
    if row.attempts >= MAX_ATTEMPTS:
        log.error("Reminder %s given up after %s attempts: %s", row.pk, row.attempts, note)
        _finish(row, ReminderLog.Status.GAVE_UP, note)
        return "gave up"
    log.warning("Reminder %s failed (attempt %s): %s", row.pk, row.attempts, note)
    _finish(row, ReminderLog.Status.FAILED, note, next_attempt_at=now + retry_delay(row.attempts))
    return "failed"


def _finish(
    row: ReminderLog, status: str, note: str, next_attempt_at: datetime | None = None
) -> None:
    ReminderLog.objects.filter(pk=row.pk).update(
        status=status,
        last_error=note,
        lease_until=None,
        next_attempt_at=next_attempt_at,
        sent_at=timezone.now() if status == ReminderLog.Status.SENT else None,
    )
