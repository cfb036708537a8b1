"""The question log on a real SQLite file: masking, no identity, retention, schema, and many
processes writing at once (and one killed mid-write)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.log.privacy import Masker
from bot.log.store import MIGRATIONS, LoggedQuestion, Store, since_to_date
from tests.conftest import ROOT

WRITER = """
import sys
from bot.log.store import LoggedQuestion, Store
store = Store(sys.argv[1])
for n in range(int(sys.argv[2])):
    qid = store.log_question(LoggedQuestion("slack", "dm", "answered", f"spørsmål {sys.argv[3]}-{n}",
                                            "sosiale-medier", "4.4", "svartid", 0.9), asker_id=f"U{n % 7}")
    if len(sys.argv) > 4:
        print(qid, flush=True)
"""

CLAIMER = """
import sys
from bot.log.store import Store
store = Store(sys.argv[1])
won = [i for i in range(200) if store.claim_event(f"Ev{i:05d}")]
print(",".join(map(str, won)))
"""


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def question(text: str, **changes) -> LoggedQuestion:
    fields = dict(platform="slack", surface="dm", outcome="answered", text=text, document="sosiale-medier",
                  section="4.4", entry="svartid", score=0.8, role="ansatt", department="helse")
    fields.update(changes)
    return LoggedQuestion(**fields)


def run_python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


# -- masking

digits = st.integers(0, 9).map(str)
phones = st.one_of(
    st.builds(lambda d: "".join(d), st.lists(digits, min_size=8, max_size=8)).map(lambda s: "9" + s[1:]),
    st.builds(lambda d: f"+47 {d[:3]} {d[3:5]} {d[5:]}", st.text("0123456789", min_size=8, max_size=8)),
    st.builds(lambda d: f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", st.text("0123456789", min_size=8, max_size=8)),
    st.builds(lambda d: f"0047{d}", st.text("0123456789", min_size=8, max_size=8)),
)
fodselsnummer = st.builds(lambda d, spaced: f"{d[:6]} {d[6:]}" if spaced else d,
                          st.text("0123456789", min_size=11, max_size=11), st.booleans())
words = st.text("abcdefghijklmnopqrstuvwxyzæøå ?,.", max_size=30)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=words, secret=st.one_of(st.emails(), phones, fodselsnummer), after=words)
def test_generated_personal_data_never_reaches_the_database(tmp_path, before, secret, after):
    store = Store(tmp_path / "mask.sqlite3")
    store.log_question(question(f"{before} {secret} {after}"))
    stored = [row["text"] for row in store.read("SELECT text FROM questions")]
    store.close()
    (tmp_path / "mask.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"mask.sqlite3{suffix}").unlink(missing_ok=True)
    compact = secret.replace(" ", "")
    assert all(secret not in text and compact not in text.replace(" ", "") for text in stored), (secret, stored)
    if "@" in secret:
        assert all(secret.split("@")[1] not in text for text in stored)


def test_masker_masks_mentions_links_ids_and_contact_names():
    masker = Masker(["Kari Nordvik", "Ola Båtsfjordingen"])
    masked = masker.mask("<@U0HELSE001> <#C0GENERAL1|generelt> <https://x.no|lenke> www.vg.no "
                         "kari nordvik og Ola ringte 12345678901 fra U0SIGRID01")
    assert masked == "[bruker] [kanal] [lenke] [lenke] [navn] og [navn] ringte [fødselsnummer] fra [bruker]"


def test_the_file_holds_no_identity_anywhere(tmp_path, bot):
    from bot.service import Service

    path = tmp_path / "id.sqlite3"
    store = Store(path, Service.masker_for(bot))
    asker = bot.identify(slack_user="U0SIGRID01")
    Service(bot, store).ask("Kari Nordvik sa jeg kan poste bilde, mail sigrid.eriksen@batsfjord.kommune.no",
                            "slack", "dm", asker, "U0SIGRID01")
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for identity in (b"U0SIGRID01", b"Sigrid", b"sigrid.eriksen", b"Kari", b"Nordvik"):
        assert identity not in raw


def test_no_identity_columns_next_to_the_text(tmp_path):
    store = Store(tmp_path / "schema.sqlite3")
    columns = {row["name"] for row in store.read("PRAGMA table_info(questions)")}
    assert columns == {"id", "asked_at", "week", "platform", "surface", "outcome", "document", "section", "entry",
                       "score", "candidates", "role", "department", "language", "text"}
    askers = {row["name"] for row in store.read("PRAGMA table_info(askers)")}
    assert askers == {"week", "role", "department", "asker"}  # no link to any question or text
    assert store.schema_version == len(MIGRATIONS)


def test_distinct_askers_are_counted_by_keyed_hash(tmp_path):
    store = Store(tmp_path / "askers.sqlite3")
    for n in range(12):
        store.log_question(question(f"q{n}"), asker_id=f"U{n % 3}")
    hashes = [row["asker"] for row in store.read("SELECT asker FROM askers")]
    assert len(hashes) == 3 and not any(h.startswith("U") for h in hashes)
    other = Store(tmp_path / "other.sqlite3")
    other.log_question(question("q"), asker_id="U0")
    assert other.read("SELECT asker FROM askers")[0]["asker"] not in hashes  # key is per database


# -- retention


def test_purge_deletes_old_text_and_keeps_counts(tmp_path):
    clock = Clock(datetime(2026, 8, 3, 9, 30, tzinfo=UTC))
    store = Store(tmp_path / "retention.sqlite3", retention_days=90, clock=clock)
    old = store.log_question(question("gammelt spørsmål"), asker_id="U1")
    store.claim_event("EvOLD")
    clock.now += timedelta(days=89)
    recent = store.log_question(question("nytt spørsmål"), asker_id="U1")
    clock.now += timedelta(days=9)  # the old question's whole week is now past retention
    store.claim_event("EvNEW")
    assert store.purge() == {"texts_deleted": 1, "asker_weeks_deleted": 1, "event_ids_deleted": 1}
    rows = {row["id"]: row for row in store.read("SELECT id, asked_at, week, section, text FROM questions")}
    assert rows[old]["text"] is None and rows[old]["asked_at"] == "2026-08-03" and rows[old]["section"] == "4.4"
    assert rows[recent]["text"] == "nytt spørsmål"
    assert not store.claim_event("EvNEW") and store.claim_event("EvOLD")  # old id forgotten, new kept
    assert store.purge()["texts_deleted"] == 0


def test_since_parses_days_weeks_and_dates():
    today = datetime(2026, 11, 23).date()
    assert since_to_date("30d", today).isoformat() == "2026-10-24"
    assert since_to_date("2w", today).isoformat() == "2026-11-09"
    assert since_to_date("2026-01-31", today).isoformat() == "2026-01-31"
    with pytest.raises(ValueError, match="--since"):
        since_to_date("lenge siden", today)


def test_retention_days_from_env(monkeypatch):
    from bot.log.store import retention_days_from_env

    assert retention_days_from_env() == 90
    monkeypatch.setenv("GUIDEBOT_RETENTION_DAYS", "30")
    assert retention_days_from_env() == 30
    monkeypatch.setenv("GUIDEBOT_RETENTION_DAYS", "-1")
    with pytest.raises(ValueError, match="GUIDEBOT_RETENTION_DAYS"):
        retention_days_from_env()


# -- concurrency and crashes


def test_eight_processes_write_500_questions_each(tmp_path):
    path = str(tmp_path / "busy.sqlite3")
    Store(path).close()
    writers = [run_python(WRITER, path, "500", str(n)) for n in range(8)]
    results = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0] * 8, [err for _, err in results]
    assert not any("locked" in err for _, err in results)
    store = Store(path)
    assert store.read("SELECT count(*) AS n FROM questions")[0]["n"] == 4000
    texts = {row["text"] for row in store.read("SELECT text FROM questions")}
    assert texts == {f"spørsmål {w}-{n}" for w in range(8) for n in range(500)}
    assert store.read("PRAGMA integrity_check")[0][0] == "ok"


def test_event_claims_are_exclusive_across_processes(tmp_path):
    path = str(tmp_path / "claims.sqlite3")
    Store(path).close()
    claimers = [run_python(CLAIMER, path) for _ in range(4)]
    won = [c.communicate(timeout=120)[0].strip() for c in claimers]
    ids = [int(i) for line in won for i in line.split(",") if i]
    assert sorted(ids) == list(range(200))  # every event claimed exactly once


def test_a_writer_killed_mid_write_leaves_an_intact_database(tmp_path):
    path = str(tmp_path / "killed.sqlite3")
    Store(path).close()
    writer = run_python(WRITER, path, "1000000", "k", "print")
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 300 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if line.strip():
            committed = int(line)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = connection.execute("SELECT count(*) FROM questions").fetchone()[0]
    connection.close()
    assert count >= committed >= 300  # every reported commit survived the kill
    store = Store(path)
    store.log_question(question("etter krasjet"))
    assert store.read("SELECT count(*) AS n FROM questions")[0]["n"] == count + 1


def test_feedback_needs_a_logged_question(tmp_path):
    store = Store(tmp_path / "fb.sqlite3")
    qid = store.log_question(question("kan jeg poste bilde?"))
    assert store.record_feedback(qid, "svartid", True)
    assert not store.record_feedback(qid + 99, "svartid", True)
    assert json.loads(store.read("SELECT candidates FROM questions")[0]["candidates"]) == []


def test_purging_runs_at_start_and_then_on_schedule(tmp_path):
    from bot.adapters.slack.server import start_purging

    clock = Clock(datetime(2026, 1, 5, tzinfo=UTC))
    store = Store(tmp_path / "sched.sqlite3", retention_days=30, clock=clock)
    store.log_question(question("gammelt"))
    clock.now += timedelta(days=40)
    stop = start_purging(store, interval=0.05)
    try:
        deadline = time.monotonic() + 5
        while store.read("SELECT text FROM questions")[0]["text"] is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.read("SELECT text FROM questions")[0]["text"] is None  # purged at start
        store.log_question(question("nytt"))
        clock.now += timedelta(days=40)
        while store.read("SELECT count(*) AS n FROM questions WHERE text IS NULL")[0]["n"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.read("SELECT count(*) AS n FROM questions WHERE text IS NULL")[0]["n"] == 2  # and again later
    finally:
        stop.set()


def test_a_file_that_is_no_database_is_a_clear_error(tmp_path):
    from bot.log.store import StoreError

    path = tmp_path / "notes.txt"
    path.write_text("dette er ingen database\n" * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="notes.txt: cannot use this file"):
        Store(path)
    result = subprocess.run([sys.executable, "-m", "bot", "report"], capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "GUIDEBOT_DB": str(path)}, timeout=60)
    assert result.returncode == 2 and "notes.txt" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8").startswith("dette er ingen database")  # nothing overwritten


NAMES = ["Ola", "Kari", "Per", "Anne-Lise", "Mohammed", "Sigve", "Ingeborg", "Tor", "Siri", "Jonas"]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), surname=st.sampled_from(["Hansen", "Olsen", "Berg", "Nilsen", ""]),
       frame=st.sampled_from(["kan jeg poste bilde av {} på facebook?", "{} sa at jeg kunne dele det",
                              "hva om {} klager på innlegget?", "can I tag {} in a photo?"]))
def test_names_that_are_not_in_contacts_are_masked_too(bot, name, surname, frame):
    from bot.service import Service

    who = f"{name} {surname}".strip()
    masked = Service.masker_for(bot).mask(frame.format(who))
    in_contacts = {part for person in bot.contacts.people for part in person.name.split()}
    lone_first_word = frame.startswith("{}") and not surname and "-" not in name and name not in in_contacts
    if not lone_first_word:  # documented limit: a lone unknown first word may be an ordinary word
        assert name not in masked and (not surname or surname not in masked), masked


def test_capitalised_words_the_knowledge_uses_are_kept(bot):
    from bot.service import Service

    masker = Service.masker_for(bot)
    for text in ("Kan jeg poste på Facebook eller Instagram?", "Hvordan bruker jeg Teams?",
                 "Gjelder GDPR for Båtsfjord kommune?", "Hei! Teller Snapchat som sosiale medier?"):
        assert masker.mask(text) == text
