"""Load on the Slack HTTP mode: N signed events, sent concurrently at a fixed rate over loopback
to a real `guidebot slack --http` process whose WebClient talks to a local fake Slack Web API.

Prints one table: acks/s, ack latency p50/p99/max, answers posted, duplicates and losses; 10% of
the events are also re-sent as Slack retries (same event_id, X-Slack-Retry-Num) to exercise
de-duplication under load. Baseline in the same run: GET /healthz at the same rate (the bare
HTTP round trip of the same server), so the ack cost can be read as a ratio.

    python benchmarks/bench_slack_load.py [--events 200] [--rate 50]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from slack_fake import FakeSlack, event_body, post, sign  # noqa: E402
from tables import print_measures  # noqa: E402 (benchmarks/, the script's own folder)

from bot.evaluation import load_questions  # noqa: E402

SECRET = "load-test-signing-secret"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_bot(fake: FakeSlack, db: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-load", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.api_url, "GUIDEBOT_DB": str(db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "slack", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("guidebot slack --http did not start: " + process.stderr.read().decode()[-2000:])


def paced(count: int, rate: float, send) -> tuple[list[float], float]:
    """Call send(i) for i in range(count), started at `rate` per second; return latencies (ms)."""
    latencies: list[float] = [0.0] * count
    start = time.perf_counter()

    def one(i: int) -> None:
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        began = time.perf_counter()
        send(i)
        latencies[i] = (time.perf_counter() - began) * 1000

    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(one, range(count)))
    return latencies, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    args = parser.parse_args()

    questions = [q.question for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    fake = FakeSlack().start()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = start_bot(fake, Path(folder) / "load.sqlite3", port)
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            health_url = f"http://127.0.0.1:{port}/healthz"

            def health(_: int) -> None:
                with urllib.request.urlopen(health_url, timeout=10) as response:
                    response.read()

            base_latencies, _ = paced(args.events, args.rate, health)

            statuses: list[int] = [0] * args.events
            retry_statuses: list[int] = []

            def send(i: int) -> None:
                event = {"type": "message", "channel_type": "im", "channel": f"D{i:09d}", "user": f"U{i:09d}",
                         "text": questions[i % len(questions)], "ts": f"1700000000.{i:06d}"}
                body = event_body(event, f"EvLOAD{i:06d}")
                statuses[i] = post(url, body, sign(SECRET, body))[0]
                if i % 10 == 0:  # Slack retrying this one
                    headers = sign(SECRET, body) | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
                    retry_statuses.append(post(url, body, headers)[0])

            fake.reset()
            latencies, elapsed = paced(args.events, args.rate, send)
            deadline = time.monotonic() + 30
            while len(fake.calls_to("chat.postMessage")) < args.events and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # let any duplicate arrive before counting
            posted = fake.calls_to("chat.postMessage")
        finally:
            process.terminate()
            process.wait(timeout=10)
            fake.stop()

    channels = [p["channel"] for p in posted]
    unique = set(channels)
    acked = sum(s == 200 for s in statuses)
    p99, base_p99 = percentile(latencies, 0.99), percentile(base_latencies, 0.99)
    print(f"Slack HTTP mode under load: {args.events} events at {args.rate:g}/s "
          f"(+{len(retry_statuses)} Slack retries), loopback, fake Web API\n")
    rows = [
        ("events acked 200", f"{acked} / {args.events}"),
        ("retries acked 200", f"{sum(s == 200 for s in retry_statuses)} / {len(retry_statuses)}"),
        ("acks/s", f"{acked / elapsed:.1f}"),
        ("ack p50 ms", f"{statistics.median(latencies):.1f}"),
        ("ack p99 ms", f"{p99:.1f}"),
        ("ack max ms", f"{max(latencies):.1f}"),
        ("baseline GET /healthz p50 / p99 ms", f"{statistics.median(base_latencies):.1f} / {base_p99:.1f}"),
        ("ack p99 / baseline p99", f"{p99 / base_p99:.1f}x"),
        ("answers posted", f"{len(posted)}"),
        ("duplicates", f"{len(channels) - len(unique)}"),
        ("lost", f"{args.events - len(unique)}"),
    ]
    print_measures(rows)


if __name__ == "__main__":
    main()
