"""The bot's own tokens (client credentials) from Entra, through MSAL.

One `ConfidentialClientApplication` for the configured tenant; MSAL caches each token until
shortly before it expires. Handed to the Teams SDK as its `token=` provider (Bot Connector
scope) and used by `graph.py` (Graph scope). TEAMS_LOGIN_URL may point at another login host
(sovereign cloud, a test fake); Microsoft's instance discovery is then not attempted.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time

import msal
import requests

from bot.adapters.teams.settings import TeamsSettings

log = logging.getLogger("guidebot.teams")

REFRESH_MARGIN_SECONDS = 300  # a fresh token five minutes before the old one expires


class TokenError(Exception):
    """Entra refused or could not be reached; the message says which, never the secret."""


class BotTokens:
    def __init__(self, settings: TeamsSettings):
        self.settings = settings
        self._client: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # scope -> (token, hand out until)
        self._fetching: dict[str, asyncio.Lock] = {}

    def _msal(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._client is None:
                # requests lets REQUESTS_CA_BUNDLE beat a session's own `verify`, so the CA bundle
                # is passed with every request; proxies still come from HTTPS_PROXY.
                session = requests.Session()
                session.request = functools.partial(  # type: ignore[method-assign]
                    session.request, verify=self.settings.ca_bundle or True, timeout=10
                )
                self._client = msal.ConfidentialClientApplication(
                    self.settings.client_id,
                    client_credential=self.settings.client_secret,
                    authority=f"{self.settings.login_url}/{self.settings.tenant_id}",
                    instance_discovery=None if self.settings.login_is_microsofts else False,
                    http_client=session,
                )
            return self._client

    def get(self, scope: str) -> str:
        """A valid app-only token for `scope` (blocking; cached by MSAL)."""
        return self._fetch(scope)[0]

    def _fetch(self, scope: str) -> tuple[str, int]:
        try:
            result = self._msal().acquire_token_for_client(scopes=[scope])
        except Exception as error:  # network, TLS, a login host that is not Entra
            raise TokenError(f"could not reach {self.settings.login_url}: {type(error).__name__}") from error
        token = result.get("access_token") if isinstance(result, dict) else None
        if not token:
            raise TokenError(f"Entra refused a token for {scope}: {result.get('error', 'unknown error')}")
        expires_in = result.get("expires_in")
        return token, expires_in if isinstance(expires_in, int) else 0

    async def for_scope(self, scope: str | list[str], tenant_id: str | None = None) -> str:
        """The Teams SDK's token provider: `token(scope, tenant_id)`. Only our own tenant is served.
        Called for every outgoing request: a token with minutes left is handed out at once."""
        wanted = scope[0] if isinstance(scope, list) else scope
        cached = self._tokens.get(wanted)
        if cached and time.monotonic() < cached[1]:
            return cached[0]
        async with self._fetching.setdefault(wanted, asyncio.Lock()):  # one request to Entra at a time
            cached = self._tokens.get(wanted)
            if cached and time.monotonic() < cached[1]:
                return cached[0]
            token, expires_in = await asyncio.to_thread(self._fetch, wanted)
            self._tokens[wanted] = (token, time.monotonic() + max(0, expires_in - REFRESH_MARGIN_SECONDS))
            return token
