"""Record every state change the pilots app announces in the audit chain."""

from django.dispatch import receiver

from governance import audit
from pilots.signals import state_changed


@receiver(state_changed, dispatch_uid="governance-audit-pilots")
def record_pilot_change(sender, *, actor, verb, target, pilot, before, after, **kwargs) -> None:
    audit.append(actor=actor, verb=verb, target=target, pilot=pilot, before=before, after=after)
