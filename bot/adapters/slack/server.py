"""Running the Slack app: Socket Mode (default) or HTTP behind a load balancer.

HTTP mode serves `/slack/events` (events, interactivity and the slash command) and `/healthz`
with Waitress, a production WSGI server that runs on Linux and Windows alike. The WSGI layer in
front of Bolt turns anything Bolt cannot read (too large, not UTF-8, not an object) into a 4xx
instead of a 500, before any listener runs; Bolt checks every signature and timestamp.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest

from bot.lifecycle import HEARTBEAT_SECONDS, Heartbeat, StopSignal
from bot.log.store import Store
from bot.outbox import OutboxWorkers

log = logging.getLogger("guidebot.slack")

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack's own payloads are far smaller: larger gets 413
# Waitress buffers up to this before calling the app (so a 1 MB body gets a clean 413 from us);
# beyond it Waitress drops the connection.
SERVER_BODY_LIMIT = 8_000_000
PURGE_INTERVAL_SECONDS = 24 * 3600


class SlackWsgiApp:
    """WSGI entry point: `/slack/events` to Bolt, `/healthz` for load balancers."""

    def __init__(self, app: App, path: str = EVENTS_PATH, max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.path = path
        self.max_body = max_body

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return _reply(start_response, 200, "ok")
        if path != self.path:
            return _reply(start_response, 404, "not found")
        if method != "POST":
            return _reply(start_response, 405, "method not allowed")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, 400, "bad content length")
        if length > self.max_body:
            return _reply(start_response, 413, "body too large")
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            body = raw.decode("utf-8")
            headers = {
                key[5:].lower().replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")
            }
            if environ.get("CONTENT_TYPE"):
                headers["content-type"] = environ["CONTENT_TYPE"]
            _check_shape(body, headers.get("content-type", ""))
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            log.info("unreadable request rejected: %s", error)
            return _reply(start_response, 400, "bad request")
        try:
            response = self.app.dispatch(request)
        except Exception as error:  # Bolt choked on a request before any listener ran
            log.warning("request rejected: %r", error)
            return _reply(start_response, 400, "bad request")
        body_out = response.body if isinstance(response.body, str) else json.dumps(response.body)
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        out_headers = [(k, v) for k, values in response.headers.items() for v in values]
        start_response(status, out_headers)
        return [body_out.encode("utf-8")]


# What Slack's envelopes hold, by field: anything else is not from Slack, and Bolt (which reads
# some of these before any listener runs) would fail on it with a 500.
_OBJECT_FIELDS = ("team", "user", "channel", "enterprise", "container", "message", "view", "event")
_TEXT_FIELDS = (
    "type",
    "team_id",
    "user_id",
    "channel_id",
    "enterprise_id",
    "api_app_id",
    "event_id",
    "token",
    "trigger_id",
    "response_url",
    "command",
    "text",
)
_LIST_OF_OBJECTS = ("actions", "authorizations")
_EVENT_TEXT_FIELDS = (
    "type",
    "subtype",
    "user",
    "channel",
    "channel_type",
    "text",
    "ts",
    "thread_ts",
    "bot_id",
    "tab",
    "event_ts",
)


def _check_shape(body: str, content_type: str) -> None:
    """Raise ValueError unless the body has the shape of a Slack request: a JSON object (or a
    form, whose `payload` if any is one) whose known fields have the types Slack sends."""
    if not body:
        return
    if content_type.startswith("application/json") or body.startswith("{"):
        data = json.loads(body)
    else:
        form = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in form:
            return  # a slash command: every field is a string already
        data = json.loads(form["payload"])
    _check_fields(data, "body", _OBJECT_FIELDS, _TEXT_FIELDS)
    for name in _LIST_OF_OBJECTS:
        if name in data and not (isinstance(data[name], list) and all(isinstance(x, dict) for x in data[name])):
            raise ValueError(f"'{name}' is not a list of objects")
    if data.get("type") == "block_actions" and not data.get("actions"):
        raise ValueError("block_actions without actions")
    for action in data.get("actions") or ():
        _check_fields(action, "action", (), ("action_id", "block_id", "value", "type", "action_ts"))
    for name in ("user", "team", "channel", "container", "message"):
        if isinstance(data.get(name), dict):
            _check_fields(data[name], name, (), ("id", "ts", "thread_ts", "text", "channel_id", "message_ts"))
    if isinstance(data.get("event"), dict):
        _check_fields(data["event"], "event", (), _EVENT_TEXT_FIELDS)
    elif data.get("type") == "event_callback":
        raise ValueError("an event_callback without an event object")


def _check_fields(data: Any, where: str, objects: tuple[str, ...], texts: tuple[str, ...]) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"{where} is not a JSON object")
    for name in objects:
        if name in data and not isinstance(data[name], dict):
            raise ValueError(f"'{name}' in {where} is not an object")
    for name in texts:
        # `text: null` in an event is a malformed question the listener answers; elsewhere a
        # null is not something Slack sends.
        if name in data and not isinstance(data[name], str) and not (where == "event" and data[name] is None):
            raise ValueError(f"'{name}' in {where} is not a string")


def _reply(start_response: Any, status: int, text: str) -> list[bytes]:
    start_response(f"{status} {HTTPStatus(status).phrase}", [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode("utf-8")]


class HttpServer:
    """The app behind Waitress. `serve_forever()` blocks; `start()` serves from a thread and
    `stop()` ends it cleanly (tests and the load benchmark)."""

    def __init__(self, app: App, host: str, port: int, threads: int = 8):
        from waitress.server import create_server

        self.server = create_server(
            SlackWsgiApp(app),
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=SERVER_BODY_LIMIT,
            ident="guidebot",
            clear_untrusted_proxy_headers=True,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def serve_forever(self) -> None:
        self.server.run()

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self.server.run, name="guidebot-http", daemon=True)
        self._thread.start()
        return self

    def stop_accepting(self) -> None:
        """Close the listening socket; requests already read are still answered."""
        from waitress import wasyncore

        # Waitress's own close() would also close the trigger that stop() needs.
        self.server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(self.server))

    def stop(self) -> None:
        def close_everything() -> None:  # runs inside Waitress's loop, so nothing races it
            for channel in list(self.server._map.values()):
                channel.close()

        self.server.trigger.pull_trigger(close_everything)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()


def socket_mode_handler(app: App, app_token: str) -> Any:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)


def start_purging(store: Store, interval: float = PURGE_INTERVAL_SECONDS) -> threading.Event:
    """Purge old question text now and then every `interval` seconds; set the event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                removed = store.purge()
                log.info("retention purge: %s", removed)
            except Exception as error:  # a failed purge is retried next round, never fatal
                log.error("retention purge failed: %r", error)
            if stop.wait(interval):
                return

    threading.Thread(target=loop, name="guidebot-purge", daemon=True).start()
    return stop


# -- start-up and shutdown: serve until SIGTERM, then stop accepting, drain, exit 0


def serve_http_until_stopped(
    server: HttpServer, workers: OutboxWorkers, heartbeat: Heartbeat, stop: StopSignal, drain_seconds: float
) -> int:
    """Serve from a thread; the main thread beats the heartbeat while the server and the
    workers are alive, and on SIGTERM stops accepting and drains. Returns the rows left."""
    server.start()
    while True:
        if server._thread is not None and server._thread.is_alive() and workers.alive:
            heartbeat.beat()
        if stop.wait(HEARTBEAT_SECONDS):
            break
    log.info("%s: no new requests; answering what was accepted (up to %g s)", stop.signal_name, drain_seconds)
    heartbeat.remove()
    server.stop_accepting()
    time.sleep(0.2)  # requests already read finish queueing their question and get their ack
    server.stop()
    return workers.stop(drain_seconds)


def serve_socket_mode_until_stopped(
    handler: Any, workers: OutboxWorkers, heartbeat: Heartbeat, stop: StopSignal, drain_seconds: float
) -> int:
    """With the handler connected: the heartbeat beats only while the WebSocket is connected
    and the workers are alive. On SIGTERM, disconnect (Slack sends to the app's other
    connections, or holds events for a retry) and drain. Returns the rows left."""
    while True:
        if handler.client.is_connected() and workers.alive:
            heartbeat.beat()
        if stop.wait(HEARTBEAT_SECONDS):
            break
    log.info("%s: disconnecting; answering what was accepted (up to %g s)", stop.signal_name, drain_seconds)
    heartbeat.remove()
    handler.close()
    return workers.stop(drain_seconds)
