"""What a container deploy relies on, checked by reading the files (no Docker engine here) and
by running the CLI: blank optional settings count as unset, .env.example passes no blank
optional variable, the image embeds its knowledge when built, stops on SIGTERM as PID 1 and
checks its health without creating files, and the example contacts are marked as such."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bot.knowledge import load_knowledge
from bot.matching.index import Index
from tests.conftest import ROOT, plain_env

REQUIRED = {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_CLIENT_ID", "TEAMS_CLIENT_SECRET",
            "TEAMS_TENANT_ID"}


def dockerfile_lines() -> list[str]:
    """The Dockerfile's instructions in order, continued lines joined, comments left out."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def dockerfile_instructions() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in dockerfile_lines():
        word, _, rest = line.partition(" ")
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


def test_the_image_embeds_its_knowledge_when_it_is_built(tmp_path, monkeypatch):
    # Embedding the knowledge takes about 90 s on two cores, past the health check's 60 s start
    # period: the image does it when built, as the bot's user, into the cache's path in /data
    # before VOLUME (Docker copies that into a new named volume; later steps' writes are lost).
    lines = dockerfile_lines()
    warm = next(line for line in lines if line.startswith("RUN ") and "guidebot ask" in line)
    volume = next(i for i, line in enumerate(lines) if line.startswith("VOLUME"))
    assert lines.index("USER guidebot") < lines.index(warm) < volume
    assert "GUIDEBOT_CACHE_DIR=/data/" in dockerfile_instructions()["ENV"]
    # The same command, here on a small knowledge folder, leaves a cache from which a fresh start
    # reads every vector of the knowledge and embeds none.
    knowledge = tmp_path / "knowledge"
    (knowledge / "documents").mkdir(parents=True)
    (knowledge / "sources").mkdir()
    for kept in ("contacts.yaml", "settings.yaml"):
        shutil.copy(ROOT / "knowledge" / kept, knowledge / kept)
    guideline = ROOT / "tests" / "eval" / "guidelines" / "askoy-gaver.txt"
    subprocess.run([sys.executable, "-m", "bot", "import", str(guideline), "--document", "gaver",
                    "--knowledge", str(knowledge)],
                   check=True, capture_output=True, env=plain_env(), cwd=tmp_path)
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "GUIDEBOT_KNOWLEDGE": str(knowledge), "GUIDEBOT_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run(["sh", "-c", warm.removeprefix("RUN ")], check=True, env=env, cwd=tmp_path, timeout=300)
    monkeypatch.setenv("GUIDEBOT_CACHE_DIR", str(tmp_path / "cache"))
    index = Index.from_knowledge(load_knowledge(knowledge), embedder="auto")
    assert index.mode == "semantic" and index.semantic.cache.hits > 0 and index.semantic.cache.misses == 0


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
