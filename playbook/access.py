"""Who may see and change playbooks. Every playbook view goes through these helpers.

Playbooks are the organisation's method, not a secret: anyone logged in reads published
and retired versions. Programme managers and administrators (superusers count as
administrators) also see drafts, and they alone change playbooks. Anyone else gets 403 on
a change and 404 for a draft, whose existence is theirs to know.

The role names are the Django groups of pilots.roles.Role; this app compares the names
instead of importing pilots (DESIGN.md, dependency rule).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from playbook.models import DeliverableTemplate, GateCriterion, Phase, Playbook

EDITOR_GROUPS = frozenset({"Programme manager", "Administrator"})


def can_edit_playbooks(user) -> bool:
    """Cached on the user object for the length of the request."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_edits_playbooks", None)
    if cached is None:
        cached = user.is_superuser or user.groups.filter(name__in=EDITOR_GROUPS).exists()
        user._edits_playbooks = cached
    return cached


def require_editor(user) -> None:
    if not can_edit_playbooks(user):
        raise PermissionDenied(_("Only programme managers and administrators change playbooks."))


def readable_playbooks(user):
    if can_edit_playbooks(user):
        return Playbook.objects.all()
    return Playbook.objects.visible_to_readers()


def get_playbook_for_user(user, pk: int, queryset=None) -> Playbook:
    """The version if the user may read it; 404 otherwise (drafts, for readers)."""
    base = queryset if queryset is not None else Playbook.objects.all()
    playbook = base.filter(pk=pk).filter(pk__in=readable_playbooks(user).values("pk")).first()
    if playbook is None:
        raise Http404("No such playbook")
    return playbook


def get_playbook_for_edit(user, pk: int) -> Playbook:
    """The version if the user may change playbooks: 403 first, then 404. Whether this
    version may change (a draft) is the services' decision, not the view's."""
    require_editor(user)
    playbook = Playbook.objects.filter(pk=pk).first()
    if playbook is None:
        raise Http404("No such playbook")
    return playbook


def get_phase_for_edit(user, pk: int, phase_pk: int) -> Phase:
    playbook = get_playbook_for_edit(user, pk)
    phase = Phase.objects.filter(playbook=playbook, pk=phase_pk).first()
    if phase is None:
        raise Http404("No such phase in this playbook")
    phase.playbook = playbook
    return phase


def get_template_for_edit(user, pk: int, template_pk: int) -> DeliverableTemplate:
    playbook = get_playbook_for_edit(user, pk)
    template = (
        DeliverableTemplate.objects.select_related("phase")
        .filter(phase__playbook=playbook, pk=template_pk)
        .first()
    )
    if template is None:
        raise Http404("No such deliverable in this playbook")
    template.phase.playbook = playbook
    return template


def get_criterion_for_edit(user, pk: int, criterion_pk: int) -> GateCriterion:
    playbook = get_playbook_for_edit(user, pk)
    criterion = (
        GateCriterion.objects.select_related("phase")
        .filter(phase__playbook=playbook, pk=criterion_pk)
        .first()
    )
    if criterion is None:
        raise Http404("No such gate criterion in this playbook")
    criterion.phase.playbook = playbook
    return criterion
