"""Who must sign a phase gate, as far as the pilots app can tell. Gate-ready notices and
the calendar feed's gate dates go to these people.

The playbook names the slots (`Phase.gate_signers`). Two are people on the pilot: its
production owner and its programme manager. Two are global roles: any active governance
reviewer, and leadership, but only for a high-risk pilot. Whether a pilot is high-risk is
governance's knowledge, and `pilots` may not import governance (DESIGN.md, dependency
rule), so governance registers a lookup here at start-up (`register_high_risk_lookup`).
Without one, no pilot counts as high-risk.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from pilots.roles import Role
from playbook.models import SignerRole

HighRiskLookup = Callable[[Collection[int]], set[int]]

_high_risk_lookup: HighRiskLookup | None = None

# The slots any active member of a global role may sign.
ROLE_OF_SLOT = {
    SignerRole.GOVERNANCE_REVIEWER: Role.GOVERNANCE_REVIEWER,
    SignerRole.LEADERSHIP_IF_HIGH_RISK: Role.LEADERSHIP,
}


def register_high_risk_lookup(lookup: HighRiskLookup) -> None:
    """Called by governance at start-up: `lookup(pilot_ids)` returns those high-risk."""
    global _high_risk_lookup
    _high_risk_lookup = lookup


def high_risk_pilot_ids(pilot_ids: Collection[int]) -> set[int]:
    if not pilot_ids or _high_risk_lookup is None:
        return set()
    return set(_high_risk_lookup(pilot_ids))


def required_slots(gate_signers: Iterable[str], high_risk: bool) -> list[str]:
    """The playbook's signers for a phase; leadership only for high-risk pilots."""
    return [
        slot for slot in gate_signers if slot != SignerRole.LEADERSHIP_IF_HIGH_RISK or high_risk
    ]


def role_members(roles: Collection[str]) -> dict[str, set[int]]:
    """Active members of each of these global roles, in one query."""
    members: dict[str, set[int]] = {role: set() for role in roles}
    if roles:
        rows = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=list(roles))
            .values_list("pk", "groups__name")
        )
        for pk, role in rows:
            members[role].add(pk)
    return members


@dataclass(frozen=True)
class GateRow:
    """What deciding a gate's signers needs of its phase run."""

    phase_run_id: int
    pilot_id: int
    gate_signers: list[str]
    programme_manager_id: int | None
    production_owner_id: int | None


def signers_of(rows: list[GateRow]) -> dict[int, set[int]]:
    """The user ids who must sign each phase run's gate, in at most two queries however
    many gates: one to ask governance which pilots are high-risk, one for role members."""
    high_risk = high_risk_pilot_ids(
        {row.pilot_id for row in rows if SignerRole.LEADERSHIP_IF_HIGH_RISK in row.gate_signers}
    )
    slots = {
        row.phase_run_id: required_slots(row.gate_signers, row.pilot_id in high_risk)
        for row in rows
    }
    members = role_members(
        {ROLE_OF_SLOT[slot] for wanted in slots.values() for slot in wanted if slot in ROLE_OF_SLOT}
    )
    signers: dict[int, set[int]] = {}
    for row in rows:
        people: set[int | None] = set()
        for slot in slots[row.phase_run_id]:
            if slot == SignerRole.PRODUCTION_OWNER:
                people.add(row.production_owner_id)
            elif slot == SignerRole.PROGRAMME_MANAGER:
                people.add(row.programme_manager_id)
            elif slot in ROLE_OF_SLOT:
                people |= members[ROLE_OF_SLOT[slot]]
        signers[row.phase_run_id] = people - {None}
    return signers
