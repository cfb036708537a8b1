"""English words in Norwegian, so that an English question meets a Norwegian guideline.

A guideline fresh from `guidebot import` has no English text, and people ask in English too.
The glossary (``en-no.tsv``: an English word, then its bokmål and nynorsk equivalents) is a
general one for the words of workplace rules (IT, privacy, social media, ethics, working life),
not a per-guideline synonym list: editors keep those in ``synonyms.yaml``. The lexical index
adds the Norwegian words of an English question to its terms (`LexicalIndex.question_terms`).

>>> norwegian_words("Can I delete comments?")
['slette', 'kommentar', 'kommentere']
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

GLOSSARY = Path(__file__).with_name("en-no.tsv")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")
# Regular English endings and what the base form ends in instead, the likelier first.
_ENDINGS = (
    ("ies", ("y",)), ("es", ("e", "")), ("s", ("",)),
    ("ied", ("y",)), ("ed", ("e", "")), ("ing", ("e", "")),
)


@lru_cache(maxsize=1)
def glossary() -> dict[str, tuple[str, ...]]:
    """English word -> its Norwegian equivalents, most common first."""
    table: dict[str, tuple[str, ...]] = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, norwegian = line.partition("\t")
        table[english.strip()] = tuple(norwegian.split())
    return table


def norwegian_words(text: str) -> list[str]:
    """The Norwegian equivalents of the English words in `text`, in order, each once."""
    table = glossary()
    out: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        found = next((table[form] for form in _forms(word) if form in table), ())
        out.update(dict.fromkeys(found))
    return list(out)


def glossary_share(text: str) -> float:
    """Share of the words of `text` that are English words the glossary knows ("delete
    comments?" 1.0): short English questions have few English function words."""
    words = _WORD.findall(text.lower())
    table = glossary()
    return sum(any(form in table for form in _forms(w)) for w in words) / len(words) if words else 0.0


def _forms(word: str) -> list[str]:
    """The word, then the base forms it may have under a regular English ending: the glossary
    lists base forms (colleagues -> colleague, cares -> care, planned -> plan)."""
    forms = [word]
    for ending, replacements in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem = word[: -len(ending)]
            forms += [stem + r for r in replacements]
            if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                forms.append(stem[:-1])  # planned -> plan, blogging -> blog
    return forms
