"""Leadership filters the portfolio by business unit: the table and the address change
in place (htmx), and the filtered address opens the same view on its own."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import build_pilot

pytestmark = pytest.mark.browser


@pytest.fixture
def two_units(pm, playbook, transactional_db):
    today = timezone.localdate()
    build_pilot(programme_manager=pm, playbook=playbook, name="Claims bot", kickoff=today,
                business_unit="Insurance")  # fmt: skip
    build_pilot(programme_manager=pm, playbook=playbook, name="Invoice matcher", kickoff=today,
                business_unit="Finance")  # fmt: skip


def test_leadership_filters_by_business_unit(page, live_server, leader, two_units):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(leader.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()

    table = page.locator("table.portfolio-table tbody")
    expect(table.get_by_role("link", name="Claims bot")).to_be_visible()
    expect(table.get_by_role("link", name="Invoice matcher")).to_be_visible()
    page.evaluate("window.__notReloaded = true")

    page.get_by_label("Business unit").select_option("Finance")

    expect(table.get_by_role("link", name="Claims bot")).to_have_count(0)
    expect(table.get_by_role("link", name="Invoice matcher")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]unit=Finance(&|$)"))
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path="var/screenshots/portfolio-filtered.png", full_page=True)

    # Sorting swaps the table in place too, and the next filter keeps the sort.
    page.locator("th a", has_text="Pilot").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=name(&|$)"))
    page.get_by_label("Business unit").select_option("")
    expect(table.get_by_role("link", name="Claims bot")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]sort=name(&|$)"))
    page.get_by_label("Business unit").select_option("Finance")
    expect(table.get_by_role("link", name="Claims bot")).to_have_count(0)
    assert page.evaluate("window.__notReloaded") is True

    # The address is the view: opened afresh, it shows the same pilots.
    page.goto(page.url)
    expect(page.get_by_label("Business unit")).to_have_value("Finance")
    expect(page.locator("table.portfolio-table tbody tr")).to_have_count(1)
