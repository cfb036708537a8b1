"""The quality bar, measured on the labelled questions in tests/eval/."""

from pathlib import Path

import pytest

from bot.evaluation import evaluate, load_questions

EVAL = Path(__file__).resolve().parent / "eval"


def test_eval_set_is_large_enough():
    questions = load_questions(EVAL / "questions.yaml")
    assert sum(1 for q in questions if q.expect) >= 150
    assert sum(1 for q in questions if not q.expect) >= 40


def test_every_expected_entry_exists(bot):
    ids = {e.id for e in bot.knowledge.entries}
    for name in ("questions.yaml", "holdout.yaml"):
        for question in load_questions(EVAL / name):
            assert set(question.expect) <= ids, question


def test_no_regression_below_measured_figures(bot):
    # Measured 2026-11-23: answered-correct 0.933, answered-wrong 0.000, out-of-scope answered 0.
    figures = evaluate(bot.index, load_questions(EVAL / "questions.yaml")).figures()
    assert figures["answered_correct"] >= 0.93, figures
    assert figures["answered_wrong"] <= 0.01, figures
    assert figures["out_of_scope_answered"] <= 0.03, figures


@pytest.mark.xfail(strict=True, reason="issue #2 bar not reached yet: answered-correct is 0.933, not 0.95")
def test_quality_bar_on_the_eval_set(bot):
    figures = evaluate(bot.index, load_questions(EVAL / "questions.yaml")).figures()
    assert figures["answered_correct"] >= 0.95, figures
    assert figures["answered_wrong"] <= 0.02, figures
    assert figures["out_of_scope_answered"] <= 0.03, figures
