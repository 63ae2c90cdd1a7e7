"""The backup and restore drill (tests/drill.py, `make drill`) passes on this server:
pg_dump, restore into a fresh database, equal row counts, the audit chain intact, every
sign-off PDF and evidence file matching its SHA-256."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]


def test_the_restore_drill_passes():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        if IN_CI:
            pytest.fail("CI must run the drill on PostgreSQL")
        pytest.skip("the drill needs PostgreSQL")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is not installed (postgresql-client)")
    result = subprocess.run(
        [sys.executable, "-m", "tests.drill"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "row counts equal in all" in out and "audit chain intact" in out
    assert "sign-off PDFs matching their SHA-256: 0" not in out  # the demo signs gates
    assert "evidence files matching their SHA-256: 1" in out
    assert "drill passed" in out
