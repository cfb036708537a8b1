"""Refit the ranking and the answer / ask back / refer decision (bot/matching/decision.json).

    python scripts/fit_decision.py            # fit, cross-validate and print; writes nothing
    python scripts/fit_decision.py --write    # ... and write bot/matching/decision.json

For each mode (full engine: words and meaning; lexical-only), over the labelled development
questions (the team's sets and the spent blind sets in tests/eval/spent/):

1. collect every question's candidates with their ranking features, three ways: against the
   Båtsfjord knowledge as it is; against the same knowledge stripped of phrasings, keywords and
   answers (as a guideline looks right after `guidebot import`); and against other guidelines
   imported with no hand work (their spent blind sets);
2. fit the ranking model (`bot.matching.rank`): a conditional logit over each question's
   candidates, L2-regularised; top-1 is reported out-of-fold (5 folds);
3. fit two decision models (`bot.matching.decide`) on the best candidate's features, the
   label being "the best entry is a right answer", out-of-scope questions (near-misses
   included) as negatives: one for a best entry with phrasings, one for a best entry found
   through its quote alone; each as a logistic regression, as boosted trees (small trees
   fitted one after another on what the earlier ones got wrong) and as two sets of trees
   multiplied ("factored": the guideline covers the question, fitted on every question, times
   the best entry is the right one, fitted on in-scope questions only), keeping the one that
   answers more right questions cross-validated within the same limits; thresholds are chosen
   on out-of-fold probabilities: the answer
   threshold keeps answered-wrong and out-of-scope answered low (a wrong answer is worse than
   asking back), the clarify threshold asks back where the choice usually holds the right entry.

Fresh blind exam sets (tests/eval/blind/) are never read here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import load_questions  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.matching import decide, rank  # noqa: E402
from bot.matching.index import Index, offered  # noqa: E402
from bot.matching.normalise import english_share  # noqa: E402

EVAL = ROOT / "tests" / "eval"
TRAINING = [
    "questions.yaml", "holdout.yaml", "holdout2.yaml", "holdout3.yaml", "holdout4.yaml", "holdout5.yaml",
    "near-miss.yaml", "dev-engine.yaml",
    "spent/2026-11-24-batsfjord-a.yaml", "spent/2026-11-24-batsfjord-b.yaml", "spent/2026-11-24-batsfjord-c.yaml",
    "spent/2026-11-24-batsfjord-e.yaml", "spent/2026-11-24-batsfjord-f.yaml", "spent/2026-11-24-batsfjord-g.yaml",
    "spent/2026-11-24-batsfjord-h.yaml", "spent/2026-11-24-batsfjord-i.yaml",
    "spent/2026-11-24-batsfjord-j.yaml", "spent/2026-11-24-batsfjord-k.yaml",
    "spent/2026-11-24-batsfjord-l.yaml", "spent/2026-11-24-batsfjord-m.yaml", "spent/2026-11-24-batsfjord-n.yaml",
    "spent/2026-11-24-batsfjord-o.yaml", "spent/2026-11-24-batsfjord-p.yaml",
]
# Other guidelines, imported with no hand work, and their spent blind sets.
IMPORTED = [
    ("stord-informasjonstryggleikshandbok", "spent/2026-11-24-stord-informasjonstryggleikshandbok.yaml"),
    ("stord-informasjonstryggleikshandbok", "spent/2026-11-24-stord-informasjonstryggleikshandbok-2.yaml"),
    ("kinn-mobiltelefon", "spent/2026-11-24-kinn-mobiltelefon.yaml"),
    ("bodo-etiske-retningslinjer", "spent/2026-11-24-bodo-etiske-retningslinjer.yaml"),
    ("fartt-ikt-retningslinjer", "spent/2026-11-24-fartt-ikt-retningslinjer.yaml"),
    ("sandefjord-personvernerklaering", "spent/2026-11-24-sandefjord-personvernerklaering.yaml"),
    ("lindesnes-varsling", "spent/2026-11-24-lindesnes-varsling.yaml"),
    ("drammen-klarsprak", "spent/2026-11-24-drammen-klarsprak.yaml"),
]
RANKING = {
    "semantic": list(rank.CANDIDATE_FEATURES),
    "lexical": [f for f in rank.CANDIDATE_FEATURES if f not in rank.SEMANTIC],
}
MARGINS = ["lexical_margin", "coverage_margin", "bm25_margin", "phrasing_margin"]
DECISION = {
    "semantic": ["rank_score", "rank_share", "rank_margin", "semantic", "semantic_z", "semantic_margin", "vote",
                 "coverage", "phrasing", "bm25", "matched", "unknown", "missing", "agree", "english", "english_rank",
                 *MARGINS],
    "lexical": ["rank_score", "rank_share", "rank_margin", "lexical", "coverage", "phrasing", "bm25", "matched",
                "unknown", "missing", "english", "english_rank", *MARGINS],
}
# Limits on the cross-validated figures when choosing the answer threshold.
MAX_WRONG, MAX_OUT_OF_SCOPE = 0.015, 0.03
L2 = 1.0
# What an ask-back offering no right entry costs, against one that does (the clarify threshold).
CLARIFY_PENALTY, CLARIFY_PENALTY_QUOTES = 0.25, 0.05
RANK_L2 = 3.0
# Boosted trees: rounds, learning rate, depth, fewest questions in a leaf, L2 on leaf values,
# candidate split points per feature (quantiles). Trees are kept only when they beat the
# logistic regression by at least TREES_MARGIN answered-correct (cross-validated).
TREES = {"rounds": 300, "rate": 0.05, "depth": 3, "min_leaf": 40, "l2": 1.0, "bins": 32}
TREES_MARGIN = 0.005
# Features the trees may only read one way (1: more never makes an answer less likely right):
# how like the question is to the entry's closest text, and the ranking's belief in the entry.
# Constraining all the features that should rise (scores, margins, vote, coverage) cost more
# than half the trees' gain cross-validated (answered-correct 0.663 free, 0.622 all, 0.644 these
# two, logistic 0.600, session 7's development questions); these two keep a question worded
# exactly like a phrasing from being less sure than one worded a little less like it.
MONOTONE = {"semantic": 1, "rank_share": 1}


@dataclass
class Question:
    """One labelled question as one index sees it: its candidates and what is right."""

    text: str
    index: Index
    found: list  # candidates with their ranking features, unranked
    words: object  # the question's words as the lexical index weighs them
    right: set[str]
    in_scope: bool


def collect(index: Index, questions) -> list[Question]:
    out = []
    for labelled in questions:
        found, words = index.candidates(labelled.question)
        out.append(Question(labelled.question, index, found, words, set(labelled.expect), labelled.in_scope))
    return out


def matrix(question: Question, names: list[str]) -> np.ndarray:
    return np.array([[c.features[n] for n in names] for c in question.found], dtype=float)


def fit_ranking(data: list[Question], names: list[str], l2: float = RANK_L2, folds: int = 5):
    """Conditional logit over each question's candidates; returns the ranker's entry and the
    out-of-fold top-1 per question (None when no right entry is among the candidates)."""
    usable = [q for q in data if q.in_scope and any(c.entry.id in q.right for c in q.found)]
    raw = np.vstack([matrix(q, names) for q in usable])
    means, scales = raw.mean(axis=0), raw.std(axis=0)
    scales[scales < 1e-6] = 1.0
    blocks = [((matrix(q, names) - means) / scales, np.array([c.entry.id in q.right for c in q.found])) for q in usable]

    def likelihood(w: np.ndarray, chosen: list[int]) -> float:
        """Penalised log-likelihood: log of the share of the right candidates, summed."""
        total = -0.5 * l2 * float(w @ w)
        for i in chosen:
            x, right = blocks[i]
            s = x @ w
            top = s.max()
            total += float(np.log(np.exp(s[right] - top).sum()) - np.log(np.exp(s - top).sum()))
        return total

    def solve(chosen: list[int]) -> np.ndarray:
        w = np.zeros(len(names))
        current = likelihood(w, chosen)
        for _ in range(30):
            gradient = -l2 * w
            fisher = np.eye(len(names)) * l2
            for i in chosen:
                x, right = blocks[i]
                s = x @ w
                p = np.exp(s - s.max())
                p /= p.sum()
                t = np.where(right, p, 0.0)
                t /= t.sum()
                gradient += x.T @ (t - p)
                centred = x - p @ x
                fisher += centred.T @ (centred * p[:, None])
            step = np.linalg.solve(fisher, gradient)
            # Newton's step can overshoot when the candidates' features are nearly collinear:
            # halve it until the likelihood rises.
            for _ in range(20):
                better = likelihood(w + step, chosen)
                if better >= current - 1e-9:
                    break
                step /= 2
            w += step
            current = better
            if np.abs(step).max() < 1e-7:
                break
        return w

    order = list(range(len(usable)))
    random.Random(7).shuffle(order)
    top1 = {}
    for fold in range(folds):
        test = set(order[fold::folds])
        w = solve([i for i in range(len(usable)) if i not in test])
        for i in test:
            x, right = blocks[i]
            top1[id(usable[i])] = bool(right[int(np.argmax(x @ w))])
    w = solve(list(range(len(usable))))
    entry = {
        "features": names,
        "weights": [round(float(v), 6) for v in w],
        "means": [round(float(v), 6) for v in means],
        "scales": [round(float(v), 6) for v in scales],
    }
    return entry, top1


@dataclass
class Sample:
    features: dict[str, float]
    right: bool  # the best entry is a right answer
    in_scope: bool
    offered_right: bool  # a right entry is among those offered when asking back
    thin: bool  # at most ask back (decide.too_thin)
    text: str
    gap: bool = False  # the best match is a topic the guideline does not cover: always referred


def samples(data: list[Question], ranker: rank.Ranker) -> list[Sample]:
    out = []
    for q in data:
        if not q.found:
            features = {**dict.fromkeys(DECISION["semantic"] + DECISION["lexical"], 0.0), "unknown": 1.0, "phrased": 1.0}
            out.append(Sample(features, False, q.in_scope, False, True, q.text))
            continue
        q.index.ranker = ranker
        ranked = q.index.rank(q.found)
        features = q.index._features(ranked, q.words, english_share(q.text))
        ids = [c.entry.id for c in ranked[:3]]
        gap = ranked[0].entry.id in q.index.gap_ids
        shown = [c.entry.id for c in offered([c for c in ranked if c.entry.id not in q.index.gap_ids])]
        out.append(Sample(features, ids[0] in q.right, q.in_scope, bool(set(shown) & q.right), decide.too_thin(features),
                          q.text, gap))
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


def fit_trees(x: np.ndarray, y: np.ndarray, rounds: int = 300, rate: float = 0.05, depth: int = 3,
              min_leaf: int = 40, l2: float = 1.0, bins: int = 32,
              monotone: list[int] | None = None) -> tuple[float, list[dict]]:
    """Gradient-boosted trees for the log-odds (logistic loss, Newton leaf values, splits at
    quantiles of each feature). Each node keeps its value (learning rate applied), so the
    decision can say how much each split on the way to a leaf pulled (`decide.DecisionModel`).
    `monotone` (per feature: 1, -1 or 0) keeps the log-odds rising (falling) with a feature, all
    else equal: a split on it must order its children so, and their values are bounded by the
    midpoint between them all the way down (so a question worded exactly like a phrasing is
    never less sure than one worded a little less like it)."""
    monotone = monotone or [0] * x.shape[1]
    edges = [split_points(x[:, j], bins) for j in range(x.shape[1])]
    binned = np.stack([np.searchsorted(edges[j], x[:, j], side="left") for j in range(x.shape[1])], axis=1)
    share = min(max(float(y.mean()), 1e-3), 1 - 1e-3)
    base = float(np.log(share / (1 - share)))
    score = np.full(len(y), base)
    trees = []
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-score))
        tree = grow_tree(binned, edges, p - y, p * (1 - p), rate, depth, min_leaf, l2, monotone)
        trees.append(tree)
        score += tree_values(tree, x)
    return base, trees


def split_points(column: np.ndarray, bins: int) -> np.ndarray:
    """Where a tree may split one feature: at its quantiles, each moved halfway to the next value
    the feature takes, so that a value rounded a little (decision.json keeps six decimals of the
    means and scales) falls on the same side as in the fit; many features take few values."""
    values = np.unique(column)
    cuts = np.unique(np.quantile(column, np.linspace(0, 1, bins + 1)[1:-1]))
    above = np.searchsorted(values, cuts, side="right")
    keep = above < len(values)
    return (cuts[keep] + values[above[keep]]) / 2


def grow_tree(binned: np.ndarray, edges: list[np.ndarray], g: np.ndarray, h: np.ndarray, rate: float, depth: int,
              min_leaf: int, l2: float, monotone: list[int]) -> dict[str, list]:
    """One tree fitted to the gradients `g` and curvatures `h`: at each node the split with the
    largest gain that leaves at least `min_leaf` questions on each side (and, on a `monotone`
    feature, orders its children's values the right way)."""
    tree: dict[str, list] = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}

    def value(rows: np.ndarray, low: float, high: float) -> float:
        """The Newton step for `rows`, learning rate applied, within the monotone bounds."""
        return float(min(max(-rate * g[rows].sum() / (h[rows].sum() + l2), low), high))

    def grow(rows: np.ndarray, level: int, low: float, high: float) -> int:
        node = len(tree["value"])
        total_g, total_h = g[rows].sum(), h[rows].sum()
        for key, empty in zip(("feature", "threshold", "left", "right"), (-1, 0.0, -1, -1), strict=True):
            tree[key].append(empty)
        tree["value"].append(value(rows, low, high))
        if level == depth or len(rows) < 2 * min_leaf:
            return node
        best_gain, best = 1e-9, None
        for j, cuts in enumerate(edges):
            size = len(cuts) + 1
            left_g = np.cumsum(np.bincount(binned[rows, j], g[rows], size))[:-1]
            left_h = np.cumsum(np.bincount(binned[rows, j], h[rows], size))[:-1]
            left_n = np.cumsum(np.bincount(binned[rows, j], minlength=size))[:-1]
            allowed = (left_n >= min_leaf) & (len(rows) - left_n >= min_leaf)
            if monotone[j]:
                rising = (total_g - left_g) / (total_h - left_h + l2) <= left_g / (left_h + l2)
                allowed &= rising if monotone[j] > 0 else ~rising
            gain = left_g**2 / (left_h + l2) + (total_g - left_g) ** 2 / (total_h - left_h + l2)
            gain = np.where(allowed, gain - total_g**2 / (total_h + l2), -np.inf)
            if allowed.any() and gain.max() > best_gain:
                best_gain, best = float(gain.max()), (j, int(np.argmax(gain)))
        if best is None:
            return node
        j, cut = best
        tree["feature"][node], tree["threshold"][node] = j, float(edges[j][cut])
        goes_left = binned[rows, j] <= cut
        left_bounds, right_bounds = (low, high), (low, high)
        if monotone[j]:
            middle = (value(rows[goes_left], low, high) + value(rows[~goes_left], low, high)) / 2
            left_bounds, right_bounds = ((low, middle), (middle, high)) if monotone[j] > 0 else ((middle, high),
                                                                                                 (low, middle))
        tree["left"][node] = grow(rows[goes_left], level + 1, *left_bounds)
        tree["right"][node] = grow(rows[~goes_left], level + 1, *right_bounds)
        return node

    grow(np.arange(len(g)), 0, -np.inf, np.inf)
    return tree


def tree_values(tree: dict, x: np.ndarray) -> np.ndarray:
    """The leaf value each row of `x` reaches in `tree`."""
    node = np.zeros(len(x), dtype=np.int64)
    feature, threshold = np.asarray(tree["feature"]), np.asarray(tree["threshold"])
    left, right, value = np.asarray(tree["left"]), np.asarray(tree["right"]), np.asarray(tree["value"])
    while (inner := feature[node] >= 0).any():
        rows = np.flatnonzero(inner)
        goes_left = x[rows, feature[node[rows]]] <= threshold[node[rows]]
        node[rows] = np.where(goes_left, left[node[rows]], right[node[rows]])
    return value[node]


def trees_log_odds(base: float, trees: list[dict], x: np.ndarray) -> np.ndarray:
    return base + sum((tree_values(tree, x) for tree in trees), np.zeros(len(x)))


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 7, kind: str = "logistic",
                monotone: list[int] | None = None, fit_on: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold probabilities; `fit_on` (a mask) limits the rows each fold is fitted on."""
    order = list(range(len(y)))
    random.Random(seed).shuffle(order)
    probabilities = np.zeros(len(y))
    for fold in range(folds):
        test = np.array(order[fold::folds])
        train = np.setdiff1d(np.arange(len(y)), test)
        if fit_on is not None:
            train = train[fit_on[train]]
        if kind == "trees":
            base, trees = fit_trees(x[train], y[train], **TREES, monotone=monotone)
            log_odds = trees_log_odds(base, trees, x[test])
        else:
            w, b = fit(x[train], y[train])
            log_odds = x[test] @ w + b
        probabilities[test] = 1 / (1 + np.exp(-log_odds))
    return probabilities


def figures(data: list[Sample], p: np.ndarray, answer: float, clarify: float) -> dict[str, float]:
    in_scope = [i for i, s in enumerate(data) if s.in_scope]
    outside = [i for i, s in enumerate(data) if not s.in_scope]
    thin = np.array([s.thin for s in data])
    gap = np.array([s.gap for s in data])
    answered = (p >= answer) & ~thin & ~gap
    asked = (p >= clarify) & ~answered & ~gap
    return {
        "answered_correct": sum(answered[i] and data[i].right for i in in_scope) / len(in_scope),
        "answered_wrong": sum(answered[i] and not data[i].right for i in in_scope) / len(in_scope),
        "clarify_offering_right": sum(asked[i] and data[i].offered_right for i in in_scope) / len(in_scope),
        "out_of_scope_answered": sum(answered[i] for i in outside) / max(len(outside), 1),
        "out_of_scope_clarify": sum(asked[i] for i in outside) / max(len(outside), 1),
    }


def choose_thresholds(data: list[Sample], p: np.ndarray, penalty: float) -> tuple[float, float]:
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
        return f["clarify_offering_right"] - penalty * useless - penalty * f["out_of_scope_clarify"]

    clarify = max((t for t in np.arange(0.02, answer, 0.01)), key=lambda t: (round(value(t), 6), t), default=answer)
    return answer, round(float(clarify), 3)


def fit_part(name: str, data: list[Sample], names: list[str], verbose: bool, penalty: float = 0.25) -> dict:
    """Fit, cross-validate and choose thresholds for one decision model."""
    raw = np.array([[s.features[n] for n in names] for s in data])
    means, scales = raw.mean(axis=0), raw.std(axis=0)
    scales[scales < 1e-6] = 1.0
    x = (raw - means) / scales
    y = np.array([float(s.right) for s in data])
    oof = out_of_fold(x, y)
    answer, clarify = choose_thresholds(data, oof, penalty)
    weights, bias = fit(x, y)
    monotone = [MONOTONE.get(n, 0) for n in names]
    oof_trees = out_of_fold(x, y, kind="trees", monotone=monotone)
    answer_trees, clarify_trees = choose_thresholds(data, oof_trees, penalty)
    # Factored: does the guideline cover it (every question), times is the best entry the right
    # one if it does (fitted on in-scope questions only): two targets, each learnt cleanly.
    in_scope = np.array([s.in_scope for s in data])
    oof_factored = (out_of_fold(x, in_scope.astype(float), kind="trees", monotone=monotone)
                    * out_of_fold(x, y, kind="trees", monotone=monotone, fit_on=in_scope))
    answer_factored, clarify_factored = choose_thresholds(data, oof_factored, penalty)
    correct = {
        "logistic": figures(data, oof, answer, clarify)["answered_correct"],
        "trees": figures(data, oof_trees, answer_trees, clarify_trees)["answered_correct"],
        "factored": figures(data, oof_factored, answer_factored, clarify_factored)["answered_correct"],
    }
    kind = "trees" if correct["trees"] >= correct["logistic"] + TREES_MARGIN else "logistic"
    if correct["factored"] >= correct[kind] + TREES_MARGIN:
        kind = "factored"
    print(f"\n{name}: cross-validated answered-correct, logistic {correct['logistic']:.3f}, boosted trees "
          f"{correct['trees']:.3f}, factored trees {correct['factored']:.3f}: {kind} kept")
    if kind == "trees":
        oof, answer, clarify = oof_trees, answer_trees, clarify_trees
    elif kind == "factored":
        oof, answer, clarify = oof_factored, answer_factored, clarify_factored
    top1 = np.mean([s.right for s in data if s.in_scope])
    thin_right = np.mean([s.right and s.thin for s in data if s.in_scope])
    print(f"  in-scope questions whose right best entry is too thin to answer on: {thin_right:.3f}")
    print(f"{name}: {len(data)} questions, top-1 right {top1:.3f}; thresholds answer {answer:.2f}, clarify {clarify:.2f}")
    print("  answer threshold -> cross-validated correct / wrong / out-of-scope answered:")
    for t in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        f = figures(data, oof, t, clarify)
        print(f"    {t:.2f}: {f['answered_correct']:.3f} / {f['answered_wrong']:.3f} / {f['out_of_scope_answered']:.3f}")
    cross_validated = {k: round(float(v), 4) for k, v in figures(data, oof, answer, clarify).items()}
    print("  cross-validated (5-fold, out-of-fold):", cross_validated)
    for feature, w in sorted(zip(names, weights, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {feature:<16} {w:+.3f}")
    if verbose:
        shown = [i for i in np.argsort(-oof) if not data[i].right][:40]
        for i in shown:
            if not data[i].right:
                what = "in-scope, best wrong" if data[i].in_scope else "out of scope"
                print(f"    p={oof[i]:.2f} {what}: {data[i].text}")
    model = {
        "kind": kind,
        "features": names,
        "weights": [round(float(w), 6) for w in weights],
        "bias": round(bias, 6),
        "means": [round(float(m), 6) for m in means],
        "scales": [round(float(s), 6) for s in scales],
    }
    if kind in ("trees", "factored"):
        # Fitted on the standardised features: `means` and `scales` apply to every kind.
        rows = in_scope if kind == "factored" else np.ones(len(y), dtype=bool)
        model.update(trees_entry(*fit_trees(x[rows], y[rows], **TREES, monotone=monotone)))
    if kind == "factored":
        model["in_scope"] = trees_entry(*fit_trees(x, in_scope.astype(float), **TREES, monotone=monotone))
    return {
        **model,
        "answer": answer,
        "clarify": clarify,
        "fitted_on": TRAINING + [path for _, path in IMPORTED],
        "cross_validated": cross_validated,
    }


def trees_entry(base: float, trees: list[dict]) -> dict:
    """Boosted trees as decision.json keeps them (six decimals)."""
    return {
        "base": round(base, 6),
        "trees": [
            {**tree, "threshold": [round(t, 6) for t in tree["threshold"]], "value": [round(v, 6) for v in tree["value"]]}
            for tree in trees
        ],
    }


def imported_index(name: str, folder: Path, embedder) -> Index:
    """The guideline `name` from tests/eval/guidelines/, imported with no hand work."""
    knowledge = folder / "knowledge"
    (knowledge / "documents").mkdir(parents=True)
    (knowledge / "sources").mkdir()
    command = [sys.executable, "-m", "bot", "import", str(EVAL / "guidelines" / f"{name}.txt"),
               "--document", name, "--knowledge", str(knowledge)]
    subprocess.run(command, check=True, capture_output=True, cwd=folder)
    return Index.from_knowledge(load_knowledge(knowledge), embedder=embedder)


def dumps(models: dict) -> str:
    """decision.json's text: readable, with each boosted tree on one line."""
    return "{\n " + ",\n ".join(f"{json.dumps(mode)}: " + _dumped(model).replace("\n", "\n ")
                                  for mode, model in models.items()) + "\n}\n"


def _dumped(model: dict) -> str:
    plain = {k: v for k, v in model.items() if k not in ("trees", "in_scope")}
    extra = []
    if "in_scope" in model:
        extra.append('"in_scope": ' + _dumped(model["in_scope"]).replace("\n", "\n "))
    if model.get("trees"):
        rows = ",\n".join("  " + json.dumps(tree, separators=(",", ":")) for tree in model["trees"])
        extra.append('"trees": [\n' + rows + "\n ]")
    if not extra:
        return json.dumps(plain, indent=1, ensure_ascii=False)
    head = json.dumps(plain, indent=1, ensure_ascii=False)[:-1].rstrip() + ",\n " if plain else "{\n "
    return head + ",\n ".join(extra) + "\n}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write bot/matching/decision.json")
    parser.add_argument("--verbose", "-v", action="store_true", help="list the negatives that look like answers")
    args = parser.parse_args()
    knowledge = load_knowledge(ROOT / "knowledge")
    questions = [q for name in TRAINING for q in load_questions(EVAL / name, knowledge.entries)]
    print(f"{len(questions)} development questions ({sum(q.in_scope for q in questions)} in scope)")
    current = json.loads(decide.COEFFICIENTS.read_text(encoding="utf-8"))
    result = dict(current)
    for mode in ("semantic", "lexical"):
        index = Index.from_knowledge(knowledge, embedder="auto" if mode == "semantic" else None)
        if index.mode != mode:
            print(f"{mode}: not available here ({index.matching_note}); kept as it was")
            continue
        embedder = index.semantic.embedder if index.semantic else None
        bare = Index(
            [dataclasses.replace(e, questions=(), keywords=(), answer=e.quote, answer_en="") for e in knowledge.entries],
            (),
            section_titles=knowledge.section_titles,
            ignored_words=knowledge.ignored_words,
            embedder=embedder,
        )
        parts = {"phrased": collect(index, questions), "bare": collect(bare, questions)}
        with tempfile.TemporaryDirectory() as scratch:
            imported: dict[str, Index] = {}
            for name, path in IMPORTED:
                if name not in imported:
                    imported[name] = imported_index(name, Path(scratch) / name, embedder)
                other = imported[name]
                parts[path] = collect(other, load_questions(EVAL / path, other.entries))
        everything = [q for part in parts.values() for q in part]
        ranker_entry, top1 = fit_ranking(everything, RANKING[mode])
        print(f"\n{mode} ranking: out-of-fold top-1 (in-scope questions with a right candidate):")
        for name, part in parts.items():
            scored = [top1[id(q)] for q in part if id(q) in top1]
            reach = np.mean([any(c.entry.id in q.right for c in q.found) for q in part if q.in_scope])
            print(f"  {name:<40} top-1 {np.mean(scored):.3f} (right entry among candidates {reach:.3f})")
        for feature, w in sorted(zip(RANKING[mode], ranker_entry["weights"], strict=True), key=lambda t: -abs(t[1])):
            print(f"  {feature:<16} {w:+.3f}")
        result[f"rank/{mode}"] = ranker_entry
        ranker = rank.Ranker(mode, tuple(ranker_entry["features"]), tuple(ranker_entry["weights"]),
                             tuple(ranker_entry["means"]), tuple(ranker_entry["scales"]))
        phrased = samples(parts["phrased"], ranker)
        quotes = samples(parts["bare"], ranker) + [s for _, path in IMPORTED for s in samples(parts[path], ranker)]
        result[mode] = fit_part(mode, phrased, DECISION[mode], args.verbose, CLARIFY_PENALTY)
        # Nobody has written phrasings for these entries yet: asking back with the likely
        # quotes helps more than it costs, so the clarify threshold weighs wasted questions less.
        result[f"{mode}/quotes"] = fit_part(f"{mode}/quotes", quotes, DECISION[mode], args.verbose, CLARIFY_PENALTY_QUOTES)
    if args.write:
        decide.COEFFICIENTS.write_text(dumps(result), encoding="utf-8")
        print(f"\nwritten {decide.COEFFICIENTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
