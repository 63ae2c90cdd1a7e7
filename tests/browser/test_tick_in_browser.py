"""An owner logs in, ticks a deliverable, and sees the progress bar move without a reload."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pilots import services
from tests.conftest import build_pilot

pytestmark = pytest.mark.browser


@pytest.fixture
def launched(pm, owner, playbook, transactional_db):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, kickoff=timezone.localdate())
    ids = list(pilot.deliverables.values_list("pk", flat=True)[:3])
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    return pilot


def test_owner_ticks_a_deliverable_and_the_progress_bar_moves(page, live_server, launched, owner):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()

    page.goto(f"{live_server.url}/pilots/{launched.pk}/")
    overall = page.get_by_label("Overall progress")
    expect(overall).to_have_attribute("value", "0")
    page.evaluate("window.__notReloaded = true")

    item = launched.deliverables.filter(owner=owner).order_by("due_date", "pk").first()
    page.get_by_role("button", name=f"Mark “{item.title}” done").click()

    expect(overall).to_have_attribute("value", "1")
    expect(page.get_by_label("Foundation progress")).to_have_attribute("value", "1")
    row = page.locator(f"#deliverable-{item.pk}")
    expect(row).to_have_class(re.compile(r"status-done"))
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path="var/screenshots/tick-after.png", full_page=True)

    row.get_by_role("button", name=re.compile("Undo")).click()
    expect(overall).to_have_attribute("value", "0")
    assert page.evaluate("window.__notReloaded") is True
