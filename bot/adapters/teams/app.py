"""The Teams app: a Teams SDK `App` with guidebot's listeners (see `listeners/`).

The SDK validates each activity's token against the Bot Framework's signing keys
(TEAMS_OPENID_METADATA_URL), sends replies through the Bot Connector with the bot's own token
(MSAL, `tokens.py`), and routes activities to the listeners. The HTTP front door, with the
checks that come before the SDK (size, shape, tenant, duplicates), is `server.py`.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

import httpx
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from microsoft_teams.apps import App
from microsoft_teams.common import Client, ClientOptions

from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.graph import Graph
from bot.adapters.teams.listeners import register_listeners
from bot.adapters.teams.settings import TeamsSettings
from bot.adapters.teams.tokens import BotTokens
from bot.service import Service

log = logging.getLogger("guidebot.teams")


class WaitOutThrottling:
    """Bot Connector middleware: on HTTP 429 wait `Retry-After` (at most 10 s) and try again, twice.
    The connector throttles per conversation and per bot; a short wait is better than a lost answer."""

    def __init__(self, retries: int = 2, longest_wait: float = 10.0):
        self.retries = retries
        self.longest_wait = longest_wait

    async def send(self, context, next):  # noqa: A002 (the SDK's middleware protocol)
        for attempt in range(self.retries + 1):
            try:
                return await next()
            except httpx.HTTPStatusError as error:
                if error.response.status_code != 429 or attempt == self.retries:
                    raise
                wait = _seconds(error.response.headers.get("Retry-After"), default=1.0)
                log.info("Bot Connector throttled (429): waiting %.1f s", min(wait, self.longest_wait))
                await asyncio.sleep(min(wait, self.longest_wait))
        raise AssertionError("unreachable")


def _seconds(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default


class CapturingAdapter:
    """The SDK's `HttpServerAdapter` protocol, keeping the route handler for `server.py`."""

    def __init__(self) -> None:
        self.handler = None

    def register_route(self, method: str, path: str, handler) -> None:
        self.handler = handler

    def serve_static(self, path: str, directory: str) -> None:  # guidebot serves no pages
        return None

    async def start(self, port: int) -> None:
        raise NotImplementedError("guidebot runs the Teams app with its own server (server.py)")

    async def stop(self) -> None:
        return None


def cloud_for(settings: TeamsSettings) -> CloudEnvironment:
    """Microsoft's public cloud, with the configured metadata, login and Graph hosts."""
    graph = urlparse(settings.graph_url)
    return with_overrides(
        PUBLIC,
        openid_metadata_url=settings.openid_metadata_url,
        login_endpoint=settings.login_url,
        graph_scope=f"{graph.scheme}://{graph.netloc}/.default",
    )


def _no_request_lines(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def build_app(service: Service, settings: TeamsSettings, retention_days: int) -> tuple[App, TeamsBot, CapturingAdapter]:
    """The SDK app with every listener registered, the listeners' shared state, and the adapter."""
    # httpx logs every request's URL at INFO: conversation, user and AAD object ids. A filter,
    # not a level: the SDK resets httpx's level each time it makes a client.
    if _no_request_lines not in logging.getLogger("httpx").filters:
        logging.getLogger("httpx").addFilter(_no_request_lines)
    tokens = BotTokens(settings)
    cloud = cloud_for(settings)

    async def graph_token() -> str:
        return await tokens.for_scope(cloud.graph_scope)

    adapter = CapturingAdapter()
    connector = Client(ClientOptions(timeout=20.0))
    connector.use(WaitOutThrottling())
    app = App(
        client=connector,
        client_id=settings.client_id,
        tenant_id=settings.tenant_id,
        token=tokens.for_scope,
        cloud=cloud,
        http_server_adapter=adapter,
        messaging_endpoint="/api/messages",
        dangerously_allow_unauthenticated_requests=False,
        fetch_user_token=False,
        telemetry={"agent365": False},
    )
    teams = TeamsBot(service, settings, retention_days, Graph(settings.graph_url, graph_token))
    register_listeners(app, teams)
    return app, teams, adapter
