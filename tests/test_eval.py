"""The quality bar, measured on the labelled questions in tests/eval/."""

from pathlib import Path

from bot.evaluation import evaluate, load_questions

EVAL = Path(__file__).resolve().parent / "eval"


def test_eval_set_is_large_enough():
    questions = load_questions(EVAL / "questions.yaml")
    assert sum(1 for q in questions if q.in_scope) >= 150
    assert sum(1 for q in questions if not q.in_scope) >= 40


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


def _normal(text):
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def test_holdout_and_blind_questions_are_not_in_the_knowledge(bot):
    # Holdout and blind sets measure unseen wordings only while nobody copies them into the
    # knowledge: not as phrasings, keywords or answers, and no long run of their words either.
    texts = [t for e in bot.knowledge.entries for t in (*e.questions, *e.keywords, e.answer, e.answer_en)]
    known = {_normal(t) for t in texts}
    blind = sorted((EVAL / "blind").glob("*.yaml"))
    assert blind, "the blind sets are missing"
    names = [f"holdout{n}.yaml" for n in ("", "2", "3", "4", "5")] + [f"blind/{p.name}" for p in blind]
    for name in names:
        leaked = [q.question for q in load_questions(EVAL / name) if _normal(q.question) in known]
        assert leaked == [], (name, leaked)
    # No run of nine words of a blind question may stand inside any phrasing or answer (shorter
    # runs such as "er det lov å være på sosiale medier" are common Norwegian, not copying).
    haystack = " | ".join(known)
    for path in blind:
        for question in load_questions(path):
            words = _normal(question.question).split()
            for start in range(0, max(len(words) - 8, 0)):
                assert " ".join(words[start : start + 9]) not in haystack, (path.name, question.question)


def test_blind_sets_say_who_wrote_them_and_when():
    for path in sorted((EVAL / "blind").glob("*.yaml")):
        head = path.read_text(encoding="utf-8")[:2000]
        assert "meta:" in head and "written:" in head and "by:" in head, path.name
        assert path.name[:10].count("-") == 2, "blind files are named by date: " + path.name


def test_quote_labels_resolve_to_the_entries_that_hold_them(bot):
    from bot.evaluation import LabelledQuestion, quote_matches, resolve_quotes

    entry = next(e for e in bot.knowledge.entries if "fotografen" in e.quote)
    fragment = " ".join(entry.quote.split()[1:9])
    assert quote_matches(fragment, entry.quote)
    assert not quote_matches("Husk at fotografen alltid skal få betalt", entry.quote)
    [resolved] = resolve_quotes([LabelledQuestion("q", quotes=(fragment,))], bot.knowledge.entries)
    assert entry.id in resolved.expect


def test_blind_labels_all_point_at_an_entry(bot):
    # A label no entry holds would count as wrong whatever the engine does.
    for path in sorted((EVAL / "blind").glob("*.yaml")):
        if "batsfjord" not in path.name:
            continue
        unresolved = [q.quotes[0] for q in load_questions(path, bot.knowledge.entries) if q.in_scope and not q.expect]
        assert unresolved == [], (path.name, unresolved)
