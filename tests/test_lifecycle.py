"""Start-up and shutdown helpers: the heartbeat follows the bot's real state (Socket Mode:
only while connected), `check_health` reads it without creating anything, and a stop signal
ends the loop with the workers drained."""

from __future__ import annotations

import threading
import time

from bot.adapters.slack.server import HttpServer, serve_socket_mode_until_stopped
from bot.lifecycle import Heartbeat, StopSignal, check_health
from bot.log.store import Store
from bot.outbox import Outbox, OutboxWorkers


class SocketModeClient:
    """Just what the loop asks of slack_sdk's SocketModeClient."""

    def __init__(self, connected: bool):
        self.connected = connected

    def is_connected(self) -> bool:
        return self.connected


class SocketModeHandler:
    """Just what the loop asks of Bolt's SocketModeHandler, once connected: client, close."""

    def __init__(self, connected: bool):
        self.client = SocketModeClient(connected)
        self.closed = False

    def close(self) -> None:
        self.closed = True


def run_socket_mode(tmp_path, connected: bool):
    store = Store(tmp_path / "db.sqlite3")
    workers = OutboxWorkers(Outbox(store), threads=1).start()
    heartbeat = Heartbeat(tmp_path / "bot.heartbeat", "socket")
    stop = StopSignal()
    handler = SocketModeHandler(connected)
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(serve_socket_mode_until_stopped(handler, workers, heartbeat, stop, 1.0))
    )
    thread.start()
    time.sleep(0.3)
    beating = heartbeat.path.exists()
    healthy = check_health(heartbeat.path)
    stop.event.set()
    thread.join(timeout=10)
    store.close()
    return beating, healthy, handler, result, heartbeat


def test_socket_mode_beats_only_while_connected_and_stops_cleanly(tmp_path):
    beating, (healthy, why), handler, result, heartbeat = run_socket_mode(tmp_path, connected=True)
    assert beating and healthy and "socket mode" in why
    assert handler.closed and result == [0] and not heartbeat.path.exists()

    beating, (healthy, why), *_ = run_socket_mode(tmp_path / "down", connected=False)
    assert not beating and not healthy and "not running" in why


def test_a_stale_heartbeat_or_a_dead_healthz_is_unhealthy(tmp_path):
    import os

    path = tmp_path / "bot.heartbeat"
    Heartbeat(path, "socket").beat()
    os.utime(path, (time.time() - 120, time.time() - 120))
    healthy, why = check_health(path)
    assert not healthy and "old" in why

    import socket

    from slack_bolt import App

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}/healthz"
    Heartbeat(path, "http", dead_url).beat()
    healthy, why = check_health(path)
    assert not healthy and "does not answer" in why  # the file is fresh, the server is gone

    server = HttpServer(App(signing_secret="s", token="xoxb-1", token_verification_enabled=False), "127.0.0.1", 0, "s")
    url = f"http://127.0.0.1:{server.port}/healthz"
    Heartbeat(path, "http", url).beat()
    server.start()
    try:
        healthy, why = check_health(path)
        assert healthy and url in why
    finally:
        server.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.heartbeat"]  # nothing else created
