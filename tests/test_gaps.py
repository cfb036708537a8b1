"""Topics the guideline does not cover (`gaps:` in a document file): a question about one is
referred with that said plainly, never answered with the nearest rule, never offered as a
choice; `guidebot check` keeps gaps apart from what the guideline answers."""

import shutil
from pathlib import Path

import yaml

from bot.answers import Guidebot
from bot.evaluation import load_questions
from bot.knowledge.check import check_folder
from tests.conftest import KNOWLEDGE

EVAL = Path(__file__).parent / "eval"


def test_a_question_about_a_gap_is_referred_and_says_the_guideline_does_not_cover_it(bot):
    answer = bot.ask("går det an å gjemme en kommentar i stedet for å slette den?")
    assert answer.outcome == "referred" and answer.entry is None
    assert answer.notice == "«Retningslinjer for bruk av sosiale medier» sier ikke noe om å skjule kommentarer eller skru av kommentarfeltet."
    assert all(not entry.id.startswith("ikke-") for entry, _ in answer.candidates)
    text = answer.as_text()
    assert text.startswith(answer.notice) and "#it-hjelp" in text
    assert "Det finner jeg ikke noe sikkert svar" not in text  # the plain reason replaces the generic line
    match = bot.index.match("går det an å gjemme en kommentar i stedet for å slette den?")
    assert match.gap is not None and match.gap.id == "ikke-skjule-kommentarer"
    assert any("does not cover" in reason for reason in match.reasons)


def test_an_english_question_about_a_gap_gets_the_english_topic(bot):
    answer = bot.ask("are we allowed to use ChatGPT to write posts for the municipality?")
    assert answer.outcome == "referred"
    assert answer.notice.endswith("says nothing about using artificial intelligence such as ChatGPT.")


def test_a_thin_question_on_a_gap_topic_is_referred_not_asked_back(bot):
    # One topic word ("passord") is too thin for the decision, and it mostly belongs to a gap:
    # refer, never offer five unrelated rules.
    match = bot.index.match("hvordan bytter jeg passord?")
    assert match.outcome == "referred"
    assert any("mostly belongs to a topic the guideline does not cover" in r for r in match.reasons)
    # One word is too thin to name the topic: no notice ("når stenger kantina" shares only
    # "stenge" with the gap about closing comment fields).
    assert bot.ask("hvordan bytter jeg passord?").notice == ""
    assert bot.ask("hvordan endrer jeg passordet mitt?").outcome == "referred"
    assert bot.ask("når stenger kantina?").notice == ""
    # A thin question whose belief is spread over the guideline's rules is still asked back.
    assert bot.ask("bilder?").outcome == "clarify"
    assert bot.ask("roller?").outcome == "clarify"


def test_the_rule_next_to_a_gap_is_still_answered(bot):
    # Deleting unlawful comments is a rule (4.4); hiding comments is a gap beside it.
    answer = bot.ask("skal trusler i kommentarfeltet slettes?")
    assert answer.outcome in ("answered", "clarify")
    assert (answer.entry or answer.candidates[0][0]).section == "4.4"


def test_gaps_are_never_offered_to_choose_from(bot):
    gap_ids = {gap.id for gap in bot.knowledge.gaps}
    assert gap_ids
    for labelled in load_questions(EVAL / "questions.yaml") + load_questions(EVAL / "near-miss.yaml"):
        answer = bot.ask(labelled.question)
        assert not {entry.id for entry, _ in answer.candidates} & gap_ids, labelled.question
        assert answer.entry is None or answer.entry.id not in gap_ids


def _copy_with_gaps(tmp_path, gaps):
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    path = folder / "documents" / "batsfjord-sosiale-medier.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["gaps"] = gaps
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def test_check_refuses_a_gap_without_questions_an_id_used_twice_or_a_question_the_guideline_answers(tmp_path, bot):
    entry = next(e for e in bot.knowledge.entries if e.questions)
    empty = _copy_with_gaps(tmp_path / "a", [{"id": "ikke-noe", "topic": "noe", "questions": []}])
    assert "trenger minst ett spørsmål" in "\n".join(check_folder(empty)[1])
    folder = _copy_with_gaps(
        tmp_path / "b",
        [
            {"id": entry.id, "topic": "noe annet", "questions": ["hva med noe helt annet?"]},
            {"id": "ikke-dobbelt", "topic": "det samme", "questions": [entry.questions[0]]},
        ],
    )
    _, problems = check_folder(folder)
    text = "\n".join(problems)
    assert f"tema '{entry.id}': id-en er allerede brukt" in text
    assert f"tema 'ikke-dobbelt': spørsmålet «{entry.questions[0]}» står også på '{entry.id}'" in text


def test_a_knowledge_folder_with_gaps_loads_and_the_bot_uses_them(tmp_path):
    folder = _copy_with_gaps(
        tmp_path,
        [{"id": "ikke-kantine", "topic": "kantinemenyen", "topic_en": "the canteen menu",
          "questions": ["hva er det til lunsj i kantina?", "what's for lunch in the canteen?"]}],
    )
    _, problems = check_folder(folder)
    assert problems == []
    bot = Guidebot.from_folder(folder)
    answer = bot.ask("hva blir det til lunsj i kantina i dag?")
    assert answer.outcome == "referred" and "sier ikke noe om kantinemenyen" in answer.notice
