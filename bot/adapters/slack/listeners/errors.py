"""When a listener fails: log it (what failed and where, never the request's content), tell the
person briefly with IT's contact, keep running.

The apology goes only to a request that passed verification (our HTTP layer's signature check,
or a Socket Mode connection), to the channel and user of its verified envelope; it is posted
from a worker thread, never from a thread Slack is waiting on.
"""

from __future__ import annotations

import logging
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.adapters.slack import blocks
from bot.adapters.slack.context import VERIFIED, SlackBot, clicked_by, clicked_in, is_on_ack_path
from bot.adapters.slack.listeners.actions import language_of
from bot.answers import detect_language

log = logging.getLogger("guidebot.slack")

_apologies = ThreadPoolExecutor(max_workers=2, thread_name_prefix="guidebot-apology")


def register_errors(app: App, slack: SlackBot) -> None:
    @app.error
    def handle_error(error: Exception, body: dict, request: BoltRequest, client: WebClient) -> None:
        """Log the failure; tell the person briefly, with IT's contact, never a stack trace."""
        log.error("listener failed: %s", describe_failure(error))
        if not is_verified(request):
            return  # nobody to tell: whatever the body names is not known to be from Slack
        channel, user, thread, language = _where(body)
        if not channel:
            return
        text = blocks.TEXTS[language]["sorry"].format(it=slack.it_contact())
        if is_on_ack_path():
            _apologies.submit(_apologise, client, channel, user, thread, text)
        else:
            _apologise(client, channel, user, thread, text)


def is_verified(request: Any) -> bool:
    """Did this request come from Slack: signed (checked by our HTTP layer) or over Socket Mode?"""
    if not isinstance(request, BoltRequest):
        return False
    return request.mode == "socket_mode" or request.context.get(VERIFIED) is True


def describe_failure(error: BaseException) -> str:
    """The error's type, Slack's error code if any, and where it was raised: enough to find the
    bug, and nothing from the request (exception messages can quote a question)."""
    kind = type(error).__name__
    code = ""
    if isinstance(error, SlackApiError):
        try:
            code = f" ({error.response.get('error')})"
        except Exception:  # a response without the usual shape: the type is enough
            code = ""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" in {frames[-1].name} ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{kind}{code}{where}"


def _apologise(client: WebClient, channel: str, user: str, thread: str | None, text: str) -> None:
    try:
        if channel.startswith("D") or not user:
            client.chat_postMessage(channel=channel, thread_ts=thread, **blocks.simple_message(text))
        else:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, **blocks.simple_message(text))
    except Exception as second:  # the apology must never take the bot down
        log.error("could not tell the user about the failure: %s", describe_failure(second))


def _where(body: Any) -> tuple[str, str, str | None, str]:
    """Channel, user and thread from the envelope Slack signed; language from the text."""
    if not isinstance(body, dict):
        return "", "", None, "nb"
    event = body.get("event")
    if isinstance(event, dict):
        text = event.get("text") if isinstance(event.get("text"), str) else ""
        return (
            _text(event.get("channel")),
            _text(event.get("user")),
            _text(event.get("thread_ts")) or (_text(event.get("ts")) if event.get("type") == "app_mention" else "")
            or None,
            detect_language(text),
        )
    channel = clicked_in(body) or _text(body.get("channel_id"))
    user = clicked_by(body) or _text(body.get("user_id"))
    message = body.get("message")
    thread = _text(message.get("thread_ts")) if isinstance(message, dict) else ""
    return channel, user, thread or None, language_of(body)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
