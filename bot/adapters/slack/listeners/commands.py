"""The slash command (`/retningslinjer`, configurable): an ephemeral answer, `hjelp`, and
`rapport` for leaders.

A question is queued in the outbox and acked at once with "Ser etter …" (Slack fails a command
not acked within 3 s, and a backlog must never cause that); a worker then answers through the
command's response_url, replacing that line. Replacing makes a second attempt after a crash
harmless: it replaces the first answer instead of adding another. `hjelp` is answered in the
ack itself (nothing to look up); `rapport` acks, then works (see `send_report`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot
from bot.answers import detect_language
from bot.log.formats import render_html
from bot.log.reports import build_report
from bot.outbox import Job, LeaseLost

log = logging.getLogger("guidebot.slack")

REPORT_DAYS = 30
HELP_WORDS = ("", "hjelp", "help", "?")
REPORT_WORDS = ("rapport", "report")
LOOKING = {"nb": "Ser etter i retningslinjene …", "en": "Looking in the guidelines …"}


def register_command(app: App, slack: SlackBot) -> None:
    command_name = slack.settings.command

    @app.command(command_name, middleware=[accept_question(slack)])
    def handle_command(ack: Callable[..., None], command: dict, client: WebClient, respond: Callable[..., Any]) -> None:
        """`hjelp` and `rapport`; questions never get here (see `accept_question`)."""
        word = str(command.get("text") or "").strip().lower()
        if word in REPORT_WORDS:
            send_report(slack, ack, command, client, respond, "en" if word == "report" else "nb")
            return
        language = "en" if word == "help" else "nb"
        ack(response_type="ephemeral", **blocks.help_message(slack.bot, slack.notice(language), command_name))


def accept_question(slack: SlackBot) -> Callable[..., BoltResponse | None]:
    """A listener middleware, run on the request thread: a question is queued in the outbox,
    then acked with "Ser etter …"; `hjelp` and `rapport` go on to the listener."""

    def accept(command: dict, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        text = str(command.get("text") or "").strip()
        if text.lower() in HELP_WORDS + REPORT_WORDS or slack.outbox is None:
            next()
            return None
        reply_to = {"response_url": str(command.get("response_url") or "")}  # all an answer needs
        slack.outbox.put("slack", "slash", text, reply_to, str(command.get("user_id") or ""))
        looking = {"response_type": "ephemeral", "text": LOOKING[detect_language(text)]}
        return BoltResponse(
            status=200, body=json.dumps(looking), headers={"content-type": "application/json;charset=utf-8"}
        )

    return accept


def answer_command(slack: SlackBot, client: WebClient, job: Job) -> None:
    """Answer a queued slash command through its response_url, replacing "Ser etter …"."""
    asker = slack.asker(client, job.asker)
    if job.question_id is not None:  # logged by an attempt that did not get to send
        answer, question_id = slack.bot.ask(job.text, asker), job.question_id
    else:
        asked = slack.service.ask(job.text, "slack", "slash", asker, job.asker)
        answer, question_id = asked.answer, asked.question_id
    if answer.outcome == "smalltalk":
        message = blocks.simple_message(answer.notice)
    else:
        message = blocks.message_for(answer, question_id, True, slack.can_ask_leader(asker))
    if not slack.outbox or not slack.outbox.sending(job, question_id):
        raise LeaseLost(job.id)
    _respond(job, message)


def apologise_for_command(slack: SlackBot, job: Job) -> None:
    """After the last failed attempt: "Beklager …" with IT's contact, in place of "Ser etter …"."""
    text = blocks.TEXTS[detect_language(job.text or "")]["sorry"].format(it=slack.it_contact())
    _respond(job, blocks.simple_message(text))


def _respond(job: Job, message: dict) -> None:
    sent = WebhookClient(job.reply_to["response_url"]).send_dict(
        {"response_type": "ephemeral", "replace_original": True, **message}
    )
    if sent.status_code != 200:
        raise OSError(f"response_url answered HTTP {sent.status_code}")


def send_report(
    slack: SlackBot,
    ack: Callable[..., None],
    command: dict,
    client: WebClient,
    respond: Callable[..., Any],
    language: str,
) -> None:
    """Leaders (listed in contacts) get an ephemeral digest of the last 30 days and the HTML
    report as a file in their DM with the bot; anyone else a polite "only leaders"."""
    user = str(command.get("user_id") or "")
    t = blocks.TEXTS[language]
    if not slack.is_leader(client, user) or slack.service.store is None:
        ack(response_type="ephemeral", **blocks.simple_message(t["leaders_only"]))
        return
    ack(response_type="ephemeral", text=t["report_wait"])
    # Acknowledged: from here on a failure is told through response_url, never a second ack.
    try:
        store = slack.service.store
        report = build_report(
            store,
            slack.bot.knowledge,
            store.clock().date() - timedelta(days=REPORT_DAYS),
            terms=slack.bot.index.question_terms,
        )
        respond(response_type="ephemeral", replace_original=False, **blocks.report_summary(report))
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            content=render_html(report),
            filename=f"guidebot-rapport-{report.until}.html",
            title=f"guidebot: spørsmål {report.since} – {report.until}",
            initial_comment=t["report_file"].format(since=report.since, until=report.until),
        )
    except Exception:
        log.exception("report failed")
        respond(response_type="ephemeral", replace_original=False, text=t["sorry"].format(it=slack.it_contact()))
