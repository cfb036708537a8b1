"""Orders the candidate entries for a question: a fitted ranking model over what words and
meaning say about each candidate.

Every candidate (an entry either retriever found) is described by the same few numbers: how
close the question is in meaning to the entry's quote, its phrasings, its written answers and
the mean of all of them, how far that stands out from the question's likeness to every other
entry, how many of the closest phrasings belong to it, and the lexical coverage, phrasing
likeness and BM25F. The ranking model is a conditional logit (softmax over the candidates of
one question) fitted by ``scripts/fit_decision.py`` on labelled development questions, with
imported entries (no phrasings yet) among them, and stored in ``decision.json`` beside the
decision models. Its weights say how much each kind of evidence counts; the decision
(`bot.matching.decide`) then reads how far the best candidate leads.

>>> ranker = Ranker.load("lexical")
>>> set(ranker.features) <= set(CANDIDATE_FEATURES)
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.matching.decide import COEFFICIENTS, coefficients

# What each candidate feature means (for `guidebot ask --explain` and the fitting script).
CANDIDATE_FEATURES = {
    "sem_quote": "meaning: likeness to the quote (with section title)",
    "sem_phrasing": "meaning: likeness to the closest phrasing (the quote's, without phrasings)",
    "sem_answer": "meaning: likeness to the written answer, bokmål or English (else the best above)",
    "sem_best": "meaning: the best of the three",
    "sem_z": "meaning: how far the entry stands out from the question's likeness to all entries",
    "sem_gap": "meaning: distance below the entry closest in meaning (0 for that entry)",
    "sem_section": "meaning: likeness to the whole section the entry stands in (title and quotes)",
    "sem_centre": "meaning: likeness to the mean of all the entry's texts (quote, phrasings, answers)",
    "sem_quote_c": "meaning, entry without phrasings: likeness to the quote, what all questions and all quotes"
    " share taken away (0 for a phrased entry)",
    "sem_section_c": "meaning, entry without phrasings: likeness to the whole section, centred the same way",
    "vote": "meaning: share of the five closest phrasings that are this entry's",
    "sem_phrasing_c": "meaning: likeness to the closest phrasing, what all questions share taken away from both"
    " (0 for an entry without phrasings)",
    "vote_c": "meaning: share of the five phrasings closest, so centred, that are this entry's",
    "coverage": "words: share of the question the entry's words explain",
    "phrasing": "words: likeness to the closest phrasing",
    "bm25": "words: BM25F score (scaled)",
    "matched": "words: number of question terms the entry knows (log)",
    "phrased": "the entry has phrasings (0: found through its quote only)",
    "other_audience": "the entry is for another audience than the asker's role",
}
SEMANTIC = (
    "sem_quote", "sem_phrasing", "sem_answer", "sem_best", "sem_z", "sem_gap", "sem_section", "sem_centre",
    "sem_quote_c", "sem_section_c", "vote", "sem_phrasing_c", "vote_c",
)


@dataclass(frozen=True)
class Ranker:
    """Linear scores over standardised candidate features: s = sum(w * (x - mean) / scale)."""

    mode: str
    features: tuple[str, ...]
    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]

    @classmethod
    def load(cls, mode: str, path: Path = COEFFICIENTS) -> Ranker:
        data = coefficients(path)[f"rank/{mode}"]
        return cls(mode, tuple(data["features"]), tuple(data["weights"]), tuple(data["means"]), tuple(data["scales"]))

    def contributions(self, values: Mapping[str, float]) -> dict[str, float]:
        """Each feature's push on the score."""
        return {
            name: w * (values[name] - mean) / scale
            for name, w, mean, scale in zip(self.features, self.weights, self.means, self.scales, strict=True)
        }

    def score(self, values: Mapping[str, float]) -> float:
        return sum(self.contributions(values).values())


def shares(scores: Sequence[float]) -> list[float]:
    """Softmax of the candidates' scores: the model's belief that each is the right one."""
    if not scores:
        return []
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]
