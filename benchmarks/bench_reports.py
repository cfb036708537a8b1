"""Question log and reports at scale: log insert throughput, and report generation for 100 000
logged questions (target: under 2 s), in one table.

The log's write path pays for leaving no order in the files (issue 8): a WAL checkpoint
(TRUNCATE, with its fsync) after each write to the log, and each write deleting and re-inserting
the rows around it in random order (`_reshuffle`). Measured against, in the same run: the
first-round design (WAL, synchronous=NORMAL, a question row plus a row per asker, no checkpoint,
no reshuffle), the same path without the reshuffle, and the alternative of a rollback journal
instead of the WAL. Event claims skip the checkpoint. The daily purge ends with a VACUUM: timed
on the full log. Run it on the disk the bot will use: the fsync dominates.

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
import sqlite3
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tables import print_measures  # benchmarks/, the script's own folder

from bot.answers import Guidebot
from bot.evaluation import load_questions
from bot.log import store as store_module
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


def round_1_inserts(path: Path, count: int) -> float:
    """Seconds per question for the first round's write path: WAL, synchronous=NORMAL, a row per
    question, two counters and a hash row per asker and dimension, one transaction each."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA secure_delete = ON")
    connection.execute("CREATE TABLE questions (id INTEGER PRIMARY KEY, week, platform, surface, outcome, document,"
                       " section, entry, score, candidates, language, text)")
    connection.execute("CREATE INDEX questions_week ON questions (week)")
    connection.execute("CREATE TABLE audience (week, dimension, name, questions, PRIMARY KEY (week, dimension, name))"
                       " WITHOUT ROWID")
    connection.execute("CREATE TABLE askers (week, dimension, name, asker, PRIMARY KEY (week, dimension, name, asker))"
                       " WITHOUT ROWID")
    rng = random.Random(3)
    start = time.perf_counter()
    for n in range(count):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO questions VALUES (?, '2026-11-23', 'slack', 'dm', 'answered', 'd', '4.4', 'e',"
                           " 0.9, '[]', 'nb', 'kan jeg legge ut et bilde av [navn]? ring [telefon]')",
                           (rng.randrange(2**53),))
        for dimension, name in (("role", "ansatt"), ("department", "helse")):
            connection.execute("INSERT INTO audience VALUES ('2026-11-23', ?, ?, 1)"
                               " ON CONFLICT DO UPDATE SET questions = questions + 1", (dimension, name))
            connection.execute("INSERT OR IGNORE INTO askers VALUES ('2026-11-23', ?, ?, ?)",
                               (dimension, name, f"{dimension}{n % 50:030d}"))
        connection.execute("COMMIT")
    seconds = (time.perf_counter() - start) / count
    connection.close()
    return seconds


def log_inserts(store: Store, sample, count: int) -> float:
    start = time.perf_counter()
    for n in range(count):
        store.log_question(sample, asker_id=f"U{n % 50}")
    return (time.perf_counter() - start) / count


def _text_for(base, answers, rng: random.Random) -> str:
    same = [q for q, a in answers.items() if a.entry == base.entry]
    return rng.choice(same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--inserts", type=int, default=2_000)
    args = parser.parse_args()
    bot = Guidebot.from_folder()
    service_masker = Service.masker_for(bot)
    with tempfile.TemporaryDirectory() as folder:
        # Insert throughput: the real path, one transaction per question, as the bot writes.
        store = Store(Path(folder) / "insert.sqlite3", service_masker)
        sample = logged(bot.ask("kan jeg legge ut et bilde av kollegaen min? ring 91234567"), "slack", "dm",
                        bot.identify(slack_user="U0SIGRID01"))
        per_question = log_inserts(store, sample, args.inserts)
        round_1 = round_1_inserts(Path(folder) / "round1.sqlite3", args.inserts)
        neighbours, store_module.RESHUFFLE_NEIGHBOURS = store_module.RESHUFFLE_NEIGHBOURS, 0
        unshuffled = log_inserts(Store(Path(folder) / "unshuffled.sqlite3", service_masker), sample, args.inserts)
        store_module.RESHUFFLE_NEIGHBOURS = neighbours
        rollback_store = Store(Path(folder) / "rollback.sqlite3", service_masker)
        rollback_store._connection().execute("PRAGMA journal_mode = TRUNCATE")  # no WAL: nothing to checkpoint
        rollback_store._connection().execute("PRAGMA synchronous = FULL")
        rollback = log_inserts(rollback_store, sample, args.inserts)
        start = time.perf_counter()
        for n in range(args.inserts):
            store.claim_event(f"Ev{n:09d}")
        per_claim = (time.perf_counter() - start) / args.inserts
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
        big_inserts = log_inserts(big, sample, min(args.inserts, 500))
        size = (Path(folder) / "big.sqlite3").stat().st_size
        start = time.perf_counter()
        big.purge()
        purge_time = time.perf_counter() - start

    print(f"Question log and reports ({args.questions:,} logged questions, {distinct:,} distinct wordings; "
          f"{args.inserts:,} inserts)\n")
    rows = [
        ("log insert, one transaction per question (the bot's path)",
         f"{1 / per_question:,.0f} questions/s ({per_question * 1000:.2f} ms)"),
        ("  the same into the 100 000-question log", f"{1 / big_inserts:,.0f} questions/s"),
        ("  without the reshuffle (same journal)", f"{1 / unshuffled:,.0f} questions/s ({unshuffled * 1000:.2f} ms)"),
        ("  alternative: rollback journal (TRUNCATE, synchronous=FULL) instead of the WAL",
         f"{1 / rollback:,.0f} questions/s ({rollback * 1000:.2f} ms)"),
        ("event claim (WAL, no checkpoint)", f"{1 / per_claim:,.0f} claims/s ({per_claim * 1000:.2f} ms)"),
        ("baseline: round-1 path (WAL, NORMAL, hash row per asker, no reshuffle)",
         f"{1 / round_1:,.0f} questions/s ({round_1 * 1000:.2f} ms)"),
        ("insert cost vs round 1", f"{per_question / round_1:.1f}x"),
        ("baseline: bare executemany in one transaction", f"{1 / bulk:,.0f} rows/s"),
        ("insert cost vs bare executemany", f"{per_question / bulk:.1f}x"),
        (f"daily purge with VACUUM, {args.questions:,} questions ({size / 2**20:.0f} MiB)", f"{purge_time:.2f} s"),
        (f"report build, {args.questions:,} questions", f"{build:.2f} s"),
        ("HTML render", f"{html_time * 1000:.0f} ms ({len(page) / 1024:.0f} KiB)"),
        ("baseline: bare SQL GROUP BY over the same rows", f"{floor * 1000:.0f} ms"),
        ("report build vs baseline", f"{build / floor:.1f}x"),
        ("groups found: frequent (top 15) / unanswered", f"{len(report.frequent)} / {report.unanswered_total:,} questions"),
    ]
    print_measures(rows)


if __name__ == "__main__":
    main()
