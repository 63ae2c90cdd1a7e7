"""The pilot pages through their real interface: forms, htmx fragments, bad input."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from pilots.models import Deliverable, Evidence, Pilot
from tests.conftest import KICKOFF, build_pilot

HOSTILE = "<script>alert('x')</script>\u202eevil ünïcödé 漢字 🚀"


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
    as_pm.post(reverse("pilot-launch", args=[pilot.pk]))
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
    assert Deliverable.objects.get(pk=item.pk).title == "Theirs"


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
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
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
