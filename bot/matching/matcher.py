"""Finds the guideline entry a question is about, and says how sure it is.

An `Index` is built once from the knowledge base. `Index.match(question, audience)` returns a
`Match` with one of three outcomes:

- ``answered``: one entry is clearly best (score and lead over the next unrelated entry);
- ``clarify``: two or three entries are close: the person should pick;
- ``referred``: nothing is good enough; a wrong answer is worse than a referral.

Scoring, for each entry that shares a term with the question: *coverage* (how much of the
question's weight, by inverse document frequency, the entry's vocabulary explains; words the
knowledge base has never seen weigh the most, so "printer" or "lønn" pull a question out of
scope) and *phrasing* similarity (RapidFuzz over the normalised phrasings, and weighted term
overlap with the best phrasing). Thresholds come from `Thresholds` (configurable).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from bot.knowledge import Entry, Knowledge
from bot.matching.normalise import Analyzer, Synonyms, Vocabulary

# How much a term found only in an entry's quote, answer or section title counts, relative to a
# term in its phrasings and keywords, which editors wrote to be found by.
_QUOTE_WEIGHT = 0.6
# Candidates kept after the cheap coverage pass for the more expensive phrasing comparison.
_SHORTLIST = 12
# "Som folkevalgt, kan jeg ...?" says mostly who asks, not what about: the phrase sets the
# audience, and its words weigh less, so they do not dilute the match (they still count: "har
# jeg ytringsfrihet som ansatt?" is partly about being an employee).
_ROLE_WEIGHT = 0.3
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
    """When to answer, ask back or refer. Tuned on tests/eval/questions.yaml; a knowledge
    folder's ``settings.yaml`` (``matching:``) overrides any of them."""

    answer: float = 0.44
    clarify: float = 0.34
    margin: float = 0.05
    min_coverage: float = 0.32
    # A clear winner: a lower score is enough when no unrelated entry comes within `lead`.
    lead: float = 0.10
    lead_floor: float = 0.33
    lead_min_coverage: float = 0.3
    # An answer also needs some likeness to a way people ask for that entry; below this the
    # entry was found through its quote or keywords only, and the person is asked back.
    min_phrasing: float = 0.3

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_settings(cls, settings: Mapping[str, float]) -> Thresholds:
        return cls(**{name: settings[name] for name in cls.names() if name in settings})


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float
    phrasing: float
    matched: int  # how many of the question's terms the entry knows


@dataclass
class Match:
    question: str
    outcome: str  # "answered" | "clarify" | "referred"
    candidates: list[Candidate] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass
class _Document:
    """An entry as the index sees it: term weights and normalised phrasings."""

    entry: Entry
    weights: dict[str, float]
    phrasings: list[tuple[str, frozenset[str]]]


class Index:
    """The searchable form of a knowledge base. Build once; `match` is cheap."""

    def __init__(
        self,
        entries: Iterable[Entry],
        synonym_groups: Iterable[Iterable[str]] = (),
        thresholds: Thresholds | None = None,
        section_titles: dict[tuple[str, str], str] | None = None,
        ignored_words: Iterable[str] = (),
    ):
        self.thresholds = thresholds or Thresholds()
        self.synonyms = Synonyms.from_groups([list(g) for g in synonym_groups])
        self.analyzer = Analyzer(self.synonyms, ignored_words=ignored_words)
        titles = section_titles or {}
        # Keywords and phrasings repeat across entries and documents: analyse each text once.
        analyse = lru_cache(maxsize=None)(lambda text: tuple(self.analyzer.terms(text)))
        self.documents: list[_Document] = []
        for entry in entries:
            weights: dict[str, float] = {}
            secondary = " ".join(
                [entry.quote, entry.answer, titles.get((entry.document_id, entry.section), "")]
            )
            for term in self.analyzer.terms(secondary):
                weights[term] = _QUOTE_WEIGHT
            phrasings = []
            for text in entry.questions:
                terms = analyse(text)
                weights.update(dict.fromkeys(terms, 1.0))
                if terms:
                    phrasings.append((" ".join(terms), frozenset(terms)))
            for text in entry.keywords:
                weights.update(dict.fromkeys(analyse(text), 1.0))
            self.documents.append(_Document(entry, weights, phrasings))
        postings: dict[str, list[int]] = defaultdict(list)
        for position, document in enumerate(self.documents):
            for term in document.weights:
                postings[term].append(position)
        self.postings = dict(postings)
        count = max(len(self.documents), 1)
        self.idf = {t: math.log(1 + count / len(p)) for t, p in self.postings.items()}
        self.unknown_idf = math.log(1 + count)
        self.vocabulary = Vocabulary(self.postings, self.synonyms)

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge, thresholds: Thresholds | None = None) -> Index:
        titles = {(d.id, s.number): s.title for d in knowledge.documents for s in d.sections}
        thresholds = thresholds or Thresholds.from_settings(knowledge.matching)
        return cls(
            knowledge.entries, knowledge.synonym_groups, thresholds, titles, knowledge.ignored_words
        )

    def question_terms(self, question: str) -> list[str]:
        """Normalised terms of a question, typos repaired and compounds split, in order."""
        out: list[str] = []
        for term in self.analyzer.terms(question):
            for resolved in self.vocabulary.resolve(term):
                if resolved not in out and resolved not in self.analyzer.stop_words:
                    out.append(resolved)
        return out

    def match(self, question: str, audience: str = "alle") -> Match:
        """Score the entries for `question`; `audience` ("ansatte"/"politikere") breaks ties."""
        audience, role_words = role_of(question, audience)
        terms = self.question_terms(question)
        if not terms:
            return Match(question, "referred", [], terms)
        weights = {t: self.idf.get(t, self.unknown_idf) for t in terms}
        for term in self.question_terms(role_words) if role_words else ():
            if term in weights:
                weights[term] *= _ROLE_WEIGHT
        total = sum(weights.values())
        coverage: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        for term in terms:
            for position in self.postings.get(term, ()):
                coverage[position] += weights[term] * self.documents[position].weights[term]
                matched[position] += 1
        shortlist = sorted(coverage, key=coverage.__getitem__, reverse=True)[:_SHORTLIST]
        text = " ".join(terms)
        term_set = frozenset(terms)
        candidates = []
        for position in shortlist:
            document = self.documents[position]
            covered = coverage[position] / total
            phrasing = self._phrasing_similarity(text, term_set, weights, total, document)
            score = 0.55 * covered + 0.45 * phrasing
            score *= _audience_factor(document.entry.audience, audience)
            candidates.append(
                Candidate(document.entry, round(score, 4), covered, phrasing, matched[position])
            )
        candidates.sort(key=lambda c: c.score, reverse=True)
        return Match(question, self._decide(candidates), candidates[:5], terms)

    def _phrasing_similarity(
        self, text: str, terms: frozenset[str], weights: dict[str, float], total: float, document: _Document
    ) -> float:
        best = 0.0
        for phrasing_text, phrasing_terms in document.phrasings:
            shared = sum(weights[t] for t in terms & phrasing_terms)
            extra = sum(self.idf.get(t, self.unknown_idf) for t in phrasing_terms - terms)
            overlap = shared / (total + 0.5 * extra) if shared else 0.0
            fuzzy = fuzz.token_sort_ratio(text, phrasing_text) / 100
            best = max(best, 0.7 * overlap + 0.3 * fuzzy)
        return best

    def _decide(self, candidates: list[Candidate]) -> str:
        limits = self.thresholds
        if not candidates:
            return "referred"
        best = candidates[0]
        rivals = [
            c
            for c in candidates[1:]
            if c.entry.id not in best.entry.related and best.entry.id not in c.entry.related
        ]
        gap = best.score - (rivals[0].score if rivals else 0.0)
        if best.phrasing < limits.min_phrasing:
            return "referred" if best.score < limits.clarify else "clarify"
        clear_winner = (
            best.matched >= 2
            and gap >= limits.lead
            and best.score >= limits.lead_floor
            and best.coverage >= limits.lead_min_coverage
        )
        if clear_winner:
            return "answered"
        if best.coverage < limits.min_coverage or best.score < limits.clarify:
            return "referred"
        # One shared word is too thin to answer on: "julebord?" may be about anything.
        if best.matched < 2:
            return "clarify" if best.score >= limits.answer else "referred"
        if best.score >= limits.answer and gap >= limits.margin:
            return "answered"
        return "clarify"


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
