"""The slash command (`/retningslinjer`, configurable): an ephemeral answer, `hjelp`, and
`rapport` for leaders."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot, on_ack_path
from bot.adapters.slack.listeners.errors import describe_failure
from bot.answers import detect_language
from bot.log.formats import render_html
from bot.log.reports import build_report

log = logging.getLogger("guidebot.slack")

REPORT_DAYS = 30


def register_command(app: App, slack: SlackBot) -> None:
    command_name = slack.settings.command

    @app.command(command_name)
    def handle_command(ack: Callable[..., None], command: dict, client: WebClient, respond: Callable[..., Any]) -> None:
        text = str(command.get("text") or "").strip()
        word = text.lower()
        try:
            if word in ("", "hjelp", "help", "?"):
                language = "en" if word == "help" else "nb"
                ack(response_type="ephemeral", **blocks.help_message(slack.bot, slack.notice(language), command_name))
                return
            if word in ("rapport", "report"):
                send_report(slack, ack, command, client, respond, "en" if word == "report" else "nb")
                return
            user = str(command.get("user_id") or "")
            with on_ack_path():  # Slack waits for this answer: a 429 fails fast, never sleeps
                asker = slack.asker(client, user)
            asked = slack.service.ask(text, "slack", "slash", asker, user)
            message = blocks.message_for(asked.answer, asked.question_id, True, slack.can_ask_leader(asker))
            message = slack.seal(message, user, str(command.get("channel_id") or ""))
        except Exception as error:
            log.error("slash command failed: %s", describe_failure(error))
            language = detect_language(text)
            ack(
                response_type="ephemeral",
                **blocks.simple_message(blocks.TEXTS[language]["sorry"].format(it=slack.it_contact())),
            )
            return
        ack(response_type="ephemeral", **message)


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
    with on_ack_path():
        leader = slack.is_leader(client, user)
    if not leader or slack.service.store is None:
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
    except Exception as error:
        log.error("report failed: %s", describe_failure(error))
        respond(response_type="ephemeral", replace_original=False, text=t["sorry"].format(it=slack.it_contact()))
