"""What pilots tells the apps above it when its state changes.

`pilots` must not import `governance` (DESIGN.md, dependency rule), yet every state change
belongs in governance's audit trail. So each service announces its change here, inside
its own transaction: a listener's writes commit, or roll back, together with the change.
"""

from django.dispatch import Signal

# Sent with: actor (user or None for the system), verb ("deliverable.done"), target (the
# changed model instance), pilot, before and after (JSON-ready dicts of changed fields).
state_changed = Signal()

# Sent by the reminder scan, inside its transaction, with `ids` (the ReminderLog rows it has
# just claimed, each claimed once ever) and `now`. Escalations are not a change any service
# makes: the passing of time makes them, and the claim is the moment they happen.
reminders_claimed = Signal()


def announce(
    *, actor, verb: str, target, pilot, before: dict | None = None, after: dict | None = None
) -> None:
    state_changed.send(
        sender=type(target),
        actor=actor,
        verb=verb,
        target=target,
        pilot=pilot,
        before=before or {},
        after=after or {},
    )
