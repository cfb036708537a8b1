"""The bot's SQLite database (``GUIDEBOT_DB``): the privacy-safe question log and Slack event ids.

Tables, and why each holds what it holds:

- ``questions``: one row per question asked: time, platform, surface, outcome, document,
  section, entry, score, candidates offered, the asker's role and department (for aggregates)
  and the *masked* question text. No user id, name or channel. After the retention period
  the text is deleted and the time is rounded to its week, so counts per section and week stay.
- ``feedback``, ``choices``, ``escalations``: "Nyttig"/"Ikke nyttig", the candidate picked after
  "Mente du ...?", and "Spør lederen min" sent, each linked to the logged question, not a person.
- ``askers``: a keyed hash of each asker per week, role and department, with no link to any
  question, so reports can count *distinct* askers in a group (and hide groups under 5).
- ``events``: Slack event ids already taken, kept one day, so a retried event is answered once
  even when two bot processes share the database.

Concurrency: WAL journal, a busy timeout, and every write in a ``BEGIN IMMEDIATE`` transaction
(it takes the write lock up front, so two writers cannot deadlock on a lock upgrade).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.log.privacy import Masker

DEFAULT_RETENTION_DAYS = 90
EVENT_RETENTION_SECONDS = 24 * 3600
BUSY_TIMEOUT_MS = 30_000

# Each step moves the schema one version up; never edit a step that has shipped, add one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        asked_at TEXT NOT NULL,          -- UTC ISO time; the week's Monday after retention
        week TEXT NOT NULL,              -- Monday of the ISO week, YYYY-MM-DD
        platform TEXT NOT NULL,          -- slack | teams | cli
        surface TEXT NOT NULL,           -- dm | mention | slash | terminal
        outcome TEXT NOT NULL,           -- answered | clarify | referred
        document TEXT,
        section TEXT,
        entry TEXT,
        score REAL NOT NULL DEFAULT 0,
        candidates TEXT NOT NULL DEFAULT '[]',  -- JSON list of entry ids offered
        role TEXT NOT NULL DEFAULT 'ukjent',
        department TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT 'nb',
        text TEXT                        -- masked; NULL after the retention period
    );
    CREATE INDEX questions_week ON questions (week);
    CREATE INDEX questions_asked_at ON questions (asked_at);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        question_id INTEGER NOT NULL REFERENCES questions (id),
        entry TEXT NOT NULL,
        useful INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE choices (
        id INTEGER PRIMARY KEY,
        question_id INTEGER NOT NULL REFERENCES questions (id),
        entry TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE escalations (
        id INTEGER PRIMARY KEY,
        question_id INTEGER REFERENCES questions (id),
        entry TEXT,
        at TEXT NOT NULL
    );
    CREATE TABLE askers (
        week TEXT NOT NULL,
        role TEXT NOT NULL,
        department TEXT NOT NULL,
        asker TEXT NOT NULL,             -- HMAC of platform and user id; key in `meta`
        PRIMARY KEY (week, role, department, asker)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        received_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]


class StoreError(Exception):
    """The database cannot be opened or used; the message names the file."""


def default_path() -> Path:
    """GUIDEBOT_DB, else guidebot.sqlite3 in the user's data folder (XDG_DATA_HOME or ~/.local/share)."""
    configured = os.environ.get("GUIDEBOT_DB", "").strip()  # blank counts as unset (an --env-file line)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "guidebot" / "guidebot.sqlite3"


def retention_days_from_env() -> int:
    """GUIDEBOT_RETENTION_DAYS (default 90); raises ValueError naming the variable if invalid."""
    raw = os.environ.get("GUIDEBOT_RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"GUIDEBOT_RETENTION_DAYS must be a whole number of days (1 or more), not {raw!r}")
    return int(raw)


def week_of(moment: datetime) -> str:
    return (moment.date() - timedelta(days=moment.weekday())).isoformat()


@dataclass(frozen=True)
class LoggedQuestion:
    """What the log keeps of one question (already free of identity; text masked on write)."""

    platform: str
    surface: str
    outcome: str
    text: str
    document: str | None = None
    section: str | None = None
    entry: str | None = None
    score: float = 0.0
    candidates: Sequence[str] = ()
    role: str = "ukjent"
    department: str = ""
    language: str = "nb"


class Store:
    """One SQLite file, safe to share between threads and processes."""

    def __init__(
        self,
        path: Path | str,
        masker: Masker | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], datetime] | None = None,
    ):
        self.path = Path(path)
        self.masker = masker or Masker()
        self.retention_days = retention_days
        self.clock = clock or (lambda: datetime.now(UTC))
        self._local = threading.local()
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"{self.path}: cannot use this file as guidebot's database ({error})") from None

    # -- connections and transactions

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            self._local.connection = connection
        return connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def read(self, sql: str, parameters: Sequence | dict = (), as_tuples: bool = False) -> list:
        """Rows as sqlite3.Row (by name), or plain tuples where speed matters."""
        connection = self._connection()
        connection.row_factory = None if as_tuples else sqlite3.Row
        try:
            return connection.execute(sql, parameters).fetchall()
        finally:
            connection.row_factory = None

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    @property
    def schema_version(self) -> int:
        return self._connection().execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self._write() as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], version + 1):
                for statement in _statements(script):
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number}")
            if connection.execute("SELECT 1 FROM meta WHERE key = 'asker_key'").fetchone() is None:
                connection.execute("INSERT INTO meta VALUES ('asker_key', ?)", (secrets.token_hex(32),))
            key = connection.execute("SELECT value FROM meta WHERE key = 'asker_key'").fetchone()[0]
        self._asker_key = bytes.fromhex(key)  # read once: it never changes

    # -- Slack event de-duplication

    def claim_event(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (by any process sharing the file), else False."""
        with self._write() as connection:
            return self.claim_event_in(connection, event_id)

    def claim_event_in(self, connection: sqlite3.Connection, event_id: str) -> bool:
        """`claim_event` inside the caller's transaction (the outbox claims and queues in one)."""
        cursor = connection.execute(
            "INSERT OR IGNORE INTO events (event_id, received_at) VALUES (?, ?)",
            (event_id, self.clock().timestamp()),
        )
        return cursor.rowcount == 1

    # -- the question log

    def log_question(self, question: LoggedQuestion, asker_id: str = "") -> int:
        """Record a question (text masked here); `asker_id` only feeds the distinct-asker count."""
        now = self.clock()
        week = week_of(now)
        with self._write() as connection:
            cursor = connection.execute(
                "INSERT INTO questions (asked_at, week, platform, surface, outcome, document, section,"
                " entry, score, candidates, role, department, language, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now.isoformat(timespec="seconds"),
                    week,
                    question.platform,
                    question.surface,
                    question.outcome,
                    question.document,
                    question.section,
                    question.entry,
                    round(question.score, 4),
                    json.dumps(list(question.candidates)),
                    question.role,
                    question.department,
                    question.language,
                    self.masker.mask(question.text),
                ),
            )
            if asker_id:
                connection.execute(
                    "INSERT OR IGNORE INTO askers VALUES (?, ?, ?, ?)",
                    (
                        week,
                        question.role,
                        question.department,
                        self._asker_hash(question.platform, asker_id),
                    ),
                )
            return int(cursor.lastrowid)

    def _asker_hash(self, platform: str, asker_id: str) -> str:
        return hmac.new(self._asker_key, f"{platform}:{asker_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def record_feedback(self, question_id: int, entry: str, useful: bool) -> bool:
        return self._record(
            "INSERT INTO feedback (question_id, entry, useful, at) VALUES (?, ?, ?, ?)",
            question_id,
            (entry, int(useful)),
        )

    def record_choice(self, question_id: int, entry: str) -> bool:
        return self._record("INSERT INTO choices (question_id, entry, at) VALUES (?, ?, ?)", question_id, (entry,))

    def record_escalation(self, question_id: int | None, entry: str | None) -> bool:
        return self._record("INSERT INTO escalations (question_id, entry, at) VALUES (?, ?, ?)", question_id, (entry,))

    def _record(self, sql: str, question_id: int | None, values: tuple) -> bool:
        """Insert a row linked to a logged question; False if that question is not in the log."""
        now = self.clock().isoformat(timespec="seconds")
        with self._write() as connection:
            if (
                question_id is not None
                and connection.execute("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone() is None
            ):
                return False
            connection.execute(sql, (question_id, *values, now))
            return True

    # -- retention

    def purge(self) -> dict[str, int]:
        """Delete question text older than the retention period (keeping its week, section and
        outcome for counts), asker hashes of those weeks, and Slack event ids older than a day."""
        now = self.clock()
        cutoff = now - timedelta(days=self.retention_days)
        with self._write() as connection:
            texts = connection.execute(
                "UPDATE questions SET text = NULL, asked_at = week WHERE asked_at < ? AND text IS NOT NULL",
                (cutoff.isoformat(timespec="seconds"),),
            ).rowcount
            askers = connection.execute("DELETE FROM askers WHERE week < ?", (week_of(cutoff),)).rowcount
            events = connection.execute(
                "DELETE FROM events WHERE received_at < ?", (now.timestamp() - EVENT_RETENTION_SECONDS,)
            ).rowcount
        return {"texts_deleted": texts, "asker_weeks_deleted": askers, "event_ids_deleted": events}


def _statements(script: str) -> list[str]:
    """Split a migration script on semicolons at line ends (no triggers or strings with ';')."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def since_to_date(since: str, today: date | None = None) -> date:
    """'30d', '12w' or '2026-01-31' → the first day included."""
    today = today or datetime.now(UTC).date()
    text = since.strip().lower()
    if text[:-1].isdigit() and text[-1:] in ("d", "w"):
        days = int(text[:-1]) * (7 if text.endswith("w") else 1)
        return today - timedelta(days=days)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since must be like 30d, 12w or 2026-01-31, not {since!r}") from None
