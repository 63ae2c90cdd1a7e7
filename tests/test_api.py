"""The JSON API through HTTP, as another system calls it: personal tokens (made and
revoked on the tokens page, stored hashed, refused once revoked, expired or their owner
deactivated), the web pages' access rules, cursor pages, ticks and changes with the
optimistic version, KPI readings, the portfolio summary, the one error shape, the rate
limit per token, and query counts that do not grow with the number of rows.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.accounts import tokens
from config.accounts.models import ApiToken
from governance import risks
from governance.models import AuditEvent
from pilots.models import Deliverable, Pilot
from pilots.value_models import KpiReading
from tests.conftest import build_pilot


@pytest.fixture(autouse=True)
def _fresh_rate_counts(settings):
    # Each test counts its own requests: the memory cache outlives a test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def api(user) -> Client:
    """A client that calls the API with a new token of `user`'s."""
    _row, raw = tokens.api_token_create(user=user, name="tests")
    return Client(headers={"authorization": f"Bearer {raw}"})


def patch(client: Client, url: str, body) -> object:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.patch(url, data, content_type="application/json")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# --- tokens -----------------------------------------------------------------------------


def test_a_token_is_shown_once_stored_hashed_and_works(client, owner):
    client.force_login(owner)
    response = client.post(reverse("account-tokens"), {"name": "Reporting", "expires": "90"})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("ninety_")
    assert raw in response.content.decode()
    row = ApiToken.objects.get(user=owner)
    assert row.name == "Reporting"
    secret = raw.split("_", 2)[2]  # may itself hold "_": token_urlsafe's alphabet has it
    assert raw not in (row.token_hash, row.prefix) and secret not in row.token_hash
    assert (
        timezone.now() + timedelta(days=89) < row.expires_at < timezone.now() + timedelta(days=91)
    )
    # The list shows the token by its prefix only, never the whole of it again.
    page = client.get(reverse("account-tokens")).content.decode()
    assert f"ninety_{row.prefix}" in page and raw not in page

    me = Client(headers={"authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "owner"
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_a_revoked_token_is_refused_and_only_its_owner_revokes_it(client, owner, pm):
    row, raw = tokens.api_token_create(user=owner)
    caller = Client(headers={"authorization": f"Bearer {raw}"})
    assert caller.get("/api/v1/me").status_code == 200

    client.force_login(pm)
    assert client.post(reverse("account-token-revoke", args=[row.pk])).status_code == 404
    assert caller.get("/api/v1/me").status_code == 200

    client.force_login(owner)
    response = client.post(reverse("account-token-revoke", args=[row.pk]), follow=True)
    assert "Token revoked" in response.content.decode()
    assert_error(caller.get("/api/v1/me"), 401, "not_authenticated")


def test_expired_tokens_and_deactivated_people_are_refused(owner, pm):
    _row, expired = tokens.api_token_create(
        user=owner, expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = Client(headers={"authorization": f"Bearer {expired}"}).get("/api/v1/me")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")

    caller = api(pm)
    assert caller.get("/api/v1/me").status_code == 200
    pm.is_active = False
    pm.save()
    assert_error(caller.get("/api/v1/me"), 401, "not_authenticated")


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer nonsense", "Bearer ninety_000000000000_x", "Basic abc"]
)
def test_missing_or_malformed_tokens_get_401_in_the_error_shape(db, header):
    client = Client(headers={"authorization": header} if header else {})
    assert_error(client.get("/api/v1/pilots"), 401, "not_authenticated")


def test_a_token_cannot_be_made_past_the_limit(client, owner):
    for _ in range(tokens.MAX_LIVE_TOKENS):
        tokens.api_token_create(user=owner)
    client.force_login(owner)
    response = client.post(reverse("account-tokens"), {"name": "one more", "expires": "never"})
    assert response.status_code == 409
    assert "Revoke one" in response.content.decode()
    assert ApiToken.objects.filter(user=owner).count() == tokens.MAX_LIVE_TOKENS


# --- reading ----------------------------------------------------------------------------


def test_the_pilot_list_shows_what_the_pilot_list_page_shows(
    pilot, pm, other_pm, owner, outsider, playbook
):
    theirs = build_pilot(programme_manager=other_pm, playbook=playbook, name="Invoice reader")
    # The programme office reads every pilot; an owner the pilots they work on.
    listed = [p["id"] for p in api(pm).get("/api/v1/pilots").json()["items"]]
    assert listed == [pilot.pk, theirs.pk]
    assert [p["id"] for p in api(owner).get("/api/v1/pilots").json()["items"]] == [pilot.pk]
    assert api(outsider).get("/api/v1/pilots").json() == {"items": [], "next_cursor": None}
    assert_error(api(outsider).get(f"/api/v1/pilots/{pilot.pk}"), 404, "not_found")
    assert_error(api(owner).get(f"/api/v1/pilots/{theirs.pk}"), 404, "not_found")

    item = api(pm).get("/api/v1/pilots").json()["items"][0]
    assert item["reference"] == pilot.reference
    assert item["status"] == "active"
    assert item["deliverables"]["total"] == pilot.deliverables.count()
    assert item["url"].endswith(reverse("pilot-detail", args=[pilot.pk]))


def test_a_pilot_reads_with_its_stage_rag_and_next_gate(pilot, leader):
    body = api(leader).get(f"/api/v1/pilots/{pilot.pk}").json()
    assert body["id"] == pilot.pk
    assert body["rag"] in ("red", "amber", "green")
    assert body["next_gate"]["number"] == 1
    assert body["playbook"] == str(pilot.playbook)
    assert isinstance(body["rag_reasons"], list)


def test_filters_narrow_the_pilot_list(pm, playbook):
    build_pilot(programme_manager=pm, playbook=playbook, name="Claims", business_unit="Ops")
    build_pilot(programme_manager=pm, playbook=playbook, name="Fraud", business_unit="Risk")
    build_pilot(programme_manager=pm, playbook=playbook, name="Churn", launch=False)
    client = api(pm)

    def names(query: str) -> list[str]:
        response = client.get("/api/v1/pilots" + query)
        assert response.status_code == 200, response.content
        return sorted(p["name"] for p in response.json()["items"])

    assert names("") == ["Churn", "Claims", "Fraud"]
    assert names("?business_unit=Risk") == ["Fraud"]
    assert names("?status=intake") == ["Churn"]
    assert names("?q=fra") == ["Fraud"]
    assert names(f"?programme_manager={pm.pk}") == ["Churn", "Claims", "Fraud"]
    assert_error(client.get("/api/v1/pilots?status=sleeping"), 422, "invalid")


def test_cursor_pages_walk_every_row_once_and_refuse_a_forged_cursor(pm, playbook):
    made = [build_pilot(programme_manager=pm, playbook=playbook, name=f"P{n}").pk for n in range(5)]
    client = api(pm)
    seen, cursor = [], None
    while True:
        response = client.get(
            "/api/v1/pilots", {"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        body = response.json()
        seen += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made)

    first = client.get("/api/v1/pilots", {"limit": 2}).json()["next_cursor"]
    error = assert_error(client.get("/api/v1/pilots", {"cursor": first + "x"}), 422, "invalid")
    assert "cursor" in error["fields"]
    # A cursor of one list is not a position in another.
    assert_error(client.get("/api/v1/deliverables", {"cursor": first}), 422, "invalid")
    assert_error(client.get("/api/v1/pilots", {"limit": 500}), 422, "invalid")


def test_deliverables_list_filters_by_pilot_owner_and_phase(pilot, owner, owned, pm):
    client = api(owner)
    mine = client.get("/api/v1/deliverables?owner=me").json()["items"]
    assert [d["id"] for d in mine] == [owned.pk]
    assert mine[0]["version"] == owned.version
    everything = api(pm).get(f"/api/v1/deliverables?pilot={pilot.pk}&limit=200").json()["items"]
    assert len(everything) == pilot.deliverables.count()
    phase_two = api(pm).get(f"/api/v1/deliverables?pilot={pilot.pk}&phase=2&limit=200").json()
    assert {d["phase_number"] for d in phase_two["items"]} == {2}
    unowned = api(pm).get(f"/api/v1/deliverables?pilot={pilot.pk}&owner=none&limit=200").json()
    assert owned.pk not in [d["id"] for d in unowned["items"]]


def test_the_pilot_list_costs_the_same_queries_for_3_and_for_30_pilots(pm, playbook):
    client = api(pm)
    client.get("/api/v1/me")  # the token's last-used time written once, outside the count

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/pilots?limit=200").status_code == 200
        return len(queries)

    for n in range(3):
        build_pilot(programme_manager=pm, playbook=playbook, name=f"Few {n}")
    few = count()
    for n in range(27):
        build_pilot(programme_manager=pm, playbook=playbook, name=f"Many {n}")
    assert count() == few


# --- writing ----------------------------------------------------------------------------


def test_the_owner_ticks_with_evidence_and_unticks_through_the_api(owned, owner):
    client = api(owner)
    url = f"/api/v1/deliverables/{owned.pk}"
    response = patch(
        client,
        url,
        {
            "version": owned.version,
            "status": "done",
            "evidence_url": "https://x.test/e",
            "note": "ok",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "done"
    assert body["done_by"]["id"] == owner.pk
    assert body["version"] == owned.version + 1
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.DONE
    assert AuditEvent.objects.filter(verb="deliverable.done", object_id=str(owned.pk)).exists()
    # Asking again for what is already so changes nothing and is not an error.
    again = patch(client, url, {"version": body["version"], "status": "done"})
    assert again.status_code == 200 and again.json()["version"] == body["version"]

    back = patch(client, url, {"version": body["version"], "status": "todo"})
    assert back.status_code == 200
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.TODO


def test_a_stale_version_is_refused_and_nothing_changes(owned, owner):
    client = api(owner)
    response = patch(client, f"/api/v1/deliverables/{owned.pk}", {"version": 99, "status": "done"})
    error = assert_error(response, 409, "stale_version")
    assert error["fields"]["version"]
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.TODO


def test_only_the_programme_manager_replans_and_readers_get_403(owned, owner, pm, leader, outsider):
    url = f"/api/v1/deliverables/{owned.pk}"
    later = (owned.due_date + timedelta(days=3)).isoformat()
    assert_error(
        patch(api(owner), url, {"version": owned.version, "due_date": later}), 403, "forbidden"
    )
    assert_error(
        patch(api(leader), url, {"version": owned.version, "status": "done"}), 403, "forbidden"
    )
    assert_error(
        patch(api(outsider), url, {"version": owned.version, "status": "done"}), 404, "not_found"
    )

    response = patch(api(pm), url, {"version": owned.version, "due_date": later, "owner": None})
    assert response.status_code == 200, response.content
    owned.refresh_from_db()
    assert owned.due_date.isoformat() == later
    assert owned.owner is None


def test_a_change_and_a_tick_apply_together_or_not_at_all(owned, pm):
    url = f"/api/v1/deliverables/{owned.pk}"
    before = owned.due_date
    # The start after the due date: the page's form refuses it, and the tick goes with it.
    bad = {
        "version": owned.version,
        "status": "done",
        "start_date": (before + timedelta(days=5)).isoformat(),
    }
    error = assert_error(patch(api(pm), url, bad), 422, "invalid")
    assert error["fields"]
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.TODO and owned.due_date == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("", 400, "bad_request"),
        ("{not json", 400, "bad_request"),
        ({"status": "done"}, 422, "invalid"),
        ({"version": 1, "status": "finished"}, 422, "invalid"),
        ({"version": 1, "colour": "red"}, 422, "invalid"),
        ({"version": "1", "status": "done"}, 422, "invalid"),
        ({"version": 1, "note": "evidence without a tick"}, 422, "invalid"),
        ({"version": 1, "title": "a\u0000b"}, 422, "invalid"),
    ],
)
def test_bad_bodies_are_refused_in_the_error_shape(owned, pm, body, status, code):
    if isinstance(body, dict) and body.get("version") == 1:
        body = {**body, "version": owned.version}  # current, so only the fault is refused
    assert_error(patch(api(pm), f"/api/v1/deliverables/{owned.pk}", body), status, code)


def test_kpi_readings_are_recorded_by_the_team_and_listed(pilot, pm, leader, outsider):
    Pilot.objects.filter(pk=pilot.pk).update(success_metric="Claims routed per hour")
    url = f"/api/v1/pilots/{pilot.pk}/readings"
    today = timezone.localdate()
    response = api(pm).post(
        url,
        {"taken_on": today.isoformat(), "value": "41.5", "note": "week 3"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "41.5" or float(response.json()["value"]) == 41.5
    assert KpiReading.objects.get(pilot=pilot).recorded_by == pm

    future = {"taken_on": (today + timedelta(days=2)).isoformat(), "value": "1"}
    assert_error(api(pm).post(url, future, content_type="application/json"), 422, "invalid")
    assert_error(api(leader).post(url, future, content_type="application/json"), 403, "forbidden")
    assert_error(api(outsider).post(url, future, content_type="application/json"), 404, "not_found")

    listed = api(leader).get(url).json()["items"]
    assert [r["note"] for r in listed] == ["week 3"]


def test_the_portfolio_summary_is_for_the_programme_office(pilot, leader, owner):
    body = api(leader).get("/api/v1/portfolio").json()
    assert body["pilots"] == 1
    assert sum(stage["count"] for stage in body["funnel"]) == 1
    assert set(body["rag"]) == {"red", "amber", "green"}
    assert_error(api(owner).get("/api/v1/portfolio"), 403, "forbidden")
    assert_error(api(leader).get("/api/v1/portfolio?rag=purple"), 422, "invalid")
    unit = api(leader).get("/api/v1/portfolio?unit=Operations").json()
    assert unit["pilots"] == 1 and unit["filters"]
    # Business units are the portfolio's own: one it does not have is named as the fault.
    error = assert_error(api(leader).get("/api/v1/portfolio?unit=Nowhere"), 422, "invalid")
    assert "unit" in error["fields"]


def test_risks_are_read_by_the_pilots_readers_only(pilot, reviewer, owner, outsider):
    risk = risks.risk_create(
        pilot=pilot,
        actor=reviewer,
        title="Model leaks personal data",
        category="privacy",
        likelihood=4,
        impact=5,
        residual_likelihood=2,
        residual_impact=5,
        mitigation="Redact names first.",
    )
    listed = api(owner).get(f"/api/v1/risks?pilot={pilot.pk}").json()["items"]
    assert [r["id"] for r in listed] == [risk.pk]
    assert listed[0]["score"] == 20
    assert api(outsider).get("/api/v1/risks").json()["items"] == []
    assert_error(api(outsider).get(f"/api/v1/risks/{risk.pk}"), 404, "not_found")


# --- the edges ----------------------------------------------------------------------------


def test_unknown_paths_and_wrong_methods_answer_in_json(pm):
    client = api(pm)
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/v1/pilots/99999999"), 404, "not_found")
    response = client.delete("/api/v1/pilots")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


# Frozen inside one minute: the limit counts per calendar minute, and a run that crossed
# a minute's end would start counting again halfway.
@time_machine.travel(datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC), tick=False)
def test_the_rate_limit_counts_per_token(settings, pm):
    settings.NINETY_API_RATE_PER_MINUTE = 3
    first, second = api(pm), api(pm)
    for _ in range(3):
        assert first.get("/api/v1/me").status_code == 200
    refused = first.get("/api/v1/me")
    assert_error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) == 51  # the rest of the minute, and a second
    # Another token of the same person has a minute of its own.
    assert second.get("/api/v1/me").status_code == 200


def test_the_schema_and_docs_are_served(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Ninety API"
    for path in ("/api/v1/pilots", "/api/v1/deliverables/{deliverable_id}", "/api/v1/portfolio"):
        assert path in schema["paths"]
    patch_op = schema["paths"]["/api/v1/deliverables/{deliverable_id}"]["patch"]
    assert "409" in patch_op["responses"]
    assert "requestBody" in patch_op
    # Writes to them are refused in JSON too, even by a client that checks CSRF.
    strict = Client(enforce_csrf_checks=True)
    assert_error(strict.post("/api/v1/openapi.json"), 405, "method_not_allowed")
    assert_error(strict.delete("/api/v1/nothing"), 404, "not_found")
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    # The docs page runs under the site's CSP: its scripts are our own static files.
    assert "cdn." not in docs.content.decode()


def test_a_tick_through_the_api_counts_in_the_pilots_progress(owned, owner):
    client = api(owner)
    patch(client, f"/api/v1/deliverables/{owned.pk}", {"version": owned.version, "status": "done"})
    listed = client.get("/api/v1/pilots").json()["items"][0]
    assert listed["deliverables"]["closed"] == 1
