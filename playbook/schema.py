"""The playbook file schema (docs/playbook-schema.md) and the rules a version must meet.

One checker serves three callers: the files shipped in playbook/data, imported files, and
a draft about to be published (turned into the same data by `loading.playbook_as_data`).
So a draft is published under exactly the rules an imported file is held to.

The checker collects every problem rather than stopping at the first, each with the path
of the value (`phases[0].deliverables[2].due_day`, counted from 0) and, for files, the line.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from playbook.models import DeliverableKind, Dimension, ReadinessArea, SignerRole

SCHEMA_ID = "ninety-playbook/1"
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
MAX_DAY = 366
MAX_PHASES = 20
MAX_ITEMS_PER_PHASE = 200
MAX_PROBLEMS = 50

Path = tuple[str | int, ...]
LineMap = dict[Path, tuple[int, int]]

TOP_FIELDS = {
    "schema",
    "slug",
    "version",
    "name",
    "description",
    "default",
    "length_days",
    "escalation_days",
    "phases",
}
PHASE_FIELDS = {
    "number",
    "key",
    "name",
    "purpose",
    "start_day",
    "end_day",
    "gate_signers",
    "gate_criteria",
    "deliverables",
}
CRITERION_FIELDS = {"key", "statement"}
DELIVERABLE_FIELDS = {
    "key",
    "title",
    "guidance",
    "workstream",
    "dimension",
    "kind",
    "readiness_area",
    "start_day",
    "due_day",
    "mandatory",
    "evidence_required",
    "suggested_owner_role",
}


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    line: int | None = None
    column: int | None = None
    # The message says something of the value at `path` without naming it ("is missing"),
    # so a reader of the editor needs the field's name put before it.
    predicate: bool = False

    @property
    def where(self) -> str:
        return format_path(self.path) or _("the file")

    def __str__(self) -> str:
        params = {
            "line": self.line,
            "column": self.column,
            "where": self.where,
            "message": self.message,
        }
        if self.line and self.path:
            return _("line %(line)s, column %(column)s: %(where)s: %(message)s") % params
        if self.line:
            return _("line %(line)s, column %(column)s: %(message)s") % params
        return f"{self.where}: {self.message}" if self.path else self.message


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def phase_key(number: int) -> str:
    return f"p{number}"


def deliverable_key(phase_number: int, position: int) -> str:
    """The key an item gets when its file gives none: the same file always yields the same
    keys, so the default playbook carries the same keys on every installation."""
    return f"p{phase_number}-d{position}"


def criterion_key(phase_number: int, position: int) -> str:
    return f"p{phase_number}-g{position}"


def criterion_statement(item) -> str:
    """Gate criteria are written as plain text or as {key, statement}."""
    return item["statement"] if isinstance(item, dict) else item


class _Checker:
    def __init__(self, lines: LineMap | None, require_version: bool):
        self.lines = lines or {}
        self.require_version = require_version
        self.problems: list[Problem] = []

    # -- recording ---------------------------------------------------------------
    def add(self, path: Path, message: str, *, predicate: bool = False) -> None:
        """Record a problem. `predicate`: the message is what is wrong with the value at
        `path`, said without naming it ("is missing", "must be a whole number")."""
        line = column = None
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                line, column = self.lines[path[:end]]
                break
        self.problems.append(Problem(path, message, line, column, predicate))

    def missing(self, path: Path) -> None:
        # Translators: said of a field of a playbook file, after its name or path.
        self.add(path, _("is missing"), predicate=True)

    def too_long(self, path: Path, length: int, max_length: int) -> None:
        message = ngettext(
            "is %(length)s character long; at most %(max)s",
            "is %(length)s characters long; at most %(max)s",
            length,
        )
        self.add(path, message % {"length": length, "max": max_length}, predicate=True)

    # -- typed reads: each returns the value, or None after recording a problem ------
    def mapping(self, value, path: Path, allowed: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.add(path, _("must be a mapping of fields (name: value)"), predicate=True)
            return None
        for name in value:
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                self.add(
                    (*path, str(name)),
                    _("unknown field “%(name)s” (known fields: %(known)s)")
                    % {"name": name, "known": known},
                )
        return value

    def text(self, data: dict, name: str, path: Path, *, required: bool, max_length: int):
        value = data.get(name)
        if value is None:
            if required:
                self.missing((*path, name))
            return None if required else ""
        if not isinstance(value, str):
            self.add((*path, name), _("must be text (put it in quotes)"), predicate=True)
            return None
        if required and not value.strip():
            self.add((*path, name), _("must not be empty"), predicate=True)
            return None
        if len(value) > max_length:
            self.too_long((*path, name), len(value), max_length)
            return None
        return value

    def integer(self, data: dict, name: str, path: Path, *, required: bool, low: int, high: int):
        value = data.get(name)
        if value is None:
            if required:
                self.missing((*path, name))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add((*path, name), _("must be a whole number"), predicate=True)
            return None
        if not low <= value <= high:
            self.add(
                (*path, name),
                _("is %(value)s; it must be between %(low)s and %(high)s")
                % {"value": value, "low": low, "high": high},
                predicate=True,
            )
            return None
        return value

    def boolean(self, data: dict, name: str, path: Path) -> None:
        value = data.get(name)
        if value is not None and not isinstance(value, bool):
            self.add((*path, name), _("must be true or false"), predicate=True)

    def choice(self, data: dict, name: str, path: Path, choices, *, required: bool, default=""):
        value = data.get(name)
        if value is None:
            if required:
                self.missing((*path, name))
                return None
            return default
        if value not in choices.values:
            allowed = ", ".join(v for v in choices.values if v)
            self.add(
                (*path, name),
                _("“%(value)s” is not one of: %(allowed)s") % {"value": value, "allowed": allowed},
            )
            return None
        return value

    def sequence(self, data: dict, name: str, path: Path, *, required: bool) -> list | None:
        value = data.get(name)
        if value is None:
            if required:
                self.missing((*path, name))
            return None if required else []
        if not isinstance(value, list):
            self.add((*path, name), _("must be a list"), predicate=True)
            return None
        return value

    def key(self, data: dict, path: Path, default: str) -> str | None:
        value = data.get("key")
        if value is None:
            return default
        if not isinstance(value, str) or not KEY_RE.fullmatch(value) or len(value) > 40:
            self.add(
                (*path, "key"),
                _(
                    "must be up to 40 letters, digits, hyphens or underscores, starting with a "
                    "letter or digit"
                ),
                predicate=True,
            )
            return None
        return value

    # -- the document --------------------------------------------------------------
    def check(self, data) -> None:
        top = self.mapping(data, (), TOP_FIELDS)
        if top is None:
            return
        schema = top.get("schema")
        if schema is not None and schema != SCHEMA_ID:
            self.add(
                ("schema",),
                _("is “%(schema)s”; this version of Ninety reads %(schema_id)s")
                % {"schema": schema, "schema_id": SCHEMA_ID},
                predicate=True,
            )
        slug = top.get("slug")
        if slug is None:
            self.missing(("slug",))
        elif not isinstance(slug, str) or not SLUG_RE.fullmatch(slug) or len(slug) > 80:
            self.add(
                ("slug",),
                _("must be lowercase letters and digits joined by single hyphens"),
                predicate=True,
            )
        self.integer(top, "version", (), required=self.require_version, low=1, high=32767)
        self.text(top, "name", (), required=True, max_length=120)
        self.text(top, "description", (), required=False, max_length=5000)
        self.boolean(top, "default", ())
        length = self.integer(top, "length_days", (), required=False, low=1, high=MAX_DAY)
        if length is None and "length_days" not in top:
            length = 90
        self.integer(top, "escalation_days", (), required=False, low=0, high=90)
        phases = self.sequence(top, "phases", (), required=True)
        if phases is None:
            return
        if not phases:
            self.add(("phases",), _("a playbook needs at least one phase"))
            return
        if len(phases) > MAX_PHASES:
            message = ngettext(
                "has %(count)s phase; at most %(max)s",
                "has %(count)s phases; at most %(max)s",
                len(phases),
            )
            self.add(("phases",), message % {"count": len(phases), "max": MAX_PHASES})
            return
        keys: dict[str, dict[str, Path]] = {"phase": {}, "deliverable": {}, "criterion": {}}
        previous_end: int | None = None
        for index, raw in enumerate(phases):
            path: Path = ("phases", index)
            phase = self.mapping(raw, path, PHASE_FIELDS)
            if phase is None:
                continue
            previous_end = self.phase(phase, index, path, length, previous_end, keys)

    def phase(self, phase: dict, index: int, path: Path, length, previous_end, keys) -> int | None:
        number = self.integer(phase, "number", path, required=True, low=1, high=MAX_PHASES)
        if number is not None and number != index + 1:
            self.add(
                (*path, "number"),
                _(
                    "is %(number)s, but this is phase %(position)s: number phases 1, 2, 3… in "
                    "the order they run"
                )
                % {"number": number, "position": index + 1},
                predicate=True,
            )
        position = index + 1
        self.unique(keys["phase"], self.key(phase, path, phase_key(position)), (*path, "key"))
        self.text(phase, "name", path, required=True, max_length=80)
        self.text(phase, "purpose", path, required=False, max_length=5000)
        start = self.integer(phase, "start_day", path, required=True, low=1, high=MAX_DAY)
        end = self.integer(phase, "end_day", path, required=True, low=1, high=MAX_DAY)
        days_ok = start is not None and end is not None
        if days_ok and end < start:
            self.add(
                (*path, "end_day"),
                _("day %(end)s is before the phase starts (day %(start)s)")
                % {"end": end, "start": start},
            )
            days_ok = False
        if days_ok and length is not None and end > length:
            self.add(
                (*path, "end_day"),
                _(
                    "day %(end)s is after the playbook ends (day %(length)s); lengthen the "
                    "playbook or end the phase sooner"
                )
                % {"end": end, "length": length},
            )
        if days_ok and previous_end is not None and start <= previous_end:
            self.add(
                (*path, "start_day"),
                _(
                    "day %(start)s is not after the previous phase ends (day %(previous_end)s); "
                    "phases follow one another"
                )
                % {"start": start, "previous_end": previous_end},
            )
        self.signers(phase, path)
        self.criteria(phase, path, position, keys)
        deliverables = self.sequence(phase, "deliverables", path, required=False) or []
        if len(deliverables) > MAX_ITEMS_PER_PHASE:
            self.add(
                (*path, "deliverables"),
                _("at most %(max)s in a phase") % {"max": MAX_ITEMS_PER_PHASE},
            )
            deliverables = []
        for item_index, raw in enumerate(deliverables):
            item_path: Path = (*path, "deliverables", item_index)
            item = self.mapping(raw, item_path, DELIVERABLE_FIELDS)
            if item is not None:
                default_key = deliverable_key(position, item_index + 1)
                key = self.key(item, item_path, default_key)
                self.unique(keys["deliverable"], key, (*item_path, "key"))
                self.deliverable(item, item_path, (start, end) if days_ok else None)
        return end if days_ok else previous_end

    def signers(self, phase: dict, path: Path) -> None:
        signers = self.sequence(phase, "gate_signers", path, required=False) or []
        seen: set[str] = set()
        for i, role in enumerate(signers):
            if not isinstance(role, str) or role not in SignerRole.values:
                allowed = ", ".join(SignerRole.values)
                self.add(
                    (*path, "gate_signers", i),
                    _("“%(value)s” is not one of: %(allowed)s")
                    % {"value": role, "allowed": allowed},
                )
            elif role in seen:
                self.add(
                    (*path, "gate_signers", i), _("“%(role)s” is listed twice") % {"role": role}
                )
            seen.add(role)

    def criteria(self, phase: dict, path: Path, position: int, keys) -> None:
        criteria = self.sequence(phase, "gate_criteria", path, required=False) or []
        if len(criteria) > MAX_ITEMS_PER_PHASE:
            self.add(
                (*path, "gate_criteria"),
                _("at most %(max)s in a phase") % {"max": MAX_ITEMS_PER_PHASE},
            )
            return
        for i, item in enumerate(criteria):
            item_path: Path = (*path, "gate_criteria", i)
            default_key = criterion_key(position, i + 1)
            if isinstance(item, str):
                key = default_key
                if not item.strip():
                    self.add(item_path, _("must not be empty"), predicate=True)
                elif len(item) > 300:
                    self.too_long(item_path, len(item), 300)
            elif not isinstance(item, dict):
                self.add(
                    item_path,
                    _("must be text, or a mapping with a statement (and a key)"),
                    predicate=True,
                )
                continue
            else:
                mapping = self.mapping(item, item_path, CRITERION_FIELDS)
                key = self.key(mapping, item_path, default_key)
                self.text(mapping, "statement", item_path, required=True, max_length=300)
            self.unique(keys["criterion"], key, (*item_path, "key"))

    def deliverable(self, item: dict, path: Path, phase_days: tuple[int, int] | None) -> None:
        self.text(item, "title", path, required=True, max_length=200)
        self.text(item, "guidance", path, required=False, max_length=5000)
        self.text(item, "workstream", path, required=True, max_length=120)
        self.text(item, "suggested_owner_role", path, required=False, max_length=80)
        self.choice(item, "dimension", path, Dimension, required=True)
        kind = self.choice(
            item, "kind", path, DeliverableKind, required=False, default=DeliverableKind.ACTIVITY
        )
        area = self.choice(item, "readiness_area", path, ReadinessArea, required=False)
        if kind == DeliverableKind.READINESS_CHECK and area == "":
            self.add(
                (*path, "readiness_area"),
                _("a readiness check needs its area: technical, operational or organisational"),
            )
        elif kind not in (None, DeliverableKind.READINESS_CHECK) and area:
            self.add((*path, "readiness_area"), _("only readiness checks have an area"))
        self.boolean(item, "mandatory", path)
        self.boolean(item, "evidence_required", path)
        start = self.integer(item, "start_day", path, required=True, low=1, high=MAX_DAY)
        due = self.integer(item, "due_day", path, required=True, low=1, high=MAX_DAY)
        if start is None or due is None:
            return
        if due < start:
            self.add(
                (*path, "due_day"),
                _("day %(due)s is before the start day (%(start)s)") % {"due": due, "start": start},
            )
        elif phase_days and not (phase_days[0] <= start and due <= phase_days[1]):
            self.add(
                (*path, "start_day" if start < phase_days[0] else "due_day"),
                _(
                    "days %(start)s-%(due)s fall outside the phase "
                    "(days %(phase_start)s-%(phase_end)s)"
                )
                % {
                    "start": start,
                    "due": due,
                    "phase_start": phase_days[0],
                    "phase_end": phase_days[1],
                },
            )

    def unique(self, seen: dict[str, Path], key: str | None, path: Path) -> None:
        if key is None:
            return
        if key in seen:
            self.add(
                path,
                _("key “%(key)s” is already used at %(where)s")
                % {"key": key, "where": format_path(seen[key])},
            )
        else:
            seen[key] = path


def check_playbook(
    data, *, lines: LineMap | None = None, require_version: bool = False
) -> list[Problem]:
    """Every problem of a playbook document, in file order; empty when it may be loaded."""
    checker = _Checker(lines, require_version)
    checker.check(data)
    problems = checker.problems
    if lines:
        problems = sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
    return problems[:MAX_PROBLEMS]
