"""Shared fixtures: the real knowledge base, loaded once, and a clean environment."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.answers import Guidebot

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


def plain_env() -> dict[str, str]:
    """A subprocess's clean environment: PATH and the session's embedding cache (embedding the
    knowledge cold takes about a minute on a 2-core machine, longer than a command's timeout)."""
    return {"PATH": "/usr/bin:/bin", "GUIDEBOT_CACHE_DIR": os.environ["GUIDEBOT_CACHE_DIR"]}


@pytest.fixture(scope="session", autouse=True)
def _embedding_cache(tmp_path_factory):
    # One embedding cache for the whole session (subprocesses inherit it): the knowledge is
    # embedded once, and never into the developer's own cache folder.
    folder = tmp_path_factory.mktemp("embeddings")
    previous = os.environ.get("GUIDEBOT_CACHE_DIR")
    os.environ["GUIDEBOT_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("GUIDEBOT_CACHE_DIR", None)
    else:
        os.environ["GUIDEBOT_CACHE_DIR"] = previous


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    # Real tokens, a developer's own knowledge folder or model must never leak into tests.
    for name in ("GUIDEBOT_KNOWLEDGE", "GUIDEBOT_EMBEDDING_MODEL", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
                 "SLACK_SIGNING_SECRET", "GUIDEBOT_LOG_KEY", "GUIDEBOT_LOG_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


TEST_LOG_KEY = "test-log-key-0123456789abcdef0123456789"


@pytest.fixture()
def fixed_log_key(monkeypatch) -> str:
    """One fixed log key, so the distinct-asker bitmaps put the same askers on the same bits in
    every run. With a random key two askers share a bit now and then (the group then counts one
    fewer: the safe side in production), and a test that expects exact counts would flake."""
    monkeypatch.setenv("GUIDEBOT_LOG_KEY", TEST_LOG_KEY)
    return TEST_LOG_KEY


def fixed_key_file(db_path: Path, seed: str = "a") -> Path:
    """Write the asker-hash key file a new database at `db_path` will use, with a key fixed by
    `seed` (see `fixed_log_key`: exact counts in every run), through the real key-file path."""
    import hashlib
    import os

    key_file = db_path.with_name(db_path.name + ".key")
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(hashlib.sha256(f"guidebot test key {seed}".encode()).hexdigest() + "\n")
    return key_file


@pytest.fixture(scope="session")
def bot() -> Guidebot:
    return Guidebot.from_folder(KNOWLEDGE)


@pytest.fixture(scope="module")
def warm_cache(bot) -> None:
    """For modules whose subprocesses answer questions: the session's embedding cache is filled
    (by building `bot`) before the first one starts, whatever order the tests run in; cold, the
    first subprocess would embed the knowledge (about a minute) and outlast its timeout."""


@pytest.fixture()
def knowledge_copy(tmp_path) -> Path:
    """A writable copy of the real knowledge folder, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target
