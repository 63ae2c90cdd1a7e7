"""Filters of the intake, value and rollout pages."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats, numberformat
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def metric(value) -> str:
    """`value|metric` — a reading as the reader's language writes it, without trailing
    zeros: 2.4, 300, 41,000 in English; 2,4 and 41.000 in Dutch and German."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(value).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return numberformat.format(
        f"{number:f}",
        formats.get_format("DECIMAL_SEPARATOR"),
        grouping=3,
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


@register.filter
def months(value) -> str:
    """`value|months` — "7.5 months", "1 month"."""
    if value is None:
        return ""
    text = metric(value)
    # A fraction of a month reads as plural ("1.5 months"): only exactly one is singular.
    return ngettext("%(months)s month", "%(months)s months", 1 if text == "1" else 2) % {
        "months": text
    }
