"""The core as a chat adapter sees it: answer a question and log it, privacy-safely.

Adapters (Slack, Teams) call `Service.ask` with the text and *who* asks; the service finds the
asker in contacts, asks the `Guidebot`, and writes the question to the `Store` without any
identity. Role and department go only to the log's per-week counters, and only for groups with
at least `MIN_GROUP` people in contacts (others are counted as "andre"): a smaller group could
never reach the reports' five distinct askers, so storing its name would only risk singling
someone out. It returns the answer and the log row's (random) id, which the adapter carries in
its buttons so feedback and choices link to the question, not the person.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from bot.answers import Answer, Asker, Guidebot
from bot.knowledge.model import Contacts
from bot.log.privacy import Masker
from bot.log.store import MIN_GROUP, OTHER_GROUP, LoggedQuestion, Store


@dataclass(frozen=True)
class Asked:
    answer: Answer
    asker: Asker
    question_id: int | None  # None when nothing was logged (no store, or empty input)


class Service:
    def __init__(self, bot: Guidebot, store: Store | None = None):
        self.bot = bot
        self.store = store
        self.groups = large_groups(bot.contacts)

    @staticmethod
    def masker_for(bot: Guidebot) -> Masker:
        """A masker that hides the names of everyone in the contacts list, and any capitalised
        word the knowledge base does not use itself."""
        contacts = bot.contacts
        names = [p.name for p in contacts.people]
        names += [d.leader.name for d in contacts.departments.values()]
        return Masker(names, known_words=knowledge_words(bot))

    def ask(self, text: str | None, platform: str, surface: str, asker: Asker, asker_id: str = "") -> Asked:
        answer = self.bot.ask(text, asker)
        question_id = None
        if self.store is not None and answer.question:
            question = logged(answer, platform, surface, asker)
            question = replace(
                question,
                role=self.group_name("role", question.role),
                department=self.group_name("department", question.department),
            )
            question_id = self.store.log_question(question, asker_id)
        return Asked(answer, asker, question_id)


    def group_name(self, dimension: str, name: str) -> str:
        """The name the log may keep for this role or department: its own if the group is large
        enough in contacts, else "andre". "ukjent" and no department (everyone not in contacts)
        are kept as they are: reports still need five distinct askers to show them."""
        if name in ("ukjent", ""):
            return name
        return name if name in self.groups[dimension] else OTHER_GROUP


def large_groups(contacts: Contacts) -> dict[str, set[str]]:
    """Roles and departments with at least MIN_GROUP people in contacts."""
    sizes: dict[str, Counter] = {"role": Counter(), "department": Counter()}
    for person in contacts.people:
        sizes["role"][person.role] += 1
        sizes["department"][person.department] += 1
    return {dimension: {name for name, n in counts.items() if n >= MIN_GROUP} for dimension, counts in sizes.items()}


def knowledge_words(bot: Guidebot) -> set[str]:
    """Every word the knowledge base uses (titles, quotes, answers, questions, keywords,
    synonyms, department names): capitalised, such words are not names."""
    knowledge = bot.knowledge
    texts = [d.title for d in knowledge.documents] + [d.owner for d in knowledge.documents]
    texts += [s.title for d in knowledge.documents for s in d.sections]
    for entry in knowledge.entries:
        texts += [entry.quote, entry.answer, entry.answer_en, *entry.questions, *entry.keywords]
    texts += [word for group in knowledge.synonym_groups for word in group] + list(knowledge.ignored_words)
    texts += [d.name for d in knowledge.contacts.departments.values()] + [knowledge.contacts.it_name]
    return {word.lower() for text in texts for word in re.findall(r"[^\W\d_]+", text)}


def logged(answer: Answer, platform: str, surface: str, asker: Asker) -> LoggedQuestion:
    """What the log keeps of an answer: never who asked, only role and department."""
    answered = answer.outcome == "answered" and answer.entry is not None
    entry = answer.entry if answered else None
    return LoggedQuestion(
        platform=platform,
        surface=surface,
        outcome=answer.outcome,
        text=answer.question,
        document=entry.document_id if entry else None,
        section=entry.section if entry else None,
        entry=entry.id if entry else None,
        score=answer.score,
        candidates=[e.id for e, _ in answer.candidates],  # offered, or closest when referred
        role=asker.role,
        department=asker.department,
        language=answer.language,
    )
