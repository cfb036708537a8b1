"""What a container deploy relies on, checked by reading the files (no Docker engine here) and
by running the CLI: blank optional settings count as unset, .env.example passes no blank
optional variable, the image stops on SIGTERM as PID 1 and checks its health without creating
files, and the example contacts are marked as such."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from bot.knowledge import load_knowledge
from tests.conftest import ROOT, plain_env

REQUIRED = {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_CLIENT_ID", "TEAMS_CLIENT_SECRET",
            "TEAMS_TENANT_ID"}


def dockerfile_instructions() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found[word.upper()] = (found.get(word.upper(), "") + " " + rest).strip()
    return found


def test_env_example_sets_only_required_variables_and_lists_the_optional_ones():
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assigned = {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z_]+=", line)}
    commented = {m.group(1) for line in lines if (m := re.match(r"^# ([A-Z_]+)=", line))}
    assert assigned == REQUIRED
    assert {"GUIDEBOT_DB", "GUIDEBOT_KNOWLEDGE", "GUIDEBOT_RETENTION_DAYS", "SLACK_API_URL", "GUIDEBOT_WORKERS",
            "GUIDEBOT_DRAIN_SECONDS", "GUIDEBOT_LEASE_SECONDS", "GUIDEBOT_HEARTBEAT", "TEAMS_LOGIN_URL",
            "TEAMS_OPENID_METADATA_URL", "GRAPH_API_URL"} <= commented


def test_dockerfile_runs_guidebot_as_pid_1_and_checks_real_health():
    docker = dockerfile_instructions()
    assert json.loads(docker["CMD"])[0] == "guidebot"  # exec form: SIGTERM reaches guidebot itself
    assert docker["STOPSIGNAL"] == "SIGTERM"
    assert docker["HEALTHCHECK"].endswith('CMD ["guidebot", "health"]') and "sqlite" not in docker["HEALTHCHECK"]
    assert "XDG_DATA_HOME=/data" in docker["ENV"] and "GUIDEBOT_DB=/data/" in docker["ENV"]


def test_a_blank_guidebot_db_counts_as_unset(tmp_path):
    env = {**plain_env(), "GUIDEBOT_DB": "", "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "log", "purge"], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "guidebot" / "guidebot.sqlite3").exists()
    assert not (ROOT / "guidebot.sqlite3").exists()


def test_the_example_contacts_say_so_and_real_ones_do_not(knowledge_copy):
    assert load_knowledge(ROOT / "knowledge").contacts.example is True
    contacts = knowledge_copy / "contacts.yaml"
    contacts.write_text(contacts.read_text(encoding="utf-8").replace("example: true\n", ""), encoding="utf-8")
    assert load_knowledge(knowledge_copy).contacts.example is False


def test_purging_the_log_does_not_load_the_model(tmp_path):
    # A nightly purge on a fresh machine must not embed the whole knowledge first.
    cache = tmp_path / "cache"
    env = {**plain_env(), "GUIDEBOT_DB": str(tmp_path / "log.sqlite3"), "HOME": str(tmp_path), "GUIDEBOT_CACHE_DIR": str(cache)}
    result = subprocess.run([sys.executable, "-m", "bot", "log", "purge"], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("Purged: "), result.stderr
    assert not list(cache.glob("*.npy"))  # nothing embedded
