"""The leadership portfolio page, its chart image, its exports (CSV, XLSX) and the PDF
board-pack reports.

Everything reads through `pilots.portfolio_read`: the filtered, sorted rows of
`pilots.portfolio.rows`, fetched once. Exports carry every row of the filtered view; the
page renders one page of rows while the funnel and totals cover them all.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from pilots import charts, portfolio, portfolio_read, purgatory, reports
from pilots.exports import csv_response, xlsx_response
from pilots.models import Pilot, PortfolioReport
from pilots.portfolio import Rag
from pilots.portfolio_forms import PortfolioFilterForm
from pilots.roles import is_administrator

# A page of the table is what a person reads at once (rows are three lines tall); the
# funnel, totals and purgatory above it cover every pilot of the view.
ROWS_PER_PAGE = 25
PAGE_CHART = {"width": 460, "height": 240}  # half of the chart card, text still legible


def _sort_links(read: portfolio_read.PortfolioRead) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (toggling direction) and its
    aria-sort state."""
    current = read.form.sort_order
    links = {}
    for key in PortfolioFilterForm.SORTS:
        query = read.query.copy()
        active = current.removeprefix("-") == key
        descending = current.startswith("-")
        query["sort"] = f"-{key}" if active and not descending else key
        state = ("descending" if descending else "ascending") if active else "none"
        links[key] = {"url": f"?{query.urlencode()}", "state": state}
    return links


@login_required
@require_GET
def portfolio_page(request: HttpRequest) -> HttpResponse:
    """The page reads every pilot once for the funnel, the totals and the purgatory panel,
    and renders one page of the table. The line charts are an image (`portfolio_trend`)
    that the browser fetches beside the page, so the table never waits for them."""
    read = portfolio_read.read(request.user, request.GET)
    summary = portfolio.summarise(read.rows)
    page = Paginator(read.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": read.form,
        "page": page,
        "summary": summary,
        "funnel": charts.bars((s.value, s.label, n) for s, n in summary.funnel),
        "facets": portfolio.facets(),
        "query": read.query.urlencode(),
        "funnel_query": _query_without(read.query, "stage"),
        "stuck_query": _query_without(read.query, "rag", rag="stuck"),
        "sort_links": _sort_links(read),
        "purgatory_reasons": [reason.label for reason in purgatory.Reason],
        "rag_rules": portfolio_read.rag_rules(),
        "today": read.today,
        "report_fields": [(name, v) for name, values in read.query.lists() for v in values],
        "latest_report": PortfolioReport.objects.filter(requested_by=request.user)
        .defer("pdf")
        .first(),
    }
    template = "pilots/portfolio.html#results" if request.htmx else "pilots/portfolio.html"
    return render(request, template, context)


def trend_strip(pilots, today: date, size: dict) -> charts.Strip:
    """Burn-up and overdue trend of these pilots (ids or a queryset of pks), side by side."""
    trend = charts.portfolio_trend(pilots, today)
    return charts.strip(
        _("Deliverables planned and done, and overdue, week by week"),
        [
            charts.burn_up_chart(trend, _("Deliverables planned and done"), **size),
            charts.overdue_chart(trend, _("Overdue deliverables"), **size),
        ],
    )


@login_required
@require_GET
@cache_control(private=True, max_age=60)
def portfolio_trend(request: HttpRequest) -> HttpResponse:
    """The line charts of the filtered view, as one SVG image.

    Filters the database applies need no judged rows; stage and RAG filters do."""
    today = timezone.localdate()
    form = portfolio_read.filter_form(request.user, request.GET)
    if form.filters_rows:
        pilots = [row.pk for row in portfolio_read.read(request.user, request.GET, form).rows]
    else:
        pilots = form.filter_pilots(Pilot.objects.for_portfolio()).values("pk")
    strip = trend_strip(pilots, today, PAGE_CHART)
    return render(request, "charts/trend.svg", {"strip": strip}, content_type="image/svg+xml")


def _query_without(query: QueryDict, name: str, **replace: str) -> str:
    trimmed = query.copy()
    trimmed.pop(name, None)
    trimmed.update(replace)
    return trimmed.urlencode()


# --- exports ---------------------------------------------------------------------------


def export_header(facets: dict) -> list[str]:
    return [
        _("Reference"),
        _("Pilot"),
        _("Business unit"),
        _("Stage"),
        _("Day"),
        _("Done %"),
        _("Deliverables done"),
        _("Deliverables"),
        _("Overdue"),
        _("Next gate"),
        _("Gate date"),
        _("RAG"),
        _("Why"),
        _("In purgatory because"),
        _("Production owner"),
        _("Programme manager"),
        *[facet.label for facet in facets.values()],
        _("12-month cost (EUR)"),
        _("Success metric"),
        _("Baseline"),
        _("Target"),
        _("Latest"),
        _("Latest on"),
        _("Gap to target"),
        _("Launched on override because"),
        _("Last triage"),
    ]


def export_cells(row: portfolio.PortfolioRow, facets: dict) -> list:
    """One row's cells, typed (numbers and dates stay numbers and dates for XLSX)."""
    return [
        row.reference,
        row.name,
        row.business_unit,
        row.stage_label,
        row.day,
        row.percent_closed,
        row.closed_count,
        row.total_count,
        row.overdue_count,
        row.next_gate_name or "",
        row.next_gate_on,
        str(Rag(row.rag).label) if row.rag else "",
        "; ".join(row.rag_reasons),
        "; ".join(row.stuck_reasons),
        row.production_owner,
        row.programme_manager,
        *[row.facets.get(name, "") for name in facets],
        row.cost_12m,
        row.success_metric,
        row.success_baseline,
        row.success_target,
        row.latest_reading,
        row.latest_reading_on,
        row.gap_text,
        row.override_reason or "",
        row.last_triage_on,
    ]


def _export_name(today: date, extension: str) -> str:
    return f"ninety-portfolio-{today:%Y-%m-%d}.{extension}"


@login_required
@require_GET
def portfolio_csv(request: HttpRequest) -> HttpResponse:
    read = portfolio_read.read(request.user, request.GET)
    facets = portfolio.facets()
    return csv_response(
        _export_name(read.today, "csv"),
        export_header(facets),
        (export_cells(row, facets) for row in read.rows),
    )


@login_required
@require_GET
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    read = portfolio_read.read(request.user, request.GET)
    facets = portfolio.facets()
    return xlsx_response(
        _export_name(read.today, "xlsx"),
        _("Portfolio"),
        export_header(facets),
        (export_cells(row, facets) for row in read.rows),
    )


# --- PDF reports ---------------------------------------------------------------------------


@login_required
@require_POST
def report_create(request: HttpRequest) -> HttpResponse:
    """Ask for the board-pack PDF of the view in the form; see pilots.reports."""
    report = reports.report_request(user=request.user, data=request.POST)
    return redirect("portfolio-report", pk=report.pk)


def _report_for(request: HttpRequest, pk: int) -> PortfolioReport:
    """A report belongs to who asked for it (administrators see all); 404 otherwise."""
    portfolio_read.require_access(request.user)
    reports_seen = PortfolioReport.objects.defer("pdf")
    if not is_administrator(request.user):
        reports_seen = reports_seen.filter(requested_by=request.user)
    report = reports_seen.filter(pk=pk).first()
    if report is None:
        raise Http404("No such report")
    return report


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    context = {
        "report": report,
        "can_retry": reports.can_retry(report),
        "filters": portfolio_read.filter_summary(
            portfolio_read.filter_form(report.requested_by, QueryDict(report.query))
        ),
    }
    template = "pilots/portfolio_report.html"
    return render(request, f"{template}#report-status" if request.htmx else template, context)


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    if report.status != PortfolioReport.Status.READY:
        raise Http404("This report is not ready")
    pdf = PortfolioReport.objects.values_list("pdf", flat=True).get(pk=report.pk)
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


@login_required
@require_POST
def report_retry(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_for(request, pk)
    if reports.report_retry(report=report):
        messages.success(request, _("The report is being prepared again."))
    else:
        messages.info(request, _("This report needs no retry."))
    return redirect("portfolio-report", pk=report.pk)
