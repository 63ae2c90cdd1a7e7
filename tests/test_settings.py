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
