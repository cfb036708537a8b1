"""Running the Slack app: Socket Mode (default) or HTTP behind a reverse proxy.

HTTP mode serves `/slack/events` (events, interactivity and the slash command) and `/healthz`
with Waitress, a production WSGI server that runs on Linux and Windows alike. `SlackWsgiApp`,
in front of Bolt, does in this order, and nothing else before the signature holds:

1. route, method and size (404/405/413, the body is not read when it is too large);
2. Slack's v0 signature and a timestamp within five minutes, on the raw bytes (401);
3. parse: UTF-8, JSON nesting depth bounded without recursion, the envelope's shape (400);
4. Bolt, on the ack path (no Slack Web API call here waits out a 429, see `context`).

A request that fails 1–3 is answered and counted, never logged with its body: one summary line
per minute says how many were rejected and why. `GuardedServer` gives Waitress limits for a bot
behind a proxy: a connection cap, an idle timeout, and a deadline for receiving each request,
so clients that trickle one byte at a time cannot hold connections forever.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest

from bot.adapters.slack.context import VERIFIED, on_ack_path, quiet_slack_libraries
from bot.lifecycle import HEARTBEAT_SECONDS, Heartbeat, StopSignal
from bot.log.store import Store
from bot.outbox import OutboxWorkers

log = logging.getLogger("guidebot.slack")

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack's own payloads are far smaller: larger gets 413
# Waitress buffers up to this before calling the app (so a 1 MB body gets a clean 413 from us);
# beyond it Waitress drops the connection.
SERVER_BODY_LIMIT = 2_000_000
PURGE_INTERVAL_SECONDS = 24 * 3600
# Slack: "more than five minutes from local time" is a replay. Five seconds less than Bolt's own
# check (which runs again just after ours), so a request we pass is never one Bolt rejects.
MAX_REQUEST_AGE_SECONDS = 295
MAX_JSON_DEPTH = 64  # Slack's deepest payloads (a message's rich text in block_actions) use ~12
REJECTION_LOG_INTERVAL = 60.0

# Waitress limits for a bot behind a reverse proxy (see README, "Behind a reverse proxy").
CONNECTION_LIMIT = 1000  # well above what a proxy opens; with poll() there is no 1024 fd ceiling
CHANNEL_TIMEOUT = 20  # seconds a connection may sit idle (the proxy's keepalive must be shorter)
REQUEST_DEADLINE = 10  # seconds from a request's first byte to its last: Slack waits only 3
CLEANUP_INTERVAL = 1  # how often Waitress looks for connections to close

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: '1e3', '١٢٣' and '1.5' fail
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class Rejected(Exception):
    """A request turned away before Bolt: the HTTP status and a reason (no request content)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RejectionLog:
    """Counts rejected requests by reason and logs one summary line per interval, so a flood
    of forged requests costs one log line a minute, never a line (or a body) per request."""

    def __init__(self, interval: float = REJECTION_LOG_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock
        self._counts: Counter[str] = Counter()
        self._last: float | None = None
        self._lock = threading.Lock()

    def count(self, reason: str) -> None:
        with self._lock:
            self._counts[reason] += 1
            now = self.clock()
            if self._last is not None and now - self._last < self.interval:
                return
            self._last = now
            counts, self._counts = self._counts, Counter()
        self._write(counts)

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if counts:
            self._write(counts)

    def _write(self, counts: Counter[str]) -> None:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items()))
        log.warning("rejected %d request(s) since the last report (%s)", sum(counts.values()), reasons)


def verify_signature(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> None:
    """Raise `Rejected(401)` unless the request carries Slack's v0 signature of this body and a
    timestamp (whole seconds, ASCII digits) within `MAX_REQUEST_AGE_SECONDS` of now.

    >>> verify_signature("s", "1e3", "v0=00", b"{}")
    Traceback (most recent call last):
    ...
    bot.adapters.slack.server.Rejected: no valid timestamp
    """
    if not secret:
        raise Rejected(401, "no signing secret configured")
    if not timestamp or not _TIMESTAMP.fullmatch(timestamp):
        raise Rejected(401, "no valid timestamp")
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_REQUEST_AGE_SECONDS:
        raise Rejected(401, "stale timestamp")
    if not signature or not _SIGNATURE.fullmatch(signature):
        raise Rejected(401, "no valid signature")
    expected = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature[3:], expected):
        raise Rejected(401, "wrong signature")


def json_depth_within(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if no JSON array/object in `text` nests deeper than `limit`, found without recursion
    (strings are skipped first, so brackets inside them do not count).

    >>> json_depth_within('{"a": [[1]], "b": "[[[["}', limit=3)
    True
    >>> json_depth_within("[" * 1000 + "]" * 1000)
    False
    """
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return False
    return True


class SlackWsgiApp:
    """WSGI entry point: `/slack/events` to Bolt once verified, `/healthz` for load balancers."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        path: str = EVENTS_PATH,
        max_body: int = MAX_BODY_BYTES,
        rejections: RejectionLog | None = None,
    ):
        self.app = app
        self.signing_secret = signing_secret
        self.path = path
        self.max_body = max_body
        self.rejections = rejections or RejectionLog()

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
            request = self._verified_request(environ)
        except Rejected as rejected:
            self.rejections.count(rejected.reason)
            return _reply(start_response, rejected.status, HTTPStatus(rejected.status).phrase.lower())
        except Exception as error:  # a bug of ours: still an answer, and a log line without content
            self.rejections.count(f"unexpected {type(error).__name__}")
            return _reply(start_response, 400, "bad request")
        try:
            with on_ack_path():
                response = self.app.dispatch(request)
        except Exception as error:  # Bolt choked on a (verified) request before any listener ran
            self.rejections.count(f"Bolt failed: {type(error).__name__}")
            return _reply(start_response, 400, "bad request")
        body_out = response.body if isinstance(response.body, str) else json.dumps(response.body)
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        out_headers = [(k, v) for k, values in response.headers.items() for v in values]
        start_response(status, out_headers)
        return [body_out.encode("utf-8")]

    def _verified_request(self, environ: dict) -> BoltRequest:
        """Size, then signature, then parsing: a `BoltRequest` marked verified, or `Rejected`."""
        raw_length = environ.get("CONTENT_LENGTH") or "0"
        if not raw_length.isascii() or not raw_length.isdigit():
            raise Rejected(400, "bad content length")
        length = int(raw_length)
        if length > self.max_body:
            raise Rejected(413, "body too large")
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        verify_signature(
            self.signing_secret,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
            raw,
        )
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, "not UTF-8") from None
        headers = {k[5:].lower().replace("_", "-"): value for k, value in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            _check_shape(body, headers.get("content-type", ""))
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
            raise Rejected(400, "malformed: " + _reason(error)) from None
        request.context[VERIFIED] = True
        return request


def _reason(error: Exception) -> str:
    """A rejection reason safe to log: our own messages name fields, never their content."""
    return str(error) if isinstance(error, _ShapeError) else type(error).__name__


class _ShapeError(ValueError):
    """The body is not shaped like a Slack request; the message names a field, not its value."""


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
    form, whose `payload` if any is one) no deeper than `MAX_JSON_DEPTH`, whose known fields
    have the types Slack sends."""
    if not body:
        return
    if content_type.startswith("application/json") or body.startswith("{"):
        data = _load_json(body, "body")
    else:
        form = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in form:
            return  # a slash command: every field is a string already
        data = _load_json(form["payload"], "payload")
    _check_fields(data, "body", _OBJECT_FIELDS, _TEXT_FIELDS)
    for name in _LIST_OF_OBJECTS:
        if name in data and not (isinstance(data[name], list) and all(isinstance(x, dict) for x in data[name])):
            raise _ShapeError(f"'{name}' is not a list of objects")
    if data.get("type") == "block_actions" and not data.get("actions"):
        raise _ShapeError("block_actions without actions")
    for action in data.get("actions") or ():
        _check_fields(action, "action", (), ("action_id", "block_id", "value", "type", "action_ts"))
        if data.get("type") == "block_actions" and not action.get("action_id"):
            raise _ShapeError("an action without an action_id")  # Bolt would fail on it (KeyError)
    for name in ("user", "team", "channel", "container", "message"):
        if isinstance(data.get(name), dict):
            _check_fields(data[name], name, (), ("id", "ts", "thread_ts", "text", "channel_id", "message_ts"))
    if isinstance(data.get("event"), dict):
        _check_fields(data["event"], "event", (), _EVENT_TEXT_FIELDS)
    elif data.get("type") == "event_callback":
        raise _ShapeError("an event_callback without an event object")


def _load_json(text: str, where: str) -> Any:
    if not json_depth_within(text):
        raise _ShapeError(f"{where} nests deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(text)
    except ValueError:
        raise _ShapeError(f"{where} is not JSON") from None


def _check_fields(data: Any, where: str, objects: tuple[str, ...], texts: tuple[str, ...]) -> None:
    if not isinstance(data, dict):
        raise _ShapeError(f"{where} is not a JSON object")
    for name in objects:
        if name in data and not isinstance(data[name], dict):
            raise _ShapeError(f"'{name}' in {where} is not an object")
    for name in texts:
        # `text: null` in an event is a malformed question the listener answers; elsewhere a
        # null is not something Slack sends.
        if name in data and not isinstance(data[name], str) and not (where == "event" and data[name] is None):
            raise _ShapeError(f"'{name}' in {where} is not a string")


def _reply(start_response: Any, status: int, text: str) -> list[bytes]:
    start_response(f"{status} {HTTPStatus(status).phrase}", [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode("utf-8")]


@functools.cache
def _guarded_server_class() -> type:
    from waitress.server import TcpWSGIServer

    class GuardedServer(TcpWSGIServer):
        """Waitress with a deadline per request: `channel_timeout` only measures silence, so a
        client sending one byte every few seconds would hold its connection forever. Every
        `cleanup_interval` this also closes connections whose current request began more than
        `request_deadline` seconds ago and is still incomplete."""

        request_deadline: float = REQUEST_DEADLINE

        def maintenance(self, now: float) -> None:
            super().maintenance(now)
            started: dict[int, tuple[object, float]] = getattr(self, "_request_started", {})
            seen: dict[int, tuple[object, float]] = {}
            for fd, channel in self.active_channels.items():
                parser = getattr(channel, "request", None)
                if parser is None:
                    continue
                previous = started.get(fd)
                began = previous[1] if previous is not None and previous[0] is parser else now
                seen[fd] = (parser, began)
                if now - began > self.request_deadline:
                    channel.will_close = True
            self._request_started = seen

    return GuardedServer


class HttpServer:
    """The app behind Waitress. `serve_forever()` blocks; `start()` serves from a thread and
    `stop()` ends it cleanly (tests and the benchmarks).

    Binds 127.0.0.1 unless told otherwise: put a reverse proxy (TLS, client limits) in front."""

    def __init__(
        self,
        app: App,
        host: str,
        port: int,
        signing_secret: str,
        threads: int = 8,
        connection_limit: int = CONNECTION_LIMIT,
        channel_timeout: int = CHANNEL_TIMEOUT,
        request_deadline: float = REQUEST_DEADLINE,
    ):
        from waitress.adjustments import Adjustments
        from waitress.task import ThreadedTaskDispatcher

        if not signing_secret:
            raise ValueError("HTTP mode needs Slack's signing secret (SLACK_SIGNING_SECRET)")
        _allow_open_files(connection_limit + 64)
        adj = Adjustments(
            host=host,
            port=port,
            threads=threads,
            connection_limit=connection_limit,
            channel_timeout=channel_timeout,
            cleanup_interval=CLEANUP_INTERVAL,
            max_request_body_size=SERVER_BODY_LIMIT,
            max_request_header_size=64 * 1024,
            asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
            ident="guidebot",
            clear_untrusted_proxy_headers=True,
        )
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(threads)
        self.wsgi = SlackWsgiApp(app, signing_secret)
        self.server = _guarded_server_class()(self.wsgi, {}, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0])
        self.server.request_deadline = request_deadline
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
                with contextlib.suppress(OSError):  # one that fails to close keeps no other open
                    channel.close()

        try:
            self.server.trigger.pull_trigger(close_everything)
        except OSError:  # the loop's wake-up pipe is already gone (seen once at a test's teardown):
            close_everything()  # the loop cannot be woken, and it ends once nothing is left to serve
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()
        self.wsgi.rejections.flush()


def _allow_open_files(wanted: int) -> None:
    """Raise the soft limit on open files towards `wanted` (each connection is one)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as error:
            log.warning("could not raise the open-file limit to %d: %s", target, error)


def socket_mode_handler(app: App, app_token: str) -> Any:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token)
    quiet_slack_libraries()  # the Socket Mode client's loggers exist only from here on
    return handler


def start_purging(store: Store, interval: float = PURGE_INTERVAL_SECONDS) -> threading.Event:
    """Purge old question text now and then every `interval` seconds; set the event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                removed = store.purge()
                log.info("retention purge: %s", removed)
            except Exception as error:  # a failed purge is retried next round, never fatal
                log.error("retention purge failed: %s", type(error).__name__)
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
