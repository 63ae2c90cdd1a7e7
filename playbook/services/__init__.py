"""Every change to a playbook. Views call these; after a version is built nothing else
writes its rows.

A change to a version's content locks the version's row and refuses anything but a draft
(`Playbook.ensure_editable`), so a published version cannot change, whoever calls. Each
service announces its change (playbook.signals) inside its transaction, for the audit
trail. Items keep their numbering 1..n per parent: every insert, delete and move renumbers.

- `versions`: a playbook's versions (clone, edit, publish, discard, retire, default, import);
- `items`: what a draft holds (phases, deliverable templates, gate criteria);
- `common`: the refusals and what both share.
"""

from playbook.services.common import ChangeRefused, Direction, DraftExists, PublishRefused
from playbook.services.items import (
    deliverable_template_create,
    deliverable_template_delete,
    deliverable_template_move,
    deliverable_template_update,
    gate_criterion_create,
    gate_criterion_delete,
    gate_criterion_move,
    gate_criterion_update,
    phase_create,
    phase_delete,
    phase_move,
    phase_update,
)
from playbook.services.versions import (
    draft_problems,
    playbook_clone,
    playbook_discard,
    playbook_import,
    playbook_make_default,
    playbook_publish,
    playbook_retire,
    playbook_update,
)

__all__ = [
    "ChangeRefused",
    "Direction",
    "DraftExists",
    "PublishRefused",
    "deliverable_template_create",
    "deliverable_template_delete",
    "deliverable_template_move",
    "deliverable_template_update",
    "draft_problems",
    "gate_criterion_create",
    "gate_criterion_delete",
    "gate_criterion_move",
    "gate_criterion_update",
    "phase_create",
    "phase_delete",
    "phase_move",
    "phase_update",
    "playbook_clone",
    "playbook_discard",
    "playbook_import",
    "playbook_make_default",
    "playbook_publish",
    "playbook_retire",
    "playbook_update",
]
