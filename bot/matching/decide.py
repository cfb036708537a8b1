"""The answer / ask back / refer decision: a fitted model over the best candidate's features.

The model gives the probability that the best-ranked entry (`bot.matching.rank`) is a right
answer: a logistic regression, or boosted trees (a few hundred small trees whose values add up
to the log-odds) where those answered more right questions cross-validated, or two such tree
models multiplied ("factored"): the probability that the guideline covers the question at all,
times the probability that the best entry is the right one if it does (fitted on in-scope
questions only), where that did better still. It was fitted on
labelled development questions, out-of-scope near-misses included as negatives,
by ``scripts/fit_decision.py`` and is stored in ``decision.json`` beside this module: one model
for the full engine (meaning and words) and one for lexical-only matching, each with a second
model (``/quotes``) for a best entry that has no phrasings yet (found through its quote). Then:

- probability >= ``answer``: answer with the best entry;
- probability >= ``clarify``: ask back, offering the best entries;
- otherwise: refer to a person (a wrong answer is worse than a referral).

>>> model = DecisionModel.load("lexical")
>>> round(model.probability(dict.fromkeys(model.features, 0.0)), 3) < 0.5
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

COEFFICIENTS = Path(__file__).with_name("decision.json")


def coefficients(path: Path = COEFFICIENTS) -> dict:
    """The fitted models in `path`, read once per version of the file (read-only: shared)."""
    return _parsed(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _parsed(path: Path, version: int) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))

# What each feature means, for `guidebot ask --explain` and the fitting script.
FEATURE_NAMES = {
    "rank_score": "ranking model's score of the best entry (words + meaning)",
    "rank_share": "ranking model's belief in the best entry (and entries related to it), 0..1",
    "rank_margin": "lead of the best entry's ranking score over the best unrelated entry",
    "semantic": "meaning: likeness to the closest phrasing or the quote",
    "semantic_quote": "meaning: likeness to the quote (with section title)",
    "semantic_margin": "meaning: lead over the best unrelated entry",
    "semantic_z": "meaning: how far the best stands out from the question's likeness to all entries",
    "vote": "meaning: share of the closest phrasings that belong to the best entry (or related ones)",
    "lexical": "words: lexical score of the best entry",
    "coverage": "words: share of the question the entry's words explain",
    "phrasing": "words: likeness to the closest phrasing",
    "bm25": "words: BM25F score (scaled)",
    "unknown": "words: share of the question no entry knows",
    "agree": "words and meaning rank the same entry (or related ones) first",
    "matched": "number of question terms the entry knows (log)",
    "phrased": "the entry has phrasings (0: found through its quote only)",
    "missing": "words: the weightiest question word the best entry never uses (1: a word no entry knows)",
    "english": "share of the question's words that mark it as English",
    "english_rank": "English share times the best entry's ranking score",
    "lexical_margin": "words: lead of the best entry's lexical score over the best unrelated entry",
    "coverage_margin": "words: lead in coverage over the best unrelated entry",
    "bm25_margin": "words: lead in BM25F over the best unrelated entry",
    "phrasing_margin": "words: lead in likeness to the closest phrasing over the best unrelated entry",
}


@dataclass(frozen=True)
class Tree:
    """One boosted tree over the standardised features: node i splits on `feature[i]` at
    `threshold[i]` (at or below: `left[i]`, else `right[i]`; -1 marks a leaf); every node keeps
    its `value`, the log-odds it adds (a leaf's is what the tree gives)."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, list]) -> Tree:
        return cls(*(tuple(data[key]) for key in ("feature", "threshold", "left", "right", "value")))


@dataclass(frozen=True)
class DecisionModel:
    """p = sigmoid(log-odds) over standardised features z = (x - mean) / scale. Logistic:
    log-odds = bias + sum(w * z). Boosted trees (`trees` not empty): log-odds = base + the
    leaf values the question reaches, one per tree."""

    mode: str
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    answer: float  # probability thresholds chosen on the cross-validated dev questions
    clarify: float
    trees: tuple[Tree, ...] = ()
    base: float = 0.0
    # Factored: the probability that the guideline covers the question (this model, over the
    # same features), by which this model's own probability (the best entry is the right one,
    # if it does) is multiplied.
    in_scope: DecisionModel | None = None

    @classmethod
    def load(cls, mode: str, path: Path = COEFFICIENTS) -> DecisionModel:
        return cls._from(mode, coefficients(path)[mode])

    @classmethod
    def _from(cls, mode: str, data: Mapping, shared: Mapping | None = None) -> DecisionModel:
        shared = shared or data  # a factored model's part shares its features and scaling
        if not data.get("trees") and len(data.get("weights", ())) != len(shared["features"]):
            raise ValueError(f"decision.json: model {mode!r} has neither trees nor a weight for each feature")
        return cls(
            mode,
            tuple(shared["features"]),
            tuple(data.get("weights", ())),
            float(data.get("bias", 0.0)),
            tuple(shared["means"]),
            tuple(shared["scales"]),
            float(shared["answer"]),
            float(shared["clarify"]),
            tuple(Tree.from_dict(tree) for tree in data.get("trees", ())),
            float(data.get("base", 0.0)),
            cls._from(f"{mode} (in scope)", data["in_scope"], shared) if "in_scope" in data else None,
        )

    @property
    def kind(self) -> str:
        own = "boosted trees" if self.trees else "logistic regression"
        return f"factored {own}: covered x right entry" if self.in_scope else own

    def contributions(self, values: Mapping[str, float]) -> dict[str, float]:
        """Each feature's push on the log-odds: positive speaks for answering. For trees, each
        split on the way to a leaf moves the value from the node's to the child's; that move is
        the split feature's pull (the root values join the starting point, `_start`)."""
        columns = zip(self.features, self.means, self.scales, strict=True)
        standard = [(values[name] - mean) / scale for name, mean, scale in columns]
        if not self.trees:
            return {name: weight * z for name, weight, z in zip(self.features, self.weights, standard, strict=True)}
        pulls = [0.0] * len(self.features)
        for tree in self.trees:
            node = 0
            while (feature := tree.feature[node]) >= 0:
                child = tree.left[node] if standard[feature] <= tree.threshold[node] else tree.right[node]
                pulls[feature] += tree.value[child] - tree.value[node]
                node = child
        return dict(zip(self.features, pulls, strict=True))

    @cached_property
    def _start(self) -> float:
        return self.base + sum(tree.value[0] for tree in self.trees) if self.trees else self.bias

    def probability(self, values: Mapping[str, float]) -> float:
        covered = self.in_scope.probability(values) if self.in_scope else 1.0
        return covered * self.own_probability(values)

    def own_probability(self, values: Mapping[str, float]) -> float:
        """This model's probability alone (a factored model's: the best entry is the right one,
        if the guideline covers the question)."""
        return self._from_pulls(self.contributions(values))

    def _from_pulls(self, pulls: Mapping[str, float]) -> float:
        """The probability from the features' pulls (`contributions`)."""
        z = self._start + sum(pulls.values())
        return 1 / (1 + math.exp(-max(-40.0, min(40.0, z))))

    def outcome(self, values: Mapping[str, float], probability: float, answer: float, clarify: float) -> str:
        """Answer, ask back or refer. A question too thin to answer on (`too_thin`) is asked
        back when its one word is the knowledge's, and never answered."""
        if too_thin(values):
            known = values.get("coverage", 0.0) > 0 and values.get("unknown", 1.0) < 0.5
            return "clarify" if known or probability >= clarify else "referred"
        if probability >= answer:
            return "answered"
        return "clarify" if probability >= clarify else "referred"


def too_thin(features: Mapping[str, float]) -> bool:
    """One shared word is too thin to answer on ("når er julebordet?" shares only "julebord"),
    unless the closest phrasings agree on the entry."""
    return features.get("matched", 0.0) < math.log1p(2) and features.get("vote", 0.0) < 0.6


def explain(model: DecisionModel, values: Mapping[str, float], probability: float, outcome: str,
            answer: float, clarify: float) -> list[str]:
    """Human-readable lines: features, their pull, the probability and the thresholds."""
    lines = [f"decision model: {model.mode} (fitted {model.kind}, decision.json)"]
    parts = [(model, "")]
    if model.in_scope is not None:
        parts = [(model.in_scope, "the guideline covers the question"),
                 (model, "the best entry is the right one, if so")]
    for part, says in parts:
        contributions = part.contributions(values)
        if says:
            lines.append(f" {says}: {part._from_pulls(contributions):.3f}")
        for name in sorted(contributions, key=lambda n: -abs(contributions[n])):
            lines.append(
                f"  {name:<16} {values[name]:7.3f}  pull {contributions[name]:+6.2f}  {FEATURE_NAMES.get(name, '')}"
            )
    capped = too_thin(values) and outcome == "clarify"
    verdict = {
        "answered": f"p >= answer threshold {answer:.2f}: answered",
        "clarify": (
            "only one word in common with the entry, too thin to answer on: ask back"
            if capped
            else f"clarify threshold {clarify:.2f} <= p < answer threshold {answer:.2f}: ask back"
        ),
        "referred": f"p < clarify threshold {clarify:.2f}: referred",
    }[outcome]
    lines.append(f"  probability the best entry is right: {probability:.3f} ({verdict})")
    return lines
