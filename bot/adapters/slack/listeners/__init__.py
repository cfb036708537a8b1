"""Bolt listeners grouped by Slack surface: messages (DMs, mentions), the slash command,
buttons (actions), App Home (views), and the error handler; and `answer_queued`, which the outbox
workers call for each question the message and command listeners queued."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.adapters.slack.context import SlackBot
from bot.adapters.slack.listeners.actions import register_actions
from bot.adapters.slack.listeners.commands import (
    answer_command,
    answer_report,
    apologise_for_command,
    register_command,
)
from bot.adapters.slack.listeners.errors import register_errors
from bot.adapters.slack.listeners.messages import (
    answer_in_conversation,
    apologise_in_conversation,
    register_messages,
)
from bot.adapters.slack.listeners.views import register_home
from bot.outbox import Job


def register_listeners(app: App, slack: SlackBot) -> None:
    register_messages(app, slack)
    register_command(app, slack)
    register_actions(app, slack)
    register_home(app, slack)
    register_errors(app, slack)


def answer_queued(slack: SlackBot, client: WebClient, job: Job) -> None:
    """Answer one queued question: a slash command (or `rapport`) through its response_url,
    else in the conversation it was asked in."""
    if job.surface == "report":
        answer_report(slack, client, job)
    elif job.surface == "slash":
        answer_command(slack, client, job)
    else:
        answer_in_conversation(slack, client, job)


def apologise_queued(slack: SlackBot, client: WebClient, job: Job) -> None:
    if job.surface in ("slash", "report"):
        apologise_for_command(slack, job)
    else:
        apologise_in_conversation(slack, client, job)
