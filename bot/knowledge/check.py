"""`guidebot check`: validates the knowledge files the way an editor needs it.

Every problem is one line naming file, line and entry: schema errors, a quote that is not found
verbatim (whitespace-insensitive) in the document's source, unknown sections or related ids,
duplicate ids, the same phrasing on two entries, sections or sentences of the source that no
entry quotes, and synonyms that read alike (after inflection endings are stripped, a word in two
groups, or a word that turns into a common stop word, such as "fare" into "far" = "får").
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge import Entry, Knowledge, KnowledgeError, load_knowledge
from bot.knowledge.sourcetext import CLOSING_SECTION, normalise_for_compare, parse_guideline
from bot.matching.normalise import Analyzer, base_terms, fold


def check_folder(folder: Path | str | None = None) -> tuple[Knowledge | None, list[str]]:
    """Load and check; returns the knowledge (if it loaded) and every problem found."""
    try:
        knowledge = load_knowledge(folder)
    except KnowledgeError as error:
        return None, error.problems
    return knowledge, check_knowledge(knowledge)


def check_knowledge(knowledge: Knowledge) -> list[str]:
    problems: list[str] = []
    seen_ids: dict[str, str] = {}
    seen_phrasings: dict[str, str] = {}
    all_ids = {entry.id for entry in knowledge.entries}
    for document in knowledge.documents:
        numbers = [s.number for s in document.sections]
        for number in {n for n in numbers if numbers.count(n) > 1}:
            problems.append(f"{document.file}: section {number} is listed twice")
        if document.doubt_entry and document.doubt_entry not in all_ids:
            problems.append(f"{document.file}: doubt_entry '{document.doubt_entry}' is no entry id")
        source_text = _read_source(knowledge.folder, document.source, document.file, problems)
        compact = normalise_for_compare(source_text) if source_text else ""
        dehyphenated = normalise_for_compare(source_text.replace("-\n", "")) if source_text else ""
        quotes: list[str] = []
        for entry in document.entries:
            where = f"{entry.file}:{entry.line}: entry '{entry.id}'"
            if entry.id in seen_ids:
                problems.append(f"{where}: id already used at {seen_ids[entry.id]}")
            seen_ids[entry.id] = f"{entry.file}:{entry.line}"
            if document.section(entry.section) is None:
                problems.append(f"{where}: section '{entry.section}' is not in this document's sections")
            quote = normalise_for_compare(entry.quote)
            if source_text and quote and quote not in compact and quote not in dehyphenated:
                problems.append(f"{where}: quote is not verbatim in {document.source}")
            quotes.append(quote)
            if not entry.questions:
                problems.append(f"{where}: no questions: people will not find it")
            problems.extend(f"{where}: {problem}" for problem in yes_no_answer_problems(entry))
            for related in entry.related:
                if related not in all_ids:
                    problems.append(f"{where}: related '{related}' is no entry id")
            for question in entry.questions:
                key = " ".join(question.lower().split())
                if key in seen_phrasings and seen_phrasings[key] != entry.id:
                    problems.append(
                        f"{where}: question «{question}» is also on entry '{seen_phrasings[key]}'"
                    )
                seen_phrasings.setdefault(key, entry.id)
        if source_text:
            problems.extend(_coverage(document, source_text, quotes))
    problems.extend(_synonym_problems(knowledge))
    return problems


def _synonym_problems(knowledge: Knowledge) -> list[str]:
    """Words guidebot would read alike: the first group wins silently, or a stop word such as
    "får" would suddenly mean something."""
    path = knowledge.folder / "synonyms.yaml"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def where(group: list[str], word: str) -> str:
        # The line of the group's list: it starts with the group's first word and holds the word.
        number = next(
            (i for i, line in enumerate(lines, 1) if line.lstrip().startswith(f"- [{group[0]}") and word in line), 0
        )
        return f"{path}:{number}" if number else str(path)

    stop_words = Analyzer().stop_words
    problems: list[str] = []
    seen: dict[tuple[str, ...], tuple[int, str]] = {}
    for number, group in enumerate(knowledge.synonym_groups):
        for word in group:
            read_as = tuple(base_terms(word))
            if not read_as:
                continue
            earlier = seen.setdefault(read_as, (number, word))
            place, reading = where(group, word), " ".join(read_as)
            if earlier[0] != number:
                problems.append(
                    f"{place}: synonym '{word}' reads as '{reading}', like '{earlier[1]}' in the "
                    f"group of '{knowledge.synonym_groups[earlier[0]][0]}', which wins; remove one of them"
                )
            if len(read_as) == 1 and read_as[0] in stop_words and read_as[0] != fold(word.lower()):
                problems.append(
                    f"{place}: synonym '{word}' reads as '{reading}', which is also how guidebot reads a "
                    f"common word it otherwise ignores; every such word would mean '{group[0]}'. Remove '{word}'"
                )
    return problems


_YES_NO = re.compile(r"^\s*(?:ja|nei|yes|no)\b", re.IGNORECASE)


def yes_no_answer_problems(entry: Entry) -> list[str]:
    """A short answer that begins with Ja/Nei (Yes/No) reads as the opposite when the question is
    put the other way round ("må jeg spørre fotografen?" → "Nei, ..."): state the rule instead."""
    return [
        f"{name} begins with '{text.split()[0].strip('.,!')}': state the rule instead of yes or no"
        for name, text in (("answer", entry.answer), ("answer_en", entry.answer_en or ""))
        if _YES_NO.match(text)
    ]


def _read_source(folder: Path, source: str, file: str, problems: list[str]) -> str:
    if not source:
        problems.append(f"{file}: no 'source' text to check quotes against")
        return ""
    path = folder / source
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{file}: source '{source}' cannot be read: {error}")
        return ""


def _coverage(document, source_text: str, quotes: list[str]) -> list[str]:
    problems: list[str] = []
    numbers = {s.number for s in document.sections}
    for section in parse_guideline(source_text):
        if section.number != CLOSING_SECTION and section.number not in numbers:
            problems.append(
                f"{document.file}: section {section.number} ({section.title}) of "
                f"{document.source}:{section.line} is missing from 'sections'"
            )
        for unit in section.units:
            compact = normalise_for_compare(unit)
            if not any(compact in quote for quote in quotes):
                problems.append(
                    f"{document.file}: no entry quotes this sentence of section {section.number}: «{unit}»"
                )
    return problems
