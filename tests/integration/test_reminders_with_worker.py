"""Reminders through real Redis and a real Celery worker: exactly one mail per recipient,
kind and day when scans repeat, beats overlap, a worker is killed mid-task, or Redis
loses its queue; nothing when the transaction rolls back.

The worker is a separate process on the test database; mails are files it writes.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connection, connections, transaction
from django.utils import timezone

from config.celery import app as celery_app
from pilots import reminders, services
from pilots.notifications_models import ReminderLog
from tests.conftest import IN_CI, build_pilot, needs_postgres

BROKER = "redis://127.0.0.1:6379/5"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def needs_redis() -> redis.Redis:
    client = redis.Redis.from_url(BROKER, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail("CI must run this test against Redis at 127.0.0.1:6379")
        pytest.skip("needs Redis at 127.0.0.1:6379 (it is not running)")
    return client


@pytest.fixture
def broker(settings):
    needs_postgres()
    client = needs_redis()
    client.flushdb()
    settings.NINETY_DIGEST_TIME = "00:00"
    settings.NINETY_REMINDER_LEASE_SECONDS = 3
    settings.NINETY_REMINDER_REQUEUE_SECONDS = 1
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = BROKER
    _forget_connections()
    yield client
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
    _forget_connections()
    client.flushdb()


def _forget_connections() -> None:
    """Make the app connect anew with the broker URL now configured: a producer pool made
    earlier in the session would still point at the old (default) broker."""
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    return tmp_path


class Worker:
    def __init__(self, var_dir: Path, name: str, mail_backend: str | None = None):
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": BROKER,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "NINETY_VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": mail_backend or "django.core.mail.backends.filebased.EmailBackend",
            "NINETY_DIGEST_TIME": "00:00",
            "NINETY_REMINDER_LEASE_SECONDS": "3",
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        self.log = open(var_dir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def workers(mail_dir):
    started: list[Worker] = []

    def start(name: str, **kwargs) -> Worker:
        worker = Worker(mail_dir, name, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def mails(mail_dir: Path) -> list[str]:
    folder = mail_dir / "mail"
    return [p.read_text() for p in folder.glob("*.log")] if folder.exists() else []


def wait_for(condition, timeout: float = 40, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def due_today(pm, owner, production_owner, playbook):
    """One owner with a deliverable due today: exactly one digest is due."""
    owner.email = "owner@example.com"
    owner.save(update_fields=["email"])
    today = timezone.localdate()
    pilot = build_pilot(
        programme_manager=pm, playbook=playbook, production_owner=production_owner, kickoff=today
    )
    item = pilot.deliverables.order_by("due_date").first()
    services.deliverables_assign(pilot=pilot, deliverable_ids=[item.pk], owner=owner)
    pilot.deliverables.filter(pk=item.pk).update(due_date=today)
    return item


def digest_mails(mail_dir: Path) -> list[str]:
    return [m for m in mails(mail_dir) if "To: owner@example.com" in m]


def test_the_same_scan_twice_sends_one_digest(broker, workers, mail_dir, due_today):
    workers("w1")
    reminders.scan()
    reminders.scan()
    wait_for(lambda: ReminderLog.objects.filter(status="sent").exists(), what="the digest")
    time.sleep(1.5)
    assert len(digest_mails(mail_dir)) == 1
    assert ReminderLog.objects.get().status == ReminderLog.Status.SENT


def test_two_beats_at_once_send_one_digest(broker, workers, mail_dir, due_today):
    workers("w1")
    barrier = threading.Barrier(2)

    def beat():
        barrier.wait()
        reminders.scan()
        connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(lambda: ReminderLog.objects.filter(status="sent").exists(), what="the digest")
    time.sleep(1.5)
    assert len(digest_mails(mail_dir)) == 1 and ReminderLog.objects.count() == 1


def test_a_worker_killed_mid_send_still_yields_one_mail(broker, workers, mail_dir, due_today):
    first = workers("w1", mail_backend="tests.integration.slow_mail.SlowFileBackend")
    reminders.scan()
    wait_for(lambda: ReminderLog.objects.filter(status="sending").exists(), what="sending")
    first.kill()  # SIGKILL while the mail is on its way
    assert digest_mails(mail_dir) == []
    workers("w2")
    time.sleep(3.5)  # the dead worker's lease runs out
    reminders.scan()  # the next beat finds the row unsent and queues it again
    wait_for(lambda: ReminderLog.objects.filter(status="sent").exists(), what="the resend")
    time.sleep(7)  # Redis may redeliver the killed task too: it must find the row sent
    assert len(digest_mails(mail_dir)) == 1
    assert ReminderLog.objects.get().attempts >= 2


def test_redis_losing_its_queue_loses_no_reminder(broker, workers, mail_dir, due_today):
    reminders.scan()  # queued, but no worker is running yet
    assert ReminderLog.objects.get().status == ReminderLog.Status.CLAIMED
    broker.flushdb()  # Redis restarted without persistence: the message is gone
    workers("w1")
    time.sleep(1.5)
    assert digest_mails(mail_dir) == []
    reminders.scan()  # the next scan re-derives it from the database
    wait_for(lambda: ReminderLog.objects.filter(status="sent").exists(), what="the digest")
    assert len(digest_mails(mail_dir)) == 1


def test_a_rolled_back_scan_queues_nothing(broker, workers, mail_dir, due_today):
    workers("w1")
    with pytest.raises(RuntimeError), transaction.atomic():
        reminders.scan()
        raise RuntimeError("roll back")
    time.sleep(2)
    assert digest_mails(mail_dir) == [] and not ReminderLog.objects.exists()
    assert broker.llen("celery") == 0


def test_a_failed_send_waits_in_the_database_not_in_redis(broker, workers, mail_dir, due_today):
    workers("w1", mail_backend="tests.failing_mail.RefusingBackend")
    reminders.scan()
    wait_for(lambda: ReminderLog.objects.filter(status="failed").exists(), what="the failure")
    time.sleep(1.5)
    # No retry countdown: neither queued nor held by the worker (Redis's `unacked`), where
    # a wait past the visibility timeout would be handed to a second worker.
    assert broker.llen("celery") == 0 and broker.hlen("unacked") == 0
    row = ReminderLog.objects.get()
    assert row.attempts == 1 and row.next_attempt_at > timezone.now()
    assert reminders.scan().requeued == 0  # the backoff is not over: the row waits
    assert digest_mails(mail_dir) == []


def test_old_unsent_reminders_wait_their_turn(db, settings):
    """(Guard for the helpers above: requeue and lease follow the settings.)"""
    settings.NINETY_REMINDER_REQUEUE_SECONDS = 7
    assert reminders.requeue_after() == timedelta(seconds=7)
