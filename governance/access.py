"""Who may do what in governance. Views go through these helpers, like pilots/access.py.

Reading follows the pilot: whoever may read a pilot reads its governance (outsiders 404).
Changing:
- classification: the pilot's programme manager or a governance reviewer prepares it; only
  a governance reviewer confirms it;
- risks: the pilot's programme manager, governance reviewers and administrators;
- accepting a residual risk: the authority its level needs (see governance.risks);
- signing a gate slot: see governance.gates.
Everyone else who can read gets 403 on a write.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from governance.models import Classification, Risk
from pilots.access import can_edit_pilot, get_pilot_for_user
from pilots.models import Pilot
from pilots.roles import Role, is_administrator, role_names


def is_governance_reviewer(user) -> bool:
    return Role.GOVERNANCE_REVIEWER in role_names(user)


def is_leadership(user) -> bool:
    return Role.LEADERSHIP in role_names(user)


def is_on_team(user, pilot: Pilot) -> bool:
    """Part of the pilot's team: sponsor, production owner, programme manager or owner of
    one of its deliverables. An independent reviewer must not be."""
    if user.pk in (pilot.sponsor_id, pilot.production_owner_id, pilot.programme_manager_id):
        return True
    return pilot.deliverables.filter(owner=user).exists()


def can_prepare_classification(user, pilot: Pilot) -> bool:
    return is_governance_reviewer(user) or can_edit_pilot(user, pilot)


def can_confirm_classification(user) -> bool:
    return is_governance_reviewer(user)


def can_edit_risks(user, pilot: Pilot) -> bool:
    return is_governance_reviewer(user) or can_edit_pilot(user, pilot) or is_administrator(user)


def get_pilot_for_governance(user, pk: int) -> Pilot:
    """The pilot if the user may read it (404 otherwise), with what governance pages show."""
    return get_pilot_for_user(
        user,
        pk,
        Pilot.objects.select_related(
            "playbook", "sponsor", "production_owner", "programme_manager"
        ),
    )


def get_risk_in_pilot(pilot: Pilot, risk_pk: int) -> Risk:
    """A risk of this pilot; 404 for any other, so ids of other pilots disclose nothing."""
    risk = Risk.objects.select_related("owner").filter(pilot=pilot, pk=risk_pk).first()
    if risk is None:
        raise Http404("No such risk in this pilot")
    risk.pilot = pilot
    return risk


def get_classification_in_pilot(pilot: Pilot, classification_pk: int) -> Classification:
    """A classification of this pilot (current or past); 404 for any other."""
    found = Classification.objects.filter(pilot=pilot, pk=classification_pk).first()
    if found is None:
        raise Http404("No such classification in this pilot")
    found.pilot = pilot
    return found


def require(allowed: bool, message: str) -> None:
    """Raise 403 with `message` unless `allowed`."""
    if not allowed:
        raise PermissionDenied(message)
