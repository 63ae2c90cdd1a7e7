import re
from datetime import date
from functools import lru_cache

from django import template
from django.utils import dateformat, numberformat, translation
from django.utils.translation import get_language

register = template.Library()

# Date formats by name and language (Django's date-format letters); month and day names
# come translated from Django's own catalogues. A language not listed uses English's.
# Day-month-year as English and Dutch write it.
_DAY_MONTH_YEAR = {
    "date": "j M Y",
    "date_long": "j F Y",
    "datetime": "j M Y, H:i",
    "datetime_long": "j F Y, H:i",
    "datetime_long_tz": "j F Y H:i T",
    "month_day": "j M",
    "month_day_long": "j F",
    "month_day_time": "j M H:i",
    "day": "D j M",
    "weekday_long": "l j F",
}
DATE_FORMATS = {
    "en": _DAY_MONTH_YEAR,
    "nl": _DAY_MONTH_YEAR,
    "de": {
        "date": "j. M Y",
        "date_long": "j. F Y",
        "datetime": "j. M Y, H:i",
        "datetime_long": "j. F Y, H:i",
        "datetime_long_tz": "j. F Y, H:i T",
        "month_day": "j. M",
        "month_day_long": "j. F",
        "month_day_time": "j. M, H:i",
        "day": "D, j. M",
        "weekday_long": "l, j. F",
    },
}
# How each language writes an amount of euros: where the sign goes, which separator.
MONEY_FORMATS = {
    "en": ("€ {amount}", ","),
    "nl": ("€ {amount}", "."),
    "de": ("{amount} €", "."),
}


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def date_format_for(name: str) -> str:
    """The format string `name` stands for in the active language."""
    return DATE_FORMATS.get(_language(), DATE_FORMATS["en"])[name]


@register.filter(expects_localtime=True)
def ldate(value, name: str = "date") -> str:
    """`value|ldate:"date"` — a date or time written as the reader's language writes it:
    "5 Dec 2026", "5 dec 2026", "5. Dez. 2026". Names: see DATE_FORMATS."""
    if value in (None, ""):
        return ""
    if type(value) is date:
        # Plain dates repeat down a page (a week's deliverables share a due date), and
        # formatting one costs more than the rest of its table cell: remember them.
        return _format_date(value, name, _language())
    return _format(value, name)


@lru_cache(maxsize=4096)
def _format_date(value: date, name: str, language: str) -> str:
    with translation.override(language):
        return _format(value, name)


def _format(value, name: str) -> str:
    try:
        return dateformat.format(value, date_format_for(name))
    except AttributeError:  # a date where the format asks for a time
        return ""


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key` — a dict lookup with a variable key; None when absent."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def money(value) -> str:
    """`value|money` — whole euros as the reader's language writes them: "€ 120,500",
    "€ 120.500", "120.500 €"."""
    if value in (None, ""):
        return ""
    pattern, separator = MONEY_FORMATS.get(_language(), MONEY_FORMATS["en"])
    amount = numberformat.format(
        round(value), ".", grouping=3, thousand_sep=separator, force_grouping=True
    )
    return pattern.format(amount=amount)


@register.filter
def fill(text, value) -> str:
    """`row_text.mark_named|fill:deliverable.title` — a translated phrase with its one
    named placeholder filled in; the result is escaped like any other value."""
    names = re.findall(r"%\((\w+)\)s", str(text))
    return str(text) % dict.fromkeys(names, value)


@register.filter
def form_field(form, name):
    """`form|form_field:name` — a bound field by a variable name (fields added at run time)."""
    return form[name]
