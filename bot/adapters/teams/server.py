"""Running the Teams app: an ASGI app served by uvicorn, behind the municipality's TLS proxy.

`POST /api/messages` takes activities from the Bot Connector; `GET /healthz` is for load
balancers. Teams has no Socket Mode: Microsoft must reach this endpoint over public HTTPS.

The front door does, in this order, before any listener runs:

1. size (413 over 1 MB) and shape (400 unless a JSON object with the fields Teams always sends);
2. the token (401: none, wrong audience or issuer, bad signature, expired, or a `serviceurl`
   claim that is not the activity's `serviceUrl`), checked by the Teams SDK's Bot Framework
   validator only: an Entra-issued (Agent 365) token is refused, whatever it claims;
3. the tenant (403 for any tenant but TEAMS_TENANT_ID; nothing is posted);
4. duplicates: the Bot Connector retries an activity it thinks was lost; the first copy, in
   any process sharing the database, claims its id (`claims.py`) and answers it; a copy that
   arrives meanwhile waits for it and gets an empty 200, or, if the holder died mid-answer
   (its lease ran out), takes the claim over and answers;
5. the activity must be one the SDK can read (else 400) and one guidebot handles (else an
   empty 200: new kinds of Teams activity are ignored politely).

Then the SDK validates the token again (its own path) and routes the activity to a listener.

Stopping: on SIGTERM (docker stop) uvicorn stops accepting, lets requests in flight (each one
answers its activity before it returns) finish for up to GUIDEBOT_DRAIN_SECONDS, and
`serve_until_stopped` returns, so `guidebot teams` exits 0. While serving it beats the same
heartbeat as `guidebot slack`, so `guidebot health` (the Docker HEALTHCHECK) works for Teams too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import AsyncIterator

import uvicorn
from microsoft_teams.api import ActivityTypeAdapter
from microsoft_teams.apps import App
from microsoft_teams.apps.auth import TokenValidator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.adapters.teams.app import CapturingAdapter, build_app, cloud_for
from bot.adapters.teams.claims import BUSY, DONE, ActivityClaims
from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.settings import TeamsSettings
from bot.lifecycle import DEFAULT_DRAIN_SECONDS, HEARTBEAT_SECONDS, Heartbeat, StopSignal
from bot.service import Service

log = logging.getLogger("guidebot.teams")

MESSAGES_PATH = "/api/messages"
PURGE_INTERVAL_SECONDS = 24 * 3600
MAX_BODY_BYTES = 1_000_000  # Teams' own activities are far smaller (messages are capped near 100 KB)
LONGEST_WAIT_FOR_HOLDER_SECONDS = 25.0  # a copy waits this long for the holder (lease included)
HANDLED_TYPES = frozenset({"message", "invoke", "installationUpdate", "conversationUpdate", "typing",
                           "messageReaction", "messageUpdate", "messageDelete", "event"})


class BadRequest(Exception):
    """The request is not an activity Teams would send; the message says why (never logged in full)."""


def read_activity(raw: bytes) -> dict:
    """The body as an activity dict, or BadRequest."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: nesting deeper than the parser goes
        raise BadRequest("not JSON") from error
    if not isinstance(body, dict):
        raise BadRequest("not a JSON object")
    for name in ("type", "serviceUrl", "id"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise BadRequest(f"'{name}' missing or not a string")
    for name in ("conversation", "from", "recipient"):
        if not isinstance(body.get(name), dict) or not isinstance(body[name].get("id"), str):
            raise BadRequest(f"'{name}' missing or without an id")
    return body


def tenant_of(body: dict) -> str:
    conversation = body.get("conversation") or {}
    tenant = conversation.get("tenantId")
    if not isinstance(tenant, str) or not tenant:
        channel_data = body.get("channelData")
        tenant_info = channel_data.get("tenant") if isinstance(channel_data, dict) else None
        tenant = tenant_info.get("id") if isinstance(tenant_info, dict) else ""
    return tenant.lower() if isinstance(tenant, str) else ""


def claim_key(body: dict) -> str:
    """Activity ids are unique per conversation only (channel messages use timestamps), so the
    key is a hash of both: no conversation id is stored in the database."""
    digest = hashlib.sha256(f"{body['conversation']['id']}\n{body['id']}".encode()).hexdigest()[:40]
    return f"teams:{digest}"


class TeamsFrontDoor:
    """The checks before the SDK (see the module docstring), then the SDK's own handler."""

    def __init__(self, app: App, adapter: CapturingAdapter, teams: TeamsBot, max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.teams = teams
        self.adapter = adapter
        self.settings = teams.settings
        self.store = teams.store
        self.claims = ActivityClaims(teams.store) if teams.store is not None else None
        self.max_body = max_body
        # The Bot Framework path only. The SDK's inbound validator also takes Entra (Agent 365)
        # tokens, and on that path skips the `serviceurl` check and accepts any tenant's `tid`;
        # guidebot is a classic Teams bot and is only ever sent Bot Framework tokens.
        self.validator = TokenValidator.for_service(self.settings.client_id, cloud=cloud_for(self.settings))

    async def startup(self) -> None:
        await self.app.initialize()

    async def messages(self, request: Request) -> Response:
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            return PlainTextResponse("bad content length", status_code=400)
        if length > self.max_body:
            return PlainTextResponse("body too large", status_code=413)
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > self.max_body:
                return PlainTextResponse("body too large", status_code=413)
        try:
            body = read_activity(bytes(raw))
        except BadRequest as error:
            log.info("unreadable request rejected: %s", error)
            return PlainTextResponse("bad request", status_code=400)
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            return PlainTextResponse("unauthorized", status_code=401)
        try:
            # The SDK's Bot Framework validator; PyJWT fetches the signing keys with urllib and
            # caches them. Only tokens that pass it reach the SDK (which validates again).
            await self.validator.validate_token(authorization.removeprefix("Bearer "), body["serviceUrl"])
        except Exception as error:
            log.warning("token rejected: %s", type(error).__name__)
            return PlainTextResponse("unauthorized", status_code=401)
        if tenant_of(body) != self.settings.tenant_id:
            log.warning("activity from another tenant refused")
            return PlainTextResponse("forbidden", status_code=403)
        if body["type"] not in HANDLED_TYPES:
            return Response(status_code=200)
        try:
            ActivityTypeAdapter.validate_python(body)
        except ValueError as error:
            log.info("activity the SDK cannot read rejected: %s", str(error).splitlines()[0][:200])
            return PlainTextResponse("bad request", status_code=400)
        assert self.adapter.handler is not None, "app.initialize() registers the route"
        if self.claims is None:
            result = await self.adapter.handler({"body": body, "headers": dict(request.headers)})
        else:
            key = claim_key(body)
            state = await self.wait_for_claim(key)
            if state == DONE:
                log.info("duplicate activity ignored")
                return Response(status_code=200)
            if state == BUSY:  # the holder is alive but slow: the Bot Connector retries later
                log.warning("duplicate activity still being answered elsewhere: retry later")
                return PlainTextResponse("being answered", status_code=503, headers={"Retry-After": "5"})
            renewing = asyncio.create_task(self.renew_while_answering(key))
            try:
                result = await self.adapter.handler({"body": body, "headers": dict(request.headers)})
            except BaseException:
                renewing.cancel()
                await self.teams.run(self.claims.release, key)  # unanswered: a retry may take it at once
                raise
            renewing.cancel()
            answered = int(result.get("status") or 200) < 500
            await self.teams.run(self.claims.finish if answered else self.claims.release, key)
        status = int(result.get("status") or 200)
        if result.get("body") is not None:
            return JSONResponse(result["body"], status_code=status)
        return Response(status_code=status)


    async def wait_for_claim(self, key: str) -> str:
        """Take the activity's claim; while another holder answers it, wait until it is done
        (DONE) or the holder's lease runs out and the claim is ours (MINE)."""
        assert self.claims is not None
        waited, pause = 0.0, 0.05
        while True:
            state = await self.teams.run(self.claims.take, key)
            if state != BUSY or waited >= LONGEST_WAIT_FOR_HOLDER_SECONDS:
                return state
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.25)

    async def renew_while_answering(self, key: str) -> None:
        assert self.claims is not None
        while True:
            await asyncio.sleep(self.claims.lease_seconds / 3)
            try:
                await self.teams.run(self.claims.renew, key)
            except Exception as error:  # the database is busy: the next renewal may get through
                log.warning("could not renew an activity claim: %s", type(error).__name__)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def purge_now_and_then(teams: TeamsBot, claims: ActivityClaims | None = None,
                             interval: float = PURGE_INTERVAL_SECONDS) -> None:
    """Delete question text past the retention period, and old activity claims, at start-up and
    then daily."""
    while teams.store is not None:
        try:
            if claims is not None:
                await teams.run(claims.expire)
            log.info("retention purge: %s", await teams.run(teams.store.purge))
        except Exception as error:  # a failed purge is retried next round, never fatal
            log.error("retention purge failed: %r", error)
        await asyncio.sleep(interval)


def asgi_app(front: TeamsFrontDoor, teams: TeamsBot) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await front.startup()
        purging = asyncio.create_task(purge_now_and_then(teams, front.claims))
        yield
        purging.cancel()
        await teams.graph.close()

    return Starlette(
        routes=[
            Route(MESSAGES_PATH, front.messages, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
        ],
        lifespan=lifespan,
    )


class TeamsServer:
    """The ASGI app behind uvicorn. `serve_forever()` blocks; `start()` serves from a thread and
    `stop()` ends it (tests and the load benchmark)."""

    def __init__(self, asgi: Starlette, host: str, port: int, drain_seconds: float = DEFAULT_DRAIN_SECONDS):
        # timeout_graceful_shutdown: on SIGTERM, requests in flight get this long to finish.
        config = uvicorn.Config(asgi, host=host, port=port, log_level="warning", access_log=False,
                                lifespan="on", proxy_headers=False, server_header=False,
                                timeout_graceful_shutdown=max(drain_seconds, 0.1))
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        sockets = [s for server in self.server.servers for s in server.sockets]
        return int(sockets[0].getsockname()[1])

    def serve_forever(self) -> None:
        self.server.run()

    def start(self, timeout: float = 10.0) -> TeamsServer:
        self._thread = threading.Thread(target=self.server.run, name="guidebot-teams", daemon=True)
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self.server.started and waited < timeout:
            deadline.wait(0.02)
            waited += 0.02
        if not self.server.started:
            raise RuntimeError("the Teams server did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def serve_until_stopped(server: TeamsServer, heartbeat: Heartbeat, stop: StopSignal, host: str) -> None:
    """Serve on this (the main) thread until SIGTERM or Ctrl-C, beating the heartbeat while the
    server is up. uvicorn handles the signal while it runs (stop accepting, drain, shut down) and
    raises it again afterwards; `stop`, installed before, takes it then, so the process exits 0
    instead of being killed by the re-raised SIGTERM."""
    done = threading.Event()

    def beat() -> None:
        while not done.is_set():
            if server.server.started and not server.server.should_exit:
                local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
                heartbeat.url = f"http://{local}:{server.port}/healthz"  # the real port, also for --port 0
                heartbeat.beat()
            done.wait(HEARTBEAT_SECONDS if server.server.started else 0.1)

    beating = threading.Thread(target=beat, name="guidebot-heartbeat", daemon=True)
    beating.start()
    try:
        server.serve_forever()
    finally:
        done.set()
        beating.join(timeout=5)
        heartbeat.remove()
    log.info("%s: stopped", stop.signal_name or "shutdown")


def build_asgi(service: Service, settings: TeamsSettings, retention_days: int) -> tuple[Starlette, TeamsBot]:
    """The whole Teams app as one ASGI app, and the listeners' shared state (for tests)."""
    app, teams, adapter = build_app(service, settings, retention_days)
    front = TeamsFrontDoor(app, adapter, teams)
    return asgi_app(front, teams), teams
