"""Nearest leader from Microsoft Graph: `GET /users/{aadObjectId}/manager` (application
permission User.Read.All), with a TTL cache.

A 404 (no manager set, typical for politicians and incomplete HR data) is cached like a hit;
errors (403 without consent, timeouts) are not cached for long, and give `None` so the caller
falls back to contacts.yaml and then IT. Calls go through httpx, which honours HTTPS_PROXY and
SSL_CERT_FILE.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger("guidebot.teams")

MANAGER_CACHE_SECONDS = 6 * 3600
ERROR_CACHE_SECONDS = 60
CACHE_LIMIT = 10_000
_OBJECT_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")


@dataclass(frozen=True)
class Manager:
    name: str
    email: str  # userPrincipalName, else mail: what a Teams chat deep link needs


class Graph:
    def __init__(
        self,
        base_url: str,
        token: Callable[[], Awaitable[str]],
        ttl: float = MANAGER_CACHE_SECONDS,
        client: httpx.AsyncClient | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.ttl = ttl
        self.client = client or httpx.AsyncClient(timeout=5.0)
        self._cache: dict[str, tuple[Manager | None, float]] = {}

    async def manager(self, aad_object_id: str) -> Manager | None:
        """The user's manager, or None (none set, unknown, or Graph unreachable)."""
        if not aad_object_id or not _OBJECT_ID.match(aad_object_id):
            return None
        cached = self._cache.get(aad_object_id)
        now = time.monotonic()
        if cached and now < cached[1]:
            return cached[0]
        found, keep = await self._fetch(aad_object_id)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[aad_object_id] = (found, now + keep)
        return found

    async def _fetch(self, aad_object_id: str) -> tuple[Manager | None, float]:
        url = f"{self.base_url}/users/{aad_object_id}/manager"
        try:
            response = await self.client.get(
                url,
                params={"$select": "id,displayName,mail,userPrincipalName"},
                headers={"Authorization": f"Bearer {await self.token()}"},
            )
        except Exception as error:  # token, network or TLS trouble: fall back, retry soon
            log.warning("Graph manager lookup failed: %s", type(error).__name__)
            return None, ERROR_CACHE_SECONDS
        if response.status_code == 404:
            return None, self.ttl
        if response.status_code != 200:
            log.warning("Graph manager lookup: HTTP %s", response.status_code)
            return None, ERROR_CACHE_SECONDS
        try:
            data = response.json()
        except ValueError:
            return None, ERROR_CACHE_SECONDS
        if not isinstance(data, dict):
            return None, ERROR_CACHE_SECONDS
        name = data.get("displayName") if isinstance(data.get("displayName"), str) else ""
        # The UPN first: it is what a Teams chat deep link names a person by (often the same as mail).
        email = next((data[k] for k in ("userPrincipalName", "mail") if isinstance(data.get(k), str) and data[k]), "")
        if not (name or email):
            return None, self.ttl
        return Manager(name=name or email, email=email.lower()), self.ttl

    async def close(self) -> None:
        await self.client.aclose()
