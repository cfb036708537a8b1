"""Environment variables as guidebot reads them: blank counts as unset, numbers and the proxy
are checked.

`docker run --env-file .env` passes a line `GUIDEBOT_DB=` as an empty string, which replaces the
image's own value; treating blank as unset gives the documented default instead of "".
"""

from __future__ import annotations

import os
import urllib.request
from urllib.parse import urlsplit

# The names HTTP clients (urllib, requests, httpx, slack_sdk) read a proxy from, in their order.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


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


def proxy_from_env(target_url: str) -> str:
    """The proxy for `target_url` from the first of `PROXY_VARIABLES` that is set, or "" if none
    is set or NO_PROXY names the target's host. A value that is not http(s)://host:port raises
    ValueError naming the variable (the clients would each fail, or guess, in their own way)."""
    for name in PROXY_VARIABLES:
        found = os.environ.get(name, "").strip()
        if found:
            break
    else:
        return ""
    try:
        parts = urlsplit(found)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port is not None
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"{name} must look like http://proxy.example:3128, not {found!r}")
    host = urlsplit(target_url).hostname
    if host and urllib.request.proxy_bypass_environment(host):
        return ""
    return found
