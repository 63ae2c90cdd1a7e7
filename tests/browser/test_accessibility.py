"""Accessibility of the main pages, checked by axe-core (vendored in static/vendor/axe-core)
in Debian's chromium, and the keyboard paths a keyboard or screen-reader user depends on.

A violation of impact "serious" or "critical" fails the test, naming the rule, its impact,
its help text and the offending elements; moderate and minor ones are printed for
information only (pytest shows them with -rP or -s).

axe is loaded from the app's own static files, as a same-origin <script src>, so it runs
under the real Content Security Policy and the pages are checked exactly as served.
(Playwright's add_script_tag(path=...) would inject the file as an inline script, which
script-src 'self' blocks; loading it by URL needs no bypass_csp.)"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.accounts import tokens
from governance import risks
from pilots import services
from pilots.notifications_models import Notification, NotificationKind
from playbook import services as playbook_services
from tests.conftest import build_pilot
from tests.lifecycle_builders import complete_intake

pytestmark = pytest.mark.browser

AXE_URL = "/static/vendor/axe-core/axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (landmarks, headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}
# axe leaves an ARIA reference to an id that is not on the page (aria-describedby naming a
# help text or error that was never rendered) as "needs review", since the element could be
# added later. A server-rendered page has all its elements by now: here that is a fault.
DEFINITE_WHEN_INCOMPLETE = {"aria-valid-attr-value"}

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations", "incomplete"],
  });
  const summary = (v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  });
  return {
    passed: results.passes.length,
    violations: results.violations.map(summary),
    incomplete: results.incomplete.map(summary),
  };
}"""


@pytest.fixture
def world(pm, owner, leader, sponsor, production_owner, playbook, transactional_db):
    """Two running pilots (one with its intake answered, one with a risk), a proposed one,
    deliverables owned by `owner`, notifications and an API token for `owner`, and a draft
    of the playbook."""
    today = timezone.localdate()
    pilot = build_pilot(
        programme_manager=pm,
        playbook=playbook,
        kickoff=today - timedelta(days=20),
        sponsor=sponsor,
        production_owner=production_owner,
        launch=False,
    )
    pilot = services.pilot_launch(pilot=complete_intake(pilot), actor=pm)
    ids = list(pilot.deliverables.order_by("due_date", "pk").values_list("pk", flat=True)[:4])
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    risks.risk_create(
        pilot=pilot,
        actor=pm,
        title="Model leaks personal data in answers",
        category="privacy",
        likelihood=4,
        impact=5,
        residual_likelihood=2,
        residual_impact=5,
        mitigation="Redact names before prompting.",
    )
    build_pilot(programme_manager=pm, playbook=playbook, name="Invoice matcher",
                business_unit="Finance", kickoff=today)  # fmt: skip
    build_pilot(programme_manager=pm, playbook=playbook, name="Contract reader", launch=False)
    Notification.objects.create(
        user=owner,
        kind=NotificationKind.DIGEST,
        title="3 deliverables due this week",
        url=f"/pilots/{pilot.pk}/",
    )
    Notification.objects.create(
        user=owner,
        kind=NotificationKind.GATE_READY,
        title="Gate 1 of Claims triage is ready",
        read_at=timezone.now(),
    )
    tokens.api_token_create(user=owner, name="Reporting")
    draft = playbook_services.playbook_clone(source=playbook, actor=pm)
    return {"pilot": pilot, "playbook": playbook, "draft": draft, "owned": ids[0]}


def log_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main#main")).to_be_visible()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    results = page.evaluate(RUN_AXE, AXE_TAGS)
    # A run that checked nothing (axe not loaded, an empty page) must not pass as clean.
    assert results["passed"] > 10, f"axe checked almost nothing: {results}"
    definite = [v for v in results["incomplete"] if v["id"] in DEFINITE_WHEN_INCOMPLETE]
    return results["violations"] + definite


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n"
        + "".join(f"      {target}\n" for target in v["targets"])
        for v in violations
    )


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(f"\n{where}: moderate/minor axe findings (not failing):\n{describe(others)}")
    if failing:
        pytest.fail(f"{where}: serious/critical axe violations:\n{describe(failing)}")


PAGES = {
    "login": (None, "/accounts/login/"),
    "my work": ("owner", "/my-work/"),
    "pilot list": ("pm", "/pilots/"),
    "pilot page": ("pm", "/pilots/{pilot}/"),
    "pilot page, as its owner": ("owner", "/pilots/{pilot}/"),
    "tick with evidence, as a page": ("owner", "/deliverables/{owned}/evidence/"),
    "governance tab": ("pm", "/pilots/{pilot}/governance/"),
    "gates": ("pm", "/pilots/{pilot}/gates/"),
    "gate page": ("pm", "/pilots/{pilot}/gates/1/"),
    "portfolio": ("leader", "/portfolio/"),
    "triage": ("pm", "/triage/"),
    "notifications": ("owner", "/notifications/"),
    "API tokens": ("owner", "/account/tokens/"),
    "playbook list": ("pm", "/playbooks/"),
    "playbook detail": ("pm", "/playbooks/{playbook}/"),
    "playbook draft in the editor": ("pm", "/playbooks/{draft}/"),
}


@pytest.mark.parametrize("where", list(PAGES))
def test_the_page_has_no_serious_or_critical_axe_violation(
    page, live_server, world, pm, owner, leader, where
):
    username, path = PAGES[where]
    user = {"pm": pm, "owner": owner, "leader": leader}.get(username)
    if user is not None:
        log_in(page, live_server.url, user)
    ids = {name: getattr(obj, "pk", obj) for name, obj in world.items()}
    page.goto(live_server.url + path.format(**ids))
    expect(page.locator("main#main h1, main#main h2").first).to_be_visible()
    assert_accessible(page, where)


def test_the_pilot_page_stays_accessible_after_an_htmx_tick(page, live_server, world, owner):
    pilot = world["pilot"]
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/pilots/{pilot.pk}/")
    page.evaluate("window.__notReloaded = true")
    item = pilot.deliverables.filter(owner=owner).order_by("due_date", "pk").first()
    page.get_by_role("button", name=f"Mark “{item.title}” done").click()
    expect(page.locator(f"#deliverable-{item.pk}")).to_have_class(re.compile(r"status-done"))
    assert page.evaluate("window.__notReloaded") is True
    assert_accessible(page, "pilot page after a tick")


def test_a_field_error_is_announced_with_its_field(page, live_server, world, pm):
    """Django points a field at `<id>_error` and `<id>_helptext` (aria-describedby); the
    templates must render those ids, or a screen reader never hears the error."""
    log_in(page, live_server.url, pm)
    page.goto(f"{live_server.url}/triage/")
    row = page.locator(f"#triage-{world['pilot'].pk}")
    row.locator("summary").click()
    row.get_by_role("button", name="Record decision").click()
    reason = row.get_by_label("Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile(r"\w"))
    assert_accessible(page, "triage after a decision without a reason")


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(
    page, live_server, world, owner
):
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/pilots/{world['pilot'].pk}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab stop is inside main, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_a_deliverable_ticked_with_the_keyboard_keeps_focus_and_is_announced(
    page, live_server, world, owner
):
    pilot = world["pilot"]
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/pilots/{pilot.pk}/")
    page.evaluate("window.__notReloaded = true")
    item = pilot.deliverables.filter(owner=owner).order_by("due_date", "pk").first()
    button = page.get_by_role("button", name=f"Mark “{item.title}” done")
    button.focus()
    page.keyboard.press("Enter")

    row = page.locator(f"#deliverable-{item.pk}")
    expect(row).to_have_class(re.compile(r"status-done"))
    expect(row.locator(".status")).to_have_text("Done")
    undo = page.get_by_role("button", name=f"Undo: mark “{item.title}” not done")
    expect(undo).to_be_focused()
    expect(page.locator("#live-status")).to_contain_text(item.title)
    assert page.evaluate("window.__notReloaded") is True

    # And back, still from the keyboard.
    page.keyboard.press("Enter")
    expect(row).not_to_have_class(re.compile(r"status-done"))
    expect(page.get_by_role("button", name=f"Mark “{item.title}” done")).to_be_focused()
