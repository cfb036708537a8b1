"""Activity claims on a real SQLite file shared by two 'processes' (two claim holders): answered
once, and a dead holder's activity taken over once its lease runs out."""

from __future__ import annotations

from bot.adapters.teams.claims import BUSY, DONE, MINE, ActivityClaims
from bot.log.store import Store


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_claim_is_answered_once_and_a_dead_holders_claim_is_taken_over(tmp_path):
    clock = Clock()
    path = tmp_path / "claims.sqlite3"
    first = ActivityClaims(Store(path), lease_seconds=10, clock=clock, owner="a")
    second = ActivityClaims(Store(path), lease_seconds=10, clock=clock, owner="b")
    assert first.take("a:zq7\n1") == MINE
    assert second.take("a:zq7\n1") == BUSY  # being answered: wait
    clock.now += 8
    assert first.renew("a:zq7\n1")
    clock.now += 8
    assert second.take("a:zq7\n1") == BUSY  # renewed: still alive
    first.finish("a:zq7\n1")
    assert second.take("a:zq7\n1") == DONE and first.take("a:zq7\n1") == DONE
    # the holder dies mid-answer: after its lease the retry takes over, and the dead one cannot renew
    assert first.take("a:zq7\n2") == MINE
    clock.now += 10.5
    assert second.take("a:zq7\n2") == MINE and not first.renew("a:zq7\n2")
    second.finish("a:zq7\n2")
    assert first.take("a:zq7\n2") == DONE
    # a failed request gives its claim back at once
    assert first.take("a:zq7\n3") == MINE
    first.release("a:zq7\n3")
    assert second.take("a:zq7\n3") == MINE
    # no ids in the file; rows go a day later
    assert b"a:zq7" not in path.read_bytes()
    clock.now += 2 * 24 * 3600
    assert first.expire() == 3 and first.take("a:zq7\n1") == MINE
