"""A guideline's text as quotes are checked against it: sentences and the compare form.

`normalise_for_compare(text)` is the whitespace-insensitive form quotes are checked in (so a
quote matches across PDF line breaks, "IT-\\navdelingen" too); `split_sentences(text)` splits a
paragraph into sentences without breaking after "f.eks." or a day number ("20. april");
`parse_guideline(text)` gives the sections and their sentences (the importer's reading).
"""

from __future__ import annotations

import re

# No sentence ends after these (f.eks. Facebook), nor after a day number (20. april).
_NO_BREAK_AFTER = ("f.eks.", "bl.a.", "jf.", "ca.", "nr.", "dvs.", "evt.", "mht.", "ift.", "pga.", "kap.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[«\"(]?[A-ZÆØÅ0-9])")


def normalise_for_compare(text: str) -> str:
    """Whitespace removed, so quotes match across PDF line breaks (and "IT-\\navdelingen")."""
    return re.sub(r"\s+", "", text)


def split_sentences(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if parts and (
            parts[-1].lower().endswith(_NO_BREAK_AFTER) or re.search(r"\b\d{1,2}\.$", parts[-1])
        ):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


def parse_guideline(text: str):
    """Sections of a guideline in plain text, each with its verbatim sentences in `units`
    (see `bot.knowledge.importing.structure`)."""
    from bot.knowledge.importing.structure import outline
    from bot.knowledge.importing.txt import text_blocks

    blocks, _left_out = text_blocks(text)
    return outline(blocks).sections
