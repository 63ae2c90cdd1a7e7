"""A programme manager edits a deliverable of a draft playbook inline: the row becomes a
form, a mistake is explained in place, and the saved row comes back without a reload."""

import pytest
from playwright.sync_api import expect

from playbook import services
from playbook.models import DeliverableTemplate

pytestmark = pytest.mark.browser


@pytest.fixture
def draft(pm, playbook, transactional_db):
    return services.playbook_clone(source=playbook, actor=pm)


def log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Playbooks")).to_be_visible()


def test_pm_edits_a_deliverable_template_inline(page, live_server, pm, draft):
    template = DeliverableTemplate.objects.get(phase__playbook=draft, phase__number=1, order=1)
    log_in(page, live_server, pm)
    page.goto(f"{live_server.url}/playbooks/{draft.pk}/")
    page.evaluate("window.__notReloaded = true")

    row = page.locator(f"#template-{template.pk}")
    row.get_by_role("link", name=f"Edit “{template.title}”").click()
    expect(row).to_have_class("pb-row is-editing")
    row.get_by_label("Title").fill("Map every manual step")
    row.get_by_label("Due day").fill("45")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_text("Foundation runs from day 1 to day 30.")).to_be_visible()

    row.get_by_label("Due day").fill("12")
    row.get_by_role("button", name="Save").click()
    expect(row).to_have_class("pb-row")
    expect(row.locator(".pb-title")).to_have_text("Map every manual step")
    expect(row.locator(".pb-days")).to_have_text("Days 1–12")
    expect(page.locator("#publish-check")).to_contain_text("Ready to publish")
    assert page.evaluate("window.__notReloaded") is True

    template.refresh_from_db()
    assert (template.title, template.due_day) == ("Map every manual step", 12)


def test_pm_reorders_and_deletes_without_a_reload(page, live_server, pm, draft):
    first, second, _ = DeliverableTemplate.objects.filter(
        phase__playbook=draft, phase__number=1
    ).order_by("order")
    log_in(page, live_server, pm)
    page.goto(f"{live_server.url}/playbooks/{draft.pk}/")
    page.evaluate("window.__notReloaded = true")

    page.get_by_role("button", name=f"Move “{first.title}” down").click()
    titles = page.locator(f"#phase-{first.phase_id}-templates .pb-title")
    expect(titles.first).to_have_text(second.title)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete “{first.title}”").click()
    expect(page.locator(f"#template-{first.pk}")).to_have_count(0)
    expect(titles).to_have_count(2)
    assert page.evaluate("window.__notReloaded") is True
