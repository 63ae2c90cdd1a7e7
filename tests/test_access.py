"""Every view, for every persona: readers read, writers write, outsiders see nothing.

Outsiders get 404 (a pilot's existence is not disclosed); a user who may read a pilot but
not change it gets 403 on every write; wrong methods get 405.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from pilots.models import Deliverable, Pilot
from pilots.roles import Role
from tests.conftest import make_user


@pytest.fixture
def urls(pilot, owned):
    d = pilot.deliverables.exclude(pk=owned.pk).first()
    return {
        "detail": reverse("pilot-detail", args=[pilot.pk]),
        "edit": reverse("pilot-edit", args=[pilot.pk]),
        "launch": reverse("pilot-launch", args=[pilot.pk]),
        "add": reverse("deliverable-add", args=[pilot.pk]),
        "assign": reverse("deliverables-assign", args=[pilot.pk]),
        "tick_owned": reverse("deliverable-tick", args=[pilot.pk, owned.pk]),
        "tick_other": reverse("deliverable-tick", args=[pilot.pk, d.pk]),
        "untick_other": reverse("deliverable-untick", args=[pilot.pk, d.pk]),
        "edit_d": reverse("deliverable-edit", args=[pilot.pk, d.pk]),
        "waive": reverse("deliverable-waive", args=[pilot.pk, d.pk]),
        "reopen": reverse("deliverable-reopen", args=[pilot.pk, d.pk]),
        "mywork_tick_other": reverse("my-work-tick", args=[d.pk]),
        "mywork_untick_other": reverse("my-work-untick", args=[d.pk]),
    }


READ_URLS = ["detail"]
EDITOR_GET_URLS = ["edit", "add", "edit_d", "waive"]
WRITE_POST_URLS = [
    "edit",
    "launch",
    "add",
    "assign",
    "tick_other",
    "untick_other",
    "edit_d",
    "waive",
    "reopen",
    "mywork_tick_other",
    "mywork_untick_other",
]
# Pages that answer GET with a form and POST with a change; every other method is refused.
FORM_URLS = ["edit", "add", "edit_d", "waive"]


def _login(client, user):
    client.force_login(user)
    return client


def test_anonymous_is_sent_to_login(client, urls):
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("persona", ["outsider"])
def test_outsiders_get_404_for_the_pilot_and_everything_under_it(client, urls, persona, request):
    _login(client, request.getfixturevalue(persona))
    for name, url in urls.items():
        assert client.get(url).status_code in (404, 405), name
        if name in READ_URLS:
            continue  # GET-only: a POST is refused by method before any lookup
        assert client.post(url, {"version": 1}).status_code == 404, name
        assert client.post(url, {"version": 1}, HTTP_HX_REQUEST="true").status_code == 404, name


@pytest.mark.parametrize(
    "persona", ["leader", "reviewer", "other_pm", "owner", "sponsor", "production_owner"]
)
def test_readers_who_may_not_edit_get_403_on_every_write(client, urls, persona, request):
    _login(client, request.getfixturevalue(persona))
    assert client.get(urls["detail"]).status_code == 200
    for name in EDITOR_GET_URLS:
        assert client.get(urls[name]).status_code == 403, name
    for name in WRITE_POST_URLS:
        assert client.post(urls[name], {"version": 1}).status_code == 403, name
        htmx = client.post(urls[name], {"version": 1}, HTTP_HX_REQUEST="true")
        assert htmx.status_code == 403, name
    assert Deliverable.objects.filter(status="done").count() == 0


def test_the_programme_manager_of_the_pilot_can_open_every_editor(client, urls, pm):
    _login(client, pm)
    for name in [*READ_URLS, *EDITOR_GET_URLS]:
        assert client.get(urls[name]).status_code == 200, name


def test_an_administrator_can_edit_any_pilot(client, urls, admin_user):
    _login(client, admin_user)
    for name in [*READ_URLS, *EDITOR_GET_URLS]:
        assert client.get(urls[name]).status_code == 200, name


def test_an_owner_ticks_only_their_own_deliverable(client, urls, owner, owned):
    _login(client, owner)
    response = client.post(urls["tick_owned"], {"version": owned.version})
    assert response.status_code == 302
    owned.refresh_from_db()
    assert owned.status == "done"
    assert client.post(urls["tick_other"], {"version": 1}).status_code == 403


def test_wrong_methods_are_refused(client, urls, pm):
    _login(client, pm)
    post_only = ["launch", "assign", "tick_owned", "tick_other", "untick_other", "reopen"]
    for name in [*post_only, "mywork_tick_other", "mywork_untick_other"]:
        assert client.get(urls[name]).status_code == 405, name
    assert client.post(reverse("pilot-list")).status_code == 405
    assert client.post(reverse("my-work")).status_code == 405
    assert client.post(reverse("home")).status_code == 405


def test_put_and_delete_are_refused_on_every_form(client, urls, pm):
    _login(client, pm)
    for url in [reverse("pilot-create"), *(urls[name] for name in FORM_URLS)]:
        assert client.put(url, {"version": 1}).status_code == 405, url
        assert client.delete(url).status_code == 405, url
    assert Pilot.objects.count() == 1 and Deliverable.objects.filter(status="waived").count() == 0


def test_only_programme_managers_create_pilots(client, leader, reviewer, owner, pm, admin_user):
    url = reverse("pilot-create")
    for user in (leader, reviewer, owner):
        _login(client, user)
        assert client.get(url).status_code == 403
        assert client.post(url, {}).status_code == 403
    for user in (pm, admin_user):
        _login(client, user)
        assert client.get(url).status_code == 200


def test_a_deliverable_of_another_pilot_is_not_found_under_this_one(client, pilot, pm, playbook):
    from tests.conftest import build_pilot

    other = build_pilot(programme_manager=pm, playbook=playbook, name="Other")
    foreign = other.deliverables.first()
    _login(client, pm)
    for name in ["deliverable-tick", "deliverable-edit", "deliverable-waive"]:
        url = reverse(name, args=[pilot.pk, foreign.pk])
        assert client.post(url, {"version": foreign.version}).status_code == 404, name
    foreign.refresh_from_db()
    assert foreign.status == "todo"


def test_the_pilot_list_shows_only_what_a_member_may_see(client, pilot, playbook, owner, pm):
    from tests.conftest import build_pilot

    build_pilot(programme_manager=pm, playbook=playbook, name="Secret pilot")
    _login(client, owner)
    body = client.get(reverse("pilot-list")).content.decode()
    assert pilot.name in body and "Secret pilot" not in body
    stranger = make_user("stranger")
    _login(client, stranger)
    assert "Claims triage" not in client.get(reverse("pilot-list")).content.decode()


def test_refusals_are_finished_pages_not_bare_text(client, urls, leader, outsider):
    client.force_login(leader)
    forbidden = client.post(urls["edit"], {})
    assert forbidden.status_code == 403
    assert "You can look, but not change this" in forbidden.content.decode()
    client.force_login(outsider)
    missing = client.get(urls["detail"])
    assert "nothing you have access to" in missing.content.decode()


@pytest.mark.parametrize(
    "persona, landing",
    [
        ("leader", "portfolio"),
        ("pm", "pilot-list"),
        ("reviewer", "pilot-list"),
        ("admin_user", "pilot-list"),
        ("owner", "my-work"),
        ("outsider", "my-work"),
    ],
)
def test_home_sends_each_role_to_its_own_start_page(client, persona, landing, request):
    _login(client, request.getfixturevalue(persona))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse(landing)


# --- Who may be a pilot's programme manager, and stays its editor ---------------------------


def _pilot_form(pilot, programme_manager) -> dict:
    return {
        "name": pilot.name,
        "business_unit": pilot.business_unit,
        "problem": pilot.problem,
        "programme_manager": programme_manager.pk,
        "kickoff_date": pilot.kickoff_date.isoformat(),
        "playbook": pilot.playbook_id,
        "sponsor": "",
        "production_owner": "",
        "version": pilot.version,
    }


@pytest.mark.parametrize("persona", ["leader", "reviewer", "owner", "sponsor"])
def test_only_the_programme_office_can_be_named_programme_manager(
    client, pilot, pm, persona, request
):
    candidate = request.getfixturevalue(persona)
    _login(client, pm)
    form = client.get(reverse("pilot-edit", args=[pilot.pk])).context["form"]
    assert candidate not in form.fields["programme_manager"].queryset
    response = client.post(reverse("pilot-edit", args=[pilot.pk]), _pilot_form(pilot, candidate))
    assert response.status_code == 400
    assert "programme_manager" in response.context["form"].errors
    assert Pilot.objects.get(pk=pilot.pk).programme_manager == pm
    create = client.post(reverse("pilot-create"), {**_pilot_form(pilot, candidate), "name": "New"})
    assert create.status_code == 400 and not Pilot.objects.filter(name="New").exists()


@pytest.mark.parametrize("persona", ["other_pm", "admin_user"])
def test_a_programme_manager_or_administrator_can_take_over_a_pilot(
    client, pilot, pm, persona, request
):
    successor = request.getfixturevalue(persona)
    _login(client, pm)
    response = client.post(reverse("pilot-edit", args=[pilot.pk]), _pilot_form(pilot, successor))
    assert response.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).programme_manager == successor


def test_a_programme_manager_moved_to_leadership_no_longer_edits_their_pilots(
    client, urls, pilot, pm
):
    pm.groups.set([Group.objects.get_or_create(name=Role.LEADERSHIP)[0]])
    _login(client, pm)
    page = client.get(urls["detail"])
    assert page.status_code == 200 and not page.context["can_edit"]
    assert "Edit pilot" not in page.content.decode()
    for name in EDITOR_GET_URLS:
        assert client.get(urls[name]).status_code == 403, name
    for name in WRITE_POST_URLS:
        assert client.post(urls[name], {"version": 1}).status_code == 403, name
    assert Deliverable.objects.filter(status="done").count() == 0


def test_a_leader_named_programme_manager_behind_the_forms_back_cannot_edit(
    client, urls, pilot, leader
):
    Pilot.objects.filter(pk=pilot.pk).update(programme_manager=leader)
    _login(client, leader)
    assert client.get(urls["edit"]).status_code == 403
    assert client.post(urls["tick_other"], {"version": 1}).status_code == 403
