"""`manage.py check` (and so `migrate`, which the deployment runs before the web starts)
refuses a role map naming a role Ninety does not have: a typo would otherwise quietly
give nobody the role."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_oidc_role_map(app_configs, **kwargs) -> list[Error]:
    from pilots.roles import Role

    known = {role.lower() for role in Role.values}
    return [
        Error(
            f"OIDC_ROLE_MAP gives group {group!r} the role {name!r}, which is no Ninety role.",
            hint="Use one of: " + ", ".join(Role.values) + ".",
            id="accounts.E001",
        )
        for group, names in settings.OIDC_ROLE_MAP.items()
        for name in names
        if name.lower() not in known
    ]
