"""Shared fixtures: named personas, a small explicit playbook, and pilot builders."""

import os
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from pilots import services
from pilots.roles import Role
from playbook.models import DeliverableKind, DeliverableTemplate, Phase, Playbook

User = get_user_model()
KICKOFF = date(2026, 3, 2)  # a Monday

IN_CI = os.environ.get("CI", "").lower() == "true"


def needs_postgres() -> None:
    """Skip (locally) or fail (in CI) when the suite is not running on PostgreSQL."""
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI must run this test on PostgreSQL")
        pytest.skip("needs PostgreSQL (the suite is running on SQLite)")


def make_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(
        username=username, password="pw", first_name=username.title(), last_name="Test", **extra
    )
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def pm(db):
    return make_user("pm", Role.PROGRAMME_MANAGER)


@pytest.fixture
def other_pm(db):
    return make_user("otherpm", Role.PROGRAMME_MANAGER)


@pytest.fixture
def owner(db):
    return make_user("owner")


@pytest.fixture
def sponsor(db):
    return make_user("sponsor")


@pytest.fixture
def production_owner(db):
    return make_user("prodowner")


@pytest.fixture
def leader(db):
    return make_user("leader", Role.LEADERSHIP)


@pytest.fixture
def reviewer(db):
    return make_user("reviewer", Role.GOVERNANCE_REVIEWER)


@pytest.fixture
def admin_user(db):
    return make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    return make_user("outsider")


def build_playbook(templates_per_phase: int = 2, slug: str = "test-playbook") -> Playbook:
    """Three phases (1-30, 31-60, 61-90); each with `templates_per_phase` activities and
    one mandatory phase deliverable due on the phase's last day."""
    playbook = Playbook.objects.create(
        slug=slug,
        version=1,
        name="Test playbook",
        status=Playbook.Status.PUBLISHED,
        is_default=not Playbook.objects.filter(is_default=True).exists(),
    )
    for number, (name, start, end) in enumerate(
        [("Foundation", 1, 30), ("Integration", 31, 60), ("Scale", 61, 90)], start=1
    ):
        phase = Phase.objects.create(
            playbook=playbook,
            number=number,
            name=name,
            start_day=start,
            end_day=end,
            gate_signers=["production_owner", "programme_manager"],
        )
        for order in range(1, templates_per_phase + 1):
            first = start + (order - 1) * 7
            DeliverableTemplate.objects.create(
                phase=phase,
                order=order,
                title=f"{name} activity {order}",
                workstream=f"Weeks {(first - 1) // 7 + 1}",
                dimension="data",
                start_day=min(first, end),
                due_day=min(first + 6, end),
            )
        DeliverableTemplate.objects.create(
            phase=phase,
            order=templates_per_phase + 1,
            title=f"{name} phase deliverable",
            workstream=f"Day {end} deliverables",
            dimension="governance",
            kind=DeliverableKind.PHASE_DELIVERABLE,
            start_day=start,
            due_day=end,
            mandatory=True,
        )
    return playbook


@pytest.fixture
def playbook(db):
    return build_playbook()


def build_pilot(*, programme_manager, playbook, launch=True, kickoff=KICKOFF, **fields):
    fields.setdefault("name", "Claims triage")
    fields.setdefault("business_unit", "Operations")
    fields.setdefault("problem", "Claims wait too long for routing.")
    pilot = services.pilot_create(
        programme_manager=programme_manager, playbook=playbook, kickoff_date=kickoff, **fields
    )
    if launch:
        pilot = services.pilot_launch(pilot=pilot)
    return pilot


@pytest.fixture
def pilot(pm, sponsor, production_owner, owner, playbook):
    """A launched pilot whose first deliverable belongs to `owner`."""
    pilot = build_pilot(
        programme_manager=pm, playbook=playbook, sponsor=sponsor, production_owner=production_owner
    )
    first = pilot.deliverables.order_by("due_date", "pk").first()
    services.deliverables_assign(pilot=pilot, deliverable_ids=[first.pk], owner=owner)
    return pilot


@pytest.fixture
def owned(pilot, owner):
    """The deliverable `owner` owns on `pilot`."""
    return pilot.deliverables.get(owner=owner)


def pytest_configure(config):
    from django.conf import settings

    # Hashing passwords properly costs ~100 ms a user; tests need none of that strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _test_databases_first(django_db_setup):
    """Create the test databases before anything else starts: Playwright's session-wide
    event loop would otherwise make Django refuse the (synchronous) set-up."""


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: Playwright keeps an event loop open until the session ends,
    and Django refuses synchronous database work while one runs."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
