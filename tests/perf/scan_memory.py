"""One reminder scan in a process of its own, for `make bench` (reminder_scan).

The benchmark process has by then built 100,000 deliverables and rendered PDFs, so its
own peak memory says nothing about the scan. This process starts Django, forgets every
claim, runs one scan (claims written, nothing sent) and prints one JSON line: its peak
resident set after start-up and after the scan, and the wall time.

Run: `python -m tests.perf.scan_memory 2026-11-25T09:00:00+01:00`, with DATABASE_URL
pointing at the benchmark's database.
"""

import json
import os
import resource
import sys
import time
from datetime import datetime


def peak_mb() -> float:
    """The process's peak resident set. Read from /proc (VmHWM) where there is one:
    getrusage's ru_maxrss survives exec, so a child of the large benchmark process would
    start out reporting its parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from pilots import reminders
    from pilots.notifications_models import ReminderLog

    now = datetime.fromisoformat(sys.argv[1])
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ReminderLog._meta.db_table}")  # noqa: S608 - model's table
    started_mb = peak_mb()
    start = time.perf_counter()
    result = reminders.scan(now, send=False)
    wall = time.perf_counter() - start
    print(
        json.dumps(
            {
                "start_mb": round(started_mb, 1),
                "peak_mb": round(peak_mb(), 1),
                "wall_s": round(wall, 3),
                "claimed": result.claimed,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
