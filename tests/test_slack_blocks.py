"""Block Kit builders as plain dicts (no server): escaping for any input, Slack's size limits,
and Socket Mode dispatching to the same listeners as HTTP."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack import blocks
from bot.answers import Asker

# Mentions the bot itself writes on purpose (the leader in a DM referral, the asker in the
# leader's DM). Anything else in angle brackets would have come from user text.
OWN_TOKENS = re.compile(r"<@(U0HELSE001|U0SIGRID01)>")
slack_markup = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<@U0KDIR0001>",
        "<https://evil.example|kommune.no>",
        "<#C0GENERAL1>",
        "&",
        "<",
        ">",
        "&amp;",
        "&lt;",
        "*bold*",
        "`x`",
    ]
)
questions = st.lists(st.one_of(st.text(max_size=40), slack_markup), max_size=8).map(" ".join)


def mrkdwn_texts(message: dict) -> list[str]:
    texts = [message.get("text", "")]
    for block in message["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [element["text"] for element in block["elements"]]
    return texts


def assert_nothing_unescaped(message: dict) -> None:
    for text in mrkdwn_texts(message):
        rest = OWN_TOKENS.sub("", text)
        assert "<" not in rest and ">" not in rest, text
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest), text


@given(st.text())
def test_escape_hides_every_control_character_and_round_trips(text):
    escaped = blocks.escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


@settings(max_examples=150, deadline=None)
@given(questions)
def test_no_user_text_reaches_slack_unescaped(bot, text):
    asker = bot.identify(slack_user="U0SIGRID01")
    answer = bot.ask(text, asker)
    assert_nothing_unescaped(blocks.message_for(answer, 1, ping=True, can_ask_leader=True))
    assert_nothing_unescaped(blocks.referral_message(bot.refer(text, asker), 1, ping=True, can_ask_leader=True))
    assert_nothing_unescaped(blocks.leader_dm("U0SIGRID01", answer.question, None, None, "nb"))
    button_value = blocks.value(q=1, e="x", l="nb", t=text)
    assert len(button_value) <= blocks.BUTTON_VALUE_LIMIT
    assert blocks.read_value(button_value).text == text[: len(blocks.read_value(button_value).text)]


def test_long_content_is_split_and_trimmed_within_limits():
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": ("ord &amp; " * 2000).strip()}}
    many = [{"type": "section", "text": {"type": "mrkdwn", "text": f"blokk {n}"}} for n in range(80)]
    message = blocks.fit({"text": "x" * 50_000, "blocks": [long_section, *many]})
    assert len(message["blocks"]) == blocks.MESSAGE_BLOCK_LIMIT
    assert len(message["text"]) <= blocks.TEXT_LIMIT
    assert all(len(b["text"]["text"]) <= blocks.SECTION_TEXT_LIMIT for b in message["blocks"] if b["type"] == "section")
    joined = "".join(b["text"]["text"] for b in message["blocks"][:4])
    assert "&am" not in joined.replace("&amp;", "")  # no escape cut in half
    assert "forkortet" in message["blocks"][-1]["elements"][0]["text"]


def test_home_view_stays_under_the_view_limit(bot):
    view = blocks.home_view(bot, "logg")
    assert view["type"] == "home" and len(view["blocks"]) <= blocks.VIEW_BLOCK_LIMIT


def test_clarify_message_offers_each_candidate(bot):
    answer = bot.ask("roller?", Asker())
    assert answer.outcome == "clarify"
    message = blocks.clarify_message(answer, 7)
    picks = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert [blocks.read_value(p["value"]).entry for p in picks] == [e.id for e, _ in answer.candidates]
    assert all(blocks.read_value(p["value"]).question_id == 7 for p in picks)


def test_button_values_from_a_request_are_read_defensively():
    assert blocks.read_value('{"q": 3, "e": "svartid", "l": "en", "t": "hi"}') == blocks.ButtonValue(3, "svartid", "en", "hi")
    for hostile in (None, "", "not json", "[1]", '{"q": "3", "e": 5, "l": "xx", "t": null}', '{"q": true}'):
        assert blocks.read_value(hostile) == blocks.ButtonValue(None, "", "nb", "")
