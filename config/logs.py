"""Structured logs: one JSON object a line, each carrying the request (or task) it belongs to.

A log line says what happened in `message` and, for events a machine should count or
alert on, an `event` name (`login.failed`, `access.denied`, `admin.action`, `request`)
with its facts as fields. Anything passed in `extra=` becomes a field.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str] = ContextVar("request_id", default="")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request (or Celery task) being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or _celery_task_id()
        return True


def _celery_task_id() -> str:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return ""
    task = current_task
    request = getattr(task, "request", None) if task else None
    return f"task-{request.id}" if request is not None and request.id else ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a developer's terminal (`make run`): the same facts, one readable line."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname:<7} {record.name}: {record.getMessage()}"
        request_id = getattr(record, "request_id", "")
        if request_id:
            line += f" [{request_id}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
