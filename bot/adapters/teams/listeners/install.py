"""Installation: the welcome message says what guidebot does, what it logs, why, for how long
and whom to ask (Microsoft advises a welcome message or prompt starters, not both: guidebot
uses the welcome message, so the notice about logging reaches everyone before they ask)."""

from __future__ import annotations

from typing import Any

from microsoft_teams.apps import App

from bot.adapters.teams import cards
from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.listeners.common import apologise, send


def register_install(app: App, teams: TeamsBot) -> None:
    @app.on_install_add
    async def handle_install(ctx: Any) -> None:
        try:
            await send(ctx, cards.message(cards.help_card(teams.bot, teams.notice()), "Velkommen til guidebot"))
        except Exception as error:
            await apologise(ctx, teams, error)
