"""Slack settings from environment variables, checked at start-up (fail fast, name the variable).

Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; HTTP mode needs SLACK_BOT_TOKEN and
SLACK_SIGNING_SECRET. See `.env.example` for every variable. HTTPS_PROXY (or https_proxy,
HTTP_PROXY, http_proxy, as slack_sdk reads them) is checked here and passed to every Slack
client explicitly; NO_PROXY is honoured for the Web API host, which slack_sdk alone does not do.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from bot import env

DEFAULT_COMMAND = "/retningslinjer"


class SettingsError(Exception):
    """A missing or invalid setting; the message is one line naming the variable."""


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str  # OAuth & Permissions > Bot User OAuth Token (xoxb-…)
    app_token: str = ""  # Basic Information > App-Level Tokens, scope connections:write (xapp-…)
    signing_secret: str = ""  # Basic Information > App Credentials > Signing Secret
    api_url: str = ""  # SLACK_API_URL: another Web API base URL (tests, proxies)
    command: str = DEFAULT_COMMAND
    proxy: str = ""  # HTTPS_PROXY & co., "" when none is set or NO_PROXY covers the API host

    @property
    def value_key(self) -> bytes:
        """This installation's key for button values and claim ids, derived from a Slack secret
        it already has (the signing secret, else the bot token): rotating it voids old buttons."""
        secret = self.signing_secret or self.bot_token
        return hmac.new(secret.encode(), b"guidebot: button values and claims v1", hashlib.sha256).digest()

    @classmethod
    def from_env(cls, http: bool, need_secret: bool = True) -> SlackSettings:
        """Settings for Socket Mode (`http=False`), HTTP mode, or, with `need_secret=False`,
        for posting only (`guidebot report --post-to`)."""
        purpose = "posting to Slack" if not need_secret else "HTTP mode" if http else "Socket Mode"

        def need(name: str, prefix: str = "") -> str:
            found = os.environ.get(name, "").strip()
            if not found:
                raise SettingsError(f"{name} is not set (needed for {purpose}; see .env.example)")
            if prefix and not found.startswith(prefix):
                raise SettingsError(f"{name} should start with '{prefix}'")
            return found

        command = os.environ.get("GUIDEBOT_SLASH_COMMAND", DEFAULT_COMMAND).strip() or DEFAULT_COMMAND
        if not command.startswith("/") or " " in command:
            raise SettingsError(f"GUIDEBOT_SLASH_COMMAND must look like /retningslinjer, not {command!r}")
        return cls(
            bot_token=need("SLACK_BOT_TOKEN", "xoxb-"),
            app_token="" if http else need("SLACK_APP_TOKEN", "xapp-"),
            signing_secret=(
                need("SLACK_SIGNING_SECRET") if http and need_secret else os.environ.get("SLACK_SIGNING_SECRET", "")
            ),
            api_url=os.environ.get("SLACK_API_URL", "").strip(),
            command=command,
            proxy=proxy_from_env(os.environ.get("SLACK_API_URL", "").strip()),
        )


def proxy_from_env(api_url: str = "") -> str:
    """The proxy for Slack's Web API (HTTPS_PROXY & co., see `bot.env.proxy_from_env`), or ""
    if none is set or NO_PROXY names the API's host."""
    try:
        return env.proxy_from_env(api_url or "https://slack.com")
    except ValueError as error:
        raise SettingsError(str(error)) from None
