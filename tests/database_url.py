"""Print the database URL the suite should use.

PostgreSQL when it answers; otherwise, outside CI, SQLite with a warning on stderr (the
PostgreSQL-only tests then skip and say so). Under CI=true an unreachable PostgreSQL is
an error: CI must never pass by skipping.
"""

import os
import socket
import sys
from urllib.parse import urlparse


def reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def main() -> int:
    url = sys.argv[1]
    if not url.startswith("postgres") or reachable(url):
        print(url)
        return 0
    if os.environ.get("CI", "").lower() == "true":
        print(f"PostgreSQL at {urlparse(url).netloc} is unreachable; CI needs it.", file=sys.stderr)
        return 1
    print(
        "PostgreSQL is unreachable: running the suite on SQLite; PostgreSQL-only tests skip.",
        file=sys.stderr,
    )
    print("sqlite:///var/test.sqlite3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
