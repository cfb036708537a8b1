"""One running guidebot Teams app (uvicorn on loopback) against `FakeMicrosoft`, and the
activities Teams sends, signed as the Bot Connector signs them. Shared by the Teams tests,
the contract suite and the load benchmark. `TeamsProcess` runs the real `guidebot teams`
command instead, for what only a process shows (restarts, signals, its environment)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from itertools import count
from pathlib import Path

from bot_process import free_port, wait_until_healthy
from teams_fake import BOT_ID, CLIENT_ID, CLIENT_SECRET, TENANT, FakeMicrosoft, post

from bot.adapters.teams.server import TeamsServer, build_asgi
from bot.adapters.teams.settings import TeamsSettings
from bot.answers import Guidebot
from bot.log.store import Store
from bot.service import Service
from tests.conftest import plain_env

PERSONAL = "a:1personal-sigrid"
CHANNEL = "19:general@thread.tacv2"
_ids = count(1)

# Teams user id, AAD object id and the member the Bot Connector knows, per person in contacts.
PEOPLE = {
    "sigrid": ("29:1sigrid", "a0000000-0000-4000-8000-000000000001", "sigrid.eriksen@batsfjord.kommune.no"),
    "kari": ("29:1kari", "a0000000-0000-4000-8000-000000000002", "kari.nordvik@batsfjord.kommune.no"),
    "elin": ("29:1elin", "a0000000-0000-4000-8000-000000000003", "elin.mikkelsen@batsfjord.kommune.no"),
    "ola": ("29:1ola", "a0000000-0000-4000-8000-000000000004", "ola.politiker@batsfjord.kommune.no"),
    "guest": ("29:1guest", "a0000000-0000-4000-8000-000000000005", ""),
}


def members() -> dict[str, dict]:
    found = {}
    for name, (user_id, aad, email) in PEOPLE.items():
        if email:
            found[user_id] = {"id": user_id, "name": name.capitalize(), "aadObjectId": aad, "email": email,
                              "userPrincipalName": email, "tenantId": TENANT}
    # Elin's mailbox is not in contacts.yaml under this address; her UPN is.
    found[PEOPLE["elin"][0]]["email"] = "elin.m@batsfjord.kommune.no"
    return found


def settings_for(fake: FakeMicrosoft) -> TeamsSettings:
    return TeamsSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        tenant_id=TENANT,
        openid_metadata_url=fake.openid_metadata_url,
        login_url=fake.login_url,
        graph_url=fake.graph_url,
        ca_bundle=str(fake.ca_file),
    )


class TeamsHarness:
    def __init__(self, bot: Guidebot, db_path: Path, fake: FakeMicrosoft, retention_days: int = 90,
                 settings: TeamsSettings | None = None, service_url: str = ""):
        self.fake = fake
        self.service_url = service_url or fake.service_url  # where the Bot Connector says it is
        self.store = Store(db_path, Service.masker_for(bot))
        asgi, self.teams = build_asgi(Service(bot, self.store), settings or settings_for(fake), retention_days)
        self.server = TeamsServer(asgi, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.server.port}/api/messages"

    @classmethod
    def remote(cls, fake: FakeMicrosoft, url: str, service_url: str = "") -> TeamsHarness:
        """Activities for a Teams app running elsewhere (a `guidebot teams` process) at `url`."""
        harness = cls.__new__(cls)
        harness.fake, harness.url = fake, url
        harness.service_url = service_url or fake.service_url
        return harness

    def close(self) -> None:
        self.server.stop()
        self.store.close()

    # -- sending activities

    def send(self, activity: dict, token: str | None = "valid", **token_options) -> tuple[int, str]:
        headers = {}
        if token == "valid":
            token = self.fake.activity_token(**{"service_url": self.service_url, **token_options})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return post(self.url, json.dumps(activity), headers)

    def activity(self, kind: str, who: str = "sigrid", conversation: str = PERSONAL, **fields) -> dict:
        user_id, aad, _ = PEOPLE[who]
        personal = not conversation.startswith("19:")
        activity = {
            "type": kind,
            "id": fields.pop("id", f"1{next(_ids):012d}"),
            "timestamp": "2026-11-24T08:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": user_id, "name": who.capitalize(), "aadObjectId": aad},
            "conversation": {
                "id": conversation,
                "conversationType": "personal" if personal else "channel",
                "tenantId": fields.pop("tenant", TENANT),
            },
            "recipient": {"id": BOT_ID, "name": "guidebot"},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "nb-NO",
        }
        activity.update(fields)
        return activity

    def message(self, text: str, who: str = "sigrid", conversation: str = PERSONAL, mention: bool = False,
                **fields) -> dict:
        entities = []
        if mention:
            text = f"<at>guidebot</at> {text}"
            entities = [{"type": "mention", "text": "<at>guidebot</at>", "mentioned": {"id": BOT_ID, "name": "guidebot"}}]
        fields.setdefault("textFormat", "plain")
        return self.activity("message", who, conversation, text=text, entities=entities, **fields)

    def click(self, action: dict, who: str = "sigrid", conversation: str = PERSONAL, reply_to: str = "") -> tuple[int, str]:
        """Press an Action.Execute button: the adaptiveCard/action invoke Teams sends."""
        value = {"action": {"type": "Action.Execute", "verb": action.get("verb"), "data": action["data"]},
                 "trigger": "manual"}
        activity = self.activity("invoke", who, conversation, name="adaptiveCard/action", value=value,
                                 replyToId=reply_to or "bot-msg-1")
        return self.send(activity)

    def feedback(self, reaction: str, reply_to: str, who: str = "sigrid", conversation: str = PERSONAL,
                 text: str = "") -> tuple[int, str]:
        value = {"actionName": "feedback",
                 "actionValue": {"reaction": reaction, "feedback": json.dumps({"feedbackText": text})}}
        activity = self.activity("invoke", who, conversation, name="message/submitAction", value=value,
                                 replyToId=reply_to)
        return self.send(activity)


def card_of(activity: dict) -> dict:
    return activity["attachments"][0]["content"]


def actions_of(content: dict) -> list[dict]:
    """Every Action.Execute in a card, in order (card actions and ActionSets)."""
    found: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(content)
    return found


def all_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


ROOT = Path(__file__).resolve().parent.parent


def teams_env(fake: FakeMicrosoft, db_path: Path) -> dict[str, str]:
    """The Teams settings and database that point a `guidebot teams` process at `fake`."""
    return {"TEAMS_CLIENT_ID": CLIENT_ID, "TEAMS_CLIENT_SECRET": CLIENT_SECRET, "TEAMS_TENANT_ID": TENANT,
            "TEAMS_OPENID_METADATA_URL": fake.openid_metadata_url, "TEAMS_LOGIN_URL": fake.login_url,
            "GRAPH_API_URL": fake.graph_url, "REQUESTS_CA_BUNDLE": str(fake.ca_file), "GUIDEBOT_DB": str(db_path)}


def process_env(fake: FakeMicrosoft, db_path: Path, **extra: str) -> dict[str, str]:
    """`teams_env` and nothing from the machine's environment, lexical matching only."""
    return {**plain_env(), "HOME": str(db_path.parent),
            "GUIDEBOT_EMBEDDING_MODEL": "none",  # about the process, not matching: no cold embedding
            **teams_env(fake, db_path), **extra}


class TeamsProcess:
    """`python -m bot teams` on a free loopback port with `env`; its output goes to files beside
    the database (a pipe nobody reads would fill up and stall it). `start()` waits for /healthz,
    `stop()` sends SIGTERM and returns the exit code and what it wrote to stderr."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/messages"
        folder = Path(env["GUIDEBOT_DB"]).parent
        self.stdout_path = folder / f"teams.{self.port}.{time.time_ns()}.out"
        self.stderr_path = self.stdout_path.with_suffix(".err")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> TeamsProcess:
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "teams", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=err)
        wait_until_healthy(self.process, self.port, self.stderr_path, "guidebot teams", timeout)
        return self

    def stop(self) -> tuple[int, str]:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        return self.process.returncode, self.stderr_path.read_text()
