"""Who answers an activity: a claim per activity id, with a lease, in the bot's SQLite database.

The Bot Connector retries an activity it thinks was lost, and every process sharing the database
may receive a copy. The first copy claims the activity's id and answers it; the claim is marked
done only after the answer is out. While the holder is answering it renews a lease (as the Slack
outbox does, `bot/outbox.py`); a copy that arrives meanwhile waits for the holder to finish and
then gets an empty 200, so a duplicate is answered once, across processes. If the holder dies
mid-answer (kill -9, OOM), its lease runs out and the next copy (the Bot Connector's retry, at a
restarted process or another one) takes the claim over and answers: a retry is never dropped.

A restarted process waits out a dead one's lease rather than guessing from process ids that it is
gone (containers sharing one database can have the same host name and PID). The one window left:
a process that dies after its answer was posted but before the claim is marked done (a few
milliseconds) has that activity answered again by the retry; a lost answer would be worse.

What a row holds: a keyed hash of the conversation and activity id (the key is outside the
database, as for Slack's event claims), the holder, its lease and the hour it arrived. Rows are
deleted a day after they arrived (`expire`, run with the retention purge).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.log.store import Store, _claim_hash
from bot.outbox import process_owner

LEASE_SECONDS = 10.0  # a dead holder's activity is taken over this long after its last renewal
KEEP_SECONDS = 24 * 3600.0  # the Bot Connector retries for minutes, not days
HOUR = 3600

MINE, DONE, BUSY = "mine", "done", "busy"

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams_activity_claims (
    key TEXT PRIMARY KEY,                -- keyed hash of conversation and activity id
    owner TEXT NOT NULL,                 -- the process answering it
    lease_until REAL NOT NULL,           -- free to take over once this has passed; 0 when done
    done INTEGER NOT NULL DEFAULT 0,     -- 1 once the answer is out
    received_at REAL NOT NULL            -- the hour it arrived, for `expire`
) WITHOUT ROWID
"""


class ActivityClaims:
    """Claims on the Store's database; safe to share between threads and processes."""

    def __init__(self, store: Store, lease_seconds: float = LEASE_SECONDS, clock: Callable[[], float] = time.time,
                 owner: str | None = None):
        self.store = store
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.owner = owner or process_owner()
        with store._write(checkpoint=False) as connection:
            connection.execute(SCHEMA)

    def _key(self, activity: str) -> str:
        return _claim_hash(self.store._asker_key, activity)

    def take(self, activity: str) -> str:
        """MINE: answer it (new, or taken over from a holder whose lease ran out); DONE: answered
        already; BUSY: another holder is answering it now."""
        key, now = self._key(activity), self.clock()
        with self.store._write(checkpoint=False) as connection:  # BEGIN IMMEDIATE: one taker wins
            row = connection.execute(
                "SELECT lease_until, done FROM teams_activity_claims WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                connection.execute(
                    "INSERT INTO teams_activity_claims (key, owner, lease_until, received_at) VALUES (?, ?, ?, ?)",
                    (key, self.owner, now + self.lease_seconds, now - now % HOUR),
                )
                return MINE
            if row[1]:
                return DONE
            if row[0] >= now:
                return BUSY
            connection.execute(
                "UPDATE teams_activity_claims SET owner = ?, lease_until = ? WHERE key = ?",
                (self.owner, now + self.lease_seconds, key),
            )
            return MINE

    def renew(self, activity: str) -> bool:
        """Extend our lease while we answer; False if we no longer hold it."""
        with self.store._write(checkpoint=False) as connection:
            return connection.execute(
                "UPDATE teams_activity_claims SET lease_until = ? WHERE key = ? AND owner = ? AND done = 0",
                (self.clock() + self.lease_seconds, self._key(activity), self.owner),
            ).rowcount == 1

    def finish(self, activity: str) -> None:
        """Answered: later copies are duplicates."""
        with self.store._write(checkpoint=False) as connection:
            connection.execute("UPDATE teams_activity_claims SET done = 1, lease_until = 0 WHERE key = ?",
                               (self._key(activity),))

    def release(self, activity: str) -> None:
        """Not answered (the request failed before an answer): the next copy may take it at once."""
        with self.store._write(checkpoint=False) as connection:
            connection.execute("DELETE FROM teams_activity_claims WHERE key = ? AND owner = ? AND done = 0",
                               (self._key(activity), self.owner))

    def expire(self) -> int:
        with self.store._write(checkpoint=False) as connection:
            return connection.execute("DELETE FROM teams_activity_claims WHERE received_at < ?",
                                      (self.clock() - KEEP_SECONDS - HOUR,)).rowcount
