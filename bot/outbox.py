"""Accepted questions waiting for their answer: a queue in the bot's SQLite database.

An adapter puts a question here *before* it acknowledges it to the chat platform, so a question
that was acked is never lost: not on SIGTERM (every deploy), not on kill -9. Worker threads
(`OutboxWorkers`) take rows one at a time, answer them through the adapter's handler, and delete
them. A row is claimed with a lease that a heartbeat renews while the worker is busy; a process
that dies stops renewing, and once the lease runs out (`LEASE_SECONDS`) any process sharing the
database takes the row over, so work left by a killed process is resumed at start-up and two
processes never answer the same row.

What a row holds, and for how long: the raw question text (the question log keeps only a masked
copy; the raw text is needed to answer and is deleted with the row), the platform's user id of
the asker (to find their leader for a referral; nothing else), where the answer goes (channel,
thread, response URL), and bookkeeping. Rows are deleted when answered; a row that has not been
answered after `MAX_AGE_SECONDS` (one hour: an answer later than that helps nobody, and Slack's
response URLs die after 30 minutes) or after `MAX_ATTEMPTS` failures is deleted unanswered, with
a log line that holds no text or id. Deleted rows are overwritten on disk (`secure_delete`).

Exactly once: before a handler sends an answer it marks the row `sending`. A row found `sending`
after a crash may have been answered already; the handler is told (`Job.maybe_sent`) so it can
check the platform (Slack: the answer carries the row's random `key`) before sending again.
A restarted process waits out a dead one's leases rather than guessing from process ids that it
is gone: containers sharing one database can have the same host name and PID.

Usage (an adapter puts, then acks; the process runs the workers and stops them on SIGTERM):

>>> outbox = Outbox(store)                                          # doctest: +SKIP
>>> outbox.register("slack", answer, give_up=apologise)             # doctest: +SKIP
>>> outbox.put("slack", "dm", text, {"channel": "D1"}, "U1", claim=event_id)  # doctest: +SKIP
>>> workers = OutboxWorkers(outbox).start()                         # doctest: +SKIP
>>> workers.stop(drain_seconds=8)                                   # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.log.store import Store

log = logging.getLogger("guidebot.outbox")

LEASE_SECONDS = 10.0  # a dead process's work is taken over this long after its last heartbeat
MIN_LEASE_SECONDS = 3.0
MAX_AGE_SECONDS = 3600.0
MAX_ATTEMPTS = 5
DEFAULT_WORKERS = 32  # answers wait on the platform's API (~150 ms a call), not on the CPU
IDLE_POLL_SECONDS = 0.5  # how often an idle worker looks for rows put by another process

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,            -- random; tags the answer so a resumed row can find it
    platform TEXT NOT NULL,              -- slack | teams
    surface TEXT NOT NULL,               -- dm | mention | slash | report
    asker TEXT NOT NULL DEFAULT '',      -- the platform's user id, to find the asker's leader
    reply_to TEXT NOT NULL,              -- JSON: where the answer goes
    text TEXT,                           -- the question as written; deleted with the row
    accepted_at REAL NOT NULL,
    owner TEXT NOT NULL DEFAULT '',      -- the process working on it
    lease_until REAL NOT NULL DEFAULT 0, -- free to claim once this has passed
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'queued',-- queued | sending (an answer may be on its way)
    question_id INTEGER,                 -- the question log's row, once logged (log once)
    conversation TEXT NOT NULL DEFAULT '' -- answers in one conversation go out in order
)
"""
INDEX = "CREATE INDEX IF NOT EXISTS outbox_conversation ON outbox (conversation, id)"


def process_owner() -> str:
    """This process's name on a lease: host, pid and a random part (containers sharing one
    database can have the same host name and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Job:
    """One accepted question, as a worker sees it."""

    id: int
    key: str
    platform: str
    surface: str
    asker: str
    reply_to: dict[str, Any]
    text: str | None
    accepted_at: float
    attempts: int
    question_id: int | None = None
    maybe_sent: bool = False  # a previous attempt marked it `sending`: check before sending again


class LeaseLost(Exception):
    """Another process took the row over (ours stalled past its lease): leave it to them."""


class Outbox:
    """The queue on the Store's database; safe to share between threads and processes."""

    def __init__(
        self,
        store: Store,
        owner: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
        retry_seconds: float = 2.0,
    ):
        self.store = store
        self.owner = owner or process_owner()
        self.lease_seconds = lease_seconds
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self.retry_seconds = retry_seconds  # the first retry's wait; it doubles each time
        self.handlers: dict[str, Callable[[Job], None]] = {}
        self.give_up_handlers: dict[str, Callable[[Job], None]] = {}
        self.arrived = threading.Condition()
        self._local = threading.local()
        with self._write() as connection:
            connection.execute(SCHEMA)
            connection.execute(INDEX)

    def register(
        self, platform: str, handler: Callable[[Job], None], give_up: Callable[[Job], None] | None = None
    ) -> None:
        """Workers in this process answer `platform`'s rows with `handler(job)`; `give_up(job)`
        (an apology, say) runs after the last failed attempt."""
        self.handlers[platform] = handler
        if give_up is not None:
            self.give_up_handlers[platform] = give_up

    # -- the database

    def _write(self):
        connection = self.store._connection()
        if not getattr(self._local, "secure", False):
            # The raw question text must not survive its row in free pages of the file.
            connection.execute("PRAGMA secure_delete = ON")
            self._local.secure = True
        return self.store._write()

    # -- putting and taking

    def put(
        self,
        platform: str,
        surface: str,
        text: str | None,
        reply_to: dict[str, Any],
        asker: str = "",
        claim: str | None = None,
        conversation: str = "",
    ) -> Job | None:
        """Persist an accepted question (call before acknowledging it) and wake a worker.
        With `claim` (the platform's event id) the id is claimed in the same transaction, so a
        crash cannot leave an event claimed (its retries ignored) but not queued; None if the
        id was claimed before (a retry of a question already queued). Rows with the same
        `conversation` are answered one after the other, in order ("" for none)."""
        key = secrets.token_hex(8)
        now = self.clock()
        connection = self.store._connection()
        # The ack promises the question is kept: this commit waits for the disk (~0.2 ms), so it
        # survives a power cut too, not only a crash (the store's other writes need not).
        synchronous = connection.execute("PRAGMA synchronous").fetchone()[0]
        connection.execute("PRAGMA synchronous = FULL")
        try:
            with self._write() as connection:
                if claim is not None and not self.store.claim_event_in(connection, claim):
                    return None
                cursor = connection.execute(
                    "INSERT INTO outbox (key, platform, surface, asker, reply_to, text, accepted_at, conversation)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, platform, surface, asker, json.dumps(reply_to), text, now, conversation),
                )
                job_id = int(cursor.lastrowid)
        finally:
            connection.execute(f"PRAGMA synchronous = {int(synchronous)}")
        with self.arrived:
            self.arrived.notify()
        return Job(job_id, key, platform, surface, asker, reply_to, text, now, 0)

    def claim(self) -> Job | None:
        """The oldest row nobody holds, for a platform this process answers and with no
        earlier row of its conversation still waiting, leased to us."""
        if not self.handlers:
            return None
        platforms = sorted(self.handlers)
        now = self.clock()
        marks = ", ".join("?" for _ in platforms)
        with self._write() as connection:
            row = connection.execute(
                "UPDATE outbox SET owner = ?, lease_until = ?, attempts = attempts + 1"
                " WHERE id = (SELECT id FROM outbox AS queued WHERE lease_until < ? AND platform IN"
                f" ({marks}) AND (conversation = '' OR NOT EXISTS (SELECT 1 FROM outbox AS earlier"
                " WHERE earlier.conversation = queued.conversation AND earlier.id < queued.id))"
                " ORDER BY id LIMIT 1)"
                " RETURNING id, key, platform, surface, asker, reply_to, text, accepted_at, attempts, state,"
                " question_id",
                (self.owner, now + self.lease_seconds, now, *platforms),
            ).fetchone()
        if row is None:
            return None
        job_id, key, platform, surface, asker, reply_to, text, accepted_at, attempts, state, question_id = row
        return Job(
            job_id, key, platform, surface, asker, json.loads(reply_to), text, accepted_at, attempts,
            question_id, maybe_sent=state == "sending",
        )

    def sending(self, job: Job, question_id: int | None) -> bool:
        """Mark the row as being answered (with its log row); False if we no longer hold it."""
        with self._write() as connection:
            cursor = connection.execute(
                "UPDATE outbox SET state = 'sending', question_id = ? WHERE id = ? AND owner = ?",
                (question_id, job.id, self.owner),
            )
            return cursor.rowcount == 1

    def done(self, job: Job) -> None:
        """Answered (or given up): the row and its text are deleted."""
        with self._write() as connection:
            connection.execute("DELETE FROM outbox WHERE id = ?", (job.id,))

    def retry_later(self, job: Job) -> bool:
        """After a failure: free the row for a later attempt (backing off), or drop it after
        MAX_ATTEMPTS. True if it will be retried."""
        if job.attempts >= MAX_ATTEMPTS:
            self.done(job)
            return False
        with self._write() as connection:
            connection.execute(
                "UPDATE outbox SET owner = '', lease_until = ? WHERE id = ? AND owner = ?",
                (self.clock() + self.retry_seconds * 2.0 ** (job.attempts - 1), job.id, self.owner),
            )
        return True

    def heartbeat(self, busy: set[int]) -> int:
        """Renew the leases of the rows this process is answering; returns how many."""
        if not busy:
            return 0
        until = self.clock() + self.lease_seconds
        with self._write() as connection:
            return sum(
                connection.execute(
                    "UPDATE outbox SET lease_until = ? WHERE id = ? AND owner = ?", (until, job_id, self.owner)
                ).rowcount
                for job_id in busy
            )

    def release(self, keep: set[int]) -> int:
        """Give back every row we hold except `keep` (rows still being answered), so the next
        process takes them at once instead of waiting for the lease to run out."""
        with self._write() as connection:
            rows = [r[0] for r in connection.execute("SELECT id FROM outbox WHERE owner = ?", (self.owner,))]
            freed = [r for r in rows if r not in keep]
            for job_id in freed:
                connection.execute("UPDATE outbox SET owner = '', lease_until = 0 WHERE id = ?", (job_id,))
        return len(freed)

    def expire(self) -> int:
        """Delete rows older than max_age_seconds, answered or not."""
        with self._write() as connection:
            return connection.execute(
                "DELETE FROM outbox WHERE accepted_at < ?", (self.clock() - self.max_age_seconds,)
            ).rowcount

    def waiting(self) -> int:
        """Rows not yet answered (in any process)."""
        return int(self.store._connection().execute("SELECT count(*) FROM outbox").fetchone()[0])


@dataclass
class OutboxWorkers:
    """Threads that answer the outbox's rows; `stop(drain_seconds)` finishes work in hand."""

    outbox: Outbox
    threads: int = DEFAULT_WORKERS
    _stopping: threading.Event = field(default_factory=threading.Event)
    _draining: threading.Event = field(default_factory=threading.Event)
    _busy: set[int] = field(default_factory=set)
    _busy_lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> OutboxWorkers:
        expired = self.outbox.expire()
        if expired:
            log.warning("outbox: %d question(s) older than %d s dropped unanswered", expired,
                        self.outbox.max_age_seconds)
        waiting = self.outbox.waiting()
        if waiting:
            log.info("outbox: %d question(s) accepted earlier are waiting; answering them", waiting)
        for number in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"guidebot-answer-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._beat, name="guidebot-outbox-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)
        return self

    @property
    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def stop(self, drain_seconds: float = 0.0) -> int:
        """Answer what is waiting for up to `drain_seconds`, let answers in flight finish, give
        the rest back to the database for the next process; returns rows left waiting."""
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline and self._pending_here():
            time.sleep(0.05)
        self._stopping.set()
        # Answers in flight may finish until the deadline (at least half a second); a worker
        # about to wait may miss one wake-up, so keep waking them.
        join_until = max(deadline, time.monotonic() + 0.5)
        while any(t.is_alive() for t in self._threads) and time.monotonic() < join_until:
            with self.outbox.arrived:
                self.outbox.arrived.notify_all()
            for thread in self._threads:
                thread.join(timeout=0.01)
        with self._busy_lock:
            busy = set(self._busy)
        self.outbox.release(busy)
        left = self.outbox.waiting()
        if left:
            log.info("outbox: %d question(s) left for the next start", left)
        return left

    def _pending_here(self) -> bool:
        with self._busy_lock:
            if self._busy:
                return True
        platforms = sorted(self.outbox.handlers)
        marks = ", ".join("?" for _ in platforms)
        row = self.outbox.store._connection().execute(
            f"SELECT 1 FROM outbox WHERE platform IN ({marks}) AND (owner = '' OR owner = ?) LIMIT 1",
            (*platforms, self.outbox.owner),
        ).fetchone()
        return row is not None

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.outbox.claim()
            except Exception as error:  # the database is busy or gone: try again shortly
                log.error("outbox: cannot claim work: %r", error)
                self._stopping.wait(1.0)
                continue
            if job is None:
                with self.outbox.arrived:
                    self.outbox.arrived.wait(IDLE_POLL_SECONDS)
                continue
            with self._busy_lock:
                self._busy.add(job.id)
            try:
                self._answer(job)
            except Exception as error:  # the database failed us mid-row: its lease runs out, it is retried
                log.error("outbox: row %d left for a retry: %s", job.id, type(error).__name__)
            finally:
                with self._busy_lock:
                    self._busy.discard(job.id)

    def _answer(self, job: Job) -> None:
        handler = self.outbox.handlers[job.platform]
        try:
            handler(job)
        except LeaseLost:
            log.warning("outbox: row %d was taken over by another process", job.id)
            return
        except Exception as error:
            retried = self.outbox.retry_later(job)
            # No text and no ids in the log: the row number and the error type are enough.
            log.error(
                "outbox: answering row %d failed (attempt %d, %s): %s",
                job.id, job.attempts, "will retry" if retried else "given up", type(error).__name__,
            )
            give_up = self.outbox.give_up_handlers.get(job.platform)
            if not retried and give_up is not None:
                try:
                    give_up(job)
                except Exception as second:
                    log.error("outbox: could not tell the asker of row %d: %s", job.id, type(second).__name__)
            return
        self.outbox.done(job)

    def _beat(self) -> None:
        interval = self.outbox.lease_seconds / 3
        while not self._stopping.wait(interval):
            try:
                with self._busy_lock:
                    busy = set(self._busy)
                self.outbox.heartbeat(busy)
                self.outbox.expire()
            except Exception as error:
                log.error("outbox: heartbeat failed: %r", error)
