"""Playbooks as files: YAML or JSON following docs/playbook-schema.md.

- `load_playbook_file` / `load_all_playbooks`: the files shipped in playbook/data, loaded
  as published versions. A (slug, version) already in the database is left alone, so
  running it twice is safe, and `make run` runs it every time.
- `parse_playbook_text`: text to data, remembering the line of every value so that a
  schema problem can say where it is; a syntax error says line and column.
- `build_version`: write checked data as a version's rows (here and on import).
- `playbook_as_data` / `dump_playbook`: a version back to data and text, for export and
  for the checks a draft must pass before it is published.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from playbook.models import (
    DeliverableKind,
    DeliverableTemplate,
    GateCriterion,
    Phase,
    Playbook,
)
from playbook.schema import (
    SCHEMA_ID,
    LineMap,
    Problem,
    check_playbook,
    criterion_key,
    criterion_statement,
    deliverable_key,
    phase_key,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_FILE_BYTES = 1_000_000

Format = Literal["yaml", "json"]


class PlaybookFileError(ValueError):
    """A playbook file that cannot be read or does not follow the schema.

    `problems` lists each one with its place; the message joins them.
    """

    def __init__(self, problems: list[Problem] | str, source: str = ""):
        if isinstance(problems, str):
            problems = [Problem((), problems)]
        self.problems = problems
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + "; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadResult:
    playbook: Playbook
    created: bool


@dataclass
class ParsedDocument:
    data: object
    lines: LineMap = field(default_factory=dict)


# -- reading text -----------------------------------------------------------------------


def decode_upload(raw: bytes) -> str:
    """Bytes of an uploaded file as text; a file that is not UTF-8 is refused with its line."""
    if len(raw) > MAX_FILE_BYTES:
        raise PlaybookFileError(
            _("The file is %(size)s kB; a playbook file may be at most %(max)s kB.")
            % {"size": len(raw) // 1000, "max": MAX_FILE_BYTES // 1000}
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PlaybookFileError(
            [Problem((), _("the file is not UTF-8 text; save it as UTF-8 and try again"), line, 1)]
        ) from exc


def guess_format(filename: str, text: str) -> Format:
    name = filename.lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    return "json" if text.lstrip().startswith("{") else "yaml"


def parse_playbook_text(text: str, fmt: Format) -> ParsedDocument:
    if len(text) > MAX_FILE_BYTES:
        raise PlaybookFileError(_("The file is too large for a playbook."))
    if fmt == "json":
        return _parse_json(text)
    return _parse_yaml(text)


def _parse_json(text: str) -> ParsedDocument:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlaybookFileError(
            [
                Problem(
                    (),
                    _("not valid JSON: %(error)s") % {"error": exc.msg},
                    exc.lineno,
                    exc.colno,
                )
            ]
        ) from exc
    except RecursionError as exc:
        raise PlaybookFileError(_("The file is nested too deeply to be a playbook.")) from exc
    # JSON is (for our purposes) YAML too: reading it again through YAML's composer gives the
    # line of each value, for schema problems. Where that fails, problems go without lines.
    try:
        lines, problems = _node_lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return ParsedDocument(data)
    if problems:
        raise PlaybookFileError(problems)
    return ParsedDocument(data, lines)


def _parse_yaml(text: str) -> ParsedDocument:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedDocument(None)
        lines, problems = _node_lines(node)
        if problems:
            raise PlaybookFileError(problems)
        return ParsedDocument(loader.construct_document(node), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = Problem((), _("not valid YAML: %(error)s") % {"error": message}, line, column)
        raise PlaybookFileError([problem]) from exc
    except yaml.YAMLError as exc:
        raise PlaybookFileError(_("not valid YAML: %(error)s") % {"error": exc}) from exc
    except RecursionError as exc:
        raise PlaybookFileError(_("The file is nested too deeply to be a playbook.")) from exc
    finally:
        loader.dispose()


def _node_lines(root: yaml.Node) -> tuple[LineMap, list[Problem]]:
    """The (line, column) of every value by its path, and what YAML allows but we refuse:
    repeated keys (the later one would silently win) and anchors/aliases (a few lines of
    aliases can stand for a document too large to hold)."""
    lines: LineMap = {}
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        mark = node.start_mark
        if id(node) in seen:
            problems.append(
                Problem(
                    path,
                    _("anchors and aliases (& and *) are not supported; write the value out"),
                    mark.line + 1,
                    mark.column + 1,
                )
            )
            continue
        seen.add(id(node))
        lines[path] = (mark.line + 1, mark.column + 1)
        # Children go on the stack last-first, so they are visited in document order.
        if isinstance(node, yaml.MappingNode):
            names: set[str] = set()
            children = []
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if name in names:
                    key_mark = key_node.start_mark
                    problems.append(
                        Problem(
                            (*path, name),
                            _("“%(name)s” appears twice here") % {"name": name},
                            key_mark.line + 1,
                            key_mark.column + 1,
                        )
                    )
                names.add(name)
                children.append((value_node, (*path, name)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(item, (*path, i)) for i, item in enumerate(node.value)]))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return lines, problems


def read_document(text: str, fmt: Format, *, require_version: bool = False) -> dict:
    """Parsed and checked data, or PlaybookFileError naming every problem."""
    document = parse_playbook_text(text, fmt)
    problems = check_playbook(document.data, lines=document.lines, require_version=require_version)
    if problems:
        raise PlaybookFileError(problems)
    return document.data


# -- writing rows -----------------------------------------------------------------------


def build_version(
    data: dict,
    *,
    slug: str,
    version: int,
    status: str,
    based_on: Playbook | None = None,
    is_default: bool = False,
) -> Playbook:
    """Write checked data (see `read_document`) as one version, in the caller's transaction."""
    playbook = Playbook.objects.create(
        slug=slug,
        version=version,
        name=data["name"],
        description=data.get("description") or "",
        length_days=data.get("length_days", 90),
        escalation_days=data.get("escalation_days", 3),
        status=status,
        is_default=is_default,
        based_on=based_on,
    )
    templates: list[DeliverableTemplate] = []
    criteria: list[GateCriterion] = []
    for position, phase_data in enumerate(data["phases"], start=1):
        phase = Phase.objects.create(
            playbook=playbook,
            key=phase_data.get("key") or phase_key(position),
            number=position,
            name=phase_data["name"],
            purpose=phase_data.get("purpose") or "",
            start_day=phase_data["start_day"],
            end_day=phase_data["end_day"],
            gate_signers=list(phase_data.get("gate_signers") or []),
        )
        for order, item in enumerate(phase_data.get("gate_criteria") or [], start=1):
            key = item.get("key") if isinstance(item, dict) else None
            criteria.append(
                GateCriterion(
                    phase=phase,
                    key=key or criterion_key(position, order),
                    order=order,
                    statement=criterion_statement(item),
                )
            )
        for order, item in enumerate(phase_data.get("deliverables") or [], start=1):
            templates.append(
                DeliverableTemplate(
                    phase=phase,
                    key=item.get("key") or deliverable_key(position, order),
                    order=order,
                    title=item["title"],
                    guidance=item.get("guidance") or "",
                    workstream=item["workstream"],
                    dimension=item["dimension"],
                    kind=item.get("kind") or DeliverableKind.ACTIVITY,
                    readiness_area=item.get("readiness_area") or "",
                    start_day=item["start_day"],
                    due_day=item["due_day"],
                    mandatory=bool(item.get("mandatory", False)),
                    evidence_required=bool(item.get("evidence_required", False)),
                    suggested_owner_role=item.get("suggested_owner_role") or "",
                )
            )
    DeliverableTemplate.objects.bulk_create(templates)
    GateCriterion.objects.bulk_create(criteria)
    return playbook


def load_playbook_file(path: Path) -> LoadResult:
    text = path.read_text(encoding="utf-8")
    fmt: Format = "json" if path.suffix == ".json" else "yaml"
    try:
        data = read_document(text, fmt, require_version=True)
    except PlaybookFileError as exc:
        raise PlaybookFileError(exc.problems, source=path.name) from exc
    existing = Playbook.objects.filter(slug=data["slug"], version=data["version"]).first()
    if existing:
        return LoadResult(existing, created=False)
    with transaction.atomic():
        make_default = bool(data.get("default", False))
        if make_default:
            Playbook.objects.filter(is_default=True).update(is_default=False)
        playbook = build_version(
            data,
            slug=data["slug"],
            version=data["version"],
            status=Playbook.Status.PUBLISHED,
            is_default=make_default,
        )
    return LoadResult(playbook, created=True)


def load_all_playbooks() -> list[LoadResult]:
    return [load_playbook_file(path) for path in sorted(DATA_DIR.glob("*.yaml"))]


# -- writing files ----------------------------------------------------------------------


def playbook_as_data(playbook: Playbook) -> dict:
    """One version as schema data. Reads `playbook.phases.all()`, so a playbook fetched with
    `Playbook.objects.for_editor()` costs no further queries."""
    phases = []
    for phase in playbook.phases.all():
        deliverables = []
        for template in phase.templates.all():
            item = {
                "key": template.key,
                "title": template.title,
                "guidance": template.guidance,
                "workstream": template.workstream,
                "dimension": template.dimension,
                "kind": template.kind,
            }
            if template.readiness_area:
                item["readiness_area"] = template.readiness_area
            item.update(
                start_day=template.start_day,
                due_day=template.due_day,
                mandatory=template.mandatory,
                evidence_required=template.evidence_required,
                suggested_owner_role=template.suggested_owner_role,
            )
            deliverables.append(item)
        phases.append(
            {
                "number": phase.number,
                "key": phase.key,
                "name": phase.name,
                "purpose": phase.purpose,
                "start_day": phase.start_day,
                "end_day": phase.end_day,
                "gate_signers": list(phase.gate_signers),
                "gate_criteria": [
                    {"key": c.key, "statement": c.statement} for c in phase.gate_criteria.all()
                ],
                "deliverables": deliverables,
            }
        )
    return {
        "schema": SCHEMA_ID,
        "slug": playbook.slug,
        "version": playbook.version,
        "name": playbook.name,
        "description": playbook.description,
        "length_days": playbook.length_days,
        "escalation_days": playbook.escalation_days,
        "phases": phases,
    }


def dump_playbook(data: dict, fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=92)
