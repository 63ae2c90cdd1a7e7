"""Read settings from the environment, failing loudly on values that cannot be parsed."""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a yes/no value, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from exc


def env_list(name: str, default: str = "", sep: str = ",") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(sep) if item.strip()]


def env_pairs(name: str) -> dict[str, list[str]]:
    """`key=value` pairs separated by semicolons, e.g. identity-provider groups and the role
    each gives: `ninety-pm=Programme manager;ninety-admins=Administrator`. Split at the last
    `=`, so a key may hold `=` and `,` (an LDAP-style group name); a key may come twice."""
    pairs: dict[str, list[str]] = {}
    for item in os.environ.get(name, "").split(";"):
        if not item.strip():
            continue
        key, sep, value = item.rpartition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(
                f"{name} must be key=value pairs separated by ';', got {item.strip()!r}"
            )
        pairs.setdefault(key.strip(), []).append(value.strip())
    return pairs
