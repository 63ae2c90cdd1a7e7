"""The pilot pages through their real interface: forms, htmx fragments, bad input."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from pilots import services
from pilots.models import Deliverable, Evidence, Pilot
from tests.conftest import KICKOFF, build_pilot

HOSTILE = "<script>alert('x')</script>\u202eevil ünïcödé 漢字 🚀"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


@pytest.fixture
def as_pm(client, pm):
    client.force_login(pm)
    return client


def pilot_form(playbook, pm, **overrides):
    data = {
        "name": "Invoice matching",
        "business_unit": "Finance",
        "problem": "Invoices are matched by hand.",
        "programme_manager": pm.pk,
        "kickoff_date": "2026-03-02",
        "playbook": playbook.pk,
        "sponsor": "",
        "production_owner": "",
    }
    data.update(overrides)
    return data


def test_a_programme_manager_creates_then_launches_a_pilot(as_pm, playbook, pm):
    response = as_pm.post(reverse("pilot-create"), pilot_form(playbook, pm))
    pilot = Pilot.objects.get(name="Invoice matching")
    assert response.status_code == 302 and response["Location"] == f"/pilots/{pilot.pk}/"
    page = as_pm.get(response["Location"]).content.decode()
    assert "Not launched yet" in page and "Launch pilot" in page
    # Its intake is empty, so the programme manager launches with a written reason.
    as_pm.post(reverse("pilot-launch", args=[pilot.pk]), {"override_reason": "Agreed at steering."})
    pilot.refresh_from_db()
    assert pilot.status == Pilot.Status.ACTIVE and pilot.deliverables.count() == 9


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"kickoff_date": "2026-02-31"}, "kickoff_date"),
        ({"kickoff_date": "yesterday"}, "kickoff_date"),
        ({"name": "x" * 10_000}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"programme_manager": 999_999}, "programme_manager"),
        ({"sponsor": "not-a-user"}, "sponsor"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_pilot_input_gets_a_form_error_and_saves_nothing(as_pm, playbook, pm, overrides, field):
    response = as_pm.post(reverse("pilot-create"), pilot_form(playbook, pm, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Pilot.objects.exists()


def test_typed_text_is_escaped_everywhere(as_pm, playbook, pm):
    as_pm.post(
        reverse("pilot-create"), pilot_form(playbook, pm, name=HOSTILE[:120], problem=HOSTILE)
    )
    pilot = Pilot.objects.get()
    for url in (reverse("pilot-detail", args=[pilot.pk]), reverse("pilot-list")):
        body = as_pm.get(url).content.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
        assert "漢字 🚀" in body


def test_moving_the_kickoff_through_the_form_replans_open_work(as_pm, pilot, pm, playbook):
    item = pilot.deliverables.order_by("due_date").last()
    data = pilot_form(
        playbook,
        pm,
        name=pilot.name,
        business_unit=pilot.business_unit,
        problem=pilot.problem,
        kickoff_date="2026-03-09",
        sponsor=pilot.sponsor_id,
        production_owner=pilot.production_owner_id,
        version=pilot.version,
    )
    response = as_pm.post(reverse("pilot-edit", args=[pilot.pk]), data)
    assert response.status_code == 302
    assert Deliverable.objects.get(pk=item.pk).due_date == item.due_date + timedelta(days=7)


@time_machine.travel(KICKOFF + timedelta(days=10), tick=False)
def test_the_pilot_page_shows_day_phase_progress_and_marks(as_pm, pilot):
    page = as_pm.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    assert "Day 11 of 90" in page
    assert "Foundation activity 1" in page and "overdue" in page
    assert "1. Foundation" in page and "2. Integration" in page and "3. Scale" in page
    assert 'id="phase-progress-1"' in page


def test_ticking_with_htmx_returns_the_row_and_out_of_band_progress(client, owner, owned, pilot):
    client.force_login(owner)
    response = client.post(
        reverse("deliverable-tick", args=[pilot.pk, owned.pk]),
        {"version": owned.version, "evidence_url": "https://docs.example.com/a", "note": "ok"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="deliverable-{owned.pk}"')
    assert (
        'id="phase-progress-1" class="phase-progress is-current" hx-swap-oob="true"' in body
        or 'id="phase-progress-1" class="phase-progress" hx-swap-oob="true"' in body
    )
    assert 'id="pilot-stats" class="stats" hx-swap-oob="true"' in body
    assert "<html" not in body
    assert 'value="1" max="9"' in body  # one of nine closed, in the overall bar
    assert Evidence.objects.get(deliverable=owned).url == "https://docs.example.com/a"
    owned.refresh_from_db()
    undo = client.post(
        reverse("deliverable-untick", args=[pilot.pk, owned.pk]),
        {"version": owned.version},
        HTTP_HX_REQUEST="true",
    )
    assert undo.status_code == 200 and 'value="0" max="9"' in undo.content.decode()


def test_a_stale_tick_gets_409_with_the_current_row(client, owner, owned, pilot):
    client.force_login(owner)
    stale = owned.version
    Deliverable.objects.filter(pk=owned.pk).update(title="Changed meanwhile", version=stale + 1)
    response = client.post(
        reverse("deliverable-tick", args=[pilot.pk, owned.pk]),
        {"version": stale},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this deliverable" in body and "Changed meanwhile" in body
    assert Deliverable.objects.get(pk=owned.pk).status == "todo"


def test_a_bad_evidence_link_is_refused_without_ticking(client, owner, owned, pilot):
    client.force_login(owner)
    response = client.post(
        reverse("deliverable-tick", args=[pilot.pk, owned.pk]),
        {"version": owned.version, "evidence_url": "javascript:alert(1)"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422 and "Enter a valid URL" in response.content.decode()
    assert Deliverable.objects.get(pk=owned.pk).status == "todo"


def test_ticking_without_javascript_redirects_back(client, owner, owned, pilot):
    client.force_login(owner)
    response = client.post(
        reverse("deliverable-tick", args=[pilot.pk, owned.pk]), {"version": owned.version}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/pilots/{pilot.pk}/#deliverable-{owned.pk}"


def test_editing_a_deliverable_detects_a_concurrent_change(as_pm, pilot, owner):
    item = pilot.deliverables.first()
    url = reverse("deliverable-edit", args=[pilot.pk, item.pk])
    form = {
        "version": item.version,
        "title": "Mine",
        "owner": owner.pk,
        "start_date": item.start_date.isoformat(),
        "due_date": item.due_date.isoformat(),
    }
    Deliverable.objects.filter(pk=item.pk).update(title="Theirs", version=item.version + 1)
    response = as_pm.post(url, form)
    assert response.status_code == 409
    assert "Someone else changed this deliverable while you were editing it" in (
        response.content.decode()
    )
    assert Deliverable.objects.get(pk=item.pk).title == "Theirs"


def _deliverable_edit(item, **change) -> dict:
    form = {
        "version": item.version,
        "title": item.title,
        "owner": item.owner_id or "",
        "start_date": item.start_date.isoformat(),
        "due_date": item.due_date.isoformat(),
    }
    form.update(change)
    return form


def test_changing_a_due_date_through_the_edit_form(as_pm, pilot):
    item = pilot.deliverables.get(title="Foundation activity 2")
    new_due = item.due_date + timedelta(days=5)
    response = as_pm.post(
        reverse("deliverable-edit", args=[pilot.pk, item.pk]),
        _deliverable_edit(item, due_date=new_due.isoformat()),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/pilots/{pilot.pk}/#deliverable-{item.pk}"
    saved = Deliverable.objects.get(pk=item.pk)
    assert (saved.due_date, saved.version) == (new_due, item.version + 1)
    page = as_pm.get(response["Location"]).content.decode()
    assert f'<time datetime="{new_due.isoformat()}">' in page


def test_assigning_one_owner_through_the_edit_form(as_pm, client, pilot, owner):
    item = pilot.deliverables.get(title="Integration activity 1")
    assert item.owner is None
    response = as_pm.post(
        reverse("deliverable-edit", args=[pilot.pk, item.pk]),
        _deliverable_edit(item, owner=owner.pk),
    )
    assert response.status_code == 302
    assert Deliverable.objects.get(pk=item.pk).owner == owner
    client.force_login(owner)
    mine = [
        d.pk for _k, _t, items in client.get(reverse("my-work")).context["groups"] for d in items
    ]
    assert item.pk in mine


# --- Pilot edits carry a version ----------------------------------------------------------


def _pilot_edit(pilot, version, **change) -> dict:
    data = pilot_form(
        pilot.playbook,
        pilot.programme_manager,
        name=pilot.name,
        business_unit=pilot.business_unit,
        problem=pilot.problem,
        kickoff_date=pilot.kickoff_date.isoformat(),
        sponsor=pilot.sponsor_id or "",
        production_owner=pilot.production_owner_id or "",
        version=version,
    )
    data.update(change)
    return data


def test_a_stale_pilot_edit_gets_409_and_overwrites_nothing(as_pm, pilot, pm):
    url = reverse("pilot-edit", args=[pilot.pk])
    seen = as_pm.get(url).context["form"]["version"].value()
    services.pilot_update(pilot=pilot, actor=pm, name="Theirs", business_unit="Claims")
    response = as_pm.post(url, _pilot_edit(pilot, seen, name="Mine", kickoff_date="2026-03-09"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this pilot while you were editing it" in body
    current = Pilot.objects.get(pk=pilot.pk)
    assert (current.name, current.business_unit, current.kickoff_date) == (
        "Theirs",
        "Claims",
        KICKOFF,
    )
    # The form now shows what the pilot holds, with the version to edit it from.
    assert 'value="Theirs"' in body and f'name="version" value="{current.version}"' in body
    again = as_pm.post(url, _pilot_edit(current, current.version, name="Mine"))
    assert again.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).name == "Mine"


def test_a_pilot_edit_opened_before_the_launch_is_refused_after_it(as_pm, pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, launch=False)
    url = reverse("pilot-edit", args=[pilot.pk])
    seen = as_pm.get(url).context["form"]["version"].value()
    as_pm.post(reverse("pilot-launch", args=[pilot.pk]), {"override_reason": "Agreed at steering."})
    response = as_pm.post(url, _pilot_edit(pilot, seen, kickoff_date="2026-04-06"))
    assert response.status_code == 409
    assert Pilot.objects.get(pk=pilot.pk).kickoff_date == KICKOFF


def test_each_pilot_edit_moves_the_version_on(as_pm, pilot):
    url = reverse("pilot-edit", args=[pilot.pk])
    first = pilot.version
    assert as_pm.post(url, _pilot_edit(pilot, first, name="Renamed")).status_code == 302
    pilot.refresh_from_db()
    assert pilot.version > first
    # The same (now old) version again: refused, the rename kept.
    assert as_pm.post(url, _pilot_edit(pilot, first, name="Again")).status_code == 409
    assert Pilot.objects.get(pk=pilot.pk).name == "Renamed"


# --- What the pilot page marks ------------------------------------------------------------


def _row(page: str, pk: int) -> str:
    match = re.search(rf'<tr id="deliverable-{pk}".*?</tr>', page, re.S)
    assert match, f"no row for deliverable {pk}"
    return match.group(0)


@time_machine.travel(KICKOFF + timedelta(days=10), tick=False)
def test_the_pilot_page_marks_due_soon_work_and_heads_each_week_window(as_pm, pilot):
    page = as_pm.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    soon = pilot.deliverables.get(title="Foundation activity 2")  # due on day 14
    later = pilot.deliverables.get(title="Foundation phase deliverable")  # due on day 30
    assert "is-due-soon" in _row(page, soon.pk)
    assert '<span class="badge badge-soon">due soon</span>' in _row(page, soon.pk)
    assert "due soon" not in _row(page, later.pk) and "overdue" not in _row(page, later.pk)
    for heading in ("Weeks 1", "Weeks 2", "Day 30 deliverables", "Day 60 deliverables"):
        assert f'<h3 class="workstream">{heading}</h3>' in page, heading


# --- Typed text is escaped ----------------------------------------------------------------


def test_a_hostile_title_reason_and_note_are_escaped_on_the_pilot_page_and_my_work(
    as_pm, client, pilot, owner, owned
):
    # The programme manager renames the owner's deliverable and waives another one.
    as_pm.post(
        reverse("deliverable-edit", args=[pilot.pk, owned.pk]),
        _deliverable_edit(owned, title=HOSTILE),
    )
    waived = pilot.deliverables.get(title="Scale activity 1")
    as_pm.post(
        reverse("deliverable-waive", args=[pilot.pk, waived.pk]),
        {"version": waived.version, "reason": HOSTILE},
    )
    # The owner ticks with a note, then takes the tick back: the note stays as evidence.
    client.force_login(owner)
    owned.refresh_from_db()
    tick = reverse("deliverable-tick", args=[pilot.pk, owned.pk])
    assert client.post(tick, {"version": owned.version, "note": HOSTILE}).status_code == 302
    owned.refresh_from_db()
    untick = reverse("deliverable-untick", args=[pilot.pk, owned.pk])
    assert client.post(untick, {"version": owned.version}).status_code == 302
    assert Evidence.objects.get(deliverable=owned).note == HOSTILE
    assert Deliverable.objects.get(pk=waived.pk).waived_reason == HOSTILE

    detail = client.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    my_work = client.get(reverse("my-work")).content.decode()
    for body in (detail, my_work):
        assert "<script>alert" not in body
    row = _row(detail, owned.pk)
    assert row.count(ESCAPED) >= 2  # the title (also in the tick label) and the note
    assert f"Waived: {ESCAPED}" in detail
    work_row = re.search(rf'<tr id="work-{owned.pk}".*?</tr>', my_work, re.S).group(0)
    assert f'<span class="title">{ESCAPED}' in work_row
    assert f'<span class="muted">{ESCAPED}' in work_row


@pytest.mark.parametrize(
    "change, message",
    [
        ({"due_date": "2026-02-01", "start_date": "2026-01-30"}, "before the pilot"),
        ({"due_date": "2026-13-01"}, "Enter a valid date"),
        ({"title": "t" * 10_000}, "at most 200 characters"),
        ({"title": "nul\x00"}, "Null characters are not allowed"),
        ({"owner": 987654}, "Select a valid choice"),
        ({"start_date": "2026-04-20", "due_date": "2026-04-10"}, "on or after the start date"),
    ],
)
def test_bad_deliverable_edits_get_a_clear_error(as_pm, pilot, change, message):
    item = pilot.deliverables.first()
    form = {
        "version": item.version,
        "title": item.title,
        "owner": "",
        "start_date": item.start_date.isoformat(),
        "due_date": item.due_date.isoformat(),
    }
    form.update(change)
    response = as_pm.post(reverse("deliverable-edit", args=[pilot.pk, item.pk]), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Deliverable.objects.get(pk=item.pk).version == item.version


def test_waive_needs_a_reason_in_the_form(as_pm, pilot):
    item = pilot.deliverables.first()
    url = reverse("deliverable-waive", args=[pilot.pk, item.pk])
    assert as_pm.post(url, {"version": item.version, "reason": "  "}).status_code == 400
    assert (
        as_pm.post(url, {"version": item.version, "reason": "Done group-wide"}).status_code == 302
    )
    item.refresh_from_db()
    assert item.status == "waived" and item.waived_reason == "Done group-wide"
    page = as_pm.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    assert "Waived: Done group-wide" in page


def test_bulk_assign_through_the_form(as_pm, pilot, owner):
    ids = list(pilot.deliverables.values_list("pk", flat=True)[:4])
    response = as_pm.post(
        reverse("deliverables-assign", args=[pilot.pk]), {"deliverables": ids, "owner": owner.pk}
    )
    assert response.status_code == 302
    assert Deliverable.objects.filter(pk__in=ids, owner=owner).count() == 4


def test_bulk_assign_with_a_foreign_deliverable_changes_nothing(as_pm, pilot, owner, pm, playbook):
    other = build_pilot(programme_manager=pm, playbook=playbook, name="Other")
    ids = [pilot.deliverables.last().pk, other.deliverables.first().pk]
    response = as_pm.post(
        reverse("deliverables-assign", args=[pilot.pk]),
        {"deliverables": ids, "owner": owner.pk},
    )
    assert response.status_code == 400
    assert "not part of this pilot" in response.content.decode()
    assert not Deliverable.objects.filter(pk__in=ids, owner=owner).exists()


def test_adding_a_custom_deliverable(as_pm, pilot, owner):
    run = pilot.phase_runs.get(number=2)
    response = as_pm.post(
        reverse("deliverable-add", args=[pilot.pk]),
        {
            "phase_run": run.pk,
            "title": "Peak-load rehearsal",
            "dimension": "infrastructure",
            "due_date": (run.planned_start + timedelta(days=3)).isoformat(),
            "owner": owner.pk,
        },
    )
    assert response.status_code == 302
    item = Deliverable.objects.get(title="Peak-load rehearsal")
    assert item.template is None and item.phase_run == run and item.owner == owner


def test_adding_a_custom_deliverable_in_another_pilots_phase_is_refused(as_pm, pilot, pm, playbook):
    other = build_pilot(programme_manager=pm, playbook=playbook, name="Other")
    response = as_pm.post(
        reverse("deliverable-add", args=[pilot.pk]),
        {
            "phase_run": other.phase_runs.first().pk,
            "title": "Sneaky",
            "dimension": "data",
            "due_date": "2026-04-01",
        },
    )
    assert response.status_code == 400
    assert not Deliverable.objects.filter(title="Sneaky").exists()


def test_the_assign_menu_offers_active_people_by_name(as_pm, pilot):
    from tests.conftest import make_user

    named = make_user("noor")
    bare = make_user("x-login")
    bare.first_name = bare.last_name = ""
    bare.save(update_fields=["first_name", "last_name"])
    gone = make_user("left", is_active=False)
    page = as_pm.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    menu = re.search(r'<select name="owner" id="bulk-owner".*?</select>', page, re.S).group(0)
    assert f'<option value="{named.pk}">Noor Test</option>' in menu
    assert f'<option value="{bare.pk}">x-login</option>' in menu
    assert f'value="{gone.pk}"' not in menu
    ids = list(pilot.deliverables.values_list("pk", flat=True)[:2])
    response = as_pm.post(
        reverse("deliverables-assign", args=[pilot.pk]), {"deliverables": ids, "owner": named.pk}
    )
    assert response.status_code == 302
    assert set(pilot.deliverables.filter(owner=named).values_list("pk", flat=True)) == set(ids)
