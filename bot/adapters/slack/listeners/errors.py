"""When a listener fails: log it, tell the person briefly with IT's contact, keep running."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot
from bot.adapters.slack.listeners.actions import clicked_by, clicked_in, language_of
from bot.answers import detect_language

log = logging.getLogger("guidebot.slack")


def register_errors(app: App, slack: SlackBot) -> None:
    @app.error
    def handle_error(error: Exception, body: dict, client: WebClient) -> None:
        """Log the failure; tell the person briefly, with IT's contact, never a stack trace."""
        log.error("listener failed: %r", error, exc_info=error)
        try:
            channel, user, thread, language = _where(body)
            if not channel:
                return
            text = blocks.TEXTS[language]["sorry"].format(it=slack.it_contact())
            if channel.startswith("D") or not user:
                client.chat_postMessage(channel=channel, thread_ts=thread, **blocks.simple_message(text))
            else:
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, **blocks.simple_message(text))
        except Exception as second:  # the apology must never take the bot down
            log.error("could not tell the user about the failure: %r", second)


def _where(body: Any) -> tuple[str, str, str | None, str]:
    if not isinstance(body, dict):
        return "", "", None, "nb"
    event = body.get("event")
    if isinstance(event, dict):
        text = event.get("text") if isinstance(event.get("text"), str) else ""
        return (
            str(event.get("channel") or ""),
            str(event.get("user") or ""),
            event.get("thread_ts") or (event.get("ts") if event.get("type") == "app_mention" else None),
            detect_language(text),
        )
    channel = clicked_in(body) or body.get("channel_id")
    user = clicked_by(body) or body.get("user_id")
    thread = (body.get("message") or {}).get("thread_ts")
    return str(channel or ""), str(user or ""), thread, language_of(body)
