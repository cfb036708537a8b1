"""`rapport` / `report` in a personal chat: leaders (listed in contacts) get the summary card and
the HTML report as a file (Teams asks where to save it: a file consent card, then the bot
uploads it to the leader's OneDrive and shows it in the chat); anyone else a polite refusal.

The consent card's context is sealed like card data, and the upload is done only after the
person who accepted is checked again as a leader (from the verified activity)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from microsoft_teams.apps import App

from bot.adapters.teams import cards
from bot.adapters.teams.context import TeamsBot
from bot.adapters.teams.listeners.common import apologise, send
from bot.log.formats import render_html
from bot.log.reports import Report, build_report

log = logging.getLogger("guidebot.teams")

REPORT_DAYS = 30
REPORT_VERB = "report"


async def send_report(ctx: Any, teams: TeamsBot, language: str, personal: bool) -> None:
    t = cards.TEXTS[language]
    if not personal:
        await send(ctx, cards.text_message(t["report_personal"]))
        return
    who = await teams.who(ctx)
    if not teams.is_leader(who) or teams.store is None:
        await send(ctx, cards.text_message(t["leaders_only"]))
        return
    store = teams.store
    since = store.clock().date() - timedelta(days=REPORT_DAYS)
    report = await teams.run(_report, teams, since)
    await send(ctx, cards.message(cards.report_card(report), f"guidebot: {report.total} spørsmål"))
    size = len(render_html(report).encode("utf-8"))
    context = teams.seal.sealer(ctx.activity.conversation.id)(v=REPORT_VERB, l=language, t=since.isoformat())
    consent = cards.file_consent_card(
        _filename(report), size, t["report_file"].format(since=report.since, until=report.until), context
    )
    await send(ctx, {"type": "message", "attachments": [consent]})


def _report(teams: TeamsBot, since: date) -> Report:
    assert teams.store is not None
    return build_report(teams.store, teams.bot.knowledge, since, terms=teams.bot.index.question_terms)


def _filename(report: Report) -> str:
    return f"guidebot-rapport-{report.until}.html"


def register_reports(app: App, teams: TeamsBot) -> None:
    @app.on_file_consent
    async def handle_file_consent(ctx: Any) -> dict:
        activity = ctx.activity
        value = activity.value
        clicked = teams.seal.open(activity.conversation.id, value.context)
        if clicked is None or clicked.verb != REPORT_VERB:
            log.info("file consent with a context the bot did not issue here: refused")
            return {"status": 200}
        t = cards.TEXTS[clicked.language]
        try:
            if value.action != "accept":
                await send(ctx, cards.text_message(t["report_declined"]))
                return {"status": 200}
            who = await teams.who(ctx)
            upload = value.upload_info
            if not teams.is_leader(who) or teams.store is None or upload is None or not _safe(upload.upload_url):
                await send(ctx, cards.text_message(t["leaders_only"]))
                return {"status": 200}
            report = await teams.run(_report, teams, date.fromisoformat(clicked.text))
            content = render_html(report).encode("utf-8")
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.put(
                    upload.upload_url,
                    content=content,
                    headers={"Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}"},
                )
                response.raise_for_status()
            info = cards.file_info_card(upload.name or _filename(report), upload.content_url or "",
                                        upload.unique_id or "", upload.file_type or "html")
            await send(ctx, {"type": "message", "attachments": [info]})
        except Exception as error:
            await apologise(ctx, teams, error, clicked.language)
        return {"status": 200}


def _safe(url: str | None) -> bool:
    """Teams gives an https OneDrive upload URL; plain http only to loopback (local tests)."""
    parsed = urlparse(url or "")
    return parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost"))
