"""The Slack HTTP front door under attack, through the real HTTP server and a fake Web API:
unverified requests (nothing posted, logged or looked up), what reaches the logs, deep JSON,
replays of commands and clicks, forged button values, slow clients, rate limits on the ack
path, and HTTPS_PROXY. Each test here failed before the fix it guards (issue 8)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.parse

import pytest
from recording_proxy import RecordingProxy
from slack_bolt import BoltRequest
from slack_fake import FakeSlack, event_body, post, sign
from test_slack_http import (
    CHANNEL,
    DM,
    ELIN_SLACK,
    KARI,
    SECRET,
    SIGRID,
    SlackHarness,
    all_text,
    buttons,
    dm,
    settle,
)

from bot.adapters.slack import blocks
from bot.adapters.slack.app import make_client
from bot.adapters.slack.context import on_ack_path
from bot.adapters.slack.server import HttpServer, RejectionLog, json_depth_within
from bot.adapters.slack.settings import SettingsError, SlackSettings
from bot.knowledge import Leader

QUESTION = "Kan jeg dele HEMMELIGBILDET av kollegaen min på Facebook?"
SECRET_USER = "U0SECRET99"


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def fake():
    server = FakeSlack(emails={ELIN_SLACK: "Elin.Mikkelsen@batsfjord.kommune.no"}).start()
    yield server
    server.stop()


@pytest.fixture()
def slack(bot, tmp_path, fake, caplog):
    caplog.set_level(logging.DEBUG)  # before the app is built: Bolt copies the root level then
    harness = SlackHarness(bot, tmp_path / "guidebot.sqlite3", fake)
    yield harness
    harness.close()


def nothing_happened(slack: SlackHarness, fake: FakeSlack) -> None:
    settle(fake)
    called = [name for name, _ in fake.calls if name != "auth.test"]  # auth.test: once, at start-up
    assert called == []
    assert slack.store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 0


def assert_logs_clean(caplog, *secrets: str) -> None:
    """No record (message, arguments, traceback) quotes a question, a user id or a body."""
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in (*secrets, "HEMMELIGBILDET", SECRET_USER, SIGRID, "body:", "event_callback"):
        assert secret not in logged, secret


# -- 1. verify first: nothing is done for an unverified request


@pytest.mark.parametrize(
    "timestamp",
    ["x", "1e3", f"{int(time.time())}.5", "¹²³", "9" * 40, " " + str(int(time.time())), "-1", ""],
)
def test_requests_without_a_valid_timestamp_get_401_and_nothing_else(slack, fake, caplog, timestamp):
    body = event_body(dm(QUESTION, user=SECRET_USER), "EvUNSIGNED1")
    headers = sign(SECRET, body) | {"X-Slack-Request-Timestamp": timestamp}
    assert post(slack.url, body.encode(), headers)[0] == 401
    nothing_happened(slack, fake)
    assert_logs_clean(caplog)


@pytest.mark.parametrize(
    "signature", [None, "", "v0=", "v0=zz", "v1=" + "0" * 64, "v0=" + "0" * 64, "v0=" + "A" * 64, "v0=" + "0" * 65]
)
def test_requests_without_a_valid_signature_get_401_and_nothing_else(slack, fake, caplog, signature):
    body = event_body(dm(QUESTION, user=SECRET_USER), "EvUNSIGNED2")
    headers = {"X-Slack-Request-Timestamp": str(int(time.time()))}
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    assert post(slack.url, body, headers)[0] == 401
    nothing_happened(slack, fake)
    assert_logs_clean(caplog)


def test_twenty_unsigned_clicks_and_commands_post_nothing(slack, fake):
    for n in range(10):
        payload = {"type": "block_actions", "user": {"id": SECRET_USER}, "channel": {"id": CHANNEL},
                   "actions": [{"action_id": blocks.USEFUL, "value": "{}"}], "trigger_id": f"{n}.1"}
        form = urllib.parse.urlencode({"payload": json.dumps(payload)})
        bad = {"X-Slack-Request-Timestamp": "x", "X-Slack-Signature": "v0=0"}
        assert post(slack.url, form, bad, "application/x-www-form-urlencoded")[0] == 401
        command = urllib.parse.urlencode({"command": "/retningslinjer", "user_id": SECRET_USER,
                                          "channel_id": CHANNEL, "text": QUESTION})
        assert post(slack.url, command, bad, "application/x-www-form-urlencoded")[0] == 401
    nothing_happened(slack, fake)


def test_the_error_handler_never_posts_for_a_request_that_was_not_verified(slack, fake):
    # Straight into Bolt, past our HTTP layer: Bolt's own check raises on the timestamp and
    # calls the error handler with the body; the body names a channel, which must get nothing.
    body = event_body(dm(QUESTION, user=SECRET_USER), "EvPASTWSGI")
    request = BoltRequest(body=body, headers={"content-type": "application/json",
                                              "x-slack-request-timestamp": "1e3", "x-slack-signature": "v0=0"})
    assert slack.app.dispatch(request).status in (400, 401, 500)
    nothing_happened(slack, fake)


# -- 2. no retry sleeps where Slack is waiting


def test_a_slash_command_never_waits_out_a_rate_limit_before_its_ack(slack, fake):
    # users.info is rate-limited and, once retried, held back: the ack cannot have waited for it.
    fake.fail_next["users.info"] = [(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})]
    fake.hold["users.info"] = threading.Event()
    status, body = slack.command(ELIN_SLACK, "kan jeg legge ut et bilde av kollegaen min?")
    assert status == 200 and json.loads(body)["text"].startswith("Ser etter")
    fake.hold["users.info"].set()
    (answer,) = fake.wait_for("response/cmd")
    assert "punkt 4.4" in all_text(answer)
    assert fake.attempts["users.info"] == 2  # the 429 was waited out by a worker, off the ack path


def test_web_api_retries_happen_off_the_ack_path_only(fake):
    client = make_client(SlackSettings(bot_token="xoxb-test", api_url=fake.api_url))
    limited = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
    fake.fail_next["chat.postMessage"] = [limited]
    with on_ack_path(), pytest.raises(Exception, match="ratelimited"):
        client.chat_postMessage(channel=DM, text="x")
    assert fake.attempts["chat.postMessage"] == 1
    fake.fail_next["chat.postMessage"] = [limited]
    client.chat_postMessage(channel=DM, text="x")
    assert fake.attempts["chat.postMessage"] == 3


def test_an_apology_is_posted_from_a_worker_never_while_slack_waits(bot, tmp_path, fake):
    # The database fails before any listener runs (on the HTTP request thread): the apology
    # must not hold up the response, however slow the Web API is.
    db = tmp_path / "g.sqlite3"
    harness = SlackHarness(bot, db, fake)
    try:
        db.rename(tmp_path / "moved.sqlite3")
        db.mkdir()  # new connections to the database now fail
        release = fake.hold["chat.postMessage"] = threading.Event()
        status, _ = harness.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
        answered_while_held = not fake.calls_to("chat.postMessage")
        release.set()
        (apology,) = fake.wait_for("chat.postMessage")
        assert answered_while_held and status in (200, 500)
        assert apology["channel"] == DM and "Beklager" in apology["text"]
    finally:
        if db.is_dir():  # the database back in place, so the outbox workers stop cleanly
            db.rmdir()
            (tmp_path / "moved.sqlite3").rename(db)
        harness.close()


# -- 4. logs: no question text, user ids or bodies, rejections summarised


def test_logs_hold_no_question_text_user_ids_or_bodies_at_debug(slack, fake, caplog):
    assert slack.send_event(dm(QUESTION, user=SIGRID))[0] == 200
    fake.wait_for("chat.postMessage")
    body = event_body(dm(QUESTION, user=SECRET_USER), "EvFORGED01")
    assert post(slack.url, body, sign("wrong-secret", body))[0] == 401
    assert post(slack.url, body, {"X-Slack-Request-Timestamp": "x", "X-Slack-Signature": "v0=1"})[0] == 401
    status, _ = slack.command(SECRET_USER, QUESTION)
    assert status == 200
    fake.fail_next["chat.postMessage"] = [(200, {"ok": False, "error": "fatal_error"}, {})]
    slack.send_event(dm(QUESTION + " igjen", user=SIGRID))
    fake.wait_for("chat.postMessage", 2)
    slack.click(SECRET_USER, {"action_id": blocks.USEFUL, "value": json.dumps({"q": 1, "t": QUESTION})}, None, DM)
    fake.wait_for("response/r1")
    settle(fake)
    assert any(r.levelno >= logging.WARNING for r in caplog.records)  # something was logged
    assert_logs_clean(caplog)


def test_library_records_keep_only_their_first_clause(slack, caplog):
    # What Bolt logs for an unhandled click, and slack_sdk for each request at DEBUG.
    body = {"type": "block_actions", "user": {"id": SECRET_USER}, "value": QUESTION}
    logging.getLogger("slack_bolt.App").warning(f"Unhandled request ({body})")
    logging.getLogger("slack_sdk.web.base_client").debug(f"Sending a request - body: {body}")
    logging.getLogger("slack_sdk.socket_mode.builtin.client").warning("Failed: %s", body)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("slack_")]
    assert messages == ["Unhandled request [details withheld]", "Failed [details withheld]"]
    assert_logs_clean(caplog)


def test_a_flood_of_forged_requests_is_one_summary_line(slack, fake, caplog):
    body = event_body(dm(QUESTION, user=SECRET_USER), "EvFLOOD001")
    for _ in range(30):
        assert post(slack.url, body, sign("wrong-secret", body))[0] == 401
    lines = [r for r in caplog.records if r.name.startswith(("guidebot", "slack")) and r.levelno >= logging.INFO]
    assert len(lines) == 1 and "rejected 1 request" in lines[0].getMessage()
    slack.server.stop()  # flushes what was counted since
    assert "rejected 29 request(s)" in caplog.records[-1].getMessage()
    slack.server = HttpServer(slack.app, "127.0.0.1", 0, SECRET).start()  # for the fixture's close()


def test_rejection_log_counts_by_reason_per_interval(caplog):
    now = [0.0]
    rejections = RejectionLog(interval=60, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="guidebot.slack"):
        for reason in ["wrong signature"] * 5 + ["stale timestamp"] * 2:
            rejections.count(reason)
        now[0] = 61
        rejections.count("wrong signature")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "rejected 1 request(s) since the last report (wrong signature: 1)",
        "rejected 7 request(s) since the last report (stale timestamp: 2, wrong signature: 5)",
    ]


# -- 5. verify, then parse; nesting bounded; never a 500


@pytest.mark.parametrize("as_form", [False, True])
def test_deeply_nested_json_gets_400_signed_and_401_unsigned(slack, fake, as_form):
    deep = '{"type": "event_callback", "event": ' + "[" * 1000 + "]" * 1000 + "}"
    body, kind = (urllib.parse.urlencode({"payload": deep}), "application/x-www-form-urlencoded") if as_form else (
        deep, "application/json")
    assert len(deep) > 2000
    assert post(slack.url, body, sign(SECRET, body), kind)[0] == 400
    assert post(slack.url, body, {}, kind)[0] == 401
    assert post(slack.url, "[" * 100_000, sign(SECRET, "[" * 100_000))[0] == 400
    nothing_happened(slack, fake)


@pytest.mark.parametrize("body", ["not json at all", "[1, 2, 3]", '{"type":"x', "payload=%7Bbroken"])
def test_unsigned_malformed_bodies_get_401_not_400(slack, fake, body):
    assert post(slack.url, body, {"X-Slack-Request-Timestamp": str(int(time.time()))})[0] == 401


def test_the_examples_in_the_docstrings_hold():
    import doctest

    from bot.adapters.slack import server

    for module in (server, blocks):
        assert doctest.testmod(module).failed == 0


def test_json_depth_is_measured_without_recursion():
    assert json_depth_within('{"a": [{"b": [1]}]}', limit=4)
    assert not json_depth_within('{"a": [{"b": [[1]]}]}', limit=4)
    assert json_depth_within('["[[[[[[", "\\"[[[["]', limit=1)  # brackets in strings do not count
    assert not json_depth_within("[" * 10**6)


# -- 6. replays of commands and clicks inside the five-minute window


def test_ten_replays_of_a_signed_slash_command_are_answered_once(slack, fake):
    body = urllib.parse.urlencode(slack.command_form(SIGRID, "kan jeg legge ut et bilde av kollegaen min?"))
    headers = sign(SECRET, body)
    replies = [post(slack.url, body, headers, "application/x-www-form-urlencoded") for _ in range(10)]
    assert [status for status, _ in replies] == [200] * 10
    assert json.loads(replies[0][1])["text"].startswith("Ser etter")
    assert all(text == "" for _, text in replies[1:])
    (answer,) = fake.wait_for("response/cmd")
    assert "punkt 4.4" in all_text(answer)
    settle(fake)
    assert len(fake.calls_to("response/cmd")) == 1
    assert slack.store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 1


def test_ten_replays_of_ja_send_and_a_second_click_send_one_dm(slack, fake):
    slack.send_event(dm("hvordan bytter jeg passord?"))
    (posted,) = fake.wait_for("chat.postMessage")
    slack.click(SIGRID, buttons(posted)[blocks.ASK_LEADER], {"ts": "1", "blocks": posted["blocks"]}, DM)
    (confirm,) = fake.wait_for("chat.postEphemeral")
    send = buttons(confirm)[blocks.SEND_TO_LEADER]
    body = urllib.parse.urlencode(slack.click_form(SIGRID, send, None, DM, response="confirm"))
    headers = sign(SECRET, body)
    assert [post(slack.url, body, headers, "application/x-www-form-urlencoded")[0] for _ in range(10)] == [200] * 10
    slack.click(SIGRID, send, None, DM, response="again")  # a new click on the same question
    assert fake.wait_for("response/again")[0]["text"].startswith("Dette spørsmålet er allerede sendt")
    settle(fake)
    assert [p["channel"] for p in fake.calls_to("chat.postMessage")] == [DM, KARI]
    assert slack.store.read("SELECT count(*) AS n FROM escalations")[0]["n"] == 1
    claims = json.dumps([tuple(r) for r in slack.store.read("SELECT * FROM events")])
    assert SIGRID not in claims  # claims are keyed hashes


def test_ja_send_needs_a_fresh_confirmation_of_its_own(slack, fake):
    slack.send_event(dm("hvordan bytter jeg passord?"))
    (posted,) = fake.wait_for("chat.postMessage")
    ask = buttons(posted)[blocks.ASK_LEADER]
    # The "Spør lederen min" value itself, or a confirmation sealed an hour ago, sends nothing.
    slack.click(SIGRID, {**ask, "action_id": blocks.SEND_TO_LEADER}, None, DM, response="skipped")
    assert "for gammel" in fake.wait_for("response/skipped")[0]["text"]
    key = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET).value_key
    old = blocks.value(q=1, e="", l="nb", t="hvordan bytter jeg passord?", x=int(time.time()) - 1)
    stale = blocks.seal(blocks.leader_confirmation(Leader("Kari Nordvik", slack_user=KARI), False, "nb", old),
                        key, SIGRID, DM)
    slack.click(SIGRID, buttons(stale)[blocks.SEND_TO_LEADER], None, DM, response="stale")
    assert "for gammel" in fake.wait_for("response/stale")[0]["text"]
    settle(fake)
    assert [p["channel"] for p in fake.calls_to("chat.postMessage")] == [DM]


def test_ten_replays_of_a_feedback_click_record_one_row(slack, fake):
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (posted,) = fake.wait_for("chat.postMessage")
    form = slack.click_form(SIGRID, buttons(posted)[blocks.USEFUL], {"ts": "1", "blocks": posted["blocks"]}, DM)
    body = urllib.parse.urlencode(form)
    headers = sign(SECRET, body)
    for _ in range(10):
        post(slack.url, body, headers, "application/x-www-form-urlencoded")
    fake.wait_for("response/r1")
    settle(fake)
    assert slack.store.read("SELECT count(*) AS n FROM feedback")[0]["n"] == 1
    assert len(fake.calls_to("response/r1")) == 1


# -- 7. button values: only what the bot issued, to whom and where it issued it


def test_forged_or_foreign_button_values_change_nothing_and_are_refused_politely(slack, fake):
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (sigrids,) = fake.wait_for("chat.postMessage")
    useful = buttons(sigrids)[blocks.USEFUL]
    seal, inner = useful["value"].split(".", 1)
    issued = json.loads(inner)
    other_question = json.dumps({**issued, "q": issued["q"] + 1}, separators=(",", ":"))
    forged = [
        json.dumps({"q": 2**63, "e": "bilder-av-kollegaer"}),
        json.dumps({"q": 1, "e": "x" * 100_000}),
        f"{seal}.{other_question}",  # the asker's seal on another question's id
        "x" * 22 + "." + json.dumps({"q": 1, "e": "bilder-av-kollegaer"}),
    ]
    for n, value in enumerate(forged):
        slack.click(SIGRID, {**useful, "value": value}, None, DM, response=f"forged{n}")
    slack.click(KARI, useful, None, DM, response="kari")  # someone else's button
    slack.click(SIGRID, useful, None, "D0SOMEONE1", response="elsewhere")  # another channel
    for name in [f"forged{n}" for n in range(len(forged))] + ["kari", "elsewhere"]:
        (reply,) = fake.wait_for(f"response/{name}")
        assert reply["response_type"] == "ephemeral" and "Denne knappen kan jeg ikke bruke" in reply["text"]
    settle(fake)
    assert slack.store.read("SELECT count(*) AS n FROM feedback")[0]["n"] == 0
    assert "Beklager" not in json.dumps(fake.calls, ensure_ascii=False)
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_none_of_these_posts_only_where_it_was_issued(slack, fake):
    slack.send_event(dm("roller?"))  # a vague question: asked back
    (clarify,) = fake.wait_for("chat.postMessage")
    none = buttons(clarify)[blocks.NONE_OF_THESE]
    message = {"ts": "1700000000.1", "blocks": clarify["blocks"]}
    slack.click(SIGRID, none, message, "C0ELSEWHERE", response="elsewhere")
    assert "Denne knappen" in fake.wait_for("response/elsewhere")[0]["text"]
    slack.click(SIGRID, none, message, DM)
    referral = fake.wait_for("chat.postMessage", 2)[1]
    assert referral["channel"] == DM
    settle(fake)
    assert [p["channel"] for p in fake.calls_to("chat.postMessage")] == [DM, DM]


def test_buttons_in_every_answer_are_sealed_to_the_asker_and_channel(slack, fake):
    slack.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
    (posted,) = fake.wait_for("chat.postMessage")
    slack.command(SIGRID, "kan jeg legge ut et bilde av kollegaen min?", channel=CHANNEL)
    (slash,) = fake.wait_for("response/cmd")
    key = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET).value_key
    assert buttons(slash)
    for message, channel in ((posted, DM), (slash, CHANNEL)):
        for button in buttons(message).values():
            assert blocks.open_value(button["value"], key, SIGRID, channel) is not None
            assert blocks.open_value(button["value"], key, KARI, channel) is None
            assert len(button["value"]) <= blocks.BUTTON_VALUE_LIMIT


# -- 3. slow clients, and the address we listen on


def test_a_client_trickling_bytes_is_cut_off_at_the_request_deadline(bot, tmp_path, fake):
    harness = SlackHarness(bot, tmp_path / "g.sqlite3", fake)
    harness.server.stop()
    harness.server = HttpServer(harness.app, "127.0.0.1", 0, SECRET, channel_timeout=30, request_deadline=1).start()
    try:
        with socket.create_connection(("127.0.0.1", harness.server.port), timeout=5) as trickler:
            trickler.sendall(b"POST /slack/events HTTP/1.1\r\n")
            closed = False
            for _ in range(40):  # one byte every 0.25 s: never silent long enough for channel_timeout
                try:
                    trickler.sendall(b"X")
                    trickler.settimeout(0.25)
                    closed = trickler.recv(1) == b""
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                if closed:
                    break
        assert closed
    finally:
        harness.close()


def test_http_mode_listens_on_loopback_unless_told_otherwise():
    from bot.cli import build_parser

    assert build_parser().parse_args(["slack", "--http"]).host == "127.0.0.1"


# -- 18. HTTPS_PROXY


def test_the_slack_clients_go_through_https_proxy(bot, tmp_path, fake, monkeypatch):
    proxy = RecordingProxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        settings = SlackSettings.from_env(http=True)
        assert settings.proxy == proxy.url
        harness = SlackHarness(bot, tmp_path / "p.sqlite3", fake, proxy=settings.proxy)
        try:
            harness.send_event(dm("kan jeg legge ut et bilde av kollegaen min?"))
            (posted,) = fake.wait_for("chat.postMessage")
            harness.click(SIGRID, buttons(posted)[blocks.USEFUL], None, DM, response="via-proxy")
            fake.wait_for("response/via-proxy")
        finally:
            harness.close()
        relayed = [url for _, url in proxy.seen]
        assert f"{fake.api_url}chat.postMessage" in relayed  # the Web API
        assert fake.response_url("via-proxy") in relayed  # and response_url (Bolt's respond)
    finally:
        proxy.stop()


def test_no_proxy_is_honoured_and_a_bad_proxy_is_named(fake, monkeypatch):
    proxy = RecordingProxy()
    try:
        monkeypatch.setenv("https_proxy", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        settings = SlackSettings(bot_token="xoxb-test", api_url=fake.api_url)
        from bot.adapters.slack.settings import proxy_from_env

        assert proxy_from_env(fake.api_url) == ""
        make_client(settings).chat_postMessage(channel=DM, text="direct")
        assert fake.calls_to("chat.postMessage") and proxy.seen == []
    finally:
        proxy.stop()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("HTTPS_PROXY", "proxy.kommune.no")
    with pytest.raises(SettingsError, match="HTTPS_PROXY must look like http://"):
        SlackSettings.from_env(http=True, need_secret=False)
