"""Card buttons: "Mente du ...?" choices and Ingen av disse, "Spør lederen min" with its
confirmation and the chat deep link. Action.Execute arrives as an `adaptiveCard/action` invoke
(the returned card replaces the clicked one); an older client's Action.Submit arrives as a
message with a value (the card is then replaced by updating the message). Every click's data
is opened with the card seal: anything the bot did not issue in this conversation is refused."""

from __future__ import annotations

import logging
from typing import Any

from microsoft_teams.apps import App

from bot.adapters.teams import cards
from bot.adapters.teams.context import CardValue, TeamsBot
from bot.adapters.teams.listeners.common import apologise, card_response, message_response, reason, send
from bot.answers import cite, section_label

log = logging.getLogger("guidebot.teams")


def register_actions(app: App, teams: TeamsBot) -> None:
    @app.on_card_action
    async def handle_card_action(ctx: Any) -> dict:
        action = ctx.activity.value.action
        clicked = teams.seal.open(ctx.activity.conversation.id, action.data)
        if clicked is None or (action.verb and action.verb != clicked.verb):
            log.info("card action with data the bot did not issue here: refused")
            return card_response(cards.notice_card(cards.TEXTS["nb"]["expired"]))
        try:
            replacement = await act(ctx, teams, clicked)
        except Exception as error:
            log.error("card action failed: %s", reason(error))
            t = cards.TEXTS[clicked.language]
            return message_response(t["sorry"].format(it=teams.it_contact()))
        if replacement is None:
            return message_response("OK")
        if clicked.verb in (cards.PICK, cards.NONE_OF_THESE) and ctx.activity.reply_to_id:
            # The invoke's card replaces it for the person who clicked; updating the message
            # replaces it for everyone else in a channel or group chat too.
            try:
                await send(ctx, {**cards.message(replacement, "guidebot"), "id": ctx.activity.reply_to_id})
            except Exception as error:
                log.warning("could not update the clicked card for everyone: %s", type(error).__name__)
        return card_response(replacement)


async def handle_submit(ctx: Any, teams: TeamsBot) -> None:
    """Action.Submit (older clients): the same actions; the clicked card is updated in place."""
    activity = ctx.activity
    clicked = teams.seal.open(activity.conversation.id, activity.value)
    if clicked is None:
        log.info("submitted card data the bot did not issue here: ignored")
        return
    try:
        replacement = await act(ctx, teams, clicked)
        if replacement is not None and activity.reply_to_id:
            await send(ctx, {**cards.message(replacement, "guidebot"), "id": activity.reply_to_id})
    except Exception as error:
        await apologise(ctx, teams, error, clicked.language)


async def act(ctx: Any, teams: TeamsBot, clicked: CardValue) -> dict | None:
    """Do what the button says; returns the card that replaces the clicked one (None: keep it)."""
    t = cards.TEXTS[clicked.language]
    seal = teams.seal.sealer(ctx.activity.conversation.id)
    store = teams.store
    if clicked.verb == cards.CANCEL_LEADER:
        return cards.notice_card(t["cancelled"])
    # One choice per "Mente du ...?" card, in any process: a stale copy of a card already chosen
    # from (or a second member in a channel, before the update arrives) posts nothing.
    once = clicked.verb in (cards.PICK, cards.NONE_OF_THESE) and store is not None and clicked.question_id is not None
    if once and not await teams.run(store.claim_event, f"teams-choice:{clicked.question_id}"):
        return cards.notice_card(t["already_chosen"])
    who = await teams.who(ctx)
    if clicked.verb == cards.PICK:
        answer = teams.bot.pick(clicked.entry, clicked.text, asker=who.asker, language=clicked.language)
        if answer is None or answer.entry is None:
            return cards.notice_card(t["expired"])
        if store is not None and clicked.question_id is not None:
            await teams.run(store.record_choice, clicked.question_id, answer.entry.id)
        content = cards.answer_card(answer, clicked.question_id, seal, teams.can_ask_leader(who.asker))
        message_id = await send(ctx, cards.message(content, cards.summary_of(answer), feedback=True))
        await teams.remember_answer(ctx.activity.conversation.id, message_id, clicked.question_id, answer.entry.id)
        return cards.notice_card(t["chosen"].format(section=section_label(answer.entry.section, answer.language)))
    if clicked.verb == cards.NONE_OF_THESE:
        answer = teams.bot.refer(clicked.text, who.asker, clicked.language)
        content = cards.referral_card(answer, clicked.question_id, seal, teams.can_ask_leader(who.asker))
        await send(ctx, cards.message(content, cards.summary_of(answer)))
        return cards.notice_card(t["none_chosen"])
    contact, political = teams.contact_for(who.asker)
    if contact is None or not contact.email:
        await send(ctx, cards.text_message(t["no_leader"].format(it=teams.it_contact())))
        return None
    fields = {"q": clicked.question_id, "e": clicked.entry, "l": clicked.language, "t": clicked.text}
    if clicked.verb == cards.ASK_LEADER:
        confirm = cards.leader_confirmation_card(contact, political, clicked.language, seal, fields)
        await send(ctx, cards.message(confirm, t["ask_leader"]))
        return None
    if clicked.verb == cards.CONFIRM_LEADER:
        entry = teams.bot.entry(clicked.entry) if clicked.entry else None
        document = teams.bot.knowledge.document(entry.document_id) if entry else None
        citation = cite(document, entry, clicked.language) if entry and document else ""
        link = cards.chat_deep_link(contact.email, cards.leader_draft(clicked.text, citation, clicked.language))
        if store is not None:
            await teams.run(store.record_escalation, clicked.question_id, entry.id if entry else None)
        return cards.leader_link_card(contact, link, clicked.language)
    return cards.notice_card(t["expired"])
