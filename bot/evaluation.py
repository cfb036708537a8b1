"""Scores the matcher on a labelled question set (`tests/eval/questions.yaml`).

The file has ``in_scope`` questions, each ``{q: ..., expect: [entry ids]}``, and
``out_of_scope`` questions that must be referred. `evaluate` returns an `EvalReport` with the
figures the product is judged by: answered-correct, answered-wrong and clarify (over the
in-scope questions) and out-of-scope answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge import KnowledgeError, read_yaml
from bot.matching.index import Index


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    expect: tuple[str, ...]  # empty: out of scope, must be referred


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
    failures: list[str] = field(default_factory=list)

    def rate(self, count: int, of: int) -> float:
        return count / of if of else 0.0

    def figures(self) -> dict[str, float]:
        return {
            "answered_correct": self.rate(self.answered_correct, self.in_scope),
            "answered_wrong": self.rate(self.answered_wrong, self.in_scope),
            "clarify": self.rate(self.clarify, self.in_scope),
            "clarify_offering_right": self.rate(self.clarify_with_right, self.in_scope),
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
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def load_questions(path: Path) -> list[LabelledQuestion]:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise KnowledgeError([f"{path}:1: expected 'in_scope' and 'out_of_scope' lists"])
    questions: list[LabelledQuestion] = []
    problems: list[str] = []
    for item in data.get("in_scope") or []:
        if not isinstance(item, dict) or not item.get("q") or not item.get("expect"):
            line = item.get("__line__", 0) if isinstance(item, dict) else 0
            problems.append(f"{path}:{line}: an in-scope question needs 'q' and 'expect'")
            continue
        expect = item["expect"] if isinstance(item["expect"], list) else [item["expect"]]
        questions.append(LabelledQuestion(str(item["q"]), tuple(str(e) for e in expect)))
    for item in data.get("out_of_scope") or []:
        questions.append(LabelledQuestion(str(item), ()))
    if problems:
        raise KnowledgeError(problems)
    return questions


def evaluate(index: Index, questions: list[LabelledQuestion]) -> EvalReport:
    report = EvalReport()
    for labelled in questions:
        match = index.match(labelled.question)
        best = match.best.entry.id if match.best else None
        if not labelled.expect:
            report.out_of_scope += 1
            if match.outcome == "answered":
                report.out_of_scope_answered += 1
                report.failures.append(f"out of scope ANSWERED {best}: {labelled.question}")
            elif match.outcome == "clarify":
                report.out_of_scope_clarify += 1
                report.failures.append(f"out of scope clarify: {labelled.question}")
            continue
        report.in_scope += 1
        if match.outcome == "answered":
            if best in labelled.expect:
                report.answered_correct += 1
            else:
                report.answered_wrong += 1
                report.failures.append(
                    f"WRONG {best} (want {labelled.expect[0]}): {labelled.question}"
                )
        elif match.outcome == "clarify":
            report.clarify += 1
            offered = [c.entry.id for c in match.candidates[:3]]
            if set(offered) & set(labelled.expect):
                report.clarify_with_right += 1
            report.failures.append(
                f"clarify {offered} (want {labelled.expect[0]}): {labelled.question}"
            )
        else:
            report.referred_in_scope += 1
            report.failures.append(
                f"referred, best {best} (want {labelled.expect[0]}): {labelled.question}"
            )
    return report
