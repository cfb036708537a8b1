"""Teams settings from environment variables, checked at start-up (fail fast, name the variable).

The bot is single-tenant (Microsoft ended multi-tenant bot creation in 2025): TEAMS_CLIENT_ID,
TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID are required; a missing tenant is the classic cause of
401 on replies. The rest are overrides for proxies, sovereign clouds and tests. See `.env.example`.
A variable set but blank (`TEAMS_LOGIN_URL=` in an --env-file) counts as unset (`bot/env.py`).

HTTPS_PROXY (or https_proxy; NO_PROXY for exceptions) is checked here and then left to the
clients, which all read it from the environment per host: MSAL's requests session (Entra),
httpx (the Bot Connector through the Teams SDK, Graph, the report upload) and urllib (the
signing keys). tests/test_teams_proxy.py holds Entra, the Bot Connector, Graph and the signing
keys to it (the report upload is the same httpx default, not run there).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlparse

from bot.env import optional_env, proxy_from_env

DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
DEFAULT_GRAPH_API_URL = "https://graph.microsoft.com/v1.0"
MICROSOFT_LOGIN_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
        "login.chinacloudapi.cn",
    }
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class SettingsError(Exception):
    """A missing or invalid setting; the message is one line naming the variable."""


@dataclass(frozen=True)
class TeamsSettings:
    client_id: str  # Teams Developer Portal > Bot management > the bot's id (= Entra application id)
    client_secret: str  # Bot management > Client secrets (or Entra > Certificates & secrets)
    tenant_id: str  # Entra admin center > Overview > Tenant ID: the only tenant served
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    login_url: str = DEFAULT_LOGIN_URL
    graph_url: str = DEFAULT_GRAPH_API_URL
    ca_bundle: str = ""  # REQUESTS_CA_BUNDLE or SSL_CERT_FILE: extra CAs (a TLS-inspecting proxy)

    @property
    def login_is_microsofts(self) -> bool:
        """Instance discovery only makes sense for Microsoft's own login hosts."""
        return (urlparse(self.login_url).hostname or "") in MICROSOFT_LOGIN_HOSTS

    def share_ca_bundle(self) -> None:
        """One CA bundle for every client: httpx (the SDK's and Graph's) reads only SSL_CERT_FILE,
        requests (MSAL) REQUESTS_CA_BUNDLE; urllib (the signing keys) OpenSSL's SSL_CERT_FILE."""
        if self.ca_bundle and not optional_env("SSL_CERT_FILE"):
            os.environ["SSL_CERT_FILE"] = self.ca_bundle

    @classmethod
    def from_env(cls) -> TeamsSettings:
        def need(name: str) -> str:
            found = optional_env(name)
            if not found:
                raise SettingsError(f"{name} is not set (needed for Teams; see .env.example)")
            return found

        def url(name: str, default: str, https_only: bool = False) -> str:
            found = optional_env(name) or default  # blank counts as unset (an --env-file line)
            parsed = urlparse(found)
            schemes = ("https",) if https_only else ("https", "http")
            if parsed.scheme not in schemes or not parsed.netloc:
                wanted = "an https:// URL" if https_only else "an http(s):// URL"
                raise SettingsError(f"{name} must be {wanted}, not {found!r}")
            return found.rstrip("/")

        client_id = need("TEAMS_CLIENT_ID")
        secret = need("TEAMS_CLIENT_SECRET")
        tenant = need("TEAMS_TENANT_ID")
        for name, value in (("TEAMS_CLIENT_ID", client_id), ("TEAMS_TENANT_ID", tenant)):
            if not _GUID.match(value):
                raise SettingsError(f"{name} must be a GUID like 00000000-0000-0000-0000-000000000000, not {value!r}")
        ca_bundle = optional_env("REQUESTS_CA_BUNDLE") or optional_env("SSL_CERT_FILE") or ""
        if ca_bundle and not os.path.isfile(ca_bundle):
            raise SettingsError(f"REQUESTS_CA_BUNDLE/SSL_CERT_FILE names no file: {ca_bundle!r}")
        try:
            proxy_from_env(DEFAULT_LOGIN_URL)  # checked only: each client applies it (and NO_PROXY) itself
        except ValueError as error:
            raise SettingsError(str(error)) from None
        return cls(
            client_id=client_id,
            client_secret=secret,
            tenant_id=tenant.lower(),
            openid_metadata_url=url("TEAMS_OPENID_METADATA_URL", DEFAULT_OPENID_METADATA_URL),
            # MSAL accepts only an https authority.
            login_url=url("TEAMS_LOGIN_URL", DEFAULT_LOGIN_URL, https_only=True),
            graph_url=url("GRAPH_API_URL", DEFAULT_GRAPH_API_URL),
            ca_bundle=ca_bundle,
        )
