"""Messages: personal chat, and @mentions in channels and group chats (the mention is stripped
and the answer goes to the same thread). One core call, the answer posted back as a card; small
talk ("hei", "takk") gets a line of text, like on Slack.
`hjelp` explains what guidebot does and logs; `rapport` is the leaders' report (reports.py).
A card's Action.Submit from an older client arrives as a message with a value (actions.py)."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

from microsoft_teams.apps import App

from bot.adapters.teams import cards
from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.listeners.common import apologise, send, typing
from bot.answers import detect_language
from bot.matching.normalise import clean

HELP_WORDS = ("hjelp", "help", "?", "hva kan du", "kva kan du", "what can you do",
              # the prompt starter "Hva logges om meg?" and its kin: the notice says what is logged
              "hva logges om meg", "kva blir logga om meg", "hva logger du", "what is logged about me",
              "what do you log")
REPORT_WORDS = {"rapport": "nb", "report": "en"}
_TAG = re.compile(r"<[^>]{0,200}>")


def register_messages(app: App, teams: TeamsBot) -> None:
    from bot.adapters.teams.listeners.actions import handle_submit
    from bot.adapters.teams.listeners.reports import send_report

    @app.on_message
    async def handle_message(ctx: Any) -> None:
        activity = ctx.activity
        text = activity.text if isinstance(activity.text, str) else ""
        if getattr(activity, "value", None) is not None and not text.strip():
            await handle_submit(ctx, teams)
            return
        language = "nb"
        try:
            personal = conversation_type(activity) == "personal"
            if not personal and not activity.is_recipient_mentioned():
                return  # in channels and group chats only @mentions are for guidebot
            question = question_text(activity)
            language = detect_language(question)
            if not question and activity.attachments:
                await send(ctx, cards.text_message(cards.TEXTS["nb"]["only_text"]))
                return
            word = " ".join(clean(question).lower().split())
            if word.rstrip("?") in HELP_WORDS or word == "?":
                language = "en" if word.startswith(("help", "what")) else "nb"
                help_card = cards.help_card(teams.bot, teams.notice(language), language)
                await send(ctx, cards.message(help_card, "guidebot: hjelp"))
                return
            if word in REPORT_WORDS:
                await send_report(ctx, teams, REPORT_WORDS[word], personal)
                return
            await answer(ctx, teams, question, "dm" if personal else "mention")
        except Exception as error:
            await apologise(ctx, teams, error, language)


async def answer(ctx: Any, teams: TeamsBot, question: str, surface: str) -> None:
    # The typing indicator goes out while the asker is looked up (each a Bot Connector round trip).
    typing_sent = asyncio.create_task(typing(ctx))
    try:
        who = await teams.who(ctx)
    finally:
        await typing_sent  # the indicator before the answer, never after it
    sender = ctx.activity.from_
    asker_id = getattr(sender, "aad_object_id", None) or sender.id or ""
    asked = await teams.run(teams.service.ask, question, "teams", surface, who.asker, asker_id)
    answer = asked.answer
    if answer.outcome == "smalltalk":  # "hei", "takk": a brief kind reply, not logged, no buttons
        await send(ctx, cards.text_message(answer.notice or ""))
        return
    seal = teams.seal.sealer(ctx.activity.conversation.id)
    content = cards.card_for(answer, asked.question_id, seal, teams.can_ask_leader(who.asker))
    answered = answer.outcome == "answered" and answer.entry is not None
    message_id = await send(ctx, cards.message(content, cards.summary_of(answer), feedback=answered))
    if answered and answer.entry is not None:
        await teams.remember_answer(ctx.activity.conversation.id, message_id, asked.question_id, answer.entry.id)


def conversation_type(activity: Any) -> str:
    """personal | channel | groupChat (Teams leaves it out for personal chats in some clients)."""
    return getattr(activity.conversation, "conversation_type", None) or "personal"


def question_text(activity: Any) -> str:
    """The text without the bot's @mention and without Teams' HTML markup."""
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = activity.recipient.id
    for entity in activity.entities or ():
        mentioned = getattr(entity, "mentioned", None)
        mention_text = getattr(entity, "text", None)
        if mentioned is not None and getattr(mentioned, "id", None) == bot_id and isinstance(mention_text, str):
            text = text.replace(mention_text, " ")
    text = re.sub(r"<at>[^<]{0,200}</at>", " ", text) if "<at>" in text and bot_id else text
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())
