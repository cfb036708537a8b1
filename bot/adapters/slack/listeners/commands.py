"""The slash command (`/retningslinjer`, configurable): an ephemeral answer, `hjelp`, and
`rapport` for leaders.

A question (and `rapport`) is queued in the outbox and acked at once with "Ser etter …" (or
"Et øyeblikk …"): Slack fails a command not acked within 3 s, and a backlog must never cause
that. A worker then answers through the command's response_url, replacing that line, so a
second attempt after a crash replaces the first answer instead of adding another. `hjelp` is
answered in the ack itself: nothing to look up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot
from bot.adapters.slack.listeners.errors import describe_failure
from bot.answers import detect_language
from bot.log.formats import render_html
from bot.log.reports import build_report
from bot.outbox import Job, LeaseLost

log = logging.getLogger("guidebot.slack")

REPORT_DAYS = 30
HELP_WORDS = ("", "hjelp", "help", "?")
REPORT_WORDS = ("rapport", "report")
LOOKING = {"nb": "Ser etter i retningslinjene …", "en": "Looking in the guidelines …"}
MOMENT = {"nb": "Et øyeblikk …", "en": "One moment …"}


def register_command(app: App, slack: SlackBot) -> None:
    command_name = slack.settings.command

    @app.command(command_name, middleware=[accept_command(slack)])
    def handle_help(ack: Callable[..., None], command: dict) -> None:
        """`hjelp`, in the ack; questions and `rapport` never get here (see `accept_command`)."""
        language = "en" if str(command.get("text") or "").strip().lower() == "help" else "nb"
        ack(response_type="ephemeral", **blocks.help_message(slack.bot, slack.notice(language), command_name))


def accept_command(slack: SlackBot) -> Callable[..., BoltResponse | None]:
    """A listener middleware, run on the request thread: a question or `rapport` is queued in
    the outbox, then acked with a line its answer will replace; `hjelp` goes on to the listener."""

    def accept(command: dict, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        text = str(command.get("text") or "").strip()
        if text.lower() in HELP_WORDS or slack.outbox is None:
            next()
            return None
        # All an answer needs: where to send it, and the channel its buttons are sealed to.
        reply_to = {
            "response_url": str(command.get("response_url") or ""),
            "channel": str(command.get("channel_id") or ""),
        }
        user = str(command.get("user_id") or "")
        if text.lower() in REPORT_WORDS:
            language = "en" if text.lower() == "report" else "nb"
            slack.outbox.put("slack", "report", None, reply_to | {"language": language}, user)
            first_line = MOMENT[language]
        else:
            slack.outbox.put("slack", "slash", text, reply_to, user)
            first_line = LOOKING[detect_language(text)]
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": first_line}),
            headers={"content-type": "application/json;charset=utf-8"},
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
        message = slack.seal(message, job.asker, str(job.reply_to.get("channel") or ""))
    if not slack.outbox or not slack.outbox.sending(job, question_id):
        raise LeaseLost(job.id)
    _respond(job, message)


def apologise_for_command(slack: SlackBot, job: Job) -> None:
    """After the last failed attempt: "Beklager …" with IT's contact, in place of "Ser etter …"."""
    language = job.reply_to.get("language") or detect_language(job.text or "")
    text = blocks.TEXTS[language]["sorry"].format(it=slack.it_contact())
    _respond(job, blocks.simple_message(text))


def _respond(job: Job, message: dict) -> None:
    sent = WebhookClient(job.reply_to["response_url"]).send_dict(
        {"response_type": "ephemeral", "replace_original": True, **message}
    )
    if sent.status_code != 200:
        raise OSError(f"response_url answered HTTP {sent.status_code}")


def answer_report(slack: SlackBot, client: WebClient, job: Job) -> None:
    """Leaders (listed in contacts) get an ephemeral digest of the last 30 days and the HTML
    report as a file in their DM with the bot; anyone else a polite "only leaders". A failure
    once the digest is out is told through response_url, not retried (no second file)."""
    language = job.reply_to.get("language", "nb")
    t = blocks.TEXTS[language]
    store = slack.service.store
    if not slack.is_leader(client, job.asker) or store is None:
        _respond(job, blocks.simple_message(t["leaders_only"]))
        return
    report = build_report(
        store,
        slack.bot.knowledge,
        store.clock().date() - timedelta(days=REPORT_DAYS),
        terms=slack.bot.index.question_terms,
    )
    if not slack.outbox or not slack.outbox.sending(job, None):
        raise LeaseLost(job.id)
    _respond(job, blocks.report_summary(report))
    try:
        channel = client.conversations_open(users=job.asker)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            content=render_html(report),
            filename=f"guidebot-rapport-{report.until}.html",
            title=f"guidebot: spørsmål {report.since} – {report.until}",
            initial_comment=t["report_file"].format(since=report.since, until=report.until),
        )
    except Exception as error:
        log.error("report file failed: %s", describe_failure(error))
        WebhookClient(job.reply_to["response_url"]).send_dict(
            {"response_type": "ephemeral", "replace_original": False, "text": t["sorry"].format(it=slack.it_contact())}
        )
