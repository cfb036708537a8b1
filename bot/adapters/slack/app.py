"""The Slack app: a Bolt `App` with guidebot's listeners (see `listeners/`), Slack's sample-app shape.

Retried events are answered once: each `event_id` is claimed in the shared SQLite database
before any listener runs (questions claim theirs as they are queued), so two bot processes on
one database agree.
Questions (DMs, mentions, the slash command) are queued in the outbox before the ack and
answered by `OutboxWorkers` (see `bot/outbox.py`); the caller starts and stops the workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.adapters.slack.context import SlackBot, make_client
from bot.adapters.slack.listeners import answer_queued, apologise_queued, register_listeners
from bot.adapters.slack.settings import SlackSettings
from bot.outbox import Outbox, OutboxWorkers
from bot.service import Service

log = logging.getLogger("guidebot.slack")

__all__ = ["build_app", "make_client"]


def build_app(
    service: Service,
    settings: SlackSettings,
    retention_days: int,
    client: WebClient | None = None,
    token_verification: bool = True,
    outbox: Outbox | None = None,
) -> App:
    """The Bolt app with every listener registered (Slack's sample-app shape); its questions
    are answered from `outbox`. Without one, an outbox on the service's store is made, with
    workers of its own (for callers that need no say in when they stop)."""
    app = App(
        signing_secret=settings.signing_secret or None,
        client=client or make_client(settings),
        token_verification_enabled=token_verification,
        process_before_response=False,  # ack at once; buttons are handled on Bolt's worker threads
    )
    if service.store is None:
        raise ValueError("the Slack app needs the database (GUIDEBOT_DB): questions wait there to be answered")
    app.middleware(_deduplicate_events(service))
    own_workers = outbox is None
    outbox = outbox or Outbox(service.store)
    slack = SlackBot(service, settings, retention_days, outbox)
    register_listeners(app, slack)
    outbox.register(
        "slack",
        lambda job: answer_queued(slack, app.client, job),
        lambda job: apologise_queued(slack, app.client, job),
    )
    if own_workers:
        OutboxWorkers(outbox).start()
    return app


def _deduplicate_events(service: Service) -> Callable[..., Any]:
    store = service.store

    def deduplicate_events(body: dict, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        # Slack retries an event up to 3 times (X-Slack-Retry-Num) when the ack was slow or
        # lost; the first copy to arrive, in any process, claims the id, the rest are acked only.
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if _queued_with_its_claim(body):
            return next()
        if store is not None and isinstance(event_id, str) and event_id and not store.claim_event(event_id):
            log.info("duplicate event %s ignored", event_id)
            return BoltResponse(status=200, body="")
        return next()

    return deduplicate_events


# Questions (DMs, mentions) claim their event id in the same transaction that queues them in
# the outbox (listeners/messages.py): claimed here, a crash before the queueing would leave an
# event that was never answered and whose retries are ignored.
QUEUED_EVENTS = ("message", "app_mention")


def _queued_with_its_claim(body: Any) -> bool:
    event = body.get("event") if isinstance(body, dict) else None
    return isinstance(event, dict) and event.get("type") in QUEUED_EVENTS
