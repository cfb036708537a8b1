"""The Teams app end to end over its real HTTP path: uvicorn on loopback receives activities
signed as the Bot Connector signs them (RSA keys made here, served as the Bot Framework's
OpenID metadata by a local fake); the app gets its own token through real MSAL from a fake
Entra over TLS (a test CA), and talks to fakes of the Bot Connector and Microsoft Graph that
record every call. Nothing here mocks guidebot's own code or the Teams SDK."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from teams_fake import CLIENT_ID, KEY_ID, TENANT, FakeMicrosoft, new_key, post
from teams_harness import (
    CHANNEL,
    PEOPLE,
    PERSONAL,
    TeamsHarness,
    TeamsProcess,
    actions_of,
    all_text,
    card_of,
    members,
    process_env,
)

from bot.adapters.teams import cards
from bot.log.store import Store
from tests.conftest import ROOT, plain_env

KARI_GRAPH = {"id": "m-kari", "displayName": "Kari Nordvik", "mail": "kari.nordvik@batsfjord.kommune.no",
              "userPrincipalName": "kari.nordvik@batsfjord.kommune.no"}


@pytest.fixture(scope="module")
def microsoft():
    server = FakeMicrosoft().start()
    yield server
    server.stop()


@pytest.fixture()
def fake(microsoft):
    microsoft.restore(members(), {PEOPLE["sigrid"][1]: KARI_GRAPH})
    return microsoft


@pytest.fixture()
def teams(bot, tmp_path, fake):
    harness = TeamsHarness(bot, tmp_path / "guidebot.sqlite3", fake)
    yield harness
    harness.close()


def settle(seconds: float = 0.3) -> None:
    """Give any (wrongly) running listener time to post before asserting that nothing was."""
    time.sleep(seconds)


def texts(content: dict) -> list[str]:
    """Every TextRun and TextBlock text in a card."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("TextRun", "TextBlock"):
                found.append(node["text"])
            for key, value in node.items():
                if key != "data":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(content)
    return found


def invoke_card(body: str) -> dict:
    reply = json.loads(body)
    assert reply["type"] == cards.CARD_TYPE, reply
    return reply["value"]


def count_rows(teams: TeamsHarness, table: str) -> int:
    return teams.store.read(f"SELECT count(*) AS n FROM {table}")[0]["n"]


# -- answers


def test_personal_chat_gets_answer_card_with_verbatim_quote_and_feedback(teams, fake, bot):
    status, _ = teams.send(teams.message("kan jeg legge ut et bilde av kollegaen min?"))
    assert status == 200
    (posted,) = fake.posted()
    entry = next(e for e in bot.knowledge.entries if e.id == "bilder-av-kollegaer")
    content = card_of(posted)
    assert content["version"] == "1.5" and posted["attachments"][0]["contentType"] == cards.CARD_TYPE
    assert f"«{entry.quote}»" in texts(content)
    citation = " ".join(texts(content))
    assert "punkt 4.4" in citation and "Retningslinjer for bruk av sosiale medier" in citation
    assert "revidert 20.04.2023" in citation
    assert posted["channelData"]["feedbackLoop"] == {"type": "default"}  # Teams' own 👍/👎
    assert [a["title"] for a in actions_of(content)] == ["Spør lederen min"]
    kinds = [body.get("type") for kind, _, body in fake.calls if kind == "send"]
    assert kinds[0] == "typing" and kinds[-1] == "message"


def test_replies_carry_the_token_the_bot_got_from_entra_through_msal(teams, fake):
    teams.send(teams.message("hvor fort må vi svare på facebook?"))
    (request,) = [r for r in fake.token_requests if r["scope"] == "https://api.botframework.com/.default"]
    assert request["tenant"] == TENANT and request["client_id"] == CLIENT_ID
    assert request["grant_type"] == "client_credentials"
    sent_headers = [h for kind, h in fake.headers if kind == "send"]
    assert sent_headers and all(h["Authorization"].startswith("Bearer ey") for h in sent_headers)


def test_mention_in_a_channel_is_stripped_answered_in_the_thread_and_logged(teams, fake):
    thread = f"{CHANNEL};messageid=1700000000001"
    status, _ = teams.send(teams.message("hvor fort må vi svare på facebook?", conversation=thread, mention=True))
    assert status == 200
    (path, body) = [c for c in fake.calls_of("send") if c[1].get("type") == "message"][0]
    assert urllib.parse.unquote(path) == f"/teams/v3/conversations/{thread}/activities"
    assert "4.4" in all_text(body)
    (row,) = teams.store.read("SELECT surface, text FROM questions")
    assert row["surface"] == "mention" and "guidebot" not in row["text"] and "<at>" not in row["text"]


def test_channel_messages_without_a_mention_are_not_for_guidebot(teams, fake):
    assert teams.send(teams.message("kan jeg poste bilde?", conversation=CHANNEL))[0] == 200
    settle()
    assert fake.posted() == [] and count_rows(teams, "questions") == 0


def test_english_question_gets_english_frame(teams, fake):
    teams.send(teams.message("can I use facebook at work?"))
    (posted,) = fake.posted()
    assert "section 4.1" in all_text(posted) and [a["title"] for a in actions_of(card_of(posted))] == ["Ask my leader"]


# -- referral and the nearest leader


def test_referral_names_the_leader_graph_gives(teams, fake):
    fake.managers[PEOPLE["sigrid"][1]] = {**KARI_GRAPH, "displayName": "Kari Nordvik (Graph)"}
    teams.send(teams.message("hvordan bytter jeg passord?"))
    (posted,) = fake.posted()
    text = all_text(posted)
    assert "Kari Nordvik (Graph)" in text and "#it-hjelp" in text
    assert "Tvilstilfeller i forhold til retningslinjene tas opp med nærmeste leder." in text
    (path, _) = fake.calls_of("manager")[0]
    assert path == f"/graph/v1.0/users/{PEOPLE['sigrid'][1]}/manager"
    graph_headers = [h for kind, h in fake.headers if kind == "manager"]
    assert graph_headers[0]["Authorization"].startswith("Bearer ey")


def test_the_chat_link_names_the_graph_manager_by_upn(teams, fake):
    fake.managers[PEOPLE["sigrid"][1]] = {"id": "m", "displayName": "Kari Nordvik", "mail": "kari@batsfjord.no",
                                          "userPrincipalName": "kari.nordvik@batsfjord.kommune.no"}
    teams.send(teams.message("hvordan bytter jeg passord?"))
    teams.click(actions_of(card_of(fake.posted()[0]))[0])
    yes, _ = actions_of(card_of(fake.posted()[1]))
    link = invoke_card(teams.click(yes)[1])["actions"][0]["url"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["users"] == ["kari.nordvik@batsfjord.kommune.no"]


def test_no_manager_in_graph_falls_back_to_contacts_by_email_or_upn(teams, fake):
    # Graph: 404; Elin's e-mail is not in contacts.yaml, her UPN is.
    teams.send(teams.message("hvordan bytter jeg passord?", who="elin"))
    (posted,) = fake.posted()
    assert "Aslak Persen" in all_text(posted)
    assert fake.calls_of("manager")  # asked, got 404


def test_graph_failure_falls_back_to_contacts_and_the_manager_is_cached(teams, fake):
    fake.fail_next["manager"] = [(503, {"error": {"code": "ServiceUnavailable"}})]
    teams.send(teams.message("hvordan bytter jeg passord?"))
    assert "Kari Nordvik" in all_text(fake.posted()[0])  # Sigrid's leader in contacts.yaml
    teams.send(teams.message("hvordan bytter jeg passord? igjen", who="elin"))
    teams.send(teams.message("hvordan bytter jeg passord? en gang til", who="elin"))
    assert len([p for p, _ in fake.calls_of("manager") if PEOPLE["elin"][1] in p]) == 1  # 404 cached


def test_unknown_asker_is_sent_to_it(teams, fake):
    teams.send(teams.message("hvordan bytter jeg passord?", who="guest"))  # no member, no manager
    text = all_text(fake.posted()[0])
    assert "Spør din nærmeste leder, eller IT-avdelingen" in text
    assert actions_of(card_of(fake.posted()[0])) == []  # nobody to open a chat with


def test_politician_is_sent_to_the_political_contact_even_with_a_manager_in_graph(teams, fake):
    fake.managers[PEOPLE["ola"][1]] = KARI_GRAPH  # elected, yet Entra names a manager
    teams.send(teams.message("hvordan bytter jeg passord?", who="ola"))
    text = all_text(fake.posted()[0])
    assert "Politisk sekretariat" in text and "Kari Nordvik" not in text


# -- ask back, choose, and "Ingen av disse"


def test_clarify_offers_choices_and_a_pick_answers_and_replaces_the_card(teams, fake):
    thread = f"{CHANNEL};messageid=1700000000002"
    teams.send(teams.message("roller?", conversation=thread, mention=True))
    (asked,) = fake.posted()
    content = card_of(asked)
    picks = [a for a in actions_of(content) if a["verb"] == cards.PICK]
    assert len(picks) >= 2 and actions_of(content)[-1]["title"] == "Ingen av disse"
    assert picks[0]["fallback"]["type"] == "Action.Submit"
    status, body = teams.click(picks[0], conversation=thread, reply_to="bot-msg-41")
    assert status == 200
    replaced = invoke_card(body)
    assert texts(replaced)[0].startswith("Du valgte punkt")
    (path, update) = fake.calls_of("update")[0]  # replaced for everyone in the channel, too
    assert path.endswith("/activities/bot-msg-41") and card_of(update) == replaced
    answer = fake.posted()[1]
    assert any(t.startswith("«") for t in texts(card_of(answer)))
    (chosen,) = teams.store.read("SELECT entry FROM choices")
    assert f"punkt {teams.teams.bot.entry(chosen['entry']).section}" in texts(replaced)[0]


def test_none_of_these_refers_and_replaces_the_card(teams, fake):
    teams.send(teams.message("roller?"))
    none = actions_of(card_of(fake.posted()[0]))[-1]
    status, body = teams.click(none)
    assert texts(invoke_card(body)) == ["Du valgte «Ingen av disse»."]
    referral = all_text(fake.posted()[1])
    assert "svarer ikke sikkert" in referral and "Kari Nordvik" in referral


def test_submit_from_an_older_client_updates_the_card_in_place(teams, fake):
    teams.send(teams.message("roller?"))
    pick = actions_of(card_of(fake.posted()[0]))[0]
    submitted = teams.activity("message", value=pick["fallback"]["data"], replyToId="bot-msg-7")
    assert teams.send(submitted)[0] == 200
    (path, update) = fake.wait_for("update")[0]
    assert path.endswith("/activities/bot-msg-7") and "Du valgte punkt" in all_text(update)
    assert count_rows(teams, "choices") == 1


def test_card_data_the_bot_did_not_issue_here_is_refused(teams, fake):
    teams.send(teams.message("roller?"))
    pick = actions_of(card_of(fake.posted()[0]))[0]
    payload, mac = pick["data"]["guidebot"].split(".")
    forged_fields = json.dumps({"v": "pick", "q": 999, "e": "bilder-av-kollegaer", "l": "nb", "t": "x"})
    import base64

    forged = {"guidebot": base64.urlsafe_b64encode(forged_fields.encode()).decode() + "." + mac}
    for data in (forged, {"guidebot": "garbage"}, {}, {"guidebot": payload + "." + mac[:-2] + "AA"}):
        status, body = teams.click({"verb": "pick", "data": data})
        assert status == 200 and "virker ikke lenger" in all_text(json.loads(body))
    # The real card data, but clicked in another conversation.
    status, body = teams.click(pick, conversation="a:1someone-else")
    assert "virker ikke lenger" in body
    assert count_rows(teams, "choices") == 0 and len(fake.posted()) == 1


# -- "Spør lederen min": confirmation, then a deep link the asker uses themselves


def test_ask_my_leader_confirms_then_gives_a_chat_link_with_the_question_as_draft(teams, fake):
    teams.send(teams.message("hvordan bytter jeg passord? ring meg på 91234567"))
    ask = actions_of(card_of(fake.posted()[0]))[0]
    assert ask["verb"] == cards.ASK_LEADER
    status, body = teams.click(ask)
    assert status == 200 and json.loads(body)["type"] == "application/vnd.microsoft.activity.message"
    confirm = card_of(fake.posted()[1])
    assert "Kari Nordvik" in all_text(confirm) and "Du sender det selv" in all_text(confirm)
    assert count_rows(teams, "escalations") == 0  # nothing yet
    yes, cancel = actions_of(confirm)
    status, body = teams.click(yes)
    link_card = invoke_card(body)
    (open_url,) = link_card["actions"]
    assert open_url["type"] == "Action.OpenUrl"
    link = urllib.parse.urlsplit(open_url["url"])
    query = urllib.parse.parse_qs(link.query)
    assert link.netloc == "teams.microsoft.com" and link.path == "/l/chat/0/0"
    assert query["users"] == ["kari.nordvik@batsfjord.kommune.no"]
    assert "hvordan bytter jeg passord? ring meg på 91234567" in query["message"][0]
    assert count_rows(teams, "escalations") == 1
    assert len(fake.posted()) == 2  # guidebot itself sent nothing to the leader


def test_ask_my_leader_cancel_does_nothing(teams, fake):
    teams.send(teams.message("kan jeg legge ut et bilde av kollegaen min?"))
    teams.click(actions_of(card_of(fake.posted()[0]))[0])
    _, cancel = actions_of(card_of(fake.posted()[1]))
    status, body = teams.click(cancel)
    assert texts(invoke_card(body)) == ["Greit, jeg gjorde ingenting."]
    assert count_rows(teams, "escalations") == 0


# -- feedback, help, welcome


def test_feedback_controls_are_logged_like_slacks_buttons_without_the_free_text(teams, fake):
    teams.send(teams.message("kan jeg legge ut et bilde av kollegaen min?"))
    (message_id,) = fake.message_ids
    assert teams.feedback("dislike", message_id, text="Kari Nordvik sa noe annet, ring 91234567")[0] == 200
    rows = teams.store.read(
        "SELECT q.entry, f.entry AS fentry, f.useful FROM feedback f JOIN questions q ON q.id = f.question_id"
    )
    assert [tuple(r) for r in rows] == [("bilder-av-kollegaer", "bilder-av-kollegaer", 0)]
    teams.feedback("like", "not-a-message-of-ours")
    assert count_rows(teams, "feedback") == 1
    dump = "\n".join(json.dumps(tuple(r), ensure_ascii=False) for table in ("questions", "feedback")
                     for r in teams.store.read(f"SELECT * FROM {table}"))
    assert "91234567" not in dump and "sa noe annet" not in dump


def feedback_rows(store: Store) -> list[tuple]:
    return [tuple(r) for r in store.read(
        "SELECT q.entry, f.entry, f.useful FROM feedback f JOIN questions q ON q.id = f.question_id")]


def test_feedback_reaching_another_instance_on_the_same_database_is_logged_once(bot, tmp_path, fake):
    first = TeamsHarness(bot, tmp_path / "shared.sqlite3", fake)
    second = TeamsHarness(bot, tmp_path / "shared.sqlite3", fake)
    try:
        first.send(first.message("kan jeg legge ut et bilde av kollegaen min?"))
        (message_id,) = fake.message_ids
        click = second.activity("invoke", name="message/submitAction", replyToId=message_id, value={
            "actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": "{}"}})
        assert second.send(click)[0] == 200
        assert second.send(click)[0] == 200  # the Bot Connector's retry of the same invoke
        assert first.send(click)[0] == 200  # ... reaching the other instance
        assert feedback_rows(second.store) == [("bilder-av-kollegaer", "bilder-av-kollegaer", 0)]
        assert second.feedback("like", message_id)[0] == 200  # a changed mind replaces the vote
        assert feedback_rows(first.store) == [("bilder-av-kollegaer", "bilder-av-kollegaer", 1)]
        # The same message id in another conversation, ids the bot never issued, odd values: ignored.
        for forged in (dict(reply_to=message_id, conversation="a:1someone-else"), dict(reply_to="bot-msg-999"),
                       dict(reply_to="x" * 5000), dict(reply_to="")):
            assert second.feedback("dislike", **forged)[0] == 200
        settle()
        assert feedback_rows(first.store) == [("bilder-av-kollegaer", "bilder-av-kollegaer", 1)]
        assert len(fake.posted()) == 1  # feedback never posts anything
        handles = first.store.read("SELECT * FROM answer_handles")
        assert len(handles) == 1
        assert message_id not in all_text([str(v) for v in handles[0]]) and "personal" not in str(tuple(handles[0]))
    finally:
        first.close()
        second.close()


def test_feedback_after_a_restart_of_the_teams_process_is_logged_once(tmp_path, fake):
    db = tmp_path / "restart.sqlite3"
    env = process_env(fake, db)
    app = TeamsProcess(env).start()
    try:
        harness = TeamsHarness.remote(fake, app.url)
        assert harness.send(harness.message("kan jeg legge ut et bilde av kollegaen min?"))[0] == 200
        (message_id,) = fake.message_ids
    finally:
        assert app.stop()[0] == 0
    app = TeamsProcess(env).start()  # a new process: nothing of the first one's memory is left
    try:
        harness = TeamsHarness.remote(fake, app.url)
        click = harness.activity("invoke", name="message/submitAction", replyToId=message_id, value={
            "actionName": "feedback", "actionValue": {"reaction": "like", "feedback": "{}"}})
        assert [harness.send(click)[0] for _ in range(2)] == [200, 200]
        assert harness.feedback("like", "bot-msg-12345")[0] == 200  # never posted: ignored
    finally:
        assert app.stop()[0] == 0
    store = Store(db)
    try:
        assert feedback_rows(store) == [("bilder-av-kollegaer", "bilder-av-kollegaer", 1)]
    finally:
        store.close()


def test_help_explains_what_is_logged_and_logs_nothing(teams, fake):
    teams.send(teams.message("hjelp"))
    teams.send(teams.message("help", conversation=f"{CHANNEL};messageid=1", mention=True))
    first, second = fake.posted()
    assert "Dokumenter jeg kjenner" in all_text(first) and "90 dager" in all_text(first)
    assert "Documents I know" in all_text(second) and "90 days" in all_text(second)
    assert count_rows(teams, "questions") == 0


def test_install_posts_the_privacy_notice_in_a_team_but_nothing_in_personal_scope(teams, fake):
    """Personal scope has prompt starters instead of a welcome message (one or the other)."""
    assert teams.send(teams.activity("installationUpdate", action="add"))[0] == 200
    assert fake.posted() == []
    assert teams.send(teams.activity("installationUpdate", conversation=CHANNEL, action="add"))[0] == 200
    (welcome,) = fake.posted()
    assert "ordrett sitat" in all_text(welcome) and "ingen bruker-id" in all_text(welcome)


# -- leaders' report


def test_report_gives_leaders_a_summary_card_and_the_html_file(teams, fake):
    teams.store.clock = lambda: datetime.now(UTC) - timedelta(days=7)  # asked last week: reports show finished weeks
    teams.send(teams.message("kan jeg legge ut et bilde av kollegaen min?"))
    teams.send(teams.message("hvordan bytter jeg passord?"))
    teams.store.clock = lambda: datetime.now(UTC)
    fake.reset()
    kari_chat = "a:1personal-kari"
    teams.send(teams.message("rapport", who="kari", conversation=kari_chat))
    summary, consent = fake.posted()
    assert "2 spørsmål" in all_text(summary) and "punkt 4.4" in all_text(summary) and "Ubesvarte: 1" in all_text(summary)
    attachment = consent["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
    assert attachment["name"].startswith("guidebot-rapport-") and attachment["name"].endswith(".html")
    upload_url = f"{fake.base}/upload/{attachment['name']}"
    value = {"type": "fileUpload", "action": "accept", "context": attachment["content"]["acceptContext"],
             "uploadInfo": {"name": attachment["name"], "uploadUrl": upload_url, "contentUrl": "https://onedrive/x",
                            "uniqueId": "u1", "fileType": "html"}}
    accepted = teams.activity("invoke", "kari", kari_chat, name="fileConsent/invoke", value=value, replyToId="bot-msg-9")
    assert teams.send(accepted)[0] == 200
    (path, uploaded) = fake.calls_of("upload")[0]
    assert uploaded["raw"].startswith("<!doctype html>") and "Mest spurte punkter" in uploaded["raw"]
    info = fake.posted()[-1]["attachments"][0]
    assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"


def test_report_is_refused_to_everyone_but_leaders(teams, fake):
    teams.send(teams.message("rapport"))
    assert "bare for ledere" in all_text(fake.posted()[0])
    teams.send(teams.message("rapport", who="kari", conversation=f"{CHANNEL};messageid=2", mention=True))
    assert "personlig chat" in all_text(fake.posted()[1])
    assert fake.calls_of("upload") == [] and len(fake.posted()) == 2


def test_file_consent_with_a_forged_context_uploads_nothing(teams, fake):
    value = {"type": "fileUpload", "action": "accept", "context": {"guidebot": "x.y"},
             "uploadInfo": {"name": "r.html", "uploadUrl": f"{fake.base}/upload/r.html"}}
    accepted = teams.activity("invoke", "kari", "a:1personal-kari", name="fileConsent/invoke", value=value)
    assert teams.send(accepted)[0] == 200
    settle()
    assert fake.calls_of("upload") == [] and fake.posted() == []


# -- Teams' rules and hostile input


@pytest.mark.parametrize(
    "options",
    [
        {"token": None},
        {"token": "not-a-jwt"},
        {"audience": "00000000-0000-4000-8000-0000000000ff"},
        {"issuer": "https://evil.example"},
        {"key": "other"},
        {"expires_in": -3600},
        {"service_url": "https://attacker.example/teams/"},
        {"issuer": "entra"},
    ],
    ids=["none", "garbage", "wrong-audience", "wrong-issuer", "bad-signature", "expired", "serviceurl-mismatch",
         "entra-token-not-from-the-agent-platform"],
)
def test_bad_tokens_get_401_and_nothing_is_posted_or_logged(teams, fake, options):
    if options.get("key") == "other":
        options = {"key": new_key()}
    if options.get("issuer") == "entra":  # the SDK's other path: an Entra token (Agent 365 only)
        options = {"issuer": f"{fake.login_url}/{TENANT}/v2.0", "tid": TENANT, "azp": CLIENT_ID}
    status, _ = teams.send(teams.message("kan jeg poste bilde?"), **options)
    assert status == 401
    settle(0.2)
    assert fake.posted() == [] and fake.calls_of("member") == []
    assert count_rows(teams, "questions") == 0 and count_rows(teams, "events") == 0


def test_token_signed_by_an_unknown_key_id_is_refused(teams, fake):
    import jwt

    token = jwt.encode({"iss": "https://api.botframework.com", "aud": CLIENT_ID, "exp": int(time.time()) + 600,
                        "serviceurl": fake.service_url}, new_key(), algorithm="RS256", headers={"kid": KEY_ID + "x"})
    assert teams.send(teams.message("hei"), token=token)[0] == 401


def test_other_tenants_are_refused_and_nothing_is_posted(teams, fake):
    other = teams.message("kan jeg poste bilde?", tenant="99999999-0000-4000-8000-000000000000",
                          channelData={"tenant": {"id": "99999999-0000-4000-8000-000000000000"}})
    assert teams.send(other)[0] == 403
    settle()
    assert fake.posted() == [] and count_rows(teams, "questions") == 0


def test_a_retried_activity_is_answered_once(teams, fake):
    activity = teams.message("kan jeg legge ut et bilde av kollegaen min?", id="1700000000100")
    assert [teams.send(activity)[0] for _ in range(3)] == [200, 200, 200]
    # The same id in another conversation is another activity.
    assert teams.send({**activity, "conversation": {**activity["conversation"], "id": "a:1other"}})[0] == 200
    settle()
    assert len(fake.posted()) == 2 and count_rows(teams, "questions") == 2


def test_two_processes_sharing_the_database_answer_once(bot, tmp_path, fake):
    first = TeamsHarness(bot, tmp_path / "shared.sqlite3", fake)
    second = TeamsHarness(bot, tmp_path / "shared.sqlite3", fake)
    try:
        activity = first.message("kan jeg legge ut et bilde av kollegaen min?", id="1700000000200")
        results = []
        threads = [threading.Thread(target=lambda h=h: results.append(h.send(activity)))
                   for h in (first, second, first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [status for status, _ in results] == [200] * 4
        settle()
        assert len(fake.posted()) == 1
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json at all",
        b"[1, 2, 3]",
        b'{"type": "message"}',
        b'{"type":' + b'"x' * 20,
        b"\xff\xfe\x00garbage",
        b"[" * 200_000,  # nesting deeper than the JSON parser's recursion limit
        b'{"type": "message", "value": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001,
        json.dumps({"type": "message", "id": 5, "serviceUrl": "x", "from": {}, "conversation": {}}).encode(),
    ],
)
def test_malformed_bodies_get_4xx_and_no_crash(teams, fake, body):
    status, _ = post(teams.url, body, {"Authorization": f"Bearer {fake.activity_token()}"})
    assert 400 <= status < 500, status
    with urllib.request.urlopen(teams.url.replace("/api/messages", "/healthz")) as response:
        assert response.status == 200


def test_huge_bodies_are_refused_before_anything_else(teams, fake):
    # The refusal comes from the declared length, before the body is read: so send the headers
    # and the first bytes only and read the answer (a client still writing 1 MB may otherwise
    # find the connection closed under it before it reads the 413).
    huge = json.dumps(teams.message("x" * 1_100_000)).encode()
    address = urllib.parse.urlsplit(teams.url)
    token = fake.activity_token()
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(
            f"POST {address.path} HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(huge)}\r\n\r\n".encode() + huge[:1000]
        )
        status_line = connection.makefile("rb").readline().decode()
    assert status_line.split()[1] == "413", status_line
    assert fake.posted() == []


def test_unknown_activity_types_and_odd_messages_are_ignored_politely(teams, fake):
    assert teams.send(teams.activity("somethingNew", value={"a": 1}))[0] == 200
    assert teams.send(teams.activity("invoke", name="composeExtension/query", value={}))[0] in (200, 400, 501)
    assert teams.send(teams.activity("messageReaction", reactionsAdded=[{"type": "like"}]))[0] == 200
    assert teams.send(teams.message("", attachments=[{"contentType": "image/png", "contentUrl": "https://x/y.png"}]))[0] == 200
    settle()
    posted = fake.posted()
    assert [p.get("text") for p in posted] == [cards.TEXTS["nb"]["only_text"]]


def test_a_long_question_gets_an_answer_and_a_note(teams, fake):
    question = "kan jeg legge ut et bilde av kollegaen min? "
    teams.send(teams.message(question * 500))  # padded with itself: padding with noise is asked back
    assert "de første 2000 tegnene" in all_text(fake.posted()[0])


def test_user_text_is_never_read_as_markdown(teams, fake):
    nasty = "hvordan bytter jeg passord? [kommune.no](https://evil.example) **fet** <b>x</b>"
    teams.send(teams.message(nasty))
    teams.click(actions_of(card_of(fake.posted()[0]))[0])
    for posted in fake.posted():
        for node in _nodes(card_of(posted)):
            if node.get("type") == "TextBlock":
                assert "evil.example" not in node["text"]


def _nodes(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def test_a_throttled_answer_waits_out_retry_after_and_is_posted(teams, fake):
    fake.fail_next["send"] = [(200, {"id": "typing"}), (429, {"error": {"code": "Throttled"}}, {"Retry-After": "1"})]
    started = time.monotonic()
    assert teams.send(teams.message("kan jeg legge ut et bilde av kollegaen min?"))[0] == 200
    assert time.monotonic() - started >= 1.0
    (posted,) = fake.posted()
    assert "4.4" in all_text(posted) and fake.attempts["send"] == 3


def test_a_failing_connector_gets_an_apology_with_it_contact_and_the_bot_keeps_running(teams, fake):
    fake.fail_next["send"] = [(200, {"id": "typing"}), (500, {"error": {"code": "ServiceError"}})]
    assert teams.send(teams.message("kan jeg legge ut et bilde av kollegaen min?"))[0] in (200, 500)
    apology = fake.posted()[-1]
    assert apology["text"].startswith("Beklager") and "#it-hjelp" in apology["text"]
    assert "Traceback" not in apology["text"] and "ServiceError" not in apology["text"]
    fake.reset()
    teams.send(teams.message("hvor fort må vi svare?"))
    assert "4.4" in all_text(fake.posted()[0])


def test_question_log_holds_no_identity(teams, fake):
    teams.send(teams.message("kan Kari Nordvik se bildet mitt? mail sigrid.eriksen@batsfjord.kommune.no"))
    (row,) = teams.store.read("SELECT * FROM questions")
    values = json.dumps(tuple(row), ensure_ascii=False)
    user_id, aad, email = PEOPLE["sigrid"]
    for identity in (user_id, aad, email, PERSONAL, "Sigrid", "Kari"):
        assert identity not in values
    assert row["platform"] == "teams" and not {"role", "department"} & set(row.keys())
    assert row["surface"] == "dm" and "[navn]" in row["text"] and "[e-post]" in row["text"]
    events = json.dumps([tuple(r) for r in teams.store.read("SELECT * FROM events")])
    assert PERSONAL not in events


# -- configuration and the command line


def test_settings_fail_fast_naming_the_variable(monkeypatch):
    from bot.adapters.teams.settings import SettingsError, TeamsSettings

    for name in ("TEAMS_CLIENT_ID", "TEAMS_CLIENT_SECRET", "TEAMS_TENANT_ID", "TEAMS_LOGIN_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError, match="TEAMS_CLIENT_ID"):
        TeamsSettings.from_env()
    monkeypatch.setenv("TEAMS_CLIENT_ID", CLIENT_ID)
    with pytest.raises(SettingsError, match="TEAMS_CLIENT_SECRET"):
        TeamsSettings.from_env()
    monkeypatch.setenv("TEAMS_CLIENT_SECRET", "s")
    with pytest.raises(SettingsError, match="TEAMS_TENANT_ID"):
        TeamsSettings.from_env()
    monkeypatch.setenv("TEAMS_TENANT_ID", "kommune.onmicrosoft.com")
    with pytest.raises(SettingsError, match="TEAMS_TENANT_ID must be a GUID"):
        TeamsSettings.from_env()
    monkeypatch.setenv("TEAMS_TENANT_ID", TENANT)
    monkeypatch.setenv("TEAMS_LOGIN_URL", "http://127.0.0.1:9")
    with pytest.raises(SettingsError, match="TEAMS_LOGIN_URL must be an https:// URL"):
        TeamsSettings.from_env()
    monkeypatch.setenv("TEAMS_LOGIN_URL", "https://login.microsoftonline.us")
    found = TeamsSettings.from_env()
    assert found.login_is_microsofts and found.graph_url == "https://graph.microsoft.com/v1.0"


def test_blank_optional_teams_settings_count_as_unset(monkeypatch, tmp_path):
    # `docker run --env-file .env` passes `TEAMS_LOGIN_URL=` as "": the default applies.
    from bot.adapters.teams.settings import DEFAULT_GRAPH_API_URL, DEFAULT_LOGIN_URL, TeamsSettings

    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("-", encoding="utf-8")
    for name, value in (("TEAMS_CLIENT_ID", f" {CLIENT_ID} "), ("TEAMS_CLIENT_SECRET", "s"), ("TEAMS_TENANT_ID", TENANT),
                        ("TEAMS_LOGIN_URL", ""), ("TEAMS_OPENID_METADATA_URL", "  "), ("GRAPH_API_URL", ""),
                        ("REQUESTS_CA_BUNDLE", " "), ("SSL_CERT_FILE", str(ca_file))):
        monkeypatch.setenv(name, value)
    found = TeamsSettings.from_env()
    assert (found.client_id, found.login_url, found.graph_url) == (CLIENT_ID, DEFAULT_LOGIN_URL, DEFAULT_GRAPH_API_URL)
    assert found.ca_bundle == str(ca_file)  # a blank REQUESTS_CA_BUNDLE does not hide SSL_CERT_FILE


def test_cli_teams_without_settings_stops_with_one_line_and_exit_2(tmp_path):
    env = {**plain_env(), "GUIDEBOT_DB": str(tmp_path / "x.sqlite3"), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "teams", "--port", "0"], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "guidebot teams: TEAMS_CLIENT_ID is not set (needed for Teams; see .env.example)"


def test_cli_teams_serves_healthz_and_checks_tokens(tmp_path, fake):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**plain_env(), "GUIDEBOT_DB": str(tmp_path / "x.sqlite3"), "HOME": str(tmp_path),
           "GUIDEBOT_EMBEDDING_MODEL": "none",  # about the process, not matching: no cold embedding
           "TEAMS_CLIENT_ID": CLIENT_ID, "TEAMS_CLIENT_SECRET": "test-client-secret", "TEAMS_TENANT_ID": TENANT,
           "TEAMS_OPENID_METADATA_URL": fake.openid_metadata_url, "TEAMS_LOGIN_URL": fake.login_url,
           # Graph over TLS too: httpx trusts the test CA only because REQUESTS_CA_BUNDLE is shared.
           "GRAPH_API_URL": fake.login_url + "/graph/v1.0", "REQUESTS_CA_BUNDLE": str(fake.ca_file)}
    process = subprocess.Popen([sys.executable, "-m", "bot", "teams", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                    assert response.read() == b"ok"
                    break
            except OSError:
                time.sleep(0.05)
        else:
            process.kill()  # read its output only once it has ended, or the read waits for ever
            pytest.fail("guidebot teams did not start: " + process.communicate(timeout=10)[1])
        harness = TeamsHarness.remote(fake, url + "/api/messages")
        assert harness.send(harness.message("kan jeg legge ut et bilde av kollegaen min?"), token=None)[0] == 401
        fake.managers[PEOPLE["sigrid"][1]] = {**KARI_GRAPH, "displayName": "Kari fra Graph"}
        assert harness.send(harness.message("kan jeg legge ut et bilde av kollegaen min?"))[0] == 200
        assert "4.4" in all_text(fake.posted()[0])
        assert harness.send(harness.message("hvordan bytter jeg passord?"))[0] == 200
        assert "Kari fra Graph" in all_text(fake.posted()[1])
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = process.stderr.read()
    assert "serving Teams" in process.stdout.read() and "retention purge" in log
    for identity in (PERSONAL, *PEOPLE["sigrid"], "passord"):  # no ids and no question text in the log
        assert identity not in log


def test_cli_teams_on_sigterm_finishes_the_answer_in_flight_and_exits_0(tmp_path, fake):
    import signal

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    heartbeat = tmp_path / "teams.heartbeat"
    env = {**plain_env(), "GUIDEBOT_DB": str(tmp_path / "x.sqlite3"), "HOME": str(tmp_path),
           "GUIDEBOT_EMBEDDING_MODEL": "none",  # about the process, not matching: no cold embedding
           "TEAMS_CLIENT_ID": CLIENT_ID, "TEAMS_CLIENT_SECRET": "test-client-secret", "TEAMS_TENANT_ID": TENANT,
           "TEAMS_OPENID_METADATA_URL": fake.openid_metadata_url, "TEAMS_LOGIN_URL": fake.login_url,
           "GRAPH_API_URL": fake.login_url + "/graph/v1.0", "REQUESTS_CA_BUNDLE": str(fake.ca_file),
           "GUIDEBOT_HEARTBEAT": str(heartbeat), "GUIDEBOT_DRAIN_SECONDS": "5"}
    process = subprocess.Popen([sys.executable, "-m", "bot", "teams", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            if heartbeat.exists():
                break
            time.sleep(0.05)
        else:
            process.kill()  # read its output only once it has ended, or the read waits for ever
            pytest.fail("guidebot teams did not start: " + process.communicate(timeout=10)[1])
        health = subprocess.run([sys.executable, "-m", "bot", "health"], capture_output=True, text=True, cwd=ROOT,
                                env=env, timeout=60)
        assert health.returncode == 0 and "teams mode" in health.stdout and "/healthz answers" in health.stdout
        harness = TeamsHarness.remote(fake, url + "/api/messages")
        fake.latency = 0.5  # every Bot Connector call: the answer is still on its way at SIGTERM
        answered: list[int] = []
        asking = threading.Thread(target=lambda: answered.append(
            harness.send(harness.message("kan jeg legge ut et bilde av kollegaen min?"))[0]))
        asking.start()
        deadline = time.monotonic() + 60
        while not fake.attempts.get("member"):  # the request is in flight: the asker is being looked up
            assert time.monotonic() < deadline and process.poll() is None, "the question never reached the bot"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        asking.join(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert answered == [200] and "4.4" in all_text(fake.posted()[0])
    assert not heartbeat.exists()
    assert "stopped" in process.stdout.read()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=int(os.environ.get("GUIDEBOT_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["message", "invoke", "installationUpdate", "conversationUpdate", "x"]) | json_values,
    name=st.sampled_from(["adaptiveCard/action", "message/submitAction", "fileConsent/invoke"]) | json_values,
    value=json_values | st.fixed_dictionaries({"action": st.fixed_dictionaries(
        {"type": st.sampled_from(["Action.Execute", "Action.Submit"]), "verb": json_values,
         "data": st.dictionaries(st.sampled_from(["guidebot", "x"]), json_values, max_size=2)})})
    | st.fixed_dictionaries({"actionName": st.just("feedback"), "actionValue": json_values})
    | st.fixed_dictionaries({"action": st.sampled_from(["accept", "decline"]), "context": json_values,
                             "uploadInfo": json_values}),
    text=json_values,
    conversation=json_values,
    sender=json_values,
    entities=json_values,
)
def test_any_signed_teams_shaped_body_gets_an_answer_not_a_500(teams, kind, name, value, text, conversation, sender,
                                                               entities):
    activity = teams.message("hei")
    for key, field in (("type", kind), ("name", name), ("value", value), ("text", text), ("entities", entities)):
        activity[key] = field
    if conversation is not None:
        activity["conversation"] = conversation
    if sender is not None:
        activity["from"] = sender
    status, _ = teams.send(activity)
    assert status in (200, 400, 401, 403, 501), (status, activity)


def test_question_text_past_retention_is_purged_when_the_teams_app_runs(bot, tmp_path, fake):
    from datetime import UTC, datetime, timedelta

    from bot.service import Service

    long_ago = Store(tmp_path / "old.sqlite3", Service.masker_for(bot),
                     clock=lambda: datetime.now(UTC) - timedelta(days=100))
    Service(bot, long_ago).ask("kan jeg legge ut et bilde av kollegaen min?", "teams", "dm", bot.identify(), "x")
    long_ago.close()
    harness = TeamsHarness(bot, tmp_path / "old.sqlite3", fake)
    try:
        for _ in range(100):
            (row,) = harness.store.read("SELECT text, section FROM questions")
            if row["text"] is None:
                break
            time.sleep(0.02)
        assert row["text"] is None and row["section"] == "4.4"  # the count stays, the text goes
    finally:
        harness.close()


def test_deeply_nested_but_parseable_fields_get_no_500(teams, fake):
    deep: dict = {}
    for _ in range(900):
        deep = {"a": deep}
    for field in ("channelData", "value", "entities"):
        activity = teams.message("kan jeg legge ut et bilde av kollegaen min?")
        activity[field] = deep if field != "entities" else [deep]
        if field == "channelData":
            activity["channelData"] = {"tenant": {"id": activity["conversation"]["tenantId"]}, "x": deep}
        status, _ = teams.send(activity)
        assert status in (200, 400), (field, status)


def test_teams_html_markup_is_read_as_plain_text(teams, fake):
    html = "<p>kan jeg legge ut et <b>bilde</b> av kollegaen&nbsp;min?</p>"
    teams.send(teams.message(html, conversation=f"{CHANNEL};messageid=9", mention=True, textFormat="xml"))
    assert "4.4" in all_text(fake.posted()[0])
    (row,) = teams.store.read("SELECT text FROM questions")
    assert row["text"] == "kan jeg legge ut et bilde av kollegaen min?"
