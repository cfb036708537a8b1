"""A real `guidebot slack --http` process for tests and benchmarks, pointed at a fake Slack; and
waiting for any guidebot server process to answer /healthz (the Teams process uses it too)."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_environment() -> dict[str, str]:
    """This process's environment without Slack or guidebot settings, but with the embedding
    cache named in GUIDEBOT_CACHE_DIR (the test session's, conftest), the knowledge embedded in
    it first: embedding it cold takes longer than a bot process's start-up wait on a fresh
    machine, whichever test starts one first."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GUIDEBOT_"))}
    cache = os.environ.get("GUIDEBOT_CACHE_DIR")
    if cache:
        _embed_knowledge(cache)
        environment["GUIDEBOT_CACHE_DIR"] = cache
    return environment


@functools.cache
def _embed_knowledge(cache: str) -> None:
    from bot.knowledge import load_knowledge
    from bot.matching.index import Index

    Index.from_knowledge(load_knowledge(ROOT / "knowledge"))


def start_bot(api_url: str, secret: str, db: Path, port: int, **env: str) -> subprocess.Popen:
    """Start the bot and wait until /healthz answers; stderr is kept in a file beside the db."""
    environment = {
        **bot_environment(),
        "SLACK_BOT_TOKEN": "xoxb-process", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": api_url,
        "GUIDEBOT_DB": str(db), "GUIDEBOT_HEARTBEAT": str(db.with_suffix(".heartbeat")), **env,
    }
    log = open(db.with_suffix(f".{port}.{time.time_ns()}.log"), "wb")  # noqa: SIM115 (lives with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "slack", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=environment, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    process.log_path = Path(log.name)  # type: ignore[attr-defined]
    wait_until_healthy(process, port, Path(log.name), "guidebot slack --http")
    return process


def wait_until_healthy(process: subprocess.Popen, port: int, log_path: Path, name: str,
                       timeout: float = 60.0) -> None:
    """Return once GET /healthz on `port` answers 200; else kill the process and raise
    RuntimeError with the end of its log (it exited, or did not start within `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: " + log_path.read_text()[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"{name} did not start: " + log_path.read_text()[-2000:])
