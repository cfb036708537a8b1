"""Composes what guidebot says: an answer with its verbatim quote, a question back, or a referral.

`Guidebot` is the whole platform-neutral core behind one call: adapters (terminal, Slack, Teams)
turn a platform event into `Guidebot.ask(text, asker)` and render the returned `Answer`.

>>> bot = Guidebot.from_folder()                       # doctest: +SKIP
>>> print(bot.ask("kan jeg legge ut et bilde av kollegaen min?").as_text())  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge import Contacts, Document, Entry, Knowledge, Leader, is_numbered, load_knowledge
from bot.matching.index import Index, Match, Thresholds, role_of
from bot.smalltalk import reply_to

MAX_QUESTION_CHARS = 2000

_ENGLISH = frozenset(
    "the a an is are can could may should i my me you your we our what how who when where why "
    "do does allowed post picture photo colleague work about on of to in it this that".split()
)
_NORWEGIAN = frozenset(
    "jeg eg du vi er og i på av kan kor hva kva hvem kven hvordan korleis om det en ein et eit "
    "min mitt mine meg med til for ikke ikkje må skal lov".split()
)


@dataclass(frozen=True)
class Asker:
    """Who asks, as far as the contacts know: role, department and nearest leader."""

    role: str = "ukjent"  # ansatt | leder | politiker | ukjent
    department: str = ""
    leader: Leader | None = None
    name: str = ""

    @property
    def audience(self) -> str:
        if self.role == "politiker":
            return "politikere"
        if self.role in ("ansatt", "leder"):
            return "ansatte"
        return "alle"


@dataclass(frozen=True)
class Referral:
    """Whom to ask when the guideline does not answer: a person (if known) and IT."""

    contact: Leader | None
    contact_kind: str  # "leder" | "politisk" | "ukjent"
    it_name: str
    it_channel: str
    it_email: str

    @property
    def it_label(self) -> str:
        """'IT-avdelingen (#it-hjelp, it@…)': IT's name with whatever contact details are known."""
        where = ", ".join(x for x in (self.it_channel, self.it_email) if x)
        return f"{self.it_name} ({where})" if where else self.it_name

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.contact_kind,
            "name": self.contact.name if self.contact else None,
            "slack_user": self.contact.slack_user if self.contact else None,
            "email": self.contact.email if self.contact else None,
            "it": {"name": self.it_name, "slack_channel": self.it_channel, "email": self.it_email},
        }


@dataclass
class Answer:
    question: str
    outcome: str  # "answered" | "clarify" | "referred" | "smalltalk" (the reply is `notice`)
    language: str  # "nb" | "en"
    entry: Entry | None = None
    document: Document | None = None
    score: float = 0.0
    candidates: list[tuple[Entry, float]] = field(default_factory=list)
    see_also: list[Entry] = field(default_factory=list)
    referral: Referral | None = None
    doubt_quote: Entry | None = None
    role_note: str = ""
    notice: str = ""
    matching: str = "semantic"  # "semantic" (words and meaning) | "lexical" (words only)
    reasons: list[str] = field(default_factory=list)  # why it decided so (`ask --explain`)

    @property
    def section_title(self) -> str:
        if self.entry and self.document:
            section = self.document.section(self.entry.section)
            return section.title if section else ""
        return ""

    def citation(self) -> str:
        """'Retningslinjer for bruk av sosiale medier, punkt 4.4 Retningslinjer ... (revidert ...)'."""
        if not (self.entry and self.document):
            return ""
        return cite(self.document, self.entry, self.language)

    def to_dict(self) -> dict[str, Any]:
        answered = self.outcome == "answered" and self.entry is not None
        return {
            "question": self.question,
            "outcome": self.outcome,
            "language": self.language,
            "document": self.document.id if answered and self.document else None,
            "document_title": self.document.title if answered and self.document else None,
            "section": self.entry.section if answered and self.entry else None,
            "section_title": self.section_title if answered else None,
            "entry": self.entry.id if answered and self.entry else None,
            "quote": self.entry.quote if answered and self.entry else None,
            "answer": self.short_answer() if answered else None,
            "revised": (
                self.document.revised.isoformat()
                if answered and self.document and self.document.revised
                else None
            ),
            "score": round(self.score, 4),
            "candidates": [
                {"entry": e.id, "section": e.section, "quote": e.quote, "score": round(s, 4)}
                for e, s in self.candidates
            ],
            "see_also": [{"entry": e.id, "section": e.section} for e in self.see_also],
            "refer_to": self.referral.to_dict() if self.referral else None,
            "notice": self.notice or None,
            "matching": self.matching,
        }

    def short_answer(self) -> str:
        if not self.entry:
            return ""
        if self.language == "en" and self.entry.answer_en:
            return self.entry.answer_en
        return self.entry.answer

    def as_text(self) -> str:
        """Plain text for a terminal; Slack and Teams build their own formats."""
        t = FRAME[self.language]
        if self.outcome == "smalltalk":
            return self.notice
        lines: list[str] = []
        if self.notice:
            lines.append(self.notice)
        if self.outcome == "answered" and self.entry:
            if self.role_note:
                lines.append(self.role_note)
            lines += [self.short_answer(), "", f"  «{self.entry.quote}»", f"  — {self.citation()}"]
            for other in self.see_also:
                label = section_label(other.section, self.language)
                lines.append(f"{t['see_also']}{label}: «{shorten(other.quote)}»")
        elif self.outcome == "clarify":
            lines.append(t["clarify"])
            for number, (entry, _score) in enumerate(self.candidates, 1):
                lines.append(f"  {number}. {section_label(entry.section, self.language)}: {entry.quote}")
        elif not self.notice:
            lines.append(t["referred"])
        if self.outcome != "answered" and self.referral:
            lines.append(referral_text(self.referral, self.language))
            if self.doubt_quote:
                label = section_label(self.doubt_quote.section, self.language)
                lines.append(f"  «{self.doubt_quote.quote}» — {label}")
        return "\n".join(lines)


FRAME = {
    "nb": {
        "clarify": "Jeg er ikke sikker på hva du mener. Mente du ett av disse?",
        "referred": "Det finner jeg ikke noe sikkert svar på i retningslinjene, så jeg vil ikke gjette.",
        "uncovered": "«{document}» sier ikke noe om {topic}.",
        "guidelines": "Retningslinjene",
        "see_also": "Se også: ",
        "leader": "Spør din nærmeste leder{name}",
        "politisk": "Spør {name}",
        "unknown_leader": "Spør din nærmeste leder",
        "or_it": " eller {it}.",
        "section": "punkt",
        "empty": "Skriv et spørsmål om retningslinjene, for eksempel «Kan jeg legge ut et bilde av en kollega?»",
        "too_long": "Spørsmålet var svært langt; jeg har lest de første {n} tegnene.",
        "politician": "Som folkevalgt:",
        "employee": "Som ansatt:",
    },
    "en": {
        "clarify": "I'm not sure what you mean. Did you mean one of these?",
        "referred": "I can't find a reliable answer to that in the guidelines, so I won't guess.",
        "uncovered": "“{document}” says nothing about {topic}.",
        "guidelines": "The guidelines",
        "see_also": "See also: ",
        "leader": "Ask your nearest leader{name}",
        "politisk": "Ask {name}",
        "unknown_leader": "Ask your nearest leader",
        "or_it": " or {it}.",
        "section": "section",
        "empty": "Ask a question about the guidelines, e.g. “Can I post a photo of a colleague?”",
        "too_long": "Your question was very long; I read the first {n} characters.",
        "politician": "As an elected representative:",
        "employee": "As an employee:",
    },
}


def shorten(text: str, limit: int = 110) -> str:
    """At most `limit` characters, cut at a word, with " …" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def section_label(number: str | None, language: str = "nb") -> str:
    """'punkt 4.4' ('section 4.4' in English); unnumbered parts by name ('Avslutning'); '–' for none."""
    if not number:
        return "–"
    return f"{FRAME[language]['section']} {number}" if is_numbered(number) else number


def cite(document: Document, entry: Entry, language: str = "nb") -> str:
    section = document.section(entry.section)
    title = section.title if section else ""
    label = section_label(entry.section, language)
    version = document.version_label
    if language == "en" and document.revised:
        version = f"revised {document.revised.isoformat()}"
    tail = f" ({version})" if version else ""
    if label.endswith(title):  # an unnumbered section or a sub-heading ("punkt 5 › Mobiltelefon i bil")
        title = ""
    return f"{document.title}, {label} {title}".strip() + tail


def referral_text(referral: Referral, language: str) -> str:
    t = FRAME[language]
    contact = referral.contact
    if referral.contact_kind == "politisk" and contact:
        text = t["politisk"].format(name=contact.name)
    elif contact:
        text = t["leader"].format(name=f" ({contact.name})")
    else:
        text = t["unknown_leader"]
    return text + t["or_it"].format(it=referral.it_label)


def detect_language(text: str) -> str:
    words = re.findall(r"[a-zæøå']+", text.lower())
    english = sum(w in _ENGLISH for w in words)
    norwegian = sum(w in _NORWEGIAN for w in words)
    if re.search(r"[æøå]", text.lower()):
        norwegian += 2
    return "en" if english > norwegian else "nb"


def clean_question(text: str | bytes | None) -> tuple[str, bool]:
    """Make any input a safe question: decoded, control characters out, length capped."""
    if text is None:
        return "", False
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text).replace("\ufffd", " ")
    truncated = len(text) > MAX_QUESTION_CHARS
    return " ".join(text[:MAX_QUESTION_CHARS].split()), truncated


class Guidebot:
    """The chat-platform-neutral core: knowledge, matching, answers and referrals."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None, embedder: Any = "auto"):
        self.knowledge = knowledge
        self.index = Index.from_knowledge(knowledge, thresholds, embedder)
        self._entries = {entry.id: entry for entry in knowledge.entries}

    @classmethod
    def from_folder(
        cls, folder: Path | str | None = None, thresholds: Thresholds | None = None, embedder: Any = "auto"
    ) -> Guidebot:
        """`embedder`: "auto" (the configured model, lexical-only where it cannot run), None
        (lexical-only) or an `bot.matching.semantic.Embedder`."""
        return cls(load_knowledge(folder), thresholds, embedder)

    @property
    def matching_note(self) -> str:
        """One line saying how questions are matched: words and meaning, or words only and why."""
        return self.index.matching_note

    @property
    def contacts(self) -> Contacts:
        return self.knowledge.contacts

    def identify(self, slack_user: str = "", email: str = "", role: str = "") -> Asker:
        """Find the asker in contacts by Slack id or e-mail; `role` overrides (CLI --role)."""
        contacts = self.contacts
        person = next(
            (
                p
                for p in contacts.people
                if (slack_user and p.slack_user == slack_user)
                or (email and p.email and p.email == email.lower())
            ),
            None,
        )
        if person is None:
            return Asker(role=role or "ukjent")
        leader = None
        department = contacts.departments.get(person.department)
        while department is not None:
            same_person = (person.slack_user and department.leader.slack_user == person.slack_user) or (
                person.email and department.leader.email.lower() == person.email
            )
            if not same_person:
                leader = department.leader
                break
            department = contacts.departments.get(department.parent)
        return Asker(role=role or person.role, department=person.department, leader=leader, name=person.name)

    def referral_for(self, asker: Asker) -> Referral:
        contacts = self.contacts
        if asker.role == "politiker" and contacts.politicians_contact:
            contact, kind = contacts.politicians_contact, "politisk"
        elif asker.leader:
            contact, kind = asker.leader, "leder"
        else:
            contact, kind = None, "ukjent"
        return Referral(contact, kind, contacts.it_name, contacts.it_slack_channel, contacts.it_email)

    def ask(self, text: str | bytes | None, asker: Asker | None = None) -> Answer:
        """Answer one question. Never raises on odd input: empty, huge or binary text included."""
        asker = asker or Asker()
        question, truncated = clean_question(text)
        language = detect_language(question)
        # "Som folkevalgt, ...": the matcher's own reading of who speaks decides the referral too.
        if asker.role == "ukjent" and role_of(question)[0] == "politikere":
            asker = Asker(role="politiker", department=asker.department, leader=asker.leader, name=asker.name)
        small = reply_to(question)
        if small is not None:  # "hei", "takk!", "ok": a kind word back, no referral
            return Answer(question, "smalltalk", small.language, notice=small.text)
        if not question:
            answer = Answer(question, "referred", language, notice=FRAME[language]["empty"], matching=self.index.mode)
            answer.referral = self.referral_for(asker)
            return answer
        match = self.index.match(question, asker.audience)
        answer = self._compose(question, language, match, asker)
        if truncated:
            answer.notice = FRAME[language]["too_long"].format(n=MAX_QUESTION_CHARS)
        return answer

    def entry(self, entry_id: str) -> Entry | None:
        return self._entries.get(entry_id)

    def pick(self, entry_id: str, question: str = "", asker: Asker | None = None, language: str = "") -> Answer | None:
        """The answer for a candidate the person picked after a clarify question."""
        entry = self._entries.get(entry_id)
        if entry is None:
            return None
        language = language if language in FRAME else detect_language(question)
        answer = Answer(question, "answered", language, entry, self.knowledge.document(entry.document_id), 1.0)
        answer.role_note = self._role_note(entry, asker or Asker(), language)
        return answer

    def refer(self, question: str, asker: Asker | None = None, language: str = "") -> Answer:
        """A referral for a question the person says none of the offered entries answers."""
        language = language if language in FRAME else detect_language(question)
        return self._compose(question, language, Match(question, "referred"), asker or Asker())

    def _compose(self, question: str, language: str, match: Match, asker: Asker) -> Answer:
        answer = Answer(question, match.outcome, language, matching=self.index.mode, reasons=match.reasons)
        if match.best:
            answer.score = match.best.score
        if match.outcome == "answered" and match.best:
            entry = match.best.entry
            answer.entry = entry
            answer.document = self.knowledge.document(entry.document_id)
            answer.see_also = [
                c.entry for c in match.candidates[1:] if c.entry.id in entry.related
            ][:2]
            answer.role_note = self._role_note(entry, asker, language)
            answer.candidates = [(c.entry, c.score) for c in match.candidates[:3]]
            return answer
        if match.outcome == "clarify":
            answer.candidates = [(c.entry, c.score) for c in match.choices]
        answer.referral = self.referral_for(asker)
        if match.gap is not None:  # a topic the editors know the guideline does not cover
            document = self.knowledge.document(match.gap.document_id)
            topic = match.gap.answer_en if language == "en" and match.gap.answer_en else match.gap.answer
            answer.notice = FRAME[language]["uncovered"].format(
                document=document.title if document else FRAME[language]["guidelines"], topic=topic
            )
        if match.outcome == "referred":
            documents = self.knowledge.documents
            doubt = documents[0].doubt_entry if documents else ""
            answer.doubt_quote = self._entries.get(doubt)
            # The nearest entries of a referred question are kept for the editors' report only
            # when they share a word with it: meaning alone finds a "nearest" entry for anything.
            answer.candidates = [(c.entry, c.score) for c in match.candidates[:3] if c.matched]
            if answer.doubt_quote:
                answer.document = self.knowledge.document(answer.doubt_quote.document_id)
        return answer

    def _role_note(self, entry: Entry, asker: Asker, language: str) -> str:
        if asker.audience == "politikere" and entry.audience in ("politikere", "alle"):
            return FRAME[language]["politician"]
        if asker.audience == "ansatte" and entry.audience == "ansatte":
            return FRAME[language]["employee"]
        return ""
