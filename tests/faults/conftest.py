"""Fault tests: the real processes (gunicorn, a Celery worker, a beat) on the test
database, and a Redis of their own, broken on purpose.

They never touch the shared Redis on 6379: each run starts `redis-server` on port 6391
without persistence and stops it again. Processes are found in PostgreSQL by their
application_name, so only our own connections are ever terminated.
"""

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.conftest import IN_CI, needs_postgres

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = 6391
BROKER = f"redis://127.0.0.1:{REDIS_PORT}/0"


def wait_for(condition, timeout: float = 60, what: str = "condition", every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(application_name: str) -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        f"?application_name={application_name}"
    )


def admin_connection() -> psycopg.Connection:
    """A connection of the test's own, outside Django, for locks and terminations."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname=db["NAME"],
        autocommit=True,
    )


def backends(application_name: str, *, waiting_for_lock: bool = False) -> list[int]:
    with admin_connection() as conn:
        sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        sql += "AND application_name = %s"
        if waiting_for_lock:
            sql += " AND wait_event_type = 'Lock'"
        return [row[0] for row in conn.execute(sql, [application_name])]


def terminate(application_name: str) -> int:
    with admin_connection() as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_name],
        ).fetchall()
    return len(rows)


def process_env(var_dir: Path, application_name: str, **extra: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(application_name),
        "CONN_MAX_AGE": "60",
        "NINETY_VAR_DIR": str(var_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DEBUG": "0",
        "LOG_FORMAT": "json",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


class Process:
    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


@pytest.fixture
def processes(tmp_path):
    started: list[Process] = []

    def start(name: str, args: list[str], env: dict) -> Process:
        process = Process(name, args, env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()


def start_web(start, var_dir: Path, application_name: str, **extra) -> str:
    port = free_port()
    start(
        "web",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            extra.pop("workers", "1"),
            "config.wsgi:application",
        ],
        process_env(var_dir, application_name, **extra),
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(f"{base}/healthz"), 30, "gunicorn to answer")
    return base


def start_worker(start, var_dir: Path, application_name: str, **extra) -> object:
    return start(
        "worker",
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
            "fault@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        process_env(
            var_dir,
            application_name,
            CELERY_BROKER_URL=BROKER,
            CELERY_TASK_ALWAYS_EAGER="false",
            **extra,
        ),
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


class Browser:
    """A person at a browser: cookies, CSRF tokens, real logins, a timeout on everything."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 10):
        body = urllib.parse.urlencode(data or {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.base + path, data=body, method=method)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        return status, text, time.monotonic() - started

    def get(self, path: str, timeout: float = 10):
        return self.request("GET", path, timeout=timeout)

    def post(self, path: str, data: dict | None = None, timeout: float = 10):
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **(data or {})}, timeout)

    def login(self, username: str, password: str = "pw") -> None:
        status, page, _ = self.get("/accounts/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _, _ = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        assert status == 302, f"login of {username} failed ({status})"


def real_password(user, password: str = "pw") -> None:
    """The suite hashes with MD5 for speed; the servers under test know the real hashers."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(password, hasher.salt())
    user.save(update_fields=["password"])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def own_redis(tmp_path):
    """Redis of our own on 6391, no persistence; `stop()` and `start()` it at will."""
    if not shutil.which("redis-server"):
        if IN_CI:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")

    class OwnRedis:
        url = BROKER

        def start(self) -> None:
            subprocess.run(
                [
                    "redis-server",
                    "--port",
                    str(REDIS_PORT),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "yes",
                    "--dir",
                    str(tmp_path),
                    "--pidfile",
                    str(tmp_path / "redis.pid"),
                    "--logfile",
                    str(tmp_path / "redis.log"),
                ],
                check=True,
            )
            wait_for(self.up, 10, "redis to start")

        def up(self) -> bool:
            import redis

            try:
                return redis.Redis(port=REDIS_PORT, socket_connect_timeout=0.5).ping()
            except redis.RedisError:
                return False

        def stop(self) -> None:
            # Our own server, by the pid it wrote: SIGTERM, and with nothing to save it
            # exits at once.
            pid = int((tmp_path / "redis.pid").read_text())
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not self.up(), 15, "redis to stop")

    assert not OwnRedis().up(), f"something already listens on port {REDIS_PORT}"
    server = OwnRedis()
    try:
        server.start()
        yield server
    finally:
        if (tmp_path / "redis.pid").exists():
            server.stop()


@pytest.fixture
def live_db(transactional_db):
    """Committed rows, so the processes under test see what the test builds."""
    needs_postgres()


@pytest.fixture
def celery_to(own_redis):
    """Point this process's Celery app at our Redis (the integration tests do the same)."""
    from kombu import pools

    from config.celery import app as celery_app

    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = own_redis.url

    def forget():
        pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    forget()
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
    forget()
