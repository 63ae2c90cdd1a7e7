"""The Celery app. Tasks live in the apps; the broker is Redis in production.

Without CELERY_BROKER_URL the embedded default runs tasks eagerly in-process.

PostgreSQL is the memory, Redis only the messenger, and every task base follows from it:
- Publishing never fails a web request. If the broker cannot be reached within the short
  timeouts in settings, the message is dropped with a warning: the row it was about (a
  claimed reminder, a pending sign-off document, a queued report) is still in the
  database, and the beat's scans queue it again (or its page offers a retry).
- A task whose database connection drops (a failover, a restarted server) is retried a
  few times with backoff. Our tasks are idempotent (rows are claimed with conditional
  UPDATEs), and a retry runs on a fresh connection.
"""

import logging
import os

from celery import Celery, Task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnreachable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

log = logging.getLogger("ninety.tasks")


class NinetyTask(Task):
    autoretry_for = (OperationalError, InterfaceError)
    max_retries = 3
    retry_backoff = 2
    # Well inside the broker's visibility timeout, so a waiting retry is never handed
    # out a second time.
    retry_backoff_max = 60
    retry_jitter = True

    def apply_async(self, args=None, kwargs=None, **options):
        try:
            return super().apply_async(args, kwargs, **options)
        except BrokerUnreachable as exc:
            log.warning(
                "broker unreachable; %s not queued (the database keeps the work for the next scan)",
                self.name,
                extra={"event": "task.not_queued", "task": self.name, "error": str(exc)[:200]},
            )
            return None


app = Celery("ninety", task_cls=NinetyTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
