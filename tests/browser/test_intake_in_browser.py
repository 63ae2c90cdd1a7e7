"""A programme manager adds and removes 12-month cost lines on the Intake tab, and the cost
table and the readiness meter change without a reload: the inputs sit inside the intake
form's table but belong to a form of their own (HTML's `form` attribute)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pilots.models import Intake
from tests.conftest import build_pilot

pytestmark = pytest.mark.browser


@pytest.fixture
def waiting(pm, sponsor, production_owner, playbook, transactional_db):
    """A pilot in intake with its owner named and its benefit expected: its cost lines
    alone decide whether the fourth decision counts."""
    pilot = build_pilot(
        programme_manager=pm,
        playbook=playbook,
        sponsor=sponsor,
        production_owner=production_owner,
        launch=False,
    )
    Intake.objects.create(pilot=pilot, expected_yearly_benefit=Decimal("100000"))
    return pilot


def test_cost_lines_come_and_go_without_a_reload(page, live_server, waiting, pm):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(pm.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/pilots/{waiting.pk}/intake/")
    meter = page.get_by_label("Intake decisions answered")
    expect(meter).to_have_attribute("value", "1")
    page.evaluate("window.__notReloaded = true")

    page.locator("#cost_category").select_option("staff")
    page.locator("#cost_description").fill("Support analyst")
    page.locator("#cost_fte").fill("0.5")
    page.locator("#cost_fte_annual_rate").fill("60000")
    page.get_by_role("button", name="Add line").click()
    costs = page.locator("table.costs")
    expect(costs.locator("tfoot")).to_contain_text("€ 30,000")
    expect(meter).to_have_attribute("value", "2")
    expect(costs).to_contain_text("0.5 FTE × € 60,000")

    page.locator("#cost_annual_cost").fill("-5")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#costs")).to_contain_text("This cannot be negative.")

    page.get_by_role("button", name="Remove People (FTE) Support analyst").click()
    expect(costs).to_contain_text("No cost lines yet")
    expect(meter).to_have_attribute("value", "1")
    assert page.evaluate("window.__notReloaded") is True
    assert waiting.cost_lines.count() == 0
