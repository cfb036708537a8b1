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
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache

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
    phrasings: list[tuple[str, ...]]  # each phrasing's terms (those with any)

    @cached_property
    def phrasing_texts(self) -> list[str]:
        """Each phrasing's terms joined, for RapidFuzz (made when the entry is first a candidate)."""
        return [" ".join(terms) for terms in self.phrasings]

    @cached_property
    def phrasing_terms(self) -> list[frozenset[str]]:
        """The same phrasings' terms as sets, for the weighted overlap."""
        return [frozenset(terms) for terms in self.phrasings]


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

    @cached_property
    def text(self) -> str:
        """The question's terms joined (RapidFuzz's side of the phrasing likeness)."""
        return " ".join(self.terms)

    @cached_property
    def term_set(self) -> frozenset[str]:
        return frozenset(self.terms)


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
        # Per entry: its quote, answers and section title as one text, then its phrasings and
        # keywords; their terms come all at once (from the term cache's file of this build).
        texts: list[str] = []
        for entry in entries:
            title = titles.get((entry.document_id, entry.section), "")
            texts.append(" ".join([entry.quote, entry.answer, entry.answer_en, title]))
            texts.extend(entry.questions)
            texts.extend(entry.keywords)
        if cache is not None:
            analysed = iter(cache.terms_of_texts(texts, self.analyzer.terms))
        else:  # keywords and phrasings repeat across entries and documents: analyse each text once
            analyse = lru_cache(maxsize=None)(lambda text: tuple(self.analyzer.terms(text)))
            analysed = map(analyse, texts)
        self.documents: list[LexicalDocument] = []
        for entry in entries:
            secondary = next(analysed)
            phrasings = [next(analysed) for _ in entry.questions]
            keywords = [next(analysed) for _ in entry.keywords]
            written = [term for terms in (*phrasings, *keywords) for term in terms]
            # Phrasings and keywords outweigh the quote; a term keeps its place of first use.
            weights = dict.fromkeys(secondary, QUOTE_WEIGHT)
            weights.update(dict.fromkeys(written, 1.0))
            in_secondary, in_written = Counter(secondary), Counter(written)
            frequencies = {term: _frequency(in_secondary[term], in_written[term]) for term in weights}
            length = sum(frequencies.values())
            self.documents.append(LexicalDocument(entry, weights, frequencies, length, [t for t in phrasings if t]))
        postings: dict[str, list[int]] = defaultdict(list)
        for position, document in enumerate(self.documents):
            for term in document.weights:
                postings[term].append(position)
        self.postings = dict(postings)
        count = max(len(self.documents), 1)
        self.idf = {t: math.log(1 + count / len(p)) for t, p in self.postings.items()}
        self.unknown_idf = math.log(1 + count)
        self.average_length = sum(d.length for d in self.documents) / count
        lengths = np.array([d.length for d in self.documents], dtype=np.float64)
        self._norms = _K1 * (1 - _B + _B * lengths / self.average_length)  # BM25's length norm
        self._posting_arrays: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
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
        # Over all entries at once, term by term in the question's order, with the same float
        # operations in the same order as one entry at a time: the same figures to the last bit.
        coverage = np.zeros(len(self.documents))
        bm25 = np.zeros(len(self.documents))
        matched = np.zeros(len(self.documents), dtype=np.int64)
        seen = np.zeros(len(self.documents), dtype=bool)
        touched = []  # entries in the order a question term first finds them
        for term in terms:
            if term not in self.postings:
                continue
            positions, field_weights, tf = self._posting(term)
            weight = weights[term]
            coverage[positions] += weight * field_weights
            bm25[positions] += weight * tf * (_K1 + 1) / (tf + self._norms[positions])
            matched[positions] += 1
            fresh = positions[~seen[positions]]
            seen[fresh] = True
            touched.append(fresh)
        order = np.concatenate(touched) if touched else np.zeros(0, dtype=np.int64)
        found = order.tolist()
        best_possible = total * (_K1 + 1)
        result.coverage = dict(zip(found, (coverage[order] / total).tolist(), strict=True))
        result.bm25 = dict(zip(found, np.minimum(1.0, bm25[order] / best_possible * 2).tolist(), strict=True))
        result.matched = dict(zip(found, matched[order].tolist(), strict=True))
        return result

    def _posting(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The entries that use `term`, its field weight and frequency in each (made at first use)."""
        arrays = self._posting_arrays.get(term)
        if arrays is None:
            positions = self.postings[term]
            documents = [self.documents[p] for p in positions]
            arrays = (
                np.array(positions, dtype=np.int64),
                np.array([d.weights[term] for d in documents], dtype=np.float64),
                np.array([d.frequencies[term] for d in documents], dtype=np.float64),
            )
            self._posting_arrays[term] = arrays
        return arrays

    def phrasing_similarity(self, scores: LexicalScores, position: int) -> float:
        """Likeness of the question to the entry's closest phrasing, 0..1: weighted term overlap
        (0.7) and RapidFuzz's token sort ratio (0.3), the ratios for all phrasings in one call."""
        document = self.documents[position]
        if not document.phrasing_texts:
            return 0.0
        terms = scores.term_set
        ratios = process.cdist(
            [scores.text], document.phrasing_texts, scorer=fuzz.token_sort_ratio, dtype=np.float64
        )[0]
        best = 0.0
        weight, idf = scores.weights.__getitem__, self.idf.__getitem__  # a phrasing's terms all have an idf
        for phrasing_terms, ratio in zip(document.phrasing_terms, ratios.tolist(), strict=True):
            common = terms & phrasing_terms
            overlap = 0.0
            if common:  # the rest only matters where a word is shared
                shared = sum(map(weight, common))
                extra = sum(map(idf, phrasing_terms - terms))
                overlap = shared / (scores.total + 0.5 * extra)
            best = max(best, 0.7 * overlap + 0.3 * (ratio / 100))
        return best

    def missing_weight(self, scores: LexicalScores, position: int) -> float:
        """The weightiest question word the entry never uses, as a share of the weight of a word
        no entry knows (0: the entry knows every word of the question)."""
        vocabulary = self.documents[position].weights
        missing = [w for t, w in scores.weights.items() if t not in vocabulary]
        return max(missing, default=0.0) / self.unknown_idf


@cache
def _frequency(in_secondary: int, in_written: int) -> float:
    """A term's field-weighted frequency, summed one use at a time as BM25F always has (so the
    float is the same to the last bit: 0.6 + 0.6 + 0.6 is not 3 * 0.6)."""
    frequency = 0.0
    for _ in range(in_secondary):
        frequency += QUOTE_WEIGHT
    for _ in range(in_written):
        frequency += 1.0
    return frequency


def lexical_score(coverage: float, phrasing: float) -> float:
    """The lexical ranking score of guidebot v1: coverage and phrasing likeness."""
    return 0.55 * coverage + 0.45 * phrasing
