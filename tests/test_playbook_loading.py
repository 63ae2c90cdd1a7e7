from pathlib import Path

import pytest
from django.core.management import call_command

from playbook.loading import PlaybookFileError, load_playbook_file
from playbook.models import DeliverableKind, DeliverableTemplate, Phase, Playbook


@pytest.fixture
def default_playbook(db):
    call_command("load_playbooks", verbosity=0)
    return Playbook.default()


def test_it_loads_the_default_playbook_with_three_phases(default_playbook):
    phases = list(default_playbook.phases.values_list("number", "name", "start_day", "end_day"))
    assert phases == [
        (1, "Foundation", 1, 30),
        (2, "Integration", 31, 60),
        (3, "Scale", 61, 90),
    ]
    assert default_playbook.status == Playbook.Status.PUBLISHED


def test_it_encodes_phase_deliverables_as_mandatory_and_due_at_the_phase_end(default_playbook):
    for phase in default_playbook.phases.all():
        phase_deliverables = phase.templates.filter(kind=DeliverableKind.PHASE_DELIVERABLE)
        assert phase_deliverables.count() == 4
        assert all(t.mandatory and t.due_day == phase.end_day for t in phase_deliverables)


def test_it_puts_the_readiness_checklist_in_scale(default_playbook):
    checks = DeliverableTemplate.objects.filter(
        phase__playbook=default_playbook, kind=DeliverableKind.READINESS_CHECK
    )
    assert {c.phase.number for c in checks} == {3}
    areas = sorted(set(checks.values_list("readiness_area", flat=True)))
    assert areas == ["operational", "organisational", "technical"]
    assert checks.count() == 15


def test_every_template_falls_inside_its_phase(default_playbook):
    for template in DeliverableTemplate.objects.filter(phase__playbook=default_playbook):
        assert template.phase.start_day <= template.start_day <= template.due_day
        assert template.due_day <= template.phase.end_day


def test_loading_twice_changes_nothing(default_playbook):
    counts = (Playbook.objects.count(), Phase.objects.count(), DeliverableTemplate.objects.count())
    call_command("load_playbooks", verbosity=0)
    assert counts == (
        Playbook.objects.count(),
        Phase.objects.count(),
        DeliverableTemplate.objects.count(),
    )


def test_a_file_with_days_outside_its_phase_is_refused_whole(db, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "slug: bad\nversion: 1\nname: Bad\nphases:\n"
        "  - {number: 1, name: One, start_day: 1, end_day: 30, deliverables: [\n"
        "      {title: Late, workstream: W, dimension: data, start_day: 20, due_day: 45}]}\n"
    )
    with pytest.raises(PlaybookFileError, match="outside the phase"):
        load_playbook_file(bad)
    assert not Playbook.objects.filter(slug="bad").exists()


def test_the_shipped_file_follows_the_documented_schema():
    from playbook.loading import DATA_DIR, read_document
    from playbook.schema import SCHEMA_ID

    for path in DATA_DIR.glob("*.yaml"):
        data = read_document(path.read_text(encoding="utf-8"), "yaml", require_version=True)
        assert data["schema"] == SCHEMA_ID, path.name


def test_the_schema_document_describes_every_field():
    from playbook import schema

    doc = (Path(__file__).resolve().parent.parent / "docs" / "playbook-schema.md").read_text()
    assert schema.SCHEMA_ID in doc
    fields = (
        schema.TOP_FIELDS | schema.PHASE_FIELDS | schema.DELIVERABLE_FIELDS
    ) | schema.CRITERION_FIELDS
    undocumented = sorted(f for f in fields if f"`{f}`" not in doc)
    assert undocumented == []


def test_loaded_items_get_the_same_keys_on_every_installation(default_playbook):
    foundation = default_playbook.phases.get(number=1)
    assert foundation.key == "p1"
    assert list(foundation.templates.values_list("key", flat=True)[:2]) == ["p1-d1", "p1-d2"]
    assert foundation.gate_criteria.first().key == "p1-g1"


def test_a_file_with_several_problems_names_each_with_its_line(db, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "slug: Bad Slug\nversion: 1\nname: Bad\nlength_days: 60\nphases:\n"
        "  - {number: 1, name: One, start_day: 1, end_day: 70, gate_signers: [ceo]}\n"
    )
    with pytest.raises(PlaybookFileError) as error:
        load_playbook_file(bad)
    assert [(p.line, p.where) for p in error.value.problems] == [
        (1, "slug"),
        (6, "phases[0].end_day"),
        (6, "phases[0].gate_signers[0]"),
    ]
    assert str(error.value).startswith("bad.yaml: line 1, column 7: slug: must be lowercase")
