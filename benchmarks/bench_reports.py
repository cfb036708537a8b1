"""Question log and reports at scale: log insert throughput, and report generation for 100 000
logged questions (target: under 2 s), in one table.

The log is filled with the eval questions (tests/eval/questions.yaml), each logged with the
outcome guidebot gives it, reworded at random the way people retype (typos, case, extra words),
spread over 90 days. Baselines measured in the same run: a bare `executemany` insert in one
transaction (the floor for inserts) and a bare SQL `GROUP BY` over the same rows (the floor
for reading them).

    python benchmarks/bench_reports.py [--questions 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tables import print_measures  # benchmarks/, the script's own folder

from bot.answers import Guidebot
from bot.evaluation import load_questions
from bot.log.formats import render
from bot.log.reports import build_report
from bot.log.store import Store, week_of
from bot.service import Service, logged

ROOT = Path(__file__).resolve().parent.parent
FILLERS = ["hei", "lurer på", "??", "egentlig", "altså", "btw", "please", "takk"]


def reword(text: str, rng: random.Random) -> str:
    words = text.split()
    roll = rng.random()
    if roll < 0.3 and len(words) > 3:
        words.pop(rng.randrange(len(words)))
    elif roll < 0.5:
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    elif roll < 0.65:
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    text = " ".join(words)
    return text.capitalize() if rng.random() < 0.3 else text


def fill(store: Store, bot: Guidebot, count: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    questions = [q.question for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    answers = {q: logged(bot.ask(q), "slack", "dm", bot.identify(slack_user="U0SIGRID01")) for q in questions}
    today = datetime.now(UTC)
    rows = []
    audience: Counter = Counter()
    for _ in range(count):
        base = answers[rng.choice(questions)]
        when = today - timedelta(days=rng.uniform(0, 90))
        rows.append((week_of(when), base.platform, base.surface, base.outcome,
                     base.document, base.section, base.entry, base.score, "[]" if not base.candidates else
                     '["' + '","'.join(base.candidates) + '"]', "nb",
                     store.masker.mask(reword(questions[rng.randrange(len(questions))] if base.outcome != "answered"
                                              else _text_for(base, answers, rng), rng))))
        audience[(week_of(when), "role", rng.choice(["ansatt", "leder", "politiker"]))] += 1
        audience[(week_of(when), "department", rng.choice(["helse", "oppvekst", "teknisk", ""]))] += 1
    connection = store._connection()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO questions (week, platform, surface, outcome, document, section, entry, score,"
        " candidates, language, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.executemany("INSERT INTO audience VALUES (?, ?, ?, ?)", [(*k, n) for k, n in audience.items()])
    connection.execute("COMMIT")


def _text_for(base, answers, rng: random.Random) -> str:
    same = [q for q, a in answers.items() if a.entry == base.entry]
    return rng.choice(same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--inserts", type=int, default=5_000)
    args = parser.parse_args()
    bot = Guidebot.from_folder()
    service_masker = Service.masker_for(bot)
    with tempfile.TemporaryDirectory() as folder:
        # Insert throughput: the real path, one transaction per question, as the bot writes.
        store = Store(Path(folder) / "insert.sqlite3", service_masker)
        sample = logged(bot.ask("kan jeg legge ut et bilde av kollegaen min? ring 91234567"), "slack", "dm",
                        bot.identify(slack_user="U0SIGRID01"))
        start = time.perf_counter()
        for n in range(args.inserts):
            store.log_question(sample, asker_id=f"U{n % 50}")
        per_question = (time.perf_counter() - start) / args.inserts
        baseline_store = Store(Path(folder) / "baseline.sqlite3")
        connection = baseline_store._connection()
        row = ("2026-11-23", "slack", "dm", "answered", "d", "4.4", "e", 0.9, "[]", "nb", "kan jeg legge ut et bilde")
        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO questions (week, platform, surface, outcome, document, section, entry, score,"
            " candidates, language, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row] * args.inserts)
        connection.execute("COMMIT")
        bulk = (time.perf_counter() - start) / args.inserts

        # Reports over a large log.
        big = Store(Path(folder) / "big.sqlite3", service_masker)
        fill(big, bot, args.questions)
        since = date.today() - timedelta(days=90)
        start = time.perf_counter()
        big.read("SELECT section, outcome, week, count(*) FROM questions WHERE week >= ? GROUP BY 1, 2, 3",
                 (week_of(since),))
        floor = time.perf_counter() - start
        start = time.perf_counter()
        report = build_report(big, bot.knowledge, since, terms=bot.index.question_terms)
        build = time.perf_counter() - start
        start = time.perf_counter()
        page = render(report, "html")
        html_time = time.perf_counter() - start
        distinct = big.read("SELECT count(DISTINCT text) AS n FROM questions")[0]["n"]

    print(f"Question log and reports ({args.questions:,} logged questions, {distinct:,} distinct wordings; "
          f"{args.inserts:,} inserts)\n")
    rows = [
        ("log insert, one transaction per question (the bot's path)", f"{1 / per_question:,.0f} questions/s"),
        ("baseline: bare executemany in one transaction", f"{1 / bulk:,.0f} rows/s"),
        ("insert cost vs baseline", f"{per_question / bulk:.1f}x"),
        (f"report build, {args.questions:,} questions", f"{build:.2f} s"),
        ("HTML render", f"{html_time * 1000:.0f} ms ({len(page) / 1024:.0f} KiB)"),
        ("baseline: bare SQL GROUP BY over the same rows", f"{floor * 1000:.0f} ms"),
        ("report build vs baseline", f"{build / floor:.1f}x"),
        ("groups found: frequent (top 15) / unanswered", f"{len(report.frequent)} / {report.unanswered_total:,} questions"),
    ]
    print_measures(rows)


if __name__ == "__main__":
    main()
