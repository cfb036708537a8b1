"""The knowledge model: documents, sections, entries, contacts and the whole `Knowledge`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

AUDIENCES = ("ansatte", "politikere", "alle")
REVIEW_MARKS = ("endret", "fjernet", "ny")
REVIEW_HOLDS = ("endret", "fjernet")  # marks that keep an entry from being served


class KnowledgeError(Exception):
    """One or more problems in the knowledge files, each ``file:line: message``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    line: int = 0

    @property
    def is_numbered(self) -> bool:
        return is_numbered(self.number)


def is_numbered(section_number: str) -> bool:
    """"4.4" is a numbered section; "Avslutning" (text after the last one) is not."""
    return section_number[:1].isdigit()


@dataclass(frozen=True)
class Entry:
    """One rule of a guideline: its verbatim quote, a plain answer and ways people ask for it."""

    id: str
    document_id: str
    section: str
    quote: str
    answer: str
    audience: str = "alle"
    questions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    answer_en: str = ""
    related: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    # Set by `guidebot import --update` when the guideline was revised: "endret" (the sentence
    # changed; `proposed_quote` holds the new one), "fjernet" (gone from the new text) or "ny".
    # Entries marked "endret" or "fjernet" are never served: their quote is not in the source.
    review: str = ""
    proposed_quote: str = ""

    @property
    def waits_for_review(self) -> bool:
        return self.review in REVIEW_HOLDS


@dataclass(frozen=True)
class Gap:
    """A topic people ask about that the guideline does not cover ("Kan vi skjule kommentarer?"),
    written down by an editor so guidebot says so plainly and refers, instead of answering with
    the nearest rule. It has no quote: guidebot never answers from it."""

    id: str
    document_id: str
    topic: str  # "å skjule kommentarer eller skru av kommentarfeltet"
    topic_en: str = ""
    questions: tuple[str, ...] = ()
    file: str = ""
    line: int = 0


@dataclass
class Document:
    id: str
    title: str
    owner: str
    adopted: date | None
    revised: date | None
    case_number: str
    source: str
    doubt_entry: str
    sections: list[Section]
    entries: list[Entry]  # the entries guidebot serves
    file: str = ""
    held: list[Entry] = field(default_factory=list)  # waiting for review after a revision
    gaps: list[Gap] = field(default_factory=list)  # topics the guideline does not cover

    @property
    def all_entries(self) -> list[Entry]:
        """Served and held entries, in file order."""
        return sorted(self.entries + self.held, key=lambda e: e.line)

    def section(self, number: str) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)

    @property
    def version_label(self) -> str:
        if self.revised:
            return f"revidert {self.revised.strftime('%d.%m.%Y')}"
        if self.adopted:
            return f"vedtatt {self.adopted.strftime('%d.%m.%Y')}"
        return ""


@dataclass
class Leader:
    name: str
    title: str = ""
    slack_user: str = ""
    email: str = ""


@dataclass
class Department:
    id: str
    name: str
    leader: Leader
    parent: str = ""


@dataclass
class Person:
    name: str
    role: str = "ansatt"
    department: str = ""
    slack_user: str = ""
    email: str = ""


@dataclass
class Contacts:
    example: bool = False  # `example: true` at the top of contacts.yaml: invented people
    it_name: str = "IT-avdelingen"
    it_slack_channel: str = ""
    it_email: str = ""
    it_phone: str = ""
    politicians_contact: Leader | None = None
    departments: dict[str, Department] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)


@dataclass(frozen=True)
class SynonymGroup:
    """Words read alike; `document` is the one document the group is for ("" = every document)."""

    words: tuple[str, ...]
    document: str = ""
    line: int = 0


@dataclass
class Knowledge:
    folder: Path
    documents: list[Document]
    synonym_groups: list[list[str]]  # every group's words, global and per document
    contacts: Contacts
    ignored_words: list[str] = field(default_factory=list)
    matching: dict[str, float] = field(default_factory=dict)  # threshold overrides
    synonyms: list[SynonymGroup] = field(default_factory=list)  # the groups with their scope

    def synonym_groups_for(self, document_id: str) -> list[list[str]]:
        """The global groups and those for `document_id`: how that document's questions are read."""
        return [list(g.words) for g in self.synonyms if g.document in ("", document_id)]

    @property
    def entries(self) -> list[Entry]:
        return [entry for document in self.documents for entry in document.entries]

    @property
    def gaps(self) -> list[Gap]:
        return [gap for document in self.documents for gap in document.gaps]

    @property
    def section_titles(self) -> dict[tuple[str, str], str]:
        """Each section's title by (document id, section number): what the matcher reads a quote with."""
        return {(d.id, s.number): s.title for d in self.documents for s in d.sections}

    def document(self, document_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == document_id), None)
