"""DMs to the bot and @mentions in channels: one core call, the answer posted back
(in a thread for mentions). Bots, the bot itself, edits and deletions are ignored."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot
from bot.matching.normalise import clean

HELP_WORDS = ("hjelp", "help", "?", "hva kan du", "kva kan du", "what can you do")


def register_messages(app: App, slack: SlackBot) -> None:
    @app.event("app_mention")
    def handle_app_mention(event: dict, client: WebClient) -> None:
        if _from_a_bot(event) or event.get("edited") or not event.get("channel"):
            return
        thread = event.get("thread_ts") or event.get("ts")
        _answer_in_conversation(slack, client, event, "mention", thread, ping=False)

    @app.event("message")
    def handle_direct_message(event: dict, client: WebClient) -> None:
        # Only DMs; edits, deletions, joins and every bot's own messages are ignored.
        if event.get("channel_type") != "im" or _from_a_bot(event) or not event.get("channel"):
            return
        subtype = event.get("subtype")
        if subtype == "file_share" and not (event.get("text") or "").strip():
            client.chat_postMessage(channel=event["channel"], **blocks.simple_message(blocks.TEXTS["nb"]["only_text"]))
            return
        if subtype not in (None, "file_share", "thread_broadcast"):
            return
        _answer_in_conversation(slack, client, event, "dm", event.get("thread_ts"), ping=True)


def _from_a_bot(event: dict) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message")


def _answer_in_conversation(
    slack: SlackBot, client: WebClient, event: dict, surface: str, thread: str | None, ping: bool
) -> None:
    user = str(event.get("user") or "")
    text = event.get("text")
    word = " ".join(clean(text).lower().split()) if isinstance(text, str) else ""
    if word.rstrip("?") in HELP_WORDS or word == "?":
        language = "en" if word.startswith(("help", "what")) else "nb"
        help_message = blocks.help_message(slack.bot, slack.notice(language), slack.settings.command)
        client.chat_postMessage(channel=event["channel"], thread_ts=thread, **help_message)
        return
    asker = slack.asker(client, user)
    asked = slack.service.ask(text if isinstance(text, str) else None, "slack", surface, asker, user)
    message = blocks.message_for(asked.answer, asked.question_id, ping, slack.can_ask_leader(asker))
    message = slack.seal(message, user, event["channel"])
    client.chat_postMessage(channel=event["channel"], thread_ts=thread, unfurl_links=False, **message)
