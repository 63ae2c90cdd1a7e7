"""The leadership portfolio page and its exports (CSV, XLSX, PDF report).

Page and exports share one read (`portfolio_read`): the filtered, sorted rows of
`pilots.portfolio.rows`, fetched once. Exports carry every row of the filtered view;
the page renders one page of rows while the funnel, totals and charts cover them all.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from pilots import charts, portfolio, purgatory
from pilots.exports import csv_response, xlsx_response
from pilots.models import Pilot
from pilots.pdf import html_to_pdf
from pilots.portfolio_forms import PortfolioFilterForm
from pilots.roles import Role, reads_every_pilot, role_names

ROWS_PER_PAGE = 50
PAGE_CHART = {"width": 460, "height": 240}  # a third of a laptop screen, text still legible


@dataclass
class PortfolioRead:
    form: PortfolioFilterForm
    rows: list[portfolio.PortfolioRow]
    query: QueryDict  # the filters, without the page number
    today: date


def _require_portfolio_access(user) -> None:
    """The programme office reads the portfolio; deliverable owners use their own pages."""
    if not reads_every_pilot(user):
        raise PermissionDenied("The portfolio is for the programme office and leadership.")


def _filters_with_defaults(request: HttpRequest) -> QueryDict:
    """A programme manager starts on their own pilots; "Any" in the menu shows them all."""
    data = request.GET.copy()
    roles = role_names(request.user)
    only_manager = roles & {Role.PROGRAMME_MANAGER} and not roles & {
        Role.LEADERSHIP,
        Role.GOVERNANCE_REVIEWER,
        Role.ADMINISTRATOR,
    }
    if only_manager and "pm" not in data and not request.user.is_superuser:
        data["pm"] = str(request.user.pk)
    return data


def portfolio_form(request: HttpRequest) -> PortfolioFilterForm:
    _require_portfolio_access(request.user)
    business_units = (
        Pilot.objects.order_by("business_unit")
        .values_list("business_unit", flat=True)
        .distinct()
    )
    managers = (
        get_user_model()
        .objects.filter(managed_pilots__isnull=False)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    return PortfolioFilterForm(
        _filters_with_defaults(request),
        business_units=business_units,
        managers=managers,
        facets=portfolio.facets(),
    )


def portfolio_read(request: HttpRequest) -> PortfolioRead:
    today = timezone.localdate()
    form = portfolio_form(request)
    pilots = form.filter_pilots(Pilot.objects.for_portfolio())
    rows = form.filter_rows(portfolio.rows(pilots, today))
    query = form.data.copy()
    query.pop("page", None)
    return PortfolioRead(form=form, rows=rows, query=query, today=today)


def _sort_links(read: PortfolioRead) -> dict[str, dict]:
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
    read = portfolio_read(request)
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
        "rag_rules": _rag_rules(),
        "today": read.today,
    }
    template = "pilots/portfolio.html#results" if request.htmx else "pilots/portfolio.html"
    return render(request, template, context)


def trend_strip(pilots, today: date, size: dict) -> charts.Strip:
    """Burn-up and overdue trend of these pilots (ids or a queryset of pks), side by side."""
    trend = charts.portfolio_trend(pilots, today)
    return charts.strip(
        "Deliverables planned and done, and overdue, week by week",
        [
            charts.burn_up_chart(trend, "Deliverables planned and done", **size),
            charts.overdue_chart(trend, "Overdue deliverables", **size),
        ],
    )


@login_required
@require_GET
@cache_control(private=True, max_age=60)
def portfolio_trend(request: HttpRequest) -> HttpResponse:
    """The line charts of the filtered view, as one SVG image.

    Filters the database applies need no judged rows; stage and RAG filters do."""
    today = timezone.localdate()
    form = portfolio_form(request)
    if form.filters_rows:
        pilots = [row.pk for row in portfolio_read(request).rows]
    else:
        pilots = form.filter_pilots(Pilot.objects.for_portfolio()).values("pk")
    strip = trend_strip(pilots, today, PAGE_CHART)
    return render(request, "charts/trend.svg", {"strip": strip}, content_type="image/svg+xml")


def _query_without(query: QueryDict, name: str, **replace: str) -> str:
    trimmed = query.copy()
    trimmed.pop(name, None)
    trimmed.update(replace)
    return trimmed.urlencode()


def _rag_rules() -> list[tuple[str, str]]:
    from django.conf import settings

    soon = settings.NINETY_DUE_SOON_DAYS
    return [(rag.label, text.format(soon=soon)) for rag, text in portfolio.RAG_RULES]


# --- exports ---------------------------------------------------------------------------


def export_header(facets: dict) -> list[str]:
    return [
        "Reference",
        "Pilot",
        "Business unit",
        "Stage",
        "Day",
        "Done %",
        "Deliverables done",
        "Deliverables",
        "Overdue",
        "Next gate",
        "Gate date",
        "RAG",
        "Why",
        "In purgatory because",
        "Production owner",
        "Programme manager",
        *[facet.label for facet in facets.values()],
        "12-month cost (EUR)",
        "Success metric",
        "Baseline",
        "Target",
        "Latest",
        "Latest on",
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
        row.rag.title() if row.rag else "",
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
    ]


def _export_name(today: date, extension: str) -> str:
    return f"ninety-portfolio-{today:%Y-%m-%d}.{extension}"


@login_required
@require_GET
def portfolio_csv(request: HttpRequest) -> HttpResponse:
    read = portfolio_read(request)
    facets = portfolio.facets()
    return csv_response(
        _export_name(read.today, "csv"),
        export_header(facets),
        (export_cells(row, facets) for row in read.rows),
    )


@login_required
@require_GET
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    read = portfolio_read(request)
    facets = portfolio.facets()
    return xlsx_response(
        _export_name(read.today, "xlsx"),
        "Portfolio",
        export_header(facets),
        (export_cells(row, facets) for row in read.rows),
    )


@login_required
@require_GET
def portfolio_pdf(request: HttpRequest) -> HttpResponse:
    """The board-pack report: charts, every row of the filtered view, the purgatory list.

    Rendered in the request: WeasyPrint reads nothing from the network (pilots.pdf), and a
    report of 1,000 pilots takes seconds, not minutes (see `make bench`, portfolio_pdf).
    """
    read = portfolio_read(request)
    summary = portfolio.summarise(read.rows)
    size = {"width": 380, "height": 220}  # a third of a landscape A4 page, text legible
    trend = charts.portfolio_trend([row.pk for row in read.rows], read.today)
    html = render_to_string(
        "pdf/portfolio.html",
        {
            "rows": read.rows,
            "summary": summary,
            "funnel": charts.bars((s.value, s.label, n) for s, n in summary.funnel),
            "burn_up": charts.burn_up_chart(trend, "Deliverables planned and done", **size),
            "overdue_trend": charts.overdue_chart(trend, "Overdue deliverables", **size),
            "facets": portfolio.facets(),
            "filters": _filter_summary(read.form),
            "rag_rules": _rag_rules(),
            "today": read.today,
            "generated_at": timezone.localtime(),
            "author": request.user,
        },
    )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(read.today, "pdf")}"'
    return response


def _filter_summary(form: PortfolioFilterForm) -> list[str]:
    """The filters in force, in words, for the report's title page."""
    form.is_valid()
    said = []
    for name, value in form.cleaned_data.items():
        if not value or name == "sort":
            continue
        field = form.fields[name]
        label = dict(getattr(field, "choices", [])).get(value, value)
        said.append(f"{field.label}: {label}")
    return said
