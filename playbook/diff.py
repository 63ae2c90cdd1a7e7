"""What a version changes against the version it came from.

Items are matched by their key, which cloning keeps and export writes out: an item whose
title changed is "changed", not "removed" plus "added". Both sides are compared as schema
data (`loading.playbook_as_data`), so any two versions can be compared.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext, pgettext_lazy

from playbook.labels import DELIVERABLE_LABELS, PHASE_LABELS, PLAYBOOK_LABELS
from playbook.models import DeliverableKind, Dimension, ReadinessArea, SignerRole

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# How a state reads on the page (the state itself is also a CSS class).
STATE_LABELS = {
    ADDED: pgettext_lazy("playbook diff", "added"),
    REMOVED: pgettext_lazy("playbook diff", "removed"),
    CHANGED: pgettext_lazy("playbook diff", "changed"),
}

CHOICES = {
    "dimension": dict(Dimension.choices),
    "kind": dict(DeliverableKind.choices),
    "readiness_area": dict(ReadinessArea.choices),
}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str
    long: bool = False  # guidance and purpose: shown one above the other


@dataclass
class ItemChange:
    state: str
    title: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, "")


@dataclass
class PhaseDiff:
    state: str  # added, removed, changed or "" (unchanged)
    number: int
    name: str
    changes: list[FieldChange] = field(default_factory=list)
    deliverables: list[ItemChange] = field(default_factory=list)
    criteria: list[ItemChange] = field(default_factory=list)
    deliverables_reordered: bool = False
    criteria_reordered: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, "")

    @property
    def is_unchanged(self) -> bool:
        return not (
            self.state
            or self.deliverables
            or self.criteria
            or self.deliverables_reordered
            or self.criteria_reordered
        )


@dataclass
class PlaybookDiff:
    settings: list[FieldChange]
    phases: list[PhaseDiff]

    def _count(self, state: str) -> int:
        items = sum(
            1 for p in self.phases for i in (*p.deliverables, *p.criteria) if i.state == state
        )
        return items + sum(1 for p in self.phases if p.state == state)

    @property
    def added(self) -> int:
        return self._count(ADDED)

    @property
    def removed(self) -> int:
        return self._count(REMOVED)

    @property
    def changed(self) -> int:
        return self._count(CHANGED) + (1 if self.settings else 0)

    @property
    def is_empty(self) -> bool:
        return not self.settings and all(p.is_unchanged for p in self.phases)


def _show(name: str, value) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if name == "gate_signers":
        return ", ".join(str(SignerRole(v).label) for v in value) or gettext("nobody")
    if name in CHOICES:
        label = CHOICES[name].get(value, value)
        return str(label) if label else "—"
    if value in ("", None):
        return "—"
    return str(value)


def _field_changes(old: dict, new: dict, labels: dict[str, str]) -> list[FieldChange]:
    return [
        FieldChange(
            label,
            _show(name, old.get(name, "")),
            _show(name, new.get(name, "")),
            long=name in ("guidance", "purpose", "description"),
        )
        for name, label in labels.items()
        if old.get(name, "") != new.get(name, "")
    ]


def _statement(item) -> str:
    return item["statement"] if isinstance(item, dict) else item


def _reordered(old_keys: list[str], new_keys: list[str]) -> bool:
    """Whether items present in both versions stand in another order (insertions and
    deletions alone do not count)."""
    common = set(old_keys) & set(new_keys)
    return [k for k in old_keys if k in common] != [k for k in new_keys if k in common]


def diff_versions(old: dict, new: dict) -> PlaybookDiff:
    """Compare two versions given as schema data (`loading.playbook_as_data`)."""
    old_phases = {p["key"]: p for p in old["phases"]}
    new_phase_keys = {p["key"] for p in new["phases"]}
    old_items = {
        d["key"]: {**d, "phase": p["name"], "phase_key": p["key"]}
        for p in old["phases"]
        for d in p["deliverables"]
    }
    new_item_keys = {d["key"] for p in new["phases"] for d in p["deliverables"]}

    phases: list[PhaseDiff] = []
    for phase in new["phases"]:
        before = old_phases.get(phase["key"])
        if before is None:
            result = PhaseDiff(ADDED, phase["number"], phase["name"])
        else:
            changes = _field_changes(before, phase, PHASE_LABELS)
            result = PhaseDiff(CHANGED if changes else "", phase["number"], phase["name"], changes)
        for item in phase["deliverables"]:
            was = old_items.get(item["key"])
            if was is None:
                result.deliverables.append(ItemChange(ADDED, item["title"]))
                continue
            changes = _field_changes(was, {**item, "phase": phase["name"]}, DELIVERABLE_LABELS)
            if changes:
                result.deliverables.append(ItemChange(CHANGED, item["title"], changes))
        if before is not None:
            result.deliverables += [
                ItemChange(REMOVED, d["title"])
                for d in before["deliverables"]
                if d["key"] not in new_item_keys
            ]
            result.deliverables_reordered = _reordered(
                [d["key"] for d in before["deliverables"]],
                [d["key"] for d in phase["deliverables"]],
            )
            result.criteria, result.criteria_reordered = _criteria(before, phase)
        else:
            result.criteria = [
                ItemChange(ADDED, _statement(c)) for c in phase.get("gate_criteria", [])
            ]
        phases.append(result)

    for before in old["phases"]:
        if before["key"] not in new_phase_keys:
            gone = PhaseDiff(REMOVED, before["number"], before["name"])
            gone.deliverables = [
                ItemChange(REMOVED, d["title"])
                for d in before["deliverables"]
                if d["key"] not in new_item_keys
            ]
            phases.append(gone)

    settings = _field_changes(old, new, PLAYBOOK_LABELS)
    return PlaybookDiff(settings, phases)


def _criteria(before: dict, after: dict) -> tuple[list[ItemChange], bool]:
    def keyed(items: list) -> dict[str, str]:
        return {c["key"]: _statement(c) for c in items if isinstance(c, dict)}

    old, new = keyed(before.get("gate_criteria", [])), keyed(after.get("gate_criteria", []))
    changes = []
    for key, statement in new.items():
        if key not in old:
            changes.append(ItemChange(ADDED, statement))
        elif old[key] != statement:
            changes.append(
                ItemChange(
                    CHANGED, statement, [FieldChange(gettext("Statement"), old[key], statement)]
                )
            )
    changes += [ItemChange(REMOVED, s) for key, s in old.items() if key not in new]
    return changes, _reordered(list(old), list(new))
