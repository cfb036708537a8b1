"""Accuracy and speed of guidebot's matcher against two baselines, in one run and one table.

    pip install ".[bench]" && python benchmarks/bench_matching.py

Baselines over the raw guideline sentences (from `bot.knowledge.sourcetext`): BM25 (bm25s, with
guidebot's own normalisation as the tokenizer) and plain RapidFuzz (WRatio). A baseline is
right when its best sentence lies in an expected section; guidebot's top-1 is judged the same
way, and its answered-correct figure (after thresholds) is shown too. Then index build time,
latency and memory at 1x and 100x the knowledge (100 synthetic documents).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import evaluate, load_questions  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.knowledge.sourcetext import parse_guideline  # noqa: E402
from bot.matching.matcher import Index  # noqa: E402
from bot.matching.normalise import Analyzer  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(function, questions):
    latencies, results = [], []
    for question in questions:
        start = time.perf_counter()
        results.append(function(question))
        latencies.append((time.perf_counter() - start) * 1000)
    return results, latencies


def synthetic_entries(entries, copies: int, seed: int = 7):
    rng = random.Random(seed)
    letters = "abdefghijklmnoprstuvyæøå"
    out = list(entries)
    for copy in range(1, copies):
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(5, 10))) for _ in range(40)]
        for entry in entries:
            extra = " ".join(rng.sample(words, 3))
            out.append(
                replace(
                    entry,
                    id=f"{entry.id}-{copy}",
                    document_id=f"syntetisk-{copy}",
                    questions=tuple(f"{q} {extra}" for q in entry.questions),
                    keywords=tuple(entry.keywords) + tuple(words[:2]),
                    related=tuple(f"{r}-{copy}" for r in entry.related),
                )
            )
    return out


def main() -> None:
    knowledge = load_knowledge(ROOT / "knowledge")
    labelled = load_questions(ROOT / "tests" / "eval" / "questions.yaml")
    in_scope = [q for q in labelled if q.in_scope]
    entry_section = {e.id: e.section for e in knowledge.entries}
    document = knowledge.documents[0]
    sentences, sentence_section = [], []
    for section in parse_guideline((knowledge.folder / document.source).read_text(encoding="utf-8")):
        for unit in section.units:
            sentences.append(unit)
            sentence_section.append(section.number)

    rows = []
    index = Index.from_knowledge(knowledge)
    index.match("oppvarming")  # warm caches once
    matches, lat = timed(index.match, [q.question for q in in_scope])
    top1 = sum(
        bool(m.best) and m.best.entry.section in {entry_section[e] for e in q.expect}
        for m, q in zip(matches, in_scope, strict=True)
    )
    answered = evaluate(index, labelled).figures()["answered_correct"]
    rows.append(("guidebot", top1 / len(in_scope), answered, lat))

    try:
        import bm25s

        analyzer = Analyzer(index.synonyms)
        retriever = bm25s.BM25()
        retriever.index([analyzer.terms(s) for s in sentences], show_progress=False)

        def bm25_best(question):
            terms = analyzer.terms(question) or ["-"]
            docs, _scores = retriever.retrieve([terms], k=1, show_progress=False)
            return int(docs[0][0])

        best, lat = timed(bm25_best, [q.question for q in in_scope])
        hits = sum(sentence_section[b] in {entry_section[e] for e in q.expect} for b, q in zip(best, in_scope, strict=True))
        rows.append(("BM25 (bm25s) on sentences", hits / len(in_scope), None, lat))
    except ImportError:
        rows.append(("BM25 (bm25s not installed)", float("nan"), None, [0.0]))

    def fuzzy_best(question):
        return process.extractOne(question.lower(), [s.lower() for s in sentences], scorer=fuzz.WRatio)[2]

    best, lat = timed(fuzzy_best, [q.question for q in in_scope])
    hits = sum(sentence_section[b] in {entry_section[e] for e in q.expect} for b, q in zip(best, in_scope, strict=True))
    rows.append(("RapidFuzz WRatio on sentences", hits / len(in_scope), None, lat))

    print(f"Accuracy and latency on {len(in_scope)} in-scope questions (tests/eval/questions.yaml)\n")
    print(f"| {'method':<32} | top-1 section | answered-correct | p50 ms | p99 ms |")
    print(f"|{'-' * 34}|---------------|------------------|--------|--------|")
    for name, accuracy, answered_correct, latencies in rows:
        shown = f"{answered_correct:.3f}" if answered_correct is not None else "n/a (always answers)"
        print(
            f"| {name:<32} | {accuracy:13.3f} | {shown:>16} | {percentile(latencies, 0.5):6.3f} |"
            f" {percentile(latencies, 0.99):6.3f} |"
        )

    print("\nScale (synthetic documents; latency over the same questions)\n")
    print("| knowledge | entries | build s | p50 ms | p99 ms | build peak MiB |")
    print("|-----------|---------|---------|--------|--------|----------------|")
    baseline_p99 = None
    for copies in (1, 100):
        entries = synthetic_entries(knowledge.entries, copies)
        # Timed without tracemalloc (it slows allocation several-fold); memory in a second build.
        start = time.perf_counter()
        scaled = Index(entries, knowledge.synonym_groups, ignored_words=knowledge.ignored_words)
        build = time.perf_counter() - start
        tracemalloc.start()
        Index(entries, knowledge.synonym_groups, ignored_words=knowledge.ignored_words)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        scaled.match("oppvarming")
        _, lat = timed(scaled.match, [q.question for q in in_scope])
        p99 = percentile(lat, 0.99)
        baseline_p99 = baseline_p99 or p99
        print(
            f"| {copies:>4}x     | {len(entries):7} | {build:7.3f} | {statistics.median(lat):6.3f} |"
            f" {p99:6.3f} | {peak / 2**20:14.1f} |"
        )
    print(f"\np99 ratio 100x / 1x: {p99 / baseline_p99:.1f}")


if __name__ == "__main__":
    main()
