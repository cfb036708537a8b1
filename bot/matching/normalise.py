"""Norwegian-aware text normalisation: from a chat message to the terms the matcher compares.

The same `Analyzer` turns both the knowledge base and the questions into terms, so every rule
applies to both sides alike:

>>> analyzer = Analyzer(Synonyms.from_groups([["bilde", "foto", "picture"]]))
>>> analyzer.terms("Kan jeg legge ut FOTOET av <@U123> på Facebook? 😀")
['bild', 'legg', 'ut', 'facebook']

Steps: Slack markup and emoji out, lower case, tokens, a light suffix stemmer (bokmål and
nynorsk endings), folding of æ/ø/å so that "kollegaen", "kolegaen" and "kollegæn" meet,
multi-word synonyms from the knowledge files, then stop words out. Typos and compounds are
resolved later against the vocabulary of the index (`Vocabulary`), because only the index knows
which words exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import simplemma
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Slack's message markup: <@U123>, <@U123|name>, <#C123|general>, <!channel>, <!subteam^S1|@it>,
# <https://example.org|label>. Mentions and specials carry no meaning for the question; a link's
# label does, its address does not.
_SLACK_LINK = re.compile(r"<(https?://|mailto:)[^>|]*(?:\|([^>]*))?>")
_SLACK_TOKEN = re.compile(r"<[@#!][^>]*>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_BARE_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Stop words in bokmål, nynorsk and English, in the folded form the analyzer produces. They are
# function words and question frames ("er det lov å", "is it ok to"); content words, and the
# customer's vocabulary, belong in the knowledge files instead.
STOP_WORDS = frozenset(
    """
    og i jeg eg det at en ein et eit den til er som pa de dei med han av ikke ikkje ikkje der sa
    var meg seg men ett eitt har om vi me min mitt mine ha hadde hun ho na over da ved fra fraa
    du ut sin dem oss opp man kan hans hvor kor eller hva kva skal selv sjol sjolv her alle vil
    bli blir ble blitt vart vert kunne inn nar vaere vere vaert vore kom noen nokon noe noko
    ville dere dykk deres kun ja etter ned skulle denne dette disse desse for deg si sine sitt
    mot a korleis hvordan hvem kven ingen din ditt dine mye mykje
    lov lovlig tillatt greit ok okei gjore gjere gjor gjer fa far faar matte ma maa bor burde
    jo vel liksom egentlig eigentleg hei hallo takk please thanks hi hello
    hjelp hjelpen help
    am an the is it to of on in for do does what how when who whom should may might must
    allowed ok be are about with me my you your our we at as if or and not this that these those
    there can could would will i a was were been has have had any some s t m re ll ve d
    """.split()
)

# Filler phrases that carry no meaning but contain content-looking words ("tatt", "grunn").
_FILLER = re.compile(
    r"\b(?:i det hele tatt|i det heile teke|i grunnen|for å si det sånn|by the way|at all)\b", re.IGNORECASE
)
# A word every filler phrase holds: the expression runs only on text that has one (start-up
# cleans every phrasing of the knowledge).
_FILLER_HINTS = ("tatt", "teke", "grunnen", "si det", "the way", "at all")

# Endings stripped, one round, longest first, while at least three letters remain; then a final
# -a/-e. Light on purpose: it must treat the knowledge base and the questions alike, not be
# linguistically perfect (typos and synonyms catch much of the rest).
_SUFFIXES = (
    "hetene", "heten", "heter", "erne", "ende", "ande", "ene", "ane", "ere", "ert", "er", "en",
    "et", "a", "e",
)
_MIN_STEM = 3
# simplemma tries these lexicons in order: bokmål, then nynorsk (English inflection is regular
# enough for the stemmer, and its lexicon would cost another 27 MB).
_LEMMA_LANGUAGES = ("nb", "nn")


def fold(word: str) -> str:
    """Fold Norwegian letters the way people type without them: æ→ae, ø→o, å→a, aa→a."""
    word = word.replace("æ", "ae").replace("ø", "o").replace("å", "a").replace("ä", "a")
    word = word.replace("ö", "o").replace("aa", "a").replace("oe", "o")
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Strip an inflection ending: kollegaene → kolleg, bildet → bild, kommunens → kommun."""
    if len(word) >= 6 and word[-1] == "s" and word[-2] not in "su":
        word = word[:-1]  # genitive (kommunens) and English plural (coworkers)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    if len(word) >= 5 and word[-1] in "ae":
        word = word[:-1]
    return word


def clean(text: str) -> str:
    """Remove Slack markup, emoji, control characters and URLs; keep a link's label."""
    text = unicodedata.normalize("NFKC", text)
    if "<" in text:  # the regular expressions only where they can match: the index cleans a lot
        text = _SLACK_LINK.sub(lambda m: f" {m.group(2) or ''} ", text)
        text = _SLACK_TOKEN.sub(" ", text)
    if ":" in text:
        text = _EMOJI_CODE.sub(" ", text)
        text = _BARE_URL.sub(" ", text)
    lowered = text.lower()
    if any(hint in lowered for hint in _FILLER_HINTS):
        text = _FILLER.sub(" ", text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else " " for c in text)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of cleaned text; hyphenated words split (e-post → e, post)."""
    return _WORD.findall(clean(text).lower())


@lru_cache(maxsize=262144)
def _base_term(token: str) -> str:
    return fold(stem(token))


@lru_cache(maxsize=65536)
def lemma(token: str) -> str:
    """Dictionary form from simplemma's bokmål and nynorsk lexicons (gikk → gå, kommentarar →
    kommentar); the word itself when neither knows it."""
    if len(token) < 3 or token.isdigit():
        return token
    return simplemma.lemmatize(token, lang=_LEMMA_LANGUAGES).lower()


def base_terms(text: str) -> list[str]:
    """Tokens stemmed and folded, before synonyms and stop words."""
    return [_base_term(token) for token in tokens(text)]


@dataclass
class Synonyms:
    """Groups of words and phrases that mean the same; every member maps to its group's first."""

    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    starts: dict[str, list[int]] = field(default_factory=dict)  # first word -> phrase lengths, longest first
    singles: dict[str, str] = field(default_factory=dict)  # one-word members -> canonical

    @classmethod
    def from_groups(cls, groups: Iterable[Sequence[str]]) -> Synonyms:
        synonyms = cls()
        for group in groups:
            members = [tuple(base_terms(member)) for member in group]
            members = [m for m in members if m]
            if not members:
                continue
            canonical = "_".join(members[0])
            for member in members:
                synonyms.phrases.setdefault(member, canonical)
                if len(member) > 1:
                    lengths = synonyms.starts.setdefault(member[0], [])
                    if len(member) not in lengths:
                        lengths.append(len(member))
                        lengths.sort(reverse=True)
                else:
                    synonyms.singles.setdefault(member[0], canonical)
        return synonyms

    def apply(self, terms: list[str]) -> list[str]:
        """Replace the longest synonym phrase at each position by its canonical term."""
        singles, starts, phrases = self.singles, self.starts, self.phrases
        if starts.keys().isdisjoint(terms):  # the common case: one word at a time
            return [singles.get(term, term) for term in terms]
        out: list[str] = []
        i, count = 0, len(terms)
        while i < count:
            term = terms[i]
            for n in starts.get(term, ()):
                canonical = phrases.get(tuple(terms[i : i + n])) if i + n <= count else None
                if canonical is not None:
                    out.append(canonical)
                    i += n
                    break
            else:
                out.append(singles.get(term, term))
                i += 1
        return out


def load_lexicons() -> None:
    """Load the lemma lexicons now (simplemma loads each on first use, which would slow one
    question by a quarter of a second)."""
    simplemma.lemmatize("qqqq", lang=_LEMMA_LANGUAGES)


class Analyzer:
    """Turns text into matchable terms; see the module docstring for the steps."""

    def __init__(self, synonyms: Synonyms | None = None, ignored_words: Iterable[str] = ()):
        self.synonyms = synonyms or Synonyms()
        ignored = {self.synonyms.phrases.get((t,), t) for w in ignored_words for t in base_terms(w)}
        self.stop_words = frozenset(fold(stem(w)) for w in STOP_WORDS) | STOP_WORDS | ignored

    def terms(self, text: str, known: Container[str] | None = None) -> list[str]:
        """Terms of `text`. With `known` (the index's vocabulary, for questions), a word whose
        stem the index does not know is tried in its dictionary form: gikk → gå, trugande → truge."""
        if known is None:
            terms = base_terms(text)
        else:
            terms = []
            for token in tokens(text):
                term = _base_term(token)
                if term not in known and term not in self.synonyms.singles:
                    lemma_term = fold(stem(lemma(token)))
                    if lemma_term in known or lemma_term in self.synonyms.singles:
                        term = lemma_term
                terms.append(term)
        terms = self.synonyms.apply(terms)
        return [t for t in terms if t not in self.stop_words and not t.isdigit()]


class Vocabulary:
    """The index's known terms, used to repair typos and split compounds in questions."""

    def __init__(self, terms: Iterable[str], synonyms: Synonyms):
        self.known = frozenset(terms)
        self._by_initial: dict[str, list[str]] = {}
        for known in sorted(self.known):
            self._by_initial.setdefault(known[0], []).append(known)
        self._synonyms = synonyms
        self._resolved: dict[str, tuple[str, ...]] = {}

    def resolve(self, term: str) -> tuple[str, ...]:
        """Known term (with its parts if a compound); else a compound's known parts; else the
        nearest known spelling; else the term itself (unknown words count against a match)."""
        cached = self._resolved.get(term)
        if cached is None:
            parts = self._split_compound(term)
            if term in self.known:
                cached = (term, *parts) if parts else (term,)
            else:
                cached = parts or self._correct_typo(term) or (term,)
            if len(self._resolved) < 100_000:
                self._resolved[term] = cached
        return cached

    def _known_or_synonym(self, part: str) -> str | None:
        part = self._synonyms.phrases.get((part,), part)
        if part in self.known:
            return part
        stemmed = fold(stem(part))
        stemmed = self._synonyms.phrases.get((stemmed,), stemmed)
        return stemmed if stemmed in self.known else None

    def _split_compound(self, term: str) -> tuple[str, ...] | None:
        # facebooksid → facebook + sid; jobbmail → jobb + mail (when not itself known).
        if len(term) < 6:
            return None
        for cut in range(len(term) - 3, 3, -1):
            head = self._known_or_synonym(term[:cut])
            if head is None:
                continue
            tail = term[cut:]
            for linked in (tail, tail[1:] if tail[:1] in "se" else None):
                if linked and len(linked) >= 3:
                    known_tail = self._known_or_synonym(linked)
                    if known_tail is not None:
                        return (head, known_tail)
        return None

    def _correct_typo(self, term: str) -> tuple[str, ...] | None:
        # Short words have too many neighbours ("lenge" is one letter from "henge"); a typo is
        # also rarely in the first letter.
        if len(term) < 5 or term.isdigit():
            return None
        limit = 1 if len(term) < 9 else 2
        same_start = self._by_initial.get(term[0], [])
        found = process.extractOne(term, same_start, scorer=OSA.distance, score_cutoff=limit)
        return (found[0],) if found else None


# Words that mark a question as English: common in English questions, not Norwegian words.
_ENGLISH = frozenset(
    "the is are am was can could should would may might must do does did what how why when where who which "
    "my your our their its it this that these those you we they he she me us them of to about with from "
    "into allowed anything something if or and not any there post posting photo picture".split()
)
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)


def english_share(text: str) -> float:
    """Share of a question's words that mark it as English (0 for Norwegian questions)."""
    words = _WORDS.findall(text.lower())
    return sum(w in _ENGLISH for w in words) / len(words) if words else 0.0
