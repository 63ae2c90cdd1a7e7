"""Changes made in the Django admin, recorded in the audit chain.

The admin writes models directly, past the services that append audit events, and this
includes users and their groups (the roles). Django logs every admin addition, change
and deletion as a LogEntry; governance listens to those (governance.receivers) and
appends one audit event per entry: who, which object, what action, Django's change
message, and the new values of the fields it names. A user's roles and flags are
recorded on every change to a user.

One gap in Django needs closing by hand: a bulk deletion of several objects ("Delete
selected") logs its entries with bulk_create, which sends no post_save. The site-wide
delete action is wrapped (governance.admin) to record those entries.
"""

import json
from datetime import date
from decimal import Decimal

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.utils import translation
from django.utils.text import capfirst

from governance import audit
from governance.models import AuditEvent
from pilots.models import Pilot

VERBS = {ADDITION: "admin.added", CHANGE: "admin.changed", DELETION: "admin.deleted"}
# Never copied into the audit trail, whatever the change message names.
SECRET_WORDS = ("password", "secret", "token", "key")
LONGEST_VALUE = 500


def record(entry: LogEntry) -> AuditEvent:
    """Append the audit event for one admin log entry (inside the admin's transaction).

    In English, whoever made the change: the change message and the field names it holds
    (Django stores them untranslated) are facts of the chain, and are matched against the
    fields' verbose names."""
    with translation.override("en"):
        return _record(entry)


def _record(entry: LogEntry) -> AuditEvent:
    target = _object_of(entry)
    content_type = entry.content_type
    label = f"{content_type.app_label}.{content_type.model}" if content_type else "unknown"
    after: dict = {"log_entry": entry.pk, "message": entry.get_change_message()}
    structured = _structured(entry.change_message)
    changed_labels = {
        label for part in structured for label in part.get("changed", {}).get("fields", [])
    }
    if target is not None and entry.action_flag != DELETION:
        values = _values(target, changed_labels, every_field=entry.action_flag == ADDITION)
        if values:
            after["values"] = values
        if isinstance(target, get_user_model()):
            after |= _user_facts(target)
    return audit.append(
        actor=entry.user,
        verb=VERBS.get(entry.action_flag, "admin.logged"),
        target=audit.ObjectRef(label, entry.object_id or "", entry.object_repr),
        pilot=_pilot_of(target),
        after=after,
    )


def record_unrecorded(entries: list[LogEntry]) -> int:
    """Record the entries that have no audit event yet; returns how many were recorded."""
    recorded = 0
    for entry in entries:
        if not AuditEvent.objects.filter(
            verb__startswith="admin.", after__log_entry=entry.pk
        ).exists():
            record(entry)
            recorded += 1
    return recorded


def _structured(change_message: str) -> list[dict]:
    if change_message and change_message.startswith("["):
        try:
            parsed = json.loads(change_message)
        except json.JSONDecodeError:
            return []
        return [part for part in parsed if isinstance(part, dict)]
    return []


def _object_of(entry: LogEntry) -> models.Model | None:
    """The logged object, if it still exists (a deletion is logged just before it)."""
    if entry.content_type is None or entry.object_id is None:
        return None
    try:
        return entry.get_edited_object()
    except Exception:  # gone, or a key the model cannot parse: the log entry still counts
        return None


def _is_secret(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def _values(target: models.Model, labels: set[str], *, every_field: bool) -> dict:
    """The current values of the fields the change message names (of every field for an
    addition): the 'after' of the change. Secrets and file contents are left out."""
    values = {}
    for field in target._meta.get_fields():
        if not getattr(field, "concrete", False) or field.auto_created:
            continue
        if _is_secret(field.name) or isinstance(field, models.BinaryField):
            continue
        if not every_field and capfirst(str(field.verbose_name)) not in labels:
            continue
        values[field.name] = _shown(target, field)
    return values


def _shown(target: models.Model, field: models.Field):
    if field.many_to_many:
        return sorted(str(related) for related in getattr(target, field.name).all())
    value = getattr(target, field.attname)
    if isinstance(field, models.FileField):
        value = value.name if value else ""
    if isinstance(value, str) and len(value) > LONGEST_VALUE:
        return value[: LONGEST_VALUE - 1] + "…"
    if value is None or isinstance(value, (bool, int, float, str, list, dict, date, Decimal)):
        return value
    return str(value)


def _user_facts(user) -> dict:
    """What a change to a user can do to their rights: roles and flags, as they now are."""
    return {
        "roles": sorted(Group.objects.filter(user=user).values_list("name", flat=True)),
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def _pilot_of(target: models.Model | None) -> Pilot | None:
    """The pilot an object belongs to, so the change shows on that pilot's audit tab."""
    if target is None:
        return None
    if isinstance(target, Pilot):
        return target
    for path in ("pilot", "phase_run.pilot", "deliverable.pilot", "risk.pilot"):
        value = target
        for name in path.split("."):
            value = getattr(value, name, None)
            if value is None:
                break
        if isinstance(value, Pilot):
            return value
    return None
