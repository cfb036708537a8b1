"""What every Slack listener shares: the core service, settings, and who the asker is.

`SlackBot` finds an asker in contacts by Slack user id, else by the e-mail Slack has for them
(`users.info`, cached an hour), and knows who may have reports (leaders) and whom a referral
can reach by DM, and seals button values to the user and channel they were issued to.

Also the rules every Slack call follows:
- `make_client` builds the WebClient: SLACK_API_URL, the proxy from `settings`, and retries
  (HTTP 429 waited out, connection errors retried) only *off the ack path*: on an HTTP request
  thread, or before a slash command's ack, a failed call fails at once instead of sleeping.
- `quiet_slack_libraries`: Bolt and slack_sdk log request bodies (question text, user ids) at
  DEBUG and INFO, and parts of them at WARNING; their loggers are set to WARNING and every
  record they make keeps only its first clause.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.adapters.slack import blocks
from bot.adapters.slack.settings import SlackSettings
from bot.answers import Asker
from bot.log.privacy import notice
from bot.service import Service

log = logging.getLogger("guidebot.slack")

EMAIL_CACHE_SECONDS = 3600
# Set in a BoltRequest's context by the HTTP layer once Slack's signature has been checked.
VERIFIED = "guidebot_signature_verified"
LIBRARY_LOGGERS = ("slack_bolt", "slack_sdk")

_ack_path = threading.local()


@contextmanager
def on_ack_path() -> Iterator[None]:
    """Mark this thread as one Slack is waiting on (an HTTP request thread, or a slash command
    before its ack): Web API calls made here never sleep for a retry."""
    before = getattr(_ack_path, "active", False)
    _ack_path.active = True
    try:
        yield
    finally:
        _ack_path.active = before


def is_on_ack_path() -> bool:
    return bool(getattr(_ack_path, "active", False))


class _RateLimitRetryOffAckPath(RateLimitErrorRetryHandler):
    """Waits out HTTP 429 (Retry-After), but never on a thread Slack is waiting on."""

    def _can_retry(self, **kwargs: Any) -> bool:
        return not is_on_ack_path() and super()._can_retry(**kwargs)


class _ConnectionRetryOffAckPath(ConnectionErrorRetryHandler):
    """Retries a dropped connection once after a short back-off, never on the ack path."""

    def _can_retry(self, **kwargs: Any) -> bool:
        return not is_on_ack_path() and super()._can_retry(**kwargs)


def make_client(settings: SlackSettings) -> WebClient:
    """A WebClient for SLACK_API_URL through `settings.proxy`, that waits out HTTP 429
    (Retry-After) twice, except on the ack path."""
    base_url = settings.api_url.rstrip("/") + "/" if settings.api_url else WebClient.BASE_URL
    client = WebClient(
        token=settings.bot_token,
        base_url=base_url,
        proxy=settings.proxy or None,
        logger=library_logger("slack_sdk.web"),
        retry_handlers=[_ConnectionRetryOffAckPath(), _RateLimitRetryOffAckPath(max_retry_count=2)],
    )
    # Without a proxy of ours, slack_sdk would read HTTPS_PROXY itself and ignore NO_PROXY;
    # None leaves it to urllib, which honours both.
    client.proxy = settings.proxy or None
    return client


_CLAUSE = re.compile(r"[^(:{\[\n]*")
_factory_lock = threading.Lock()
_factory_installed = False


def withhold_details(record: logging.LogRecord) -> None:
    """Keep only the first clause of a library's log record: "Invalid request signature
    detected (…, body: …)" becomes "Invalid request signature detected [details withheld]"."""
    try:
        message = record.getMessage()
    except Exception:  # a library's broken format string: withhold it all
        message = ""
    head = (_CLAUSE.match(message).group() or "log record").strip()[:120]  # type: ignore[union-attr]
    record.msg = head if head == message.strip() else head + " [details withheld]"
    record.args = ()
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None


def library_logger(name: str) -> logging.Logger:
    """A logger for a Slack library to use: WARNING and up (see `quiet_slack_libraries`)."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.WARNING)
    return logger


def quiet_slack_libraries() -> None:
    """Bolt's and slack_sdk's loggers, those they have made so far included (Bolt sets its
    loggers' levels from the root logger's), to WARNING; and every record any of their loggers
    makes, now or later, cut to its first clause. That is done where records are made (the
    record factory), because a logger's filters do not reach the child loggers a library
    creates later."""
    global _factory_installed
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in LIBRARY_LOGGERS]
    for name in [*LIBRARY_LOGGERS, *names]:
        library_logger(name)
    with _factory_lock:
        if _factory_installed:
            return
        make_record = logging.getLogRecordFactory()

        def make_library_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            if record.name.split(".")[0] in LIBRARY_LOGGERS:
                withhold_details(record)
            return record

        logging.setLogRecordFactory(make_library_record)
        _factory_installed = True


def clicked_by(body: dict) -> str:
    """The user id of the person who clicked, from the verified envelope ("" if none)."""
    user = body.get("user")
    return str(user.get("id") or "") if isinstance(user, dict) else ""


def clicked_in(body: dict) -> str:
    """The channel id where the button was, from the verified envelope ("" if none)."""
    for key, field in (("channel", "id"), ("container", "channel_id")):
        part = body.get(key)
        if isinstance(part, dict) and isinstance(part.get(field), str) and part[field]:
            return part[field]
    return ""


class SlackBot:
    """Everything the listeners share: the core service, settings, and a small e-mail cache."""

    def __init__(self, service: Service, settings: SlackSettings, retention_days: int):
        self.service = service
        self.bot = service.bot
        self.settings = settings
        self.retention_days = retention_days
        self._emails: dict[str, tuple[str, float]] = {}

    def notice(self, language: str = "nb") -> str:
        return notice(self.retention_days, language, self.it_contact())

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
            try:
                profile = client.users_info(user=user_id).get("user", {}).get("profile", {})
                email = str(profile.get("email") or "")
            except (SlackApiError, OSError, ValueError) as error:
                # Not cached: a rate limit or an outage now says nothing about this person later.
                reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
                log.warning("users.info failed (%s), treating the asker as unknown", reason)
                return asker
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

    def seal(self, message: dict, user: str, channel: str) -> dict:
        """`message` with every button value sealed to `user` in `channel` (see `blocks.seal`)."""
        return blocks.seal(message, self.settings.value_key, user, channel)

    def opened(self, body: dict, action: dict) -> blocks.ButtonValue | None:
        """The clicked button's value if the bot issued it to this user in this channel, else None."""
        return blocks.open_value(action.get("value"), self.settings.value_key, clicked_by(body), clicked_in(body))
