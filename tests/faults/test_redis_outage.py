"""Redis, the broker, stopped for a while under gunicorn, a worker and the beat.

While it is away: pages that do not need it load as usual; a request that queues a task
(a portfolio report) answers within seconds instead of hanging, and its row waits in the
database; /readyz says the broker failed. When it is back: the worker and the beat carry
on by themselves, the due reminder goes out (the beat re-derives it from the database),
and the report asked for during the outage is rendered when tried again.

The outage lasts NINETY_FAULT_REDIS_OUTAGE_SECONDS (60 by default, as in production
incidents worth rehearsing); the Redis is our own on port 6391, never the shared one.
"""

import os
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from pilots import services
from pilots.models import PortfolioReport
from tests.conftest import build_pilot
from tests.faults.conftest import (
    Browser,
    process_env,
    real_password,
    start_web,
    start_worker,
    wait_for,
)

OUTAGE_SECONDS = float(os.environ.get("NINETY_FAULT_REDIS_OUTAGE_SECONDS", "60"))
WEB = "ninety-outage-web"
WORKER = "ninety-outage-worker"
BEAT = "ninety-outage-beat"
# A request never waits on the broker for longer than this.
SHORT = 5.0


@pytest.fixture
def world(live_db, pm, owner, production_owner, playbook):
    owner.email = "owner@example.com"
    owner.save(update_fields=["email"])
    today = timezone.localdate()
    pilot = build_pilot(
        programme_manager=pm, playbook=playbook, production_owner=production_owner, kickoff=today
    )
    item = pilot.deliverables.order_by("due_date").first()
    services.deliverables_assign(pilot=pilot, deliverable_ids=[item.pk], owner=owner)
    # Nothing due yet: the test makes it due while Redis is away.
    pilot.deliverables.filter(pk=item.pk).update(due_date=today + timedelta(days=30))
    for user in (pm, owner):
        real_password(user)
    return pilot


def digests(var_dir) -> list[str]:
    folder = var_dir / "mail"
    mails = [p.read_text() for p in folder.glob("*.log")] if folder.exists() else []
    return [m for m in mails if "To: owner@example.com" in m]


def test_pages_load_requests_fail_fast_and_work_resumes_after_a_redis_outage(
    processes, tmp_path, own_redis, world
):
    broker = {"CELERY_BROKER_URL": own_redis.url, "CELERY_TASK_ALWAYS_EAGER": "false"}
    web = start_web(processes, tmp_path, WEB, workers="2", **broker)
    worker = start_worker(processes, tmp_path, WORKER, NINETY_DIGEST_TIME="00:00")
    beat = processes(
        "beat",
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
        + ["--schedule", str(tmp_path / "beat-schedule")],
        process_env(tmp_path, BEAT, NINETY_SCAN_SECONDS="3", NINETY_DIGEST_TIME="00:00", **broker),
    )
    owner, pm = Browser(web), Browser(web)
    owner.login("owner")
    pm.login("pm")
    pages = [
        (owner, "/my-work/"),
        (owner, f"/pilots/{world.pk}/"),
        (pm, "/portfolio/"),
        (pm, "/pilots/"),
    ]
    for browser, path in pages:
        assert browser.get(path)[0] == 200, path
    wait_for(lambda: "Sending due task scan-reminders" in beat.output(), 20, "a first scan")
    time.sleep(2)
    assert digests(tmp_path) == []  # nothing was due before the outage

    own_redis.stop()
    # Work falls due during the outage: the beat cannot hand it to anyone yet.
    world.deliverables.filter(owner__username="owner").update(due_date=timezone.localdate())

    slowest, reports_asked, started = 0.0, 0, time.monotonic()
    while time.monotonic() - started < OUTAGE_SECONDS:
        for browser, path in pages:
            status, _, seconds = browser.get(path, timeout=SHORT)
            assert status == 200, (path, status)
            slowest = max(slowest, seconds)
        status, _, seconds = pm.post("/portfolio/reports/", timeout=SHORT)
        assert status == 302, status  # asked for; the row waits in the database
        reports_asked += 1
        slowest = max(slowest, seconds)
        status, body, seconds = owner.get("/readyz", timeout=SHORT)
        assert status == 503 and '"broker"' in body and seconds < 3
        time.sleep(min(5.0, max(0.0, OUTAGE_SECONDS - (time.monotonic() - started))))
    assert slowest < SHORT
    assert digests(tmp_path) == []
    assert PortfolioReport.objects.filter(status="queued").count() == reports_asked
    assert beat.alive() and worker.alive()

    own_redis.start()
    wait_for(lambda: owner.get("/readyz")[0] == 200, 30, "readyz to recover")
    # The beat's next scan finds the due digest in the database and the worker sends it.
    try:
        wait_for(lambda: digests(tmp_path), 60, "the digest after the outage", every=1)
    except AssertionError:
        print(beat.output()[-4000:], worker.output()[-6000:], sep="\n-----\n")
        raise
    assert len(digests(tmp_path)) == 1

    # A report asked for during the outage lost its message; once stale it is tried
    # again from its page, and renders.
    report = PortfolioReport.objects.order_by("pk").first()
    PortfolioReport.objects.filter(pk=report.pk).update(
        queued_at=timezone.now() - timedelta(minutes=11)
    )
    assert pm.post(f"/portfolio/reports/{report.pk}/retry/")[0] == 302

    def rendered():
        report.refresh_from_db()
        return report.status == PortfolioReport.Status.READY

    wait_for(rendered, 90, "the report to render after the outage", every=1)
    assert beat.alive() and worker.alive()
    print(
        f"\nRedis down {OUTAGE_SECONDS:.0f} s: {reports_asked} rounds of pages, slowest "
        f"request {slowest:.2f} s; digest and report delivered after it came back."
    )
