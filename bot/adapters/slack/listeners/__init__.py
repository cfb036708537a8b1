"""Bolt listeners grouped by Slack surface: messages (DMs, mentions), the slash command,
buttons (actions), App Home (views), and the error handler."""

from __future__ import annotations

from slack_bolt import App

from bot.adapters.slack.context import SlackBot
from bot.adapters.slack.listeners.actions import register_actions
from bot.adapters.slack.listeners.commands import register_command
from bot.adapters.slack.listeners.errors import register_errors
from bot.adapters.slack.listeners.messages import register_messages
from bot.adapters.slack.listeners.views import register_home


def register_listeners(app: App, slack: SlackBot) -> None:
    register_messages(app, slack)
    register_command(app, slack)
    register_actions(app, slack)
    register_home(app, slack)
    register_errors(app, slack)
