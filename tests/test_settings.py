"""Settings come from the environment; every variable is documented; unsafe production
values are refused at start-up."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_environment_variable_is_documented_in_env_example():
    read = set(
        re.findall(
            r'env_(?:str|bool|int|list)\("([A-Z_]+)"', (ROOT / "config" / "settings.py").read_text()
        )
    )
    documented = (ROOT / ".env.example").read_text()
    assert read and not {name for name in read if name not in documented}


def test_every_variable_of_the_stack_and_gunicorn_is_documented_in_env_example():
    compose = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    gunicorn = set(
        re.findall(r'environ\.get\("([A-Z_]+)"', (ROOT / "config" / "gunicorn.py").read_text())
    )
    documented = (ROOT / ".env.example").read_text()
    assert compose and gunicorn
    assert not {name for name in compose | gunicorn if name not in documented}


def _start(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "", **env},
        capture_output=True,
        text=True,
    )


def test_a_public_host_needs_a_real_secret_key_and_no_debug():
    refused = _start({"ALLOWED_HOSTS": "ninety.example.com"})
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
    debug = _start({"ALLOWED_HOSTS": "ninety.example.com", "SECRET_KEY": "x" * 50, "DEBUG": "1"})
    assert debug.returncode != 0 and "DEBUG must be off" in debug.stderr
    assert _start({"ALLOWED_HOSTS": "ninety.example.com", "SECRET_KEY": "x" * 50}).returncode == 0


def test_a_malformed_value_fails_loudly():
    result = _start({"DEBUG": "maybe"})
    assert result.returncode != 0 and "DEBUG must be a yes/no value" in result.stderr


REAL_KEY = "k" * 20 + "3f9Qz7-LmW2xTr8vB1nY4pH6sDc0eJu5aKg"  # 55 characters, not a placeholder


def test_a_placeholder_secret_key_is_refused_on_a_public_host():
    refused = _start(
        {"ALLOWED_HOSTS": "ninety.example.com", "SECRET_KEY": "change-me-to-a-long-random-string"}
    )
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr


def test_missing_or_empty_allowed_hosts_is_refused():
    empty = _start({"ALLOWED_HOSTS": ""})
    assert empty.returncode != 0 and "ALLOWED_HOSTS is empty" in empty.stderr
    # A real secret key means a deployment: it must name its hosts, not fall back to ours.
    unset = _start({"SECRET_KEY": REAL_KEY})
    assert unset.returncode != 0 and "ALLOWED_HOSTS must be set" in unset.stderr
    assert _start({"SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "localhost"}).returncode == 0


PRODUCTION_ENV = {
    "ALLOWED_HOSTS": "ninety.example.com",
    "SECRET_KEY": REAL_KEY,
    "NINETY_TRUSTED_PROXIES": "1",
    "CSRF_TRUSTED_ORIGINS": "https://ninety.example.com",
    "DATABASE_URL": "postgres://ninety:ninety@db.invalid:5432/ninety",
}


def _check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_passes_with_production_settings():
    result = _check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_is_switched_off():
    # The gate is real: the same deployment without HTTPS hardening does not pass.
    result = _check_deploy({**PRODUCTION_ENV, "NINETY_HTTPS": "false"})
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def _settings_of(env: dict, *names: str) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print(repr(settings.{name}))" for name in names
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split("\n")[: len(names)]


def test_production_hardens_cookies_and_transport():
    values = _settings_of(
        PRODUCTION_ENV,
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "PRODUCTION",
    )
    assert values == [
        "True",
        "True",
        "True",
        "True",
        "'Lax'",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "True",
    ]


def test_a_try_out_on_localhost_is_not_production_and_not_https():
    assert _settings_of({}, "PRODUCTION", "HTTPS", "SECURE_PROXY_SSL_HEADER") == [
        "False",
        "False",
        "None",
    ]
    # Debug on a laptop is not production either, whatever the key.
    assert _settings_of({"DEBUG": "1", "SECRET_KEY": REAL_KEY}, "PRODUCTION") == ["False"]
    assert _settings_of(
        {"SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "localhost"}, "PRODUCTION", "HTTPS"
    ) == ["True", "False"]
