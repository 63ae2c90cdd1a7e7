"""The JSON API against its own OpenAPI schema, property-based, with schemathesis.

The schema is the one the API serves (/api/v1/openapi.json), read from the Django WSGI
application in-process; every operation in it becomes a test here. Each runs examples
that schemathesis generates from the schema, valid and invalid input alike, through the
same WSGI application (middleware, CSRF and all), as a programme manager with a real
personal API token, over a small world: a launched pilot of theirs with an owner's work
(one item done), a signed gate with its sign-off document, a risk accepted by leadership
and a KPI reading; another programme manager's pilot (readable, not theirs to change);
and a draft. Every answer must be one the schema promises: no server error, a documented
status code, the documented content type and headers, a body of the documented shape.

Generated ids would almost never name a real row, so some valid examples are steered to
the world's own ids (and a PATCH to the deliverable's current version, a reading to a
past day): those reach the success answers and their bodies, the others the 404s.
Schemathesis itself leaves the token out of some invalid examples, which reach the 401.

Hypothesis runs all the examples of an operation inside that test's database
transaction: the world is built once a test, not once an example (hence the suppressed
function-scoped-fixture health check). The rate limit is off, or it would trip.

`pytest -s` prints the operations and the examples tried, with the statuses they got.
"""

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.accounts import tokens
from config.api import api
from config.wsgi import application
from governance import documents, gates, risks
from governance.models import GateSignature, SignOffDocument
from pilots import services, value
from pilots.models import Deliverable
from pilots.roles import Role
from tests.conftest import build_pilot, build_playbook, make_user
from tests.governance_builders import close_mandatory, phase_run
from tests.lifecycle_builders import complete_intake

API_ROOT = "/api/v1"
schema = schemathesis.openapi.from_wsgi(f"{API_ROOT}/openapi.json", application)

# What every answer is held to. (Schemathesis's other checks judge whether a refusal
# was right, e.g. a forged cursor refused although the schema cannot tell it is forged;
# those questions belong to tests/test_api.py.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 40  # an operation

# A path parameter as django-ninja keeps it, with its converter: {int:pilot_id}.
CONVERTER, PLAIN = re.compile(r"{\w+:(\w+)}"), r"{\1}"

# What the run tried, over this module: examples by operation label ("GET /api/v1/me"),
# and answers by (label, status).
tried: Counter = Counter()
answered: Counter = Counter()


@dataclass
class World:
    headers: dict[str, str]  # the programme manager's token
    ids: dict[str, list[int]]  # path parameter name -> ids of real rows


def build_world(*, render_document: bool = False) -> World:
    pm = make_user("pm", Role.PROGRAMME_MANAGER)
    other_pm = make_user("otherpm", Role.PROGRAMME_MANAGER)
    leader = make_user("leader", Role.LEADERSHIP)
    reviewer = make_user("reviewer", Role.GOVERNANCE_REVIEWER)
    owner, sponsor, production_owner = make_user("owner"), make_user("sponsor"), make_user("po")
    playbook = build_playbook()
    today = timezone.localdate()

    pilot = build_pilot(
        programme_manager=pm,
        playbook=playbook,
        sponsor=sponsor,
        production_owner=production_owner,
        kickoff=today - timedelta(days=40),
    )
    pilot = complete_intake(pilot)  # names the success metric: readings can be recorded
    value.kpi_record(pilot=pilot, taken_on=today, value=Decimal("11.5"), actor=pm)
    first, second = pilot.deliverables.order_by("due_date", "pk")[:2]
    services.deliverables_assign(pilot=pilot, deliverable_ids=[first.pk, second.pk], owner=owner)
    services.deliverable_set_done(
        deliverable=Deliverable.objects.get(pk=second.pk),
        actor=owner,
        done=True,
        expected_version=None,
    )
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="Plan holds")
    gates.gate_sign(
        phase_run=run, slot="production_owner", signer=production_owner, statement="We run it"
    )
    risk = risks.risk_create(
        pilot=pilot,
        actor=reviewer,
        title="Model leaks personal data",
        category="privacy",
        likelihood=4,
        impact=5,
        residual_likelihood=3,
        residual_impact=5,
        mitigation="Redact names before prompting.",
    )
    risks.risk_accept(
        risk=risk,
        actor=leader,
        justification="Redaction is tested weekly.",
        expires_on=today + timedelta(days=60),
    )

    if render_document:  # most of a second: only for the operation that reads one
        documents.render_and_store(SignOffDocument.objects.get(phase_run=run).pk)

    others = build_pilot(programme_manager=other_pm, playbook=playbook, name="Invoice matching")
    draft = build_pilot(programme_manager=pm, playbook=playbook, launch=False, name="Draft")

    _row, token = tokens.api_token_create(user=pm, name="schemathesis")
    return World(
        headers={"Authorization": f"Bearer {token}"},
        ids={
            "pilot_id": [pilot.pk, others.pk, draft.pk],
            "phase_id": list(pilot.phase_runs.values_list("pk", flat=True)),
            "deliverable_id": [first.pk, second.pk, others.deliverables.first().pk],
            "risk_id": [risk.pk],
            "signature_id": list(
                GateSignature.objects.filter(phase_run=run).values_list("pk", flat=True)
            ),
            "document_id": list(
                SignOffDocument.objects.filter(phase_run=run).values_list("pk", flat=True)
            ),
        },
    )


@pytest.fixture
def world(db, settings, request):
    settings.NINETY_API_RATE_PER_MINUTE = 0
    # The document list sees gate 1's document pending; reading it, it is ready.
    return build_world(render_document="signoff-documents/{document_id}" in request.node.name)


@pytest.fixture
def served_over_wsgi(caplog):
    """Requests served by the WSGI handler itself, inside the test's transaction.

    Django closes the database connection at the start and end of every request it
    serves, which would end the transaction (and lose the world); its test client stops
    that the same way. The request log is kept to errors, or `-s` shows little else.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    for name in ("ninety.request", "django.request"):
        caplog.set_level(logging.ERROR, logger=name)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def steer(case, world: World, data) -> None:
    """Point some valid examples at the world's rows, so they reach the success answers.

    Invalid examples are left as generated: what is wrong with them is the point.
    """
    if case.meta.generation.mode.is_negative:
        return
    for name, generated in case.path_parameters.items():
        if name in world.ids:
            choices = [*world.ids[name], generated]
            case.path_parameters[name] = data.draw(st.sampled_from(choices), label=name)
    if not isinstance(case.body, dict) or not data.draw(st.booleans(), label="usable body"):
        return
    if case.method.upper() == "PATCH":
        # The version the deliverable has now, and only a tick: 200 rather than 409/422.
        current = Deliverable.objects.filter(pk=case.path_parameters["deliverable_id"])
        case.body.clear()
        case.body["version"] = current.values_list("version", flat=True).first() or 1
        case.body["status"] = data.draw(st.sampled_from(["done", "todo"]), label="status")
    elif case.method.upper() == "POST":
        # A reading taken on a past day, of a number that fits: 201 rather than 409/422.
        days = data.draw(st.integers(min_value=0, max_value=365), label="days ago")
        case.body["taken_on"] = (timezone.localdate() - timedelta(days=days)).isoformat()
        cents = data.draw(st.integers(min_value=-100_000, max_value=100_000), label="cents")
        case.body["value"] = cents / 100


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no example database: every run draws afresh
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_its_schema_says(case, data, world, served_over_wsgi):
    steer(case, world, data)
    tried[case.operation.label] += 1
    response = case.call_and_validate(headers=world.headers, checks=CHECKS)
    answered[case.operation.label, response.status_code] += 1


def operation_label(method: str, path: str) -> str:
    """An operation's label as schemathesis writes it: django-ninja keeps a path
    parameter with its converter, /pilots/{int:pilot_id}; the schema as /pilots/{pilot_id}."""
    return f"{method} {API_ROOT}{CONVERTER.sub(PLAIN, path)}"


def test_the_schema_has_every_operation_and_the_run_tried_them_all(request, record_property):
    in_schema = {result.ok().label for result in schema.get_all_operations()}
    # Every operation registered with django-ninja, shown in the schema or not: one left
    # out of the schema would escape the run above.
    in_api = {
        operation_label(method, prefix + path)
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    print(f"\nschemathesis: {len(in_schema)} operations in the schema")
    record_property("operations", len(in_schema))
    assert in_schema == in_api
    assert len(in_schema) >= 17  # as many as the API had when this test was written

    # The run above, when this session ran it (it comes first in the module).
    run = [item for item in request.session.items if item.name.startswith("test_every_op")]
    if not run:
        return
    assert {item.name.partition("[")[2][:-1] for item in run} == in_schema
    assert set(tried) == in_schema, f"never tried: {sorted(in_schema - set(tried))}"
    for label in sorted(in_schema):
        statuses = " ".join(
            f"{status}x{count}"
            for (name, status), count in sorted(answered.items())
            if name == label
        )
        print(f"  {tried[label]:4d}  {label:50s} {statuses}")
    print(f"schemathesis: {len(tried)} operations tried, {sum(tried.values())} examples")
    record_property("examples", sum(tried.values()))


def test_addresses_the_api_does_not_have_answer_in_json(db):
    """Found by the run above; both answered with an HTML page, not the API's JSON 404.
    A write, with CSRF checked as a real client meets it, got Django's CSRF page; an
    address with an encoded line break got the site's own 404 page."""
    client = Client(enforce_csrf_checks=True)
    for method in ("post", "patch", "put", "delete"):
        response = getattr(client, method)(
            f"{API_ROOT}/deliverables/-1", data="{}", content_type="application/json"
        )
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "not_found", method
    response = client.get(f"{API_ROOT}/pilots/a%0Ab/readings")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
