"""What the playbook app tells the apps above it when a playbook changes.

`playbook` must not import `governance` (DESIGN.md, dependency rule), yet playbook changes
belong in the audit trail. So every service in playbook.services announces its change
here, inside its own transaction: a listener's writes commit, or roll back, with it.
"""

from django.dispatch import Signal

# Sent with: actor (the user), verb (e.g. "playbook.published", "deliverable_template.changed"),
# target (the model instance; for deletions, sent just before the row is deleted), playbook
# (the version changed), before and after (JSON-ready dicts of the changed fields).
playbook_changed = Signal()


def announce(
    *, actor, verb: str, target, playbook, before: dict | None = None, after: dict | None = None
) -> None:
    playbook_changed.send(
        sender=type(target),
        actor=actor,
        verb=verb,
        target=target,
        playbook=playbook,
        before=before or {},
        after=after or {},
    )
