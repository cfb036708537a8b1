"""Buttons: Nyttig / Ikke nyttig, "Mente du ...?" choices and Ingen av disse, and
"Spør lederen min" with its confirmation.

A click is acted on only if its value is one the bot sealed for this user in this channel
(`SlackBot.opened`); anything else gets a polite ephemeral "not your button" and changes
nothing. Where to post always comes from the click's verified envelope, never from a value.
"Ja, send" reaches the leader once per question, however often it is clicked: it claims the
question in the claim table, and its button expires (an hour) long before the claim does.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.adapters.slack import blocks
from bot.adapters.slack.context import SlackBot, clicked_by, clicked_in
from bot.answers import section_label

__all__ = ["clicked_by", "clicked_in", "language_of", "register_actions"]

CONFIRMATION_SECONDS = 3600  # "Ja, send" works for an hour; the claim table keeps claims a day


def register_actions(app: App, slack: SlackBot) -> None:
    store = slack.service.store

    def refuse(action: dict, respond: Callable[..., Any]) -> None:
        language = blocks.read_value(action.get("value")).language
        respond(replace_original=False, response_type="ephemeral", text=blocks.TEXTS[language]["not_yours"])

    @app.action(blocks.USEFUL)
    @app.action(blocks.NOT_USEFUL)
    def handle_feedback(ack: Callable[..., None], body: dict, action: dict, respond: Callable[..., Any]) -> None:
        ack()
        clicked = slack.opened(body, action)
        if clicked is None:
            refuse(action, respond)
            return
        if store is not None and clicked.question_id is not None and clicked.entry:
            store.record_feedback(clicked.question_id, clicked.entry, action["action_id"] == blocks.USEFUL)
        thanks = blocks.TEXTS[clicked.language]["thanks"]
        message = body.get("message")
        if message and message.get("blocks"):
            # Replace the feedback buttons by a thank-you; keep "Spør lederen min".
            kept = []
            for block in message["blocks"]:
                if block.get("type") == "actions":
                    others = [
                        e
                        for e in block.get("elements", [])
                        if e.get("action_id") not in (blocks.USEFUL, blocks.NOT_USEFUL)
                    ]
                    if others:
                        kept.append({**block, "elements": others})
                    kept.append(
                        {"type": "context", "elements": [{"type": "mrkdwn", "text": f":white_check_mark: {thanks}"}]}
                    )
                else:
                    kept.append(block)
            respond(replace_original=True, text=message.get("text", thanks), blocks=kept)
        else:
            respond(replace_original=False, response_type="ephemeral", text=thanks)

    @app.action(blocks.ASK_LEADER)
    def handle_ask_leader(
        ack: Callable[..., None], body: dict, action: dict, client: WebClient, respond: Callable[..., Any]
    ) -> None:
        ack()
        clicked = slack.opened(body, action)
        if clicked is None:
            refuse(action, respond)
            return
        asker = slack.asker(client, clicked_by(body))
        referral = slack.bot.referral_for(asker)
        contact = referral.contact
        if contact is None or not contact.slack_user:
            text = blocks.TEXTS[clicked.language]["no_leader"].format(it=blocks.it_contact(referral))
            _reply_privately(body, client, respond, blocks.simple_message(text))
            return
        # The confirmation's buttons expire, well inside the claim table's retention, so
        # "Ja, send" can never outlive the claim that makes it send once.
        confirmed = blocks.value(
            q=clicked.question_id,
            e=clicked.entry,
            l=clicked.language,
            t=clicked.text,
            x=int(time.time()) + CONFIRMATION_SECONDS,
        )
        political = referral.contact_kind == "politisk"
        confirm = blocks.leader_confirmation(contact, political, clicked.language, confirmed)
        _reply_privately(body, client, respond, slack.seal(confirm, clicked_by(body), clicked_in(body)))

    @app.action(blocks.SEND_TO_LEADER)
    def handle_send_to_leader(
        ack: Callable[..., None], body: dict, action: dict, client: WebClient, respond: Callable[..., Any]
    ) -> None:
        ack()
        clicked = slack.opened(body, action)
        if clicked is None:
            refuse(action, respond)
            return
        language = clicked.language
        if clicked.expires is None or clicked.expires < time.time():
            respond(replace_original=True, **blocks.simple_message(blocks.TEXTS[language]["expired"]))
            return
        user = clicked_by(body)
        asker = slack.asker(client, user)
        contact = slack.bot.referral_for(asker).contact
        if contact is None or not contact.slack_user:
            return
        if store is not None and not store.claim_event(_escalation_claim(slack, action["value"], clicked)):
            respond(replace_original=True, **blocks.simple_message(blocks.TEXTS[language]["already_sent"]))
            return
        entry = slack.bot.entry(clicked.entry)
        document = slack.bot.knowledge.document(entry.document_id) if entry else None
        client.chat_postMessage(
            channel=contact.slack_user, **blocks.leader_dm(user, clicked.text, entry, document, language)
        )
        if store is not None:
            store.record_escalation(clicked.question_id, entry.id if entry else None)
        sent = blocks.TEXTS[language]["sent"].format(leader=blocks.mention(contact, with_ping=False))
        respond(replace_original=True, **blocks.simple_message(sent))

    @app.action(blocks.CANCEL_LEADER)
    def handle_cancel_leader(ack: Callable[..., None], action: dict, respond: Callable[..., Any]) -> None:
        ack()
        language = blocks.read_value(action.get("value")).language  # sends nothing, trusts nothing
        respond(replace_original=True, **blocks.simple_message(blocks.TEXTS[language]["cancelled"]))

    @app.action(blocks.PICK)
    def handle_pick(
        ack: Callable[..., None], body: dict, action: dict, client: WebClient, respond: Callable[..., Any]
    ) -> None:
        ack()
        clicked = slack.opened(body, action)
        if clicked is None:
            refuse(action, respond)
            return
        user, channel = clicked_by(body), clicked_in(body)
        asker = slack.asker(client, user)
        answer = slack.bot.pick(clicked.entry, asker=asker, language=clicked.language)
        if answer is None or answer.entry is None:
            return
        if store is not None and clicked.question_id is not None:
            store.record_choice(clicked.question_id, answer.entry.id)
        message = blocks.answer_message(answer, clicked.question_id, slack.can_ask_leader(asker))
        _post_in_same_place(body, client, respond, slack.seal(message, user, channel))
        if body.get("message"):
            chosen_text = blocks.TEXTS[answer.language]["chosen"].format(
                section=section_label(answer.entry.section, answer.language)
            )
            respond(replace_original=True, **blocks.simple_message(chosen_text))

    @app.action(blocks.NONE_OF_THESE)
    def handle_none_of_these(
        ack: Callable[..., None], body: dict, action: dict, client: WebClient, respond: Callable[..., Any]
    ) -> None:
        ack()
        clicked = slack.opened(body, action)
        if clicked is None:
            refuse(action, respond)
            return
        user, channel = clicked_by(body), clicked_in(body)
        asker = slack.asker(client, user)
        answer = slack.bot.refer(clicked.text, asker, clicked.language)
        ping = channel.startswith("D") or not body.get("message")
        message = blocks.referral_message(answer, clicked.question_id, ping, slack.can_ask_leader(asker))
        _post_in_same_place(body, client, respond, slack.seal(message, user, channel))


def language_of(body: dict) -> str:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    return blocks.read_value(first.get("value")).language


def _escalation_claim(slack: SlackBot, sealed: str, clicked: blocks.ButtonValue) -> str:
    """One claim per question (or, unlogged, per issued button): "Ja, send" sends once. Keyed,
    so the claim table holds no question id in the clear."""
    subject = f"q:{clicked.question_id}" if clicked.question_id is not None else f"v:{sealed}"
    digest = hmac.new(slack.settings.value_key, f"escalation:{subject}".encode(), hashlib.sha256).hexdigest()
    return "escalation:" + digest[:32]


def _reply_privately(body: dict, client: WebClient, respond: Callable[..., Any], message: dict) -> None:
    """An ephemeral reply where the button was: in its thread, or via response_url for
    ephemeral messages (the slash command's answers), which have no thread."""
    original = body.get("message")
    channel = clicked_in(body)
    if original and channel:
        client.chat_postEphemeral(
            channel=channel, user=clicked_by(body), thread_ts=original.get("thread_ts"), **message
        )
    else:
        respond(replace_original=False, response_type="ephemeral", **message)


def _post_in_same_place(body: dict, client: WebClient, respond: Callable[..., Any], message: dict) -> None:
    """Post where the buttons were: the same thread (or the DM); ephemeral stays ephemeral."""
    original = body.get("message")
    channel = clicked_in(body)
    if original and channel:
        thread = original.get("thread_ts") or (None if channel.startswith("D") else original.get("ts"))
        client.chat_postMessage(channel=channel, thread_ts=thread, unfurl_links=False, **message)
    else:
        respond(replace_original=True, **message)
