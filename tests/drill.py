"""Backup and restore drill (`make drill`): prove a backup can be restored, and is whole.

1. The source: the database named with --source, or (by default) a throwaway one filled
   with the demo portfolio, signed gates with their PDFs, and an uploaded evidence file.
2. Back up: `pg_dump --format=custom` of the database, and a tar of the media folder
   (uploaded evidence lives on disk, not in PostgreSQL).
3. Restore both: `pg_restore` into a fresh database, the tar into a fresh folder.
4. Verify the copy: the same row count in every table; the audit chain intact
   (governance.audit.verify_chain); every stored sign-off PDF matching its SHA-256;
   every evidence file present and matching its SHA-256.
5. Print the time each step took; drop what the drill created. Exit 1 on any mismatch.

    make drill                                  # throwaway source, on DATABASE_URL's server
    python -m tests.drill --source postgres://…/ninety --media /srv/ninety/var/media
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]


def _with_name(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _connect(url: str) -> psycopg.Connection:
    parts = urlparse(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    )


def _pg_env(url: str) -> dict:
    parts = urlparse(url)
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
    }
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env


def _django(url: str, var_dir: Path, *args: str, debug: bool = False) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "NINETY_VAR_DIR": str(var_dir),
        "DEBUG": "1" if debug else "0",
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def build_source(url: str, var_dir: Path) -> None:
    for command in (
        ["migrate", "--noinput"],
        ["load_playbooks"],
        ["load_obligations"],
        ["load_demo"],
        ["load_demo_governance"],
    ):
        _django(url, var_dir, "manage.py", *command, debug=True)
    _django(url, var_dir, "-m", "tests.drill", "add-evidence", debug=True)


def add_evidence() -> None:
    """One ticked deliverable with an uploaded file, so the media backup is exercised."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pilots import services, uploads
    from pilots.models import Deliverable

    item = Deliverable.objects.open().exclude(owner=None).order_by("pk").first()
    data = "Evidence for the restore drill: ✓ reviewed, 東京 office.\n".encode()
    upload = SimpleUploadedFile("drill.txt", data, content_type="text/plain")
    services.deliverable_set_done(
        deliverable=item,
        actor=item.owner,
        done=True,
        expected_version=item.version,
        evidence_file=uploads.check_upload(upload, max_bytes=10_000),
    )


def table_counts(url: str) -> dict[str, int]:
    with _connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            table: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table in tables
        }


def verify_restored() -> None:
    """Run inside Django on the restored database (and media folder); prints one line per
    check and exits 1 on the first failure."""
    import django

    django.setup()
    from governance.audit import verify_chain
    from governance.models import SignOffDocument
    from pilots.models import Evidence
    from pilots.uploads import sha256_of_stored

    checked, broken = verify_chain()
    if broken:
        raise SystemExit(f"audit chain broken at #{broken.seq}: {broken.problem}")
    print(f"audit chain intact: {checked} events")

    documents = SignOffDocument.objects.exclude(pdf=None)
    bad = [d.pk for d in documents if hashlib.sha256(bytes(d.pdf)).hexdigest() != d.sha256]
    if bad:
        raise SystemExit(f"sign-off PDFs not matching their SHA-256: {bad}")
    print(f"sign-off PDFs matching their SHA-256: {documents.count()}")

    files = Evidence.objects.exclude(file="")
    for evidence in files:
        try:
            digest = sha256_of_stored(evidence.file.name)
        except FileNotFoundError:
            raise SystemExit(f"evidence file missing: {evidence.file.name}") from None
        if digest != evidence.sha256:
            raise SystemExit(f"evidence file changed: {evidence.file.name}")
    print(f"evidence files matching their SHA-256: {files.count()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="database URL to back up (default: a throwaway demo)")
    parser.add_argument("--media", help="its media folder (default: the throwaway's)")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ninety")
    work = Path(tempfile.mkdtemp(prefix="ninety-drill-"))
    created: list[str] = []
    timings: dict[str, float] = {}
    started = time.monotonic()
    admin = _with_name(server, "postgres")
    try:
        if args.source:
            source, media = args.source, Path(args.media) if args.media else None
        else:
            name = f"ninety_drill_source_{os.getpid()}"
            with _connect(admin) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            created.append(name)
            source, media = _with_name(server, name), work / "source-var" / "media"
            clock = time.monotonic()
            build_source(source, work / "source-var")
            timings["build the source (demo data)"] = time.monotonic() - clock

        # 2. Back up.
        clock = time.monotonic()
        dump = work / "ninety.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump)]
            + ["--dbname", urlparse(source).path.lstrip("/")],
            env=_pg_env(source),
            check=True,
        )
        archive = work / "media.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            if media and media.exists():
                tar.add(media, arcname="media")
        timings["back up (pg_dump + media tar)"] = time.monotonic() - clock

        # 3. Restore into fresh places.
        clock = time.monotonic()
        target_name = f"ninety_drill_restore_{os.getpid()}"
        with _connect(admin) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target_name)))
        created.append(target_name)
        target = _with_name(server, target_name)
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", target_name, str(dump)],
            env=_pg_env(target),
            check=True,
        )
        restored_var = work / "restored-var"
        restored_var.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(restored_var, filter="data")
        timings["restore (pg_restore + media)"] = time.monotonic() - clock

        # 4. Verify.
        clock = time.monotonic()
        before, after = table_counts(source), table_counts(target)
        different = {
            t: (before.get(t), after.get(t))
            for t in before | after
            if before.get(t) != after.get(t)
        }
        if different:
            print(f"row counts differ: {different}")
            return 1
        print(f"row counts equal in all {len(before)} tables ({sum(before.values())} rows)")
        print(_django(target, restored_var, "-m", "tests.drill", "verify").strip())
        timings["verify"] = time.monotonic() - clock
    finally:
        with _connect(admin) as conn:
            for name in created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        shutil.rmtree(work, ignore_errors=True)
    for step, seconds in timings.items():
        print(f"{step:<32} {seconds:6.1f} s")
    backup_restore = sum(v for k, v in timings.items() if not k.startswith("build"))
    print(
        f"drill passed: backup, restore and verification took {backup_restore:.1f} s "
        f"({time.monotonic() - started:.1f} s in all)"
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["verify"]:
        verify_restored()
    elif sys.argv[1:2] == ["add-evidence"]:
        add_evidence()
    else:
        sys.exit(main())
