"""The Slack app: a Bolt `App` with guidebot's listeners (see `listeners/`), Slack's sample-app shape.

Everything Slack may deliver twice is handled once: a global middleware claims, in the shared
SQLite claim table and before any listener runs, each event's `event_id` (Slack's retries) and
each slash command's and click's `trigger_id` + `action_ts` + user (a replayed signed request
inside the five-minute window), so two bot processes on one database agree. Interactivity and
command claims are keyed hashes: the claim table holds no user id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.adapters.slack.context import SlackBot, library_logger, make_client, quiet_slack_libraries
from bot.adapters.slack.listeners import register_listeners
from bot.adapters.slack.settings import SlackSettings
from bot.service import Service

log = logging.getLogger("guidebot.slack")

__all__ = ["build_app", "claim_id", "make_client"]


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
        logger=library_logger("slack_bolt.guidebot"),  # Bolt's own loggers copy its level and filter
    )
    quiet_slack_libraries()
    app.middleware(_deduplicate(service, settings.value_key))
    register_listeners(app, SlackBot(service, settings, retention_days))
    return app


def claim_id(body: Any, key: bytes) -> str | None:
    """What makes this request unique, to claim once: the event id of an event, else a keyed
    hash of the user, `trigger_id` and first `action_ts`/view id of a command or click. None
    when the body has none of these (nothing to de-duplicate on)."""
    if not isinstance(body, dict):
        return None
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return event_id
    trigger = body.get("trigger_id") if isinstance(body.get("trigger_id"), str) else ""
    if "command" in body:
        kind, user, detail = "command", body.get("user_id"), body.get("command")
    else:
        kind = body.get("type") if isinstance(body.get("type"), str) else ""
        user = body["user"].get("id") if isinstance(body.get("user"), dict) else None
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        detail = first.get("action_ts") or view.get("id")
    if not kind or not (trigger or detail):
        return None
    material = "\x1f".join(str(part or "") for part in (kind, user, trigger, detail))
    return f"{kind}:" + hmac.new(key, material.encode(), hashlib.sha256).hexdigest()[:32]


def _deduplicate(service: Service, key: bytes) -> Callable[..., Any]:
    store = service.store

    def deduplicate(body: dict, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        # Slack retries an event up to 3 times (X-Slack-Retry-Num) when the ack was slow or
        # lost, and a captured signed request can be replayed for five minutes: the first copy
        # to arrive, in any process, claims it; the rest are acked and do nothing.
        claim = claim_id(body, key)
        if store is not None and claim is not None and not store.claim_event(claim):
            log.info("duplicate %s ignored", claim.split(":", 1)[0] if ":" in claim else "event")
            return BoltResponse(status=200, body="")
        return next()

    return deduplicate
