"""A local fake of the Slack Web API (and of response_url) for tests and the load benchmark.

A stdlib ThreadingHTTPServer on loopback, like bolt-python's own test servers: it answers the
methods guidebot calls with Slack-shaped JSON and records every call, so tests can assert what
was posted. `fail_next` makes the next call to a method fail (HTTP status, body, headers), to
test rate limits (429 with Retry-After) and failures inside handlers; `hold` keeps a method's
answer back until released, to see who waits for it. `latency` makes every call take that long
(the real Web API takes ~100-300 ms); a call is recorded *after* the wait, as Slack would have
acted on it even if the caller died meanwhile. Posted messages, with their metadata, can be read
back (`conversations.history`, `conversations.replies`). Also signs requests the way Slack does
(`sign`) for sending events to the app under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

BOT_USER = "U0BOT00001"
TEAM = "T0BATSFJ01"


class FakeSlack:
    def __init__(self, emails: dict[str, str] | None = None, latency: float = 0.0):
        self.emails = emails or {}  # Slack user id -> e-mail, for users.info
        self.latency = latency
        self.messages: dict[str, list[dict]] = {}  # channel -> messages posted, oldest first
        self.calls: list[tuple[str, dict]] = []
        self.called_at: list[float] = []  # time.monotonic() of each call in `calls`
        self.attempts: dict[str, int] = {}
        self.fail_next: dict[str, list[tuple[int, dict, dict]]] = {}
        self.hold: dict[str, threading.Event] = {}  # a method waits (≤ 10 s) until its event is set
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ts = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                parsed = urlparse(self.path)
                fake._handle(self, parsed.path, dict(parse_qsl(parsed.query)))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                if self.path.startswith("/upload/"):
                    params = {"raw": raw}  # a file's bytes, as files_upload_v2 sends them
                elif "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = dict(parse_qsl(raw))
                    for key in ("blocks", "view", "attachments"):
                        if isinstance(params.get(key), str):
                            params[key] = json.loads(params[key])
                fake._handle(self, urlparse(self.path).path, params)

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # a burst of connections must not be refused

            def handle_error(self, request, client_address):  # a caller killed mid-call: not our error
                import sys

                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/response/{name}"

    # -- what was called

    def timed_calls(self) -> list[tuple[str, dict, float]]:
        with self._lock:
            return [(name, params, at) for (name, params), at in zip(self.calls, self.called_at, strict=True)]

    def calls_to(self, method: str) -> list[dict]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [params for name, params in self.calls if name == method]
                if len(found) >= count or time.monotonic() >= deadline:
                    return found
                self._changed.wait(timeout=max(0.0, deadline - time.monotonic()))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.called_at.clear()
            self.attempts.clear()

    # -- the API

    def _handle(self, handler: BaseHTTPRequestHandler, path: str, params: dict) -> None:
        method = path.removeprefix("/api/") if path.startswith("/api/") else path.lstrip("/")
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.attempts[method] = self.attempts.get(method, 0) + 1
            queued = self.fail_next.get(method)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            status, body, headers = failure
            self._send(handler, status, body, headers)
            return
        if method in self.hold:
            self.hold[method].wait(timeout=10)
        body = self._respond(method, params)
        with self._changed:
            self.calls.append((method, params))
            self.called_at.append(time.monotonic())
            self._changed.notify_all()
        self._send(handler, 200, body, {})

    def _respond(self, method: str, params: dict) -> dict:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://batsfjord.slack.com/",
                "team": "Båtsfjord",
                "user": "guidebot",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "B0BOT00001",
            }
        if method == "users.info":
            user = params.get("user", "")
            if user not in self.emails:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "profile": {"email": self.emails[user]}}}
        if method in ("chat.postMessage", "chat.update"):
            with self._lock:
                self._ts += 1
                ts = f"{time.time():.0f}.{self._ts:06d}"
                if method == "chat.postMessage":
                    self.messages.setdefault(str(params.get("channel")), []).append(
                        {"ts": ts, "thread_ts": params.get("thread_ts"), "text": params.get("text"),
                         "metadata": params.get("metadata")}
                    )
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": params.get("ts") or ts,
                "message": {"text": params.get("text"), "ts": ts},
            }
        if method in ("conversations.history", "conversations.replies"):
            oldest = float(params.get("oldest") or 0)
            with self._lock:
                found = [
                    {key: value for key, value in m.items() if value is not None}
                    for m in self.messages.get(str(params.get("channel")), [])
                    if float(m["ts"]) >= oldest
                    and (method == "conversations.history" or m["thread_ts"] == params.get("ts"))
                ]
            return {"ok": True, "messages": found[::-1] if method == "conversations.history" else found}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))[1:]}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": "1700000001.000001"}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.base}/upload/F0001", "file_id": "F0001"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0001", "title": params.get("files")}]}
        return {"ok": True}

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict, headers: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: X-Slack-Request-Timestamp and the v0 HMAC signature."""
    return sign_bytes(secret, body.encode(), timestamp)


def sign_bytes(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """`sign` for a body of any bytes (not UTF-8, say)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def post(
    url: str, body: str | bytes, headers: dict[str, str], content_type: str = "application/json", timeout: float = 10.0
) -> tuple[int, str]:
    """POST and return (status, body text), for any status."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def event_body(event: dict, event_id: str) -> str:
    return json.dumps(
        {
            "token": "unused",
            "team_id": TEAM,
            "api_app_id": "A0GUIDEBOT",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    )
