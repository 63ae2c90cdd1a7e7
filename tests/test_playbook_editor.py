"""The playbook editor: a programme manager clones a published version into a draft, edits
it in the browser, compares it with its origin and publishes it. Published versions never
change, running pilots keep theirs, files import all-or-nothing with line-precise errors.
"""

import io
import json
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pilots.forms import PilotForm
from playbook import services
from playbook.diff import ADDED, CHANGED, REMOVED, diff_versions
from playbook.loading import dump_playbook, playbook_as_data
from playbook.models import (
    DeliverableKind,
    DeliverableTemplate,
    GateCriterion,
    Phase,
    Playbook,
    PlaybookLocked,
)
from playbook.signals import playbook_changed
from tests.conftest import build_pilot, build_playbook

# -- builders -------------------------------------------------------------------------


@pytest.fixture
def draft(playbook, pm):
    return services.playbook_clone(source=playbook, actor=pm)


def template_fields(template: DeliverableTemplate, **changes) -> dict:
    fields = {
        name: getattr(template, name)
        for name in (
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
        )
    }
    return {**fields, **changes}


def template_post(template: DeliverableTemplate, **changes) -> dict:
    data = template_fields(template, **changes)
    data["phase"] = changes.get("phase", template.phase_id)
    for flag in ("mandatory", "evidence_required"):
        if not data[flag]:
            del data[flag]
    return data


def first_template(playbook: Playbook) -> DeliverableTemplate:
    return DeliverableTemplate.objects.filter(phase__playbook=playbook).order_by(
        "phase__number", "order"
    )[0]


def snapshot(playbook: Playbook) -> dict:
    return playbook_as_data(Playbook.objects.for_editor().get(pk=playbook.pk))


def table_counts() -> tuple[int, int, int, int]:
    return (
        Playbook.objects.count(),
        Phase.objects.count(),
        DeliverableTemplate.objects.count(),
        GateCriterion.objects.count(),
    )


# -- clone, edit, publish -------------------------------------------------------------


def test_it_clones_edits_and_publishes_a_new_version_in_the_browser(client, pm, playbook):
    client.force_login(pm)
    response = client.post(reverse("playbook-clone", args=[playbook.pk]))
    draft = Playbook.objects.get(slug=playbook.slug, version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("playbook-detail", args=[draft.pk])
    assert draft.status == Playbook.Status.DRAFT
    assert draft.based_on == playbook
    assert snapshot(draft)["phases"] == snapshot(playbook)["phases"]

    template = first_template(draft)
    response = client.post(
        reverse("playbook-template-edit", args=[draft.pk, template.pk]),
        template_post(template, title="Map the pilot as it really runs", due_day=5),
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.title, template.due_day) == ("Map the pilot as it really runs", 5)

    foundation = draft.phases.get(number=1)
    client.post(
        reverse("playbook-template-create", args=[draft.pk, foundation.pk]),
        {
            "phase": foundation.pk,
            "title": "Check readiness of the data feed",
            "workstream": "Weeks 3-4",
            "dimension": "data",
            "kind": DeliverableKind.READINESS_CHECK,
            "readiness_area": "technical",
            "start_day": 20,
            "due_day": 25,
            "mandatory": "on",
        },
    )
    added = foundation.templates.get(title="Check readiness of the data feed")
    assert (added.order, added.readiness_area, added.mandatory) == (4, "technical", True)

    client.post(
        reverse("playbook-criterion-create", args=[draft.pk, foundation.pk]),
        {"statement": "The data owner has signed the data-sharing agreement."},
    )
    client.post(
        reverse("playbook-phase-edit", args=[draft.pk, foundation.pk]),
        {
            "name": "Foundations",
            "purpose": "Lay the groundwork.",
            "start_day": 1,
            "end_day": 30,
            "gate_signers": ["production_owner", "governance_reviewer"],
        },
    )
    foundation.refresh_from_db()
    assert foundation.gate_signers == ["production_owner", "governance_reviewer"]

    response = client.post(reverse("playbook-publish", args=[draft.pk]), {"make_default": "on"})
    assert response.status_code == 302
    draft.refresh_from_db()
    playbook.refresh_from_db()
    assert (draft.status, draft.is_default) == (Playbook.Status.PUBLISHED, True)
    assert (playbook.status, playbook.is_default) == (Playbook.Status.PUBLISHED, False)
    assert Playbook.default() == draft
    offered = PilotForm().fields["playbook"].queryset
    assert set(offered) == {playbook, draft}


def test_new_pilots_are_offered_published_versions_only(playbook, draft, pm):
    assert list(PilotForm().fields["playbook"].queryset) == [playbook]
    services.playbook_publish(playbook=draft, actor=pm, make_default=True)
    services.playbook_retire(playbook=playbook, actor=pm)
    assert list(PilotForm().fields["playbook"].queryset) == [draft]


def test_a_playbook_holds_one_draft_at_a_time(client, pm, playbook, draft):
    client.force_login(pm)
    response = client.post(reverse("playbook-clone", args=[playbook.pk]))
    assert response["Location"] == reverse("playbook-detail", args=[draft.pk])
    assert Playbook.objects.filter(status=Playbook.Status.DRAFT).count() == 1


def test_items_keep_their_numbering_through_adds_moves_and_deletes(pm, draft):
    phase = draft.phases.get(number=1)
    first, second, third = phase.templates.order_by("order")
    services.deliverable_template_move(template=third, actor=pm, direction="up")
    assert list(phase.templates.order_by("order").values_list("pk", flat=True)) == [
        first.pk,
        third.pk,
        second.pk,
    ]
    services.deliverable_template_move(template=first, actor=pm, direction="up")  # top: no-op
    services.deliverable_template_delete(template=third, actor=pm)
    assert list(phase.templates.order_by("order").values_list("order", "pk")) == [
        (1, first.pk),
        (2, second.pk),
    ]
    services.phase_move(phase=phase, actor=pm, direction="down")
    assert list(draft.phases.order_by("number").values_list("name", flat=True)) == [
        "Integration",
        "Foundation",
        "Scale",
    ]
    services.phase_delete(phase=phase, actor=pm)
    assert list(draft.phases.values_list("number", "name")) == [(1, "Integration"), (2, "Scale")]


def test_a_deliverable_moved_to_another_phase_goes_to_its_end(client, pm, draft):
    client.force_login(pm)
    template = first_template(draft)
    integration = draft.phases.get(number=2)
    client.post(
        reverse("playbook-template-edit", args=[draft.pk, template.pk]),
        template_post(template, phase=integration.pk, start_day=35, due_day=40),
    )
    template.refresh_from_db()
    assert (template.phase, template.order) == (integration, 4)
    assert list(draft.phases.get(number=1).templates.values_list("order", flat=True)) == [1, 2]


# -- published versions never change --------------------------------------------------


def test_every_service_refuses_to_change_a_published_version(pm, playbook):
    phase = playbook.phases.get(number=1)
    template = phase.templates.first()
    criterion = GateCriterion.objects.create(phase=phase, order=1, statement="Done.")
    before = snapshot(playbook)
    attempts = [
        lambda: services.playbook_update(
            playbook=playbook,
            actor=pm,
            name="X",
            description="",
            length_days=90,
            escalation_days=3,
        ),
        lambda: services.playbook_publish(playbook=playbook, actor=pm, make_default=False),
        lambda: services.playbook_discard(playbook=playbook, actor=pm),
        lambda: services.phase_create(
            playbook=playbook,
            actor=pm,
            name="Extra",
            purpose="",
            start_day=80,
            end_day=90,
            gate_signers=[],
        ),
        lambda: services.phase_update(
            phase=phase,
            actor=pm,
            name="Renamed",
            purpose="",
            start_day=1,
            end_day=30,
            gate_signers=[],
        ),
        lambda: services.phase_delete(phase=phase, actor=pm),
        lambda: services.phase_move(phase=phase, actor=pm, direction="down"),
        lambda: services.deliverable_template_create(
            phase=phase, actor=pm, **template_fields(template, title="New")
        ),
        lambda: services.deliverable_template_update(
            template=template, actor=pm, phase=phase, **template_fields(template, title="New")
        ),
        lambda: services.deliverable_template_delete(template=template, actor=pm),
        lambda: services.deliverable_template_move(template=template, actor=pm, direction="down"),
        lambda: services.gate_criterion_create(phase=phase, actor=pm, statement="More."),
        lambda: services.gate_criterion_update(criterion=criterion, actor=pm, statement="Less."),
        lambda: services.gate_criterion_delete(criterion=criterion, actor=pm),
    ]
    for attempt in attempts:
        with pytest.raises(PlaybookLocked, match="published and cannot change"):
            attempt()
    assert snapshot(playbook) == before


def test_an_edit_posted_to_a_published_version_is_refused_and_changes_nothing(client, pm, playbook):
    client.force_login(pm)
    template = first_template(playbook)
    before = snapshot(playbook)
    url = reverse("playbook-template-edit", args=[playbook.pk, template.pk])
    assert client.get(url).status_code == 409
    response = client.post(url, template_post(template, title="Sneaky"))
    assert response.status_code == 409
    assert "cannot change" in response.content.decode()
    for url, data in [
        (reverse("playbook-template-delete", args=[playbook.pk, template.pk]), {}),
        (reverse("playbook-template-move", args=[playbook.pk, template.pk]), {"direction": "down"}),
        (reverse("playbook-phase-delete", args=[playbook.pk, template.phase_id]), {}),
        (reverse("playbook-settings", args=[playbook.pk]), {"name": "X", "length_days": 9}),
        (reverse("playbook-publish", args=[playbook.pk]), {}),
        (reverse("playbook-discard", args=[playbook.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 409, url
    assert snapshot(playbook) == before


def test_the_admin_shows_published_versions_read_only(client, admin_user, playbook, draft):
    client.force_login(admin_user)
    template = first_template(playbook)
    url = reverse("admin:playbook_deliverabletemplate_change", args=[template.pk])
    client.post(url, {"title": "Changed in the admin"})
    template.refresh_from_db()
    assert template.title != "Changed in the admin"
    page = client.get(reverse("admin:playbook_playbook_change", args=[playbook.pk]))
    assert "Save" not in page.content.decode()
    assert (
        'type="submit"'
        in client.get(reverse("admin:playbook_playbook_change", args=[draft.pk])).content.decode()
    )


# -- running pilots keep their version ------------------------------------------------


def test_running_pilots_keep_their_version_when_a_new_one_is_published(
    pm, sponsor, production_owner, playbook
):
    running = build_pilot(
        programme_manager=pm,
        playbook=playbook,
        sponsor=sponsor,
        production_owner=production_owner,
    )
    plan_before = sorted(running.deliverables.values_list("title", "due_date"))

    draft = services.playbook_clone(source=playbook, actor=pm)
    template = first_template(draft)
    services.deliverable_template_update(
        template=template,
        actor=pm,
        phase=template.phase,
        **template_fields(template, title="A renamed first step"),
    )
    services.deliverable_template_delete(
        template=draft.phases.get(number=3).templates.last(), actor=pm
    )
    services.playbook_publish(playbook=draft, actor=pm, make_default=True)

    running.refresh_from_db()
    assert running.playbook == playbook
    assert sorted(running.deliverables.values_list("title", "due_date")) == plan_before
    assert not running.deliverables.filter(title="A renamed first step").exists()

    newer = build_pilot(programme_manager=pm, playbook=draft, name="Invoice matching")
    titles = set(newer.deliverables.values_list("title", flat=True))
    assert "A renamed first step" in titles
    assert newer.deliverables.count() == running.deliverables.count() - 1


# -- publishing checks ----------------------------------------------------------------


def test_publishing_is_refused_with_the_problems_named(client, pm, draft):
    foundation = draft.phases.get(number=1)
    services.phase_update(
        phase=foundation,
        actor=pm,
        name="Foundation",
        purpose="",
        start_day=1,
        end_day=10,
        gate_signers=[],
    )
    with pytest.raises(services.PublishRefused) as refused:
        services.playbook_publish(playbook=draft, actor=pm, make_default=False)
    messages = [p.message for p in refused.value.problems]
    assert "days 8-14 fall outside the phase (days 1-10)" in messages
    assert "days 1-30 fall outside the phase (days 1-10)" in messages

    client.force_login(pm)
    response = client.post(reverse("playbook-publish", args=[draft.pk]))
    assert response.status_code == 400
    assert "fall outside the phase" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Playbook.Status.DRAFT


def test_publishing_needs_a_phase_and_phases_within_the_playbook(pm, draft):
    services.playbook_update(
        playbook=draft,
        actor=pm,
        name=draft.name,
        description="",
        length_days=60,
        escalation_days=3,
    )
    with pytest.raises(services.PublishRefused) as refused:
        services.playbook_publish(playbook=draft, actor=pm, make_default=False)
    assert [p.message for p in refused.value.problems] == [
        "day 90 is after the playbook ends (day 60); lengthen the playbook or end the phase sooner"
    ]
    for phase in list(draft.phases.all()):
        services.phase_delete(phase=phase, actor=pm)
    with pytest.raises(services.PublishRefused, match="1 problem") as refused:
        services.playbook_publish(playbook=draft, actor=pm, make_default=False)
    assert refused.value.problems[0].message == "a playbook needs at least one phase"


def test_forms_refuse_days_that_do_not_fit(client, pm, draft):
    client.force_login(pm)
    template = first_template(draft)
    url = reverse("playbook-template-edit", args=[draft.pk, template.pk])
    response = client.post(url, template_post(template, start_day=10, due_day=5))
    assert response.status_code == 400
    assert "The due day is on or after the start day." in response.content.decode()
    response = client.post(url, template_post(template, due_day=45), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Foundation runs from day 1 to day 30." in response.content.decode()
    response = client.post(
        url, template_post(template, kind=DeliverableKind.READINESS_CHECK, readiness_area="")
    )
    assert "Choose the area this readiness check confirms." in response.content.decode()
    template.refresh_from_db()
    assert template.due_day == 7


# -- the diff -------------------------------------------------------------------------


def test_the_diff_shows_added_removed_and_changed_items_with_their_fields(client, pm, draft):
    foundation = draft.phases.get(number=1)
    renamed, removed, _ = foundation.templates.order_by("order")
    services.deliverable_template_update(
        template=renamed,
        actor=pm,
        phase=foundation,
        **template_fields(renamed, title="Renamed activity", due_day=9, evidence_required=True),
    )
    services.deliverable_template_delete(template=removed, actor=pm)
    services.deliverable_template_create(
        phase=foundation,
        actor=pm,
        **template_fields(renamed, title="Brand new activity", evidence_required=False),
    )
    services.phase_update(
        phase=draft.phases.get(number=3),
        actor=pm,
        name="Scale",
        purpose="",
        start_day=61,
        end_day=90,
        gate_signers=["production_owner"],
    )
    services.gate_criterion_create(phase=foundation, actor=pm, statement="Signed off.")

    diff = diff_versions(snapshot(draft.based_on), snapshot(draft))
    phase_one, phase_two, phase_three = diff.phases
    assert [(i.state, i.title) for i in phase_one.deliverables] == [
        (CHANGED, "Renamed activity"),
        (ADDED, "Brand new activity"),
        (REMOVED, "Foundation activity 2"),
    ]
    assert [(c.label, c.old, c.new) for c in phase_one.deliverables[0].changes] == [
        ("Title", "Foundation activity 1", "Renamed activity"),
        ("Due day", "7", "9"),
        ("Needs evidence", "no", "yes"),
    ]
    assert [(c.state, c.title) for c in phase_one.criteria] == [(ADDED, "Signed off.")]
    assert phase_two.is_unchanged
    assert [(c.label, c.old, c.new) for c in phase_three.changes] == [
        ("Gate signed by", "Production owner, Programme manager", "Production owner")
    ]
    assert (diff.added, diff.removed, diff.changed) == (2, 1, 2)

    client.force_login(pm)
    page = client.get(reverse("playbook-diff", args=[draft.pk])).content.decode()
    for text in ("Renamed activity", "Brand new activity", "Foundation activity 2", "2 added"):
        assert text in page


def test_a_fresh_draft_has_no_changes_and_reordering_is_noted(pm, draft):
    assert diff_versions(snapshot(draft.based_on), snapshot(draft)).is_empty
    services.deliverable_template_move(template=first_template(draft), actor=pm, direction="down")
    diff = diff_versions(snapshot(draft.based_on), snapshot(draft))
    assert diff.phases[0].deliverables_reordered
    assert not diff.phases[0].deliverables


# -- import and export ----------------------------------------------------------------


def upload(text: str, name: str):
    file = io.BytesIO(text.encode())
    file.name = name
    return file


MALFORMED_YAML = """slug: acme
name: Acme
phases:
  - number: 1
    name: [unclosed
"""

SCHEMA_BROKEN_YAML = """slug: acme
name: Acme playbook
phases:
  - number: 1
    name: One
    start_day: 1
    end_day: 30
    deliverables:
      - title: Too late
        workstream: W
        dimension: data
        start_day: 20
        due_day: 45
"""


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("acme.yaml", MALFORMED_YAML, "Line 6, column 1"),
        ("acme.json", '{"slug": "acme",\n  "name": "Acme",\n  "phases": [,]\n}', "Line 3"),
        ("acme.yaml", SCHEMA_BROKEN_YAML, "phases[0].deliverables[0].due_day"),
        (
            "acme.json",
            json.dumps(
                {"slug": "acme", "name": "Acme", "phases": [{"number": 1, "name": "One"}]},
                indent=2,
            ),
            "phases[0].start_day",
        ),
    ],
    ids=["yaml-syntax", "json-syntax", "yaml-schema", "json-schema"],
)
def test_a_malformed_file_is_refused_with_its_place_and_changes_nothing(
    client, pm, playbook, name, text, expected
):
    client.force_login(pm)
    before = table_counts()
    response = client.post(reverse("playbook-import"), {"file": upload(text, name)})
    assert response.status_code == 400
    page = response.content.decode()
    assert expected in page
    assert "The file was not imported." in page
    assert table_counts() == before


def test_schema_errors_name_the_path_and_the_line(pm):
    with pytest.raises(Exception) as yaml_error:
        services.playbook_import(text=SCHEMA_BROKEN_YAML, fmt="yaml", actor=pm)
    [problem] = yaml_error.value.problems
    assert (problem.where, problem.line) == ("phases[0].deliverables[0].due_day", 13)
    assert str(problem) == (
        "line 13, column 18: phases[0].deliverables[0].due_day: days 20-45 fall outside the "
        "phase (days 1-30)"
    )
    as_json = json.dumps(yaml.safe_load(SCHEMA_BROKEN_YAML), indent=2)
    with pytest.raises(Exception) as json_error:
        services.playbook_import(text=as_json, fmt="json", actor=pm)
    [problem] = json_error.value.problems
    assert problem.where == "phases[0].deliverables[0].due_day"
    assert as_json.splitlines()[problem.line - 1].strip() == '"due_day": 45'


def test_syntax_errors_give_line_and_column(pm):
    with pytest.raises(Exception) as error:
        services.playbook_import(text=MALFORMED_YAML, fmt="yaml", actor=pm)
    assert error.value.problems[0].line == 6
    with pytest.raises(Exception) as error:
        services.playbook_import(text='{"slug": "x",\n"name": }', fmt="json", actor=pm)
    problem = error.value.problems[0]
    assert (problem.line, problem.column) == (2, 9)
    assert str(problem).startswith("line 2, column 9: not valid JSON")


def test_unknown_fields_repeated_keys_and_aliases_are_refused(pm):
    text = "slug: acme\nname: Acme\nname: Again\ntitel: typo\nphases: &p []\nmore: *p\n"
    with pytest.raises(Exception) as error:
        services.playbook_import(text=text, fmt="yaml", actor=pm)
    messages = [str(p) for p in error.value.problems]
    assert messages[0].startswith("line 3, column 1: name: “name” appears twice")
    assert any("anchors and aliases" in m for m in messages)
    assert Playbook.objects.filter(slug="acme").count() == 0


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_import_gives_an_equal_draft(client, pm, playbook, fmt):
    client.force_login(pm)
    phase = playbook.phases.get(number=1)
    GateCriterion.objects.create(phase=phase, order=1, statement="Everyone agrees.")
    response = client.get(reverse("playbook-export", args=[playbook.pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="test-playbook-v1.{fmt}"'
    text = response.content.decode()

    response = client.post(
        reverse("playbook-import"), {"file": upload(text, f"test-playbook-v1.{fmt}")}
    )
    imported = Playbook.objects.get(slug=playbook.slug, version=2)
    assert response["Location"] == reverse("playbook-detail", args=[imported.pk])
    assert (imported.status, imported.based_on) == (Playbook.Status.DRAFT, playbook)
    again = client.get(reverse("playbook-export", args=[imported.pk, fmt])).content.decode()
    assert again == text.replace("version: 1", "version: 2").replace('"version": 1', '"version": 2')
    assert diff_versions(snapshot(playbook), snapshot(imported)).is_empty


def test_an_import_of_a_new_slug_starts_a_playbook_at_version_one(pm, playbook):
    data = snapshot(playbook)
    data.update(slug="acme-ai", name="Acme's own playbook")
    del data["version"]
    imported = services.playbook_import(text=dump_playbook(data, "yaml"), fmt="yaml", actor=pm)
    assert (imported.slug, imported.version, imported.based_on) == ("acme-ai", 1, None)
    assert imported.status == Playbook.Status.DRAFT


def test_an_import_while_a_draft_exists_changes_nothing(client, pm, playbook, draft):
    client.force_login(pm)
    text = dump_playbook(snapshot(playbook), "yaml")
    before = table_counts()
    response = client.post(reverse("playbook-import"), {"file": upload(text, "p.yaml")})
    assert response.status_code == 409
    assert "already has a draft, version 2" in response.content.decode()
    assert table_counts() == before


def test_a_file_that_is_not_utf8_is_refused_with_its_line(client, pm):
    client.force_login(pm)
    file = io.BytesIO(b"slug: x\nname: caf\xe9\n")
    file.name = "x.yaml"
    response = client.post(reverse("playbook-import"), {"file": file})
    assert response.status_code == 400
    assert "Line 2" in response.content.decode()


# -- htmx inline editing --------------------------------------------------------------


def test_the_row_swaps_to_a_form_and_back_with_htmx(client, pm, draft):
    client.force_login(pm)
    template = first_template(draft)
    url = reverse("playbook-template-edit", args=[draft.pk, template.pk])
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert form.lstrip().startswith(f'<li id="template-{template.pk}" class="pb-row is-editing">')
    assert "<html" not in form

    response = client.post(
        url, template_post(template, title="Edited inline"), HTTP_HX_REQUEST="true"
    )
    row = response.content.decode()
    assert response.status_code == 200
    assert row.lstrip().startswith(f'<li id="template-{template.pk}" class="pb-row">')
    assert "Edited inline" in row
    assert 'id="publish-check"' in row and 'hx-swap-oob="true"' in row


def test_moves_and_deletes_answer_htmx_with_the_list_and_plain_posts_with_a_redirect(
    client, pm, draft
):
    client.force_login(pm)
    template = first_template(draft)
    move = reverse("playbook-template-move", args=[draft.pk, template.pk])
    response = client.post(move, {"direction": "down"}, HTTP_HX_REQUEST="true")
    assert response["HX-Retarget"] == f"#phase-{template.phase_id}-templates"
    assert (
        response.content.decode()
        .lstrip()
        .startswith(f'<div id="phase-{template.phase_id}-templates"')
    )
    response = client.post(move, {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#template-{template.pk}")
    assert client.post(move, {"direction": "sideways"}).status_code == 400
    response = client.post(reverse("playbook-template-delete", args=[draft.pk, template.pk]))
    assert response.status_code == 302
    assert not DeliverableTemplate.objects.filter(pk=template.pk).exists()


def test_phase_changes_answer_htmx_with_every_phase(client, pm, draft):
    services.playbook_update(
        playbook=draft,
        actor=pm,
        name=draft.name,
        description="",
        length_days=120,
        escalation_days=3,
    )
    client.force_login(pm)
    url = reverse("playbook-phase-create", args=[draft.pk])
    response = client.post(
        url, {"name": "Operate", "start_day": 100, "end_day": 90}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "The last day is on or after the first day." in response.content.decode()
    response = client.post(
        url,
        {"name": "Operate", "start_day": 91, "end_day": 120, "gate_signers": ["programme_manager"]},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Retarget"] == "#phases"
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="phases"')
    assert "Operate" in page and "Days 91–120" in page
    assert list(draft.phases.values_list("number", "name")) == [
        (1, "Foundation"),
        (2, "Integration"),
        (3, "Scale"),
        (4, "Operate"),
    ]


# -- access ---------------------------------------------------------------------------


@pytest.fixture
def urls(playbook, draft):
    phase = draft.phases.get(number=1)
    template = phase.templates.first()
    criterion = GateCriterion.objects.create(phase=phase, order=1, statement="Agreed.")
    return {
        "list": reverse("playbook-list"),
        "published": reverse("playbook-detail", args=[playbook.pk]),
        "published_diff": reverse("playbook-diff", args=[playbook.pk]),
        "published_export": reverse("playbook-export", args=[playbook.pk, "yaml"]),
        "draft": reverse("playbook-detail", args=[draft.pk]),
        "draft_diff": reverse("playbook-diff", args=[draft.pk]),
        "draft_export": reverse("playbook-export", args=[draft.pk, "json"]),
        "import": reverse("playbook-import"),
        "clone": reverse("playbook-clone", args=[playbook.pk]),
        "settings": reverse("playbook-settings", args=[draft.pk]),
        "publish": reverse("playbook-publish", args=[draft.pk]),
        "discard": reverse("playbook-discard", args=[draft.pk]),
        "retire": reverse("playbook-retire", args=[playbook.pk]),
        "make_default": reverse("playbook-make-default", args=[playbook.pk]),
        "phase_create": reverse("playbook-phase-create", args=[draft.pk]),
        "phase_edit": reverse("playbook-phase-edit", args=[draft.pk, phase.pk]),
        "phase_delete": reverse("playbook-phase-delete", args=[draft.pk, phase.pk]),
        "phase_move": reverse("playbook-phase-move", args=[draft.pk, phase.pk]),
        "template_create": reverse("playbook-template-create", args=[draft.pk, phase.pk]),
        "template_edit": reverse("playbook-template-edit", args=[draft.pk, template.pk]),
        "template_delete": reverse("playbook-template-delete", args=[draft.pk, template.pk]),
        "template_move": reverse("playbook-template-move", args=[draft.pk, template.pk]),
        "criterion_create": reverse("playbook-criterion-create", args=[draft.pk, phase.pk]),
        "criterion_edit": reverse("playbook-criterion-edit", args=[draft.pk, criterion.pk]),
        "criterion_delete": reverse("playbook-criterion-delete", args=[draft.pk, criterion.pk]),
        "criterion_move": reverse("playbook-criterion-move", args=[draft.pk, criterion.pk]),
    }


READ_FOR_ALL = ["list", "published", "published_diff", "published_export"]
DRAFT_READS = ["draft", "draft_diff", "draft_export"]
FORM_URLS = [
    "import",
    "settings",
    "publish",
    "discard",
    "phase_create",
    "phase_edit",
    "template_create",
    "template_edit",
    "criterion_create",
    "criterion_edit",
]
POST_ONLY_URLS = [
    "clone",
    "retire",
    "make_default",
    "phase_delete",
    "phase_move",
    "template_delete",
    "template_move",
    "criterion_delete",
    "criterion_move",
]
WRITE_URLS = FORM_URLS + POST_ONLY_URLS
READ_ONLY_PERSONAS = ["owner", "outsider", "leader", "reviewer"]


def test_anonymous_visitors_are_sent_to_log_in(client, urls):
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name
        assert client.post(url).status_code == 302, name


@pytest.mark.parametrize("persona", READ_ONLY_PERSONAS)
def test_other_roles_read_published_versions_but_change_nothing(
    client, urls, persona, request, draft
):
    client.force_login(request.getfixturevalue(persona))
    before = table_counts()
    for name in READ_FOR_ALL:
        assert client.get(urls[name]).status_code == 200, name
    for name in DRAFT_READS:
        assert client.get(urls[name]).status_code == 404, name
    for name in FORM_URLS:
        assert client.get(urls[name]).status_code == 403, name
    for name in WRITE_URLS:
        assert client.post(urls[name], {"direction": "up"}).status_code == 403, name
    assert table_counts() == before
    page = client.get(urls["published"]).content.decode()
    assert "Start a new draft" not in page
    assert f'href="{reverse("playbook-list")}"' not in client.get("/pilots/").content.decode()


@pytest.mark.parametrize("persona", ["pm", "admin_user"])
def test_programme_managers_and_administrators_edit(client, urls, persona, request, draft):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for name in READ_FOR_ALL + DRAFT_READS + FORM_URLS:
        assert client.get(urls[name]).status_code == 200, name
    response = client.post(urls["phase_move"], {"direction": "down"})
    assert response.status_code == 302
    response = client.post(urls["criterion_edit"], {"statement": f"Agreed by {user.username}."})
    assert response.status_code == 302
    assert GateCriterion.objects.filter(statement=f"Agreed by {user.username}.").exists()
    assert f'href="{reverse("playbook-list")}"' in client.get("/pilots/").content.decode()


def test_items_of_one_playbook_are_not_found_through_another(client, pm, playbook, draft):
    client.force_login(pm)
    other = build_playbook(slug="other")
    template = first_template(draft)
    url = reverse("playbook-template-edit", args=[other.pk, template.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("playbook-detail", args=[99999])).status_code == 404


def test_wrong_methods_are_refused(client, pm, urls):
    client.force_login(pm)
    for name in POST_ONLY_URLS:
        assert client.get(urls[name]).status_code == 405, name
    for name in FORM_URLS:
        assert client.put(urls[name]).status_code == 405, name
        assert client.delete(urls[name]).status_code == 405, name
    for name in READ_FOR_ALL + DRAFT_READS:
        assert client.post(urls[name]).status_code == 405, name


# -- audit signals --------------------------------------------------------------------


def test_every_change_is_announced_for_the_audit_trail(pm, playbook):
    heard = []

    def listen(sender, *, actor, verb, target, playbook, before, after, **kwargs):
        heard.append((verb, actor, type(target).__name__, playbook.version))

    playbook_changed.connect(listen)
    try:
        draft = services.playbook_clone(source=playbook, actor=pm)
        template = first_template(draft)
        services.deliverable_template_update(
            template=template,
            actor=pm,
            phase=template.phase,
            **template_fields(template, title="Renamed"),
        )
        services.gate_criterion_create(phase=template.phase, actor=pm, statement="Agreed.")
        services.playbook_publish(playbook=draft, actor=pm, make_default=False)
    finally:
        playbook_changed.disconnect(listen)
    assert heard == [
        ("playbook.cloned", pm, "Playbook", 2),
        ("deliverable_template.changed", pm, "DeliverableTemplate", 2),
        ("gate_criterion.added", pm, "GateCriterion", 2),
        ("playbook.published", pm, "Playbook", 2),
    ]


# -- the editor's reads ----------------------------------------------------------------


def test_the_editor_page_costs_the_same_queries_however_large_the_playbook(client, pm):
    small = services.playbook_clone(source=build_playbook(2, slug="small"), actor=pm)
    large = services.playbook_clone(source=build_playbook(9, slug="large"), actor=pm)
    client.force_login(pm)
    client.get(reverse("playbook-detail", args=[small.pk]))  # warm the session
    counts = []
    for version in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("playbook-detail", args=[version.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_editor_page_query_count_is_pinned(client, pm, draft, django_assert_num_queries):
    client.force_login(pm)
    client.get(reverse("playbook-list"))
    # session, user, the user's roles for the menu, unread notifications, the editor role,
    # the version, its phases, deliverables and gate criteria
    with django_assert_num_queries(9):
        assert client.get(reverse("playbook-detail", args=[draft.pk])).status_code == 200


def test_the_list_page_query_count_is_pinned(
    client, pm, playbook, draft, django_assert_num_queries
):
    build_playbook(slug="another")
    client.force_login(pm)
    client.get(reverse("playbook-list"))
    with django_assert_num_queries(6):
        page = client.get(reverse("playbook-list")).content.decode()
    assert "Continue editing" in page


# -- the dependency rule --------------------------------------------------------------


def test_the_playbook_app_imports_nothing_from_the_apps_above_it():
    root = Path(__file__).resolve().parent.parent / "playbook"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        for line in path.read_text().splitlines()
        if line.lstrip().startswith(
            ("from pilots", "import pilots", "from governance", "import governance")
        )
    ]
    assert offenders == []
