"""Regression checks for defects the final outside probe round (issue 8) still found.

Each test is marked xfail(strict=True): it fails today because the defect is there, and once
the defect is fixed it passes, which strict xfail turns into a failure so the mark is removed."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.log.privacy import Masker
from bot.log.store import LoggedQuestion, Store
from tests.bot_process import bot_environment
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def masker() -> Masker:
    return Masker()


def test_a_birth_date_is_masked(masker):
    for text, secret in (("født 3. mars 1987 og bor på Hamningberg", "1987"), ("fødselsdato 3/3/87", "3/3/87")):
        assert secret not in masker.mask(text), text


def test_a_post_box_address_is_masked(masker):
    masked = masker.mask("adresse: Postboks 45, 9990 Båtsfjord")
    assert "45" not in masked and "9990" not in masked, masked


def test_csv_cells_starting_with_tab_cannot_run_as_formulas(tmp_path):
    db = tmp_path / "g.sqlite3"
    last_week = datetime.now(UTC) - timedelta(days=7)
    store = Store(db, Masker(), clock=lambda: last_week)
    for asker in ("U1", "U2"):
        store.log_question(LoggedQuestion("slack", "dm", "referred", "\t=1+1"), asker)
    store.close()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--since", "3w", "--format", "csv"],
        env={**bot_environment(), "GUIDEBOT_DB": str(db)}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    cells = [cell for row in csv.reader(io.StringIO(result.stdout.lstrip("\ufeff")), delimiter=";") for cell in row]
    assert "=1+1" in "".join(cells)  # the question is in the report
    assert not [cell for cell in cells if cell[:1] in ("\t", "\r") and cell.strip()[:1] in ("=", "+", "-", "@")]
