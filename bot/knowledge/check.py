"""`guidebot check`: what an editor needs to know about the knowledge files, in three kinds.

- **Errors** stop the bot (it will not start on them): a quote that is not verbatim in the
  document's current source, an id used twice, an unknown section, a source that cannot be
  read (and what loading finds: YAML slips, a key given twice, departments in a cycle).
  `load_knowledge` raises on exactly these (`errors_in`).
- **Waiting for review**: entries `guidebot import --update` marked when the guideline was
  revised; they are not served until an editor has looked at them.
- **Advice** improves the answers: entries without phrasings (counted per document), a phrasing
  on two entries, a `related` id that is gone, sentences or sections of the source no entry
  quotes, synonyms that read alike, and a synonym group for one document that changes how
  another document's questions are read.

Every line names file, line and entry, in Norwegian, for the people who edit the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.loading import load_knowledge
from bot.knowledge.model import Document, Entry, Knowledge, KnowledgeError
from bot.knowledge.sourcetext import normalise_for_compare, parse_guideline


@dataclass
class DocumentCount:
    document: str
    entries: int
    with_phrasings: int
    waiting: int

    @property
    def share(self) -> int:
        return round(100 * self.with_phrasings / self.entries) if self.entries else 0


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    counts: list[DocumentCount] = field(default_factory=list)


def examine_folder(folder: Path | str | None = None) -> tuple[Knowledge | None, Findings]:
    """Load and check; returns the knowledge (if it loaded) and what was found, by kind."""
    try:
        knowledge = load_knowledge(folder, verify=False)
    except KnowledgeError as error:
        return None, Findings(errors=list(error.problems))
    return knowledge, check_knowledge(knowledge)


def check_folder(folder: Path | str | None = None) -> tuple[Knowledge | None, list[str]]:
    """Load and check; every finding (errors, waiting, advice) as one list: [] means all is well."""
    knowledge, found = examine_folder(folder)
    return knowledge, found.errors + found.waiting + found.advice


def errors_in(knowledge: Knowledge) -> list[str]:
    """The problems that keep the bot from starting."""
    return check_knowledge(knowledge, advice=False).errors


def _where(entry: Entry) -> str:
    return f"{entry.file}:{entry.line}: oppføring '{entry.id}'"


def _shared_phrasings(owner: str, questions: tuple[str, ...], seen: dict[str, str]) -> list[tuple[str, str]]:
    """The questions of `owner` (an entry or a gap) already written on another one, with its id
    (word for word as the matcher compares them: case and punctuation aside); records the rest
    as `owner`'s."""
    from bot.matching.normalise import tokens  # the matcher's words; imported late, like synonyms

    shared = []
    for question in questions:
        key = " ".join(tokens(question))
        if not key:  # no words at all ("?"): nothing the matcher could confuse
            continue
        if key in seen and seen[key] != owner:
            shared.append((question, seen[key]))
        seen.setdefault(key, owner)
    return shared


def check_knowledge(knowledge: Knowledge, advice: bool = True) -> Findings:
    found = Findings()
    seen_ids: dict[str, str] = {}
    seen_phrasings: dict[str, str] = {}
    all_ids = {entry.id for document in knowledge.documents for entry in document.all_entries}
    for document in knowledge.documents:
        numbers = [s.number for s in document.sections]
        for number in sorted({n for n in numbers if numbers.count(n) > 1}):
            found.errors.append(f"{document.file}: punkt {number} står to ganger under 'sections'")
        if document.doubt_entry and document.doubt_entry not in all_ids:
            found.errors.append(f"{document.file}: doubt_entry '{document.doubt_entry}' er ingen oppføring")
        elif document.doubt_entry in {e.id for e in document.held}:
            found.advice.append(
                f"{document.file}: doubt_entry '{document.doubt_entry}' venter på gjennomgang, så henvisninger "
                "viser ikke det sitatet før den er gjennomgått"
            )
        source_text = _read_source(knowledge.folder, document, found.errors)
        compact = normalise_for_compare(source_text) if source_text else ""
        dehyphenated = normalise_for_compare(source_text.replace("-\n", "")) if source_text else ""
        quotes: list[str] = []
        for entry in document.all_entries:
            where = _where(entry)
            if entry.id in seen_ids:
                found.errors.append(f"{where}: id-en er allerede brukt på {seen_ids[entry.id]}")
            seen_ids.setdefault(entry.id, f"{entry.file}:{entry.line}")
            if document.section(entry.section) is None:
                found.errors.append(f"{where}: punkt '{entry.section}' står ikke under 'sections'")
            for related in entry.related:  # harmless to the bot (it only links what it found)
                if related not in all_ids:
                    found.advice.append(f"{where}: related '{related}' er ingen oppføring (lenger); fjern den")
            quote = normalise_for_compare(entry.quote)
            if entry.waits_for_review:
                found.waiting.append(_waiting(entry, compact))
                continue
            if source_text and quote and quote not in compact and quote not in dehyphenated:
                found.errors.append(
                    f"{where}: sitatet står ikke ordrett i {document.source}; kopier det fra kildeteksten"
                )
            quotes.append(quote)
            found.advice.extend(f"{where}: {problem}" for problem in yes_no_answer_problems(entry))
            for question, other in _shared_phrasings(entry.id, entry.questions, seen_phrasings):
                found.advice.append(
                    f"{where}: spørsmålet «{question}» står også på '{other}'; "
                    "guidebot kan ikke vite hvilken som er ment"
                )
        for gap in document.gaps:  # topics the guideline does not cover: no quote, never answered
            where = f"{gap.file}:{gap.line}: tema '{gap.id}'"
            if gap.id in seen_ids:
                found.errors.append(f"{where}: id-en er allerede brukt på {seen_ids[gap.id]}")
            seen_ids.setdefault(gap.id, f"{gap.file}:{gap.line}")
            for question, other in _shared_phrasings(gap.id, gap.questions, seen_phrasings):
                found.errors.append(
                    f"{where}: spørsmålet «{question}» står også på '{other}'; et tema under 'gaps' er det "
                    "retningslinjen ikke svarer på, og et spørsmål kan bare høre til ett sted"
                )
        found.counts.append(
            DocumentCount(
                document.id,
                len(document.entries),
                sum(1 for e in document.entries if e.questions),
                len(document.held),
            )
        )
        if advice:
            found.advice.extend(_phrasing_advice(document))
            if source_text:
                found.advice.extend(_coverage(document, source_text, quotes))
    if advice:
        from bot.knowledge.synonyms import synonym_advice  # needs the matcher's analyzer

        found.advice.extend(synonym_advice(knowledge))
    return found


_YES_NO = re.compile(r"^\s*(?:ja|nei|yes|no)\b", re.IGNORECASE)


def yes_no_answer_problems(entry: Entry) -> list[str]:
    """A short answer that begins with Ja/Nei (Yes/No) reads as the opposite when the question is
    put the other way round ("må jeg spørre fotografen?" → "Nei, ..."): state the rule instead."""
    return [
        f"{name} begynner med «{text.split()[0].strip('.,!')}»: skriv regelen, ikke ja eller nei "
        "(svaret leses motsatt når spørsmålet stilles andre veien)"
        for name, text in (("answer", entry.answer), ("answer_en", entry.answer_en or ""))
        if _YES_NO.match(text)
    ]


def _waiting(entry: Entry, compact_source: str) -> str:
    if entry.review == "fjernet":
        return f"{_where(entry)}: setningen er fjernet fra den nye teksten; slett oppføringen eller flytt svaret"
    proposal = entry.proposed_quote
    line = f"{_where(entry)}: setningen er endret; foreslått nytt sitat: «{proposal}»"
    if proposal and normalise_for_compare(proposal) not in compact_source:
        line += " (forslaget står heller ikke i kildeteksten)"
    return line + ". Sett quote til det nye, se over svaret, og slett 'review' og 'proposed_quote'"


def _phrasing_advice(document: Document) -> list[str]:
    bare = [e for e in document.entries if not e.questions]
    if not bare:
        return []
    first = ", ".join(f"'{e.id}'" for e in bare[:3]) + (" …" if len(bare) > 3 else "")
    return [
        f"{document.file}: {len(bare)} av {len(document.entries)} oppføringer har ingen spørsmål (questions) "
        f"ennå ({first}); de finnes bare gjennom sitatet. Legg til måter folk spør på"
    ]


def _read_source(folder: Path, document: Document, errors: list[str]) -> str:
    if not document.source:
        errors.append(f"{document.file}: 'source' mangler; sitatene kan ikke sjekkes mot teksten")
        return ""
    path = folder / document.source
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.append(f"{document.file}: finner ikke kildeteksten '{document.source}' i {folder}")
    except (OSError, UnicodeDecodeError) as error:
        errors.append(f"{document.file}: kildeteksten '{document.source}' kan ikke leses: {error}")
    return ""


def _coverage(document: Document, source_text: str, quotes: list[str]) -> list[str]:
    problems: list[str] = []
    numbers = {s.number for s in document.sections}
    titles = {normalise_for_compare(s.title).lower() for s in document.sections}
    for section in parse_guideline(source_text):
        if section.number[:1].isdigit() and section.number not in numbers:
            problems.append(
                f"{document.file}: punkt {section.number} ({section.title}) i "
                f"{document.source}:{section.line} mangler under 'sections'"
            )
        for unit in section.units:
            compact = normalise_for_compare(unit)
            if compact.lower() in titles or any(compact in quote for quote in quotes):
                continue
            problems.append(
                f"{document.file}: ingen oppføring siterer denne setningen i punkt {section.number}: «{unit}»"
            )
    return problems
