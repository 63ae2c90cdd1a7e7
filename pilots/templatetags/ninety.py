from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key` — a dict lookup with a variable key; None when absent."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def money(value) -> str:
    """`value|money` — euros with thousands separators and no cents: "€ 120,500"."""
    if value in (None, ""):
        return ""
    return f"€ {round(value):,}"


@register.filter
def form_field(form, name):
    """`form|form_field:name` — a bound field by a variable name (fields added at run time)."""
    return form[name]
