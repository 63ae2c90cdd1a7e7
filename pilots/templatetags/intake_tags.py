"""Filters of the intake, value and rollout pages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def metric(value) -> str:
    """`value|metric` — a reading as people write it: 2.4, 300, 41,000 (no trailing zeros)."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(value).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number:,f}"


@register.filter
def months(value) -> str:
    """`value|months` — "7.5 months", "1 month"."""
    if value is None:
        return ""
    text = metric(value)
    return f"{text} month" if text == "1" else f"{text} months"
