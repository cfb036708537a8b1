"""Teams' own 👍/👎 feedback controls on answers, logged like Slack's Nyttig / Ikke nyttig.

Only the reaction is logged, linked to the question (never to the person). The free text Teams
lets people add is not stored: it could hold anything, and the log's privacy model has no room
for it.
"""

from __future__ import annotations

from typing import Any

from microsoft_teams.apps import App

from bot.adapters.teams.context import TeamsBot


def register_feedback(app: App, teams: TeamsBot) -> None:
    @app.on_message_submit_feedback
    async def handle_feedback(ctx: Any) -> dict:
        activity = ctx.activity
        reaction = getattr(activity.value.action_value, "reaction", None)
        behind = teams.answer_behind(activity.conversation.id, activity.reply_to_id or "")
        store = teams.store
        if behind is not None and store is not None and behind[0] is not None and reaction in ("like", "dislike"):
            await teams.run(store.record_feedback, behind[0], behind[1], reaction == "like")
        return {"status": 200}
