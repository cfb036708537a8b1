"""A manual smoke run with the Microsoft 365 Agents Playground (not a test, not part of guidebot).

The Playground (`npm i @microsoft/m365agentsplayground`) plays Teams and a Bot Connector on
loopback but sends no tokens, so this runs guidebot's Teams listeners WITHOUT token checks, on
127.0.0.1 only, with a dummy outgoing token and no Graph. guidebot itself has no such mode.

    python scripts/teams_playground.py &                      # the bot on 127.0.0.1:3978
    TEAMSAPPTESTER_BROWSER=none npx agentsplayground -e http://127.0.0.1:3978/api/messages \\
        -c msteams --disable-telemetry                        # then open http://localhost:56150

Headless, as for the README's screenshot: send messages through the Playground's own API, then
let chromium load the page (which connects, installs the app and shows what came since):

    CONV=$(curl -s localhost:56150/_internal/v1/config | jq -r .config.personalChat.id)
    curl -s -H 'Content-Type: application/json' localhost:56150/_conversation/v1/conversations/$CONV/messages \
        -d '{"from": {"id": "user-id-0"}, "text": "rykte?", "textFormat": "plain"}'
    chromium --headless --window-size=1280,1400 --virtual-time-budget=10000 \
        --screenshot=docs/teams-playground.png http://localhost:56150/
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import tempfile
import time
from pathlib import Path

import jwt
import uvicorn
from microsoft_teams.apps import App
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.teams.app import CapturingAdapter  # noqa: E402
from bot.adapters.teams.connector import connector_client  # noqa: E402
from bot.adapters.teams.context import TeamsBot  # noqa: E402
from bot.adapters.teams.graph import Graph  # noqa: E402
from bot.adapters.teams.listeners import register_listeners  # noqa: E402
from bot.adapters.teams.settings import TeamsSettings  # noqa: E402
from bot.answers import Guidebot  # noqa: E402
from bot.log.store import Store  # noqa: E402
from bot.service import Service  # noqa: E402


def main() -> None:
    bot = Guidebot.from_folder()
    store = Store(Path(tempfile.mkdtemp()) / "playground.sqlite3", Service.masker_for(bot))
    settings = TeamsSettings(client_id="00000000-0000-4000-8000-00000000b07a", client_secret=secrets.token_hex(16),
                             tenant_id="00000000-0000-0000-0000-000000000001", graph_url="http://127.0.0.1:9/v1.0")
    dummy = jwt.encode({"aud": "playground", "exp": int(time.time()) + 86400}, secrets.token_hex(32), algorithm="HS256")
    adapter = CapturingAdapter()
    app = App(client=connector_client(), client_id=settings.client_id, token=lambda scope, tenant_id=None: dummy,
              http_server_adapter=adapter, dangerously_allow_unauthenticated_requests=True,
              telemetry={"agent365": False})

    async def no_graph() -> str:
        return dummy

    register_listeners(app, TeamsBot(Service(bot, store), settings, 90, Graph(settings.graph_url, no_graph)))

    async def messages(request: Request) -> Response:
        result = await adapter.handler({"body": await request.json(), "headers": dict(request.headers)})
        if result.get("body") is not None:
            return JSONResponse(result["body"], status_code=result.get("status", 200))
        return Response(status_code=result.get("status", 200))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await app.initialize()
        yield

    asgi = Starlette(routes=[Route("/api/messages", messages, methods=["POST"])], lifespan=lifespan)
    uvicorn.run(asgi, host="127.0.0.1", port=3978, log_level="warning")


if __name__ == "__main__":
    main()
