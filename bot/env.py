"""Environment variables as guidebot reads them: blank counts as unset, numbers are checked.

`docker run --env-file .env` passes a line `GUIDEBOT_DB=` as an empty string, which replaces the
image's own value; treating blank as unset gives the documented default instead of "".
"""

from __future__ import annotations

import os


def optional_env(name: str) -> str | None:
    """The variable's value, stripped; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def set_but_blank(name: str) -> bool:
    """True for `NAME=` (or spaces): worth a warning where a default then applies."""
    return name in os.environ and not os.environ[name].strip()


def number_from_env(name: str, default: float, minimum: float, whole: bool = False) -> float:
    """A number from the environment (blank: the default); ValueError naming the variable."""
    raw = optional_env(name)
    if raw is None:
        return default
    try:
        value: float | None = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {kind} of at least {minimum:g}, not {raw!r}")
    return value
