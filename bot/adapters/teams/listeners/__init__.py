"""Teams SDK listeners grouped by activity kind: messages (personal chat, @mentions, the
`rapport` command), card actions (Action.Execute / Action.Submit), Teams' own feedback
controls, installation (the welcome message) and the report's file consent."""

from __future__ import annotations

from microsoft_teams.apps import App

from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.listeners.actions import register_actions
from bot.adapters.teams.listeners.feedback import register_feedback
from bot.adapters.teams.listeners.install import register_install
from bot.adapters.teams.listeners.messages import register_messages
from bot.adapters.teams.listeners.reports import register_reports


def register_listeners(app: App, teams: TeamsBot) -> None:
    register_messages(app, teams)
    register_actions(app, teams)
    register_feedback(app, teams)
    register_install(app, teams)
    register_reports(app, teams)
