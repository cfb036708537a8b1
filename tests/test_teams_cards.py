"""Adaptive Card builders as plain dicts (no server): user text never in Markdown, every card
under 25 KB for any input, buttons carrying sealed data, the deep link, and the card seal."""

from __future__ import annotations

import json
import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.teams import cards
from bot.adapters.teams.context import CardSeal, base_conversation
from bot.answers import Answer, Asker
from bot.knowledge import Leader

markup = st.sampled_from(["[kommune.no](https://evil.example)", "**fet**", "_x_", "<at>Kari</at>", "# overskrift",
                          "\n- liste", "&amp;", "{{DATE(2026-01-01)}}"])
questions = st.lists(st.one_of(st.text(max_size=60), markup), max_size=10).map(" ".join)


def seal(**fields) -> dict:
    return {"fields": fields}


def nodes(node):
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key != "data":
                yield from nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from nodes(item)


def size(content: dict) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode("utf-8"))


@settings(max_examples=80, deadline=None)
@given(question=questions)
def test_any_question_gives_cards_without_user_text_in_markdown_and_under_25_kb(bot, question):
    for asker in (Asker(), bot.identify(email="sigrid.eriksen@batsfjord.kommune.no")):
        answer = bot.ask(question, asker)
        content = cards.card_for(answer, 7, seal, can_ask_leader=True)
        assert content["version"] == "1.5" and size(content) <= cards.CARD_BYTES_LIMIT
        cleaned = " ".join(answer.question.split())
        for node in nodes(content):
            if node.get("type") == "TextBlock" and len(cleaned) > 12:
                assert cleaned not in node["text"]  # user text only ever in TextRuns


def test_answer_card_quotes_verbatim_and_cites(bot):
    answer = bot.ask("kan jeg legge ut et bilde av kollegaen min?", bot.identify(email="sigrid.eriksen@batsfjord.kommune.no"))
    content = cards.answer_card(answer, 3, seal, can_ask_leader=True)
    runs = [n["text"] for n in nodes(content) if n.get("type") == "TextRun"]
    assert f"«{answer.entry.quote}»" in runs
    assert any("punkt 4.4" in r and "revidert 20.04.2023" in r for r in runs)
    (ask,) = content["actions"]
    assert ask["verb"] == cards.ASK_LEADER and ask["fallback"]["type"] == "Action.Submit"
    assert ask["data"] == {"fields": {"v": "askLeader", "q": 3, "e": answer.entry.id, "l": "nb", "t": answer.question}}
    assert cards.answer_card(answer, 3, seal, can_ask_leader=False).get("actions") is None


def test_clarify_card_has_a_button_per_candidate_and_none_of_these(bot):
    answer = bot.ask("rykte?")
    content = cards.clarify_card(answer, 5, seal)
    picks = [n for n in nodes(content) if n.get("type") == "Action.Execute" and n["verb"] == cards.PICK]
    assert len(picks) == len(answer.candidates) >= 2
    assert [p["data"]["fields"]["e"] for p in picks] == [e.id for e, _ in answer.candidates]
    assert content["actions"][0]["title"] == "Ingen av disse"


def test_message_turns_on_teams_feedback_only_when_asked():
    content = cards.notice_card("x")
    assert cards.message(content, "s", feedback=True)["channelData"] == {"feedbackLoop": {"type": "default"}}
    assert "channelData" not in cards.message(content, "s")


def test_deep_link_opens_a_chat_with_the_leader_and_the_draft():
    draft = cards.leader_draft("kan jeg? & <b>x</b> #1", "Retningslinjer, punkt 4.4", "nb")
    link = cards.chat_deep_link("kari.nordvik@batsfjord.kommune.no", draft)
    parts = urllib.parse.urlsplit(link)
    query = urllib.parse.parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "teams.microsoft.com", "/l/chat/0/0")
    assert query == {"users": ["kari.nordvik@batsfjord.kommune.no"], "message": [draft]}
    long_link = cards.chat_deep_link("a@b.no", "x " * 5000)
    assert len(long_link) < 6000


def test_leader_cards(bot):
    kari = Leader(name="Kari Nordvik", email="kari.nordvik@batsfjord.kommune.no")
    confirm = cards.leader_confirmation_card(kari, False, "en", seal, {"q": 1, "e": "", "l": "en", "t": "q?"})
    assert "Your nearest leader is Kari Nordvik" in json.dumps(confirm)
    assert [a["verb"] for a in confirm["actions"]] == [cards.CONFIRM_LEADER, cards.CANCEL_LEADER]
    link = cards.leader_link_card(kari, "https://teams.microsoft.com/l/chat/0/0?users=k", "nb")
    assert link["actions"][0] == {"type": "Action.OpenUrl", "title": "Åpne chat med Kari Nordvik",
                                  "url": "https://teams.microsoft.com/l/chat/0/0?users=k"}


def test_fit_shortens_the_longest_texts_until_the_card_fits():
    content = cards.card([cards.verbatim("a " * 20_000), cards.text("kort")])
    fitted = cards.fit(content)
    assert size(fitted) <= cards.CARD_BYTES_LIMIT and fitted["body"][1]["text"] == "kort"


def test_seal_accepts_only_what_it_issued_in_that_conversation():
    sealer = CardSeal("secret")
    data = sealer.sealer("19:x@thread.tacv2;messageid=1")(v="pick", q=4, e="e1", l="en", t="hei")
    opened = sealer.open("19:x@thread.tacv2;messageid=2", data)  # same channel, another thread message
    assert (opened.verb, opened.question_id, opened.entry, opened.language, opened.text) == ("pick", 4, "e1", "en", "hei")
    assert sealer.open("19:y@thread.tacv2", data) is None
    assert CardSeal("other secret").open("19:x@thread.tacv2", data) is None
    payload, mac = data["guidebot"].split(".")
    assert sealer.open("19:x@thread.tacv2", {"guidebot": payload[:-2] + "AA." + mac}) is None
    for junk in (None, "x", {"guidebot": 5}, {"guidebot": "a.b.c"}, {"guidebot": "." * 30_000}):
        assert sealer.open("19:x@thread.tacv2", junk) is None
    assert base_conversation("19:x@thread.tacv2;messageid=17") == "19:x@thread.tacv2"


# The worst a question can be for card size: the core keeps 2 000 characters, and each may be a
# four-byte emoji, a quote mark (escaped in JSON) or a control character (six bytes as \uXXXX).
worst_characters = st.sampled_from(["😀", '"', "\\", "\x01", "ø", "a", "\u2028"])
long_questions = st.tuples(st.lists(worst_characters, min_size=1, max_size=12), st.integers(1500, 2000)).map(
    lambda found: ("".join(found[0]) * 2000)[: found[1]])


@settings(max_examples=25, deadline=None)
@given(question=long_questions, candidates=st.integers(min_value=1, max_value=8))
def test_every_card_with_real_sealed_buttons_stays_under_25_kb_for_the_longest_question(bot, question, candidates):
    """Every card that carries the question back in its buttons, with the real seal and more
    candidates than the matcher ever offers: under 25 KB, and every button still opens."""
    sealer = CardSeal("secret")
    seal = sealer.sealer("a:size")
    entries = [(entry, 0.5) for entry in bot.knowledge.entries[:candidates]]
    answered = bot.pick(entries[0][0].id, question)
    kari = Leader(name="Kari Nordvik", email="kari.nordvik@batsfjord.kommune.no")
    built = [
        cards.clarify_card(Answer(question, "clarify", "nb", candidates=entries), 123456789, seal),
        cards.answer_card(answered, 123456789, seal, can_ask_leader=True),
        cards.referral_card(bot.refer(question), 123456789, seal, can_ask_leader=True),
        cards.leader_confirmation_card(kari, False, "nb", seal, {"q": 123456789, "e": entries[0][0].id, "l": "nb",
                                                                  "t": question}),
    ]
    for content in built:
        assert size(content) < cards.CARD_BYTES_LIMIT
        for node in nodes(content):
            if node.get("type") in ("Action.Execute", "Action.Submit"):
                opened = sealer.open("a:size", node["data"])
                assert opened is not None and question.startswith(opened.text) and opened.text
