"""Installation. In personal chat guidebot sends nothing: the app's prompt starters ("hjelp",
an example question, "Hva logges om meg?") are the first thing people see (Microsoft advises a
welcome message or prompt starters, not both), and "hjelp" gives what guidebot does, what it
logs, why, for how long and whom to ask. Added to a team or group chat, where nobody saw those
starters, it posts that notice once, so everyone there learns what is logged before they ask."""

from __future__ import annotations

from typing import Any

from microsoft_teams.apps import App

from bot.adapters.teams import cards
from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.listeners.common import apologise, send


def register_install(app: App, teams: TeamsBot) -> None:
    @app.on_install_add
    async def handle_install(ctx: Any) -> None:
        if (getattr(ctx.activity.conversation, "conversation_type", None) or "personal") == "personal":
            return
        try:
            await send(ctx, cards.message(cards.help_card(teams.bot, teams.notice()), "Velkommen til guidebot"))
        except Exception as error:
            await apologise(ctx, teams, error)
