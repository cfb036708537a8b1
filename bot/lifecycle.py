"""Running as a service: stop cleanly on SIGTERM, and say whether we are healthy.

- `StopSignal`: SIGTERM (docker stop, systemd, Kubernetes) and Ctrl-C set an event the main
  loop waits on, so the bot can stop accepting, drain its outbox for a bounded time and exit 0.
  As PID 1 in a container a process gets no default SIGTERM handling at all; this is it.
- `Heartbeat`: while the bot is really working (workers alive, Slack connected), its main loop
  rewrites a small file every `HEARTBEAT_SECONDS`; `check_health` (the `guidebot health`
  command, the Docker HEALTHCHECK) reads it, creating nothing, and in HTTP mode also asks the
  server's /healthz, whose address the file names.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.env import optional_env

HEARTBEAT_SECONDS = 10.0
HEARTBEAT_STALE_SECONDS = 3 * HEARTBEAT_SECONDS
DEFAULT_DRAIN_SECONDS = 8.0  # docker stop waits 10 s before SIGKILL


def heartbeat_path() -> Path:
    """GUIDEBOT_HEARTBEAT, else guidebot-<uid>.heartbeat in the temporary folder."""
    configured = optional_env("GUIDEBOT_HEARTBEAT")
    if configured:
        return Path(configured)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"guidebot-{uid}.heartbeat"


class StopSignal:
    """Set by SIGTERM or SIGINT; `wait(seconds)` is True once it is."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name = ""

    def install(self) -> StopSignal:
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, _frame: object) -> None:
        self.signal_name = signal.Signals(number).name
        self.event.set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


class Heartbeat:
    """The file that says "alive and working"; `beat()` rewrites it atomically."""

    def __init__(self, path: Path, mode: str, url: str = ""):
        self.path = path
        self.mode = mode
        self.url = url

    def beat(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps({"pid": os.getpid(), "mode": self.mode, "url": self.url}), encoding="utf-8")
        os.replace(temporary, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def check_health(path: Path, stale_after: float = HEARTBEAT_STALE_SECONDS, timeout: float = 3.0) -> tuple[bool, str]:
    """(healthy, one line saying why). Reads the heartbeat file; creates nothing."""
    try:
        age = time.time() - path.stat().st_mtime
        beat = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: guidebot is not running (or not yet connected)"
    except (OSError, ValueError) as error:
        return False, f"cannot read the heartbeat {path}: {error}"
    if age > stale_after:
        return False, f"the last heartbeat is {age:.0f} s old (over {stale_after:.0f} s): guidebot is stuck or gone"
    url = beat.get("url") if isinstance(beat, dict) else None
    if url:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                if response.status != 200:
                    return False, f"{url} answered HTTP {response.status}"
        except (OSError, urllib.error.URLError) as error:
            return False, f"{url} does not answer: {getattr(error, 'reason', error)}"
    mode = beat.get("mode", "?") if isinstance(beat, dict) else "?"
    return True, f"ok: {mode} mode, heartbeat {age:.0f} s ago" + (f", {url} answers" if url else "")
