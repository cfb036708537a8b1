"""Leaders' reports from the question log: what people wonder about, never who asked.

`build_report(store, knowledge, since)` reads the log and returns a `Report`: totals by outcome,
the trend per week, top sections, frequent questions (similar wordings grouped with RapidFuzz on
the masked text), feedback per entry, the unanswered queue (referred and clarify questions,
grouped the same way), sections nobody asked about, and questions per department. `bot.log.formats`
writes it out.

What stops a reader from singling someone out (README, "Question log and reports"):

- Whole, finished ISO weeks only: from the Monday of `since`'s week through the last complete
  week on or before `until` (never the current week). Two reports can then differ only by whole
  weeks, and every week's figures pass the rule below on their own.
- One dimension: departments. Roles and departments are the same people cut two ways ("ukjent"
  and "uten avdeling" are exactly the people not in contacts; the only leader of a department
  is both), so a hidden group of one dimension could be recovered from the other; the log still
  counts roles, but reports do not show them.
- Per week, a department is counted under its own name only if it had at least
  `MIN_GROUP_ASKERS` different askers that week, and the departments hidden that week together
  (which a reader could get as the week's total minus the shown ones) also have at least
  `MIN_GROUP_ASKERS`, or more are hidden until they do (complementary suppression). A
  department's row is the sum of its shown weeks; everything hidden is one row, `REST`. Askers
  are summed the same way (askers per week, added up), so every figure is a sum of weekly cells
  that each passed the rule, and no sum or difference of published figures isolates a hidden
  one (tests/test_reports.py checks this by linear algebra on generated logs).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from rapidfuzz import fuzz, process, utils

from bot.knowledge import Knowledge
from bot.log.store import Store, week_of

MIN_GROUP_ASKERS = 5
REST = "øvrige (skjult)"  # the hidden groups of a dimension, added up
GROUP_LABELS = {"ukjent": "ukjent (ikke i kontaktlisten)", "": "uten avdeling", "andre": "andre (små grupper)"}
SIMILAR = 80  # token_sort_ratio at or above which two wordings are one group
OUTCOMES = ("answered", "clarify", "referred")
OUTCOME_NAMES = {"answered": "besvart", "clarify": "spurt tilbake", "referred": "henvist"}


@dataclass
class QuestionGroup:
    text: str  # the most common wording in the group
    count: int
    outcome: str
    entry: str | None  # answered from, or closest entry when not answered
    section: str | None
    document: str | None
    wordings: list[str] = field(default_factory=list)  # up to five distinct wordings, most common first


@dataclass
class SectionCount:
    document: str
    section: str
    title: str
    count: int


@dataclass
class EntryFeedback:
    entry: str
    section: str
    useful: int
    not_useful: int


@dataclass
class AudienceGroup:
    kind: str  # "avdeling" (roles are not shown: see the module docstring)
    name: str
    questions: int
    askers: int  # distinct askers per week, added up over the weeks counted


@dataclass
class Report:
    since: str
    until: str
    total: int
    outcomes: dict[str, int]
    weeks: list[dict]  # {"week": "2026-11-16", "answered": n, "clarify": n, "referred": n}
    top_sections: list[SectionCount]
    frequent: list[QuestionGroup]
    feedback: list[EntryFeedback]
    unanswered: list[QuestionGroup]
    unanswered_total: int
    unasked_sections: list[SectionCount]
    audience: list[AudienceGroup]
    hidden_groups: int
    escalations: int
    texts_purged: int

    def to_dict(self) -> dict:
        return asdict(self)


def build_report(
    store: Store,
    knowledge: Knowledge,
    since: date,
    until: date | None = None,
    top: int = 15,
    terms: Callable[[str], list[str]] | None = None,
    include_current_week: bool = False,
) -> Report:
    """The report for the whole weeks from `since`'s through `until`'s, and never the current
    week (see the module docstring). `terms` (the matcher's `Index.question_terms`) lets
    similar wordings group through stemming and synonyms. `include_current_week` is for the
    editors' unanswered queue (`guidebot log unanswered`), which shows no group figures."""
    today = store.clock().date()
    until = until or today
    first = week_of(since)
    last = week_of(until) if include_current_week else min(week_of(until), last_complete_week(today))
    shown_until = date.fromisoformat(last) + timedelta(days=6)
    period = {"first": first, "last": last}
    entries = {e.id: e for e in knowledge.entries}
    # One scan of the period; counting in Python is cheaper than several GROUP BY passes.
    rows = store.read(
        "SELECT outcome, entry, candidates, week, text FROM questions WHERE week >= :first AND week <= :last",
        period,
        as_tuples=True,
    )
    outcomes: Counter = Counter()
    per_week: dict[str, Counter] = defaultdict(Counter)
    answered_entries: Counter = Counter()
    texts: Counter = Counter()
    purged = 0
    for outcome, entry_id, candidates, week_start, text in rows:
        outcomes[outcome] += 1
        per_week[week_start][outcome] += 1
        if outcome == "answered":
            answered_entries[entry_id] += 1
        if text is None:
            purged += 1
        else:
            texts[(outcome, entry_id, candidates, text)] += 1
    del rows
    weeks = []
    week = date.fromisoformat(first)
    while week.isoformat() <= last:
        key = week.isoformat()
        weeks.append({"week": key, **{o: per_week[key][o] for o in OUTCOMES}})
        week += timedelta(days=7)

    chosen = store.read(
        "SELECT c.entry FROM choices c JOIN questions q ON q.id = c.question_id"
        " WHERE q.week >= :first AND q.week <= :last",
        period,
    )
    asked_sections: Counter = Counter()
    for entry_id, n in [*answered_entries.items(), *((r["entry"], 1) for r in chosen)]:
        entry = entries.get(entry_id)
        if entry is not None:
            asked_sections[(entry.document_id, entry.section)] += n
    titles = knowledge.section_titles
    top_sections = [
        SectionCount(doc, number, titles.get((doc, number), ""), n)
        for (doc, number), n in asked_sections.most_common(top)
    ]
    with_entries = {(e.document_id, e.section) for e in knowledge.entries}
    unasked = [
        SectionCount(d.id, section.number, section.title, 0)
        for d in knowledge.documents
        for section in d.sections  # in the document's own order
        if (d.id, section.number) in with_entries and (d.id, section.number) not in asked_sections
    ]

    answered_rows = [(*key, n) for key, n in texts.items() if key[0] == "answered"]
    open_rows = [(*key, n) for key, n in texts.items() if key[0] != "answered"]
    frequent = group_questions(answered_rows, entries, terms)[:top]
    unanswered = group_questions(open_rows, entries, terms)

    feedback_rows = store.read(
        "SELECT f.entry, sum(f.useful) AS useful, sum(1 - f.useful) AS not_useful FROM feedback f"
        " JOIN questions q ON q.id = f.question_id WHERE q.week >= :first AND q.week <= :last"
        " GROUP BY f.entry ORDER BY not_useful DESC, useful ASC, f.entry",
        period,
    )
    feedback = [
        EntryFeedback(
            r["entry"], entries[r["entry"]].section if r["entry"] in entries else "", r["useful"], r["not_useful"]
        )
        for r in feedback_rows
    ]

    audience, hidden = audience_groups(store, first, last)
    escalations = store.read(
        "SELECT count(*) AS n FROM escalations WHERE week >= :first AND week <= :last", period
    )[0]["n"]
    return Report(
        since=first,
        until=shown_until.isoformat(),
        total=sum(outcomes.values()),
        outcomes={o: outcomes[o] for o in OUTCOMES},
        weeks=weeks,
        top_sections=top_sections,
        frequent=frequent,
        feedback=feedback,
        unanswered=unanswered[:top],
        unanswered_total=outcomes["clarify"] + outcomes["referred"],
        unasked_sections=unasked,
        audience=audience,
        hidden_groups=hidden,
        escalations=escalations,
        texts_purged=purged,
    )


def last_complete_week(today: date) -> str:
    """The Monday of the last ISO week that has ended by `today`."""
    return (date.fromisoformat(week_of(today)) - timedelta(days=7)).isoformat()


@dataclass(frozen=True)
class Cell:
    """One department's questions and distinct askers in one week."""

    questions: int
    askers: int


def suppress_week(cells: dict[str, Cell]) -> set[str]:
    """The departments shown for one week: at least MIN_GROUP_ASKERS askers each, and the hidden
    ones together at least MIN_GROUP_ASKERS too, else the smallest shown ones are hidden as well."""
    shown = {name for name, cell in cells.items() if cell.askers >= MIN_GROUP_ASKERS}
    hidden = set(cells) - shown
    while hidden and shown and sum(cells[n].askers for n in hidden) < MIN_GROUP_ASKERS:
        smallest = min(shown, key=lambda name: (cells[name].questions, cells[name].askers, name))
        shown.remove(smallest)
        hidden.add(smallest)
    return shown


def publish_audience(weeks: dict[str, dict[str, Cell]]) -> tuple[list[AudienceGroup], int]:
    """Department rows for a report from its weekly cells: each department's shown weeks added
    up, the hidden cells of every week together as `REST`; and how many departments were
    hidden in at least one week."""
    questions: Counter = Counter()
    askers: Counter = Counter()
    rest = Cell(0, 0)
    hidden_names: set[str] = set()
    for cells in weeks.values():
        shown = suppress_week(cells)
        for name, cell in cells.items():
            if name in shown:
                questions[name] += cell.questions
                askers[name] += cell.askers
            else:
                hidden_names.add(name)
                rest = Cell(rest.questions + cell.questions, rest.askers + cell.askers)
    groups = [
        AudienceGroup("avdeling", GROUP_LABELS.get(name, name), questions[name], askers[name])
        for name in sorted(questions, key=lambda name: (-questions[name], name))
    ]
    if groups and rest.questions:
        groups.append(AudienceGroup("avdeling", REST, rest.questions, rest.askers))
    return groups, len(hidden_names)


def audience_groups(store: Store, first_week: str, last_week: str) -> tuple[list[AudienceGroup], int]:
    """Questions and askers per department in the weeks `first_week`..`last_week`, as
    `publish_audience` lets them be shown."""
    askers = store.askers_per_week("department", first_week, last_week)
    weeks: dict[str, dict[str, Cell]] = defaultdict(dict)
    for row in store.read(
        "SELECT week, name, questions FROM audience WHERE dimension = 'department' AND week >= ? AND week <= ?",
        (first_week, last_week),
        as_tuples=True,
    ):
        week, name, count = row
        weeks[week][name] = Cell(count, askers.get((week, name), 0))
    return publish_audience(weeks)


def group_questions(
    rows: list[tuple], entries: dict, terms: Callable[[str], list[str]] | None = None
) -> list[QuestionGroup]:
    """Group similar wordings of the same question. `rows` are (outcome, entry, candidates
    JSON, masked text, count).

    Questions are compared only within their entry (answered from, or the closest candidate),
    which keeps 100 000 questions to about a second. Each distinct wording is reduced to a key:
    its matcher terms (`terms`, so "poste bilde av kollega" and "legge ut et bilde av kollegaen"
    meet through stemming and synonyms), sorted; else its lower-cased words. A key joins the
    first group whose leading key it resembles (see `_similar`)."""
    buckets: dict[tuple[str, str], Counter] = defaultdict(Counter)
    originals: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    keys: dict[str, str] = {}
    for outcome, answered_from, candidates, text, weight in rows:
        entry = answered_from if outcome == "answered" else _closest(candidates)
        bucket = (outcome if outcome == "answered" else "open", entry or "")
        key = keys.get(text)
        if key is None:
            words = sorted(set(terms(text))) if terms else []
            key = " ".join(words) or utils.default_process(text)
            keys[text] = key
        if not key:
            continue
        buckets[bucket][key] += weight
        originals[(*bucket, key)][text] += weight
    groups: list[QuestionGroup] = []
    for (kind, entry_id), counts in buckets.items():
        # Only leaders sharing a word with the key can reach the cutoff in practice (typos are
        # already repaired in the terms), so compare with those: it keeps the cost near linear.
        leaders_by_word: dict[str, list[str]] = defaultdict(list)
        order: dict[str, int] = {}
        members: dict[str, list[tuple[str, int]]] = {}
        for key, count in counts.most_common():
            words = set(key.split())
            nearby = {leader for word in words for leader in leaders_by_word.get(word, ())}
            found = _similar(key, sorted(nearby, key=order.__getitem__)) if nearby else None
            if found:
                members[found].append((key, count))
            else:
                order[key] = len(order)
                members[key] = [(key, count)]
                for word in words:
                    leaders_by_word[word].append(key)
        entry = entries.get(entry_id)
        for wordings in members.values():
            texts: Counter = Counter()
            for key, _count in wordings:
                texts.update(originals[(kind, entry_id, key)])
            shown = [text for text, _ in texts.most_common(5)]
            groups.append(
                QuestionGroup(
                    text=shown[0],
                    count=sum(c for _, c in wordings),
                    outcome="answered" if kind == "answered" else "unanswered",
                    entry=entry_id or None,
                    section=entry.section if entry else None,
                    document=entry.document_id if entry else None,
                    wordings=shown,
                )
            )
    groups.sort(key=lambda g: (-g.count, g.text))
    return groups


def _similar(key: str, leaders: list[str]) -> str | None:
    """The first group leader `key` belongs with: the same words give or take a few letters
    (token_sort_ratio), or, when both have at least two words, one's words within the other's
    ("hvor rask svar" within "facebook hvor rask svar": token_set_ratio). token_set_ratio is
    never below token_sort_ratio, so one pass finds every candidate."""
    found = process.extractOne(key, leaders, scorer=fuzz.token_set_ratio, score_cutoff=SIMILAR)
    if found is None:
        return None
    if (" " in key and " " in found[0]) or fuzz.token_sort_ratio(key, found[0]) >= SIMILAR:
        return found[0]
    found = process.extractOne(key, leaders, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR)
    return found[0] if found else None


def _closest(candidates: str | None) -> str:
    try:
        ids = json.loads(candidates or "[]")
    except ValueError:
        return ""
    return ids[0] if ids and isinstance(ids[0], str) else ""
