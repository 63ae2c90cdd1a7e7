"""Template tags for governance facts shown on pages of other apps (the pilot's tabs).

A tag rather than context from the pilots views: `pilots` may not import governance.
"""

from django import template
from django.utils.html import format_html

from governance.models import AiActClass, Classification

register = template.Library()


@register.simple_tag(takes_context=True)
def ai_act_flag(context, pilot) -> str:
    """A loud "prohibited practice" badge when the pilot's current classification says so.

    Governance pages put `current_classification` in their context (None when there is
    none) and spare the query; elsewhere it costs one small query.
    """
    if "current_classification" in context:
        current = context["current_classification"]
        prohibited = bool(current and current.risk_class == AiActClass.PROHIBITED)
    else:
        prohibited = (
            Classification.objects.current()
            .filter(pilot=pilot, risk_class=AiActClass.PROHIBITED)
            .exists()
        )
    if not prohibited:
        return ""
    return format_html(
        '<span class="badge badge-stop" title="{}">⛔ Prohibited practice</span>',
        "The AI Act classification found a prohibited practice: stop.",
    )
