"""A revised guideline: compare the old source text with the new and update the knowledge file.

`guidebot import NEW.pdf --document ID --update` reads the new text and calls `revise`:

- an entry whose quote is still verbatim in the new text is kept as it is (answer, phrasings);
- an entry whose sentence changed is marked ``review: endret`` with the closest new sentence
  as ``proposed_quote``; an entry whose sentence is gone is marked ``review: fjernet``. Both
  are held back (never served) until an editor has looked at them, so the bot never shows a
  quote that is no longer in the current source;
- a sentence of the new text that no entry quotes becomes a new entry (``review: ny``),
  answerable at once with its own quote;
- new sections are added, the revision date is set.

The old knowledge file and source are kept beside the new ones (``*.forrige``) for comparison.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

from bot.knowledge.importing import Guideline, slug
from bot.knowledge.sourcetext import normalise_for_compare, split_sentences

_SAME_SENTENCE = 0.6  # how alike an old and a new sentence must be to call it "changed"


@dataclass
class Revision:
    """What `revise` did, for the editor."""

    kept: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"Uendret: {len(self.kept)} oppføring(er) beholder svar og spørsmål.",
            f"Endret: {len(self.changed)} oppføring(er) venter på gjennomgang (nytt sitat foreslått): "
            + (", ".join(self.changed) or "ingen"),
            f"Fjernet: {len(self.removed)} oppføring(er) står ikke lenger i teksten: "
            + (", ".join(self.removed) or "ingen"),
            f"Nye: {len(self.added)} oppføring(er) fra ny tekst: " + (", ".join(self.added) or "ingen"),
        ]


def _closest(quote: str, candidates: list[str]) -> tuple[str, float]:
    best, score = "", 0.0
    folded = " ".join(quote.split()).lower()
    for candidate in candidates:
        ratio = difflib.SequenceMatcher(None, folded, candidate.lower(), autojunk=False).ratio()
        if ratio > score:
            best, score = candidate, ratio
    return best, score


def _spans(sentences: list[str], size: int) -> list[str]:
    return [" ".join(sentences[i : i + size]) for i in range(len(sentences) - size + 1)]


def revise(old: dict, new: Guideline, revised: date | None = None) -> tuple[dict, Revision]:
    """The updated knowledge-file data for document `old` (as read from its YAML) and the new text."""
    data = {key: value for key, value in old.items() if key != "__line__"}
    document = dict(data.get("document") or {})
    document.pop("__line__", None)
    document["revised"] = revised or date.today()
    data["document"] = document
    compact = normalise_for_compare(new.source_text)
    dehyphenated = normalise_for_compare(new.source_text.replace("-\n", ""))
    drafts = new.outline.drafts
    sentences = [s for d in drafts if d.kind != "list" for s in split_sentences(d.quote)]
    section_of = {s: d.section for d in drafts for s in split_sentences(d.quote)}
    result = Revision()
    entries: list[dict] = []
    quoted: list[str] = []
    for raw in data.get("entries") or []:
        entry = {k: v for k, v in raw.items() if k != "__line__"}
        quote = " ".join(str(entry.get("quote", "")).split())
        compact_quote = normalise_for_compare(quote)
        if compact_quote and (compact_quote in compact or compact_quote in dehyphenated):
            if entry.get("review") in ("endret", "fjernet"):
                entry.pop("review"), entry.pop("proposed_quote", None)
            result.kept.append(entry["id"])
            quoted.append(compact_quote)
        else:
            size = max(1, len(split_sentences(quote)))
            proposal, score = _closest(quote, _spans(sentences, size) or sentences)
            if score >= _SAME_SENTENCE:
                entry["review"], entry["proposed_quote"] = "endret", proposal
                result.changed.append(entry["id"])
                quoted.append(normalise_for_compare(proposal))
            else:
                entry["review"] = "fjernet"
                entry.pop("proposed_quote", None)
                result.removed.append(entry["id"])
        entries.append(entry)
    ids = {e["id"] for e in entries}
    sections = [{k: v for k, v in s.items() if k != "__line__"} for s in data.get("sections") or []]
    numbers = {str(s.get("number")) for s in sections}
    for section in new.outline.sections:
        if section.number not in numbers:
            sections.append({"number": section.number, "title": section.title})
            numbers.add(section.number)
    for draft in drafts:
        if draft.kind == "list":
            continue
        unquoted = [s for s in split_sentences(draft.quote) if not any(normalise_for_compare(s) in q for q in quoted)]
        if not unquoted:
            continue
        quote = draft.quote if draft.kind in ("item", "table") else " ".join(unquoted)
        count = 1
        while f"{document.get('id')}-{slug(draft.section, 24)}-ny-{count:02d}" in ids:
            count += 1
        entry_id = f"{document.get('id')}-{slug(draft.section, 24)}-ny-{count:02d}"
        ids.add(entry_id)
        section = section_of.get(unquoted[0], draft.section)
        # After the last entry of its section, so the file keeps the guideline's order.
        at = max((i + 1 for i, e in enumerate(entries) if str(e.get("section")) == section), default=len(entries))
        new_entry = {"id": entry_id, "section": section, "audience": "alle", "quote": quote, "questions": []}
        entries.insert(at, {**new_entry, "review": "ny"})
        quoted.append(normalise_for_compare(quote))
        result.added.append(entry_id)
    data["sections"] = sections
    data["entries"] = entries
    return data, result
