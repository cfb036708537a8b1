"""DMs to the bot and @mentions in channels: queued in the outbox before Slack's ack, answered
from it by worker threads (in a thread for mentions). Bots, the bot itself, edits and deletions
are ignored.

Why a listener middleware: Bolt acks an event *before* its listener runs, and runs listeners on
a pool of 10 threads that a backlog fills. The middleware runs on the request thread before
the ack, so by the time Slack has its 200 the question is on disk (`bot/outbox.py`), and the
answer (users.info, chat.postMessage, ~150 ms each in real life) never holds up an ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot
from bot.matching.normalise import clean
from bot.outbox import Job, LeaseLost

log = logging.getLogger("guidebot.slack")

HELP_WORDS = ("hjelp", "help", "?", "hva kan du", "kva kan du", "what can you do")
ANSWER_EVENT = "guidebot_answer"  # message metadata: which outbox row an answer is for


def register_messages(app: App, slack: SlackBot) -> None:
    @app.event("app_mention", middleware=[accept(slack, "mention")])
    @app.event("message", middleware=[accept(slack, "dm")])
    def handle_question() -> None:
        """Never runs: `accept` queues the question and acks it on the request thread."""


def accept(slack: SlackBot, surface: str) -> Callable[..., BoltResponse]:
    """A listener middleware that puts a DM or mention in the outbox, then acks it."""

    def accept_question(body: dict, event: dict) -> BoltResponse:
        reply_to = _reply_to(event, surface)
        if reply_to is not None and slack.outbox is not None:
            text = event.get("text")
            event_id = body.get("event_id")
            # The event id is claimed with the row, in one transaction (see QUEUED_EVENTS in app.py).
            slack.outbox.put(
                "slack",
                surface,
                text if isinstance(text, str) else None,
                reply_to,
                str(event.get("user") or ""),
                claim=event_id if isinstance(event_id, str) else None,
                conversation=f"{reply_to['channel']}/{reply_to.get('thread_ts') or ''}",
            )
        return BoltResponse(status=200, body="")

    return accept_question


def _reply_to(event: dict, surface: str) -> dict | None:
    """Where the answer goes, or None for events that get no answer."""
    if _from_a_bot(event) or not isinstance(event.get("channel"), str) or not event["channel"]:
        return None
    if surface == "mention":
        if event.get("edited"):
            return None
        return {"channel": event["channel"], "thread_ts": event.get("thread_ts") or event.get("ts")}
    # Only DMs; edits, deletions, joins and every bot's own messages are ignored.
    subtype = event.get("subtype")
    if event.get("channel_type") != "im" or subtype not in (None, "file_share", "thread_broadcast"):
        return None
    reply_to = {"channel": event["channel"], "thread_ts": event.get("thread_ts")}
    text = event.get("text")
    if subtype == "file_share" and not (isinstance(text, str) and text.strip()):
        reply_to["only_text"] = True
    return reply_to


def _from_a_bot(event: dict) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message")


def answer_in_conversation(slack: SlackBot, client: WebClient, job: Job) -> None:
    """Answer a queued DM or mention: once, even when a crash interrupted an earlier attempt."""
    channel, thread = job.reply_to["channel"], job.reply_to.get("thread_ts")
    if job.maybe_sent and already_answered(client, channel, thread, job):
        return
    message, question_id = _compose(slack, client, job)
    if not slack.outbox or not slack.outbox.sending(job, question_id):
        raise LeaseLost(job.id)
    client.chat_postMessage(
        channel=channel,
        thread_ts=thread,
        unfurl_links=False,
        metadata={"event_type": ANSWER_EVENT, "event_payload": {"outbox": job.key}},
        **message,
    )


def _compose(slack: SlackBot, client: WebClient, job: Job) -> tuple[dict, int | None]:
    if job.reply_to.get("only_text"):
        return blocks.simple_message(blocks.TEXTS["nb"]["only_text"]), None
    text = job.text
    word = " ".join(clean(text).lower().split()) if isinstance(text, str) else ""
    if word.rstrip("?") in HELP_WORDS or word == "?":
        language = "en" if word.startswith(("help", "what")) else "nb"
        return blocks.help_message(slack.bot, slack.notice(language), slack.settings.command), None
    asker = slack.asker(client, job.asker)
    if job.question_id is not None:  # logged by an attempt that did not get to send
        answer, question_id = slack.bot.ask(text, asker), job.question_id
    else:
        asked = slack.service.ask(text, "slack", job.surface, asker, job.asker)
        answer, question_id = asked.answer, asked.question_id
    if answer.outcome == "smalltalk":
        return blocks.simple_message(answer.notice), None
    ping = job.surface == "dm"
    message = blocks.message_for(answer, question_id, ping, slack.can_ask_leader(asker))
    return slack.seal(message, job.asker, job.reply_to["channel"]), question_id


def already_answered(client: WebClient, channel: str, thread: str | None, job: Job) -> bool:
    """Whether an earlier attempt's answer is in the conversation (found by the row's key in
    the message metadata). DMs need im:history (in the manifests); a thread in a channel needs
    channels:history, which the manifests do not ask for: then we answer again (and say so)."""
    oldest = f"{job.accepted_at - 60:.6f}"
    try:
        if thread:
            found = client.conversations_replies(
                channel=channel, ts=thread, oldest=oldest, include_all_metadata=True, limit=200
            )
        else:
            found = client.conversations_history(channel=channel, oldest=oldest, include_all_metadata=True, limit=200)
    except SlackApiError as error:
        log.warning("cannot check whether row %d was answered (%s); answering it", job.id,
                    error.response.get("error"))
        return False
    for message in found.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == ANSWER_EVENT and payload.get("outbox") == job.key:
            return True
    return False


def apologise_in_conversation(slack: SlackBot, client: WebClient, job: Job) -> None:
    """After the last failed attempt: "Beklager …" with IT's contact, where the question was."""
    text = blocks.TEXTS[_language(job)]["sorry"].format(it=slack.it_contact())
    client.chat_postMessage(channel=job.reply_to["channel"], thread_ts=job.reply_to.get("thread_ts"),
                            **blocks.simple_message(text))


def _language(job: Job) -> str:
    from bot.answers import detect_language

    return detect_language(job.text or "")
