"""The App Home tab: what guidebot is, examples, each document's contents, what is logged."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot


def register_home(app: App, slack: SlackBot) -> None:
    @app.event("app_home_opened")
    def handle_app_home_opened(event: dict, client: WebClient) -> None:
        user = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user, str) or not user:
            return  # Slack always names the user; a body without one is ignored, not an error
        client.views_publish(user_id=user, view=blocks.home_view(slack.bot, slack.notice()))
