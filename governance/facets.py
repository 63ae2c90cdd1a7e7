"""What governance adds to the pilots app's portfolio: each pilot's current AI Act class.

Registered from `GovernanceConfig.ready`; `pilots` cannot import governance.
"""

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from governance.models import AiActClass, Classification
from pilots.portfolio import Facet, register_facet


def current_ai_act_class() -> Subquery:
    current = Classification.objects.current().filter(pilot=OuterRef("pk"))
    return Subquery(current.values("risk_class")[:1])


class TranslatedFacet(Facet):
    """A facet whose labels are translated: what it displays is a plain string in the
    reader's language (the API and the CSV export take strings, not lazy ones)."""

    def display(self, value) -> str:
        return str(super().display(value))


AI_ACT_CLASS = TranslatedFacet(
    name="ai_act_class",
    label=_("AI Act class"),
    expression=current_ai_act_class,
    choices=(*AiActClass.choices, ("none", _("Not classified"))),
)


def register() -> None:
    register_facet(AI_ACT_CLASS)
