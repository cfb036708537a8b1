"""The quality bar, measured on the labelled questions in tests/eval/."""

from pathlib import Path

from bot.evaluation import evaluate, load_questions

EVAL = Path(__file__).resolve().parent / "eval"


def test_eval_set_is_large_enough():
    questions = load_questions(EVAL / "questions.yaml")
    assert sum(1 for q in questions if q.expect) >= 150
    assert sum(1 for q in questions if not q.expect) >= 40


def test_every_expected_entry_exists(bot):
    ids = {e.id for e in bot.knowledge.entries}
    for name in ("questions.yaml", "holdout.yaml", "holdout2.yaml", "holdout3.yaml", "holdout4.yaml", "holdout5.yaml"):
        for question in load_questions(EVAL / name):
            assert set(question.expect) <= ids, question


def test_quality_bar_on_the_eval_set(bot):
    # Issue #2's bar. Measured 2026-11-23: correct 0.969, wrong 0.000, out-of-scope answered 0.
    figures = evaluate(bot.index, load_questions(EVAL / "questions.yaml")).figures()
    assert figures["answered_correct"] >= 0.95, figures
    assert figures["answered_wrong"] <= 0.02, figures
    assert figures["out_of_scope_answered"] <= 0.03, figures


def test_no_regression_on_the_holdout_set(bot):
    # Questions written after tuning. Measured 2026-11-23: holdout correct 0.810, wrong 0.017,
    # out-of-scope answered 0; holdout2 (written in session 2) correct 0.828, wrong 0.017,
    # out-of-scope answered 0; holdout3 (chat style, written last) correct 0.820, wrong 0.040
    # (2 of 50), out-of-scope answered 0; holdout4 scored once at 0.720 / 0.040 / 0, now 0.760 /
    # 0.020 / 0 after it became a development set; holdout5 (scored once, never tuned on) 0.660 /
    # 0.000 / 0. Floors against regressions, not goals.
    floors = (
        ("holdout.yaml", 0.78, 0.03, 0.0),
        ("holdout2.yaml", 0.80, 0.04, 0.05),
        ("holdout3.yaml", 0.80, 0.08, 0.05),
        ("holdout4.yaml", 0.72, 0.04, 0.05),
        ("holdout5.yaml", 0.62, 0.04, 0.05),
    )
    for name, correct, wrong, out_of_scope in floors:
        figures = evaluate(bot.index, load_questions(EVAL / name)).figures()
        assert figures["answered_correct"] >= correct, (name, figures)
        assert figures["answered_wrong"] <= wrong, (name, figures)
        assert figures["out_of_scope_answered"] <= out_of_scope, (name, figures)


def test_holdout_questions_are_not_in_the_knowledge(bot):
    # The holdout sets measure unseen wordings only while nobody copies them into the knowledge.
    def normal(text):
        return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())

    phrasings = {normal(q) for entry in bot.knowledge.entries for q in entry.questions}
    for name in ("holdout.yaml", "holdout2.yaml", "holdout3.yaml", "holdout4.yaml", "holdout5.yaml"):
        leaked = [q.question for q in load_questions(EVAL / name) if normal(q.question) in phrasings]
        assert leaked == [], (name, leaked)
