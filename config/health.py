"""Health probes for load balancers and container orchestrators.

- /healthz: the process is up and serving. Touches nothing else, so a database outage
  never makes an orchestrator restart healthy web containers.
- /readyz: this instance can do its work: the database answers, the broker answers, and
  every migration in the code is applied. 503 with a JSON body naming what failed (the
  reasons go to the log, not to the caller).

Each check has a short timeout of its own: a probe must answer before the prober gives up.
"""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

log = logging.getLogger("ninety.health")

BROKER_TIMEOUT_SECONDS = 1.0
# Once every migration is applied it stays so for the life of this process (new code
# means a new process), so the migration graph is read from disk only until then.
_migrations_applied = False


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise RuntimeError(f"{len(plan)} unapplied: {names}")
    _migrations_applied = True


def _check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not url:
        return "not used (tasks run in-process)"
    if not url.startswith(("redis://", "rediss://")):
        return "not checked (not Redis)"
    client = redis.Redis.from_url(
        url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    failed: list[str] = []
    for name, check in (
        ("database", _check_database),
        ("migrations", _check_migrations),
        ("broker", _check_broker),
    ):
        if name == "migrations" and "database" in failed:
            checks[name] = "not checked (no database)"
            continue
        try:
            checks[name] = check() or "ok"
        except Exception as exc:  # any failure is the answer, not an error page
            failed.append(name)
            # The details (host names, addresses) go to the log, not to whoever asks.
            checks[name] = "failed"
            log.warning(
                "not ready: %s: %s: %s",
                name,
                type(exc).__name__,
                exc,
                extra={"event": "readyz.failed", "check": name},
            )
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "checks": checks}, status=503
        )
    return JsonResponse({"status": "ok", "checks": checks})
