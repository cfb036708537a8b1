"""Shared fixtures: the real knowledge base, loaded once, and a clean environment."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.answers import Guidebot

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


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


@pytest.fixture(scope="session")
def bot() -> Guidebot:
    return Guidebot.from_folder(KNOWLEDGE)


@pytest.fixture()
def knowledge_copy(tmp_path) -> Path:
    """A writable copy of the real knowledge folder, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target
