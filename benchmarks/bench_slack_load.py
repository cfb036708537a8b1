"""Load on the Slack HTTP mode: signed events sent at a fixed rate over loopback to a real
`guidebot slack --http` process whose WebClient talks to a local fake Slack Web API, once with
a Web API that answers at once (the baseline) and once with realistic latency (150 ms a call).

Every tenth request is a slash command (answered through its response_url), the rest DMs from
distinct people (so every answer needs users.info as well as chat.postMessage: the worst case
for the users.info cache); 10% of the DMs are also re-sent as Slack retries (same event_id,
X-Slack-Retry-Num) to exercise de-duplication under load. Measures acks (Slack's 3 s rule),
answer time from sending to the answer reaching the fake, slash-command failures, duplicates and
losses. GET /healthz at the same rate gives the bare HTTP round trip of the same server.

    python benchmarks/bench_slack_load.py [--rate 50] [--seconds 20] [--latency 0,0.15]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bot_process import free_port, start_bot  # noqa: E402
from latency import healthz_round_trips, paced, spread  # noqa: E402
from slack_fake import FakeSlack, event_body, post, sign  # noqa: E402

from bot.evaluation import load_questions  # noqa: E402

SECRET = "load-test-signing-secret"
SLACK_ACK_LIMIT_S = 3.0


def run(latency: float, count: int, rate: float, questions: list[str]) -> dict[str, str]:
    fake = FakeSlack(latency=latency).start()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = start_bot(fake.api_url, SECRET, Path(folder) / "load.sqlite3", port)
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            base_latencies = healthz_round_trips(port, min(count, 200), rate)
            statuses: list[int] = [0] * count
            sent_at: list[float] = [0.0] * count
            retry_statuses: list[int] = []

            def send(i: int) -> None:
                sent_at[i] = time.monotonic()
                text = questions[i % len(questions)]
                if i % 10 == 5:
                    fields = {"command": "/retningslinjer", "text": text, "user_id": f"U{i:09d}",
                              "channel_id": "C0GENERAL1", "team_id": "T0BATSFJ01", "token": "unused",
                              "response_url": fake.response_url(f"s{i}"), "trigger_id": f"{i}.1"}
                    body = urllib.parse.urlencode(fields)
                    statuses[i] = post(url, body, sign(SECRET, body), "application/x-www-form-urlencoded")[0]
                    return
                event = {"type": "message", "channel_type": "im", "channel": f"D{i:09d}", "user": f"U{i:09d}",
                         "text": text, "ts": f"1700000000.{i:06d}"}
                body = event_body(event, f"EvLOAD{i:06d}")
                statuses[i] = post(url, body, sign(SECRET, body))[0]
                if i % 10 == 0:  # Slack retrying this one
                    headers = sign(SECRET, body) | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
                    retry_statuses.append(post(url, body, headers)[0])

            fake.reset()
            latencies, elapsed = paced(count, rate, send)
            expected = {f"D{i:09d}" if i % 10 != 5 else f"response/s{i}": i for i in range(count)}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done = {p["channel"] for m, p, _ in fake.timed_calls() if m == "chat.postMessage"}
                done |= {m for m, _, _ in fake.timed_calls() if m.startswith("response/")}
                if len(done & set(expected)) >= count:
                    break
                time.sleep(0.2)
            time.sleep(1.0)  # let any duplicate arrive before counting
            calls = fake.timed_calls()
        finally:
            process.terminate()
            process.wait(timeout=30)
            fake.stop()

    answered: dict[str, list[float]] = {}
    for method, params, at in calls:
        where = params.get("channel") if method == "chat.postMessage" else method if method.startswith("response/") else None
        if where in expected:
            answered.setdefault(where, []).append(at)
    answer_s = [min(times) - sent_at[expected[w]] for w, times in answered.items()]
    slash = [i for i in range(count) if i % 10 == 5]
    slash_failed = sum(statuses[i] != 200 or latencies[i] / 1000 > SLACK_ACK_LIMIT_S for i in slash)
    dm_duplicates = sum(len(t) - 1 for w, t in answered.items() if w.startswith("D"))
    acked = sum(s == 200 for s in statuses)
    return {
        "requests acked 200 (DMs + slash)": f"{acked} / {count}",
        "Slack retries acked 200": f"{sum(s == 200 for s in retry_statuses)} / {len(retry_statuses)}",
        "acks/s": f"{acked / elapsed:.1f}",
        "ack p50 / p99 / max ms": spread(latencies),
        "baseline GET /healthz p50 / p99 ms": spread(base_latencies, maximum=False),
        "slash commands failed (not 200 within 3 s)": f"{slash_failed} / {len(slash)}",
        "answer p50 / p99 / max ms (sent → answer at Slack)": spread(answer_s, digits=0, scale=1000),
        "answers": f"{len(answered)} / {count}",
        "duplicate answers (DMs)": f"{dm_duplicates}",
        "lost": f"{count - len(answered)}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to send")
    parser.add_argument("--latency", default="0,0.15", help="Web API latencies to run, in seconds, comma-separated")
    args = parser.parse_args()
    latencies = [float(x) for x in args.latency.split(",")]
    count = int(args.rate * args.seconds)
    questions = [q.question for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    results = [run(latency, count, args.rate, questions) for latency in latencies]
    print(f"Slack HTTP mode under load: {count} requests at {args.rate:g}/s for {args.seconds:g} s "
          "(10% slash commands, 10% of DMs re-sent as Slack retries), loopback, fake Web API\n")
    print("| measure | " + " | ".join(f"Web API {x * 1000:g} ms" for x in latencies) + " |")
    print("|---|" + "---|" * len(latencies))
    for name in results[0]:
        print(f"| {name} | " + " | ".join(r[name] for r in results) + " |")


if __name__ == "__main__":
    main()
