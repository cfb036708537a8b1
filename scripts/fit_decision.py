"""Refit the answer / ask back / refer decision (bot/matching/decision.json) on the dev sets.

    python scripts/fit_decision.py            # fit, cross-validate and print; writes nothing
    python scripts/fit_decision.py --write    # ... and write bot/matching/decision.json

For each mode (full engine, lexical-only): choose the weight of meaning in the ranking by top-1
accuracy, compute the best candidate's features for every labelled development question, against
the knowledge as it is and stripped of phrasings and keywords (as after `guidebot import`), and
fit one logistic regression for each (the second decides when the best entry has no phrasings) (label: the best entry is a right answer; out-of-scope questions, near-misses
included, are negatives), estimate out-of-fold probabilities by 5-fold cross-validation and pick
the thresholds on those: the answer threshold keeps answered-wrong and out-of-scope answered low
(a wrong answer is worse than asking back), the clarify threshold offers a choice only where it
usually holds the right entry. Blind exam sets (tests/eval/blind/) are never read here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import load_questions  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.matching import decide  # noqa: E402
from bot.matching.index import Index  # noqa: E402

EVAL = ROOT / "tests" / "eval"
TRAINING = [
    "questions.yaml", "holdout.yaml", "holdout2.yaml", "holdout3.yaml", "holdout4.yaml", "holdout5.yaml",
    "near-miss.yaml",
]
FEATURES = {
    "semantic": ["fused", "fused_margin", "semantic", "semantic_quote", "semantic_margin", "semantic_z", "vote", "lexical", "coverage",
                 "phrasing", "bm25", "unknown", "agree", "matched"],
    "lexical": ["fused", "fused_margin", "lexical", "coverage", "phrasing", "bm25", "unknown", "matched"],
}
WEIGHTS = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]
# Limits on the cross-validated figures when choosing the answer threshold.
MAX_WRONG, MAX_OUT_OF_SCOPE = 0.012, 0.025
L2 = 1.0


@dataclass
class Sample:
    features: dict[str, float]
    right: bool  # the best entry is a right answer
    in_scope: bool
    offered_right: bool  # a right entry is among the first three
    thin: bool  # at most ask back (decide.too_thin)


def samples(index: Index, questions) -> list[Sample]:
    out = []
    for labelled in questions:
        match = index.match(labelled.question)
        ids = [c.entry.id for c in match.candidates[:3]]
        out.append(
            Sample(
                match.features or {**dict.fromkeys(FEATURES["semantic"], 0.0), "unknown": 1.0},
                bool(ids) and ids[0] in labelled.expect,
                labelled.in_scope,
                bool(set(ids) & set(labelled.expect)),
                decide.too_thin(match.features or {}),
            )
        )
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (standardised inputs)."""
    n, k = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    w = np.zeros(k + 1)
    penalty = np.eye(k + 1) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(design @ w, -40, 40)))
        gradient = design.T @ (p - y) + penalty @ w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[1:], float(w[0])


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 7) -> np.ndarray:
    order = list(range(len(y)))
    random.Random(seed).shuffle(order)
    probabilities = np.zeros(len(y))
    for fold in range(folds):
        test = np.array(order[fold::folds])
        train = np.setdiff1d(np.arange(len(y)), test)
        w, b = fit(x[train], y[train])
        probabilities[test] = 1 / (1 + np.exp(-(x[test] @ w + b)))
    return probabilities


def figures(data: list[Sample], p: np.ndarray, answer: float, clarify: float) -> dict[str, float]:
    in_scope = [i for i, s in enumerate(data) if s.in_scope]
    outside = [i for i, s in enumerate(data) if not s.in_scope]
    thin = np.array([s.thin for s in data])
    answered = (p >= answer) & ~thin
    asked = (p >= clarify) & ~answered
    return {
        "answered_correct": sum(answered[i] and data[i].right for i in in_scope) / len(in_scope),
        "answered_wrong": sum(answered[i] and not data[i].right for i in in_scope) / len(in_scope),
        "clarify_offering_right": sum(asked[i] and data[i].offered_right for i in in_scope) / len(in_scope),
        "out_of_scope_answered": sum(answered[i] for i in outside) / max(len(outside), 1),
        "out_of_scope_clarify": sum(asked[i] for i in outside) / max(len(outside), 1),
    }


def choose_thresholds(data: list[Sample], p: np.ndarray) -> tuple[float, float]:
    grid = [round(t, 3) for t in np.arange(0.30, 0.96, 0.01)]
    feasible = [
        t for t in grid
        if (f := figures(data, p, t, 0.0))["answered_wrong"] <= MAX_WRONG and f["out_of_scope_answered"] <= MAX_OUT_OF_SCOPE
    ]
    answer = max(feasible or [0.95], key=lambda t: (figures(data, p, t, 0.0)["answered_correct"], -t))

    def value(t: float) -> float:
        f = figures(data, p, answer, t)
        asked_in_scope = sum(1 for i, s in enumerate(data) if s.in_scope and t <= p[i] < answer)
        in_scope = sum(s.in_scope for s in data)
        useless = asked_in_scope / in_scope - f["clarify_offering_right"]
        return f["clarify_offering_right"] - 0.25 * useless - 0.25 * f["out_of_scope_clarify"]

    clarify = max((t for t in np.arange(0.02, answer, 0.01)), key=lambda t: (round(value(t), 6), t), default=answer)
    return answer, round(float(clarify), 3)


def fit_part(name: str, data: list[Sample], questions, names: list[str], weight: float, verbose: bool) -> dict:
    """Fit, cross-validate and choose thresholds for one model; returns its decision.json entry."""
    raw = np.array([[s.features[n] for n in names] for s in data])
    means, scales = raw.mean(axis=0), raw.std(axis=0)
    scales[scales < 1e-6] = 1.0
    x = (raw - means) / scales
    y = np.array([float(s.right) for s in data])
    oof = out_of_fold(x, y)
    answer, clarify = choose_thresholds(data, oof)
    weights, bias = fit(x, y)
    print(f"\n{name}: top-1 right {y[[s.in_scope for s in data]].mean():.3f}; thresholds answer {answer:.2f}, clarify {clarify:.2f}")
    print("  answer threshold -> cross-validated correct / wrong / out-of-scope answered:")
    for t in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        f = figures(data, oof, t, clarify)
        print(f"    {t:.2f}: {f['answered_correct']:.3f} / {f['answered_wrong']:.3f} / {f['out_of_scope_answered']:.3f}")
    cross_validated = {k: round(float(v), 4) for k, v in figures(data, oof, answer, clarify).items()}
    print("  cross-validated (5-fold, out-of-fold):", cross_validated)
    for feature, w in sorted(zip(names, weights, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {feature:<16} {w:+.3f}")
    if verbose:
        for i in np.argsort(-oof):
            if not data[i].right and oof[i] >= clarify:
                kind = "in-scope, best wrong" if data[i].in_scope else "out of scope"
                print(f"    p={oof[i]:.2f} {kind}: {questions[i].question}")
    return {
        "features": names,
        "weights": [round(float(w), 6) for w in weights],
        "bias": round(bias, 6),
        "means": [round(float(m), 6) for m in means],
        "scales": [round(float(s), 6) for s in scales],
        "answer": answer,
        "clarify": clarify,
        "semantic_weight": weight,
        "fitted_on": TRAINING,
        "cross_validated": cross_validated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write bot/matching/decision.json")
    parser.add_argument("--verbose", "-v", action="store_true", help="list the negatives that look like answers")
    args = parser.parse_args()
    knowledge = load_knowledge(ROOT / "knowledge")
    questions = [q for name in TRAINING for q in load_questions(EVAL / name, knowledge.entries)]
    print(f"{len(questions)} development questions ({sum(q.in_scope for q in questions)} in scope)\n")
    current = json.loads(decide.COEFFICIENTS.read_text(encoding="utf-8"))
    result = {}
    for mode in ("semantic", "lexical"):
        index = Index.from_knowledge(knowledge, embedder="auto" if mode == "semantic" else None)
        if index.mode != mode:
            print(f"{mode}: not available here ({index.matching_note}); kept as it was")
            result[mode], result[f"{mode}/quotes"] = current[mode], current[f"{mode}/quotes"]
            continue
        weight = 0.0
        if mode == "semantic":
            in_scope = [q for q in questions if q.in_scope]
            scores = {}
            for candidate in WEIGHTS:
                index.decision = decide.replace_weight(index.decision, candidate)
                scores[candidate] = sum(s.right for s in samples(index, in_scope)) / len(in_scope)
            print("semantic weight in the ranking -> top-1 on in-scope dev questions:")
            print("  " + "  ".join(f"{w}: {s:.3f}" for w, s in scores.items()))
            weight = max(scores, key=lambda w: (scores[w], -w))
            index.decision = decide.replace_weight(index.decision, weight)
        data = samples(index, questions)
        # The same questions against the knowledge stripped of phrasings and keywords, as a
        # guideline looks right after `guidebot import`: entries found through quotes alone.
        bare = Index(
            [dataclasses.replace(e, questions=(), keywords=()) for e in knowledge.entries],
            (),
            section_titles={(d.id, s.number): s.title for d in knowledge.documents for s in d.sections},
            ignored_words=knowledge.ignored_words,
            embedder=index.semantic.embedder if index.semantic else None,
        )
        bare.decision = index.decision
        bare_data = samples(bare, questions)
        print(f"  {mode}: top-1 right with phrasings {np.mean([s.right for s in data if s.in_scope]):.3f}, "
              f"quotes only {np.mean([s.right for s in bare_data if s.in_scope]):.3f}")
        for name, part in ((mode, data), (f"{mode}/quotes", bare_data)):
            result[name] = fit_part(name, part, questions, FEATURES[mode], weight, args.verbose)
    if args.write:
        decide.COEFFICIENTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"\nwritten {decide.COEFFICIENTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
