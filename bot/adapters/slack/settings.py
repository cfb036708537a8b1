"""Slack settings from environment variables, checked at start-up (fail fast, name the variable).

Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; HTTP mode needs SLACK_BOT_TOKEN and
SLACK_SIGNING_SECRET. See `.env.example` for every variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

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
        )
