"""What every Slack listener shares: the core service, settings, and who the asker is.

`SlackBot` finds an asker in contacts by Slack user id, else by the e-mail Slack has for them
(`users.info`, cached an hour), and knows who may have reports (leaders) and whom a referral
can reach by DM. `make_client` builds the WebClient (SLACK_API_URL, 429 retries).
"""

from __future__ import annotations

import logging
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.adapters.slack import blocks
from bot.adapters.slack.settings import SlackSettings
from bot.answers import Asker
from bot.log.privacy import notice
from bot.service import Service

log = logging.getLogger("guidebot.slack")

EMAIL_CACHE_SECONDS = 3600


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
