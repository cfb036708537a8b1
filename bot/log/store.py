"""The bot's SQLite database (``GUIDEBOT_DB``): the privacy-safe question log and Slack event ids.

The file alone must not tie a question to a person (see the README, "Question log and
reports"). Tables, and why each holds what it holds:

- ``questions``: one row per question: its ISO *week* (never a finer time), platform, surface,
  outcome, document, section, entry, score, candidates offered, language and the *masked* text.
  No user id, name, channel, role or department. Ids are random, so row order does not give
  away the order in which questions were asked (Slack knows when each message was sent).
  After the retention period the text is deleted; the counts per week and section stay.
- ``feedback``, ``choices``, ``escalations``: "Nyttig"/"Ikke nyttig", the candidate picked after
  "Mente du ...?", and "Spør lederen min" sent, each linked to the question (random id, week only).
- ``audience``: questions per week and per role, and per week and per department, as counters
  with no link to any question. Role and department are counted apart (the pair "leader of
  helse" is one person) and the service stores a group's own name only when at least
  `MIN_GROUP` people in contacts belong to it (a smaller group could never be shown anyway).
- ``askers``: per week and per role or department, a keyed hash of each asker, for counting
  *distinct* askers (reports hide groups under 5). One hash per dimension, so the two
  dimensions cannot be joined. The key lives outside the database (`asker_key`).
- ``events``: Slack event ids already taken, kept one day, so a retried event is answered once
  even when two bot processes share the database.

Deleted text is overwritten (``PRAGMA secure_delete``) and the WAL truncated after a purge, so
purged text is gone from the file's bytes, not only from its tables.

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
import stat
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
MIN_GROUP = 5  # people a role or department needs before its name is stored (and askers before it is shown)
OTHER_GROUP = "andre"  # the name stored for smaller groups
DIMENSIONS = ("role", "department")
KEY_ENV = "GUIDEBOT_LOG_KEY"
KEY_FILE_ENV = "GUIDEBOT_LOG_KEY_FILE"
_MAX_ID = 2**53 - 1  # random question ids stay exact in JSON and JavaScript (Slack, Teams)

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
    configured = os.environ.get("GUIDEBOT_DB")
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
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten, not just unlinked
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
            self._truncate_wal()

    def _truncate_wal(self) -> None:
        """Copy the WAL into the database and cut it to zero bytes, so that old page images
        (which may hold deleted text) do not linger in the -wal file."""
        connection = self._connection()
        for _ in range(50):
            busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            threading.Event().wait(0.02)

    # -- Slack event de-duplication

    def claim_event(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (by any process sharing the file), else False."""
        with self._write() as connection:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO events (event_id, received_at) VALUES (?, ?)",
                (event_id, self.clock().timestamp()),
            )
            return cursor.rowcount == 1

    # -- the question log

    def log_question(self, question: LoggedQuestion, asker_id: str = "") -> int:
        """Record a question (text masked here) and return its id. Role and department only
        bump the week's `audience` counters; `asker_id` only feeds the distinct-asker count."""
        week = week_of(self.clock())
        text = self.masker.mask(question.text)
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
            for dimension, name in groups.items():
                connection.execute(
                    "INSERT INTO audience VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET questions = questions + 1",
                    (week, dimension, name),
                )
                if asker_id:
                    connection.execute(
                        "INSERT OR IGNORE INTO askers VALUES (?, ?, ?, ?)",
                        (week, dimension, name, self._asker_hash(dimension, question.platform, asker_id)),
                    )
            return question_id

    def _asker_hash(self, dimension: str, platform: str, asker_id: str) -> str:
        return _dimension_hash(self._asker_key, dimension, _base_hash(self._asker_key, f"{platform}:{asker_id}"))

    def record_feedback(self, question_id: int, entry: str, useful: bool) -> bool:
        return self._record(
            "INSERT INTO feedback (id, question_id, entry, useful, week) VALUES (?, ?, ?, ?, ?)",
            question_id,
            (entry, int(useful)),
        )

    def record_choice(self, question_id: int, entry: str) -> bool:
        return self._record(
            "INSERT INTO choices (id, question_id, entry, week) VALUES (?, ?, ?, ?)", question_id, (entry,)
        )

    def record_escalation(self, question_id: int | None, entry: str | None) -> bool:
        return self._record(
            "INSERT INTO escalations (id, question_id, entry, week) VALUES (?, ?, ?, ?)", question_id, (entry,)
        )

    def _record(self, sql: str, question_id: int | None, values: tuple) -> bool:
        """Insert a row linked to a logged question (random id, week only); False if that
        question is not in the log."""
        week = week_of(self.clock())
        with self._write() as connection:
            if (
                question_id is not None
                and connection.execute("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone() is None
            ):
                return False
            _insert_with_new_id(connection, sql, (question_id, *values, week))
            return True

    # -- retention

    def purge(self) -> dict[str, int]:
        """Delete question text whose week began more than the retention period ago (so no text
        is kept longer than that), keeping its week, section and outcome for counts; asker
        hashes of those weeks; and Slack event ids older than a day. Deleted text is overwritten
        in the file (secure_delete) and the WAL is truncated, so it is gone from the bytes too
        (and the order in which rows were written with it)."""
        now = self.clock()
        last_purged_week = (now - timedelta(days=self.retention_days)).date().isoformat()
        with self._write() as connection:
            texts = connection.execute(
                "UPDATE questions SET text = NULL WHERE week <= ? AND text IS NOT NULL", (last_purged_week,)
            ).rowcount
            askers = connection.execute("DELETE FROM askers WHERE week <= ?", (last_purged_week,)).rowcount
            events = connection.execute(
                "DELETE FROM events WHERE received_at < ?", (now.timestamp() - EVENT_RETENTION_SECONDS,)
            ).rowcount
        # Always, not only after deletions: the WAL keeps pages in commit order, and a day's
        # order of writes is more than the file should keep.
        self._truncate_wal()
        return {"texts_deleted": texts, "asker_weeks_deleted": askers, "event_ids_deleted": events}


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


MIGRATIONS: list = [SCHEMA_V1, _to_v2]


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
