from pilots.access import can_create_pilot
from pilots.roles import role_names


def roles(request) -> dict:
    """The navigation needs to know which global roles the user holds."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"user_roles": sorted(role_names(user)), "can_create_pilot": can_create_pilot(user)}
