"""Hostile connections against the Slack HTTP mode: is a signed event still acked quickly?

Starts a real `guidebot slack --http` process on loopback (its WebClient talks to a local fake
Slack Web API), measures the ack time of signed DM events with no other connections (the
baseline), then opens IDLE connections that send nothing and TRICKLE connections that send the
start of a request and then one byte every few seconds (each byte resets Waitress's idle
timeout), and measures the same acks again while they are open. Also counts how many hostile
connections the server cut off, and when. Bounded: loopback only, at most --seconds of attack.

    python benchmarks/bench_slack_connections.py [--idle 500] [--trickle 100] [--seconds 25]
"""

from __future__ import annotations

import argparse
import select
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bench_slack_load import SECRET  # noqa: E402 (benchmarks/)
from bot_process import free_port, start_bot  # noqa: E402
from latency import spread  # noqa: E402
from slack_fake import FakeSlack, event_body, post, sign  # noqa: E402
from tables import print_measures  # noqa: E402

TRICKLE_EVERY = 3.0  # seconds between a trickling client's bytes (Waitress's idle timeout is 20)
ACK_TARGET_MS = 1000.0


def ack_times(url: str, count: int, spacing: float, tag: str) -> list[float]:
    """Send `count` signed DM events one after another; the ack time of each, in ms."""
    times = []
    for i in range(count):
        event = {"type": "message", "channel_type": "im", "channel": f"D{i:09d}", "user": f"U{i:09d}",
                 "text": "kan jeg legge ut et bilde av kollegaen min?", "ts": f"1700000000.{i:06d}"}
        body = event_body(event, f"Ev{tag}{i:06d}")
        began = time.perf_counter()
        status, _ = post(url, body, sign(SECRET, body), timeout=10)
        times.append((time.perf_counter() - began) * 1000 if status == 200 else float("inf"))
        time.sleep(spacing)
    return times


class Hostiles:
    """IDLE and TRICKLE connections, watched from one thread that also sends the trickle."""

    def __init__(self, port: int, idle: int, trickle: int):
        self.opened = time.monotonic()
        self.idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle)]
        self.trickle = [socket.create_connection(("127.0.0.1", port)) for _ in range(trickle)]
        for s in self.trickle:
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        self.closed_at: dict[socket.socket, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        step = TRICKLE_EVERY / max(1, len(self.trickle))
        turn = 0
        while not self._stop.is_set():
            open_socks = [s for s in self.idle + self.trickle if s not in self.closed_at]
            readable, _, _ = select.select(open_socks, [], [], 0) if open_socks else ([], [], [])
            for s in readable:
                try:
                    if s.recv(4096) == b"":
                        self.closed_at[s] = time.monotonic() - self.opened
                except OSError:
                    self.closed_at[s] = time.monotonic() - self.opened
            if self.trickle:
                s = self.trickle[turn % len(self.trickle)]
                turn += 1
                if s not in self.closed_at:
                    try:
                        s.send(b"x")
                    except OSError:
                        self.closed_at[s] = time.monotonic() - self.opened
            self._stop.wait(step)

    def cut(self, group: list[socket.socket]) -> list[float]:
        return sorted(self.closed_at[s] for s in group if s in self.closed_at)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for s in self.idle + self.trickle:
            s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--trickle", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=25.0, help="how long the attack lasts")
    parser.add_argument("--events", type=int, default=20, help="events measured in the baseline")
    args = parser.parse_args()
    if args.idle + args.trickle > 5000 or args.seconds > 120:
        raise SystemExit("bounded: at most 5000 connections and 120 s")

    fake = FakeSlack().start()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = start_bot(fake.api_url, SECRET, Path(folder) / "conn.sqlite3", port)
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            baseline = ack_times(url, args.events, 0.05, "BASE")
            hostiles = Hostiles(port, args.idle, args.trickle)
            try:
                time.sleep(0.5)  # all connections accepted
                under_attack: list[float] = []
                ends = time.monotonic() + args.seconds
                while time.monotonic() < ends:
                    under_attack += ack_times(url, 1, 0.0, f"ATT{len(under_attack)}")
                    time.sleep(0.5)
                idle_cut, trickle_cut = hostiles.cut(hostiles.idle), hostiles.cut(hostiles.trickle)
            finally:
                hostiles.close()
            after = ack_times(url, args.events, 0.05, "AFTER")
        finally:
            process.terminate()
            process.wait(timeout=10)
            fake.stop()

    within = sum(t <= ACK_TARGET_MS for t in under_attack)
    print(f"Slack HTTP mode with {args.idle} idle and {args.trickle} trickling connections "
          f"(1 byte every {TRICKLE_EVERY:g} s) for {args.seconds:g} s, loopback\n")
    print_measures([
        ("baseline: ack p50 / p99 / max ms (no hostile connections)", spread(baseline)),
        ("under attack: ack p50 / p99 / max ms", spread(under_attack)),
        ("under attack: acked within 1 s", f"{within} / {len(under_attack)}"),
        ("under attack: max ack / baseline max", f"{max(under_attack) / max(baseline):.1f}x"),
        ("trickling connections cut off", f"{len(trickle_cut)} / {args.trickle}"
         + (f" (after {trickle_cut[0]:.1f}–{trickle_cut[-1]:.1f} s)" if trickle_cut else "")),
        ("idle connections cut off", f"{len(idle_cut)} / {args.idle}"
         + (f" (after {idle_cut[0]:.1f}–{idle_cut[-1]:.1f} s)" if idle_cut else "")),
        ("after the attack: ack p50 / p99 / max ms", spread(after)),
    ])
    print(f"\ntarget: every ack under attack within {ACK_TARGET_MS:.0f} ms: "
          + ("met" if within == len(under_attack) else "NOT met"))


if __name__ == "__main__":
    main()
