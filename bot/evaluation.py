"""Scores the matcher on labelled question sets (`tests/eval/`).

Two ways to label an in-scope question:

- by entry id, for the team's development sets: ``{q: ..., expect: [entry ids]}``;
- by the guideline's own words, for blind sets written by people who never saw the knowledge
  files: ``{q: ..., section: "4.4", quote: "a verbatim fragment", also: [...], lang: nn}``.
  A quote label is right for every entry whose quote holds the fragment (or is held by it, or
  shares a run of five words with it), so the label survives any re-cutting of the entries.

Out-of-scope questions are plain strings, or ``{q: ..., lang: en, near_miss: true}``.
`evaluate` returns an `EvalReport` with the figures the product is judged by: answered-correct,
answered-wrong, clarify and the right quote within one click (over in-scope questions), and
out-of-scope answered; plus the same per language and for near-miss out-of-scope questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.knowledge import Entry, KnowledgeError, read_yaml
from bot.matching import Index

LANGUAGES = ("nb", "nn", "en")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SHARED_RUN = 5  # words in a row that tie a quote label to an entry


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    expect: tuple[str, ...] = ()  # entry ids; empty and not in_scope: must be referred
    in_scope: bool = True
    quotes: tuple[str, ...] = ()  # verbatim fragments of the guideline (blind sets)
    section: str = ""
    lang: str = ""
    near_miss: bool = False


@dataclass
class EvalReport:
    in_scope: int = 0
    out_of_scope: int = 0
    answered_correct: int = 0
    answered_wrong: int = 0
    clarify: int = 0
    clarify_with_right: int = 0
    referred_in_scope: int = 0
    out_of_scope_answered: int = 0
    out_of_scope_clarify: int = 0
    unresolved_labels: int = 0
    failures: list[str] = field(default_factory=list)
    groups: dict[str, EvalReport] = field(default_factory=dict)

    def rate(self, count: int, of: int) -> float:
        return count / of if of else 0.0

    def figures(self) -> dict[str, float]:
        return {
            "answered_correct": self.rate(self.answered_correct, self.in_scope),
            "answered_wrong": self.rate(self.answered_wrong, self.in_scope),
            "clarify": self.rate(self.clarify, self.in_scope),
            "clarify_offering_right": self.rate(self.clarify_with_right, self.in_scope),
            "right_within_one_click": self.rate(self.answered_correct + self.clarify_with_right, self.in_scope),
            "referred_in_scope": self.rate(self.referred_in_scope, self.in_scope),
            "out_of_scope_answered": self.rate(self.out_of_scope_answered, self.out_of_scope),
            "out_of_scope_clarify": self.rate(self.out_of_scope_clarify, self.out_of_scope),
        }

    def as_text(self) -> str:
        rows = [
            ("in-scope questions", f"{self.in_scope}"),
            ("out-of-scope questions", f"{self.out_of_scope}"),
        ]
        for name, value in self.figures().items():
            rows.append((name.replace("_", "-"), f"{value:.3f}"))
        if self.unresolved_labels:
            rows.append(("labels matching no entry", f"{self.unresolved_labels}"))
        width = max(len(name) for name, _ in rows)
        text = "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
        if self.groups:
            text += "\n\n" + self.groups_table()
        return text

    def groups_table(self) -> str:
        """Per language and near-miss figures as a Markdown table."""
        lines = [
            "| group | in-scope | answered-correct | answered-wrong | right within one click "
            "| out-of-scope | out-of-scope answered |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, group in self.groups.items():
            f = group.figures()
            lines.append(
                f"| {name} | {group.in_scope} | {f['answered_correct']:.3f} | {f['answered_wrong']:.3f} "
                f"| {f['right_within_one_click']:.3f} | {group.out_of_scope} | {f['out_of_scope_answered']:.3f} |"
            )
        return "\n".join(lines)


def load_questions(path: Path, entries: Iterable[Entry] | None = None) -> list[LabelledQuestion]:
    """Read a labelled set; quote labels are resolved to entry ids when `entries` are given."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise KnowledgeError([f"{path}:1: expected 'in_scope' and 'out_of_scope' lists"])
    questions: list[LabelledQuestion] = []
    problems: list[str] = []
    for item in data.get("in_scope") or []:
        line = item.get("__line__", 0) if isinstance(item, dict) else 0
        if not isinstance(item, dict) or not item.get("q") or not (item.get("expect") or item.get("quote")):
            problems.append(f"{path}:{line}: an in-scope question needs 'q' and 'expect' or 'quote'")
            continue
        expect = item.get("expect") or []
        expect = expect if isinstance(expect, list) else [expect]
        quotes = [item["quote"], *(item.get("also") or [])] if item.get("quote") else []
        questions.append(
            LabelledQuestion(
                str(item["q"]),
                tuple(str(e) for e in expect),
                quotes=tuple(str(q) for q in quotes),
                section=str(item.get("section", "")),
                lang=str(item.get("lang", "")),
            )
        )
    for item in data.get("out_of_scope") or []:
        if isinstance(item, dict):
            questions.append(
                LabelledQuestion(
                    str(item.get("q", "")),
                    in_scope=False,
                    lang=str(item.get("lang", "")),
                    near_miss=bool(item.get("near_miss")),
                )
            )
        else:
            questions.append(LabelledQuestion(str(item), in_scope=False))
    if problems:
        raise KnowledgeError(problems)
    if entries is not None:
        questions = resolve_quotes(questions, entries)
    return questions


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < _SHARED_RUN:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + _SHARED_RUN]) for i in range(len(words) - _SHARED_RUN + 1)}


def quote_matches(fragment: str, quote: str) -> bool:
    """True when an entry's `quote` and a label's verbatim `fragment` are the same text."""
    a, b = " ".join(_words(fragment)), " ".join(_words(quote))
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    return bool(_runs(_words(fragment)) & _runs(_words(quote)))


def resolve_quotes(questions: list[LabelledQuestion], entries: Iterable[Entry]) -> list[LabelledQuestion]:
    """Fill `expect` of quote-labelled questions with the ids of entries that hold the quote."""
    entries = list(entries)
    resolved = []
    for question in questions:
        if question.quotes:
            ids = [e.id for e in entries if any(quote_matches(f, e.quote) for f in question.quotes)]
            question = replace(question, expect=tuple(dict.fromkeys([*question.expect, *ids])))
        resolved.append(question)
    return resolved


def evaluate(index: Index | Any, questions: list[LabelledQuestion]) -> EvalReport:
    """Score `index` (an `Index`, or a `Guidebot` whose index is used) as `guidebot eval` does."""
    index = getattr(index, "index", index)
    report = EvalReport()
    for labelled in questions:
        match = index.match(labelled.question)
        groups = [report]
        if labelled.lang:
            groups.append(report.groups.setdefault(labelled.lang, EvalReport()))
        if labelled.near_miss:
            groups.append(report.groups.setdefault("near-miss", EvalReport()))
        for group in groups:
            _score(group, labelled, match)
    if report.groups:
        order = [*LANGUAGES, "near-miss"]
        report.groups = dict(sorted(report.groups.items(), key=lambda kv: (order + [kv[0]]).index(kv[0])))
    return report


def _score(report: EvalReport, labelled: LabelledQuestion, match) -> None:
    best = match.best.entry.id if match.best else None
    if not labelled.in_scope:
        report.out_of_scope += 1
        if match.outcome == "answered":
            report.out_of_scope_answered += 1
            report.failures.append(f"out of scope ANSWERED {best}: {labelled.question}")
        elif match.outcome == "clarify":
            report.out_of_scope_clarify += 1
            report.failures.append(f"out of scope clarify: {labelled.question}")
        return
    report.in_scope += 1
    want = labelled.expect[0] if labelled.expect else f"(no entry holds: {labelled.quotes[:1]})"
    if not labelled.expect:
        report.unresolved_labels += 1
    if match.outcome == "answered":
        if best in labelled.expect:
            report.answered_correct += 1
        else:
            report.answered_wrong += 1
            report.failures.append(f"WRONG {best} (want {want}): {labelled.question}")
    elif match.outcome == "clarify":
        report.clarify += 1
        offered = [c.entry.id for c in match.choices]
        if set(offered) & set(labelled.expect):
            report.clarify_with_right += 1
        report.failures.append(f"clarify {offered} (want {want}): {labelled.question}")
    else:
        report.referred_in_scope += 1
        report.failures.append(f"referred, best {best} (want {want}): {labelled.question}")
