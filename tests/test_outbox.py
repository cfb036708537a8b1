"""The outbox on real SQLite files: leases between processes (two Outbox owners on one file),
resuming work a dead process left, retries, expiry, drain on stop, and raw text really gone."""

from __future__ import annotations

import threading
import time

import pytest

from bot.log.store import Store
from bot.outbox import MAX_ATTEMPTS, Outbox, OutboxWorkers


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def store(tmp_path):
    store = Store(tmp_path / "outbox.sqlite3")
    yield store
    store.close()


def outbox(store, clock=None, owner=None, **kwargs) -> Outbox:
    box = Outbox(store, owner=owner, clock=clock or time.time, **kwargs)
    box.register("slack", lambda job: None)
    return box


def test_a_row_is_claimed_by_one_owner_until_its_lease_runs_out(store):
    clock = Clock()
    first, second = outbox(store, clock, "first"), outbox(store, clock, "second")
    put = first.put("slack", "dm", "kan jeg poste bilder?", {"channel": "D1"}, "U1")
    job = first.claim()
    assert job is not None and job.id == put.id and job.text == "kan jeg poste bilder?"
    assert job.reply_to == {"channel": "D1"} and job.asker == "U1" and not job.maybe_sent
    assert second.claim() is None  # held by the first
    assert first.sending(job, question_id=7)
    clock.now += first.lease_seconds + 1  # the first process died: no heartbeat renewed it
    resumed = second.claim()
    assert resumed is not None and resumed.id == job.id
    assert resumed.maybe_sent and resumed.question_id == 7 and resumed.attempts == 2
    assert not first.sending(job, 7)  # the first, if it was only stalled, must not send now
    second.done(resumed)
    assert second.waiting() == 0


def test_heartbeat_keeps_a_busy_row_and_release_hands_the_rest_over(store):
    clock = Clock()
    first, second = outbox(store, clock, "first"), outbox(store, clock, "second")
    for n in range(3):
        first.put("slack", "dm", f"q{n}", {"channel": f"D{n}"})
    busy, idle = first.claim(), first.claim()
    clock.now += first.lease_seconds * 0.9
    assert first.heartbeat({busy.id}) == 1
    clock.now += first.lease_seconds * 0.5  # past the idle row's lease, not the renewed one
    taken = second.claim()
    assert taken.id == idle.id
    assert first.release(keep={busy.id}) == 0  # the idle row is no longer ours
    third = first.claim()
    assert first.release(keep={busy.id}) == 1
    assert second.claim().id == third.id  # released: taken at once, no lease to wait out


def test_failures_back_off_then_give_up_after_max_attempts(store):
    clock = Clock()
    box = outbox(store, clock, retry_seconds=2.0)
    box.put("slack", "dm", "q", {"channel": "D1"})
    for attempt in range(1, MAX_ATTEMPTS + 1):
        job = box.claim()
        assert job is not None and job.attempts == attempt
        retried = box.retry_later(job)
        assert retried == (attempt < MAX_ATTEMPTS)
        assert box.claim() is None  # backing off
        clock.now += 2.0 * 2 ** (attempt - 1) + 0.01
    assert box.waiting() == 0


def test_rows_older_than_max_age_are_dropped(store):
    clock = Clock()
    box = outbox(store, clock)
    box.put("slack", "dm", "old", {"channel": "D1"})
    clock.now += box.max_age_seconds - 1
    box.put("slack", "dm", "new", {"channel": "D2"})
    clock.now += 2
    assert box.expire() == 1
    assert box.claim().text == "new"


def test_only_platforms_with_a_handler_here_are_claimed(store):
    box = Outbox(store)
    box.put("teams", "dm", "q", {"conversation": "c"})
    assert box.claim() is None
    box.register("teams", lambda job: None)
    assert box.claim().platform == "teams"


def test_two_worker_pools_on_one_database_answer_each_row_once(tmp_path):
    stores = [Store(tmp_path / "shared.sqlite3"), Store(tmp_path / "shared.sqlite3")]
    handled: list[int] = []
    lock = threading.Lock()

    def handle(job):
        time.sleep(0.005)
        with lock:
            handled.append(job.id)

    boxes = [Outbox(s) for s in stores]
    for box in boxes:
        box.register("slack", handle)
    ids = [boxes[n % 2].put("slack", "dm", f"q{n}", {"channel": f"D{n}"}).id for n in range(120)]
    pools = [OutboxWorkers(box, threads=4).start() for box in boxes]
    try:
        deadline = time.monotonic() + 20
        # Done when every row is gone from the table, not when the last handler ran: a row is
        # deleted just after its handler returns, and stopping in between leaves it "unfinished".
        while time.monotonic() < deadline and (
            len(handled) < len(ids) or stores[0].read("SELECT count(*) FROM outbox", as_tuples=True)[0][0]
        ):
            time.sleep(0.05)
    finally:
        assert [pool.stop() for pool in pools] == [0, 0]
        for s in stores:
            s.close()
    assert sorted(handled) == sorted(ids)


def test_stop_drains_what_was_accepted_then_leaves_the_rest_free(store):
    slow = threading.Event()
    handled: list[str] = []
    box = Outbox(store)
    box.register("slack", lambda job: (slow.wait(0.05), handled.append(job.text)))
    for n in range(6):
        box.put("slack", "dm", f"q{n}", {"channel": f"D{n}"})
    pool = OutboxWorkers(box, threads=2).start()
    assert pool.stop(drain_seconds=10) == 0
    assert sorted(handled) == [f"q{n}" for n in range(6)]

    stuck = Outbox(store)
    stuck.register("slack", lambda job: time.sleep(0.3))
    for n in range(4):
        stuck.put("slack", "dm", f"late{n}", {"channel": f"D{n}"})
    pool = OutboxWorkers(stuck, threads=1).start()
    time.sleep(0.1)
    left = pool.stop(drain_seconds=0.1)
    assert 1 <= left <= 3
    assert outbox(store).claim() is not None  # free at once for the next process


def test_a_failing_handler_is_retried_and_the_last_failure_gives_up_politely(store):
    calls: list[int] = []
    apologies: list[int] = []

    def fail(job):
        calls.append(job.attempts)
        raise OSError("Slack is down")

    box = Outbox(store, retry_seconds=0.01)
    box.register("slack", fail, give_up=lambda job: apologies.append(job.id))
    job = box.put("slack", "dm", "q", {"channel": "D1"})
    pool = OutboxWorkers(box, threads=2).start()
    deadline = time.monotonic() + 10
    while not apologies and time.monotonic() < deadline:
        time.sleep(0.02)
    pool.stop()
    assert calls == list(range(1, MAX_ATTEMPTS + 1)) and apologies == [job.id]


def test_the_raw_question_text_is_gone_from_the_file_once_answered(store):
    box = outbox(store)
    secret = "Ola Nordmann sin diagnose er hemmelig 12345678"
    box.put("slack", "dm", secret, {"channel": "D1"})
    box.put("slack", "dm", "a row that stays, so the page is reused, not freed", {"channel": "D2"})
    box.done(box.claim())
    store._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in store.path.parent.glob(store.path.name + "*"):
        assert secret.encode() not in path.read_bytes(), path


def test_the_event_id_is_claimed_with_the_row_or_not_at_all(store):
    box = outbox(store)
    assert box.put("slack", "dm", "q", {"channel": "D1"}, claim="EvONE") is not None
    assert box.put("slack", "dm", "q", {"channel": "D1"}, claim="EvONE") is None  # Slack's retry
    with pytest.raises(Exception):  # noqa: B017 (the insert fails after the claim, whatever the error)
        box.put("slack", "dm", {"not": "text"}, {"channel": "D2"}, claim="EvTWO")  # type: ignore[arg-type]
    assert box.put("slack", "dm", "q2", {"channel": "D2"}, claim="EvTWO") is not None  # claim rolled back
    assert box.waiting() == 2 and not store.claim_event("EvTWO")
    assert store._connection().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL again after put


def test_answers_in_one_conversation_go_out_in_order_others_do_not_wait(store):
    box = outbox(store)
    first = box.put("slack", "dm", "hei", {"channel": "D1"}, conversation="D1/")
    box.put("slack", "dm", "kan jeg poste bilder?", {"channel": "D1"}, conversation="D1/")
    other = box.put("slack", "dm", "passord?", {"channel": "D2"}, conversation="D2/")
    slash = box.put("slack", "slash", "bilder?", {"response_url": "u"})
    assert [box.claim().id for _ in range(3)] == [first.id, other.id, slash.id]
    assert box.claim() is None  # D1's second waits for its first
    box.done(first)
    assert box.claim().text == "kan jeg poste bilder?"


def test_a_worker_survives_a_database_error_mid_row(store, monkeypatch):
    box = Outbox(store)
    answered: list[str] = []
    box.register("slack", lambda job: answered.append(job.text))
    real_done = box.done
    failures = iter([True])

    def done_once_failing(job):
        if next(failures, False):
            raise __import__("sqlite3").OperationalError("disk I/O error")
        real_done(job)

    monkeypatch.setattr(box, "done", done_once_failing)
    box.put("slack", "dm", "first", {"channel": "D1"})
    box.put("slack", "dm", "second", {"channel": "D2"})
    pool = OutboxWorkers(box, threads=1).start()
    deadline = time.monotonic() + 5
    while len(answered) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.alive  # the one worker is still there
    pool.stop()
    assert answered == ["first", "second"]
