"""Record in the audit chain every state change the pilots and playbook apps announce,
and every change made in the Django admin; write the webhook deliveries of the changes
(and escalations) that are events (governance.webhooks)."""

from django.contrib.admin.models import LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from governance import admin_audit, audit, webhooks
from pilots.signals import reminders_claimed, state_changed
from playbook.signals import playbook_changed


@receiver(state_changed, dispatch_uid="governance-audit-pilots")
def record_pilot_change(sender, *, actor, verb, target, pilot, before, after, **kwargs) -> None:
    audit.append(actor=actor, verb=verb, target=target, pilot=pilot, before=before, after=after)


@receiver(state_changed, dispatch_uid="governance-webhooks-pilots")
def queue_pilot_webhooks(sender, *, verb, target, pilot, before, after, **kwargs) -> None:
    """The webhook outbox: a change's deliveries commit, or roll back, with the change."""
    webhooks.on_change(verb=verb, target=target, pilot=pilot, before=before, after=after)


@receiver(reminders_claimed, dispatch_uid="governance-webhooks-escalations")
def queue_escalation_webhooks(sender, *, ids, now, **kwargs) -> None:
    webhooks.on_reminders_claimed(ids=ids, now=now)


@receiver(playbook_changed, dispatch_uid="governance-audit-playbooks")
def record_playbook_change(sender, *, actor, verb, target, playbook, before, after, **kwargs):
    """A playbook belongs to no pilot: its events stand in the chain without one."""
    audit.append(actor=actor, verb=verb, target=target, before=before, after=after)


@receiver(post_save, sender=LogEntry, dispatch_uid="governance-audit-admin")
def record_admin_change(sender, *, instance: LogEntry, created: bool, raw: bool, **kwargs) -> None:
    if created and not raw:
        admin_audit.record(instance)
