"""Bad input through the real interface: each gets a clear form error or a 4xx, never a
500, and nothing is half-saved."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from pilots import services
from pilots.models import Deliverable, Evidence, Pilot
from tests.conftest import KICKOFF, build_pilot

HUGE = "x" * 10_000
NUL = "bad\x00text"


@pytest.fixture
def as_pm(client, pm):
    client.force_login(pm)
    return client


def pilot_form(playbook, pm, **overrides) -> dict:
    data = {
        "name": "Invoice matching",
        "business_unit": "Finance",
        "problem": "Invoices are matched by hand.",
        "programme_manager": pm.pk,
        "kickoff_date": KICKOFF.isoformat(),
        "playbook": playbook.pk,
        "sponsor": "",
        "production_owner": "",
    }
    data.update(overrides)
    return data


def edit_form(pilot, **overrides) -> dict:
    data = {
        "name": pilot.name,
        "business_unit": pilot.business_unit,
        "problem": pilot.problem,
        "programme_manager": pilot.programme_manager_id,
        "kickoff_date": pilot.kickoff_date.isoformat(),
        "playbook": pilot.playbook_id,
        "sponsor": pilot.sponsor_id or "",
        "production_owner": pilot.production_owner_id or "",
        "version": pilot.version,
    }
    data.update(overrides)
    return data


def _plan(pilot) -> list[tuple]:
    return list(
        Deliverable.objects.filter(pilot=pilot)
        .order_by("pk")
        .values_list("start_date", "due_date", "version")
    )


# --- Numbers: only ASCII digits are numbers ------------------------------------------------


@pytest.mark.parametrize("page", ["²", "١", "9" * 5000, "-1", "0", "1e3", ""])
def test_it_shows_the_first_page_of_my_work_for_a_page_that_is_not_a_number(
    client, owner, owned, page
):
    client.force_login(owner)
    response = client.get(reverse("my-work"), {"page": page})
    assert response.status_code == 200
    assert response.context["page"] == 1


@pytest.mark.parametrize("version", ["²", "9" * 5000, "", "0"])
def test_it_refuses_a_reopen_whose_version_is_not_a_number(as_pm, pilot, version):
    item = pilot.deliverables.first()
    services.deliverable_waive(deliverable=item, reason="Group-wide", expected_version=None)
    item.refresh_from_db()
    url = reverse("deliverable-reopen", args=[pilot.pk, item.pk])
    response = as_pm.post(url, {"version": version}, follow=True)
    assert response.status_code == 200
    assert "This page is out of date" in response.content.decode()
    assert Deliverable.objects.get(pk=item.pk).status == "waived"


def test_it_reopens_with_the_version_the_page_showed(as_pm, pilot):
    item = pilot.deliverables.first()
    services.deliverable_waive(deliverable=item, reason="Group-wide", expected_version=None)
    item.refresh_from_db()
    url = reverse("deliverable-reopen", args=[pilot.pk, item.pk])
    assert as_pm.post(url, {"version": str(item.version)}).status_code == 302
    assert Deliverable.objects.get(pk=item.pk).status == "todo"


# --- Dates: bounded, so no plan runs off the calendar --------------------------------------


@time_machine.travel(KICKOFF, tick=False)
@pytest.mark.parametrize("kickoff", ["9999-12-20", "0001-01-01", "2036-03-03", "2016-03-01"])
def test_it_refuses_a_kickoff_more_than_ten_years_from_today(as_pm, playbook, pm, kickoff):
    response = as_pm.post(reverse("pilot-create"), pilot_form(playbook, pm, kickoff_date=kickoff))
    assert response.status_code == 400
    assert "within 10 years of today" in response.context["form"].errors["kickoff_date"][0]
    assert not Pilot.objects.exists()


@time_machine.travel(KICKOFF, tick=False)
@pytest.mark.parametrize("kickoff", ["2036-03-02", "2016-03-02"])
def test_it_accepts_a_kickoff_on_the_edge_of_the_window(as_pm, playbook, pm, kickoff):
    response = as_pm.post(reverse("pilot-create"), pilot_form(playbook, pm, kickoff_date=kickoff))
    assert response.status_code == 302
    assert Pilot.objects.get().kickoff_date == date.fromisoformat(kickoff)


@time_machine.travel(KICKOFF, tick=False)
def test_it_refuses_to_move_a_launched_pilot_to_the_end_of_the_calendar(as_pm, pilot):
    before = _plan(pilot)
    url = reverse("pilot-edit", args=[pilot.pk])
    response = as_pm.post(url, edit_form(pilot, kickoff_date="9999-12-20"))
    assert response.status_code == 400
    assert "kickoff_date" in response.context["form"].errors
    assert Pilot.objects.get(pk=pilot.pk).kickoff_date == KICKOFF
    assert _plan(pilot) == before
    assert as_pm.get(reverse("pilot-detail", args=[pilot.pk])).status_code == 200


@time_machine.travel(KICKOFF, tick=False)
def test_it_refuses_cleanly_to_launch_from_a_kickoff_set_behind_the_forms_back(as_pm, pm, playbook):
    # As an administrator could in the Django admin, which does not use our forms.
    pilot = build_pilot(programme_manager=pm, playbook=playbook, launch=False)
    Pilot.objects.filter(pk=pilot.pk).update(kickoff_date=date(9999, 12, 20))
    response = as_pm.post(reverse("pilot-launch", args=[pilot.pk]), follow=True)
    assert response.status_code == 200
    assert "would fall outside the calendar" in response.content.decode()
    pilot.refresh_from_db()
    assert not pilot.is_launched and pilot.status == Pilot.Status.INTAKE
    assert not pilot.deliverables.exists() and not pilot.phase_runs.exists()


@time_machine.travel(KICKOFF, tick=False)
def test_it_refuses_a_kickoff_move_that_would_push_open_work_off_the_calendar(as_pm, pilot):
    # A due date set behind the forms' back; the service must still refuse, not overflow.
    item = pilot.deliverables.order_by("due_date").last()
    Deliverable.objects.filter(pk=item.pk).update(due_date=date(9999, 12, 30))
    before = _plan(pilot)
    url = reverse("pilot-edit", args=[pilot.pk])
    response = as_pm.post(url, edit_form(pilot, kickoff_date="2026-03-09", name="Renamed"))
    assert response.status_code == 400
    assert "would fall outside the calendar" in response.content.decode()
    pilot.refresh_from_db()
    assert (pilot.kickoff_date, pilot.name, pilot.version) == (KICKOFF, "Claims triage", 2)
    assert _plan(pilot) == before
    assert pilot.phase_runs.get(number=1).planned_start == KICKOFF


@pytest.mark.parametrize(
    "change",
    [
        {"due_date": "9999-12-31"},
        {"due_date": "2029-03-03"},  # three years and a day after kickoff
        {"start_date": "2023-03-01"},
    ],
)
def test_it_refuses_deliverable_dates_far_from_the_kickoff(as_pm, pilot, change):
    item = pilot.deliverables.first()
    form = {
        "version": item.version,
        "title": item.title,
        "owner": "",
        "start_date": item.start_date.isoformat(),
        "due_date": item.due_date.isoformat(),
        **change,
    }
    response = as_pm.post(reverse("deliverable-edit", args=[pilot.pk, item.pk]), form)
    assert response.status_code == 400
    assert "within 3 years of the pilot&#x27;s kickoff" in response.content.decode()
    assert Deliverable.objects.get(pk=item.pk).version == item.version


def test_it_accepts_a_due_date_three_years_after_kickoff(as_pm, pilot):
    item = pilot.deliverables.first()
    form = {
        "version": item.version,
        "title": item.title,
        "owner": "",
        "start_date": item.start_date.isoformat(),
        "due_date": "2029-03-02",
    }
    response = as_pm.post(reverse("deliverable-edit", args=[pilot.pk, item.pk]), form)
    assert response.status_code == 302
    assert Deliverable.objects.get(pk=item.pk).due_date == date(2029, 3, 2)


# --- The pilot form -----------------------------------------------------------------------


def test_it_refuses_a_problem_longer_than_five_thousand_characters(as_pm, playbook, pm):
    response = as_pm.post(reverse("pilot-create"), pilot_form(playbook, pm, problem="p" * 5001))
    assert response.status_code == 400
    assert "at most 5,000 characters (this text has 5001)" in response.content.decode()
    assert not Pilot.objects.exists()


@pytest.mark.parametrize("version", [None, "", "²", "0", "abc"])
def test_it_refuses_a_pilot_edit_without_a_usable_version(as_pm, pilot, version):
    data = edit_form(pilot, name="Renamed")
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    response = as_pm.post(reverse("pilot-edit", args=[pilot.pk]), data)
    assert response.status_code == 400
    assert "This page is out of date" in response.content.decode()
    assert Pilot.objects.get(pk=pilot.pk).name == "Claims triage"


# --- Adding a custom deliverable ----------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": NUL}, "title"),
        ({"title": HUGE}, "title"),
        ({"due_date": (KICKOFF - timedelta(days=1)).isoformat()}, "due_date"),
        ({"due_date": "9999-12-31"}, "due_date"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"owner": 987_654}, "owner"),
        ({"owner": "someone"}, "owner"),
        ({"dimension": "vibes"}, "dimension"),
    ],
)
def test_it_refuses_a_bad_custom_deliverable_and_saves_nothing(as_pm, pilot, owner, change, field):
    run = pilot.phase_runs.get(number=2)
    data = {
        "phase_run": run.pk,
        "title": "Peak-load rehearsal",
        "dimension": "infrastructure",
        "due_date": (run.planned_start + timedelta(days=3)).isoformat(),
        "owner": owner.pk,
        **change,
    }
    count = Deliverable.objects.count()
    response = as_pm.post(reverse("deliverable-add", args=[pilot.pk]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Deliverable.objects.count() == count


# --- Waiving ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason, message",
    [(NUL, "Null characters are not allowed"), (HUGE, "at most 2000 characters")],
)
def test_it_refuses_a_bad_waive_reason(as_pm, pilot, reason, message):
    item = pilot.deliverables.first()
    url = reverse("deliverable-waive", args=[pilot.pk, item.pk])
    response = as_pm.post(url, {"version": item.version, "reason": reason})
    assert response.status_code == 400
    assert message in response.content.decode()
    item.refresh_from_db()
    assert item.status == "todo" and item.waived_reason == ""


def test_a_stale_waive_gets_409_with_a_clear_message_and_changes_nothing(as_pm, pilot, owner):
    item = pilot.deliverables.get(owner=None, title="Foundation activity 2")
    stale = item.version
    services.deliverable_update(
        deliverable=item,
        expected_version=stale,
        title="Renamed meanwhile",
        owner=owner,
        start_date=item.start_date,
        due_date=item.due_date,
    )
    url = reverse("deliverable-waive", args=[pilot.pk, item.pk])
    response = as_pm.post(url, {"version": stale, "reason": "Not needed here"})
    assert response.status_code == 409
    assert "Someone else changed this deliverable" in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.waived_reason, item.title) == ("todo", "", "Renamed meanwhile")


# --- Ticking ------------------------------------------------------------------------------


@pytest.mark.parametrize("note", [NUL, HUGE])
@pytest.mark.parametrize("htmx", [True, False])
def test_it_refuses_a_bad_tick_note_on_the_pilot_page(client, owner, owned, pilot, note, htmx):
    client.force_login(owner)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    url = reverse("deliverable-tick", args=[pilot.pk, owned.pk])
    response = client.post(url, {"version": owned.version, "note": note}, **headers)
    if htmx:
        assert response.status_code == 422
    else:
        assert response.status_code == 302  # back to the page, with the error as a message
        page = client.get(response["Location"]).content.decode()
        assert "Null characters" in page or "at most 2000 characters" in page
    assert Deliverable.objects.get(pk=owned.pk).status == "todo"
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("note", [NUL, HUGE])
def test_it_refuses_a_bad_tick_note_on_my_work(client, owner, owned, note):
    client.force_login(owner)
    response = client.post(
        reverse("my-work-tick", args=[owned.pk]),
        {"version": owned.version, "note": note},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert Deliverable.objects.get(pk=owned.pk).status == "todo"
    assert not Evidence.objects.exists()


# --- Bulk assign --------------------------------------------------------------------------


@pytest.mark.parametrize("unknown", [987_654, "someone", ""])
def test_bulk_assign_to_an_unknown_owner_is_a_400_with_the_error_on_the_page(as_pm, pilot, unknown):
    ids = list(pilot.deliverables.filter(owner=None).values_list("pk", flat=True)[:3])
    response = as_pm.post(
        reverse("deliverables-assign", args=[pilot.pk]), {"deliverables": ids, "owner": unknown}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="bulk-assign"' in body and 'class="form-error" role="alert"' in body
    assert "Choose" in response.context["assign_form"].errors["owner"][0]
    assert not Deliverable.objects.filter(pk__in=ids).exclude(owner=None).exists()


def test_bulk_assign_with_nothing_selected_says_so(as_pm, pilot, owner):
    response = as_pm.post(reverse("deliverables-assign", args=[pilot.pk]), {"owner": owner.pk})
    assert response.status_code == 400
    assert "Select at least one deliverable." in response.content.decode()
