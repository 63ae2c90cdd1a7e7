"""The Celery app. Tasks live in the apps; the broker is Redis in production.

Without CELERY_BROKER_URL the embedded default runs tasks eagerly in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ninety")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
