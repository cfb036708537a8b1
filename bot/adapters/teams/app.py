"""The Teams app: a Teams SDK `App` with guidebot's listeners (see `listeners/`).

The SDK validates each activity's token against the Bot Framework's signing keys
(TEAMS_OPENID_METADATA_URL), sends replies through the Bot Connector with the bot's own token
(MSAL, `tokens.py`), and routes activities to the listeners. The HTTP front door, with the
checks that come before the SDK (size, shape, tenant, duplicates), is `server.py`.
"""

from __future__ import annotations

from urllib.parse import urlparse

from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from microsoft_teams.apps import App

from bot.adapters.teams.connector import connector_client, keep_ids_out_of_the_log
from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.graph import Graph
from bot.adapters.teams.listeners import register_listeners
from bot.adapters.teams.settings import TeamsSettings
from bot.adapters.teams.tokens import BotTokens
from bot.service import Service


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


def build_app(service: Service, settings: TeamsSettings, retention_days: int) -> tuple[App, TeamsBot, CapturingAdapter]:
    """The SDK app with every listener registered, the listeners' shared state, and the adapter."""
    keep_ids_out_of_the_log()
    tokens = BotTokens(settings)
    cloud = cloud_for(settings)

    async def graph_token() -> str:
        return await tokens.for_scope(cloud.graph_scope)

    adapter = CapturingAdapter()
    app = App(
        client=connector_client(),
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
