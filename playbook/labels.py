"""What a playbook's fields are called: the editor's forms label their fields with these
and the diff of two versions names the changed fields with them, so both say the same."""

from django.utils.translation import gettext_lazy as _

PLAYBOOK_LABELS = {
    "name": _("Name"),
    "description": _("Description"),
    "length_days": _("Length in days"),
    "escalation_days": _("Escalate after (days)"),
}
PHASE_LABELS = {
    "name": _("Name"),
    "purpose": _("Purpose"),
    "start_day": _("First day"),
    "end_day": _("Last day"),
    "gate_signers": _("Gate signed by"),
}
DELIVERABLE_LABELS = {
    "phase": _("Phase"),
    "title": _("Title"),
    "guidance": _("Guidance"),
    "workstream": _("Workstream"),
    "dimension": _("Dimension"),
    "kind": _("Kind"),
    "readiness_area": _("Readiness area"),
    "start_day": _("Start day"),
    "due_day": _("Due day"),
    "mandatory": _("Must be done before the gate"),
    "evidence_required": _("Needs evidence"),
    "suggested_owner_role": _("Suggested owner"),
}
