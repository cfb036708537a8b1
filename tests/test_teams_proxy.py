"""HTTPS_PROXY for Teams: a real `guidebot teams` process, every Microsoft service it calls
(signing keys, Entra, Bot Connector, Graph) served over TLS by the fake, as in production, and a
recording proxy (the one the Slack tests use, with CONNECT) in between. The fake notes each
caller's port and the proxy the ports of its tunnels, so each call is known to have come through
the proxy or not."""

from __future__ import annotations

import subprocess
import sys

import pytest
from recording_proxy import RecordingProxy
from teams_fake import FakeMicrosoft
from teams_harness import PEOPLE, ROOT, TeamsHarness, TeamsProcess, all_text, members, process_env

from tests.conftest import plain_env

KARI_GRAPH = {"id": "m-kari", "displayName": "Kari fra Graph", "mail": "kari.nordvik@batsfjord.kommune.no",
              "userPrincipalName": "kari.nordvik@batsfjord.kommune.no"}
# Every kind of call a question makes: the signing keys, MSAL's look at the tenant's OpenID
# configuration and its token request, the member lookup, Graph's manager, the reply.
EVERY_KIND = {"keys", "discovery", "token", "member", "manager", "send"}


@pytest.fixture()
def fake():
    server = FakeMicrosoft(members(), {PEOPLE["sigrid"][1]: KARI_GRAPH}).start()
    yield server
    server.stop()


@pytest.fixture()
def proxy():
    server = RecordingProxy()
    yield server
    server.stop()


def ask_through_tls(fake: FakeMicrosoft, env: dict[str, str]) -> None:
    """Start the process with every service on https, ask a question whose answer names the
    leader from Graph, and stop it."""
    env = {**env, "TEAMS_OPENID_METADATA_URL": fake.over_tls(fake.openid_metadata_url),
           "GRAPH_API_URL": fake.over_tls(fake.graph_url)}
    app = TeamsProcess(env).start()
    try:
        harness = TeamsHarness.remote(fake, app.url, service_url=fake.over_tls(fake.service_url))
        assert harness.send(harness.message("hvordan bytter jeg passord?"))[0] == 200
        assert "Kari fra Graph" in all_text(fake.posted())
    finally:
        code, stderr = app.stop()
    assert code == 0, stderr


def test_entra_bot_connector_graph_and_signing_keys_go_through_https_proxy(tmp_path, fake, proxy):
    ask_through_tls(fake, process_env(fake, tmp_path / "p.sqlite3", HTTPS_PROXY=proxy.url))
    relayed = {kind for kind, port in fake.peers if port in proxy.tunnel_ports}
    around = [kind for kind, port in fake.peers if port not in proxy.tunnel_ports]
    assert relayed >= EVERY_KIND and around == []
    assert {method for method, _ in proxy.seen} == {"CONNECT"}


def test_lower_case_https_proxy_and_no_proxy_are_honoured(tmp_path, fake, proxy):
    ask_through_tls(fake, process_env(fake, tmp_path / "a.sqlite3", https_proxy=proxy.url))
    assert {kind for kind, port in fake.peers if port in proxy.tunnel_ports} >= EVERY_KIND
    fake.reset()
    proxy.seen.clear()
    ask_through_tls(fake, process_env(fake, tmp_path / "b.sqlite3", HTTPS_PROXY=proxy.url, NO_PROXY="127.0.0.1"))
    assert {kind for kind, _ in fake.peers} >= EVERY_KIND and proxy.seen == []


@pytest.mark.parametrize("value", ["proxy.kommune.no:3128", "ftp://proxy.kommune.no:3128", "http://:3128"])
def test_a_malformed_https_proxy_stops_start_up_with_one_line(tmp_path, value):
    env = {**plain_env(), "HOME": str(tmp_path), "GUIDEBOT_DB": str(tmp_path / "x.sqlite3"),
           "TEAMS_CLIENT_ID": "00000000-0000-4000-8000-00000000b07a", "TEAMS_CLIENT_SECRET": "s",
           "TEAMS_TENANT_ID": "11111111-2222-4333-8444-555555555555", "HTTPS_PROXY": value}
    result = subprocess.run([sys.executable, "-m", "bot", "teams", "--port", "0"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"guidebot teams: HTTPS_PROXY must look like http://proxy.example:3128, not {value!r}"
