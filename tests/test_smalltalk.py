"""Small talk in the core: recognised only when the whole message is small talk, answered in
the asker's language, never logged (so never an "unanswered question")."""

from __future__ import annotations

import pytest

from bot.log.store import Store
from bot.service import Service
from bot.smalltalk import reply_to


@pytest.mark.parametrize(
    "text, kind, language",
    [
        ("hei", "greeting", "nb"),
        ("Hei!", "greeting", "nb"),
        ("hallo?", "greeting", "nb"),
        ("god morgen", "greeting", "nb"),
        ("God morgon :wave:", "greeting", "nb"),
        ("<@U0BOT00001> hei", "greeting", "nb"),
        ("takk", "thanks", "nb"),
        ("tusen takk!", "thanks", "nb"),
        ("takk for hjelpa", "thanks", "nb"),
        ("hei, takk!", "thanks", "nb"),
        ("thanks", "thanks", "en"),
        ("Thank you!", "thanks", "en"),
        ("ok", "ok", "nb"),
        ("ok 👍", "ok", "nb"),
        ("hello", "greeting", "en"),
        ("ha det", "bye", "nb"),
    ],
)
def test_small_talk_is_recognised_in_its_language(text, kind, language):
    found = reply_to(text)
    assert found is not None and (found.kind, found.language) == (kind, language)


@pytest.mark.parametrize(
    "text",
    [
        "hei, kan jeg legge ut et bilde av kollegaen min?",
        "takk, men hvor fort må vi svare på facebook?",
        "ok, kan jeg bruke jobbmailen på facebook?",
        "kan jeg si takk på facebook?",
        "hei " * 30,
        "",
        "bilder?",
    ],
)
def test_questions_that_start_kindly_are_still_questions(text):
    assert reply_to(text) is None


def test_the_bot_replies_briefly_in_the_askers_language(bot):
    greeting = bot.ask("hei")
    assert greeting.outcome == "smalltalk" and greeting.language == "nb"
    assert greeting.as_text().startswith("Hei!") and "leder" not in greeting.as_text()
    assert bot.ask("thanks!").as_text().startswith("You're welcome")
    assert bot.ask("hei, kan jeg legge ut et bilde av kollegaen min?").outcome == "answered"


def test_small_talk_is_not_logged(bot, tmp_path):
    store = Store(tmp_path / "log.sqlite3", Service.masker_for(bot))
    service = Service(bot, store)
    for text in ("hei", "takk", "hallo?", "god morgen", "thanks", "tusen takk!", "ok"):
        asked = service.ask(text, "cli", "terminal", bot.identify())
        assert asked.question_id is None and asked.answer.outcome == "smalltalk"
    assert store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 0
    assert service.ask("hvordan bytter jeg passord?", "cli", "terminal", bot.identify()).question_id
    store.close()
