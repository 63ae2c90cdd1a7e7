"""The user an ID token describes: found by username, created on first sign-in, with name,
e-mail and roles brought up to date at every sign-in.

Roles: OIDC_ROLE_MAP says which identity-provider groups give which Ninety roles. Only the
roles it names are managed: added when a group gives them, removed when none does. Any
other role (given by hand in the admin) is left alone. Staff status (entry to the admin)
follows the Administrator role when the map names that role. Superuser status is never
taken from claims unless OIDC_SUPERUSER_GROUPS is set; then it follows those groups.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from config.accounts.oidc import SignInRefused
from pilots.roles import Role

log = logging.getLogger("ninety.security")


@dataclass(frozen=True)
class SyncedUser:
    user: AbstractUser
    created: bool
    roles_added: list[str]
    roles_removed: list[str]


def role_map() -> dict[str, set[str]]:
    """OIDC_ROLE_MAP with role names as the Role choices spell them (matched ignoring
    case); a name that is no role is left out here and reported by `manage.py check`."""
    known = {role.lower(): role for role in Role.values}
    return {
        group: {known[name.lower()] for name in names if name.lower() in known}
        for group, names in settings.OIDC_ROLE_MAP.items()
    }


def groups_in(claims: dict) -> set[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM)
    if value is None and settings.OIDC_GROUPS_CLAIM in claims.get("_claim_names", {}):
        # Entra ID sends a link instead of the groups when someone is in too many of them.
        # Treated as no groups (the mapped roles are removed, nothing is granted).
        log.warning(
            "groups claim left out of the ID token (too many groups)",
            extra={"event": "sso.groups_overage", "claim": settings.OIDC_GROUPS_CLAIM},
        )
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(item) for item in value}
    return set()


def sso_user_sync(*, claims: dict) -> SyncedUser:
    """Find or create the user for verified ID-token claims and bring their profile,
    roles and (where configured) staff and superuser status up to date."""
    username = _username(claims)
    groups = groups_in(claims)
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            user = _create(User, username)
        if not user.is_active:
            raise SignInRefused(
                "inactive",
                _("Your Ninety account is deactivated. Please ask an administrator."),
                status=403,
                detail=f"user {user.pk} is not active",
            )
        changed = _apply_profile(user, claims)
        added, removed = _sync_roles(user, groups)
        changed += _apply_staff_and_superuser(user, groups)
        if changed:
            user.save(update_fields=sorted(set(changed)))
    return SyncedUser(user=user, created=created, roles_added=added, roles_removed=removed)


def _username(claims: dict) -> str:
    value = claims.get(settings.OIDC_USERNAME_CLAIM)
    username = value.strip() if isinstance(value, str) else ""
    try:
        if not username or len(username) > 150:
            raise ValidationError("length")
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise SignInRefused(
            "username",
            _("Your account at the sign-in service has no user name Ninety can use."),
            status=403,
            detail=f"claim {settings.OIDC_USERNAME_CLAIM!r} is {str(value)[:150]!r}",
        ) from None
    return username


def _create(User, username: str) -> AbstractUser:
    user = User(username=username)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # The same person signing in twice at once: the other request created them.
        user = User.objects.select_for_update().get(username=username)
    return user


def _apply_profile(user: AbstractUser, claims: dict) -> list[str]:
    given = claims.get("given_name") or ("" if claims.get("family_name") else claims.get("name"))
    wanted = {
        "first_name": given,
        "last_name": claims.get("family_name"),
        "email": claims.get("email"),
    }
    changed = []
    for field, value in wanted.items():
        if not isinstance(value, str) or not value.strip():
            continue  # a claim the provider does not send leaves what we have
        value = value.strip()[: user._meta.get_field(field).max_length]
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    return changed


def _sync_roles(user: AbstractUser, groups: set[str]) -> tuple[list[str], list[str]]:
    mapping = role_map()
    managed = set().union(*mapping.values())
    wanted = set().union(*(mapping.get(group, set()) for group in groups))
    held = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    added, removed = sorted(wanted - held), sorted(held - wanted)
    if added:
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in added))
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    return added, removed


def _apply_staff_and_superuser(user: AbstractUser, groups: set[str]) -> list[str]:
    changed = []
    superuser_groups = set(settings.OIDC_SUPERUSER_GROUPS)
    if superuser_groups:
        is_superuser = bool(groups & superuser_groups)
        if user.is_superuser != is_superuser:
            user.is_superuser = is_superuser
            changed.append("is_superuser")
    if Role.ADMINISTRATOR in set().union(*role_map().values()) or superuser_groups:
        is_staff = user.is_superuser or user.groups.filter(name=Role.ADMINISTRATOR).exists()
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            changed.append("is_staff")
    return changed
