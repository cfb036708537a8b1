"""The Bot Connector's HTTP client as guidebot configures it: HTTP 429 waited out, and no ids in
the log (httpx logs each request's URL at INFO, and Bot Connector and Graph URLs carry
conversation, user and AAD object ids)."""

from __future__ import annotations

import asyncio
import logging

import httpx
from microsoft_teams.common import Client, ClientOptions

log = logging.getLogger("guidebot.teams")

CONNECTOR_TIMEOUT_SECONDS = 20.0


def connector_client() -> Client:
    """The SDK's HTTP client for the Bot Connector, with `WaitOutThrottling`."""
    client = Client(ClientOptions(timeout=CONNECTOR_TIMEOUT_SECONDS))
    client.use(WaitOutThrottling())
    return client


class WaitOutThrottling:
    """Bot Connector middleware: on HTTP 429 wait `Retry-After` (at most 10 s) and try again, twice.
    The connector throttles per conversation and per bot; a short wait is better than a lost answer."""

    def __init__(self, retries: int = 2, longest_wait: float = 10.0):
        self.retries = retries
        self.longest_wait = longest_wait

    async def send(self, context, next):  # noqa: A002 (the SDK's middleware protocol)
        for attempt in range(self.retries + 1):
            try:
                return await next()
            except httpx.HTTPStatusError as error:
                if error.response.status_code != 429 or attempt == self.retries:
                    raise
                wait = _seconds(error.response.headers.get("Retry-After"), default=1.0)
                log.info("Bot Connector throttled (429): waiting %.1f s", min(wait, self.longest_wait))
                await asyncio.sleep(min(wait, self.longest_wait))
        raise AssertionError("unreachable")


def _seconds(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default


def _no_request_lines(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def keep_ids_out_of_the_log() -> None:
    """A filter, not a level: the SDK resets httpx's level each time it makes a client."""
    if _no_request_lines not in logging.getLogger("httpx").filters:
        logging.getLogger("httpx").addFilter(_no_request_lines)
