"""Accuracy, speed and memory of guidebot's answer engine against baselines, in one run.

    pip install ".[bench]" && python benchmarks/bench_matching.py [--copies 100]

One table: guidebot v3 (words and meaning, fitted ranking and decision), guidebot lexical-only (the
engine where the model cannot run), BM25 (bm25s over the guideline's sentences, guidebot's
normalisation as tokenizer) and pure semantic nearest neighbour (the same e5 model over the
entries' quotes and phrasings, always answering). Accuracy over the development sets
(tests/eval/questions.yaml, holdout*.yaml and the spent blind sets A, B, C; the ranking and the
decision were fitted on them, so the figures are in-sample): top-1 is right when the best entry
(or sentence) lies in an expected section. Then start-up (cold: empty embedding cache; warm: cached), question latency and
memory at 1x and 100x the knowledge: synthetic copies with distinct phrasings, and copies with no
phrasings, as 99 guidelines fresh from `guidebot import` beside the real one.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from latency import percentile  # noqa: E402 (benchmarks/, this folder)

from bot.evaluation import evaluate, load_questions  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.knowledge.sourcetext import parse_guideline  # noqa: E402
from bot.matching.index import Index  # noqa: E402
from bot.matching.normalise import Analyzer  # noqa: E402

SETS = [
    "questions.yaml", "holdout.yaml", "holdout2.yaml", "holdout3.yaml", "holdout4.yaml", "holdout5.yaml",
    "spent/2026-11-24-batsfjord-a.yaml", "spent/2026-11-24-batsfjord-b.yaml", "spent/2026-11-24-batsfjord-c.yaml",
]


def timed(function, questions):
    latencies, results = [], []
    for question in questions:
        start = time.perf_counter()
        results.append(function(question))
        latencies.append((time.perf_counter() - start) * 1000)
    return results, latencies


def synthetic_entries(entries, copies: int, seed: int = 7, phrased: bool = True):
    """The knowledge and `copies` - 1 synthetic copies of it, each with a few made-up words added
    to every text so no two are alike; `phrased=False` gives the copies no phrasings or keywords,
    as guidelines fresh from `guidebot import` (the real knowledge keeps its own)."""
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
                    quote=f"{entry.quote} ({extra})",
                    questions=tuple(f"{q} {extra}" for q in entry.questions) if phrased else (),
                    keywords=tuple(entry.keywords) + tuple(words[:2]) if phrased else (),
                    related=tuple(f"{r}-{copy}" for r in entry.related),
                )
            )
    return out


def process_at_1x() -> tuple[float, float]:
    """A fresh process that starts guidebot (1x, warm cache) and answers questions: seconds from
    interpreter start to ready (imports, knowledge, lexicons, index), and peak RSS in MiB
    (VmHWM: ru_maxrss would be inherited from this process across exec)."""
    code = (
        "import time; t = time.perf_counter(); from bot.answers import Guidebot;"
        "b = Guidebot.from_folder('knowledge'); ready = time.perf_counter() - t;"
        "[b.ask(q) for q in ['kan jeg legge ut et bilde av kollegaen min?', 'hvor fort må vi svare?'] * 20];"
        "peak = [int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0];"
        "print(ready, peak)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    ready, peak = result.stdout.strip().splitlines()[-1].split()
    return float(ready), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100, help="scale of the large knowledge (default 100)")
    parser.add_argument(
        "--reuse-cache", type=Path, metavar="DIR",
        help="an earlier run's cache folder (printed at the end): skips the cold embedding, so "
             "'cold start' then only counts texts that changed",
    )
    parser.add_argument(
        "--imported-copies-only", action="store_true",
        help="at scale, measure only copies without phrasings (as imported guidelines beside the real "
             "one), not copies carrying every phrasing: those embed copies x phrasings texts cold "
             "(about 465,000 at 100x and 4,653 phrasings, over an hour on two cores)",
    )
    args = parser.parse_args()
    cache_root = args.reuse_cache or Path(tempfile.mkdtemp(prefix="guidebot-bench-"))
    os.environ["GUIDEBOT_CACHE_DIR"] = str(cache_root / "1x")
    knowledge = load_knowledge(ROOT / "knowledge")
    labelled = [q for name in SETS for q in load_questions(ROOT / "tests" / "eval" / name, knowledge.entries)]
    in_scope = [q for q in labelled if q.in_scope]
    entry_section = {e.id: e.section for e in knowledge.entries}
    wanted = [{entry_section[e] for e in q.expect} for q in in_scope]
    questions = [q.question for q in in_scope]

    rows = []
    for name, embedder in (("guidebot v3 (words + meaning)", "auto"), ("guidebot v3 lexical-only", None)):
        index = Index.from_knowledge(knowledge, embedder=embedder)
        index.match("oppvarming")
        matches, lat = timed(index.match, questions)
        top1 = sum(bool(m.best) and m.best.entry.section in w for m, w in zip(matches, wanted, strict=True))
        f = evaluate(index, labelled).figures()
        rows.append((name, top1 / len(in_scope), f, lat))
        if embedder == "auto":
            semantic_index = index

    import bm25s

    document = knowledge.documents[0]
    sentences, sentence_section = [], []
    for section in parse_guideline((knowledge.folder / document.source).read_text(encoding="utf-8")):
        for unit in section.units:
            sentences.append(unit)
            sentence_section.append(section.number)
    analyzer = Analyzer(semantic_index.synonyms)
    retriever = bm25s.BM25()
    retriever.index([analyzer.terms(s) for s in sentences], show_progress=False)

    def bm25_best(question):
        terms = analyzer.terms(question) or ["-"]
        docs, _scores = retriever.retrieve([terms], k=1, show_progress=False)
        return sentence_section[int(docs[0][0])]

    best, lat = timed(bm25_best, questions)
    rows.append(("BM25 (bm25s) on sentences", sum(b in w for b, w in zip(best, wanted, strict=True)) / len(wanted), None, lat))

    semantic = semantic_index.semantic
    entries = semantic_index.entries

    def nearest(question):
        scores = semantic.scores(question)
        return entries[int(np.argmax(np.maximum(scores.phrasing, scores.quote)))].section

    best, lat = timed(nearest, questions)
    rows.append(("semantic nearest neighbour (e5)", sum(b in w for b, w in zip(best, wanted, strict=True)) / len(wanted), None, lat))

    out_of_scope = len(labelled) - len(in_scope)
    print(f"Development sets: {len(in_scope)} in-scope and {out_of_scope} out-of-scope questions ({', '.join(SETS)})\n")
    print("| method | top-1 section | answered-correct | answered-wrong | right within one click "
          "| out-of-scope answered | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, accuracy, f, latencies in rows:
        figures = (
            f"{f['answered_correct']:.3f} | {f['answered_wrong']:.3f} | {f['right_within_one_click']:.3f} "
            f"| {f['out_of_scope_answered']:.3f}"
            if f else "always answers | – | – | 1.000"
        )
        print(f"| {name} | {accuracy:.3f} | {figures} | {percentile(latencies, 0.5):.2f} | {percentile(latencies, 0.99):.2f} |")

    print(f"\nScale (guidebot v3; synthetic copies; latency over the same {len(questions)} questions)\n")
    print("| knowledge | entries | phrasings | texts embedded | cold start s | warm start s | first question ms | p50 ms "
          "| p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    titles = knowledge.section_titles
    scales = [(1, True, "1x")]
    if not args.imported_copies_only:
        scales.append((args.copies, True, f"{args.copies}x, copies phrased"))
    scales.append((args.copies, False, f"{args.copies}x, copies quotes only"))
    for copies, phrased, label in scales:
        scaled = synthetic_entries(knowledge.entries, copies, phrased=phrased)
        folder = cache_root / f"{copies}x-{'phrased' if phrased else 'quotes'}-scale"

        def build(scaled=scaled, folder=folder):
            return Index(scaled, knowledge.synonym_groups, None, titles, knowledge.ignored_words, cache_dir=folder)

        start = time.perf_counter()
        cold = build()
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        warm = build()
        warm_s = time.perf_counter() - start
        start = time.perf_counter()
        warm.match("oppvarming")  # the first question after a start (caches warm up)
        first_ms = (time.perf_counter() - start) * 1000
        _, lat = timed(warm.match, questions)
        texts = cold.semantic.cache.misses
        print(
            f"| {label} | {len(scaled)} | {sum(len(e.questions) for e in scaled)} | {texts} | {cold_s:.1f} | {warm_s:.2f} | {first_ms:.0f} | {percentile(lat, 0.5):.2f} |"
            f" {percentile(lat, 0.99):.2f} |"
        )
    os.environ["GUIDEBOT_CACHE_DIR"] = str(cache_root / "1x")
    ready, peak = process_at_1x()
    print(f"\nA fresh process (1x, warm cache): ready in {ready:.2f} s, peak RSS {peak:.0f} MiB after answering.")
    print("Warm start above is the index build; a process adds about 0.5 s once (imports, lemma lexicons).")
    print(f"Embedding cache of this run: {cache_root}" + (" (reused: cold start is not cold)" if args.reuse_cache else ""))


if __name__ == "__main__":
    main()
