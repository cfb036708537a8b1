"""Load on the Teams app: N signed message activities, sent concurrently at a fixed rate over
loopback to a real `guidebot teams` process whose Bot Connector, Entra and Graph are local fakes
(`tests/teams_fake.py`), the connector answering each call after a fixed latency (150 ms, about
what a bot in Norway sees from Microsoft's European regions).

The Teams app answers inside the request (typing indicator, member lookup, Graph, the answer
card), so the HTTP round trip *is* the time to answer. Prints one table: answer p50/p99/max,
answers posted, duplicates and losses; 10% of the activities are re-sent with the same id (the
Bot Connector's retries) to exercise de-duplication under load. Baselines in the same run:
GET /healthz at the same rate (the bare round trip of the same server) and the floor the
connector latency alone puts under an answer (3 sequential connector calls).

    python benchmarks/bench_teams_load.py [--activities 200] [--rate 50] [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from latency import healthz_round_trips, paced, percentile, spread  # noqa: E402
from tables import print_measures  # noqa: E402
from teams_fake import BOT_ID, TENANT, FakeMicrosoft, post  # noqa: E402
from teams_harness import TeamsProcess, teams_env  # noqa: E402

from bot.evaluation import load_questions  # noqa: E402

CONNECTOR_CALLS_PER_ANSWER = 2  # member lookup (typing and Graph meanwhile), then the answer


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def activity(fake: FakeMicrosoft, i: int, text: str) -> dict:
    user = f"29:load-{i:06d}"
    return {
        "type": "message", "id": f"17000000{i:06d}", "serviceUrl": fake.service_url, "channelId": "msteams",
        "from": {"id": user, "name": f"Tester {i}", "aadObjectId": f"00000000-0000-4000-8000-{i:012d}"},
        "conversation": {"id": f"a:load-{i:06d}", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": BOT_ID, "name": "guidebot"}, "text": text, "textFormat": "plain",
        "channelData": {"tenant": {"id": TENANT}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="activities per second")
    parser.add_argument("--latency-ms", type=float, default=150.0, help="the fake connector's latency")
    args = parser.parse_args()

    questions = [q.question for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    members = {f"29:load-{i:06d}": {"id": f"29:load-{i:06d}", "email": f"tester{i}@kommune.example"}
               for i in range(args.activities)}
    fake = FakeMicrosoft(members=members).start()
    with tempfile.TemporaryDirectory() as folder:
        # The machine's environment (the embedding model among it) plus the fake's settings.
        app = TeamsProcess({**os.environ, **teams_env(fake, Path(folder) / "load.sqlite3")}).start()
        url = app.url
        try:
            base_latencies = healthz_round_trips(app.port, args.activities, args.rate)
            token = fake.activity_token(expires_in=3600)
            headers = {"Authorization": f"Bearer {token}"}
            # One warm-up activity (first token from Entra, first signing-key fetch), not counted.
            post(url, json.dumps(activity(fake, args.activities + 1, "hei")), headers)
            fake.reset()
            fake.latency = args.latency_ms / 1000

            statuses: list[int] = [0] * args.activities
            retry_statuses: list[int] = []

            def send(i: int) -> None:
                body = json.dumps(activity(fake, i, questions[i % len(questions)]))
                statuses[i] = post(url, body, headers, timeout=30)[0]
                if i % 10 == 0:  # the Bot Connector retrying this one
                    retry_statuses.append(post(url, body, headers, timeout=30)[0])

            cpu_before = cpu_seconds(app.process.pid)
            latencies, elapsed = paced(args.activities, args.rate, send)
            cpu = cpu_seconds(app.process.pid) - cpu_before
            time.sleep(1.0)  # let any duplicate arrive before counting
            posted = [p for p in fake.posted() if p.get("attachments")]
        finally:
            app.stop()
            fake.stop()

    conversations = [p["conversation"]["id"] for p in posted]
    unique = set(conversations)
    answered = sum(s == 200 for s in statuses)
    p99 = percentile(latencies, 0.99)
    floor = CONNECTOR_CALLS_PER_ANSWER * args.latency_ms
    print(f"Teams app under load: {args.activities} activities at {args.rate:g}/s "
          f"(+{len(retry_statuses)} Bot Connector retries), loopback, fake connector "
          f"with {args.latency_ms:g} ms latency\n")
    rows = [
        ("activities answered 200", f"{answered} / {args.activities}"),
        ("retries answered 200", f"{sum(s == 200 for s in retry_statuses)} / {len(retry_statuses)}"),
        ("activities/s", f"{answered / elapsed:.1f}"),
        ("answer p50 ms", f"{statistics.median(latencies):.0f}"),
        ("answer p99 ms", f"{p99:.0f}"),
        ("answer max ms", f"{max(latencies):.0f}"),
        (f"floor: {CONNECTOR_CALLS_PER_ANSWER} connector calls x {args.latency_ms:g} ms", f"{floor:.0f}"),
        ("answer p99 - floor ms", f"{p99 - floor:.0f}"),
        ("baseline GET /healthz p50 / p99 ms", spread(base_latencies, maximum=False)),
        ("bot CPU per activity ms (of 2 cores shared with client and fakes)",
         f"{cpu * 1000 / (args.activities + len(retry_statuses)):.1f}"),
        ("answers posted", f"{len(posted)}"),
        ("duplicates", f"{len(conversations) - len(unique)}"),
        ("lost", f"{args.activities - len(unique)}"),
    ]
    print_measures(rows)


if __name__ == "__main__":
    main()
