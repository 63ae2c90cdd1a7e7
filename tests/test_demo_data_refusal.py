"""Demo data (users with a published password) never goes into a production database.

Production, as config/settings.py defines it: DEBUG off, and either a public host in
ALLOWED_HOSTS or a real SECRET_KEY. Each command refuses before touching the database
(the URL below points nowhere).
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_KEY = "p" * 20 + "Vx8-Qm2Lr7Tz4Nw1Bk9Hs6Dj3Fc0Ga5Ye"
NOWHERE = "postgres://ninety@db.invalid:5432/ninety"


def _run(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", command],
        cwd=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PATH": "",
            "DATABASE_URL": NOWHERE,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("command", ["load_demo", "load_demo_governance"])
def test_demo_commands_refuse_a_public_host(command):
    result = _run(command, {"ALLOWED_HOSTS": "ninety.example.com", "SECRET_KEY": REAL_KEY})
    assert result.returncode != 0
    assert "Refusing to load demo data into a production configuration" in result.stderr


@pytest.mark.parametrize("command", ["load_demo", "load_demo_governance"])
def test_demo_commands_refuse_a_real_secret_key_even_on_localhost(command):
    result = _run(command, {"ALLOWED_HOSTS": "localhost", "SECRET_KEY": REAL_KEY})
    assert result.returncode != 0
    assert "Refusing to load demo data" in result.stderr


def test_load_demo_runs_on_a_laptop(db, settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    assert settings.PRODUCTION is False
    with pytest.raises(CommandError, match="No default playbook"):  # past the guard
        call_command("load_demo")
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="Refusing to load demo data"):
        call_command("load_demo")
