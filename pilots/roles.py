"""Global roles. Each is a Django group; anyone, with or without one, can own deliverables."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROGRAMME_MANAGER = "Programme manager"
    LEADERSHIP = "Leadership"
    GOVERNANCE_REVIEWER = "Governance reviewer"
    ADMINISTRATOR = "Administrator"


# The role names are the groups' names in the database (compared in code, so never
# translated); these are the words a person reads for them.
ROLE_LABELS = {
    Role.PROGRAMME_MANAGER: _("Programme manager"),
    Role.LEADERSHIP: _("Leadership"),
    Role.GOVERNANCE_REVIEWER: _("Governance reviewer"),
    Role.ADMINISTRATOR: _("Administrator"),
}


def role_label(name: str) -> str:
    return ROLE_LABELS.get(name, name)


# The programme office reads every pilot. Leadership and governance reviewers change
# nothing in the pilots app; a programme manager edits only the pilots they manage.
READ_ALL_ROLES = {Role.PROGRAMME_MANAGER, Role.LEADERSHIP, Role.GOVERNANCE_REVIEWER}


def role_names(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """The user's global roles, cached on the user object for the length of the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_ninety_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._ninety_roles = cached
    return cached


def is_administrator(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.ADMINISTRATOR in role_names(user))


def is_programme_manager(user) -> bool:
    return Role.PROGRAMME_MANAGER in role_names(user)


def reads_every_pilot(user) -> bool:
    return is_administrator(user) or bool(READ_ALL_ROLES & role_names(user))
