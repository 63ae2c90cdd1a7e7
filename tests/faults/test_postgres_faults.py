"""PostgreSQL connections terminated under a running gunicorn and a running worker.

- Between requests: the kept connection is dead; CONN_HEALTH_CHECKS notices at the start
  of the next request, which reconnects and succeeds.
- Mid-request: the request in flight fails with a 500 (quickly, not hanging); the next
  request succeeds.
- Mid-task: the task fails on the dropped connection and is retried (config.celery), and
  the retry, on a fresh connection, finishes the work.
"""

import threading

import pytest

from pilots.models import Deliverable, PortfolioReport
from tests.conftest import build_pilot
from tests.faults.conftest import (
    Browser,
    admin_connection,
    backends,
    real_password,
    start_web,
    start_worker,
    terminate,
    wait_for,
)

WEB = "ninety-fault-web"
WORKER = "ninety-fault-worker"


@pytest.fixture
def launched(live_db, pm, owner, playbook):
    from pilots import services

    pilot = build_pilot(programme_manager=pm, playbook=playbook)
    ids = list(pilot.deliverables.order_by("due_date", "pk").values_list("pk", flat=True)[:2])
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    real_password(owner)
    return pilot


def test_a_connection_killed_between_requests_is_replaced(processes, tmp_path, launched, owner):
    browser = Browser(start_web(processes, tmp_path, WEB))
    browser.login("owner")
    assert browser.get("/my-work/")[0] == 200
    before = backends(WEB)
    assert before, "gunicorn keeps its connection (CONN_MAX_AGE)"

    assert terminate(WEB) == len(before)
    wait_for(lambda: not backends(WEB), 10, "the backend to end")

    status, _, seconds = browser.get("/my-work/")
    assert status == 200 and seconds < 5
    assert backends(WEB) and set(backends(WEB)).isdisjoint(before)


def test_a_connection_killed_mid_request_fails_that_request_only(
    processes, tmp_path, launched, owner
):
    web = start_web(processes, tmp_path, WEB)
    browser = Browser(web)
    browser.login("owner")
    page = f"/pilots/{launched.pk}/"
    assert browser.get(page)[0] == 200

    outcome = {}
    with admin_connection() as lock:
        lock.autocommit = False
        lock.execute("LOCK TABLE pilots_pilot IN ACCESS EXCLUSIVE MODE")
        request = threading.Thread(target=lambda: outcome.update(r=browser.get(page, timeout=30)))
        request.start()
        wait_for(lambda: backends(WEB, waiting_for_lock=True), 20, "the request to wait")
        terminate(WEB)
        lock.rollback()
    request.join(30)
    status, body, seconds = outcome["r"]
    assert status == 500 and seconds < 20
    assert "Traceback" not in body  # a finished error page, not a debug dump

    assert browser.get(page)[0] == 200
    item = Deliverable.objects.filter(owner=owner).order_by("due_date", "pk").first()
    status, _, _ = browser.post(
        f"/pilots/{launched.pk}/deliverables/{item.pk}/tick/", {"version": item.version}
    )
    assert status == 302
    item.refresh_from_db()
    assert item.status == Deliverable.Status.DONE


def test_a_connection_killed_mid_task_is_retried_to_success(
    processes, tmp_path, launched, pm, celery_to
):
    from pilots.tasks import render_portfolio_report

    worker = start_worker(processes, tmp_path, WORKER)
    report = PortfolioReport.objects.create(requested_by=pm)
    with admin_connection() as lock:
        lock.autocommit = False
        lock.execute("LOCK TABLE pilots_portfolioreport IN ACCESS EXCLUSIVE MODE")
        render_portfolio_report.delay(report.pk)
        wait_for(lambda: backends(WORKER, waiting_for_lock=True), 60, "the task to wait")
        terminate(WORKER)
        lock.rollback()

    def ready():
        report.refresh_from_db()
        return report.status == PortfolioReport.Status.READY

    wait_for(ready, 90, "the retried task to render the report", every=0.5)
    assert bytes(report.pdf).startswith(b"%PDF")
    # Received twice: the first run died with its connection, the retry finished.
    received = [line for line in worker.output().splitlines() if "render_portfolio_report[" in line]
    assert sum("received" in line for line in received) >= 2, received
    assert worker.alive()
