"""Acknowledged questions across a crash and a deploy: a real `guidebot slack --http` process is
sent a burst (DMs and slash commands at a fixed rate) against a fake Slack Web API that takes
150 ms a call, and in the middle of the burst it is killed (kill -9) or stopped (SIGTERM, as
`docker stop` and every deploy do), then started again on the same port and database, with the
shipped settings (lease 15 s, drain 8 s, 32 workers).

Like Slack, the sender re-sends every event that got no 200 (X-Slack-Retry-Num) once the bot is
back; a slash command that got no 200 is a failure the person sees (Slack does not retry those).
Counts, per scenario: acked, answered exactly once, lost (acked, never answered), duplicated
(a DM answered twice; a slash command's second attempt replaces the first, so it is counted
apart), the question log's rows, and how long recovery took. Baseline in the same run: the same
burst with no interruption.

    python benchmarks/bench_slack_crash.py [--rate 50] [--seconds 6]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bot_process import free_port, start_bot  # noqa: E402
from slack_fake import FakeSlack, event_body, post, sign  # noqa: E402

from bot.evaluation import load_questions  # noqa: E402
from bot.smalltalk import reply_to  # noqa: E402

SECRET = "crash-bench-signing-secret"


def request(i: int, text: str, fake: FakeSlack, retry: bool = False) -> tuple[str, dict[str, str], str]:
    """(body, headers, content type) of request i: every tenth a slash command, else a DM."""
    if i % 10 == 5:
        fields = {"command": "/retningslinjer", "text": text, "user_id": f"U{i:09d}", "channel_id": "C0GENERAL1",
                  "team_id": "T0BATSFJ01", "token": "unused", "response_url": fake.response_url(f"s{i}"),
                  "trigger_id": f"{i}.1"}
        body = urllib.parse.urlencode(fields)
        return body, sign(SECRET, body), "application/x-www-form-urlencoded"
    event = {"type": "message", "channel_type": "im", "channel": f"D{i:09d}", "user": f"U{i:09d}", "text": text,
             "ts": f"1700000000.{i:06d}"}
    body = event_body(event, f"EvCRASH{i:06d}")
    headers = sign(SECRET, body)
    if retry:
        headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    return body, headers, "application/json"


def scenario(how: str, rate: float, seconds: float, questions: list[str]) -> dict[str, str]:
    fake = FakeSlack(latency=0.15).start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/slack/events"
    count = int(rate * seconds)
    statuses: list[int] = [0] * count
    stop_info: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "crash.sqlite3"
        processes = [start_bot(fake.api_url, SECRET, db, port)]

        def interrupt() -> None:
            time.sleep(seconds / 2)
            first = processes[0]
            began = time.monotonic()
            if how == "kill -9":
                first.kill()
            else:
                first.send_signal(signal.SIGTERM)
            stop_info["exit code"] = first.wait(timeout=60)
            stop_info["stop s"] = time.monotonic() - began
            restarted = time.monotonic()
            processes.append(start_bot(fake.api_url, SECRET, db, port))
            stop_info["restart at"] = restarted
            stop_info["down s"] = time.monotonic() - began

        controller = threading.Thread(target=interrupt) if how != "none" else None
        if controller:
            controller.start()
        start = time.perf_counter()

        def send(i: int) -> None:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body, headers, content_type = request(i, questions[i % len(questions)], fake)
            try:
                statuses[i] = post(url, body, headers, content_type, timeout=5)[0]
            except OSError:
                statuses[i] = 0  # connection refused or reset: the bot was down

        with concurrent.futures.ThreadPoolExecutor(max_workers=128) as pool:
            list(pool.map(send, range(count)))
        if controller:
            controller.join()
        # Slack re-sends the events it got no 200 for; slash commands it does not.
        unacked_events = [i for i in range(count) if statuses[i] != 200 and i % 10 != 5]
        retried = 0
        for i in unacked_events:
            body, headers, content_type = request(i, questions[i % len(questions)], fake, retry=True)
            retried += post(url, body, headers, content_type, timeout=5)[0] == 200
        acked = {i for i in range(count) if statuses[i] == 200} | set(unacked_events if retried else [])
        where = {i: f"response/s{i}" if i % 10 == 5 else f"D{i:09d}" for i in acked}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            seen = {p["channel"] for m, p, _ in fake.timed_calls() if m == "chat.postMessage"}
            seen |= {m for m, _, _ in fake.timed_calls() if m.startswith("response/")}
            if set(where.values()) <= seen:
                break
            time.sleep(0.2)
        time.sleep(1.5)  # let any duplicate arrive
        calls = fake.timed_calls()
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        fake.stop()
        with sqlite3.connect(db) as connection:
            logged = connection.execute("SELECT count(*) FROM questions").fetchone()[0]
            left = connection.execute("SELECT count(*) FROM outbox").fetchone()[0]

    posts: dict[str, list[tuple[dict, float]]] = {}
    for method, params, at in calls:
        key = params.get("channel") if method == "chat.postMessage" else method if method.startswith("response/") else None
        if key:
            posts.setdefault(key, []).append((params, at))
    answered_once = sum(len(posts.get(w, [])) == 1 for w in where.values())
    lost = [w for w in where.values() if w not in posts]
    dm_dupes = sum(len(posts.get(w, [])) - 1 for w in where.values() if w.startswith("D") and w in posts)
    slash_twice = sum(len(posts.get(w, [])) - 1 for w in where.values() if w.startswith("response/") and w in posts)
    last_answer = max((at for w in where.values() for _, at in posts.get(w, [])), default=0.0)
    slash_failed = sum(statuses[i] != 200 for i in range(count) if i % 10 == 5)
    row = {
        "requests sent (10% slash)": f"{count}",
        "acked at first try": f"{sum(s == 200 for s in statuses)}",
        "events re-sent by 'Slack' and acked": f"{retried} / {len(unacked_events)}",
        "slash commands not acked (bot down)": f"{slash_failed}",
        "acked questions answered": f"{len(where) - len(lost)} / {len(where)}",
        "lost": f"{len(lost)}",
        "DM answered twice": f"{dm_dupes}",
        "half-sent rows looked up in the conversation before re-sending": str(sum(
            1 for m, _, _ in calls if m in ("conversations.history", "conversations.replies"))),
        "slash answer sent twice (second replaces the first)": f"{slash_twice}",
        "answered exactly once": f"{answered_once}",
        # Small talk ("hei", "takk for hjelpen!" are in the question set) is answered, not logged.
        "question log rows / answered questions (not small talk)": f"{logged} / " + str(sum(
            1 for i, w in where.items() if w in posts and reply_to(questions[i % len(questions)]) is None)),
        "outbox rows left": f"{left}",
    }
    if how != "none":
        row["exit code / time to exit s"] = f"{stop_info['exit code']:.0f} / {stop_info['stop s']:.1f}"
        row["down (stop → healthy again) s"] = f"{stop_info['down s']:.1f}"
        row["last answer after restart s"] = f"{max(0.0, last_answer - stop_info['restart at']):.1f}"
    else:
        row["exit code / time to exit s"] = "–"
        row["down (stop → healthy again) s"] = "–"
        row["last answer after restart s"] = "–"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    questions = [q.question for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    names = ["none", "kill -9", "SIGTERM"]
    results = [scenario(name, args.rate, args.seconds, questions) for name in names]
    print(f"Crash and deploy mid-burst: {args.rate:g} requests/s for {args.seconds:g} s, interrupted half-way, "
          "fake Web API 150 ms a call, restarted on the same port and database\n")
    print("| measure | no interruption (baseline) | kill -9 | SIGTERM |")
    print("|---|---|---|---|")
    for name in results[0]:
        print(f"| {name} | " + " | ".join(r[name] for r in results) + " |")


if __name__ == "__main__":
    main()
