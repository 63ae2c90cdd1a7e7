"""gunicorn's settings, for the image and for `make load`. Each can be changed from the
environment; see .env.example.

Sync workers: our requests are short and hold a database connection while they run; a
slow one (a draft PDF) ties up one worker, not the process. The timeout ends a request
stuck past any sensible page (the worker is replaced), so a hung dependency shows up as
an error, not as a queue of waiting users.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Two workers a core plus one: the usual rule for sync workers.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Replace a worker after this many requests: memory a long-lived process gathers goes back.
max_requests = 2000
max_requests_jitter = 200
# Load the app once, before forking: the workers share its memory (WeasyPrint's import
# alone costs a second and tens of megabytes). Django opens no connection at import.
preload_app = True
# Heartbeat files in memory, not on a container's (possibly slow) overlay disk; gunicorn
# creates them itself, unlinked and private to its workers.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 - gunicorn's documented choice for containers
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
# Each request is logged by config.middleware (JSON, with its request id).
accesslog = None
errorlog = "-"
# X-Forwarded-* are believed from these addresses only (gunicorn's own scheme handling);
# Django's side is NINETY_TRUSTED_PROXIES.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
