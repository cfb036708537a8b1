"""What every Slack listener shares: the core service, settings, and who the asker is.

`SlackBot` finds an asker in contacts by Slack user id, else by the e-mail Slack has for them
(`users.info`, cached an hour; a failed lookup a minute, so a Slack hiccup does not make someone
"unknown" for an hour), knows who may have reports (leaders) and whom a referral can reach by
DM, and holds the outbox questions wait in. `make_client` builds the WebClient (SLACK_API_URL,
429 retries).
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.adapters.slack import blocks
from bot.adapters.slack.settings import SlackSettings
from bot.answers import Asker
from bot.log.privacy import notice
from bot.outbox import Outbox
from bot.service import Service

log = logging.getLogger("guidebot.slack")

EMAIL_CACHE_SECONDS = 3600
FAILED_LOOKUP_CACHE_SECONDS = 60
EMAIL_CACHE_SIZE = 10_000


def make_client(settings: SlackSettings) -> WebClient:
    """A WebClient that honours SLACK_API_URL and waits out HTTP 429 (Retry-After) twice."""
    base_url = settings.api_url.rstrip("/") + "/" if settings.api_url else WebClient.BASE_URL
    client = WebClient(token=settings.bot_token, base_url=base_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


class EmailCache:
    """users.info answers by Slack user id, each kept for a while (thread-safe, bounded)."""

    def __init__(self, ttl: float = EMAIL_CACHE_SECONDS, failed_ttl: float = FAILED_LOOKUP_CACHE_SECONDS):
        self.ttl = ttl
        self.failed_ttl = failed_ttl
        self._found: dict[str, tuple[str | None, float]] = {}  # None: the lookup failed
        self._lock = threading.Lock()

    def get(self, user_id: str) -> tuple[bool, str]:
        """(known, e-mail): known is False when the user must be looked up (again)."""
        with self._lock:
            cached = self._found.get(user_id)
        if cached is None:
            return False, ""
        email, at = cached
        age = time.monotonic() - at
        if age < (self.ttl if email is not None else self.failed_ttl):
            return True, email or ""
        return False, ""

    def put(self, user_id: str, email: str | None) -> None:
        with self._lock:
            if len(self._found) >= EMAIL_CACHE_SIZE:
                self._found.clear()
            self._found[user_id] = (email, time.monotonic())


class SlackBot:
    """Everything the listeners share: the core service, settings, the outbox questions wait
    in before they are answered, and the users.info cache."""

    def __init__(self, service: Service, settings: SlackSettings, retention_days: int, outbox: Outbox | None = None):
        self.service = service
        self.bot = service.bot
        self.settings = settings
        self.retention_days = retention_days
        self.outbox = outbox
        self.emails = EmailCache()

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
        known, email = self.emails.get(user_id)
        if not known:
            try:
                profile = client.users_info(user=user_id).get("user", {}).get("profile", {})
                email = str(profile.get("email") or "")
                self.emails.put(user_id, email)
            except SlackApiError as error:
                if error.response.get("error") == "user_not_found":
                    self.emails.put(user_id, "")  # an answer, not a failure: cache it long
                else:
                    log.warning("users.info failed, treating the asker as unknown: %s", error.response.get("error"))
                    self.emails.put(user_id, None)
            except (OSError, ValueError) as error:
                log.warning("users.info failed, treating the asker as unknown: %s", type(error).__name__)
                self.emails.put(user_id, None)
        return self.bot.identify(email=email) if email else asker

    def is_leader(self, client: WebClient, user_id: str) -> bool:
        """A leader in contacts: role `leder`, or the leader of a department."""
        if any(d.leader.slack_user == user_id for d in self.bot.contacts.departments.values() if d.leader.slack_user):
            return True
        return self.asker(client, user_id).role == "leder"

    def can_ask_leader(self, asker: Asker) -> bool:
        contact = self.bot.referral_for(asker).contact
        return bool(contact and contact.slack_user)
