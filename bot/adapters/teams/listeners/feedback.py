"""Teams' own 👍/👎 feedback controls on answers, logged like Slack's Nyttig / Ikke nyttig.

Only the reaction is logged, linked to the question (never to the person). The free text Teams
lets people add is not stored: it could hold anything, and the log's privacy model has no room
for it. The invoke names only the message (`replyToId`); which question it answered is found
in the database (`TeamsBot.answer_behind`), so a message id the bot never posted in this
conversation finds nothing and is ignored with a plain 200.
"""

from __future__ import annotations

import logging
from typing import Any

from microsoft_teams.apps import App

from bot.adapters.teams.context import TeamsBot

log = logging.getLogger("guidebot.teams")


def register_feedback(app: App, teams: TeamsBot) -> None:
    @app.on_message_submit_feedback
    async def handle_feedback(ctx: Any) -> dict:
        activity = ctx.activity
        reaction = getattr(activity.value.action_value, "reaction", None)
        if reaction not in ("like", "dislike") or teams.store is None:
            return {"status": 200}
        behind = await teams.answer_behind(activity.conversation.id, activity.reply_to_id)
        if behind is None:
            log.info("feedback on a message this bot did not post here: ignored")
            return {"status": 200}
        await teams.run(teams.store.record_feedback, behind[0], behind[1], reaction == "like")
        return {"status": 200}
