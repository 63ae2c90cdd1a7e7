"""Every intake, triage, value and rollout view for every persona: readers read, the pilot's
programme manager writes, outsiders see nothing, wrong methods are refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pilots import services
from pilots.models import CostLine, KpiReading
from tests.conftest import build_pilot, make_user

READ_PAGES = ["pilot-intake", "pilot-decisions", "pilot-value", "pilot-rollout"]
# URL name -> the methods it answers
WRITES = {
    "pilot-intake": ("GET", "POST"),
    "pilot-cost-add": ("POST",),
    "pilot-cost-remove": ("POST",),
    "pilot-triage": ("POST",),
    "pilot-decisions": ("GET", "POST"),
    "pilot-reading-add": ("POST",),
    "pilot-reading-remove": ("POST",),
    "pilot-rollout-defaults": ("POST",),
    "pilot-rollout-add": ("POST",),
    "pilot-rollout-edit": ("GET", "POST"),
    "pilot-rollout-decide": ("POST",),
    "pilot-rollout-remove": ("POST",),
    "pilot-go-live": ("POST",),
}
READ_ONLY = ["leader", "reviewer", "owner", "other_pm"]


@pytest.fixture
def urls(pilot, pm):
    line = CostLine.objects.create(pilot=pilot, category="staff", annual_cost=Decimal(1))
    reading = KpiReading.objects.create(
        pilot=pilot, taken_on=pilot.kickoff_date, value=Decimal(1), recorded_by=pm
    )
    step = pilot.rollout_steps.first()
    extra = {
        "pilot-cost-remove": [line.pk],
        "pilot-reading-remove": [reading.pk],
        "pilot-rollout-edit": [step.pk],
        "pilot-rollout-decide": [step.pk],
        "pilot-rollout-remove": [step.pk],
    }
    names = [*WRITES, *READ_PAGES]
    return {name: reverse(name, args=[pilot.pk, *extra.get(name, [])]) for name in names}


def test_outsiders_get_404_for_every_page_and_write(client, outsider, urls):
    client.force_login(outsider)
    for name, url in urls.items():
        assert client.get(url).status_code in (404, 405), name
        if name in WRITES:
            assert client.post(url, {"version": 1}).status_code == 404, name
            assert client.post(url, HTTP_HX_REQUEST="true").status_code == 404, name


@pytest.mark.parametrize("persona", READ_ONLY)
def test_readers_read_the_tabs_and_get_403_on_every_write(client, urls, persona, request):
    client.force_login(request.getfixturevalue(persona))
    for name in READ_PAGES:
        assert client.get(urls[name]).status_code == 200, name
    for name in WRITES:
        assert client.post(urls[name], {"version": 1}).status_code == 403, name
    assert client.get(urls["pilot-rollout-edit"]).status_code == 403


def test_a_programme_manager_who_lost_the_role_only_reads(client, pm, urls):
    pm.groups.clear()
    client.force_login(pm)
    assert client.get(urls["pilot-intake"]).status_code == 200
    for name in WRITES:
        assert client.post(urls[name], {}).status_code == 403, name


def test_wrong_methods_are_refused(client, pm, urls):
    client.force_login(pm)
    for name, url in urls.items():
        allowed = WRITES.get(name, ("GET",))
        for method in ("get", "post", "put", "delete", "patch"):
            if method.upper() in allowed:
                continue
            assert getattr(client, method)(url).status_code == 405, (name, method)
    assert client.post(reverse("triage")).status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client, urls):
    for url in [*urls.values(), reverse("triage")]:
        response = client.post(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_triage_lists_only_the_pilots_a_member_may_read(client, pilot, playbook, pm):
    build_pilot(programme_manager=pm, playbook=playbook, name="Someone else's")
    member = make_user("member")
    first = pilot.deliverables.first()
    services.deliverables_assign(pilot=pilot, deliverable_ids=[first.pk], owner=member)
    client.force_login(member)
    response = client.get(reverse("triage"))
    assert [p.name for p in response.context["running"]] == [pilot.name]
    assert not response.context["running"][0].can_decide
