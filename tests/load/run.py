"""`make load`: the mixed workload against gunicorn on loopback, with real logins.

1. Create a throwaway database next to DATABASE_URL's, migrate it, load the playbooks,
   and build the world (tests/load/data.py).
2. Start gunicorn with the production settings file (config/gunicorn.py) on 127.0.0.1.
3. Run locust headless for --duration seconds with --users people.
4. Print requests/s, p50/p95/p99, the error rate and any 5xx, per kind of request and in
   total, against the targets (zero 5xx, p95 under 300 ms); drop the database.

Exits 1 when a target is missed.
"""

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parents[2]
P95_TARGET_MS = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin(url: str) -> psycopg.Connection:
    parts = urlparse(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=300, help="seconds")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--pilots", type=int, default=40)
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ninety")
    name = f"ninety_load_{os.getpid()}"
    url = urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
    work = Path(tempfile.mkdtemp(prefix="ninety-load-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DEBUG": "0",
        "NINETY_VAR_DIR": str(work / "var"),
        "LOG_FORMAT": "json",
        "CELERY_BROKER_URL": "",
    }
    with _admin(base_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    web = None
    try:
        started = time.monotonic()
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput", "-v", "0"], ["load_playbooks", "-v", "0"]):
            subprocess.run(manage + command, cwd=ROOT, env=env, check=True)
        people = work / "people.json"
        owners = max(1, args.users * 4 // 5)
        leads = max(2, args.users - owners)
        subprocess.run(
            [sys.executable, "-m", "tests.load.data", str(owners), str(leads), str(args.pilots)]
            + ["load-test-passphrase", str(people)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        print(f"database ready in {time.monotonic() - started:.0f} s")

        port = _free_port()
        web_log = open(work / "gunicorn.log", "w")  # noqa: SIM115 - closed below
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py"]
            + ["--bind", f"127.0.0.1:{port}", "config.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=web_log,
            stderr=subprocess.STDOUT,
        )
        host = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{host}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        statuses = work / "statuses.json"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", "tests/load/locustfile.py", "--headless"]
            + ["--users", str(args.users), "--spawn-rate", str(args.spawn_rate)]
            + ["--run-time", f"{args.duration}s", "--host", host, "--csv", str(work / "load")]
            + ["--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
            cwd=ROOT,
            env={**env, "LOAD_PEOPLE": str(people), "LOAD_STATUSES": str(statuses)},
            check=False,
        )
        return report(work / "load_stats.csv", statuses, args)
    finally:
        if web is not None:
            web.terminate()
            web.wait(30)
        with _admin(base_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(stats_csv: Path, statuses: Path, args) -> int:
    rows = list(csv.DictReader(stats_csv.open()))
    codes = {int(k): v for k, v in json.loads(statuses.read_text()).items()}
    print(f"\nLoad: {args.users} users for {args.duration} s, gunicorn on loopback")
    print(f"{'request':<28}{'count':>8}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'fail':>6}")
    for row in rows:
        print(
            f"{row['Name'][:27]:<28}{row['Request Count']:>8}{float(row['Requests/s']):>8.1f}"
            f"{row['50%']:>7}{row['95%']:>7}{row['99%']:>7}{row['Failure Count']:>6}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    count, failures = int(total["Request Count"]), int(total["Failure Count"])
    server_errors = sum(v for k, v in codes.items() if k >= 500)
    p95 = float(total["95%"])
    print(
        f"\nrequests/s {float(total['Requests/s']):.1f}  p50 {total['50%']} ms  p95 {p95:.0f} ms"
        f"  p99 {total['99%']} ms  error rate {failures / max(count, 1):.2%}"
        f"  5xx {server_errors}  statuses {dict(sorted(codes.items()))}"
    )
    met = server_errors == 0 and p95 < P95_TARGET_MS and count > 0
    print(f"targets (zero 5xx, p95 < {P95_TARGET_MS} ms): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
