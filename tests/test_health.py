"""/healthz says the process is up; /readyz says whether this instance can work, and
names what is missing, quickly."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from config import health

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _forget_migration_state(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: any query would raise, and the answer would be a 500.
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


def test_probes_answer_by_ip_address_and_over_plain_http(client, settings, db):
    # A load balancer calls the container by its address, over HTTP; every other page
    # would refuse that host and redirect to HTTPS.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.1.2.3").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3").status_code == 200
    assert client.get(reverse("login"), HTTP_HOST="10.1.2.3").status_code == 400
    assert client.get(reverse("login")).status_code == 301


def test_readyz_is_ok_with_the_database_migrated_and_no_broker(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "broker": "not used (tasks run in-process)",
    }


def test_readyz_names_an_unreachable_broker_within_seconds(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"] and body["checks"]["broker"] == "failed"
    # The reason is logged, not told to whoever asked.
    assert "127.0.0.1" not in response.content.decode()


def _readyz_in_a_process(database_url: str) -> tuple[int, dict, float]:
    code = (
        "import django, json, time; django.setup()\n"
        "from django.test import Client\n"
        "started = time.monotonic(); r = Client().get('/readyz')\n"
        "print(json.dumps([r.status_code, r.json(), time.monotonic() - started]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "", "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return tuple(json.loads(result.stdout.strip().splitlines()[-1]))


def test_readyz_names_an_unreachable_database():
    status, body, seconds = _readyz_in_a_process("postgres://postgres@127.0.0.1:1/nothing")
    assert status == 503 and body["failed"] == ["database"]
    assert body["checks"]["migrations"] == "not checked (no database)"
    assert seconds < 5


def test_readyz_names_unapplied_migrations(tmp_path):
    status, body, _ = _readyz_in_a_process(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert status == 503 and body["failed"] == ["migrations"]
