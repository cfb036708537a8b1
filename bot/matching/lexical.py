"""Word-based retrieval: which entries share the question's words, and how much that says.

Every entry is indexed through two fields: its phrasings and keywords (written by editors to
be found by), and its quote with the section title and short answers, bokmål and English (the
guideline's own words and the editor's plain ones, weighted lower). For a question it gives per entry:

- *coverage*: how much of the question's weight (inverse document frequency) the entry's
  vocabulary explains; words the knowledge has never seen weigh the most, so "printer" or
  "lønn" pull a question out of scope;
- *bm25*: BM25F over the fields, scaled to 0..1 by the question's own best possible score;
- *phrasing*: likeness to the closest phrasing (weighted term overlap and RapidFuzz);
- *unknown*: the share of the question's weight in words no entry knows.

`score` combines coverage and phrasing as the lexical score used for ranking and as a feature
of the decision (`bot.matching.decide`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge import Entry
from bot.matching.glossary import glossary_share, norwegian_words
from bot.matching.normalise import Analyzer, Synonyms, Vocabulary, english_share, load_lexicons
from bot.matching.termcache import TermCache

# How much a term found only in an entry's quote, answer or section title counts, relative to a
# term in its phrasings and keywords, which editors wrote to be found by.
QUOTE_WEIGHT = 0.6
# "Som folkevalgt, kan jeg ...?" says mostly who asks, not what about: the role phrase's words
# weigh less, so they do not dilute the match.
ROLE_WEIGHT = 0.3
_K1, _B = 1.2, 0.75
# A question with at least this share of English marker words, or of words the glossary knows
# ("delete comments?"), also brings the Norwegian words for its English ones.
ENGLISH_QUESTION = 0.2
GLOSSARY_QUESTION = 0.5


@dataclass
class LexicalDocument:
    """An entry as the lexical index sees it: field-weighted term frequencies and phrasings."""

    entry: Entry
    weights: dict[str, float]  # best field weight per term (coverage)
    frequencies: dict[str, float]  # field-weighted term frequency (BM25F)
    length: float
    phrasing_texts: list[str]  # each phrasing's terms joined, for RapidFuzz
    phrasing_terms: list[frozenset[str]]  # the same phrasings' terms, for the weighted overlap


@dataclass
class LexicalScores:
    """The lexical view of one question over all entries that share a term with it."""

    terms: list[str]
    weights: dict[str, float]
    total: float
    unknown: float  # share of the question's weight in terms no entry knows
    coverage: dict[int, float] = field(default_factory=dict)
    bm25: dict[int, float] = field(default_factory=dict)
    matched: dict[int, int] = field(default_factory=dict)


class LexicalIndex:
    """Postings, inverse document frequencies and phrasings of the knowledge's entries.

    `cache`: the terms of the knowledge's texts kept on disk (`TermCache`), for a quick warm start.
    """

    def __init__(
        self,
        entries: Sequence[Entry],
        synonym_groups: Iterable[Iterable[str]] = (),
        section_titles: dict[tuple[str, str], str] | None = None,
        ignored_words: Iterable[str] = (),
        cache: TermCache | None = None,
    ):
        self.synonyms = Synonyms.from_groups([list(g) for g in synonym_groups])
        self.analyzer = Analyzer(self.synonyms, ignored_words=ignored_words)
        titles = section_titles or {}
        # Keywords and phrasings repeat across entries and documents: analyse each text once.
        terms_of = cache.terms if cache is not None else lambda text, analyse: tuple(analyse(text))
        analyse = lru_cache(maxsize=None)(lambda text: terms_of(text, self.analyzer.terms))
        self.documents: list[LexicalDocument] = []
        for entry in entries:
            weights: dict[str, float] = {}
            frequencies: dict[str, float] = defaultdict(float)
            secondary = " ".join(
                [entry.quote, entry.answer, entry.answer_en, titles.get((entry.document_id, entry.section), "")]
            )
            for term in analyse(secondary):
                weights[term] = QUOTE_WEIGHT
                frequencies[term] += QUOTE_WEIGHT
            phrasing_texts: list[str] = []
            phrasing_terms: list[frozenset[str]] = []
            for text in (*entry.questions, *entry.keywords):
                terms = analyse(text)
                weights.update(dict.fromkeys(terms, 1.0))
                for term in terms:
                    frequencies[term] += 1.0
                if terms and text in entry.questions:
                    phrasing_texts.append(" ".join(terms))
                    phrasing_terms.append(frozenset(terms))
            length = sum(frequencies.values())
            self.documents.append(
                LexicalDocument(entry, weights, dict(frequencies), length, phrasing_texts, phrasing_terms)
            )
        postings: dict[str, list[int]] = defaultdict(list)
        for position, document in enumerate(self.documents):
            for term in document.weights:
                postings[term].append(position)
        self.postings = dict(postings)
        count = max(len(self.documents), 1)
        self.idf = {t: math.log(1 + count / len(p)) for t, p in self.postings.items()}
        self.unknown_idf = math.log(1 + count)
        self.average_length = sum(d.length for d in self.documents) / count
        self.vocabulary = Vocabulary(self.postings, self.synonyms)
        if cache is not None:
            cache.save()
        load_lexicons()

    def question_terms(self, question: str) -> list[str]:
        """Normalised terms of a question, typos repaired and compounds split, in order. An
        English question also brings the Norwegian words for its words (`bot.matching.glossary`)
        that the knowledge uses."""
        out: list[str] = []
        for term in self.analyzer.terms(question, self.postings):
            for resolved in self.vocabulary.resolve(term):
                if resolved not in out and resolved not in self.analyzer.stop_words:
                    out.append(resolved)
        if english_share(question) >= ENGLISH_QUESTION or glossary_share(question) >= GLOSSARY_QUESTION:
            for word in norwegian_words(question):
                for term in self.analyzer.terms(word, self.postings):
                    if term in self.postings and term not in out:
                        out.append(term)
        return out

    def scores(self, question: str, role_words: str = "") -> LexicalScores:
        terms = self.question_terms(question)
        weights = {t: self.idf.get(t, self.unknown_idf) for t in terms}
        for term in self.question_terms(role_words) if role_words else ():
            if term in weights:
                weights[term] *= ROLE_WEIGHT
        total = sum(weights.values())
        unknown = sum(w for t, w in weights.items() if t not in self.postings)
        result = LexicalScores(terms, weights, total, unknown / total if total else 1.0)
        if not total:
            return result
        coverage: dict[int, float] = defaultdict(float)
        bm25: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        for term in terms:
            for position in self.postings.get(term, ()):
                document = self.documents[position]
                coverage[position] += weights[term] * document.weights[term]
                tf = document.frequencies[term]
                norm = _K1 * (1 - _B + _B * document.length / self.average_length)
                bm25[position] += weights[term] * tf * (_K1 + 1) / (tf + norm)
                matched[position] += 1
        best_possible = total * (_K1 + 1)
        result.coverage = {p: c / total for p, c in coverage.items()}
        result.bm25 = {p: min(1.0, b / best_possible * 2) for p, b in bm25.items()}
        result.matched = dict(matched)
        return result

    def phrasing_similarity(self, scores: LexicalScores, position: int) -> float:
        """Likeness of the question to the entry's closest phrasing, 0..1: weighted term overlap
        (0.7) and RapidFuzz's token sort ratio (0.3), the ratios for all phrasings in one call."""
        document = self.documents[position]
        if not document.phrasing_texts:
            return 0.0
        text = " ".join(scores.terms)
        terms = frozenset(scores.terms)
        ratios = process.cdist([text], document.phrasing_texts, scorer=fuzz.token_sort_ratio, dtype=np.float64)[0]
        best = 0.0
        for phrasing_terms, ratio in zip(document.phrasing_terms, ratios.tolist(), strict=True):
            common = terms & phrasing_terms
            overlap = 0.0
            if common:  # the rest only matters where a word is shared
                shared = sum(scores.weights[t] for t in common)
                extra = sum(self.idf.get(t, self.unknown_idf) for t in phrasing_terms - terms)
                overlap = shared / (scores.total + 0.5 * extra)
            best = max(best, 0.7 * overlap + 0.3 * (ratio / 100))
        return best

    def missing_weight(self, scores: LexicalScores, position: int) -> float:
        """The weightiest question word the entry never uses, as a share of the weight of a word
        no entry knows (0: the entry knows every word of the question)."""
        vocabulary = self.documents[position].weights
        missing = [w for t, w in scores.weights.items() if t not in vocabulary]
        return max(missing, default=0.0) / self.unknown_idf


def lexical_score(coverage: float, phrasing: float) -> float:
    """The lexical ranking score of guidebot v1: coverage and phrasing likeness."""
    return 0.55 * coverage + 0.45 * phrasing
