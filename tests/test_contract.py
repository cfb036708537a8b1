"""One contract, every chat adapter: the same conversations run against the Slack app and the
Teams app, each over its real HTTP path against its local fake platform (Nautobot ChatOps runs
its Slack suite against its Teams dispatcher the same way).

A `Driver` plays a person on one platform: it sends what the platform would send, and turns
what the bot posted back into a `Reply` (its text, the verbatim quote shown, the buttons). The
tests then hold both adapters to one behaviour: answer, ask back and choose, none of these,
referral with the nearest leader, "ask my leader", feedback, logging, help and report access.
Where a platform cannot do something, the driver raises `pytest.skip` with the reason.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_fake import TEAM, FakeSlack, event_body, post, sign
from teams_fake import FakeMicrosoft
from teams_harness import PEOPLE, TeamsHarness, actions_of, card_of, members

from bot.adapters.slack import blocks
from bot.adapters.slack.app import build_app, make_client
from bot.adapters.slack.server import HttpServer
from bot.adapters.slack.settings import SlackSettings
from bot.adapters.teams import cards
from bot.log.store import Store
from bot.outbox import Outbox, OutboxWorkers
from bot.service import Service
from bot.texts import SHARED_TEXTS, with_platform_texts

SLACK_USERS = {"sigrid": "U0SIGRID01", "kari": "U0HELSE001", "ola": "U0POLIT001"}
SLACK_SECRET = "contract-signing-secret"


@dataclass
class Reply:
    """What the bot posted, as a person sees it."""

    text: str
    quote: str = ""  # the verbatim quote shown, "" if none
    choices: list[Any] = field(default_factory=list)  # one handle per candidate offered
    none_of_these: Any = None
    ask_leader: Any = None
    raw: Any = None


@dataclass
class Escalation:
    """Where "ask my leader" ends: whom it reaches and the text they get (or the draft)."""

    leader: str
    text: str


# -- Slack


class SlackDriver:
    name = "slack"

    def __init__(self, bot, tmp_path):
        self.fake = FakeSlack().start()
        self.store = Store(tmp_path / "slack.sqlite3", Service.masker_for(bot))
        settings = SlackSettings(bot_token="xoxb-test", signing_secret=SLACK_SECRET, api_url=self.fake.api_url)
        self.outbox = Outbox(self.store, retry_seconds=0.05)
        app = build_app(
            Service(bot, self.store), settings, retention_days=90, client=make_client(settings), outbox=self.outbox
        )
        self.workers = OutboxWorkers(self.outbox, threads=4).start()
        self.server = HttpServer(app, "127.0.0.1", 0, SLACK_SECRET, threads=4).start()
        self.url = f"http://127.0.0.1:{self.server.port}/slack/events"
        self._events = 0
        self._responses = 0

    def close(self) -> None:
        self.server.stop()
        self.workers.stop(2)
        self.store.close()
        self.fake.stop()

    def _post(self, body: str, content_type: str = "application/json") -> None:
        status, _ = post(self.url, body, sign(SLACK_SECRET, body), content_type)
        assert status == 200

    def _posted(self, count: int) -> dict:
        found = self.fake.wait_for("chat.postMessage", count)
        assert len(found) >= count, "the bot posted nothing"
        return found[count - 1]

    def _reply(self, message: dict) -> Reply:
        found = {}
        for block in message.get("blocks", []):
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                found.setdefault(element["action_id"], []).append(element)
            if "accessory" in block:
                found.setdefault(block["accessory"]["action_id"], []).append(block["accessory"])
        quote = next((b["elements"][0]["elements"][0]["text"] for b in message.get("blocks", [])
                      if b["type"] == "rich_text"), "")
        return Reply(
            text=json.dumps(message, ensure_ascii=False),
            quote=quote,
            choices=found.get(blocks.PICK, []),
            none_of_these=(found.get(blocks.NONE_OF_THESE) or [None])[0],
            ask_leader=(found.get(blocks.ASK_LEADER) or [None])[0],
            raw=message,
        )

    def ask(self, who: str, text: str) -> Reply:
        self._events += 1
        event = {"type": "message", "channel_type": "im", "channel": "D0" + who.upper()[:8], "user": SLACK_USERS[who],
                 "text": text, "ts": f"1700000{self._events:03d}.000100"}
        before = len(self.fake.calls_to("chat.postMessage"))
        self._post(event_body(event, f"EvC{self._events:07d}"))
        return self._reply(self._posted(before + 1))

    def _click(self, who: str, button: dict, message: dict | None) -> str:
        self._responses += 1
        response = f"r{self._responses}"
        payload = {
            "type": "block_actions", "user": {"id": SLACK_USERS[who]}, "team": {"id": TEAM}, "api_app_id": "A0GUIDEBOT",
            "trigger_id": "1.2.3", "response_url": self.fake.response_url(response),
            "container": {"type": "message", "channel_id": "D0" + who.upper()[:8], "is_ephemeral": message is None},
            "channel": {"id": "D0" + who.upper()[:8]},
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                         "value": button["value"], "action_ts": str(time.time())}],
        }
        if message is not None:
            payload["message"] = {"ts": "1700000000.000001", **message}
        self._post(urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        return response

    def choose(self, who: str, reply: Reply, number: int) -> Reply:
        before = len(self.fake.calls_to("chat.postMessage"))
        self._click(who, reply.choices[number], reply.raw)
        return self._reply(self._posted(before + 1))

    def none_of_these(self, who: str, reply: Reply) -> Reply:
        before = len(self.fake.calls_to("chat.postMessage"))
        self._click(who, reply.none_of_these, reply.raw)
        return self._reply(self._posted(before + 1))

    def ask_leader(self, who: str, reply: Reply, confirm: bool) -> Escalation | None:
        before = len(self.fake.calls_to("chat.postEphemeral"))
        self._click(who, reply.ask_leader, reply.raw)
        confirmation = self.fake.wait_for("chat.postEphemeral", before + 1)[before]
        buttons = self._reply(confirmation).raw["blocks"][1]["elements"]
        chosen = next(b for b in buttons if b["action_id"] == (blocks.SEND_TO_LEADER if confirm else blocks.CANCEL_LEADER))
        posted = len(self.fake.calls_to("chat.postMessage"))
        response = self._click(who, chosen, None)
        self.fake.wait_for(f"response/{response}")
        if not confirm:
            return None
        sent = self._posted(posted + 1)
        return Escalation(leader=sent["channel"], text=json.dumps(sent, ensure_ascii=False))

    def leader_id(self, who: str) -> str:
        return SLACK_USERS[who]

    def feedback(self, who: str, reply: Reply, useful: bool) -> None:
        action = blocks.USEFUL if useful else blocks.NOT_USEFUL
        button = next(e for b in reply.raw["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == action)
        response = self._click(who, button, reply.raw)
        self.fake.wait_for(f"response/{response}")

    def report(self, who: str) -> str:
        """The ack ("Et øyeblikk …") and what the outbox worker sends to the response_url."""
        self._responses += 1
        response = f"cmd{self._responses}"
        body = urllib.parse.urlencode({
            "token": "unused", "team_id": TEAM, "channel_id": "C0GENERAL1", "user_id": SLACK_USERS[who],
            "command": "/retningslinjer", "text": "rapport", "response_url": self.fake.response_url(response),
            "trigger_id": f"1.2.{self._responses}", "api_app_id": "A0GUIDEBOT"})
        status, ack = post(self.url, body, sign(SLACK_SECRET, body), "application/x-www-form-urlencoded")
        assert status == 200
        return ack + json.dumps(self.fake.wait_for(f"response/{response}"), ensure_ascii=False)


# -- Teams


class TeamsDriver:
    name = "teams"

    def __init__(self, bot, tmp_path):
        self.fake = FakeMicrosoft(members=members(), managers={
            PEOPLE["sigrid"][1]: {"id": "m", "displayName": "Kari Nordvik", "mail": "kari.nordvik@batsfjord.kommune.no"},
        }).start()
        self.harness = TeamsHarness(bot, tmp_path / "teams.sqlite3", self.fake)
        self.store = self.harness.store

    def close(self) -> None:
        self.harness.close()
        self.fake.stop()

    @staticmethod
    def _chat(who: str) -> str:
        return f"a:1personal-{who}"

    def _reply(self, activity: dict) -> Reply:
        if not activity.get("attachments"):  # a line of plain text (small talk, hints)
            return Reply(text=json.dumps(activity, ensure_ascii=False), raw=activity)
        content = card_of(activity)
        actions = actions_of(content)
        quote_texts = [run["text"] for node in content["body"] if node.get("type") == "Container"
                       and node.get("style") == "emphasis" for block in node["items"] for run in block["inlines"]]
        return Reply(
            text=json.dumps(activity, ensure_ascii=False),
            quote=quote_texts[0].removeprefix("«").removesuffix("»") if quote_texts else "",
            choices=[a for a in actions if a["verb"] == cards.PICK],
            none_of_these=next((a for a in actions if a["verb"] == cards.NONE_OF_THESE), None),
            ask_leader=next((a for a in actions if a["verb"] == cards.ASK_LEADER), None),
            raw=activity,
        )

    def _new_post(self, before: int) -> dict:
        posted = self.fake.wait_posted(before + 1)
        assert len(posted) > before, "the bot posted nothing"
        return posted[before]

    def ask(self, who: str, text: str) -> Reply:
        before = len(self.fake.posted())
        assert self.harness.send(self.harness.message(text, who=who, conversation=self._chat(who)))[0] == 200
        return self._reply(self._new_post(before))

    def _click(self, who: str, action: dict) -> dict:
        status, body = self.harness.click(action, who=who, conversation=self._chat(who))
        assert status == 200
        return json.loads(body)

    def choose(self, who: str, reply: Reply, number: int) -> Reply:
        before = len(self.fake.posted())
        replaced = self._click(who, reply.choices[number])
        assert "Du valgte" in json.dumps(replaced, ensure_ascii=False)  # the card cannot be clicked twice
        return self._reply(self._new_post(before))

    def none_of_these(self, who: str, reply: Reply) -> Reply:
        before = len(self.fake.posted())
        self._click(who, reply.none_of_these)
        return self._reply(self._new_post(before))

    def ask_leader(self, who: str, reply: Reply, confirm: bool) -> Escalation | None:
        before = len(self.fake.posted())
        self._click(who, reply.ask_leader)
        confirmation = card_of(self._new_post(before))
        yes, cancel = actions_of(confirmation)
        replaced = self._click(who, yes if confirm else cancel)
        if not confirm:
            return None
        (link,) = [a["url"] for a in replaced["value"]["actions"] if a["type"] == "Action.OpenUrl"]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        # Teams: a chat deep link with the question as a draft the asker sends themselves.
        return Escalation(leader=query["users"][0], text=query["message"][0])

    def leader_id(self, who: str) -> str:
        return {"kari": "kari.nordvik@batsfjord.kommune.no"}[who]

    def feedback(self, who: str, reply: Reply, useful: bool) -> None:
        message_id = self.fake.message_ids[self.fake.posted().index(reply.raw)]
        status, _ = self.harness.feedback("like" if useful else "dislike", message_id, who=who,
                                          conversation=self._chat(who))
        assert status == 200

    def report(self, who: str) -> str:
        before = len(self.fake.posted())
        self.harness.send(self.harness.message("rapport", who=who, conversation=self._chat(who)))
        return json.dumps(self.fake.wait_posted(before + 1)[before:], ensure_ascii=False)


@pytest.fixture(params=["slack", "teams"])
def chat(request, bot, tmp_path):
    driver = SlackDriver(bot, tmp_path) if request.param == "slack" else TeamsDriver(bot, tmp_path)
    yield driver
    driver.close()


def rows(chat, sql: str) -> list[tuple]:
    return [tuple(r) for r in chat.store.read(sql)]


# -- the contract


def test_answer_quotes_verbatim_with_document_section_and_revision(chat, bot):
    reply = chat.ask("sigrid", "kan jeg legge ut et bilde av kollegaen min?")
    entry = next(e for e in bot.knowledge.entries if e.id == "bilder-av-kollegaer")
    assert reply.quote == entry.quote
    assert "punkt 4.4" in reply.text and "Retningslinjer for bruk av sosiale medier" in reply.text
    assert "revidert 20.04.2023" in reply.text
    assert rows(chat, "SELECT platform, outcome, entry FROM questions") == [(chat.name, "answered", entry.id)]


def test_ask_back_then_choose_answers_and_records_the_choice(chat, bot):
    reply = chat.ask("sigrid", "roller?")
    assert len(reply.choices) >= 2 and reply.none_of_these is not None and not reply.quote
    answer = chat.choose("sigrid", reply, 0)
    (chosen,) = rows(chat, "SELECT entry FROM choices")
    assert answer.quote == bot.entry(chosen[0]).quote
    assert rows(chat, "SELECT outcome FROM questions") == [("clarify",)]


def test_none_of_these_refers_to_the_leader_and_it(chat):
    reply = chat.ask("sigrid", "roller?")
    referral = chat.none_of_these("sigrid", reply)
    assert "svarer ikke sikkert" in referral.text and "Kari Nordvik" in referral.text and "#it-hjelp" in referral.text


def test_referral_names_the_nearest_leader_or_the_political_contact(chat):
    employee = chat.ask("sigrid", "hvordan bytter jeg passord?")
    assert "Kari Nordvik" in employee.text and "#it-hjelp" in employee.text
    assert employee.quote.startswith("Tvilstilfeller")  # the guideline's own advice on doubt, verbatim
    politician = chat.ask("ola", "hvordan bytter jeg passord?")
    assert "Politisk sekretariat" in politician.text and "Kari Nordvik" not in politician.text


def test_ask_my_leader_reaches_the_leader_only_after_confirmation(chat):
    reply = chat.ask("sigrid", "hvordan bytter jeg passord?")
    assert reply.ask_leader is not None
    assert chat.ask_leader("sigrid", reply, confirm=False) is None
    assert rows(chat, "SELECT count(*) FROM escalations") == [(0,)]
    escalation = chat.ask_leader("sigrid", reply, confirm=True)
    assert escalation.leader == chat.leader_id("kari") and "hvordan bytter jeg passord?" in escalation.text
    assert rows(chat, "SELECT count(*) FROM escalations") == [(1,)]


def test_feedback_is_logged_against_the_question_not_the_person(chat):
    reply = chat.ask("sigrid", "kan jeg legge ut et bilde av kollegaen min?")
    chat.feedback("sigrid", reply, useful=False)
    assert rows(chat, "SELECT q.entry, f.useful FROM feedback f JOIN questions q ON q.id = f.question_id") == [
        ("bilder-av-kollegaer", 0)
    ]


def test_the_log_counts_role_apart_and_never_holds_identity(chat):
    chat.ask("sigrid", "kan Kari Nordvik se bildet mitt? mail sigrid.eriksen@batsfjord.kommune.no")
    (row,) = chat.store.read("SELECT * FROM questions")
    values = json.dumps(tuple(row), ensure_ascii=False)
    for identity in (SLACK_USERS["sigrid"], *PEOPLE["sigrid"], "Sigrid", "Kari", "personal-sigrid"):
        assert identity not in values
    assert row["platform"] == chat.name
    assert not {"role", "department"} & set(row.keys())  # groups are counted apart, never beside text
    groups = {(r["dimension"], r["name"]) for r in chat.store.read("SELECT dimension, name FROM audience")}
    # Counted per week by role and department (groups of under five people in contacts as 'andre').
    assert {dimension for dimension, _ in groups} == {"role", "department"}
    assert "[navn]" in row["text"] and "[e-post]" in row["text"]


def test_help_says_what_is_logged_and_logs_nothing(chat):
    reply = chat.ask("sigrid", "hjelp")
    assert "Dokumenter jeg kjenner" in reply.text and "90 dager" in reply.text and "ingen bruker-id" in reply.text
    assert rows(chat, "SELECT count(*) FROM questions") == [(0,)]


def test_reports_are_for_leaders_only(chat):
    chat.store.clock = lambda: datetime.now(UTC) - timedelta(days=7)  # asked last week: reports show finished weeks
    chat.ask("sigrid", "kan jeg legge ut et bilde av kollegaen min?")
    chat.ask("sigrid", "hvordan bytter jeg passord?")
    chat.store.clock = lambda: datetime.now(UTC)
    assert "bare for ledere" in chat.report("sigrid")
    leader_view = chat.report("kari")
    assert "2 spørsmål" in leader_view and "punkt 4.4" in leader_view and "Ubesvarte: 1" in leader_view
    assert "Sigrid" not in leader_view



def test_english_questions_get_the_english_frame_and_the_norwegian_quote(chat, bot):
    reply = chat.ask("sigrid", "can I use facebook at work?")
    assert "section 4.1" in reply.text and "Ask my leader" in reply.text
    assert reply.quote in {e.quote for e in bot.knowledge.entries}  # quotes stay as the guideline has them


def test_small_talk_gets_a_brief_kind_reply_without_buttons_and_is_not_logged(chat):
    for text, expected in (("tusen takk!", "Bare hyggelig!"), ("hei", "Spør meg om retningslinjene")):
        reply = chat.ask("sigrid", text)
        assert expected in reply.text
        assert not reply.quote and not reply.choices and reply.none_of_these is None and reply.ask_leader is None
    assert rows(chat, "SELECT count(*) FROM questions") == [(0,)]


def test_an_empty_question_gets_a_hint_and_nothing_is_logged(chat):
    reply = chat.ask("sigrid", "   ")
    assert "Skriv et spørsmål" in reply.text
    assert rows(chat, "SELECT count(*) FROM questions") == [(0,)]


def test_both_adapters_say_the_shared_things_in_the_same_words():
    for language, shared in SHARED_TEXTS.items():
        for texts in (blocks.TEXTS, cards.TEXTS):
            assert texts[language].items() >= shared.items()
            assert set(texts[language]) == set(texts["nb"])  # every text in every language
    with pytest.raises(ValueError, match="reword shared ones: \\['pick'\\]"):
        with_platform_texts({"nb": {"pick": "Plukk"}, "en": {}})
    with pytest.raises(ValueError, match="cover exactly"):
        with_platform_texts({"nb": {}})
