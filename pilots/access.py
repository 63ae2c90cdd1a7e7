"""Who may see and change what. Every view goes through these helpers.

Reading: programme office roles (programme manager, leadership, governance reviewer,
administrator) read every pilot; anybody else reads the pilots they are a member of
(sponsor, production owner, owner of one of its deliverables). Everyone else gets 404,
so the existence of a pilot is not disclosed.

Writing: the pilot's programme manager (while they hold the Programme manager role) and
administrators edit a pilot; a deliverable may also be ticked by its owner. A reader who
may not write gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from pilots.models import Deliverable, Pilot
from pilots.roles import Role, is_administrator, is_programme_manager, reads_every_pilot, role_names


def visible_pilots(user) -> QuerySet[Pilot]:
    if not user.is_authenticated:
        return Pilot.objects.none()
    if reads_every_pilot(user):
        return Pilot.objects.all()
    owned = Deliverable.objects.filter(owner=user).values("pilot_id")
    return Pilot.objects.filter(
        Q(sponsor=user) | Q(production_owner=user) | Q(programme_manager=user) | Q(pk__in=owned)
    )


def can_create_pilot(user) -> bool:
    return is_administrator(user) or Role.PROGRAMME_MANAGER in role_names(user)


def can_edit_pilot(user, pilot: Pilot) -> bool:
    """Administrators, and the pilot's programme manager while they still hold the role:
    someone moved to leadership or review keeps reading the pilot but stops editing it."""
    if is_administrator(user):
        return True
    return pilot.programme_manager_id == user.pk and is_programme_manager(user)


def can_tick(user, deliverable: Deliverable, pilot: Pilot) -> bool:
    return deliverable.owner_id == user.pk or can_edit_pilot(user, pilot)


def get_pilot_for_user(user, pk: int, queryset: QuerySet[Pilot] | None = None) -> Pilot:
    """The pilot if the user may read it; 404 otherwise."""
    scope = queryset if queryset is not None else Pilot.objects.all()
    if not (user.is_authenticated and reads_every_pilot(user)):
        # Only members need the membership test: the programme office reads every pilot.
        scope = scope.filter(pk__in=visible_pilots(user).values("pk"))
    pilot = scope.filter(pk=pk).first()
    if pilot is None:
        raise Http404("No such pilot")
    return pilot


def get_pilot_for_edit(user, pk: int, queryset: QuerySet[Pilot] | None = None) -> Pilot:
    """The pilot if the user may change it; 404 to outsiders, 403 to read-only users."""
    base = queryset if queryset is not None else Pilot.objects.select_related("playbook")
    pilot = get_pilot_for_user(user, pk, base)
    if not can_edit_pilot(user, pilot):
        raise PermissionDenied(_("You can read this pilot but not change it."))
    return pilot


def _deliverable_in_pilot(pilot: Pilot, deliverable_pk: int) -> Deliverable:
    deliverable = (
        Deliverable.objects.select_related("owner", "phase_run")
        .filter(pilot=pilot, pk=deliverable_pk)
        .first()
    )
    if deliverable is None:
        raise Http404("No such deliverable in this pilot")
    deliverable.pilot = pilot
    return deliverable


def get_deliverable_for_edit(user, pilot_pk: int, deliverable_pk: int) -> Deliverable:
    return _deliverable_in_pilot(get_pilot_for_edit(user, pilot_pk), deliverable_pk)


def get_deliverable_for_tick(user, deliverable_pk: int, pilot_pk: int | None = None) -> Deliverable:
    """The deliverable if the user may tick it: its owner or an editor of its pilot.

    With `pilot_pk`, a deliverable of another pilot than the URL names is not found.
    """
    rows = Deliverable.objects.select_related("pilot", "owner", "phase_run").filter(
        pk=deliverable_pk, pilot__in=visible_pilots(user)
    )
    if pilot_pk is not None:
        rows = rows.filter(pilot_id=pilot_pk)
    deliverable = rows.first()
    if deliverable is None:
        raise Http404("No such deliverable")
    if not can_tick(user, deliverable, deliverable.pilot):
        raise PermissionDenied(_("Only the owner or the programme manager can tick this."))
    return deliverable


def can_record_readings(user, pilot: Pilot) -> bool:
    """Editors, and the pilot's sponsor and production owner: the outcome is theirs."""
    return can_edit_pilot(user, pilot) or user.pk in (pilot.sponsor_id, pilot.production_owner_id)


def can_override_launch(user, pilot: Pilot) -> bool:
    """Launching before the intake decisions are answered is the programme manager's call
    alone (an administrator may launch a ready pilot, not override)."""
    return pilot.programme_manager_id == user.pk and is_programme_manager(user)


def get_pilot_for_readings(user, pk: int, queryset: QuerySet[Pilot] | None = None) -> Pilot:
    """The pilot if the user may record KPI readings on it; 404 to outsiders, 403 to
    other readers."""
    pilot = get_pilot_for_user(user, pk, queryset)
    if not can_record_readings(user, pilot):
        raise PermissionDenied(_("Only the pilot's team records its readings."))
    return pilot
