"""`make bench`: the figures of BENCHMARKS.md, measured on PostgreSQL.

1. Create a throwaway database beside DATABASE_URL's, point Django at it, migrate.
2. Build the data each figure names (its own, never the developer's data).
3. Warm up, then time N requests through Django's test client, in-process; count the
   queries of one further request separately so counting does not slow the timings.
4. Print a line per figure, then ONE JSON line with every figure; drop the database.

Run: `make bench` or `make bench ONLY=pilot_page,tick`.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlparse, urlunparse

import psycopg

REQUESTS = 60
WARMUP = 5


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summarise(samples_ms: list[float], queries: int, **extra) -> dict:
    return {
        "median_ms": round(statistics.median(samples_ms), 2),
        "p95_ms": round(percentile(samples_ms, 95), 2),
        "queries": queries,
        "n": len(samples_ms),
        **extra,
    }


def timed(call: Callable[[], object], n: int = REQUESTS, warmup: int = WARMUP) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def count_queries(call: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


class ThrowawayDatabase:
    def __init__(self, url: str):
        parts = urlparse(url)
        self.name = f"ninety_bench_{os.getpid()}"
        self.admin_url = urlunparse(parts._replace(path="/postgres"))
        self.url = urlunparse(parts._replace(path=f"/{self.name}"))

    def __enter__(self) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc) -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the figures ---------------------------------------------------------------------


def bench_pilot_page(world) -> dict:
    pilot = world.pilot_with(60)
    client = world.client_for(world.pm)
    url = f"/pilots/{pilot.pk}/"
    check(client.get(url))
    samples = timed(lambda: client.get(url))
    return summarise(
        samples, count_queries(lambda: client.get(url)), deliverables=pilot.deliverables.count()
    )


def bench_my_work(world) -> dict:
    owner = world.owner_with_open_work(pilots=50, per_pilot=4)
    client = world.client_for(owner)
    check(client.get("/my-work/"))
    samples = timed(lambda: client.get("/my-work/"))
    from pilots.models import Deliverable

    return summarise(
        samples,
        count_queries(lambda: client.get("/my-work/")),
        open_deliverables=Deliverable.objects.for_my_work(owner).count(),
    )


def bench_tick(world) -> dict:
    from pilots.models import Deliverable

    pilot = world.pilot_with(60)
    item = pilot.deliverables.first()
    client = world.client_for(world.pm)

    def next_toggle() -> tuple[str, dict]:
        """Tick when open, untick when done, with the version the page would carry."""
        current = Deliverable.objects.only("status", "version").get(pk=item.pk)
        verb = "untick" if current.status == "done" else "tick"
        return f"/pilots/{pilot.pk}/deliverables/{item.pk}/{verb}/", {"version": current.version}

    samples = []
    for i in range(REQUESTS + WARMUP):
        url, data = next_toggle()  # the page's part, not timed
        start = time.perf_counter()
        check(client.post(url, data, HTTP_HX_REQUEST="true"))
        if i >= WARMUP:
            samples.append((time.perf_counter() - start) * 1000)
    url, data = next_toggle()
    queries = count_queries(lambda: check(client.post(url, data, HTTP_HX_REQUEST="true")))
    return summarise(samples, queries)


def bench_launch_pilot(world) -> dict:
    """Launch through the page, by the programme manager, of pilots whose five intake
    decisions are answered (the launch checks them): every phase, deliverable, rollout
    step and the start decision in one transaction. Each launch is checked to have
    produced its plan, so a refused launch (also a redirect) cannot pass for a fast one."""
    from datetime import timedelta
    from decimal import Decimal

    from pilots import services
    from pilots.models import CostLine, Intake, Pilot

    client = world.client_for(world.pm)
    templates = world.playbook_templates
    sponsor, owner = world._user("bench-sponsor"), world._user("bench-prod-owner")

    def fresh_pilot():
        pilot = services.pilot_create(
            name="Bench launch",
            business_unit="Bench",
            problem="Timing launch.",
            programme_manager=world.pm,
            sponsor=sponsor,
            production_owner=owner,
            kickoff_date=world.today,
            playbook=world.playbook,
        )
        Pilot.objects.filter(pk=pilot.pk).update(
            success_metric="Minutes to route a claim",
            success_unit="min",
            success_baseline=Decimal(14),
            success_target=Decimal(9),
            success_target_date=world.today + timedelta(days=180),
        )
        Intake.objects.create(
            pilot=pilot,
            governance_engaged_on=world.today - timedelta(days=10),
            governance_engaged_with="Risk and privacy office",
            governance_early_read="No blocker seen; a DPIA is needed before production.",
            expected_yearly_benefit=Decimal(250_000),
            workforce_plan="Claims handlers trained in two sessions before the canary.",
        )
        CostLine.objects.create(pilot=pilot, category="licences", annual_cost=Decimal(40_000))
        return pilot

    def launched(pilot) -> None:
        if not Pilot.objects.filter(pk=pilot.pk, launched_at__isnull=False).exists():
            raise SystemExit("launch_pilot: the launch was refused")

    samples = []
    for i in range(REQUESTS + WARMUP):
        pilot = fresh_pilot()
        start = time.perf_counter()
        response = client.post(f"/pilots/{pilot.pk}/launch/")
        elapsed = (time.perf_counter() - start) * 1000
        check(response, expect=302)
        launched(pilot)
        if i >= WARMUP:
            samples.append(elapsed)
    pilot = fresh_pilot()
    queries = count_queries(lambda: client.post(f"/pilots/{pilot.pk}/launch/"))
    launched(pilot)
    deliverables = pilot.deliverables.count()
    return summarise(samples, queries, templates=templates, deliverables=deliverables)


def _signoff_pdf(world, deliverables: int) -> dict:
    """Render a gate's sign-off packet (gather, template, WeasyPrint), median of 5, against
    the floor: WeasyPrint alone on the same HTML string, with the same fetcher."""
    from governance import documents
    from pilots import services

    pilot = world.pilot_with(0)
    run = pilot.phase_runs.select_related("phase", "pilot").get(number=1)
    for i in range(deliverables):
        services.deliverable_add_custom(
            pilot=pilot,
            phase_run=run,
            title=f"Deliverable {i} of the sign-off benchmark",
            dimension="data",
            due_date=run.planned_end,
            owner=world.pm,
            mandatory=i % 3 == 0,
        )
    run.pilot = pilot

    def full() -> bytes:
        return documents.html_to_pdf(documents.packet_html(documents.packet_for(run, draft=False)))

    html = documents.packet_html(documents.packet_for(run, draft=False))
    samples = timed(full, n=5, warmup=1)
    floor = timed(lambda: documents.html_to_pdf(html), n=5, warmup=1)
    median, floor_ms = statistics.median(samples), statistics.median(floor)
    return summarise(
        samples,
        count_queries(full),
        floor_ms=round(floor_ms, 2),
        ratio=round(median / floor_ms, 3),
        deliverables=deliverables,
        pdf_bytes=len(full()),
    )


def bench_api_deliverable_update(world) -> dict:
    """PATCH /api/v1/deliverables/<id> by the deliverable's owner, with a personal API
    token: done, then back to todo, alternately, each with the version the previous
    answer returned. Each answer is checked (200, the status asked for); building the
    body and reading the answer are the client's part, not timed."""
    pilot = world.pilot_with(60)
    item = pilot.deliverables.exclude(owner=world.pm).filter(status="todo").order_by("pk")[0]
    client = world.api_client_for(item.owner)
    url = f"/api/v1/deliverables/{item.pk}"
    state = {"version": item.version, "status": item.status}

    def next_body() -> dict:
        wanted = "todo" if state["status"] == "done" else "done"
        return {"version": state["version"], "status": wanted}

    def send(body: dict):
        return client.patch(url, body, content_type="application/json")

    def read(response, body: dict) -> None:
        answer = check(response).json()
        if answer["status"] != body["status"]:
            raise SystemExit(f"api_deliverable_update: answered {answer['status']}")
        state.update(version=answer["version"], status=answer["status"])

    samples = []
    for i in range(REQUESTS + WARMUP):
        body = next_body()
        start = time.perf_counter()
        response = send(body)
        elapsed = (time.perf_counter() - start) * 1000
        read(response, body)
        if i >= WARMUP:
            samples.append(elapsed)
    body = next_body()
    queries = count_queries(lambda: read(send(body), body))
    return summarise(samples, queries, version=state["version"])


# --- portfolio: 1,000 pilots x ~45 deliverables ------------------------------------------

PORTFOLIO_REQUESTS = 40

# The same per-pilot numbers as `pilots.portfolio.rows`, written by hand: deliverable
# counts, gate and phase facts, cost, latest reading, last triage, launch override, AI Act
# class and the people's names, for every pilot, fetched into Python. The page's floor.
FLOOR_SQL = """
WITH d AS (
  SELECT pilot_id,
         count(*) AS total,
         count(*) FILTER (WHERE status IN ('done', 'waived')) AS closed,
         count(*) FILTER (WHERE status IN ('todo', 'in_progress') AND due_date < %(today)s)
           AS overdue,
         count(*) FILTER (WHERE status IN ('todo', 'in_progress') AND mandatory
                          AND due_date < %(late)s) AS late_mandatory,
         count(*) FILTER (WHERE status IN ('todo', 'in_progress') AND owner_id IS NULL
                          AND due_date <= %(soon)s) AS unowned_soon,
         max(done_at) AS last_done
  FROM pilots_deliverable GROUP BY pilot_id
), r AS (
  SELECT pilot_id,
         max(number) FILTER (WHERE planned_start <= %(today)s) AS current_phase,
         min(number) FILTER (WHERE state <> 'signed_off') AS next_gate,
         bool_or(state <> 'signed_off' AND planned_end < %(today)s) AS overrun,
         max(planned_end) AS plan_end
  FROM pilots_phaserun GROUP BY pilot_id
), c AS (
  SELECT pilot_id, sum(annual_cost) AS cost FROM pilots_costline GROUP BY pilot_id
), k AS (
  SELECT DISTINCT ON (pilot_id) pilot_id, value, taken_on
  FROM pilots_kpireading ORDER BY pilot_id, taken_on DESC, id DESC
), t AS (
  SELECT pilot_id, max(decided_at) AS last_triage FROM pilots_decision
  WHERE in_triage GROUP BY pilot_id
), o AS (
  SELECT DISTINCT ON (pilot_id) pilot_id, rationale FROM pilots_decision
  WHERE kind = 'override' ORDER BY pilot_id, decided_at DESC
)
SELECT p.id, p.reference, p.name, p.business_unit, p.status, p.kickoff_date,
       po.first_name, po.last_name, pm.first_name, pm.last_name,
       p.success_metric, p.success_baseline, p.success_target,
       d.total, d.closed, d.overdue, d.late_mandatory, d.unowned_soon, d.last_done,
       r.current_phase, r.next_gate, ng.name, ng.planned_end, r.overrun, r.plan_end,
       c.cost, k.value, k.taken_on, t.last_triage, o.rationale, g.risk_class
FROM pilots_pilot p
LEFT JOIN auth_user po ON po.id = p.production_owner_id
JOIN auth_user pm ON pm.id = p.programme_manager_id
LEFT JOIN d ON d.pilot_id = p.id
LEFT JOIN r ON r.pilot_id = p.id
LEFT JOIN pilots_phaserun ng ON ng.pilot_id = p.id AND ng.number = r.next_gate
LEFT JOIN c ON c.pilot_id = p.id
LEFT JOIN k ON k.pilot_id = p.id
LEFT JOIN t ON t.pilot_id = p.id
LEFT JOIN o ON o.pilot_id = p.id
LEFT JOIN governance_classification g ON g.pilot_id = p.id AND g.superseded_at IS NULL
ORDER BY p.reference
"""


def _portfolio_client(world):
    world.portfolio_data()
    return world.client_for(world.leader)


def bench_portfolio(world) -> dict:
    """The page, against the floor: the hand-written aggregate of the same per-pilot numbers,
    run in this process. Also the page's chart image (`charts_*`), which the browser fetches
    beside the page."""
    from django.conf import settings
    from django.db import connection

    client = _portfolio_client(world)
    url = "/portfolio/"
    check(client.get(url))
    samples = timed(lambda: client.get(url), n=PORTFOLIO_REQUESTS)
    today = world.today
    params = {
        "today": today,
        "late": today - timedelta(days=7),
        "soon": today + timedelta(days=settings.NINETY_DUE_SOON_DAYS),
    }

    def floor_query() -> int:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, params)
            return len(cursor.fetchall())

    rows = floor_query()
    floor = statistics.median(timed(floor_query, n=PORTFOLIO_REQUESTS))
    median = statistics.median(samples)
    chart_url = "/portfolio/trend.svg"
    check(client.get(chart_url))
    charts = timed(lambda: client.get(chart_url), n=PORTFOLIO_REQUESTS)
    print_plans(world)
    return summarise(
        samples,
        count_queries(lambda: client.get(url)),
        floor_ms=round(floor, 2),
        ratio=round(median / floor, 2),
        pilots=rows,
        deliverables=world.portfolio_deliverables,
        charts_median_ms=round(statistics.median(charts), 2),
        charts_p95_ms=round(percentile(charts, 95), 2),
        charts_queries=count_queries(lambda: client.get(chart_url)),
    )


def bench_portfolio_filtered(world) -> dict:
    client = _portfolio_client(world)
    url = "/portfolio/?unit=Unit+3"
    check(client.get(url))
    samples = timed(lambda: client.get(url), n=PORTFOLIO_REQUESTS)
    from pilots.models import Pilot

    return summarise(
        samples,
        count_queries(lambda: client.get(url)),
        pilots=Pilot.objects.filter(business_unit="Unit 3").count(),
    )


def bench_portfolio_csv(world) -> dict:
    client = _portfolio_client(world)
    url = "/portfolio/export.csv"
    rows = check(client.get(url)).content.decode().count("\n") - 1
    samples = timed(lambda: client.get(url), n=PORTFOLIO_REQUESTS)
    return summarise(samples, count_queries(lambda: client.get(url)), rows=rows)


def bench_portfolio_pdf(world) -> dict:
    """The board-pack report of every pilot, as its worker renders it (read, charts,
    template, WeasyPrint), median of 3; the request that asks for it only queues it."""
    import shutil
    import subprocess
    import tempfile

    from pilots import reports
    from pilots.models import PortfolioReport

    world.portfolio_data()

    def render() -> PortfolioReport:
        report = PortfolioReport.objects.create(requested_by=world.leader)
        reports.report_render(report.pk)
        return PortfolioReport.objects.get(pk=report.pk)

    report = render()
    if report.status != PortfolioReport.Status.READY:
        raise SystemExit(f"portfolio report failed: {report.error}")
    samples = timed(render, n=3, warmup=0)
    pages = None
    if shutil.which("pdfinfo"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(bytes(report.pdf))
            handle.flush()
            info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True)
        counts = [line.split()[-1] for line in info.stdout.splitlines() if line[:6] == "Pages:"]
        pages = int(counts[0]) if counts else None
    queries = count_queries(render)
    return summarise(samples, queries, pdf_bytes=len(report.pdf), pages=pages, pilots=report.pilots)


def bench_api_pilot_list(world) -> dict:
    """GET /api/v1/pilots, the first page at the default limit, with a personal API token
    of leadership (who read every pilot, as in the portfolio figures) over the 1,000-pilot
    portfolio."""
    from pilots.models import Pilot

    world.portfolio_data()
    client = world.api_client_for(world.leader)
    url = "/api/v1/pilots"
    page = check(client.get(url)).json()
    samples = timed(lambda: check(client.get(url)))
    return summarise(
        samples,
        count_queries(lambda: check(client.get(url))),
        items=len(page["items"]),
        pilots=Pilot.objects.count(),
    )


def print_plans(world) -> None:
    """EXPLAIN the portfolio's three queries, unfiltered and for one business unit: which
    scans the database chooses (printed, not asserted: plans depend on statistics)."""
    from pilots import portfolio
    from pilots.models import Pilot

    for label, pilots in (
        ("unfiltered", Pilot.objects.for_portfolio()),
        ("one unit", Pilot.objects.for_portfolio().filter(business_unit="Unit 3")),
    ):
        ids = portfolio.scope(pilots)
        fields = (*portfolio.PILOT_FIELDS, *portfolio.facets())
        for name, queryset in (
            ("pilots", pilots.order_by().values_list(*fields)),
            ("deliverable counts", portfolio.deliverable_counts(ids, world.today)),
            ("phase runs", portfolio.phase_run_values(ids)),
        ):
            scans = [
                line.strip().lstrip("-> ").split("  (cost")[0]
                for line in queryset.explain().splitlines()
                if "Scan" in line
            ]
            print(f"  plan ({label}, {name}): " + " | ".join(dict.fromkeys(scans)), flush=True)


def bench_reminder_scan(world) -> dict:
    """The scan over 100,000 deliverables of 10,000 owners (claims written, nothing sent),
    then mails per second through a real worker (locmem backend) for 1,000 reminders.

    Memory: `peak_mb` is the peak resident set of a process that runs one scan and
    nothing else (tests/perf/scan_memory.py: Django started, then the scan), and
    `scan_growth_mb` how much of it the scan added to the started process; this process
    cannot tell, having built the data and rendered PDFs before. `python_alloc_peak_mb`
    is the peak of Python's own allocations during a scan here (tracemalloc), which
    leaves out the database driver's C buffers. Queries: on PostgreSQL the claim is one
    INSERT ... SELECT FROM unnest(arrays), so the count does not grow with the number of
    reminders.
    """
    import tracemalloc

    from django.db import connection

    from pilots import reminders
    from pilots.notifications_models import ReminderLog

    world.bulk_portfolio(pilots=1000, per_pilot=100, owners=10_000)
    now = timezone_now_at(world.today, 9)

    def clear() -> None:
        # Raw SQL: the ORM's delete would walk every row for its notification.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ReminderLog._meta.db_table}")  # noqa: S608

    alone = scan_in_own_process(now)
    walls = []
    for _ in range(3):
        clear()
        start = time.perf_counter()
        result = reminders.scan(now, send=False)
        walls.append(time.perf_counter() - start)
    clear()
    queries = count_queries(lambda: reminders.scan(now, send=False))
    clear()
    tracemalloc.start()
    reminders.scan(now, send=False)
    alloc_peak_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return {
        "wall_s": round(statistics.median(walls), 3),
        "queries": queries,
        "peak_mb": alone["peak_mb"],
        "scan_growth_mb": round(alone["peak_mb"] - alone["start_mb"], 1),
        "python_alloc_peak_mb": round(alloc_peak_mb, 1),
        "due": result.due,
        "claimed": result.claimed,
        "deliverables": 100_000,
        "owners": 10_000,
        "mails_per_s": mails_per_second(limit=1000),
    }


def scan_in_own_process(now) -> dict:
    """Run one scan in a fresh process (tests/perf/scan_memory.py); its JSON line."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "tests.perf.scan_memory", now.isoformat()],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def timezone_now_at(day, hour: int):
    from datetime import datetime
    from datetime import time as clock

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, clock(hour, 0)))


def mails_per_second(limit: int) -> float | None:
    """Queue `limit` claimed reminders to a real worker (locmem mail) and time them out."""
    import subprocess

    import redis
    from django.db import connection

    from config.celery import app as celery_app
    from pilots.notifications_models import ReminderLog
    from pilots.tasks import send_reminder

    broker = "redis://127.0.0.1:6379/6"
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        print("mails_per_s: Redis is not running; skipped", flush=True)
        return None
    ids = list(ReminderLog.objects.filter(kind="digest").values_list("pk", flat=True)[:limit])
    db = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DEBUG": "0",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, broker
    try:
        time.sleep(3)  # the worker boots (Django, Celery) before the clock starts
        start = time.perf_counter()
        for pk in ids:
            send_reminder.delay(pk)
        while ReminderLog.objects.filter(pk__in=ids, status="sent").count() < len(ids):
            if time.perf_counter() - start > 300:
                return None
            time.sleep(0.2)
        return round(len(ids) / (time.perf_counter() - start), 1)
    finally:
        celery_app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(30)


# Portfolio figures first: they count every pilot, so they run before the others add theirs.
FIGURES = {
    "portfolio": bench_portfolio,
    "portfolio_filtered": bench_portfolio_filtered,
    "portfolio_csv": bench_portfolio_csv,
    "portfolio_pdf": bench_portfolio_pdf,
    "api_pilot_list": bench_api_pilot_list,
    "pilot_page": bench_pilot_page,
    "my_work": bench_my_work,
    "tick": bench_tick,
    "api_deliverable_update": bench_api_deliverable_update,
    "launch_pilot": bench_launch_pilot,
    "signoff_pdf_60": lambda world: _signoff_pdf(world, 60),
    "signoff_pdf_300": lambda world: _signoff_pdf(world, 300),
    "reminder_scan": bench_reminder_scan,
}


def check(response, expect: int = 200):
    if response.status_code != expect:
        raise SystemExit(f"benchmark request failed: {response.status_code} (wanted {expect})")
    return response


class World:
    """The people and playbook every figure shares; each figure builds its own pilots."""

    def __init__(self):
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from django.utils import timezone

        from pilots.roles import Role
        from playbook.models import DeliverableTemplate, Playbook

        call_command("load_playbooks", verbosity=0)
        self.playbook = Playbook.default()
        self.playbook_templates = DeliverableTemplate.objects.filter(
            phase__playbook=self.playbook
        ).count()
        self.today = timezone.localdate()
        self.pm = self._user("bench-pm")
        self.pm.groups.add(Group.objects.get_or_create(name=Role.PROGRAMME_MANAGER)[0])
        self.leader = self._user("bench-lead")
        self.leader.groups.add(Group.objects.get_or_create(name=Role.LEADERSHIP)[0])
        self.serial = 0
        self.portfolio_deliverables = None

    def _user(self, username: str):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.create_user(username=username, first_name="Bench")

    def client_for(self, user):
        from django.test import Client

        client = Client()
        client.force_login(user)
        return client

    def api_client_for(self, user):
        """A client of the JSON API, with a personal API token of `user`."""
        from django.test import Client

        from config.accounts import tokens

        _token, raw = tokens.api_token_create(user=user, name="bench")
        return Client(headers={"authorization": f"Bearer {raw}"})

    def pilot_with(self, deliverables: int, kickoff_days_ago: int = 40):
        """A launched pilot of the default playbook, trimmed or padded to `deliverables`."""
        from pilots import services
        from pilots.models import Deliverable

        self.serial += 1
        pilot = services.pilot_create(
            name=f"Bench pilot {self.serial}",
            business_unit="Bench",
            problem="Benchmark data.",
            programme_manager=self.pm,
            kickoff_date=self.today - timedelta(days=kickoff_days_ago),
            playbook=self.playbook,
        )
        services.pilot_launch(pilot=pilot)
        have = pilot.deliverables.count()
        if have > deliverables:
            extra = pilot.deliverables.order_by("-pk").values_list("pk", flat=True)[
                : have - deliverables
            ]
            Deliverable.objects.filter(pk__in=list(extra)).delete()
        run = pilot.phase_runs.first()
        for i in range(deliverables - have):
            services.deliverable_add_custom(
                pilot=pilot,
                phase_run=run,
                title=f"Extra {i}",
                dimension="data",
                due_date=run.planned_end,
            )
        items = list(pilot.deliverables.order_by("due_date", "pk"))
        owners = [self.pm, self._user(f"bench-owner-{self.serial}")]
        for index, item in enumerate(items):
            item.owner = owners[index % 2]
            if item.due_date < self.today and index % 3:
                item.status = Deliverable.Status.DONE
                item.done_at = item.updated_at
                item.done_by = self.pm
        Deliverable.objects.bulk_update(items, ["owner", "status", "done_at", "done_by"])
        return pilot

    def bulk_portfolio(self, pilots: int, per_pilot: int, owners: int) -> None:
        """Launched pilots straight into the tables (the launch service is measured
        elsewhere): each pilot's deliverables due from 30 days ago to 60 days ahead,
        owners round-robin over `owners` users with e-mail addresses."""
        from django.contrib.auth import get_user_model

        from pilots.models import Deliverable, PhaseRun, Pilot

        User = get_user_model()
        people = User.objects.bulk_create(
            [
                User(username=f"bulk-{i}", email=f"bulk-{i}@example.com", password="!")
                for i in range(owners)
            ],
            batch_size=2000,
        )
        phases = list(self.playbook.phases.order_by("number"))
        kickoff = self.today - timedelta(days=40)
        made = Pilot.objects.bulk_create(
            [
                Pilot(
                    reference=f"B-{i:05d}",
                    name=f"Bulk pilot {i}",
                    business_unit=f"Unit {i % 12}",
                    problem="Benchmark data.",
                    programme_manager=self.pm,
                    playbook=self.playbook,
                    kickoff_date=kickoff,
                    status=Pilot.Status.ACTIVE,
                    launched_at=self.now(),
                    production_owner=people[i % owners],
                )
                for i in range(pilots)
            ],
            batch_size=1000,
        )
        runs = PhaseRun.objects.bulk_create(
            [
                PhaseRun(
                    pilot=pilot,
                    phase=phase,
                    number=phase.number,
                    name=phase.name,
                    planned_start=kickoff + timedelta(days=phase.start_day - 1),
                    planned_end=kickoff + timedelta(days=phase.end_day - 1),
                    state=PhaseRun.State.ACTIVE
                    if phase.number == 2
                    else PhaseRun.State.SIGNED_OFF
                    if phase.number == 1
                    else PhaseRun.State.UPCOMING,
                )
                for pilot in made
                for phase in phases
            ],
            batch_size=3000,
        )
        first_runs = {run.pilot_id: run for run in runs if run.number == 2}
        batch = []
        for index, pilot in enumerate(made):
            for n in range(per_pilot):
                due = self.today + timedelta(days=(n * 7 + index) % 90 - 30)
                batch.append(
                    Deliverable(
                        pilot=pilot,
                        phase_run=first_runs[pilot.pk],
                        order=n,
                        title=f"Item {n}",
                        workstream="Bench",
                        dimension="data",
                        start_date=due - timedelta(days=7),
                        due_date=due,
                        owner=people[(index * per_pilot + n) % owners],
                        mandatory=n % 10 == 0,
                    )
                )
            if len(batch) >= 20_000:
                Deliverable.objects.bulk_create(batch, batch_size=5000)
                batch = []
        Deliverable.objects.bulk_create(batch, batch_size=5000)

    def portfolio_data(self, pilots: int = 1000, per_pilot: int = 45) -> None:
        """A portfolio like a real one, straight into the tables, once: kickoffs spread over
        the last 120 days, 12 business units, 10 programme managers; most pilots running,
        some in intake (no plan yet), in production, paused or stopped; work due before
        today mostly done on time, some late, some unowned; costs, readings and AI Act
        classes for most."""
        if self.portfolio_deliverables is not None:
            return
        from decimal import Decimal

        from django.contrib.auth import get_user_model

        from governance.models import Classification
        from pilots.models import CostLine, Deliverable, KpiReading, PhaseRun, Pilot

        User = get_user_model()
        managers = User.objects.bulk_create(
            [User(username=f"pm-{i}", first_name="PM", last_name=str(i)) for i in range(10)]
        )
        people = User.objects.bulk_create(
            [User(username=f"team-{i}", first_name="Team", last_name=str(i)) for i in range(200)]
        )
        phases = list(self.playbook.phases.order_by("number"))
        statuses = ["active"] * 15 + ["intake", "in_production", "paused", "killed"]
        made = Pilot.objects.bulk_create(
            [
                Pilot(
                    reference=f"F-{i:05d}",
                    name=f"Portfolio pilot {i}",
                    business_unit=f"Unit {i % 12}",
                    problem="Benchmark data.",
                    programme_manager=managers[i % 10],
                    production_owner=None if i % 23 == 0 else people[i % 200],
                    playbook=self.playbook,
                    kickoff_date=self.today - timedelta(days=i * 37 % 120),
                    status=statuses[i % len(statuses)],
                    launched_at=None if statuses[i % len(statuses)] == "intake" else self.now(),
                    success_metric="Hours saved a week" if i % 2 else "",
                    success_unit="h",
                    success_baseline=Decimal(40) if i % 2 else None,
                    success_target=Decimal(10) if i % 2 else None,
                )
                for i in range(pilots)
            ]
        )
        launched = [pilot for pilot in made if pilot.status != "intake"]
        runs = PhaseRun.objects.bulk_create(
            [
                PhaseRun(
                    pilot=pilot,
                    phase=phase,
                    number=phase.number,
                    name=phase.name,
                    planned_start=pilot.kickoff_date + timedelta(days=phase.start_day - 1),
                    planned_end=pilot.kickoff_date + timedelta(days=phase.end_day - 1),
                    # Gates of finished phases mostly signed; one in five left unsigned.
                    state="signed_off"
                    if pilot.kickoff_date + timedelta(days=phase.end_day - 1) < self.today
                    and pilot.pk % 5
                    else "active",
                )
                for pilot in launched
                for phase in phases
            ]
        )
        run_of = {(run.pilot_id, run.number): run for run in runs}
        batch, count = [], 0
        for pilot in launched:
            for n in range(per_pilot):
                day = 1 + n * 2
                due = pilot.kickoff_date + timedelta(days=day - 1)
                late = (pilot.pk + n) % 9 == 0
                done = due < self.today and not late
                batch.append(
                    Deliverable(
                        pilot=pilot,
                        phase_run=run_of[(pilot.pk, 1 + min(day - 1, 89) // 30)],
                        order=n,
                        title=f"Item {n}",
                        workstream="Bench",
                        dimension="data",
                        start_date=due - timedelta(days=6),
                        due_date=due,
                        owner=None if (pilot.pk + n) % 17 == 0 else people[(pilot.pk + n) % 200],
                        mandatory=n % 6 == 0,
                        status="done" if done else "todo",
                        done_at=self.at(due) if done else None,
                    )
                )
            count += per_pilot
        Deliverable.objects.bulk_create(batch, batch_size=5000)
        CostLine.objects.bulk_create(
            CostLine(pilot=pilot, category=category, annual_cost=Decimal(10_000 + pilot.pk))
            for pilot in made[::5] + made[1::5] + made[2::5]
            for category in ("licences", "infrastructure", "staff")
        )
        KpiReading.objects.bulk_create(
            KpiReading(pilot=pilot, taken_on=self.today - timedelta(days=d), value=Decimal(30 - d))
            for pilot in made[1::2]
            for d in (14, 7)
        )
        Classification.objects.bulk_create(
            Classification(
                pilot=pilot,
                risk_class=("minimal", "limited", "high_risk")[pilot.pk % 3],
                organisation_role="deployer",
                prepared_by=self.pm,
            )
            for pilot in made
            if pilot.pk % 10 < 7
        )
        self.portfolio_deliverables = count
        # Fresh statistics, as autovacuum keeps them on a live database.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def at(self, day):
        return timezone_now_at(day, 15)

    def now(self):
        from django.utils import timezone

        return timezone.now()

    def owner_with_open_work(self, pilots: int, per_pilot: int):
        from pilots import services

        owner = self._user("bench-my-work")
        for _ in range(pilots):
            pilot = self.pilot_with(per_pilot * 3)
            ids = list(pilot.deliverables.order_by("pk").values_list("pk", flat=True)[:per_pilot])
            services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
            pilot.deliverables.filter(pk__in=ids).update(status="todo", done_at=None, done_by=None)
        return owner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated figure names")
    args = parser.parse_args()
    asked = [n for n in args.only.split(",") if n] or list(FIGURES)
    unknown = set(asked) - set(FIGURES)
    wanted = [name for name in FIGURES if name in asked]
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}; know {', '.join(FIGURES)}")

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ninety")
    if not base_url.startswith("postgres"):
        parser.error("benchmarks run on PostgreSQL: set DATABASE_URL to a postgres:// URL")
    with ThrowawayDatabase(base_url) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ["DEBUG"] = "0"
        # The request log (one JSON line a request) would bury the figures; warnings stay.
        os.environ["LOG_LEVEL"] = "WARNING"
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        # The API figures send more requests a minute than the per-token limit allows.
        settings.NINETY_API_RATE_PER_MINUTE = 0

        call_command("migrate", verbosity=0)
        world = World()
        results = {}
        for name in wanted:
            started = time.perf_counter()
            results[name] = FIGURES[name](world)
            figure = results[name]
            if "median_ms" in figure:
                headline = (
                    f"median {figure['median_ms']} ms, p95 {figure['p95_ms']} ms, "
                    f"{figure['queries']} queries per request"
                )
            else:
                headline = ", ".join(f"{key} {value}" for key, value in figure.items())
            print(f"{name}: {headline} ({time.perf_counter() - started:.1f} s)", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
