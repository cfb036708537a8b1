"""The bot's SQLite database (``GUIDEBOT_DB``): the privacy-safe question log and Slack event ids.

The files alone (the database, its WAL and shared-memory index) must not tie a question to a person,
not by what they hold and not by the order it was written in (see the README, "Question log
and reports"). Tables, and why each holds what it holds:

- ``questions``: one row per question: its ISO *week* (never a finer time), platform, surface,
  outcome, document, section, entry, score, candidates offered, language and the *masked* text
  (at most `MAX_TEXT` characters, so no question spills onto overflow pages allocated in write
  order). No user id, name, channel, role or department. After the retention period the text
  is deleted; the counts per week and section stay.
- ``feedback``, ``choices``, ``escalations``: "Nyttig"/"Ikke nyttig", the candidate picked after
  "Mente du ...?", and "Spør lederen min" sent: at most one row per question, whose id *is* the
  question's id (a later click replaces feedback and choice; a second escalation is refused,
  for as long as the question is logged). Week only.
- ``audience``: questions per week and per role, and per week and per department, as counters
  with no link to any question. Role and department are counted apart (the pair "leader of
  helse" is one person) and the service stores a group's own name only when at least
  `MIN_GROUP` people in contacts belong to it (a smaller group could never be shown anyway).
- ``askers``: per week and per role or department, one fixed-size bitmap (`SKETCH_BITS` bits,
  linear counting) in which each asker sets one bit chosen by a keyed hash, per dimension.
  Updated in place: no row per asker, so nothing pairs one asker's role with their department
  (and a week's group rows are re-laid in random order when a group first asks that week).
  The key lives outside the database (`asker_key`).
- ``events``: Slack event ids already taken, as keyed hashes with the *hour* they came in, kept
  a day, so a retried event is answered once even when two bot processes share the database.
- ``answer_handles``: which logged question and entry a posted answer belongs to, for platforms
  whose feedback names only their own message (Teams' 👍/👎 carry just the message id). The
  handle is a keyed hash of the platform's name for the message (Teams: conversation and message
  id); the question id and entry are sealed under a key derived from that name as well. Without
  the key *and* the conversation and message ids, a row says nothing (not even which question it
  belongs to). Week only; deleted with the question texts after the retention period.

Order: SQLite writes a new cell into its page's free space, so the cells of a page sit in the
order they were written, whatever their ids. Each write to a linked table therefore deletes
and re-inserts, in random order, the new row and enough of its neighbours by id to cover its
page (`_reshuffle`): the page is then in an order drawn at random. The daily purge ends with a
VACUUM, which rebuilds every table in id order (random ids, so random order) and drops free
pages. The WAL would keep each question's commit, beside the counters it bumped, in order: every
write to the log is followed by ``wal_checkpoint(TRUNCATE)``, which copies it into the database
and cuts it to zero bytes (claims, which tie nothing to a question, skip that fsync). Deleted
text is overwritten (``PRAGMA secure_delete``). The files are made with mode 0600.

Concurrency: a busy timeout, and every write in a ``BEGIN IMMEDIATE`` transaction (it takes the
write lock up front, so two writers cannot deadlock on a lock upgrade).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import random
import secrets
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.log.privacy import Masker

DEFAULT_RETENTION_DAYS = 90
EVENT_RETENTION_SECONDS = 24 * 3600
BUSY_TIMEOUT_MS = 30_000
MIN_GROUP = 5  # people a role or department needs before its name is stored (and askers before it is shown)
OTHER_GROUP = "andre"  # the name stored for smaller groups
DIMENSIONS = ("role", "department")
KEY_ENV = "GUIDEBOT_LOG_KEY"
KEY_FILE_ENV = "GUIDEBOT_LOG_KEY_FILE"
_MAX_ID = 2**53 - 1  # random question ids stay exact in JSON and JavaScript (Slack, Teams)
MAX_TEXT = 1000  # characters of a question kept: longer cells would overflow onto pages taken in write order
SKETCH_BITS = 2048  # per week and group (256 bytes): exact for small groups, within a few percent to ~5 000
CLAIM_BUCKET_SECONDS = 3600  # claims keep the hour they came in, nothing finer
# Rows deleted and re-inserted on each side of a new row: more than a page holds (the smallest
# row is over 40 bytes, pages are 4096), so the new row's whole page is put in random order.
RESHUFFLE_NEIGHBOURS = 100
FILE_MODE = 0o600
_shuffler = random.SystemRandom()

# Each step moves the schema one version up; never edit a step that has shipped, add one. A step
# is an SQL script, or a function for what SQL alone cannot do (random ids, hashes).
SCHEMA_V1 = """
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
"""

SCHEMA_V2 = """
    CREATE TABLE questions_v2 (
        id INTEGER PRIMARY KEY,          -- random, see `_new_id`
        week TEXT NOT NULL,              -- Monday of the ISO week, YYYY-MM-DD: the only time kept
        platform TEXT NOT NULL,          -- slack | teams | cli
        surface TEXT NOT NULL,           -- dm | mention | slash | terminal
        outcome TEXT NOT NULL,           -- answered | clarify | referred
        document TEXT,
        section TEXT,
        entry TEXT,
        score REAL NOT NULL DEFAULT 0,
        candidates TEXT NOT NULL DEFAULT '[]',  -- JSON list of entry ids offered
        language TEXT NOT NULL DEFAULT 'nb',
        text TEXT                        -- masked; NULL after the retention period
    );
    CREATE TABLE feedback_v2 (
        id INTEGER PRIMARY KEY,
        question_id INTEGER NOT NULL REFERENCES questions_v2 (id),
        entry TEXT NOT NULL,
        useful INTEGER NOT NULL,
        week TEXT NOT NULL
    );
    CREATE TABLE choices_v2 (
        id INTEGER PRIMARY KEY,
        question_id INTEGER NOT NULL REFERENCES questions_v2 (id),
        entry TEXT NOT NULL,
        week TEXT NOT NULL
    );
    CREATE TABLE escalations_v2 (
        id INTEGER PRIMARY KEY,
        question_id INTEGER REFERENCES questions_v2 (id),
        entry TEXT,
        week TEXT NOT NULL
    );
    CREATE TABLE audience (
        week TEXT NOT NULL,
        dimension TEXT NOT NULL,         -- role | department
        name TEXT NOT NULL,              -- the group, or 'andre' for groups under MIN_GROUP people
        questions INTEGER NOT NULL,
        PRIMARY KEY (week, dimension, name)
    ) WITHOUT ROWID;
    CREATE TABLE askers_v2 (
        week TEXT NOT NULL,
        dimension TEXT NOT NULL,
        name TEXT NOT NULL,
        asker TEXT NOT NULL,             -- HMAC per dimension; the key is outside the database
        PRIMARY KEY (week, dimension, name, asker)
    ) WITHOUT ROWID;
"""


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


def week_of(moment: datetime | date) -> str:
    """The Monday of `moment`'s ISO week, YYYY-MM-DD."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return (day - timedelta(days=day.weekday())).isoformat()


def key_file_for(db_path: Path) -> Path:
    """GUIDEBOT_LOG_KEY_FILE, else the database's name with ``.key`` added, beside it."""
    configured = os.environ.get(KEY_FILE_ENV, "").strip()
    return Path(configured) if configured else db_path.with_name(db_path.name + ".key")


def asker_key(db_path: Path, legacy_key: bytes | None = None, create: bool = True) -> bytes:
    """The secret for asker hashes, kept out of the database so that the file alone cannot test
    a guessed user id against the hashes: GUIDEBOT_LOG_KEY (at least 32 characters), else the
    key file (made with mode 0600 on first use; `legacy_key`, from a version 1 database, is
    written there so existing hashes keep counting). A missing key file is made only when
    `create` (a new or upgraded database). Raises StoreError naming the problem."""
    from_env = os.environ.get(KEY_ENV, "")
    if from_env:
        if len(from_env.strip()) < 32:
            raise StoreError(f"{KEY_ENV} must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return from_env.strip().encode()
    if str(db_path) == ":memory:":
        return legacy_key or secrets.token_bytes(32)
    path = key_file_for(db_path)
    if not path.exists() and not create:
        raise StoreError(
            f"{path}: the asker-hash key file is missing; restore it from the backup (or set {KEY_ENV}), see README"
        )
    if not path.exists():
        # Written whole under a temporary name, then linked into place: a process starting at
        # the same moment either finds no key file or a complete one, never half of one.
        draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        try:
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write((legacy_key or secrets.token_bytes(32)).hex() + "\n")
            try:
                os.link(draft, path)
            except FileExistsError:
                raise
            except OSError:  # a filesystem without hard links: rename, unless someone was quicker
                if not path.exists():
                    os.rename(draft, path)
        except FileExistsError:
            pass  # another process made it just now: read theirs
        except OSError as error:
            raise StoreError(f"{path}: cannot create the asker-hash key file ({error.strerror})") from None
        finally:
            draft.unlink(missing_ok=True)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not a key file"
        raise StoreError(f"{path}: cannot read the asker-hash key ({reason}); fix it or set {KEY_ENV}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode_text = f"{stat.S_IMODE(mode):o}"
        raise StoreError(f"{path}: the asker-hash key is readable by others (mode {mode_text}); chmod 600 it")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise StoreError(f"{path}: not an asker-hash key (expected 64 hex digits); restore it or set {KEY_ENV}")
    return key


@dataclass(frozen=True)
class LoggedQuestion:
    """What the log keeps of one question (already free of identity; text masked on write).
    `role` and `department` go to the `audience` counters only, never beside the text."""

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
            _create_private(self.path)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # WAL, so claims and other quick writes cost no fsync; but a WAL keeps commits in
            # order, each question beside the counters it bumped, so every write to the log is
            # followed by a checkpoint that empties it (see `_write`).
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten, not just unlinked
            self._local.connection = connection
            _make_private(self.path)
        return connection

    @contextmanager
    def _write(self, checkpoint: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction; then, with `checkpoint`, the WAL is copied into the database
        and cut to zero bytes, so it never holds a question's commit beyond this call."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Rows are deleted and re-inserted in one transaction (`_reshuffle`): check the
            # references at commit, when every row is back.
            connection.execute("PRAGMA defer_foreign_keys = ON")
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        if checkpoint:
            self._truncate_wal()

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
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path}: schema version {version} is newer than this guidebot knows ({len(MIGRATIONS)});"
                    " upgrade guidebot"
                )
            legacy_key = None
            if version == 1:
                row = connection.execute("SELECT value FROM meta WHERE key = 'asker_key'").fetchone()
                legacy_key = bytes.fromhex(row[0]) if row else None
            # Read once: it never changes. A database already in use needs its key, not a new one.
            self._asker_key = asker_key(self.path, legacy_key, create=version < len(MIGRATIONS))
            for number, step in enumerate(MIGRATIONS[version:], version + 1):
                if callable(step):
                    step(self, connection, legacy_key)
                else:
                    for statement in _statements(step):
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number}")
            check = _key_check(self._asker_key)
            stored = connection.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
            if stored is None:
                connection.execute("INSERT INTO meta VALUES ('key_check', ?)", (check,))
            elif stored[0] != check:
                raise StoreError(
                    f"{self.path}: the asker-hash key ({KEY_ENV} or {key_file_for(self.path)}) is not the one this"
                    " database was written with; restore that key (see README, 'Question log and reports')"
                )
            migrated = version < len(MIGRATIONS) and version > 0
        if migrated:
            self.vacuum()  # the old tables' bytes and their write order go with the free pages

    def vacuum(self) -> None:
        """Rebuild the file: every table is rewritten in id order (random ids, so in an order
        that says nothing about when rows were written) and free pages are dropped."""
        connection = self._connection()
        connection.execute("VACUUM")
        self._truncate_wal()

    def _truncate_wal(self) -> None:
        """Copy the WAL into the database and cut it to zero bytes, so that old page images
        (which may hold deleted text) do not linger in the -wal file."""
        connection = self._connection()
        for _ in range(3):  # each try waits out readers up to the busy timeout; else the next write empties it
            busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            threading.Event().wait(0.02)

    # -- Slack event de-duplication

    def claim_event(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (by any process sharing the file), else False.
        Kept as a keyed hash (the file cannot be matched with Slack's event ids) with the hour."""
        with self._write(checkpoint=False) as connection:  # a claim ties nothing to a question
            return self.claim_event_in(connection, event_id)

    def claim_event_in(self, connection: sqlite3.Connection, event_id: str) -> bool:
        """`claim_event` inside the caller's transaction (the outbox claims and queues in one)."""
        now = self.clock().timestamp()
        cursor = connection.execute(
            "INSERT OR IGNORE INTO events (event_id, received_at) VALUES (?, ?)",
            (_claim_hash(self._asker_key, event_id), now - now % CLAIM_BUCKET_SECONDS),
        )
        return cursor.rowcount == 1

    # -- the question log

    def log_question(self, question: LoggedQuestion, asker_id: str = "") -> int:
        """Record a question (text masked here, cut to MAX_TEXT characters) and return its id.
        Role and department only bump the week's `audience` counters; `asker_id` only sets a
        bit in the week's distinct-asker bitmaps."""
        week = week_of(self.clock())
        text = self.masker.mask(question.text)[:MAX_TEXT]
        groups = {"role": question.role, "department": question.department}
        with self._write() as connection:
            question_id = _insert_with_new_id(
                connection,
                "INSERT INTO questions (id, week, platform, surface, outcome, document, section, entry, score,"
                " candidates, language, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    week,
                    question.platform,
                    question.surface,
                    question.outcome,
                    question.document,
                    question.section,
                    question.entry,
                    round(question.score, 4),
                    json.dumps(list(question.candidates)),
                    question.language,
                    text,
                ),
            )
            _reshuffle(connection, "questions", question_id)
            created = False
            for dimension, name in groups.items():
                created |= (
                    connection.execute(
                        "SELECT 1 FROM audience WHERE week = ? AND dimension = ? AND name = ?", (week, dimension, name)
                    ).fetchone()
                    is None
                )
                connection.execute(
                    "INSERT INTO audience VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET questions = questions + 1",
                    (week, dimension, name),
                )
                if asker_id:
                    bit = _sketch_bit(self._asker_hash(dimension, question.platform, asker_id))
                    _set_bit(connection, week, dimension, name, bit)
            if created:
                # New group rows written in one transaction sit side by side: the pair would say
                # "someone of this role in this department asked". Put the week's rows in random order.
                for table in ("audience", "askers"):
                    _reshuffle_week(connection, table, week)
            return question_id

    def _asker_hash(self, dimension: str, platform: str, asker_id: str) -> str:
        return _dimension_hash(self._asker_key, dimension, _base_hash(self._asker_key, f"{platform}:{asker_id}"))

    def record_feedback(self, question_id: int, entry: str, useful: bool) -> bool:
        """One vote per question: a later click replaces the earlier one. False if the
        question is not in the log."""
        return self._record(
            "feedback",
            "INSERT INTO feedback (id, question_id, entry, useful, week) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET entry = excluded.entry, useful = excluded.useful",
            question_id,
            (entry, int(useful)),
        )

    def record_choice(self, question_id: int, entry: str) -> bool:
        """The candidate picked after "Mente du ...?": one per question, the latest counts."""
        return self._record(
            "choices",
            "INSERT INTO choices (id, question_id, entry, week) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET entry = excluded.entry",
            question_id,
            (entry,),
        )

    def record_escalation(self, question_id: int | None, entry: str | None) -> bool:
        """Record "Spør lederen min" sent. True only the first time for a logged question, for
        as long as the question is in the log (the row's id is the question's): record it
        *before* sending, and send only on True. False if already recorded or not in the log.
        An unlogged question (None) gets a row of its own each time."""
        return self._record(
            "escalations",
            "INSERT OR IGNORE INTO escalations (id, question_id, entry, week) VALUES (?, ?, ?, ?)",
            question_id,
            (entry,),
        )

    def withdraw_escalation(self, question_id: int) -> None:
        """Undo `record_escalation` when the message could not be sent, so it can be tried again."""
        with self._write() as connection:
            connection.execute("DELETE FROM escalations WHERE id = ?", (question_id,))

    def _record(self, table: str, sql: str, question_id: int | None, values: tuple) -> bool:
        """Write a row linked to a logged question: its id is the question's (random) id, or a
        new random id for an unlogged question; week only. False if that question is not in
        the log, or the statement left the row as it was (INSERT OR IGNORE)."""
        week = week_of(self.clock())
        with self._write() as connection:
            if question_id is None:
                row_id = _insert_with_new_id(connection, sql, (None, *values, week))
                changed = True
            elif connection.execute("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone() is None:
                return False
            else:
                row_id = question_id
                changed = connection.execute(sql, (question_id, question_id, *values, week)).rowcount == 1
            if changed:
                _reshuffle(connection, table, row_id)
            return changed

    # -- answers known by the platform's own message id (Teams' feedback controls)

    def remember_answer(self, message: str, question_id: int, entry: str) -> None:
        """Note that the posted message named `message` by its platform (for Teams the
        conversation and message id) answers logged question `question_id` with `entry`, so a
        later 👍/👎 on it, arriving at any process sharing the file, can be logged. Neither the
        name nor the question id is stored as such (see the module docstring)."""
        handle, seal_key = _message_keys(self._asker_key, message)
        sealed = _seal(seal_key, json.dumps([question_id, entry], separators=(",", ":")).encode())
        with self._write(checkpoint=False) as connection:  # an opaque row: nothing to hide the order of
            connection.execute(
                "INSERT OR REPLACE INTO answer_handles (handle, sealed, week) VALUES (?, ?, ?)",
                (handle, sealed, week_of(self.clock())),
            )

    def answer_behind(self, message: str) -> tuple[int, str] | None:
        """The (question id, entry) `remember_answer` noted for `message`, or None: never posted
        by this bot, past retention, or not a row this key sealed."""
        handle, seal_key = _message_keys(self._asker_key, message)
        row = self.read("SELECT sealed FROM answer_handles WHERE handle = ?", (handle,), as_tuples=True)
        plain = _unseal(seal_key, row[0][0]) if row and isinstance(row[0][0], bytes) else None
        try:
            question_id, entry = json.loads(plain) if plain is not None else (None, None)
        except (ValueError, TypeError):
            return None
        if not isinstance(question_id, int) or isinstance(question_id, bool) or not isinstance(entry, str):
            return None
        return question_id, entry

    # -- reading the distinct-asker bitmaps

    def askers_per_week(self, dimension: str, first_week: str, last_week: str) -> dict[tuple[str, str], int]:
        """Distinct askers per (week, group) of `dimension`, estimated from the week's bitmap."""
        return {
            (row[0], row[1]): sketch_count(row[2])
            for row in self.read(
                "SELECT week, name, sketch FROM askers WHERE dimension = ? AND week >= ? AND week <= ?",
                (dimension, first_week, last_week),
                as_tuples=True,
            )
        }

    # -- retention

    def purge(self) -> dict[str, int]:
        """Delete question text whose week began more than the retention period ago (so no text
        is kept longer than that), keeping its week, section and outcome for counts; the asker
        bitmaps and answer handles of those weeks; and event claims older than a day. Deleted text is
        overwritten (secure_delete), then the file is rebuilt (VACUUM): free pages holding
        old bytes are dropped, and every table is rewritten in random-id order."""
        now = self.clock()
        last_purged_week = (now - timedelta(days=self.retention_days)).date().isoformat()
        with self._write() as connection:
            texts = connection.execute(
                "UPDATE questions SET text = NULL WHERE week <= ? AND text IS NOT NULL", (last_purged_week,)
            ).rowcount
            askers = connection.execute("DELETE FROM askers WHERE week <= ?", (last_purged_week,)).rowcount
            events = connection.execute(
                # a claim's hour must have ended a full day ago
                "DELETE FROM events WHERE received_at < ?",
                (now.timestamp() - EVENT_RETENTION_SECONDS - CLAIM_BUCKET_SECONDS,),
            ).rowcount
            handles = connection.execute("DELETE FROM answer_handles WHERE week <= ?", (last_purged_week,)).rowcount
        self.vacuum()
        return {"texts_deleted": texts, "asker_weeks_deleted": askers, "event_ids_deleted": events,
                "answer_handles_deleted": handles}


def _new_id() -> int:
    return secrets.randbelow(_MAX_ID) + 1


def _insert_with_new_id(connection: sqlite3.Connection, sql: str, values: tuple) -> int:
    """Insert with a random id as the first value; a clash (about 1 in 10^15 per row) draws again."""
    for attempt in range(3):
        new_id = _new_id()
        try:
            connection.execute(sql, (new_id, *values))
        except sqlite3.IntegrityError:
            if attempt == 2:
                raise
            continue
        return new_id
    raise AssertionError("unreachable")


def _reshuffle(connection: sqlite3.Connection, table: str, row_id: int) -> None:
    """Put the page holding `row_id` in random order: delete the row and RESHUFFLE_NEIGHBOURS
    rows on each side of it (by id, which is the order of the table's pages) and insert them
    again in an order drawn at random. SQLite places each inserted cell in the page's free
    space, so the cells then sit in the drawn order, not in the order they were first written."""
    ids = [
        r[0]
        for r in connection.execute(
            f"SELECT rowid FROM {table} WHERE rowid <= ? ORDER BY rowid DESC LIMIT ?",
            (row_id, RESHUFFLE_NEIGHBOURS + 1),
        )
    ]
    ids += [
        r[0]
        for r in connection.execute(
            f"SELECT rowid FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?", (row_id, RESHUFFLE_NEIGHBOURS)
        )
    ]
    if len(ids) < 2:
        return
    low, high = min(ids), max(ids)
    rows = connection.execute(f"SELECT * FROM {table} WHERE rowid BETWEEN ? AND ?", (low, high)).fetchall()
    connection.execute(f"DELETE FROM {table} WHERE rowid BETWEEN ? AND ?", (low, high))
    _shuffler.shuffle(rows)
    marks = ", ".join("?" for _ in rows[0])
    connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def _reshuffle_week(connection: sqlite3.Connection, table: str, week: str) -> None:
    """Delete and re-insert, in random order, a week's rows of a per-week table (a few dozen)."""
    rows = connection.execute(f"SELECT * FROM {table} WHERE week = ?", (week,)).fetchall()
    if len(rows) < 2:
        return
    connection.execute(f"DELETE FROM {table} WHERE week = ?", (week,))
    _shuffler.shuffle(rows)
    marks = ", ".join("?" for _ in rows[0])
    connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def _sketch_bit(asker_hash: str) -> int:
    return int(asker_hash, 16) % SKETCH_BITS


def _set_bit(connection: sqlite3.Connection, week: str, dimension: str, name: str, bit: int) -> None:
    _set_bit_in(connection, "askers", week, dimension, name, bit)


def _set_bit_in(connection: sqlite3.Connection, table: str, week: str, dimension: str, name: str, bit: int) -> None:
    """Set one bit of the (week, dimension, name) bitmap. The row keeps its size, so SQLite
    overwrites it where it stands: the bitmap's place in the file says nothing of when."""
    row = connection.execute(
        f"SELECT sketch FROM {table} WHERE week = ? AND dimension = ? AND name = ?", (week, dimension, name)
    ).fetchone()
    sketch = bytearray(row[0] if row else bytes(SKETCH_BITS // 8))
    if sketch[bit // 8] & (1 << bit % 8) and row:
        return
    sketch[bit // 8] |= 1 << bit % 8
    connection.execute(
        f"INSERT INTO {table} VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET sketch = excluded.sketch",
        (week, dimension, name, bytes(sketch)),
    )


def sketch_union(sketches: Sequence[bytes]) -> bytes:
    """The bitmap of everyone in any of `sketches` (the same asker sets the same bit each week)."""
    merged = bytearray(SKETCH_BITS // 8)
    for sketch in sketches:
        for i, byte in enumerate(sketch):
            merged[i] |= byte
    return bytes(merged)


def sketch_count(sketch: bytes | None) -> int:
    """Distinct askers in a bitmap by linear counting: n = -m ln(zero bits / m). Exact in
    practice for small groups (two of five askers share a bit about once in 200 weeks, and
    then the group counts one fewer: the safe side for hiding small groups)."""
    if not sketch:
        return 0
    ones = sum(bin(byte).count("1") for byte in sketch)
    zeros = SKETCH_BITS - ones
    if zeros == 0:
        return round(SKETCH_BITS * math.log(SKETCH_BITS))  # saturated: the most it can tell
    return round(-SKETCH_BITS * math.log(zeros / SKETCH_BITS))


def _message_keys(key: bytes, message: str) -> tuple[str, bytes]:
    """The handle under which an answer's row is found, and the key its content is sealed with."""
    handle = "m:" + hmac.new(key, f"message:{message}".encode(), hashlib.sha256).hexdigest()[:32]
    return handle, hmac.new(key, f"message seal:{message}".encode(), hashlib.sha256).digest()


def _keystream(seal_key: bytes, length: int) -> bytes:
    blocks = (hmac.new(seal_key, b"stream %d" % n, hashlib.sha256).digest() for n in range(length // 32 + 1))
    return b"".join(blocks)[:length]


def _seal(seal_key: bytes, plain: bytes) -> bytes:
    """Encrypt-then-MAC with HMAC-SHA256 as the stream (each seal key seals one value only)."""
    body = bytes(a ^ b for a, b in zip(plain, _keystream(seal_key, len(plain)), strict=True))
    return body + hmac.new(seal_key, b"tag" + body, hashlib.sha256).digest()[:16]


def _unseal(seal_key: bytes, sealed: bytes) -> bytes | None:
    body, tag = sealed[:-16], sealed[-16:]
    expected = hmac.new(seal_key, b"tag" + body, hashlib.sha256).digest()[:16]
    if len(sealed) < 16 or not hmac.compare_digest(tag, expected):
        return None
    return bytes(a ^ b for a, b in zip(body, _keystream(seal_key, len(body)), strict=True))


def _claim_hash(key: bytes, event_id: str) -> str:
    return "c:" + hmac.new(key, f"claim:{event_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _create_private(path: Path) -> None:
    """Create the database file with mode 0600 before SQLite opens it (SQLite gives its journal
    the database's mode), so the log is never readable by others, not even for a moment."""
    if str(path) == ":memory:" or path.exists():
        return
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def _make_private(path: Path) -> None:
    """Mode 0600 on the database and any journal, WAL or shared-memory file beside it."""
    if str(path) == ":memory:":
        return
    for suffix in ("", "-journal", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        try:
            if stat.S_IMODE(candidate.stat().st_mode) & 0o077:
                candidate.chmod(FILE_MODE)
        except OSError:
            pass  # not there (or not ours: SQLite then reports the real problem)


def _base_hash(key: bytes, who: str) -> str:
    return hmac.new(key, who.encode(), hashlib.sha256).hexdigest()[:32]


def _dimension_hash(key: bytes, dimension: str, base: str) -> str:
    return hmac.new(key, f"{dimension}:{base}".encode(), hashlib.sha256).hexdigest()[:32]


def _key_check(key: bytes) -> str:
    """A fingerprint that tells whether the key is the one the hashes were made with (it does
    not help guess the key: that is 256 random bits)."""
    return hmac.new(key, b"guidebot asker-hash key check", hashlib.sha256).hexdigest()[:16]


def _to_v2(store: Store, connection: sqlite3.Connection, legacy_key: bytes | None) -> None:
    """Version 1 kept the exact second and the asker's role and department on every question,
    sequential ids, and the hash key in `meta`. Move to week-only rows with random ids, counts
    per role and department in `audience` (names of groups with fewer than MIN_GROUP distinct
    askers in the kept hashes become 'andre'), per-dimension asker hashes, and no key in the
    file. Every question, feedback, choice and escalation is kept, so all counts stay."""
    for statement in _statements(SCHEMA_V2):
        connection.execute(statement)
    # The Monday of an ISO time's day (strftime %w: Sunday is 0).
    week_expr = (
        "date(substr({0}, 1, 10), '-' || ((CAST(strftime('%w', substr({0}, 1, 10)) AS INTEGER) + 6) % 7) || ' days')"
    )
    new_ids: dict[int, int] = {}
    rows = connection.execute(
        "SELECT id, week, platform, surface, outcome, document, section, entry, score, candidates, language, text"
        " FROM questions"
    ).fetchall()
    for old_id, *values in rows:
        new_ids[old_id] = _insert_with_new_id(
            connection,
            "INSERT INTO questions_v2 (id, week, platform, surface, outcome, document, section, entry, score,"
            " candidates, language, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tuple(values),
        )
    for table, columns in (("feedback", "entry, useful"), ("choices", "entry"), ("escalations", "entry")):
        placeholders = ", ".join("?" for _ in columns.split(","))
        for question_id, *values, week in connection.execute(
            f"SELECT question_id, {columns}, {week_expr.format('at')} FROM {table}"
        ).fetchall():
            _insert_with_new_id(
                connection,
                f"INSERT INTO {table}_v2 (id, question_id, {columns}, week) VALUES (?, ?, {placeholders}, ?)",
                (new_ids.get(question_id), *values, week),
            )
    big = {
        dimension: {
            name
            for (name,) in connection.execute(
                f"SELECT {dimension} FROM askers GROUP BY {dimension} HAVING count(DISTINCT asker) >= ?", (MIN_GROUP,)
            )
        }
        for dimension in DIMENSIONS
    }
    for dimension in DIMENSIONS:
        for week, name, count in connection.execute(
            f"SELECT week, {dimension}, count(*) FROM questions GROUP BY week, {dimension}"
        ).fetchall():
            connection.execute(
                "INSERT INTO audience VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET questions = questions + excluded.questions",
                (week, dimension, name if name in big[dimension] else OTHER_GROUP, count),
            )
        if legacy_key is not None:
            for week, name, base in connection.execute(f"SELECT week, {dimension}, asker FROM askers").fetchall():
                connection.execute(
                    "INSERT OR IGNORE INTO askers_v2 VALUES (?, ?, ?, ?)",
                    (week, dimension, name if name in big[dimension] else OTHER_GROUP,
                     _dimension_hash(legacy_key, dimension, base)),
                )
    # Children first, so nothing refers to the old questions; renaming questions_v2 updates the
    # new tables' references to it.
    for table in ("feedback", "choices", "escalations", "questions", "askers"):
        connection.execute(f"DROP TABLE {table}")
    for table in ("questions", "feedback", "choices", "escalations", "askers"):
        connection.execute(f"ALTER TABLE {table}_v2 RENAME TO {table}")
    connection.execute("CREATE INDEX questions_week ON questions (week)")
    connection.execute("DELETE FROM meta WHERE key = 'asker_key'")


SCHEMA_V3 = """
    CREATE TABLE feedback_v3 (
        id INTEGER PRIMARY KEY,          -- the question's id: one vote per question
        question_id INTEGER NOT NULL REFERENCES questions (id),
        entry TEXT NOT NULL,
        useful INTEGER NOT NULL,
        week TEXT NOT NULL
    );
    CREATE TABLE choices_v3 (
        id INTEGER PRIMARY KEY,          -- the question's id: one choice per question
        question_id INTEGER NOT NULL REFERENCES questions (id),
        entry TEXT NOT NULL,
        week TEXT NOT NULL
    );
    CREATE TABLE escalations_v3 (
        id INTEGER PRIMARY KEY,          -- the question's id (random for an unlogged question)
        question_id INTEGER REFERENCES questions (id),
        entry TEXT,
        week TEXT NOT NULL
    );
    CREATE TABLE askers_v3 (
        week TEXT NOT NULL,
        dimension TEXT NOT NULL,
        name TEXT NOT NULL,
        sketch BLOB NOT NULL,            -- SKETCH_BITS bits; an asker sets bit HMAC(key, ...) mod SKETCH_BITS
        PRIMARY KEY (week, dimension, name)
    ) WITHOUT ROWID;
"""


def _to_v3(store: Store, connection: sqlite3.Connection, legacy_key: bytes | None) -> None:
    """Version 2 kept a row per asker and group (their order paired each asker's role with
    their department), exact claim times and raw Slack event ids, any number of feedback rows
    per question, and an index on week (whose cells, too, were in write order). Move to one
    bitmap per week and group, hour-only keyed claims, one feedback/choice/escalation per
    question (the latest vote and choice; the first escalation), and no week index."""
    for statement in _statements(SCHEMA_V3):
        connection.execute(statement)
    for week, dimension, name, asker in connection.execute("SELECT * FROM askers").fetchall():
        _set_bit_in(connection, "askers_v3", week, dimension, name, _sketch_bit(asker))
    for table, columns in (("feedback", "entry, useful"), ("choices", "entry")):
        connection.execute(
            f"INSERT OR REPLACE INTO {table}_v3 (id, question_id, {columns}, week)"
            f" SELECT question_id, question_id, {columns}, week FROM {table} ORDER BY week, id"
        )
    connection.execute(
        "INSERT OR IGNORE INTO escalations_v3 SELECT question_id, question_id, entry, week FROM escalations"
        " WHERE question_id IS NOT NULL"
    )
    for entry, week in connection.execute("SELECT entry, week FROM escalations WHERE question_id IS NULL").fetchall():
        _insert_with_new_id(connection, "INSERT INTO escalations_v3 VALUES (?, NULL, ?, ?)", (entry, week))
    claims = connection.execute("SELECT event_id, received_at FROM events").fetchall()
    connection.execute("DELETE FROM events")
    connection.executemany(
        "INSERT OR IGNORE INTO events VALUES (?, ?)",
        [
            (_claim_hash(store._asker_key, event_id), received - received % CLAIM_BUCKET_SECONDS)
            for event_id, received in claims
        ],
    )
    for table in ("feedback", "choices", "escalations", "askers"):
        connection.execute(f"DROP TABLE {table}")
        connection.execute(f"ALTER TABLE {table}_v3 RENAME TO {table}")
    connection.execute("DROP INDEX IF EXISTS questions_week")


SCHEMA_V4 = """
    CREATE TABLE answer_handles (
        handle TEXT PRIMARY KEY,         -- HMAC of the platform's name for a posted answer; key outside
        sealed BLOB NOT NULL,            -- [question id, entry], sealed under a key derived from that name
        week TEXT NOT NULL
    ) WITHOUT ROWID;
"""

MIGRATIONS: list = [SCHEMA_V1, _to_v2, _to_v3, SCHEMA_V4]


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
