"""What governance adds to the pilots app's portfolio: each pilot's current AI Act class.

Registered from `GovernanceConfig.ready`; `pilots` cannot import governance.
"""

from django.db.models import OuterRef, Subquery

from governance.models import AiActClass, Classification
from pilots.portfolio import Facet, register_facet


def current_ai_act_class() -> Subquery:
    current = Classification.objects.current().filter(pilot=OuterRef("pk"))
    return Subquery(current.values("risk_class")[:1])


AI_ACT_CLASS = Facet(
    name="ai_act_class",
    label="AI Act class",
    expression=current_ai_act_class,
    choices=(*AiActClass.choices, ("none", "Not classified")),
)


def register() -> None:
    register_facet(AI_ACT_CLASS)
