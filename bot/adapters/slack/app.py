"""The Slack app: Bolt listeners that turn Slack events into one core call and post the answer.

Surfaces: DMs to the bot, @mentions in channels (answered in a thread), the slash command
(ephemeral), buttons (feedback, "Mente du ...?" choices, "Spør lederen min" with confirmation)
and the App Home tab. Retried events are answered once: a global middleware claims each
`event_id` in the shared SQLite database before any listener runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.adapters.slack import blocks
from bot.adapters.slack.settings import SlackSettings
from bot.answers import Asker, detect_language
from bot.privacy import notice
from bot.reports import build_report, render_html
from bot.service import Service

log = logging.getLogger("guidebot.slack")

EMAIL_CACHE_SECONDS = 3600
REPORT_DAYS = 30


def make_client(settings: SlackSettings) -> WebClient:
    """A WebClient that honours SLACK_API_URL and waits out HTTP 429 (Retry-After) twice."""
    base_url = settings.api_url.rstrip("/") + "/" if settings.api_url else WebClient.BASE_URL
    client = WebClient(token=settings.bot_token, base_url=base_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


class SlackBot:
    """Everything the listeners share: the core service, settings, and a small e-mail cache."""

    def __init__(self, service: Service, settings: SlackSettings, retention_days: int):
        self.service = service
        self.bot = service.bot
        self.settings = settings
        self.retention_days = retention_days
        self._emails: dict[str, tuple[str, float]] = {}

    def notice(self, language: str = "nb") -> str:
        contacts = self.bot.contacts
        where = ", ".join(x for x in (contacts.it_slack_channel, contacts.it_email) if x)
        it = blocks.escape(f"{contacts.it_name} ({where})" if where else contacts.it_name)
        return notice(self.retention_days, language, it)

    def it_contact(self) -> str:
        return blocks.it_contact(self.bot.referral_for(Asker()))

    def asker(self, client: WebClient, user_id: str) -> Asker:
        """Role, department and nearest leader from contacts: by Slack id, else by the e-mail
        Slack has for the user (users.info, cached an hour). Unknown if neither is found."""
        asker = self.bot.identify(slack_user=user_id)
        if asker.role != "ukjent" or not user_id:
            return asker
        cached = self._emails.get(user_id)
        if cached and time.monotonic() - cached[1] < EMAIL_CACHE_SECONDS:
            email = cached[0]
        else:
            email = ""
            try:
                profile = client.users_info(user=user_id).get("user", {}).get("profile", {})
                email = str(profile.get("email") or "")
            except (SlackApiError, OSError, ValueError) as error:
                log.warning("users.info failed, treating the asker as unknown: %s", error)
            if len(self._emails) > 10_000:
                self._emails.clear()
            self._emails[user_id] = (email, time.monotonic())
        return self.bot.identify(email=email) if email else asker

    def is_leader(self, client: WebClient, user_id: str) -> bool:
        """A leader in contacts: role `leder`, or the leader of a department."""
        if any(d.leader.slack_user == user_id for d in self.bot.contacts.departments.values() if d.leader.slack_user):
            return True
        return self.asker(client, user_id).role == "leder"

    def can_ask_leader(self, asker: Asker) -> bool:
        contact = self.bot.referral_for(asker).contact
        return bool(contact and contact.slack_user)


def build_app(
    service: Service,
    settings: SlackSettings,
    retention_days: int,
    client: WebClient | None = None,
    token_verification: bool = True,
) -> App:
    """The Bolt app with every listener registered (Slack's sample-app shape)."""
    app = App(
        signing_secret=settings.signing_secret or None,
        client=client or make_client(settings),
        token_verification_enabled=token_verification,
        process_before_response=False,  # ack at once; answer from Bolt's worker threads
    )
    slack = SlackBot(service, settings, retention_days)
    app.middleware(_deduplicate_events(service))
    register_messages(app, slack)
    register_command(app, slack)
    register_actions(app, slack)
    register_home(app, slack)
    register_errors(app, slack)
    return app


def _deduplicate_events(service: Service) -> Callable[..., Any]:
    store = service.store

    def deduplicate_events(body: dict, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        # Slack retries an event up to 3 times (X-Slack-Retry-Num) when the ack was slow or
        # lost; the first copy to arrive, in any process, claims the id, the rest are acked only.
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if store is not None and isinstance(event_id, str) and event_id and not store.claim_event(event_id):
            log.info("duplicate event %s ignored", event_id)
            return BoltResponse(status=200, body="")
        return next()

    return deduplicate_events


# -- messages: DMs and @mentions


def register_messages(app: App, slack: SlackBot) -> None:
    @app.event("app_mention")
    def handle_app_mention(event: dict, client: WebClient) -> None:
        if _from_a_bot(event) or event.get("edited"):
            return
        thread = event.get("thread_ts") or event.get("ts")
        _answer_in_conversation(slack, client, event, "mention", thread, ping=False)

    @app.event("message")
    def handle_direct_message(event: dict, client: WebClient) -> None:
        # Only DMs; edits, deletions, joins and every bot's own messages are ignored.
        if event.get("channel_type") != "im" or _from_a_bot(event):
            return
        subtype = event.get("subtype")
        if subtype == "file_share" and not (event.get("text") or "").strip():
            language = "nb"
            client.chat_postMessage(
                channel=event["channel"], **blocks.simple_message(blocks.TEXTS[language]["only_text"])
            )
            return
        if subtype not in (None, "file_share", "thread_broadcast"):
            return
        _answer_in_conversation(slack, client, event, "dm", event.get("thread_ts"), ping=True)


def _from_a_bot(event: dict) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message")


def _answer_in_conversation(
    slack: SlackBot, client: WebClient, event: dict, surface: str, thread: str | None, ping: bool
) -> None:
    user = str(event.get("user") or "")
    text = event.get("text")
    asker = slack.asker(client, user)
    asked = slack.service.ask(text if isinstance(text, str) else None, "slack", surface, asker, user)
    message = blocks.message_for(asked.answer, asked.question_id, ping, slack.can_ask_leader(asker))
    client.chat_postMessage(channel=event["channel"], thread_ts=thread, unfurl_links=False, **message)


# -- the slash command


def register_command(app: App, slack: SlackBot) -> None:
    command_name = slack.settings.command

    @app.command(command_name)
    def handle_command(ack: Callable[..., None], command: dict, client: WebClient, respond: Callable[..., Any]) -> None:
        text = str(command.get("text") or "").strip()
        word = text.lower()
        try:
            if word in ("", "hjelp", "help", "?"):
                language = "en" if word == "help" else "nb"
                ack(response_type="ephemeral", **blocks.help_message(slack.bot, slack.notice(language), command_name))
                return
            if word in ("rapport", "report"):
                send_report(slack, ack, command, client, respond, "en" if word == "report" else "nb")
                return
            user = str(command.get("user_id") or "")
            asker = slack.asker(client, user)
            asked = slack.service.ask(text, "slack", "slash", asker, user)
            message = blocks.message_for(asked.answer, asked.question_id, True, slack.can_ask_leader(asker))
        except Exception:
            log.exception("slash command failed")
            language = detect_language(text)
            ack(
                response_type="ephemeral",
                **blocks.simple_message(blocks.TEXTS[language]["sorry"].format(it=slack.it_contact())),
            )
            return
        ack(response_type="ephemeral", **message)


def send_report(
    slack: SlackBot,
    ack: Callable[..., None],
    command: dict,
    client: WebClient,
    respond: Callable[..., Any],
    language: str,
) -> None:
    """Leaders (listed in contacts) get an ephemeral digest of the last 30 days and the HTML
    report as a file in their DM with the bot; anyone else a polite "only leaders"."""
    user = str(command.get("user_id") or "")
    t = blocks.TEXTS[language]
    if not slack.is_leader(client, user) or slack.service.store is None:
        ack(response_type="ephemeral", **blocks.simple_message(t["leaders_only"]))
        return
    ack(response_type="ephemeral", text=t["report_wait"])
    store = slack.service.store
    report = build_report(
        store,
        slack.bot.knowledge,
        store.clock().date() - timedelta(days=REPORT_DAYS),
        terms=slack.bot.index.question_terms,
    )
    respond(response_type="ephemeral", replace_original=False, **blocks.report_summary(report))
    channel = client.conversations_open(users=user)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        content=render_html(report),
        filename=f"guidebot-rapport-{report.until}.html",
        title=f"guidebot: spørsmål {report.since} – {report.until}",
        initial_comment=t["report_file"].format(since=report.since, until=report.until),
    )


# -- buttons


def register_actions(app: App, slack: SlackBot) -> None:
    store = slack.service.store

    @app.action(blocks.USEFUL)
    @app.action(blocks.NOT_USEFUL)
    def handle_feedback(ack: Callable[..., None], body: dict, action: dict, respond: Callable[..., Any]) -> None:
        ack()
        clicked = blocks.read_value(action.get("value"))
        if store is not None and clicked.question_id is not None and clicked.entry:
            store.record_feedback(clicked.question_id, clicked.entry, action["action_id"] == blocks.USEFUL)
        thanks = blocks.TEXTS[_language_of(body)]["thanks"]
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
        language = blocks.read_value(action.get("value")).language
        asker = slack.asker(client, body["user"]["id"])
        referral = slack.bot.referral_for(asker)
        contact = referral.contact
        if contact is None or not contact.slack_user:
            text = blocks.TEXTS[language]["no_leader"].format(it=blocks.it_contact(referral))
            _reply_privately(body, client, respond, blocks.simple_message(text))
            return
        confirm = blocks.leader_confirmation(contact, referral.contact_kind == "politisk", language, action["value"])
        _reply_privately(body, client, respond, confirm)

    @app.action(blocks.SEND_TO_LEADER)
    def handle_send_to_leader(
        ack: Callable[..., None], body: dict, action: dict, client: WebClient, respond: Callable[..., Any]
    ) -> None:
        ack()
        clicked = blocks.read_value(action.get("value"))
        language = clicked.language
        user = body["user"]["id"]
        asker = slack.asker(client, user)
        contact = slack.bot.referral_for(asker).contact
        if contact is None or not contact.slack_user:
            return
        entry = slack.bot.pick(clicked.entry, language=language)
        dm = blocks.leader_dm(
            user,
            clicked.text,
            entry.entry if entry else None,
            entry.document if entry else None,
            language,
        )
        client.chat_postMessage(channel=contact.slack_user, **dm)
        if store is not None:
            store.record_escalation(clicked.question_id, entry.entry.id if entry and entry.entry else None)
        sent = blocks.TEXTS[language]["sent"].format(leader=blocks.mention(contact, with_ping=False))
        respond(replace_original=True, **blocks.simple_message(sent))

    @app.action(blocks.CANCEL_LEADER)
    def handle_cancel_leader(ack: Callable[..., None], action: dict, respond: Callable[..., Any]) -> None:
        ack()
        language = blocks.read_value(action.get("value")).language
        respond(replace_original=True, **blocks.simple_message(blocks.TEXTS[language]["cancelled"]))

    @app.action(blocks.PICK)
    def handle_pick(
        ack: Callable[..., None], body: dict, action: dict, client: WebClient, respond: Callable[..., Any]
    ) -> None:
        ack()
        clicked = blocks.read_value(action.get("value"))
        asker = slack.asker(client, body["user"]["id"])
        answer = slack.bot.pick(clicked.entry, asker=asker, language=clicked.language)
        if answer is None or answer.entry is None:
            return
        if store is not None and clicked.question_id is not None:
            store.record_choice(clicked.question_id, answer.entry.id)
        message = blocks.answer_message(answer, clicked.question_id, slack.can_ask_leader(asker))
        _post_in_same_place(body, client, respond, message)
        if body.get("message"):
            chosen_text = blocks.TEXTS[answer.language]["chosen"].format(
                section=blocks.section_label(answer.entry, answer.language)
            )
            respond(replace_original=True, **blocks.simple_message(chosen_text))

    @app.action(blocks.NONE_OF_THESE)
    def handle_none_of_these(
        ack: Callable[..., None], body: dict, action: dict, client: WebClient, respond: Callable[..., Any]
    ) -> None:
        ack()
        clicked = blocks.read_value(action.get("value"))
        asker = slack.asker(client, body["user"]["id"])
        answer = slack.bot.refer(clicked.text, asker, clicked.language)
        ping = str(body.get("channel", {}).get("id", "")).startswith("D") or not body.get("message")
        message = blocks.referral_message(answer, clicked.question_id, ping, slack.can_ask_leader(asker))
        _post_in_same_place(body, client, respond, message)


def _language_of(body: dict) -> str:
    actions = body.get("actions") or [{}]
    return blocks.read_value(actions[0].get("value")).language


def _reply_privately(body: dict, client: WebClient, respond: Callable[..., Any], message: dict) -> None:
    """An ephemeral reply where the button was: in its thread, or via response_url for
    ephemeral messages (the slash command's answers), which have no thread."""
    original = body.get("message")
    channel = body.get("channel", {}).get("id") or body.get("container", {}).get("channel_id")
    if original and channel:
        client.chat_postEphemeral(
            channel=channel, user=body["user"]["id"], thread_ts=original.get("thread_ts"), **message
        )
    else:
        respond(replace_original=False, response_type="ephemeral", **message)


def _post_in_same_place(body: dict, client: WebClient, respond: Callable[..., Any], message: dict) -> None:
    """Post where the buttons were: the same thread (or the DM); ephemeral stays ephemeral."""
    original = body.get("message")
    channel = body.get("channel", {}).get("id") or body.get("container", {}).get("channel_id")
    if original and channel:
        thread = original.get("thread_ts") or (None if channel.startswith("D") else original.get("ts"))
        client.chat_postMessage(channel=channel, thread_ts=thread, unfurl_links=False, **message)
    else:
        respond(replace_original=True, **message)


# -- App Home


def register_home(app: App, slack: SlackBot) -> None:
    @app.event("app_home_opened")
    def handle_app_home_opened(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=blocks.home_view(slack.bot, slack.notice()))


# -- failures


def register_errors(app: App, slack: SlackBot) -> None:
    @app.error
    def handle_error(error: Exception, body: dict, client: WebClient) -> None:
        """Log the failure; tell the person briefly, with IT's contact, never a stack trace."""
        log.error("listener failed: %r", error, exc_info=error)
        try:
            channel, user, thread, language = _where(body)
            if not channel:
                return
            text = blocks.TEXTS[language]["sorry"].format(it=slack.it_contact())
            if channel.startswith("D") or not user:
                client.chat_postMessage(channel=channel, thread_ts=thread, **blocks.simple_message(text))
            else:
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, **blocks.simple_message(text))
        except Exception as second:  # the apology must never take the bot down
            log.error("could not tell the user about the failure: %r", second)


def _where(body: Any) -> tuple[str, str, str | None, str]:
    if not isinstance(body, dict):
        return "", "", None, "nb"
    event = body.get("event")
    if isinstance(event, dict):
        text = event.get("text") if isinstance(event.get("text"), str) else ""
        return (
            str(event.get("channel") or ""),
            str(event.get("user") or ""),
            event.get("thread_ts") or (event.get("ts") if event.get("type") == "app_mention" else None),
            detect_language(text),
        )
    channel = body.get("channel", {}).get("id") if isinstance(body.get("channel"), dict) else body.get("channel_id")
    user = body.get("user", {}).get("id") if isinstance(body.get("user"), dict) else body.get("user_id")
    thread = (body.get("message") or {}).get("thread_ts")
    return str(channel or ""), str(user or ""), thread, _language_of(body)
