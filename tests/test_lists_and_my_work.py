"""The pilot list (search, filters) and My work (grouping, ticking), with pinned queries."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pilots import services
from pilots.models import Pilot
from tests.conftest import KICKOFF, build_pilot

TODAY = KICKOFF + timedelta(days=40)  # day 41: Integration


@pytest.fixture
def portfolio(pm, playbook, owner):
    """Pilots in three business units at different stages; `owner` owns work on each."""
    pilots = [
        build_pilot(
            programme_manager=pm, playbook=playbook, name="Claims bot", business_unit="Insurance"
        ),
        build_pilot(
            programme_manager=pm,
            playbook=playbook,
            name="Invoice matcher",
            business_unit="Finance",
            kickoff=KICKOFF - timedelta(days=45),
        ),
        build_pilot(
            programme_manager=pm,
            playbook=playbook,
            name="Churn radar",
            business_unit="Retail",
            kickoff=KICKOFF + timedelta(days=30),
        ),
        build_pilot(
            programme_manager=pm,
            playbook=playbook,
            name="Parked idea",
            business_unit="Retail",
            launch=False,
        ),
    ]
    for pilot in pilots[:3]:
        ids = list(pilot.deliverables.values_list("pk", flat=True))
        services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    return pilots


def _names(response) -> list[str]:
    return [p.name for p in response.context["page"]]


@time_machine.travel(TODAY, tick=False)
def test_the_list_filters_by_status_phase_business_unit_and_search(client, pm, portfolio):
    client.force_login(pm)
    url = reverse("pilot-list")
    assert _names(client.get(url)) == [
        "Claims bot",
        "Invoice matcher",
        "Churn radar",
        "Parked idea",
    ]
    assert _names(client.get(url, {"business_unit": "Retail"})) == ["Churn radar", "Parked idea"]
    assert _names(client.get(url, {"status": "intake"})) == ["Parked idea"]
    assert _names(client.get(url, {"phase": 2})) == ["Claims bot"]
    assert _names(client.get(url, {"phase": 3})) == ["Invoice matcher"]
    assert _names(client.get(url, {"phase": 1})) == ["Churn radar"]
    assert _names(client.get(url, {"q": "invoice"})) == ["Invoice matcher"]
    assert _names(client.get(url, {"q": portfolio[0].reference})) == ["Claims bot"]


@time_machine.travel(TODAY, tick=False)
def test_an_htmx_filter_returns_only_the_results_fragment(client, pm, portfolio):
    client.force_login(pm)
    response = client.get(
        reverse("pilot-list"), {"business_unit": "Finance"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "Invoice matcher" in body and "Claims bot" not in body and "<html" not in body


def test_an_unknown_filter_value_is_ignored_not_an_error(client, pm, portfolio):
    client.force_login(pm)
    response = client.get(reverse("pilot-list"), {"status": "nonsense", "phase": "x"})
    assert response.status_code == 200


@time_machine.travel(TODAY, tick=False)
def test_my_work_groups_open_work_overdue_this_week_later(client, owner, portfolio):
    client.force_login(owner)
    response = client.get(reverse("my-work"))
    groups = {key: items for key, _title, items in response.context["groups"]}
    today = TODAY.date() if hasattr(TODAY, "date") else TODAY
    assert groups["overdue"] and all(d.due_date < today for d in groups["overdue"])
    assert all(today <= d.due_date <= today + timedelta(days=6) for d in groups["this_week"])
    assert all(d.due_date > today + timedelta(days=6) for d in groups["later"])
    every = groups["overdue"] + groups["this_week"] + groups["later"]
    assert [d.due_date for d in every] == sorted(d.due_date for d in every)
    assert len(every) == 27  # three launched pilots x nine deliverables, all open


@time_machine.travel(TODAY, tick=False)
def test_my_work_hides_done_work_and_paused_pilots(client, owner, portfolio):
    first = portfolio[0].deliverables.first()
    services.deliverable_set_done(deliverable=first, actor=owner, done=True, expected_version=None)
    Pilot.objects.filter(pk=portfolio[1].pk).update(status=Pilot.Status.PAUSED)
    client.force_login(owner)
    response = client.get(reverse("my-work"))
    every = [d for _k, _t, items in response.context["groups"] for d in items]
    assert first.pk not in {d.pk for d in every} and len(every) == 17


@time_machine.travel(TODAY, tick=False)
def test_ticking_from_my_work_updates_the_row_and_summary(client, owner, portfolio):
    item = portfolio[0].deliverables.order_by("due_date").first()
    client.force_login(owner)
    response = client.post(
        reverse("my-work-tick", args=[item.pk]), {"version": item.version}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="work-{item.pk}"')
    assert 'id="work-summary"' in body and 'hx-swap-oob="true"' in body
    assert "<strong>26</strong> open deliverables" in body
    item.refresh_from_db()
    undo = client.post(
        reverse("my-work-untick", args=[item.pk]), {"version": item.version}, HTTP_HX_REQUEST="true"
    )
    assert "<strong>27</strong> open deliverables" in undo.content.decode()


# Pinned query counts; every page also counts the bell's unread notifications (1).
# Pilot page: session, user, groups, pilot, phase runs, deliverables, evidence, launch
# override and pause decisions, people for the assign menu, the AI Act stop flag on the
# Governance tab, bell (and the latest reading, for a pilot with a target). My work: session,
# user, counts, one page of deliverables, evidence, groups, bell. Pilot list: session,
# user, groups, business units, count, one page of pilots, bell.
PILOT_PAGE_QUERIES = 11
MY_WORK_QUERIES = 7
PILOT_LIST_QUERIES = 7


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pilot_page_queries_do_not_grow_with_deliverables(client, pm, playbook, owner):
    from tests.conftest import build_playbook

    small = build_pilot(programme_manager=pm, playbook=playbook, name="Small")
    big = build_pilot(programme_manager=pm, playbook=build_playbook(20, slug="big"), name="Big")
    for pilot in (small, big):
        ids = list(pilot.deliverables.values_list("pk", flat=True))
        services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
        for item in pilot.deliverables.all()[:5]:
            services.deliverable_set_done(
                deliverable=item,
                actor=pm,
                done=True,
                expected_version=None,
                evidence_url="https://e.example",
            )
    client.force_login(pm)
    assert big.deliverables.count() == 63 and small.deliverables.count() == 9
    assert _queries(client, reverse("pilot-detail", args=[small.pk])) == PILOT_PAGE_QUERIES
    assert _queries(client, reverse("pilot-detail", args=[big.pk])) == PILOT_PAGE_QUERIES


def test_a_ticks_answer_reads_the_same_queries_for_9_or_63_deliverables(client, pm, playbook):
    """The answer carries one row and the progress bars, whatever the plan's size."""
    from tests.conftest import build_playbook

    counts = []
    for pilot in (
        build_pilot(programme_manager=pm, playbook=playbook, name="Small"),
        build_pilot(programme_manager=pm, playbook=build_playbook(20, slug="big"), name="Big"),
    ):
        item = pilot.deliverables.first()
        client.force_login(pm)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                reverse("deliverable-tick", args=[pilot.pk, item.pk]),
                {"version": item.version},
                HTTP_HX_REQUEST="true",
            )
        assert response.status_code == 200
        total = pilot.deliverables.count()
        assert f'value="1" max="{total}"' in response.content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_my_work_and_list_queries_do_not_grow_with_pilots(client, pm, playbook, owner):
    def make(n):
        for i in range(n):
            pilot = build_pilot(programme_manager=pm, playbook=playbook, name=f"P{i}")
            ids = list(pilot.deliverables.values_list("pk", flat=True))
            services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)

    for count in (2, 10):
        make(count - Pilot.objects.count())
        client.force_login(owner)
        assert _queries(client, reverse("my-work")) == MY_WORK_QUERIES
        client.force_login(pm)
        assert _queries(client, reverse("pilot-list")) == PILOT_LIST_QUERIES


@time_machine.travel(TODAY, tick=False)
def test_ticking_from_my_work_without_javascript_redirects_back(client, owner, portfolio):
    item = portfolio[0].deliverables.order_by("due_date").first()
    client.force_login(owner)
    response = client.post(reverse("my-work-tick", args=[item.pk]), {"version": item.version})
    assert response.status_code == 302 and response["Location"] == reverse("my-work")
    item.refresh_from_db()
    assert item.status == "done" and item.done_by == owner
    page = client.get(response["Location"])
    shown = {d.pk for _k, _t, items in page.context["groups"] for d in items}
    assert item.pk not in shown
    assert f"“{item.title}” done." in page.content.decode()
    assert "<strong>26</strong> open deliverables" in page.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_my_work_shows_the_fifty_most_urgent_and_pages_the_rest(client, owner, pm, playbook):
    from tests.conftest import build_playbook

    big = build_pilot(programme_manager=pm, playbook=build_playbook(19, slug="big"), name="Big")
    ids = list(big.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=big, deliverable_ids=ids, owner=owner)
    client.force_login(owner)
    first = client.get(reverse("my-work"))
    shown = [d for _k, _t, items in first.context["groups"] for d in items]
    assert len(ids) == 60 and len(shown) == 50
    assert first.context["summary"]["open"] == 60
    assert "Showing 1–50 of 60" in first.content.decode()
    second = client.get(reverse("my-work"), {"page": 2})
    rest = [d for _k, _t, items in second.context["groups"] for d in items]
    assert len(rest) == 10 and max(d.due_date for d in shown) <= min(d.due_date for d in rest)
    assert client.get(reverse("my-work"), {"page": "999"}).status_code == 200


# A plain member (a deliverable owner, no global role) reads through visible_pilots, whose
# membership subquery must not turn into a query per pilot or per deliverable.
# Pilot page: session, user, groups, pilot (with the membership check), phase runs,
# deliverables, evidence, decisions, the Governance tab's stop flag, bell. Pilot list:
# session, user, groups, business units, count, one page of pilots, bell.
MEMBER_PILOT_PAGE_QUERIES = 10
MEMBER_PILOT_LIST_QUERIES = 7


def test_a_members_pilot_page_queries_do_not_grow_with_deliverables(
    client, pm, playbook, owner, django_assert_num_queries
):
    from tests.conftest import build_playbook

    small = build_pilot(programme_manager=pm, playbook=playbook, name="Small")
    big = build_pilot(programme_manager=pm, playbook=build_playbook(20, slug="big"), name="Big")
    for pilot in (small, big):
        ids = list(pilot.deliverables.values_list("pk", flat=True))
        services.deliverables_assign(pilot=pilot, deliverable_ids=ids[::2], owner=owner)
        for item in pilot.deliverables.filter(owner=owner)[:3]:
            services.deliverable_set_done(
                deliverable=item,
                actor=owner,
                done=True,
                expected_version=None,
                evidence_url="https://e.example",
            )
    assert big.deliverables.count() == 63 and small.deliverables.count() == 9
    client.force_login(owner)
    for pilot in (small, big):
        url = reverse("pilot-detail", args=[pilot.pk])
        with django_assert_num_queries(MEMBER_PILOT_PAGE_QUERIES):
            response = client.get(url)
        assert response.status_code == 200 and not response.context["can_edit"]


def test_a_members_pilot_list_queries_do_not_grow_with_pilots(
    client, pm, playbook, owner, django_assert_num_queries
):
    client.force_login(owner)
    for count in (2, 12):
        for i in range(Pilot.objects.filter(deliverables__owner=owner).count(), count):
            pilot = build_pilot(programme_manager=pm, playbook=playbook, name=f"P{i}")
            first = pilot.deliverables.order_by("pk").first()
            services.deliverables_assign(pilot=pilot, deliverable_ids=[first.pk], owner=owner)
        # One pilot the member is not on: it stays out of the list, at no extra query.
        build_pilot(programme_manager=pm, playbook=playbook, name=f"Not mine {count}")
        with django_assert_num_queries(MEMBER_PILOT_LIST_QUERIES):
            response = client.get(reverse("pilot-list"))
        assert response.context["page"].paginator.count == count
