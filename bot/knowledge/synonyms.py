"""Advice on synonyms.yaml: groups that read alike, and groups for one document that change how
another document's questions are read.

A group can be global (a list of words) or belong to one document
(``{document: ID, words: [...]}``). Guidebot reads a question once, before it knows which
document answers it, so a group for one document still changes how a question about another is
read when its words occur in that other document: "avvik" added for a new guideline would make
a question about "avvik" find the other guideline's entries too.
"""

from __future__ import annotations

from bot.knowledge.model import Knowledge, SynonymGroup
from bot.matching.normalise import Analyzer, base_terms, fold


def synonym_advice(knowledge: Knowledge) -> list[str]:
    return _reads_alike(knowledge) + _across_documents(knowledge)


def _place(knowledge: Knowledge, group: SynonymGroup) -> str:
    path = knowledge.folder / "synonyms.yaml"
    return f"{path}:{group.line}" if group.line else str(path)


def _reads_alike(knowledge: Knowledge) -> list[str]:
    """Words guidebot would read alike: the first group wins silently, or a stop word such as
    "får" would suddenly mean something."""
    stop_words = Analyzer().stop_words
    problems: list[str] = []
    seen: dict[tuple[str, ...], tuple[int, str]] = {}
    for number, group in enumerate(knowledge.synonyms):
        for word in group.words:
            read_as = tuple(base_terms(word))
            if not read_as:
                continue
            earlier = seen.setdefault(read_as, (number, word))
            place, reading = _place(knowledge, group), " ".join(read_as)
            if earlier[0] != number:
                problems.append(
                    f"{place}: synonymet '{word}' leses som '{reading}', akkurat som '{earlier[1]}' i gruppen til "
                    f"'{knowledge.synonyms[earlier[0]].words[0]}', som vinner; fjern ett av dem"
                )
            if len(read_as) == 1 and read_as[0] in stop_words and read_as[0] != fold(word.lower()):
                problems.append(
                    f"{place}: synonymet '{word}' leses som '{reading}', som også er et vanlig ord guidebot ellers "
                    f"ser bort fra; alle slike ord ville bety '{group.words[0]}'. Fjern '{word}'"
                )
    return problems


def _across_documents(knowledge: Knowledge) -> list[str]:
    """A group for document A whose words occur in document B's entries: B's questions change too."""
    problems: list[str] = []
    known = {d.id for d in knowledge.documents}
    for group in knowledge.synonyms:
        if not group.document:
            continue
        if group.document not in known:
            problems.append(
                f"{_place(knowledge, group)}: gruppen er for dokumentet '{group.document}', som ikke finnes"
            )
            continue
        readings = {word: set(base_terms(word)) for word in group.words}
        for document in knowledge.documents:
            if document.id == group.document:
                continue
            for entry in document.entries:
                text = " ".join([entry.quote, *entry.questions, *entry.keywords])
                terms = set(base_terms(text))
                hit = next((w for w, reading in readings.items() if reading and reading <= terms), None)
                if hit is None:
                    continue
                problems.append(
                    f"{_place(knowledge, group)}: gruppen for '{group.document}' ({', '.join(group.words[:4])}) "
                    f"endrer også hvordan spørsmål om '{document.id}' leses: '{hit}' står i oppføringen "
                    f"'{entry.id}' ({entry.file}:{entry.line}). Bruk et ord som bare hører til '{group.document}', "
                    "eller gjør gruppen global hvis det er ment"
                )
                break
    return problems
