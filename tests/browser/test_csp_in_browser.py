"""The main pages under the real Content Security Policy, in Debian's chromium: the pilot
page with a tick (and an evidence file, through htmx), the portfolio with its filters,
and My work. Not one violation may be reported: a blocked inline script or style would
mean a feature silently broken for every user."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pilots import services
from pilots.models import Evidence
from tests.conftest import build_pilot

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def world(pm, owner, playbook, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    pilot = build_pilot(
        programme_manager=pm, playbook=playbook, kickoff=today, business_unit="Insurance"
    )
    build_pilot(programme_manager=pm, playbook=playbook, name="Invoice matcher", kickoff=today,
                business_unit="Finance")  # fmt: skip
    ids = list(pilot.deliverables.order_by("due_date", "pk").values_list("pk", flat=True)[:3])
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    return pilot


class Watch:
    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda message: self.console.append(message.text))

    def assert_clean(self, where: str) -> None:
        events = self.page.evaluate("window.__cspViolations")
        reported = [
            line for line in self.console if "Content Security Policy" in line or "Refused" in line
        ]
        assert events == [] and reported == [], f"{where}: {events} {reported}"


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()


def test_the_main_pages_run_under_the_policy_without_a_violation(
    page, live_server, world, owner, pm, tmp_path
):
    watch = Watch(page)
    _log_in(page, live_server.url, owner.username)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    watch.assert_clean("My work")

    # The pilot page: tick one deliverable with htmx, and another with an evidence file.
    page.goto(f"{live_server.url}/pilots/{world.pk}/")
    overall = page.get_by_label("Overall progress")
    expect(overall).to_have_attribute("value", "0")
    page.evaluate("window.__notReloaded = true")
    first, second = world.deliverables.filter(owner=owner).order_by("due_date", "pk")[:2]
    page.get_by_role("button", name=f"Mark “{first.title}” done").click()
    expect(overall).to_have_attribute("value", "1")

    row = page.locator(f"#deliverable-{second.pk}")
    row.get_by_text("Tick with evidence or a note").click()
    proof = tmp_path / "proof.txt"
    proof.write_text("Reviewed with the production owner.\n")
    row.locator('input[type="file"]').set_input_files(str(proof))
    row.get_by_role("button", name="Mark done").click()
    expect(page.locator(f"#deliverable-{second.pk}")).to_have_class(re.compile(r"status-done"))
    evidence_link = page.locator(f"#deliverable-{second.pk}").get_by_role(
        "link", name=re.compile("proof.txt")
    )
    expect(evidence_link).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True
    assert Evidence.objects.get(deliverable=second).file_name == "proof.txt"
    watch.assert_clean("pilot page")

    # My work: tick from the list with htmx.
    page.goto(f"{live_server.url}/my-work/")
    third = world.deliverables.filter(owner=owner, status="todo").order_by("due_date", "pk")[0]
    page.get_by_role("button", name=f"Mark “{third.title}” done").click()
    expect(page.locator(f"#work-{third.pk}")).to_have_class(re.compile(r"status-done"))
    watch.assert_clean("My work tick")

    # The portfolio, filtered in place.
    page.context.clear_cookies()
    _log_in(page, live_server.url, pm.username)
    page.goto(f"{live_server.url}/portfolio/")
    table = page.locator("table.portfolio-table tbody")
    expect(table.get_by_role("link", name="Invoice matcher")).to_be_visible()
    page.get_by_label("Business unit").select_option("Finance")
    expect(page).to_have_url(re.compile(r"[?&]unit=Finance(&|$)"))
    expect(table.get_by_role("link", name="Claims triage")).to_have_count(0)
    watch.assert_clean("portfolio")
