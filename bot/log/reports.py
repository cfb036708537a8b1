"""Leaders' reports from the question log: what people wonder about, never who asked.

`build_report(store, knowledge, since)` reads the log and returns a `Report`: totals by outcome,
the trend per week, top sections, frequent questions (similar wordings grouped with RapidFuzz on
the masked text), feedback per entry, the unanswered queue (referred and clarify questions,
grouped the same way), sections nobody asked about, and counts per role and department, shown
only for groups with at least `MIN_GROUP_ASKERS` different askers. `bot.log.formats`
writes it out.

The log keeps weeks, not days, so a report covers whole ISO weeks: from the Monday of `since`'s
week through `until`'s week. Questions and distinct askers are counted over exactly those weeks.
Hidden groups cannot be recovered by subtraction: within a dimension (role, department) the
hidden groups together, which a reader can derive as the total minus the groups shown, must
also have at least `MIN_GROUP_ASKERS` different askers, or more groups are hidden until they do
(complementary suppression).
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
    kind: str  # "rolle" | "avdeling"
    name: str
    questions: int
    askers: int


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
) -> Report:
    """The report for `since` .. `until` (inclusive). `terms` (the matcher's
    `Index.question_terms`) lets similar wordings group through stemming and synonyms."""
    today = store.clock().date()
    until = until or today
    first, last = week_of(since), week_of(until)
    shown_until = min(date.fromisoformat(last) + timedelta(days=6), max(until, today))
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
    titles = {(d.id, s.number): s.title for d in knowledge.documents for s in d.sections}
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


def audience_groups(store: Store, first_week: str, last_week: str) -> tuple[list[AudienceGroup], int]:
    """Questions per role and per department in the weeks `first_week`..`last_week`, for groups
    with at least MIN_GROUP_ASKERS distinct askers in those same weeks; and how many groups are
    hidden. Within each dimension the hidden groups together (derivable as total minus shown)
    also need MIN_GROUP_ASKERS distinct askers: if they have fewer, the smallest groups shown
    are hidden too (complementary suppression). Their sum is then shown as one row, `REST`."""
    weeks = {"first": first_week, "last": last_week}
    groups: list[AudienceGroup] = []
    hidden_count = 0
    for kind, dimension in (("rolle", "role"), ("avdeling", "department")):
        questions = {
            r["name"]: r["n"]
            for r in store.read(
                "SELECT name, sum(questions) AS n FROM audience WHERE dimension = :dimension"
                " AND week >= :first AND week <= :last GROUP BY name",
                {**weeks, "dimension": dimension},
            )
        }
        askers = {
            r["name"]: r["n"]
            for r in store.read(
                "SELECT name, count(DISTINCT asker) AS n FROM askers WHERE dimension = :dimension"
                " AND week >= :first AND week <= :last GROUP BY name",
                {**weeks, "dimension": dimension},
            )
        }
        shown = {name for name in questions if askers.get(name, 0) >= MIN_GROUP_ASKERS}
        hidden = set(questions) - shown

        def rest_askers(names: set[str], dimension: str = dimension) -> int:
            marks = ", ".join("?" for _ in names)
            return store.read(
                f"SELECT count(DISTINCT asker) AS n FROM askers WHERE dimension = ? AND week >= ? AND week <= ?"
                f" AND name IN ({marks})",
                (dimension, first_week, last_week, *sorted(names)),
            )[0]["n"]

        while hidden and shown and rest_askers(hidden) < MIN_GROUP_ASKERS:
            smallest = min(shown, key=lambda name: (questions[name], askers[name], name))
            shown.remove(smallest)
            hidden.add(smallest)
        for name in sorted(shown, key=lambda name: (-questions[name], name)):
            groups.append(AudienceGroup(kind, GROUP_LABELS.get(name, name), questions[name], askers[name]))
        if hidden and shown:
            groups.append(AudienceGroup(kind, REST, sum(questions[n] for n in hidden), rest_askers(hidden)))
        hidden_count += len(hidden)
    return groups, hidden_count


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
