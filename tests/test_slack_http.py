"""The Slack app end to end over its real HTTP path: a Waitress server on loopback receives
Slack-signed events, button clicks and slash commands; the bot's WebClient talks to a local
fake of the Slack Web API that records every call. Nothing here mocks guidebot's own code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_fake import BOT_USER, TEAM, FakeSlack, event_body, post, sign, sign_bytes

from bot.adapters.slack import blocks
from bot.adapters.slack.app import build_app, make_client
from bot.adapters.slack.server import HttpServer
from bot.adapters.slack.settings import SlackSettings
from bot.log.store import Store
from bot.outbox import Outbox, OutboxWorkers
from bot.service import Service
from tests.conftest import ROOT, plain_env

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SIGRID, KARI, POLITICIAN, ELIN_SLACK = "U0SIGRID01", "U0HELSE001", "U0POLIT001", "U0ELIN0001"
DM, CHANNEL = "D0SIGRID01", "C0GENERAL1"
_ids = count(1)


class SlackHarness:
    """One running guidebot Slack app (HTTP mode) against a fake Web API."""

    def __init__(self, bot, db_path, fake: FakeSlack, proxy: str = ""):
        self.fake = fake
        self.store = Store(db_path, Service.masker_for(bot))
        self.outbox = Outbox(self.store, retry_seconds=0.05)
        settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=fake.api_url, proxy=proxy)
        self.app = build_app(
            Service(bot, self.store), settings, retention_days=90, client=make_client(settings), outbox=self.outbox
        )
        self.workers = OutboxWorkers(self.outbox, threads=4).start()
        self.server = HttpServer(self.app, "127.0.0.1", 0, SECRET, threads=4).start()
        self.url = f"http://127.0.0.1:{self.server.port}/slack/events"

    def close(self) -> None:
        self.server.stop()
        self.workers.stop()
        self.store.close()

    def send_event(
        self,
        event: dict,
        event_id: str | None = None,
        retry: int | None = None,
        timestamp: int | None = None,
        secret: str = SECRET,
    ) -> tuple[int, str]:
        body = event_body(event, event_id or f"Ev{next(_ids):08d}")
        headers = sign(secret, body, timestamp)
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return post(self.url, body, headers)

    def send_form(self, fields: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields)
        return post(self.url, body, sign(SECRET, body), "application/x-www-form-urlencoded")

    def click(
        self, user: str, button: dict, message: dict | None, channel: str, response: str = "r1"
    ) -> tuple[int, str]:
        return self.send_form(self.click_form(user, button, message, channel, response))

    def click_form(
        self, user: str, button: dict, message: dict | None, channel: str, response: str = "r1"
    ) -> dict:
        """The form Slack posts for a click on `button` (a fresh trigger_id and action_ts)."""
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": TEAM},
            "api_app_id": "A0GUIDEBOT",
            "trigger_id": f"{next(_ids)}.2.3",
            "response_url": self.fake.response_url(response),
            "container": {
                "type": "message",
                "channel_id": channel,
                "is_ephemeral": message is None,
                "message_ts": (message or {}).get("ts", ""),
            },
            "channel": {"id": channel},
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button["value"],
                    "action_ts": str(time.time()),
                }
            ],
        }
        if message is not None:
            payload["message"] = message
        return {"payload": json.dumps(payload)}

    def command(self, user: str, text: str, channel: str = CHANNEL) -> tuple[int, str]:
        return self.send_form(self.command_form(user, text, channel))

    def command_form(self, user: str, text: str, channel: str = CHANNEL) -> dict:
        return {
            "token": "unused",
            "team_id": TEAM,
            "channel_id": channel,
            "user_id": user,
            "command": "/retningslinjer",
            "text": text,
            "response_url": self.fake.response_url("cmd"),
            "trigger_id": f"{next(_ids)}.2.3",
            "api_app_id": "A0GUIDEBOT",
        }


@pytest.fixture()
def fake():
    server = FakeSlack(emails={ELIN_SLACK: "Elin.Mikkelsen@batsfjord.kommune.no"}).start()
    yield server
    server.stop()


@pytest.fixture()
def slack(bot, tmp_path, fake):
    harness = SlackHarness(bot, tmp_path / "guidebot.sqlite3", fake)
    yield harness
    harness.close()


def dm(text, user=SIGRID, ts="1700000100.000100", **extra):
    return {"type": "message", "channel_type": "im", "channel": DM, "user": user, "text": text, "ts": ts, **extra}


def mention(text, user=SIGRID, ts="1700000200.000200", **extra):
    return {"type": "app_mention", "channel": CHANNEL, "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, **extra}


def buttons(message: dict) -> dict[str, dict]:
    found = {}
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            found[element["action_id"]] = element
        if "accessory" in block:
            found.setdefault(block["accessory"]["action_id"], block["accessory"])
    return found


def all_text(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def settle(fake: FakeSlack, seconds: float = 0.4) -> None:
    """Give any (wrongly) running listener time to post before asserting that nothing was."""
    time.sleep(seconds)


# -- answers


def test_stopping_after_the_loops_wake_up_pipe_is_gone_still_stops(bot, tmp_path, fake):
    # Seen once at a test's teardown: the trigger's write end was closed (EBADF) before stop().
    harness = SlackHarness(bot, tmp_path / "guidebot.sqlite3", fake)
    os.close(harness.server.server.trigger.trigger)
    harness.close()
    assert not harness.server._thread.is_alive()
    assert not [c for c in harness.server.server._map.values() if c is not harness.server.server.trigger]


def test_dm_gets_answer_with_quote_section_and_buttons(slack, fake, bot):
    status, _ = slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    assert status == 200
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["channel"] == DM and "thread_ts" not in posted
    entry = next(e for e in bot.knowledge.entries if e.id == "bilder-av-kollegaer")
    quote = next(b for b in posted["blocks"] if b["type"] == "rich_text")
    assert quote["elements"][0]["type"] == "rich_text_quote"
    assert quote["elements"][0]["elements"][0]["text"] == entry.quote
    context = " ".join(e["text"] for b in posted["blocks"] if b["type"] == "context" for e in b["elements"])
    assert "punkt 4.4" in context and "Retningslinjer for bruk av sosiale medier" in context
    assert "revidert 20.04.2023" in context
    labels = [b["text"]["text"] for b in buttons(posted).values()]
    assert labels == ["Nyttig", "Ikke nyttig", "Spør lederen min"]


def test_mention_is_answered_in_a_thread(slack, fake):
    slack.send_event(mention("hvor fort må vi svare på facebook?", ts="1700000300.000300"))
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["channel"] == CHANNEL and posted["thread_ts"] == "1700000300.000300"
    assert "4.4" in all_text(posted)


def test_english_question_gets_english_frame(slack, fake):
    slack.send_event(dm("can I use facebook at work?"))
    (posted,) = fake.wait_for("chat.postMessage")
    labels = [b["text"]["text"] for b in buttons(posted).values()]
    assert labels[:2] == ["Useful", "Not useful"]
    assert "section 4.1" in all_text(posted)


def test_referral_names_the_askers_leader_and_it(slack, fake):
    slack.send_event(dm("hvordan bytter jeg passord?"))
    (posted,) = fake.wait_for("chat.postMessage")
    text = all_text(posted)
    assert "<@U0HELSE001> (Kari Nordvik)" in text and "#it-hjelp" in text
    assert "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder." in text


def test_politician_is_sent_to_the_political_contact(slack, fake):
    slack.send_event(dm("hvordan bytter jeg passord?", user=POLITICIAN))
    (posted,) = fake.wait_for("chat.postMessage")
    text = all_text(posted)
    assert "Politisk sekretariat" in text and "Kari Nordvik" not in text


def test_asker_found_by_email_through_users_info(slack, fake):
    slack.send_event(dm("hvordan bytter jeg passord?", user=ELIN_SLACK))
    (posted,) = fake.wait_for("chat.postMessage")
    assert fake.calls_to("users.info")[0]["user"] == ELIN_SLACK
    assert "Aslak Persen" in all_text(posted)


def test_users_info_is_looked_up_once_per_person_not_per_question(slack, fake):
    slack.send_event(dm("hvordan bytter jeg passord?", user=ELIN_SLACK))
    fake.wait_for("chat.postMessage")
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?", user=ELIN_SLACK))
    slack.command(ELIN_SLACK, "hvor fort må vi svare på facebook?")
    fake.wait_for("chat.postMessage", 2)
    fake.wait_for("response/cmd")
    assert len(fake.calls_to("users.info")) == 1


def test_a_failed_users_info_is_retried_soon_not_cached_for_an_hour():
    from bot.adapters.slack.context import EmailCache

    cache = EmailCache(ttl=3600, failed_ttl=0.05)
    cache.put("U1", None)
    cache.put("U2", "a@b.no")
    assert cache.get("U1") == (True, "") and cache.get("U2") == (True, "a@b.no")
    time.sleep(0.06)
    assert cache.get("U1") == (False, "") and cache.get("U2") == (True, "a@b.no")


def test_a_rate_limited_answer_does_not_hold_up_the_next_one(slack, fake):
    fake.fail_next["chat.postMessage"] = [(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})]
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?", user=SIGRID))
    time.sleep(0.3)  # the first answer is now waiting out its Retry-After
    slack.send_event({**dm("hvor fort må vi svare på facebook?"), "channel": "D0OTHER001"})
    first, second = fake.wait_for("chat.postMessage", 2, timeout=15)
    assert first["channel"] == "D0OTHER001" and second["channel"] == DM


def test_slash_commands_are_acked_while_every_worker_is_busy(bot, tmp_path):
    slow = FakeSlack(latency=1.0).start()
    harness = SlackHarness(bot, tmp_path / "busy.sqlite3", slow)  # 4 workers
    try:
        for n in range(6):
            harness.send_event({**dm("hvor fort må vi svare på facebook?"), "channel": f"D0BUSY{n:04d}"})
        status, body = harness.command(SIGRID, "kan jeg legge ut et bilde av kollegaen min?")
        assert status == 200 and json.loads(body)["text"] == "Ser etter i retningslinjene …"
        assert slow.calls_to("chat.postMessage") == []  # acked before any worker got anywhere
        assert "4.4" in all_text(slow.wait_for("response/cmd", timeout=30)[0])
    finally:
        harness.close()
        slow.stop()


def test_channel_referral_names_the_leader_without_pinging(slack, fake):
    slack.send_event(mention("hvordan bytter jeg passord?"))
    (posted,) = fake.wait_for("chat.postMessage")
    assert "Kari Nordvik" in all_text(posted) and "<@U0HELSE001>" not in all_text(posted)


# -- buttons


def test_feedback_is_recorded_and_buttons_replaced(slack, fake):
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (posted,) = fake.wait_for("chat.postMessage")
    message = {"ts": "1700000000.000001", "text": posted["text"], "blocks": posted["blocks"]}
    status, _ = slack.click(SIGRID, buttons(posted)[blocks.NOT_USEFUL], message, DM)
    assert status == 200
    (replaced,) = fake.wait_for("response/r1")
    assert replaced["replace_original"] is True
    assert blocks.USEFUL not in buttons(replaced) and blocks.ASK_LEADER in buttons(replaced)
    assert "Takk for tilbakemeldingen" in all_text(replaced)
    rows = slack.store.read(
        "SELECT q.entry, f.entry AS fentry, f.useful FROM feedback f JOIN questions q ON q.id = f.question_id"
    )
    assert [tuple(r) for r in rows] == [("bilder-av-kollegaer", "bilder-av-kollegaer", 0)]


def test_clarify_offers_buttons_and_a_pick_answers_in_the_thread(slack, fake):
    slack.send_event(mention("rykte?", ts="1700000400.000400"))
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["text"].startswith("Jeg er ikke helt sikker")
    picks = [b["accessory"] for b in posted["blocks"] if "accessory" in b]
    assert len(picks) >= 2 and all(p["action_id"] == blocks.PICK for p in picks)
    message = {
        "ts": "1700000500.000500",
        "thread_ts": "1700000400.000400",
        "blocks": posted["blocks"],
        "text": posted["text"],
    }
    slack.click(SIGRID, picks[0], message, CHANNEL)
    answers = fake.wait_for("chat.postMessage", 2)
    assert answers[1]["thread_ts"] == "1700000400.000400"
    assert any(b["type"] == "rich_text" for b in answers[1]["blocks"])
    (chosen,) = slack.store.read("SELECT entry FROM choices")
    assert chosen["entry"] == blocks.read_value(picks[0]["value"]).entry
    assert fake.wait_for("response/r1")[0]["text"].startswith("Du valgte")


def test_useful_feedback_is_recorded_for_the_slash_answer(slack, fake):
    slack.command(SIGRID, "kan jeg legge ut et bilde av kollegaen min?")
    (reply,) = fake.wait_for("response/cmd")
    slack.click(SIGRID, buttons(reply)[blocks.USEFUL], None, CHANNEL, response="fb")  # ephemeral: no message
    (thanks,) = fake.wait_for("response/fb")
    assert thanks["text"] == "Takk for tilbakemeldingen!" and thanks["response_type"] == "ephemeral"
    (row,) = slack.store.read("SELECT f.useful, q.surface FROM feedback f JOIN questions q ON q.id = f.question_id")
    assert tuple(row) == (1, "slash")


def test_none_of_these_refers_in_the_same_thread(slack, fake):
    slack.send_event(mention("rykte?", ts="1700000600.000600"))
    (posted,) = fake.wait_for("chat.postMessage")
    message = {"ts": "1700000700.000700", "thread_ts": "1700000600.000600", "blocks": posted["blocks"]}
    slack.click(SIGRID, buttons(posted)[blocks.NONE_OF_THESE], message, CHANNEL)
    referral = fake.wait_for("chat.postMessage", 2)[1]
    assert referral["thread_ts"] == "1700000600.000600"
    text = all_text(referral)
    assert "svarer ikke sikkert" in text and "Kari Nordvik" in text and "<@U0HELSE001>" not in text


def test_ask_my_leader_confirms_before_sending(slack, fake):
    slack.send_event(dm("hvordan bytter jeg passord? ring meg på 91234567 <!channel>"))
    (posted,) = fake.wait_for("chat.postMessage")
    message = {"ts": "1700000000.000001", "text": posted["text"], "blocks": posted["blocks"]}
    slack.click(SIGRID, buttons(posted)[blocks.ASK_LEADER], message, DM)
    (confirm,) = fake.wait_for("chat.postEphemeral")
    assert confirm["user"] == SIGRID and "Kari Nordvik" in confirm["text"]
    settle(fake)
    assert len(fake.calls_to("chat.postMessage")) == 1  # nothing sent to the leader yet
    slack.click(SIGRID, buttons(confirm)[blocks.SEND_TO_LEADER], None, DM, response="confirm")
    sent = fake.wait_for("chat.postMessage", 2)[1]
    assert sent["channel"] == KARI
    text = all_text(sent)
    assert f"<@{SIGRID}>" in text and "hvordan bytter jeg passord?" in text
    assert "<!channel>" not in sent["text"] and "&lt;!channel&gt;" in sent["text"]
    assert fake.wait_for("response/confirm")[0]["text"].startswith("Sendt til Kari Nordvik")
    assert slack.store.read("SELECT count(*) AS n FROM escalations")[0]["n"] == 1


def test_ask_my_leader_cancel_sends_nothing(slack, fake):
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (posted,) = fake.wait_for("chat.postMessage")
    slack.click(SIGRID, buttons(posted)[blocks.ASK_LEADER], {"ts": "1", "blocks": posted["blocks"]}, DM)
    (confirm,) = fake.wait_for("chat.postEphemeral")
    slack.click(SIGRID, buttons(confirm)[blocks.CANCEL_LEADER], None, DM, response="cancel")
    assert fake.wait_for("response/cancel")[0]["text"] == "Greit, jeg sendte ingenting."
    settle(fake)
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert slack.store.read("SELECT count(*) AS n FROM escalations")[0]["n"] == 0


# -- slash command and App Home


def test_slash_command_acks_at_once_then_answers_ephemerally_in_its_place(slack, fake):
    status, body = slack.command(SIGRID, "kan jeg legge ut et bilde av kollegaen min?")
    assert status == 200
    assert json.loads(body) == {"response_type": "ephemeral", "text": "Ser etter i retningslinjene …"}
    (reply,) = fake.wait_for("response/cmd")
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is True
    assert "punkt 4.4" in all_text(reply)
    assert slack.store.read("SELECT surface, entry FROM questions")[0]["surface"] == "slash"


def test_slash_help_says_what_is_logged_and_for_how_long(slack):
    status, body = slack.command(SIGRID, "hjelp")
    text = all_text(json.loads(body))
    assert status == 200
    assert "Retningslinjer for bruk av sosiale medier" in text
    assert "90 dager" in text and "ingen bruker-id" in text


def test_help_in_a_dm_or_mention_explains_and_logs_nothing(slack, fake):
    slack.send_event(dm("hjelp"))
    slack.send_event(mention("hjelp", ts="1700000800.000800"))
    first, second = fake.wait_for("chat.postMessage", 2)
    for posted in (first, second):
        assert "Dokumenter jeg kjenner" in all_text(posted) and "90 dager" in all_text(posted)
    assert {first.get("thread_ts"), second.get("thread_ts")} == {None, "1700000800.000800"}
    assert slack.store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 0


def test_small_talk_gets_a_brief_kind_reply_everywhere_and_is_not_logged(slack, fake):
    slack.send_event(dm("hei"))
    slack.send_event(mention("tusen takk!", ts="1700000900.000900"))
    slack.command(SIGRID, "thanks")
    posted = fake.wait_for("chat.postMessage", 2)
    texts = sorted(p["text"] for p in posted)
    assert texts == ["Bare hyggelig! Spør igjen når du lurer på noe.",
                     "Hei! Spør meg om retningslinjene, for eksempel «Kan jeg legge ut et bilde av en kollega?»"]
    assert all("actions" not in all_text(p) for p in posted)  # no buttons, no referral
    (slash,) = fake.wait_for("response/cmd")
    assert slash["text"].startswith("You're welcome")
    assert slack.store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 0


def test_a_file_without_text_gets_asked_for_text_and_nothing_is_logged(slack, fake):
    slack.send_event(dm("", subtype="file_share", files=[{"id": "F1"}]))
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["channel"] == DM and posted["text"].startswith("Jeg kan bare lese tekst")
    assert slack.store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 0


def test_app_home_shows_contents_and_notice(slack, fake):
    slack.send_event({"type": "app_home_opened", "user": SIGRID, "channel": DM, "tab": "home"})
    (published,) = fake.wait_for("views.publish")
    assert published["user_id"] == SIGRID
    text = all_text(published["view"])
    assert "4.4  Retningslinjer for bruk av sosiale medier på vegne av Båtsfjord kommune" in text
    assert "Avslutning" in text and "90 dager" in text and "Prøv for eksempel" in text


# -- Slack's rules and hostile input


def test_forged_and_stale_requests_get_401_and_post_nothing(slack, fake):
    assert slack.send_event(dm("kan jeg poste bilde?"), secret="not-the-secret")[0] == 401
    assert slack.send_event(dm("kan jeg poste bilde?"), timestamp=int(time.time()) - 301)[0] == 401
    assert slack.send_event(dm("kan jeg poste bilde?"), timestamp=int(time.time()) + 301)[0] == 401
    unsigned = post(slack.url, event_body(dm("hei"), "EvX"), {})
    assert unsigned[0] == 401
    settle(fake)
    assert fake.calls_to("chat.postMessage") == []
    assert slack.store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 0


def test_retries_are_answered_once(slack, fake):
    event = dm("kan jeg legge ut et bilde av kollegaen min?")
    assert slack.send_event(event, event_id="EvSAME0001")[0] == 200
    for retry in (1, 2, 3):
        assert slack.send_event(event, event_id="EvSAME0001", retry=retry)[0] == 200
    # A retry of an event whose first delivery never arrived is still answered, once.
    assert slack.send_event(dm("hvor fort må vi svare?"), event_id="EvLOST0001", retry=1)[0] == 200
    fake.wait_for("chat.postMessage", 2)
    settle(fake)
    assert len(fake.calls_to("chat.postMessage")) == 2


def test_two_processes_sharing_the_database_answer_once(bot, tmp_path, fake):
    first = SlackHarness(bot, tmp_path / "shared.sqlite3", fake)
    second = SlackHarness(bot, tmp_path / "shared.sqlite3", fake)
    try:
        event = dm("kan jeg legge ut et bilde av kollegaen min?")
        results = []
        threads = [
            threading.Thread(target=lambda h=h: results.append(h.send_event(event, event_id="EvTWIN0001")))
            for h in (first, second, first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [status for status, _ in results] == [200] * 4
        fake.wait_for("chat.postMessage")
        settle(fake)
        assert len(fake.calls_to("chat.postMessage")) == 1
    finally:
        first.close()
        second.close()


def test_bot_messages_edits_and_deletions_are_ignored(slack, fake):
    slack.send_event(dm("kan jeg poste bilde?", bot_id="B0OTHER001"))
    slack.send_event(dm("kan jeg poste bilde?", user=BOT_USER))
    slack.send_event(dm("", subtype="message_changed", message={"text": "kan jeg poste bilde?"}))
    slack.send_event(dm("", subtype="message_deleted"))
    slack.send_event(
        {"type": "message", "channel_type": "channel", "channel": CHANNEL, "user": SIGRID, "text": "bilde?"}
    )
    settle(fake, 0.6)
    assert fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("", "application/json"),
        ("not json at all", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('{"type": "event_callback", "event_id": "EvNOEVENT1"}', "application/json"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
        ("payload=%5B%5D", "application/x-www-form-urlencoded"),
        ('{"type":' + '"x' * 20, "application/json"),
    ],
)
def test_malformed_signed_bodies_get_4xx_or_200_and_no_crash(slack, fake, body, content_type):
    status, _ = post(slack.url, body, sign(SECRET, body), content_type)
    assert status in (200, 400, 401, 404), status
    with urllib.request.urlopen(slack.url.replace("/slack/events", "/healthz")) as response:
        assert response.status == 200


def test_text_null_binary_and_huge_bodies(slack, fake):
    status, _ = slack.send_event(dm(None))
    assert status == 200
    (posted,) = fake.wait_for("chat.postMessage")
    assert "Skriv et spørsmål" in posted["text"]
    binary = b"\xff\xfe\x00garbage"
    assert post(slack.url, binary, {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"})[0] == 401
    assert post(slack.url, binary, sign_bytes(SECRET, binary))[0] == 400
    huge = "x" * 1_100_000
    assert post(slack.url, huge, sign(SECRET, huge))[0] == 413
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min? " * 60))
    long_answer = fake.wait_for("chat.postMessage", 2)[1]
    assert "de første 2000 tegnene" in all_text(long_answer)


def test_user_text_is_escaped_everywhere_it_is_echoed(slack, fake):
    nasty = "hvordan bytter jeg passord? <!channel> <!here> <@U0KDIR0001> <https://evil.example|kommune.no> & co"
    slack.send_event(dm(nasty))
    (posted,) = fake.wait_for("chat.postMessage")
    slack.click(SIGRID, buttons(posted)[blocks.ASK_LEADER], {"ts": "1", "blocks": posted["blocks"]}, DM)
    (confirm,) = fake.wait_for("chat.postEphemeral")
    slack.click(SIGRID, buttons(confirm)[blocks.SEND_TO_LEADER], None, DM, response="confirm")
    leader_dm = fake.wait_for("chat.postMessage", 2)[1]
    for message in (posted, confirm, leader_dm):
        mrkdwn = [message["text"]] + [
            t
            for b in message["blocks"]
            for t in (
                [b["text"]["text"]]
                if b["type"] == "section"
                else [e.get("text", "") for e in b.get("elements", [])]
                if b["type"] == "context"
                else []
            )
        ]
        for text in mrkdwn:
            for token in ("<!channel>", "<!here>", "<@U0KDIR0001>", "<https://evil"):
                assert token not in text
    assert "&lt;!channel&gt;" in leader_dm["text"] and "&amp; co" in leader_dm["text"]


def test_rate_limited_post_is_retried_after_retry_after(slack, fake):
    fake.fail_next["chat.postMessage"] = [(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})]
    started = time.monotonic()
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (posted,) = fake.wait_for("chat.postMessage", timeout=15)
    assert time.monotonic() - started >= 1.0
    assert fake.attempts["chat.postMessage"] == 2 and "4.4" in all_text(posted)


def test_a_failed_post_is_retried_and_answered_once_and_logged_once(slack, fake):
    fake.fail_next["chat.postMessage"] = [(200, {"ok": False, "error": "fatal_error"}, {})]
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (answer,) = fake.wait_for("chat.postMessage")
    assert answer["channel"] == DM and "4.4" in all_text(answer)
    settle(fake)
    assert len(fake.calls_to("chat.postMessage")) == 1 and fake.attempts["chat.postMessage"] == 2
    assert slack.store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 1
    assert slack.outbox.waiting() == 0


def test_a_post_that_keeps_failing_ends_in_an_apology_with_it_contact(slack, fake):
    from bot.outbox import MAX_ATTEMPTS

    fake.fail_next["chat.postMessage"] = [(200, {"ok": False, "error": "fatal_error"}, {})] * MAX_ATTEMPTS
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (apology,) = fake.wait_for("chat.postMessage")
    assert apology["channel"] == DM
    assert "Beklager" in apology["text"] and "#it-hjelp" in apology["text"]
    assert "Traceback" not in apology["text"] and "fatal_error" not in apology["text"]
    assert slack.outbox.waiting() == 0
    slack.send_event(dm("hvor fort må vi svare?"))
    assert "4.4" in all_text(fake.wait_for("chat.postMessage", 2)[1])


def test_question_log_holds_no_identity(slack, fake):
    slack.send_event(dm("kan Kari Nordvik se bildet mitt? mail sigrid.eriksen@batsfjord.kommune.no"))
    fake.wait_for("chat.postMessage")
    (row,) = slack.store.read("SELECT * FROM questions")
    values = json.dumps(tuple(row), ensure_ascii=False)
    for identity in (SIGRID, DM, "Sigrid", "sigrid.eriksen", "Kari"):
        assert identity not in values
    columns = set(row.keys())
    assert row["surface"] == "dm" and not {"role", "department"} & columns
    # Role and department only as counters, and as "andre" for groups under 5 people in contacts.
    audience = {(r["dimension"], r["name"]) for r in slack.store.read("SELECT dimension, name FROM audience")}
    assert audience == {("role", "andre"), ("department", "andre")}
    assert "[navn]" in row["text"] and "[e-post]" in row["text"]


def test_settings_fail_fast_naming_the_variable(monkeypatch):
    from bot.adapters.slack.settings import SettingsError

    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        SlackSettings.from_env(http=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        SlackSettings.from_env(http=False)
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        SlackSettings.from_env(http=True)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    assert replace(SlackSettings.from_env(http=True), signing_secret="").api_url == "http://127.0.0.1:9/api/"


def test_socket_mode_handler_uses_the_app_token_and_the_same_listeners(bot, tmp_path, fake):
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.adapters.slack.server import socket_mode_handler

    settings = SlackSettings(bot_token="xoxb-test", app_token="xapp-1-test", api_url=fake.api_url)
    store = Store(tmp_path / "socket.sqlite3")
    outbox = Outbox(store)
    app = build_app(Service(bot, store), settings, retention_days=90, outbox=outbox)
    workers = OutboxWorkers(outbox, threads=2).start()
    handler = socket_mode_handler(app, settings.app_token)
    assert handler.app is app and handler.client.app_token == "xapp-1-test"
    payload = json.loads(event_body(dm("kan jeg legge ut et bilde av kollegaen min?"), "EvSOCKET01"))
    request = SocketModeRequest(type="events_api", envelope_id="env-1", payload=payload, retry_attempt=0)
    assert run_bolt_app(app, request).status == 200
    assert (
        run_bolt_app(
            app, SocketModeRequest(type="events_api", envelope_id="env-2", payload=payload, retry_attempt=1)
        ).status
        == 200
    )
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["channel"] == DM and "4.4" in all_text(posted)
    settle(fake)
    assert len(fake.calls_to("chat.postMessage")) == 1
    workers.stop()
    store.close()


# -- leaders' reports in Slack (issue #4)


def test_report_command_gives_leaders_a_summary_and_the_html_file(slack, fake):
    slack.store.clock = lambda: datetime.now(UTC) - timedelta(days=7)  # asked last week: reports show finished weeks
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    slack.send_event(dm("hvordan bytter jeg passord?"))
    fake.wait_for("chat.postMessage", 2)
    slack.store.clock = lambda: datetime.now(UTC)
    status, body = slack.command(KARI, "rapport")
    assert status == 200 and json.loads(body)["text"] == "Et øyeblikk …"  # acked before any work
    (summary,) = fake.wait_for("response/cmd")
    assert summary["response_type"] == "ephemeral" and summary["replace_original"] is True
    text = all_text(summary)
    assert "*2 spørsmål*" in text and "punkt 4.4" in text and "Ubesvarte: 1" in text
    assert fake.wait_for("files.completeUploadExternal")
    opened = fake.calls_to("conversations.open")[0]
    assert opened["users"] == KARI
    (upload_request,) = fake.calls_to("files.getUploadURLExternal")
    assert upload_request["filename"].startswith("guidebot-rapport-") and upload_request["filename"].endswith(".html")
    (uploaded,) = fake.calls_to("upload/F0001")
    assert uploaded["raw"].startswith("<!doctype html>") and "Mest spurte punkter" in uploaded["raw"]


def test_report_upload_failure_is_told_not_crashed(slack, fake):
    fake.fail_next["files.getUploadURLExternal"] = [(200, {"ok": False, "error": "not_allowed_token_type"}, {})]
    status, _ = slack.command(KARI, "rapport")
    assert status == 200
    summary, apology = fake.wait_for("response/cmd", 2)
    assert summary["text"].startswith("guidebot:") and apology["text"].startswith("Beklager")
    assert "#it-hjelp" in apology["text"]


def test_report_command_refuses_everyone_but_leaders(slack, fake):
    status, body = slack.command(SIGRID, "rapport")
    assert status == 200
    (refused,) = fake.wait_for("response/cmd")
    assert "bare for ledere" in refused["text"] and refused["replace_original"] is True
    settle(fake)
    assert fake.calls_to("files.getUploadURLExternal") == [] and len(fake.calls_to("response/cmd")) == 1


def test_report_post_to_channel_from_the_cli(bot, tmp_path, fake):
    store = Store(tmp_path / "digest.sqlite3", Service.masker_for(bot),
                  clock=lambda: datetime.now(UTC) - timedelta(days=7))  # last week: reports show finished weeks
    Service(bot, store).ask("kan jeg legge ut et bilde av kollegaen min?", "slack", "dm", bot.identify(), "U1")
    store.close()
    env = {**plain_env(), "GUIDEBOT_DB": str(tmp_path / "digest.sqlite3"), "SLACK_BOT_TOKEN": "xoxb-1",
           "SLACK_API_URL": fake.api_url}
    result = subprocess.run([sys.executable, "-m", "bot", "report", "--since", "7d", "--post-to", "C0LEDERE01"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    (posted,) = fake.calls_to("chat.postMessage")
    assert posted["channel"] == "C0LEDERE01" and "*1 spørsmål*" in all_text(posted)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
slack_shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(["event_callback", "block_actions", "url_verification", "x"]) | json_values},
    optional={
        "event": st.fixed_dictionaries({}, optional={
            "type": st.sampled_from(["message", "app_mention", "app_home_opened"]) | json_values,
            "text": json_values, "user": json_values, "channel": json_values, "channel_type": json_values,
            "ts": json_values, "subtype": json_values, "bot_id": json_values}) | json_values,
        "event_id": json_values, "team_id": json_values, "challenge": json_values, "actions": json_values,
        "user": json_values, "channel": json_values, "message": json_values,
    },
)


@settings(max_examples=int(os.environ.get("GUIDEBOT_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=slack_shaped, as_form=st.booleans())
@example(body={"type": "block_actions", "actions": [{}]}, as_form=False)  # found by a fresh-clone run: 500
def test_any_signed_slack_shaped_body_gets_an_answer_not_a_500(slack, body, as_form):
    raw = json.dumps(body)
    if as_form:
        raw = urllib.parse.urlencode({"payload": raw})
    content_type = "application/x-www-form-urlencoded" if as_form else "application/json"
    status, _ = post(slack.url, raw, sign(SECRET, raw), content_type)
    assert status in (200, 400, 401, 404), (status, raw)
