"""The portfolio: stage, RAG and purgatory with frozen time, every filter and sort, the
exports (what the view shows, formulas neutralised), who may see it, and pinned queries."""

import csv
import io
import shutil
import subprocess
import tempfile
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import AiActClass, Classification
from pilots import charts, decisions, portfolio, reports, services, tasks
from pilots.intake_models import DecisionKind
from pilots.models import CostLine, Deliverable, KpiReading, PhaseRun, Pilot, PortfolioReport
from pilots.portfolio import Rag, Stage
from tests.conftest import KICKOFF, build_pilot, make_user

TODAY = KICKOFF + timedelta(days=40)  # day 41: Integration


def at(day, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def on_track(pm, playbook, production_owner, owner, **fields) -> Pilot:
    """A pilot launched on KICKOFF and green on TODAY: everything due before today done
    yesterday, finished phases signed off, every deliverable owned."""
    with time_machine.travel(at(KICKOFF), tick=False):
        pilot = build_pilot(
            programme_manager=pm, playbook=playbook, production_owner=production_owner, **fields
        )
    ids = list(pilot.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    pilot.deliverables.filter(due_date__lt=TODAY).update(
        status=Deliverable.Status.DONE, done_at=at(TODAY - timedelta(days=1))
    )
    pilot.phase_runs.filter(planned_end__lt=TODAY).update(state=PhaseRun.State.SIGNED_OFF)
    return pilot


def judged(pilot: Pilot, today=TODAY) -> portfolio.PortfolioRow:
    (row,) = portfolio.rows(Pilot.objects.for_portfolio().filter(pk=pilot.pk), today)
    return row


@pytest.fixture
def green(pm, playbook, production_owner, owner):
    return on_track(pm, playbook, production_owner, owner, name="Steady")


# --- rules ------------------------------------------------------------------------------


def test_a_pilot_on_track_is_green_in_its_current_phase(green):
    row = judged(green)
    assert (row.rag, row.stage, row.day) == (Rag.GREEN, Stage.INTEGRATION, 41)
    assert row.rag_reasons == [] and row.stuck_reasons == []
    assert row.next_gate_name == "Integration"
    assert row.next_gate_on == KICKOFF + timedelta(days=59)
    assert row.closed_count == 4 and row.total_count == 9 and row.percent_closed == 44


def test_anything_overdue_makes_it_amber_and_says_how_many(green):
    late = green.deliverables.filter(mandatory=False, status="done").order_by("-due_date").first()
    green.deliverables.filter(pk=late.pk).update(status=Deliverable.Status.TODO, done_at=None)
    row = judged(green)
    assert row.rag == Rag.AMBER
    assert row.rag_reasons == ["1 deliverable(s) overdue"]


def test_work_due_soon_without_an_owner_makes_it_amber(green):
    soon = green.deliverables.filter(
        due_date__gte=TODAY, due_date__lte=TODAY + timedelta(days=7)
    ).first()
    green.deliverables.filter(pk=soon.pk).update(owner=None)
    row = judged(green)
    assert row.rag == Rag.AMBER
    assert row.rag_reasons == ["1 deliverable(s) due soon with no owner"]
    # Unowned work due later is not yet a concern.
    green.deliverables.filter(pk=soon.pk).update(due_date=TODAY + timedelta(days=8))
    assert judged(green).rag == Rag.GREEN


def test_a_mandatory_deliverable_more_than_7_days_overdue_makes_it_red(green):
    mandatory = green.deliverables.get(mandatory=True, phase_run__number=1)  # due day 30
    green.deliverables.filter(pk=mandatory.pk).update(status=Deliverable.Status.TODO)
    assert mandatory.due_date == TODAY - timedelta(days=11)
    row = judged(green)
    assert row.rag == Rag.RED
    assert row.rag_reasons == ["1 mandatory deliverable(s) more than 7 days overdue"]
    # Seven days late is amber still.
    assert judged(green, today=mandatory.due_date + timedelta(days=7)).rag == Rag.AMBER


def test_an_overdue_gate_makes_it_red_and_in_purgatory(green):
    green.phase_runs.filter(number=1).update(state=PhaseRun.State.AWAITING_SIGNOFF)
    row = judged(green)
    assert row.rag == Rag.RED and row.phase_overrun
    assert row.stuck_reasons == ["Phase running past its end"]
    assert row.rag_reasons == ["In purgatory: phase running past its end"]


def test_no_progress_for_21_days_puts_it_in_purgatory(green):
    quiet = TODAY - timedelta(days=1) + timedelta(days=21)
    green.deliverables.filter(due_date__lt=quiet).update(
        status=Deliverable.Status.DONE, done_at=at(TODAY - timedelta(days=1))
    )
    green.phase_runs.filter(planned_end__lt=quiet).update(state=PhaseRun.State.SIGNED_OFF)
    assert judged(green, today=quiet - timedelta(days=1)).stuck_reasons == []
    assert judged(green, today=quiet).stuck_reasons == ["No progress for 21 days"]


def test_no_production_owner_is_red(pm, playbook, owner):
    pilot = on_track(pm, playbook, None, owner)
    row = judged(pilot)
    assert row.rag == Rag.RED and row.stuck_reasons == ["No production owner"]


def test_pilots_not_running_get_no_colour_and_their_own_stage(green, pm, playbook):
    Pilot.objects.filter(pk=green.pk).update(status=Pilot.Status.PAUSED)
    row = judged(green)
    assert (row.rag, row.stage, row.stuck_reasons) == ("", Stage.PAUSED, [])
    intake = build_pilot(programme_manager=pm, playbook=playbook, launch=False)
    row = judged(intake)
    assert (row.rag, row.stage, row.day, row.total_count) == ("", Stage.INTAKE, None, 0)


def test_launched_before_its_kickoff_counts_as_foundation(pm, playbook):
    pilot = build_pilot(programme_manager=pm, playbook=playbook, kickoff=TODAY + timedelta(days=5))
    row = judged(pilot)
    assert (row.stage, row.day, row.current_phase_number) == (Stage.FOUNDATION, -4, None)


def test_cost_reading_and_ai_act_class_are_on_the_row(green, pm):
    CostLine.objects.create(pilot=green, category="licences", annual_cost=Decimal("12000"))
    CostLine.objects.create(
        pilot=green, category="staff", fte=Decimal("0.5"), fte_annual_rate=Decimal("90000")
    )
    Pilot.objects.filter(pk=green.pk).update(
        success_metric="Minutes per claim",
        success_unit="min",
        success_baseline=Decimal(14),
        success_target=Decimal(9),
    )
    KpiReading.objects.create(pilot=green, taken_on=TODAY - timedelta(days=9), value=Decimal(13))
    KpiReading.objects.create(pilot=green, taken_on=TODAY - timedelta(days=2), value=Decimal(12))
    Classification.objects.create(
        pilot=green, risk_class=AiActClass.LIMITED, organisation_role="deployer", prepared_by=pm
    )
    row = judged(green)
    assert row.cost_12m == Decimal("57000.00")
    assert row.metric_text == "14 → 9 → 12 min"
    assert row.latest_reading_on == TODAY - timedelta(days=2)
    assert row.facets["ai_act_class"] == AiActClass.LIMITED.label


def test_gap_to_target_reads_the_metric_direction(green):
    Pilot.objects.filter(pk=green.pk).update(
        success_metric="Minutes per claim", success_unit="min",
        success_baseline=Decimal(14), success_target=Decimal(9),
    )  # fmt: skip
    KpiReading.objects.create(pilot=green, taken_on=TODAY, value=Decimal("11.5"))
    assert judged(green).gap_text == "2.5 min to go"
    KpiReading.objects.create(pilot=green, taken_on=TODAY + timedelta(days=1), value=Decimal(8))
    assert judged(green).gap_text == "target reached"


@time_machine.travel(at(TODAY), tick=False)
def test_triage_and_launch_overrides_are_on_the_rows_and_in_the_summary(green, pm, playbook):
    with time_machine.travel(at(TODAY - timedelta(days=3)), tick=False):
        decisions.pilot_decide(
            pilot=green, kind=DecisionKind.CONTINUE, rationale="On track.", actor=pm,
            in_triage=True,
        )  # fmt: skip
    rushed = build_pilot(programme_manager=pm, playbook=playbook, launch=False, name="Rushed")
    services.pilot_launch(pilot=rushed, actor=pm, override_reason="Board deadline; owner named")
    rows = {row.name: row for row in portfolio.rows(Pilot.objects.for_portfolio(), TODAY)}
    assert rows["Steady"].last_triage_on == TODAY - timedelta(days=3)
    assert rows["Steady"].override_reason is None
    assert rows["Rushed"].override_reason == "Board deadline; owner named"
    summary = portfolio.summarise(rows.values())
    assert (summary.triaged, summary.last_triage_on, summary.overridden) == (
        1, TODAY - timedelta(days=3), 1,
    )  # fmt: skip


def test_the_summary_counts_stages_colours_purgatory_and_cost(green, pm, playbook, owner):
    stuck = on_track(pm, playbook, None, owner, name="Orphan")
    build_pilot(programme_manager=pm, playbook=playbook, launch=False, name="Idea")
    CostLine.objects.create(pilot=stuck, category="licences", annual_cost=Decimal("1000"))
    summary = portfolio.summarise(portfolio.rows(Pilot.objects.for_portfolio(), TODAY))
    assert summary.pilots == 3
    assert summary.stages[Stage.INTEGRATION] == 2 and summary.stages[Stage.INTAKE] == 1
    assert summary.rag == {Rag.GREEN: 1, Rag.RED: 1}
    assert [row.name for row in summary.stuck] == ["Orphan"]
    assert (summary.cost_12m, summary.costed, summary.production_share) == (1000, 1, 0)


# --- the page: filters, sorting, htmx ------------------------------------------------------


@pytest.fixture
def spread(pm, other_pm, playbook, production_owner, owner):
    """Four pilots: green Insurance (pm), amber Finance (other_pm), red Retail (pm, no
    production owner), Retail in intake (other_pm); one is classified high-risk."""
    insurance = on_track(
        pm, playbook, production_owner, owner, name="Claims bot", business_unit="Insurance"
    )
    finance = on_track(
        other_pm, playbook, production_owner, owner, name="Invoice matcher", business_unit="Finance"
    )
    finance.deliverables.filter(status="done", mandatory=False).update(status="todo", done_at=None)
    retail = on_track(pm, playbook, None, owner, name="Churn radar", business_unit="Retail")
    idea = build_pilot(
        programme_manager=other_pm,
        playbook=playbook,
        launch=False,
        name="Parked idea",
        business_unit="Retail",
    )
    Classification.objects.create(
        pilot=finance, risk_class=AiActClass.HIGH_RISK, organisation_role="deployer", prepared_by=pm
    )
    CostLine.objects.create(pilot=retail, category="licences", annual_cost=Decimal("5000"))
    CostLine.objects.create(pilot=insurance, category="licences", annual_cost=Decimal("20000"))
    return {"insurance": insurance, "finance": finance, "retail": retail, "idea": idea}


def names(response) -> list[str]:
    assert response.status_code == 200
    return [row.name for row in response.context["page"]]


@pytest.fixture
def as_leader(client, leader):
    client.force_login(leader)
    return client


@time_machine.travel(at(TODAY), tick=False)
@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, ["Churn radar", "Invoice matcher", "Claims bot", "Parked idea"]),  # by RAG
        ({"q": "invoice"}, ["Invoice matcher"]),
        ({"q": "retail"}, ["Churn radar", "Parked idea"]),  # the unit is searched too
        ({"unit": "Retail"}, ["Churn radar", "Parked idea"]),
        ({"stage": Stage.INTAKE}, ["Parked idea"]),
        ({"stage": Stage.INTEGRATION, "unit": "Retail"}, ["Churn radar"]),
        ({"rag": Rag.AMBER}, ["Invoice matcher"]),
        ({"rag": Rag.GREEN}, ["Claims bot"]),
        ({"rag": "stuck"}, ["Churn radar"]),
        ({"ai_act_class": AiActClass.HIGH_RISK}, ["Invoice matcher"]),
        ({"ai_act_class": "none", "unit": "Insurance"}, ["Claims bot"]),
        ({"sort": "name"}, ["Churn radar", "Claims bot", "Invoice matcher", "Parked idea"]),
        ({"sort": "-name"}, ["Parked idea", "Invoice matcher", "Claims bot", "Churn radar"]),
        # Pilots without a cost go last in either direction; a descending sort reverses
        # the tie-breaker (the reference) as well.
        ({"sort": "cost"}, ["Churn radar", "Claims bot", "Invoice matcher", "Parked idea"]),
        ({"sort": "-cost"}, ["Claims bot", "Churn radar", "Parked idea", "Invoice matcher"]),
        ({"sort": "-overdue"}, ["Invoice matcher", "Parked idea", "Churn radar", "Claims bot"]),
    ],
)
def test_each_filter_and_sort(as_leader, spread, query, expected):
    assert names(as_leader.get(reverse("portfolio"), query)) == expected


@time_machine.travel(at(TODAY), tick=False)
def test_search_finds_a_reference(as_leader, spread):
    reference = spread["finance"].reference
    assert names(as_leader.get(reverse("portfolio"), {"q": reference})) == ["Invoice matcher"]


@time_machine.travel(at(TODAY), tick=False)
def test_the_programme_manager_filter(as_leader, spread, other_pm):
    response = as_leader.get(reverse("portfolio"), {"pm": other_pm.pk})
    assert names(response) == ["Invoice matcher", "Parked idea"]


@time_machine.travel(at(TODAY), tick=False)
def test_a_programme_manager_starts_on_their_own_pilots_and_can_see_all(client, pm, spread):
    client.force_login(pm)
    assert names(client.get(reverse("portfolio"))) == ["Churn radar", "Claims bot"]
    everyone = client.get(reverse("portfolio"), {"pm": ""})
    assert len(names(everyone)) == 4


@time_machine.travel(at(TODAY), tick=False)
def test_a_stale_filter_in_a_bookmark_is_ignored_and_said(as_leader, spread):
    response = as_leader.get(reverse("portfolio"), {"unit": "Renamed unit", "sort": "bogus"})
    assert len(names(response)) == 4
    assert "no longer valid" in response.content.decode()


@time_machine.travel(at(TODAY), tick=False)
def test_the_page_shows_totals_reasons_purgatory_and_rules(as_leader, spread):
    html = as_leader.get(reverse("portfolio")).content.decode()
    assert "Reached production" in html
    assert 'title="In purgatory: no production owner"' in html  # the RAG hover
    assert "Pilot purgatory" in html and "No production owner" in html
    assert "How the RAG status is decided" in html
    assert "€ 25,000" in html  # total 12-month cost
    assert "Triaged" in html and "no triage yet" in html
    assert 'src="/portfolio/trend.svg?' in html


@time_machine.travel(at(TODAY), tick=False)
def test_an_htmx_filter_returns_only_the_results_and_keeps_the_query(as_leader, spread):
    response = as_leader.get(reverse("portfolio"), {"unit": "Retail"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="results"' in html
    assert "export.csv?unit=Retail" in html and "trend.svg?unit=Retail" in html


@time_machine.travel(at(TODAY), tick=False)
def test_user_text_is_escaped(as_leader, spread):
    Pilot.objects.filter(pk=spread["idea"].pk).update(name="<script>alert(1)</script>")
    html = as_leader.get(reverse("portfolio")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@time_machine.travel(at(TODAY), tick=False)
def test_leadership_lands_on_the_portfolio(as_leader):
    assert as_leader.get("/").url == reverse("portfolio")


# --- charts ------------------------------------------------------------------------------


def test_the_weekly_trend_counts_planned_done_and_overdue(green):
    """Week by week: planned counts work due by the end of the week, done what was done by
    then, overdue what was open and past due as the week began."""
    trend = charts.portfolio_trend([green.pk], TODAY)
    monday = TODAY - timedelta(days=TODAY.weekday())
    this_week = trend.weeks.index(monday)
    assert trend.today_index == this_week
    due_by_now = green.deliverables.filter(due_date__lte=monday + timedelta(days=6)).count()
    assert trend.planned[this_week] == due_by_now
    assert trend.done[this_week] == 4 and trend.done[this_week + 1] is None
    # Done "yesterday", a week or more after some were due: overdue until then.
    assert (
        trend.overdue[this_week]
        == green.deliverables.filter(due_date__lt=monday, done_at__date__gte=monday).count()
    )
    assert (
        trend.planned[-1]
        == green.deliverables.filter(due_date__lte=trend.weeks[-1] + timedelta(days=6)).count()
    )


@time_machine.travel(at(TODAY), tick=False)
def test_the_trend_image_is_an_svg_of_the_filtered_view(as_leader, spread):
    response = as_leader.get(reverse("portfolio-trend"), {"rag": "stuck"})
    assert response["Content-Type"] == "image/svg+xml"
    svg = ElementTree.fromstring(response.content)
    texts = " ".join(node.text or "" for node in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "Deliverables planned and done" in texts and "Overdue deliverables" in texts
    retail_only = charts.portfolio_trend([spread["retail"].pk], TODAY)
    assert f"Planned {retail_only.planned[-1]}" in texts


# --- exports -------------------------------------------------------------------------------


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@time_machine.travel(at(TODAY), tick=False)
def test_the_csv_holds_exactly_the_filtered_view_with_reasons(as_leader, spread):
    rows = csv_rows(as_leader.get(reverse("portfolio-csv"), {"unit": "Retail"}))
    assert [row["Pilot"] for row in rows] == ["Churn radar", "Parked idea"]
    churn = rows[0]
    assert churn["RAG"] == "Red" and churn["Why"] == "In purgatory: no production owner"
    assert churn["In purgatory because"] == "No production owner"
    assert churn["Stage"] == "Integration" and churn["Day"] == "41"
    assert churn["12-month cost (EUR)"] == "5000.00"


@time_machine.travel(at(TODAY), tick=False)
def test_exports_neutralise_formulas(as_leader, spread):
    Pilot.objects.filter(pk=spread["idea"].pk).update(name='=HYPERLINK("http://x","y")')
    Pilot.objects.filter(pk=spread["retail"].pk).update(business_unit="@SUM(A1)")
    rows = csv_rows(as_leader.get(reverse("portfolio-csv")))
    cells = {row["Pilot"]: row for row in rows}
    assert '\'=HYPERLINK("http://x","y")' in cells
    assert cells["Churn radar"]["Business unit"] == "'@SUM(A1)"

    from openpyxl import load_workbook

    response = as_leader.get(reverse("portfolio-xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["Reference", "Pilot"]
    assert len(values) == 5
    assert '\'=HYPERLINK("http://x","y")' in [row[1] for row in values]
    assert all(not str(cell).startswith("=") for row in values for cell in row if cell)
    churn = next(row for row in values if row[1] == "Churn radar")
    assert churn[4] == 41  # numbers stay numbers


def pdf_text(content: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; `make system-deps`")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(content)
        done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def ask_for_report(client, django_capture_on_commit_callbacks, **filters):
    """Ask for a report; the rendering task runs when the request commits (eagerly, as in
    the embedded default)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portfolio-report-create"), filters)
    assert response.status_code == 302
    return PortfolioReport.objects.get(pk=response.url.rstrip("/").split("/")[-1])


@time_machine.travel(at(TODAY), tick=False)
def test_the_pdf_report_is_the_filtered_view_titled_and_dated(
    as_leader, spread, django_capture_on_commit_callbacks
):
    report = ask_for_report(as_leader, django_capture_on_commit_callbacks, unit="Retail")
    assert report.status == PortfolioReport.Status.READY and report.pilots == 2
    page = as_leader.get(reverse("portfolio-report", args=[report.pk])).content.decode()
    assert "Your report is ready" in page and "Business unit: Retail" in page
    response = as_leader.get(reverse("portfolio-report-download", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert f"ninety-portfolio-2026-04-11-{report.pk}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "AI pilots on their way to production" in text
    assert "11 April 2026" in text and "Business unit: Retail" in text
    assert "Churn radar" in text and "Parked idea" in text
    assert "Claims bot" not in text and "Invoice matcher" not in text
    assert "Pilot purgatory (1)" in text and "No production owner" in text


@time_machine.travel(at(TODAY), tick=False)
def test_a_report_is_prepared_in_the_background_and_the_page_polls(as_leader, spread):
    # Without running the commit callbacks, the report waits for its worker.
    response = as_leader.post(reverse("portfolio-report-create"))
    report = PortfolioReport.objects.get()
    assert response.url == reverse("portfolio-report", args=[report.pk])
    fragment = as_leader.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "Preparing your report" in fragment and 'hx-trigger="every 2s"' in fragment
    assert "<html" not in fragment
    not_yet = as_leader.get(reverse("portfolio-report-download", args=[report.pk]))
    assert not_yet.status_code == 404
    assert reports.report_render(report.pk) == "ready"
    assert reports.report_render(report.pk) == "not queued"  # a redelivered task renders once
    fragment = as_leader.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "Your report is ready" in fragment and "every 2s" not in fragment


@time_machine.travel(at(TODAY), tick=False)
def test_a_failed_report_says_so_and_can_be_asked_for_again(
    as_leader, leader, spread, django_capture_on_commit_callbacks
):
    as_leader.post(reverse("portfolio-report-create"))
    report = PortfolioReport.objects.get()
    leader.groups.clear()  # lost the role before the worker got to it
    assert reports.report_render(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == PortfolioReport.Status.FAILED and "PermissionDenied" in report.error
    leader.groups.add(Group.objects.get(name="Leadership"))
    page = as_leader.get(reverse("portfolio-report", args=[report.pk])).content.decode()
    assert "could not be prepared" in page and "Prepare it again" in page
    with django_capture_on_commit_callbacks(execute=True):
        as_leader.post(reverse("portfolio-report-retry", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == PortfolioReport.Status.READY


def test_a_report_stuck_in_the_queue_can_be_queued_again(as_leader):
    with time_machine.travel(at(TODAY), tick=False):
        as_leader.post(reverse("portfolio-report-create"))
        report = PortfolioReport.objects.get()
        assert not reports.can_retry(report)
    with time_machine.travel(at(TODAY) + timedelta(minutes=11), tick=False):
        assert reports.can_retry(report)
        assert (
            "Prepare it again"
            in as_leader.get(reverse("portfolio-report", args=[report.pk])).content.decode()
        )


def test_the_beat_queues_a_report_whose_task_was_lost(
    as_leader, django_capture_on_commit_callbacks, settings
):
    with time_machine.travel(at(TODAY), tick=False):
        as_leader.post(reverse("portfolio-report-create"))  # its task never runs
        report = PortfolioReport.objects.get()
        assert reports.reports_requeue_stale() == []
    assert "pilots.requeue_stale_reports" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    with time_machine.travel(at(TODAY) + timedelta(minutes=11), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.requeue_stale_reports() == 1
        assert reports.reports_requeue_stale() == []  # queued again just now: once
    report.refresh_from_db()
    assert report.status == PortfolioReport.Status.READY


def test_a_report_belongs_to_who_asked_for_it(client, leader, reviewer, admin_user):
    client.force_login(leader)
    client.post(reverse("portfolio-report-create"))
    report = PortfolioReport.objects.get()
    client.force_login(reviewer)
    for name in ("portfolio-report", "portfolio-report-download"):
        assert client.get(reverse(name, args=[report.pk])).status_code == 404
    assert client.post(reverse("portfolio-report-retry", args=[report.pk])).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("portfolio-report", args=[report.pk])).status_code == 200


@pytest.mark.parametrize("name", ["portfolio-report-create"])
def test_asking_for_a_report_is_a_post_for_the_programme_office(client, name, owner, leader):
    client.force_login(owner)
    assert client.post(reverse(name)).status_code == 403
    client.force_login(leader)
    assert client.get(reverse(name)).status_code == 405


# --- access ------------------------------------------------------------------------------

PORTFOLIO_URLS = [
    "portfolio",
    "portfolio-trend",
    "portfolio-csv",
    "portfolio-xlsx",
]


@pytest.mark.parametrize("name", PORTFOLIO_URLS)
def test_people_without_a_programme_office_role_get_403(client, name, owner, green, outsider):
    for person in (owner, outsider):
        client.force_login(person)
        assert client.get(reverse(name)).status_code == 403
    # An owner still reads their own pilot.
    client.force_login(owner)
    assert client.get(reverse("pilot-detail", args=[green.pk])).status_code == 200


@pytest.mark.parametrize("name", PORTFOLIO_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("name", PORTFOLIO_URLS)
def test_the_programme_office_reads_it_and_nobody_writes_to_it(
    client, name, pm, leader, reviewer, admin_user
):
    for person in (pm, leader, reviewer, admin_user):
        client.force_login(person)
        assert client.get(reverse(name)).status_code == 200
        assert client.post(reverse(name)).status_code == 405


# --- queries -------------------------------------------------------------------------------

# Session, user, groups, business units, programme managers, pilots, deliverable counts,
# phase runs, the person's last report, the bell.
PORTFOLIO_QUERIES = 10


def bulk_portfolio(count: int, pm, playbook) -> None:
    """`count` running pilots with their phase runs and five deliverables each, written
    straight into the tables (the services would take minutes for a thousand)."""
    start = Pilot.objects.count()
    made = Pilot.objects.bulk_create(
        Pilot(
            reference=f"Q-{start + i:05d}",
            name=f"Pilot {start + i}",
            business_unit=f"Unit {i % 7}",
            problem="Counting queries.",
            programme_manager=pm,
            playbook=playbook,
            kickoff_date=KICKOFF - timedelta(days=i % 60),
            status=Pilot.Status.ACTIVE,
            launched_at=at(KICKOFF),
        )
        for i in range(count)
    )
    phases = list(playbook.phases.order_by("number"))
    runs = PhaseRun.objects.bulk_create(
        PhaseRun(
            pilot=pilot,
            phase=phase,
            number=phase.number,
            name=phase.name,
            planned_start=pilot.kickoff_date + timedelta(days=phase.start_day - 1),
            planned_end=pilot.kickoff_date + timedelta(days=phase.end_day - 1),
        )
        for pilot in made
        for phase in phases
    )
    Deliverable.objects.bulk_create(
        Deliverable(
            pilot=run.pilot,
            phase_run=run,
            order=n,
            title=f"Item {n}",
            workstream="Weeks",
            dimension="data",
            start_date=run.planned_start,
            due_date=run.planned_start + timedelta(days=n * 5),
            mandatory=n == 0,
            status=Deliverable.Status.DONE if n % 2 else Deliverable.Status.TODO,
            done_at=at(run.planned_start) if n % 2 else None,
        )
        for run in runs
        for n in range(5)
    )


def queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


@time_machine.travel(at(TODAY), tick=False)
def test_the_portfolio_reads_10_and_1000_pilots_in_the_same_queries(as_leader, pm, playbook):
    bulk_portfolio(10, pm, playbook)
    url = reverse("portfolio")
    assert queries(as_leader, url) == PORTFOLIO_QUERIES
    assert queries(as_leader, url, unit="Unit 3", sort="-progress") == PORTFOLIO_QUERIES
    bulk_portfolio(990, pm, playbook)
    assert Pilot.objects.count() == 1000 and Deliverable.objects.count() == 15_000
    assert queries(as_leader, url) == PORTFOLIO_QUERIES
    assert queries(as_leader, url, unit="Unit 3", sort="-progress") == PORTFOLIO_QUERIES
    # The exports read the same way, whatever their length.
    # No report link, no bell:
    assert queries(as_leader, reverse("portfolio-csv")) == PORTFOLIO_QUERIES - 2
    # Nor the rows, when no filter needs them judged:
    assert queries(as_leader, reverse("portfolio-trend")) == PORTFOLIO_QUERIES - 4
    assert queries(as_leader, reverse("portfolio-trend"), rag="red") == PORTFOLIO_QUERIES - 1


def test_the_page_renders_one_page_of_rows_and_sums_them_all(as_leader, pm, playbook):
    bulk_portfolio(120, pm, playbook)
    response = as_leader.get(reverse("portfolio"), {"sort": "name"})
    assert len(response.context["page"].object_list) == 25
    assert response.context["summary"].pilots == 120
    last = as_leader.get(reverse("portfolio"), {"sort": "name", "page": 5})
    assert len(last.context["page"].object_list) == 20


def test_someone_new_to_the_programme_office_sees_an_empty_portfolio(client, db):
    newcomer = make_user("newcomer", "Leadership")
    client.force_login(newcomer)
    response = client.get(reverse("portfolio"))
    assert response.status_code == 200
    assert "No pilots match these filters." in response.content.decode()
