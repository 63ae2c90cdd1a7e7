"""Load playbooks from the YAML files in playbook/data.

A published (slug, version) is immutable, so loading a file whose version is already in
the database changes nothing: running it twice is safe, and `make run` runs it every time.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from playbook.models import (
    DeliverableKind,
    DeliverableTemplate,
    Dimension,
    GateCriterion,
    Phase,
    Playbook,
    ReadinessArea,
    SignerRole,
)

DATA_DIR = Path(__file__).resolve().parent / "data"


class PlaybookFileError(ValueError):
    """A playbook file that does not follow the schema; the message says where."""


@dataclass(frozen=True)
class LoadResult:
    playbook: Playbook
    created: bool


def _require(mapping: dict, key: str, where: str):
    if key not in mapping:
        raise PlaybookFileError(f"{where}: missing '{key}'")
    return mapping[key]


def _choice(value: str, choices: type, where: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(v for v in choices.values if v)
        raise PlaybookFileError(f"{where}: '{value}' is not one of {allowed}")
    return value


def load_playbook_file(path: Path) -> LoadResult:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise PlaybookFileError(f"{path.name}: expected a mapping at the top level")
    slug = _require(data, "slug", path.name)
    version = int(_require(data, "version", path.name))
    existing = Playbook.objects.filter(slug=slug, version=version).first()
    if existing:
        return LoadResult(existing, created=False)
    with transaction.atomic():
        playbook = _create_playbook(data, slug, version, path.name)
    return LoadResult(playbook, created=True)


def _create_playbook(data: dict, slug: str, version: int, where: str) -> Playbook:
    make_default = bool(data.get("default", False))
    if make_default:
        Playbook.objects.filter(is_default=True).update(is_default=False)
    playbook = Playbook.objects.create(
        slug=slug,
        version=version,
        name=_require(data, "name", where),
        description=data.get("description", ""),
        length_days=int(data.get("length_days", 90)),
        status=Playbook.Status.PUBLISHED,
        is_default=make_default,
    )
    templates: list[DeliverableTemplate] = []
    criteria: list[GateCriterion] = []
    for phase_data in _require(data, "phases", where):
        phase_where = f"{where} phase {phase_data.get('number', '?')}"
        signers = [
            _choice(role, SignerRole, phase_where) for role in phase_data.get("gate_signers", [])
        ]
        phase = Phase.objects.create(
            playbook=playbook,
            number=int(_require(phase_data, "number", phase_where)),
            name=_require(phase_data, "name", phase_where),
            purpose=phase_data.get("purpose", ""),
            start_day=int(_require(phase_data, "start_day", phase_where)),
            end_day=int(_require(phase_data, "end_day", phase_where)),
            gate_signers=signers,
        )
        for order, statement in enumerate(phase_data.get("gate_criteria", []), start=1):
            criteria.append(GateCriterion(phase=phase, order=order, statement=statement))
        for order, item in enumerate(_require(phase_data, "deliverables", phase_where), start=1):
            templates.append(_template(phase, order, item, f"{phase_where} deliverable {order}"))
    DeliverableTemplate.objects.bulk_create(templates)
    GateCriterion.objects.bulk_create(criteria)
    return playbook


def _template(phase: Phase, order: int, item: dict, where: str) -> DeliverableTemplate:
    start_day = int(_require(item, "start_day", where))
    due_day = int(_require(item, "due_day", where))
    if not (phase.start_day <= start_day <= due_day <= phase.end_day):
        raise PlaybookFileError(
            f"{where}: days {start_day}-{due_day} fall outside the phase "
            f"({phase.start_day}-{phase.end_day}) or are reversed"
        )
    return DeliverableTemplate(
        phase=phase,
        order=order,
        title=_require(item, "title", where),
        guidance=item.get("guidance", ""),
        workstream=_require(item, "workstream", where),
        dimension=_choice(_require(item, "dimension", where), Dimension, where),
        kind=_choice(item.get("kind", DeliverableKind.ACTIVITY), DeliverableKind, where),
        readiness_area=_choice(item.get("readiness_area", ""), ReadinessArea, where),
        start_day=start_day,
        due_day=due_day,
        mandatory=bool(item.get("mandatory", False)),
        evidence_required=bool(item.get("evidence_required", False)),
        suggested_owner_role=item.get("suggested_owner_role", ""),
    )


def load_all_playbooks() -> list[LoadResult]:
    return [load_playbook_file(path) for path in sorted(DATA_DIR.glob("*.yaml"))]
