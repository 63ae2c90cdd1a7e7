"""What governance tells the pilots app through the hooks pilots offers: `pilots` may not
import governance (DESIGN.md, dependency rule). Registered from `GovernanceConfig.ready`."""

from collections.abc import Collection

from governance.models import AiActClass, Classification
from pilots.gate_signers import register_high_risk_lookup


def high_risk_pilot_ids(pilot_ids: Collection[int]) -> set[int]:
    """The pilots among these whose current AI Act class is high-risk, in one query."""
    return set(
        Classification.objects.current()
        .filter(pilot_id__in=list(pilot_ids), risk_class=AiActClass.HIGH_RISK)
        .values_list("pilot_id", flat=True)
    )


def register() -> None:
    register_high_risk_lookup(high_risk_pilot_ids)
