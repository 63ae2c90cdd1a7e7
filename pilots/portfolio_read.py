"""A person's view of the portfolio: their filters, with defaults by role, applied to
`portfolio.rows`. The page, the exports and the PDF report task all read through here, so
each shows exactly the same pilots.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from pilots import portfolio
from pilots.models import Pilot
from pilots.portfolio_forms import PortfolioFilterForm
from pilots.roles import Role, is_administrator, reads_every_pilot, role_names


@dataclass
class PortfolioRead:
    form: PortfolioFilterForm
    rows: list[portfolio.PortfolioRow]
    query: QueryDict  # the filters, without the page number
    today: date


def require_access(user) -> None:
    """The programme office reads the portfolio; deliverable owners use their own pages."""
    if not reads_every_pilot(user):
        raise PermissionDenied(_("The portfolio is for the programme office and leadership."))


def filters_with_defaults(user, data: QueryDict) -> QueryDict:
    """A programme manager starts on their own pilots; "Any" in the menu shows them all."""
    data = data.copy()
    roles = role_names(user)
    only_manager = Role.PROGRAMME_MANAGER in roles and not (
        roles & {Role.LEADERSHIP, Role.GOVERNANCE_REVIEWER} or is_administrator(user)
    )
    if only_manager and "pm" not in data:
        data["pm"] = str(user.pk)
    return data


def filter_form(user, data: QueryDict) -> PortfolioFilterForm:
    require_access(user)
    business_units = (
        Pilot.objects.order_by("business_unit").values_list("business_unit", flat=True).distinct()
    )
    managers = (
        get_user_model()
        .objects.filter(managed_pilots__isnull=False)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    return PortfolioFilterForm(
        filters_with_defaults(user, data),
        business_units=business_units,
        managers=managers,
        facets=portfolio.facets(),
    )


def read(user, data: QueryDict, form: PortfolioFilterForm | None = None) -> PortfolioRead:
    today = timezone.localdate()
    form = form or filter_form(user, data)
    pilots = form.filter_pilots(Pilot.objects.for_portfolio())
    rows = form.filter_rows(portfolio.rows(pilots, today))
    query = form.data.copy()
    query.pop("page", None)
    return PortfolioRead(form=form, rows=rows, query=query, today=today)


def filter_summary(form: PortfolioFilterForm) -> list[str]:
    """The filters in force, in words ("Business unit: Retail"), for the report's cover."""
    form.is_valid()
    said = []
    for name, value in form.cleaned_data.items():
        if not value or name == "sort":
            continue
        field = form.fields[name]
        label = dict(getattr(field, "choices", [])).get(value, value)
        # Translators: a filter of the portfolio and its value, "Business unit: Retail".
        said.append(_("%(filter)s: %(value)s") % {"filter": field.label, "value": label})
    return said


def rag_rules() -> list[tuple[str, str]]:
    numbers = {"late": portfolio.LATE_MANDATORY_DAYS, "soon": settings.NINETY_DUE_SOON_DAYS}
    return [(str(rag.label), text % numbers) for rag, text in portfolio.RAG_RULES]
