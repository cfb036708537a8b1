"""What every Teams listener shares: the core service, settings, who the asker is, and sealed
card data.

`TeamsBot.who` finds the asker from the verified activity only: the e-mail/UPN from the Bot
Connector's member lookup (no Graph permission needed; cached an hour) finds them in
contacts.yaml (role, department), and their nearest leader comes from Microsoft Graph
(`/users/{aadObjectId}/manager`), else from contacts.yaml, else nobody (IT is named instead).
Politicians always go to the political contact.

`CardSeal` signs the data of every button the bot issues (HMAC keyed from the client secret, so
every process of one bot agrees, and bound to the conversation): a click can only carry back
what the bot gave out in that conversation.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bot.adapters.teams import cards
from bot.adapters.teams.graph import Graph
from bot.adapters.teams.settings import TeamsSettings
from bot.answers import Asker
from bot.knowledge import Leader
from bot.log.privacy import notice
from bot.service import Service

log = logging.getLogger("guidebot.teams")
T = TypeVar("T")

MEMBER_CACHE_SECONDS = 3600
CACHE_LIMIT = 10_000
MAX_MESSAGE_ID = 200  # Teams' message ids are ~13 digits (or `1:…` ids a few dozen characters long)
SEAL_FIELD = "guidebot"
_BASE_CONVERSATION = re.compile(r";messageid=\d+$")


def base_conversation(conversation_id: str) -> str:
    """A channel thread's conversation id without its `;messageid=…` part."""
    return _BASE_CONVERSATION.sub("", conversation_id or "")


@dataclass(frozen=True)
class CardValue:
    """What a button carries back: verb, the logged question, an entry, language, question."""

    verb: str = ""
    question_id: int | None = None
    entry: str = ""
    language: str = "nb"
    text: str = ""


class CardSeal:
    def __init__(self, secret: str):
        self._key = hmac.new(secret.encode(), b"guidebot teams card data v1", hashlib.sha256).digest()

    def _mac(self, conversation: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{base_conversation(conversation)}\n{payload}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:18]).decode()

    def sealer(self, conversation: str):
        """`seal(**fields) -> card action data` for one conversation."""

        def seal(**fields: Any) -> dict:
            payload = base64.urlsafe_b64encode(
                json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
            ).decode()
            return {SEAL_FIELD: f"{payload}.{self._mac(conversation, payload)}"}

        return seal

    def open(self, conversation: str, data: Any) -> CardValue | None:
        """The fields of sealed card data, or None if it is not exactly what this bot issued here."""
        raw = data.get(SEAL_FIELD) if isinstance(data, dict) else None
        if not isinstance(raw, str) or raw.count(".") != 1 or len(raw) > 20_000:
            return None
        payload, mac = raw.split(".")
        if not hmac.compare_digest(mac, self._mac(conversation, payload)):
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            return None
        if not isinstance(fields, dict):
            return None
        question_id = fields.get("q")
        return CardValue(
            verb=fields.get("v") if isinstance(fields.get("v"), str) else "",
            question_id=question_id if isinstance(question_id, int) and not isinstance(question_id, bool) else None,
            entry=fields.get("e") if isinstance(fields.get("e"), str) else "",
            language=fields.get("l") if fields.get("l") in cards.TEXTS else "nb",
            text=fields.get("t") if isinstance(fields.get("t"), str) else "",
        )


@dataclass(frozen=True)
class Who:
    """The asker as the core sees them, and the e-mail/UPN they were found by."""

    asker: Asker
    email: str = ""  # the address found in contacts (else the first Teams gave)


async def _nothing() -> None:
    return None


class TeamsBot:
    """Everything the listeners share."""

    def __init__(self, service: Service, settings: TeamsSettings, retention_days: int, graph: Graph):
        self.service = service
        self.bot = service.bot
        self.store = service.store
        self.settings = settings
        self.retention_days = retention_days
        self.graph = graph
        self.seal = CardSeal(settings.client_secret)
        self._members: dict[str, tuple[tuple[str, ...], float]] = {}
        # One thread for the core and the database: matching holds the GIL anyway, and writes from
        # one thread never wait on each other in SQLite's busy handler (other processes still may).
        self._core = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guidebot-core")

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking core or store call off the event loop, on the core thread."""
        return await asyncio.get_running_loop().run_in_executor(self._core, functools.partial(function, *args))

    def notice(self, language: str = "nb") -> str:
        return notice(self.retention_days, language, self.it_contact())

    def it_contact(self) -> str:
        return self.bot.referral_for(Asker()).it_label

    async def addresses_of(self, ctx: Any) -> tuple[str, ...]:
        """The e-mail and UPN the Bot Connector has for the sender (cached an hour); () if none."""
        activity = ctx.activity
        user_id = activity.from_.id or ""
        if not user_id:
            return ()
        cached = self._members.get(user_id)
        if cached and time.monotonic() - cached[1] < MEMBER_CACHE_SECONDS:
            return cached[0]
        found: list[str] = []
        try:
            member = await ctx.api.conversations.get_member_by_id(activity.conversation.id, user_id)
            for name in ("email", "user_principal_name"):
                value = getattr(member, name, None)
                if isinstance(value, str) and "@" in value and value.strip().lower() not in found:
                    found.append(value.strip().lower())
        except Exception as error:  # 404 for a guest, network trouble: the asker stays unknown
            log.warning("member lookup failed, treating the asker as unknown: %s", type(error).__name__)
        if len(self._members) > CACHE_LIMIT:
            self._members.clear()
        self._members[user_id] = (tuple(found), time.monotonic())
        return tuple(found)

    async def who(self, ctx: Any) -> Who:
        """Role and department from contacts (by e-mail, else UPN); nearest leader from Graph, else
        contacts. The member lookup and Graph are asked at the same time."""
        aad_object_id = getattr(ctx.activity.from_, "aad_object_id", None) or ""
        addresses, manager = await asyncio.gather(
            self.addresses_of(ctx), self.graph.manager(aad_object_id) if aad_object_id else _nothing()
        )
        asker, email = Asker(), addresses[0] if addresses else ""
        for address in addresses:
            found = self.bot.identify(email=address)
            if found.role != "ukjent":
                asker, email = found, address
                break
        if asker.role == "politiker":
            return Who(asker, email)  # politicians are referred to the political contact
        if manager is not None and manager.email != email:
            asker = replace(asker, leader=Leader(name=manager.name, email=manager.email))
        return Who(asker, email)

    def is_leader(self, who: Who) -> bool:
        """A leader in contacts: role `leder`, or the leader of a department (by e-mail)."""
        if not who.email:
            return False
        if any(d.leader.email.lower() == who.email for d in self.bot.contacts.departments.values() if d.leader.email):
            return True
        return who.asker.role == "leder"

    def contact_for(self, asker: Asker) -> tuple[Leader | None, bool]:
        referral = self.bot.referral_for(asker)
        return referral.contact, referral.contact_kind == "politisk"

    def can_ask_leader(self, asker: Asker) -> bool:
        """A deep link needs the contact's e-mail/UPN."""
        contact, _ = self.contact_for(asker)
        return bool(contact and contact.email)

    async def remember_answer(self, conversation: str, message_id: str, question_id: int | None, entry: str) -> None:
        """Note which logged question a posted answer belongs to. Teams' feedback invoke names
        only the message (its `replyToId`) and echoes nothing of it back, so the link is kept in
        the database (sealed, see `Store.remember_answer`): a 👍 after a restart, or at another
        process sharing the database, still finds its question."""
        if self.store is None or question_id is None or not message_id:
            return
        try:
            await self.run(self.store.remember_answer, _message_name(conversation, message_id), question_id, entry)
        except Exception as error:  # the answer is out; only its feedback would go unlogged
            log.warning("could not note the answer for its feedback: %s", type(error).__name__)

    async def answer_behind(self, conversation: str, message_id: Any) -> tuple[int, str] | None:
        """The (question id, entry) of an answer this bot posted in this conversation, else None
        (a message id it never issued here, forged, or past retention)."""
        if self.store is None or not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_MESSAGE_ID:
            return None
        return await self.run(self.store.answer_behind, _message_name(conversation, message_id))


def _message_name(conversation: str, message_id: str) -> str:
    """A posted message's name for the log's answer handles: a channel thread's messages share
    the channel's conversation id (without `;messageid=`)."""
    return f"teams:{base_conversation(conversation)}\n{message_id}"
