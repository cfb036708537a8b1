"""Defects of issue 8 that an outside re-run of its probes still finds (points 6, 8, 9, 10).

Each test states what should hold and is marked `xfail(strict=True)`: it fails on today's code,
and once the defect is fixed it passes, which turns the strict xfail red so the marker is removed.
Everything runs on the real parts: a real SQLite file read byte for byte, the real report
builder, the Slack app through its HTTP front door against the local fake Web API, and the masker
the service builds."""

from __future__ import annotations

import sqlite3
import struct
from datetime import UTC, datetime, timedelta

import pytest
from test_slack_http import DM, KARI, SIGRID, buttons, settle
from test_slack_http import fake as fake  # noqa: F401  (fixtures)
from test_slack_http import slack as slack  # noqa: F401

from bot.adapters.slack import blocks
from bot.log.privacy import Masker
from bot.log.reports import REST, build_report
from bot.log.store import LoggedQuestion, Store
from bot.service import Service

# -- a minimal reader of SQLite leaf pages: the file's bytes as an outsider sees them


def _varint(page: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        byte = page[i + k]
        if k == 8:
            return (value << 8) | byte, i + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i + k + 1
    raise ValueError("bad varint")


def _record(page: bytes, i: int) -> list:
    header_length, j = _varint(page, i)
    types = []
    while j < i + header_length:
        serial, j = _varint(page, j)
        types.append(serial)
    p, values = i + header_length, []
    for serial in types:
        if serial in (8, 9):
            values.append(serial - 8)
        elif 1 <= serial <= 6:
            n = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}[serial]
            values.append(int.from_bytes(page[p : p + n], "big", signed=True))
            p += n
        elif serial == 7:
            values.append(struct.unpack(">d", page[p : p + 8])[0])
            p += 8
        elif serial >= 13 and serial % 2:
            n = (serial - 13) // 2
            values.append(page[p : p + n].decode("utf-8", "replace"))
            p += n
        elif serial >= 12:
            n = (serial - 12) // 2
            values.append(page[p : p + n])
            p += n
        else:
            values.append(None)
    return values


def cells_in_physical_order(path) -> list[list]:
    """Every record on every leaf page, page by page, in the order SQLite wrote them into the
    page (a page's cell content area grows downwards, so the highest offset was written first)."""
    data = path.read_bytes()
    size = struct.unpack(">H", data[16:18])[0]
    size = 65536 if size == 1 else size
    found = []
    for number, start in enumerate(range(0, len(data), size), 1):
        page = data[start : start + size]
        header = 100 if number == 1 else 0
        if page[header] not in (10, 13):  # index leaf, table leaf
            continue
        count = struct.unpack(">H", page[header + 3 : header + 5])[0]
        cells = []
        for k in range(count):
            offset = struct.unpack(">H", page[header + 8 + 2 * k : header + 10 + 2 * k])[0]
            _, i = _varint(page, offset)
            if page[header] == 13:
                _, i = _varint(page, i)  # rowid
            cells.append((offset, _record(page, i)))
        found += [record for _, record in sorted(cells, key=lambda cell: -cell[0])]
    return found


GROUPS = [("ansatt", "helse"), ("ansatt", "oppvekst"), ("leder", "kommunedirektor"), ("ansatt", "teknisk")]


def _burst(path, count=20) -> list[tuple[str, str, str]]:
    """`count` questions from `count` different people, logged in a known order, then the
    daily purge (which empties the WAL): what the main file holds the next morning."""
    store = Store(path, Masker())
    asked = []
    for k in range(count):
        role, department = GROUPS[(k * 7) % len(GROUPS)] if k % 3 else GROUPS[k % len(GROUPS)]
        text = f"kan jeg legge ut bilde på facebook kodeord zq{k:02d}x"
        store.log_question(
            LoggedQuestion("slack", "dm", "answered", text, role=role, department=department), f"U{k:09d}"
        )
        asked.append((text, role, department))
    store.purge()
    store.close()
    return asked


@pytest.mark.xfail(
    strict=True,
    reason="probe 8: question cells sit in the file in the order they were written (random ids do not help),"
    " so the order of Slack messages maps each text to its sender",
)
def test_the_main_file_does_not_keep_the_order_questions_were_asked_in(tmp_path):
    path = tmp_path / "guidebot.sqlite3"
    asked = _burst(path)
    wal = path.parent / "guidebot.sqlite3-wal"
    assert not wal.exists() or not wal.stat().st_size  # only the main file is read below
    in_file = [v for record in cells_in_physical_order(path) for v in record if isinstance(v, str) and "zq" in v]
    assert sorted(in_file) == sorted(text for text, _, _ in asked)
    assert in_file != [text for text, _, _ in asked]


@pytest.mark.xfail(
    strict=True,
    reason="probe 8: the askers table's cells, in write order, pair up as (role, department) of each new asker"
    " in the order of the questions: the main file ties each text to role and department",
)
def test_the_main_file_does_not_pair_questions_with_role_and_department(tmp_path):
    path = tmp_path / "guidebot.sqlite3"
    asked = _burst(path)
    groups = [
        record[2]
        for record in cells_in_physical_order(path)
        if len(record) == 4
        and record[1] in ("role", "department")
        and isinstance(record[3], str)
        and len(record[3]) == 32  # an asker hash: the askers table, not the audience counters
    ]
    pairs = [tuple(groups[i : i + 2]) for i in range(0, len(groups) - 1, 2)]
    assert pairs != [(role, department) for _, role, department in asked]


# -- 9. k >= 5 across dimensions


def _at(day):
    return lambda: datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.mark.xfail(
    strict=True,
    reason="probe 9: suppression is per dimension, but 'ukjent' (role) and 'uten avdeling' (department) are the"
    " same people, so the hidden role rest minus the shown 'uten avdeling' row gives a one-person group",
)
def test_a_hidden_role_cannot_be_recovered_from_the_department_rows(tmp_path, bot):
    path = tmp_path / "guidebot.sqlite3"
    today = datetime.now(UTC).date()
    week = today - timedelta(days=today.weekday() + 7)

    def log(n, role, department, who):
        store = Store(path, Masker(), clock=_at(week + timedelta(days=2)))
        for _ in range(n):
            store.log_question(
                LoggedQuestion("slack", "dm", "answered", "kan jeg poste bilde", role=role, department=department),
                who,
            )
        store.close()

    log(3, "leder", "kommunedirektor", "U0LEADER01")  # one leader, a group of one
    for k in range(5):
        log(2, "ukjent", "", f"U0UNKNOWN{k}")
    for k in range(6):
        log(3, "ansatt", "helse", f"U0HELSE00{k}")
        log(3, "ansatt", "oppvekst", f"U0OPPV000{k}")
    for k in range(5):
        log(1, "ansatt", "teknisk", f"U0TEKN000{k}")
    report = build_report(
        Store(path, Masker()), bot.knowledge, week + timedelta(days=2), until=week + timedelta(days=6)
    )
    roles = {g.name: g for g in report.audience if g.kind == "rolle"}
    departments = {g.name: g for g in report.audience if g.kind == "avdeling"}
    rest, no_department = roles.get(REST), departments.get("uten avdeling")
    if rest is None or no_department is None or "ukjent (ikke i kontaktlisten)" in roles:
        return  # nothing to subtract
    derived_askers = rest.askers - no_department.askers
    assert not 0 < derived_askers < 5, (rest, no_department)


# -- 6. "Spør lederen min -> Ja, send" once per question


@pytest.mark.xfail(
    strict=True,
    reason="probe 6: the escalation claim lives in the one-day event table while 'Spør lederen min' never"
    " expires, so the next day the same question reaches the leader again",
)
def test_ja_send_reaches_the_leader_once_per_question_even_a_day_later(slack, fake):  # noqa: F811
    slack.send_event(slack_dm("kan jeg legge ut et bilde av kollegaen min?"))
    (posted,) = fake.wait_for("chat.postMessage")
    message = {"ts": "1700000000.000001", "text": posted["text"], "blocks": posted["blocks"]}
    for day in range(2):
        slack.click(SIGRID, buttons(posted)[blocks.ASK_LEADER], message, DM)
        confirm = fake.wait_for("chat.postEphemeral", day + 1)[-1]
        slack.click(SIGRID, buttons(confirm)[blocks.SEND_TO_LEADER], None, DM, response=f"send{day}")
        fake.wait_for(f"response/send{day}")
        # A day passes: the daily purge runs with the claims a day old.
        with sqlite3.connect(slack.store.path) as connection:
            connection.execute("UPDATE events SET received_at = received_at - 90000")
        slack.store.purge()
    settle(fake)
    assert len([c for c in fake.calls_to("chat.postMessage") if c.get("channel") == KARI]) == 1


@pytest.mark.xfail(
    strict=True,
    reason="probe 6/7: every fresh click on Nyttig / Ikke nyttig adds a row, so one person can vote many"
    " times (and both ways) on one answer",
)
def test_one_answer_gets_one_feedback_from_its_asker(slack, fake):  # noqa: F811
    slack.send_event(slack_dm("kan jeg legge ut et bilde av kollegaen min?"))
    (posted,) = fake.wait_for("chat.postMessage")
    message = {"ts": "1700000000.000001", "text": posted["text"], "blocks": posted["blocks"]}
    for action in (blocks.USEFUL, blocks.USEFUL, blocks.USEFUL, blocks.NOT_USEFUL):
        slack.click(SIGRID, buttons(posted)[action], message, DM)
    settle(fake, 1.0)
    assert slack.store.read("SELECT count(*) AS n FROM feedback")[0]["n"] == 1


def slack_dm(text: str) -> dict:
    return {"type": "message", "channel_type": "im", "channel": DM, "user": SIGRID, "text": text, "ts": "1700000100.1"}


# -- 10. masking, through the masker the service builds


@pytest.mark.xfail(strict=True, reason="probe 10: personal data still stored in the question log")
@pytest.mark.parametrize(
    ("question", "personal"),
    [
        ("har sunniva lie lov til å poste fra jobben?", "sunniva"),  # a common Norwegian name, lower-case
        ("spør torstein om det før du deler bildet", "torstein"),
        ("jeg er sykmeldt, kan jeg svare på facebook om jobben", "sykmeldt"),  # sick leave is health data
        ("jeg har angst og vil ikke svare på kommentarer", "angst"),
        ("han sliter med alkohol, kan vi skrive om det", "alkohol"),
        ("hun er innlagt på psykiatrisk, kan jeg poste en hilsen", "psykiatrisk"),
        ("kan jeg skrive at jeg er muslim på jobbens side", "muslim"),  # religion (GDPR art. 9)
        ("jeg er medlem av fagforbundet, kan jeg poste politisk", "fagforbundet"),  # trade union membership
        ("epost: per_olsen @ hotmail . com", "hotmail"),
    ],
)
def test_personal_data_is_masked(bot, question, personal):
    masked = Service.masker_for(bot).mask(question)
    assert personal not in masked.lower(), masked


def test_reader_sees_what_was_written(tmp_path):
    """The page reader above is itself checked: it finds every question written."""
    asked = _burst(tmp_path / "g.sqlite3", count=5)
    found = {v for r in cells_in_physical_order(tmp_path / "g.sqlite3") for v in r if isinstance(v, str)}
    assert {text for text, _, _ in asked} <= found
