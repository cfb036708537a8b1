"""Helpers the listeners share: sending a plain activity dict, and the apology on failure."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import httpx
from microsoft_teams.api import MessageActivityInput, TypingActivityInput

from bot.adapters.teams import cards
from bot.adapters.teams.context import TeamsBot

log = logging.getLogger("guidebot.teams")


async def send(ctx: Any, activity: dict) -> str:
    """Send an activity built by `cards` in the conversation (a channel thread stays a thread);
    with an `id`, the existing message is updated instead. Returns the message id."""
    sent = await ctx.send(MessageActivityInput.model_validate(activity))
    return getattr(sent, "id", "") or ""


async def typing(ctx: Any) -> None:
    try:
        await ctx.send(TypingActivityInput())
    except Exception as error:  # a lost typing indicator is no reason to stop answering
        log.info("typing indicator failed: %s", type(error).__name__)


async def apologise(ctx: Any, teams: TeamsBot, error: BaseException, language: str = "nb") -> None:
    """Log the failure in one line; tell the person briefly, with IT's contact, never a stack trace."""
    log.error("listener failed: %s", reason(error))
    try:
        await send(ctx, cards.text_message(cards.TEXTS[language]["sorry"].format(it=teams.it_contact())))
    except Exception as second:  # the apology must never take the bot down
        log.error("could not tell the user about the failure: %s", reason(second))


def reason(error: BaseException) -> str:
    """One line for the process log, with no ids: an HTTP error's message and URL hold the
    conversation, user or AAD object id, so only its status and host are kept; any other error
    gives its type and where in guidebot it was raised (its message may quote what people wrote)."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code} from {error.request.url.host}"
    if isinstance(error, httpx.RequestError):
        try:
            host = error.request.url.host
        except RuntimeError:  # no request attached
            host = "?"
        return f"{type(error).__name__} reaching {host}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/bot/" in f.filename.replace("\\", "/")]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"


def card_response(content: dict) -> dict:
    """An invoke response that replaces the clicked card with `content`."""
    return {"status": 200, "body": {"statusCode": 200, "type": cards.CARD_TYPE, "value": content}}


def message_response(text: str) -> dict:
    """An invoke response that shows a short message and leaves the card as it was."""
    return {"status": 200, "body": {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                    "value": text}}
