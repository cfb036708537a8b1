"""Leaders' reports computed from a known log on a real SQLite file, in every format; the
unanswered queue as YAML an editor can paste; the CLI around them."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.check import check_folder
from bot.log.formats import render, unanswered_yaml
from bot.log.reports import GROUP_LABELS, MIN_GROUP_ASKERS, REST, Cell, build_report, publish_audience, suppress_week
from bot.log.store import LoggedQuestion, Store
from bot.service import Service
from tests.conftest import ROOT, TEST_LOG_KEY, plain_env

pytestmark = pytest.mark.usefixtures("fixed_log_key")  # exact asker counts (see conftest)

START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def log(store: Store, text: str, outcome: str = "answered", entry: str | None = "bilder-av-kollegaer",
        section: str | None = "4.4", candidates=(), role="ansatt", department="helse", asker="U1") -> int:
    return store.log_question(
        LoggedQuestion("slack", "dm", outcome, text, "sosiale-medier" if entry and outcome == "answered" else None,
                       section if outcome == "answered" else None, entry if outcome == "answered" else None,
                       0.7, list(candidates), role, department),
        asker_id=asker,
    )


@pytest.fixture()
def known(tmp_path, bot):
    """Two weeks of questions: 3 + 2 similar wordings about colleagues' photos (4.4), 2 about
    reply time, 3 referred password questions, 1 clarify; feedback on two answers; helse has 6
    distinct askers in the first week and 2 in the second, oppvekst 3 in the second (too few to
    show, and so helse cannot be shown that week either)."""
    clock = Clock(START)
    store = Store(tmp_path / "known.sqlite3", Service.masker_for(bot), clock=clock)
    photo = [log(store, "kan jeg poste bilde av kollega", asker=f"U{n}") for n in range(3)]
    for n in range(2):
        log(store, "Kan jeg legge ut et bilde av kollegaen min?", asker=f"U{n + 3}")
    clock.now = START + timedelta(days=7)
    first = log(store, "hvor fort må vi svare på facebook", entry="svartid", asker="U5")
    log(store, "hvor raskt må vi svare", entry="svartid", department="oppvekst", asker="U7")
    for n in range(3):
        log(store, "hvordan bytter jeg passord?", outcome="referred", department="oppvekst", asker=f"U{8 + n % 2}")
    clarify = log(store, "hva med kommunens rykte", outcome="clarify", candidates=["omdomme-tillit", "roller-omdomme"],
                  asker="U2")
    store.record_feedback(first, "svartid", True)
    store.record_feedback(first, "svartid", False)
    store.record_feedback(photo[0], "bilder-av-kollegaer", False)
    store.record_choice(clarify, "omdomme-tillit")
    store.record_escalation(clarify, None)
    clock.now = START + timedelta(days=14)  # both weeks are over: reports show only finished weeks
    yield store
    store.close()


def report_for(store, bot, since=date(2026, 10, 26)):
    return build_report(store, bot.knowledge, since, until=date(2026, 11, 15), terms=bot.index.question_terms)


def test_report_figures_from_a_known_log(known, bot):
    report = report_for(known, bot)
    assert report.total == 11
    assert report.outcomes == {"answered": 7, "clarify": 1, "referred": 3}
    assert [(w["week"], w["answered"], w["clarify"], w["referred"]) for w in report.weeks] == [
        ("2026-10-26", 0, 0, 0), ("2026-11-02", 5, 0, 0), ("2026-11-09", 2, 1, 3)]
    assert [(s.section, s.count) for s in report.top_sections] == [("4.4", 7), ("4.1", 1)]
    photo = report.frequent[0]
    assert (photo.count, photo.entry, photo.section) == (5, "bilder-av-kollegaer", "4.4")
    assert set(photo.wordings) == {"kan jeg poste bilde av kollega", "Kan jeg legge ut et bilde av kollegaen min?"}
    assert [(g.count, g.entry) for g in report.frequent[1:]] == [(2, "svartid")]
    assert [(g.text, g.count) for g in report.unanswered] == [("hvordan bytter jeg passord?", 3),
                                                             ("hva med kommunens rykte", 1)]
    assert report.unanswered[1].entry == "omdomme-tillit"  # closest candidate
    assert report.unanswered_total == 4
    assert [(f.entry, f.useful, f.not_useful) for f in report.feedback] == [
        ("bilder-av-kollegaer", 0, 1), ("svartid", 0, 1)]  # one vote per question: the later click counts
    unasked = {s.section for s in report.unasked_sections}
    assert "4.4" not in unasked and "4.1" not in unasked and {"1", "2", "5.1", "Avslutning"} <= unasked
    assert report.escalations == 1


def test_small_groups_are_hidden(known, bot):
    report = report_for(known, bot)
    shown = {(a.kind, a.name): (a.questions, a.askers) for a in report.audience}
    # Week 1: helse 5 askers (shown). Week 2: helse 2 and oppvekst 3 askers: both hidden (showing
    # helse would give away oppvekst as the week's total minus helse). Roles are never shown.
    assert shown == {("avdeling", "helse"): (5, 5), ("avdeling", REST): (6, 5)}
    assert report.hidden_groups == 2


def later(store: Store, day: date) -> Store:
    """The store as read on `day` (reports show only weeks that are over by then)."""
    store.clock = Clock(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    return store


def test_reports_cover_whole_finished_weeks_only(tmp_path, bot):
    """Four people of a department ask early in a week, one more on Thursday. Windows can only
    differ by whole weeks, and the current week is never shown: two reports a day apart, or
    starting mid-week, cannot single out one day's questions."""
    clock = Clock(START)  # Monday 2026-11-02
    store = Store(tmp_path / "window.sqlite3", clock=clock)
    for n in range(4):
        log(store, f"tidlig spørsmål {n}", department="oppvekst", asker=f"U{n}")
    clock.now = START + timedelta(days=3)  # Thursday
    assert build_report(store, bot.knowledge, date(2026, 11, 2)).total == 0  # the week is not over
    for _ in range(2):
        log(store, "sent spørsmål", department="oppvekst", asker="U9")
    assert build_report(store, bot.knowledge, date(2026, 11, 2)).total == 0
    later(store, date(2026, 11, 9))
    for since in (date(2026, 11, 4), date(2026, 11, 2), date(2026, 11, 8)):
        report = build_report(store, bot.knowledge, since, until=date(2026, 11, 15))
        assert (report.since, report.until, report.total) == ("2026-11-02", "2026-11-08", 6)
        assert [(a.name, a.questions, a.askers) for a in report.audience] == [("oppvekst", 6, 5)]
    assert build_report(store, bot.knowledge, date(2026, 11, 9), until=date(2026, 11, 15)).audience == []


def test_a_hidden_department_cannot_be_recovered_by_subtraction(tmp_path, bot):
    """The attack: total minus the groups shown gives the hidden group's count. Departments
    helse (6 askers), teknisk (5), none for the politicians (5), and one leader in oppvekst."""
    store = Store(tmp_path / "subtract.sqlite3", clock=Clock(START))
    people = [(f"A{n}", "ansatt", "helse") for n in range(6)] + [(f"P{n}", "politiker", "") for n in range(5)]
    people += [(f"T{n}", "ansatt", "teknisk") for n in range(5)] + [("L0", "leder", "oppvekst")]
    for asker, role, department in people:
        for _ in range(3 if asker == "L0" else 1):
            log(store, "spørsmål", role=role, department=department, asker=asker)
    report = build_report(later(store, date(2026, 11, 9)), bot.knowledge, date(2026, 11, 2))
    assert report.total == 19
    shown = {(a.kind, a.name): (a.questions, a.askers) for a in report.audience}
    assert shown == {
        ("avdeling", "helse"): (6, 6), ("avdeling", "teknisk"): (5, 5),
        ("avdeling", REST): (8, 6),  # oppvekst (1 asker) hidden with the smallest other group (no department)
    }
    assert report.hidden_groups == 2


def test_probe_9_attacks_find_nothing(tmp_path, bot):
    """The outside probe's attacks: (a) role 'ukjent' and department 'uten avdeling' are the
    same people, so the hidden role rest minus 'uten avdeling' gave one leader's 3 questions;
    (b) ansatt 41 - helse 18 - oppvekst 18 gave teknisk; (c) a report today and one tomorrow
    differed by one question. Now: no role figures, and the current week is never in a report."""
    store = Store(tmp_path / "probe9.sqlite3", clock=Clock(START + timedelta(days=1)))
    log(store, "kan lederen poste om ansettelsen", role="leder", department="kommunedirektor", asker="L")
    for n in range(5):
        for _ in range(2):
            log(store, "kan jeg poste bilde", role="ukjent", department="", asker=f"X{n}")
    for n in range(6):
        for department in ("helse", "oppvekst"):
            for _ in range(3):
                log(store, "kan jeg poste bilde", department=department, asker=f"{department}{n}")
    for n in range(5):
        log(store, "kan jeg poste bilde", department="teknisk", asker=f"T{n}")
    reports = [build_report(later(store, date(2026, 11, 9) + timedelta(days=d)), bot.knowledge, date(2026, 11, 4))
               for d in range(3)]
    assert all(r.to_dict() == reports[0].to_dict() for r in reports)  # a day later: nothing new to compare
    report = reports[0]
    assert {a.kind for a in report.audience} == {"avdeling"}  # (a), (b): roles are not published
    shown = {a.name: (a.questions, a.askers) for a in report.audience}
    assert shown == {"helse": (18, 6), "oppvekst": (18, 6), GROUP_LABELS[""]: (10, 5), REST: (6, 6)}
    # What a reader can derive (the total minus what is shown) is REST, covering 6 askers.
    assert report.total - sum(q for name, (q, _) in shown.items() if name != REST) == shown[REST][0]
    # The current week (the leader asks again today) shows in no report until it is over.
    store.clock = Clock(START + timedelta(days=7, hours=3))
    log(store, "enda et spørsmål", role="leder", department="kommunedirektor", asker="L")
    assert build_report(store, bot.knowledge, date(2026, 11, 4)).to_dict() == reports[0].to_dict()


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    rank, columns = 0, len(rows[0]) if rows else 0
    for column in range(columns):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][column]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][column]:
                factor = rows[i][column] / rows[rank][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


cells = st.builds(lambda askers, extra: Cell(askers + extra, askers), st.integers(1, 7), st.integers(0, 4))
weeks_of_cells = st.dictionaries(
    st.sampled_from(["2026-11-02", "2026-11-09", "2026-11-16"]),
    st.dictionaries(st.sampled_from(["helse", "oppvekst", "teknisk", "", "andre"]), cells, min_size=1),
    min_size=1,
)


@settings(max_examples=150, deadline=None)
@given(weeks_of_cells)
def test_no_hidden_group_is_derivable_from_one_report(weeks):
    """Every figure a report publishes about departments (the total, each week's total, each
    department's row, the hidden rest) is a sum of weekly cells. Whatever a reader adds up or
    subtracts is in the span of those sums; no set of hidden cells with fewer than
    MIN_GROUP_ASKERS askers may be in it (except a whole week: its total is everyone's)."""
    variables = [(week, name) for week, found in sorted(weeks.items()) for name in sorted(found)]
    shown_in = {week: suppress_week(found) for week, found in weeks.items()}
    hidden = [(w, n) for w, n in variables if n not in shown_in[w]]
    groups, _ = publish_audience(weeks)

    def vector(chosen) -> list[Fraction]:
        return [Fraction(int(v in chosen)) for v in variables]

    published = [vector(set(variables))] + [vector({v for v in variables if v[0] == week}) for week in weeks]
    for group in groups:
        name = next(n for n in ("helse", "oppvekst", "teknisk", "", "andre") if GROUP_LABELS.get(n, n) == group.name) \
            if group.name != REST else None
        members = set(hidden) if name is None else {(w, n) for w, n in variables if n == name and n in shown_in[w]}
        # the published figures are exactly these sums, for questions and for askers
        assert group.questions == sum(weeks[w][n].questions for w, n in members)
        assert group.askers == sum(weeks[w][n].askers for w, n in members)
        assert group.askers >= MIN_GROUP_ASKERS or name is None  # the rest: checked by the span below
        published.append(vector(members))
    base = _rank(published)
    for size in range(1, 5):
        for chosen in combinations(hidden, size):
            if sum(weeks[w][n].askers for w, n in chosen) >= MIN_GROUP_ASKERS:
                continue
            chosen_weeks = {w for w, _ in chosen}
            if set(chosen) == {v for v in variables if v[0] in chosen_weeks}:
                continue  # whole weeks: the weekly totals, everyone who asked
            assert _rank([*published, vector(set(chosen))]) > base, (weeks, chosen)


def test_period_excludes_older_questions(known, bot):
    report = report_for(known, bot, since=date(2026, 11, 9))
    assert report.total == 6 and report.outcomes["answered"] == 2


def test_every_format_renders_the_same_figures(known, bot):
    report = report_for(known, bot)
    as_json = json.loads(render(report, "json"))
    assert as_json["outcomes"] == {"answered": 7, "clarify": 1, "referred": 3}
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").removeprefix("\ufeff")), delimiter=";"))
    photo = next(r for r in rows if r["del"] == "hyppige spørsmål")
    assert (photo["spørsmål"], photo["antall"], photo["punkt"], photo["oppføring"]) == (
        "kan jeg poste bilde av kollega", "5", "punkt 4.4", "bilder-av-kollegaer")
    markdown = render(report, "markdown")
    assert "| hvordan bytter jeg passord? | 3 | – |  |" in markdown
    text = render(report, "text")
    assert "Hyppige spørsmål" in text and "kan jeg poste bilde av kollega" in text and "11 i alt" in text
    with pytest.raises(ValueError):
        render(report, "pdf")


def test_csv_opens_in_norwegian_excel(tmp_path, bot):
    """Excel with Norwegian settings splits on semicolons and reads a file without a BOM as
    Windows-1252: so semicolons, a UTF-8 BOM, CRLF, and a header that names every column."""
    store = Store(tmp_path / "excel.sqlite3", clock=Clock(START))  # a week long over
    log(store, "kan jeg poste bilde; og hva med «Båtsfjord»?\nny linje", outcome="referred")
    log(store, "kan jeg poste bilde av kollega")
    output = tmp_path / "rapport.csv"
    env = {"GUIDEBOT_DB": str(tmp_path / "excel.sqlite3"), "GUIDEBOT_LOG_KEY": TEST_LOG_KEY}
    store.close()
    result = run("report", "--since", "2026-10-01", "--format", "csv", "-o", str(output), env=env)
    assert result.returncode == 0, result.stderr
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and "Båtsfjord".encode() in raw
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert header[:4] == ["del", "spørsmål", "antall", "utfall"] and "spørrere (per uke, summert)" in header
    assert len(set(header)) == len(header) and all(len(row) == len(header) for row in rows)
    referred = next(dict(zip(header, row, strict=True)) for row in rows if row[0] == "ubesvarte spørsmål")
    assert referred["spørsmål"] == "kan jeg poste bilde; og hva med «Båtsfjord»?\nny linje"
    assert {row[0] for row in rows} >= {"utfall", "per uke", "hyppige spørsmål", "mest spurte punkter"}


def test_csv_cells_cannot_run_as_formulas(tmp_path, bot):
    store = Store(tmp_path / "csv.sqlite3", clock=Clock(START))
    log(store, "=HYPERLINK(\"http://x\")", outcome="referred")
    report = build_report(later(store, date(2026, 11, 9)), bot.knowledge, date(2020, 1, 1))
    assert "'=HYPERLINK" in render(report, "csv")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_escaped_page(tmp_path, bot):
    store = Store(tmp_path / "html.sqlite3", clock=Clock(START))
    log(store, "<script>alert(1)</script> kan jeg poste bilde av kollega")
    log(store, "hvordan bytter jeg passord?", outcome="referred")
    page = render(build_report(later(store, date(2026, 11, 9)), bot.knowledge, date(2026, 10, 1)), "html")
    parser = _Page()
    parser.feed(page)
    assert parser.external == [] and "script" not in parser.tags
    assert parser.tags.count("svg") == 1 and "rect" in parser.tags and "ol" in parser.tags  # weeks chart, section bars
    assert '<html lang="nb">' in page and 'name="viewport"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Utvikling per uke" in "".join(parser.text)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


# Measures the rendered page (test only: the report itself never carries a script): nothing may
# stick out of the viewport or out of its chart, and no section title may be cut short.
LAYOUT_PROBE = """<script>
const problems = [];
const width = window.innerWidth;
if (document.documentElement.scrollWidth > width + 1) problems.push("page scrolls sideways: " + document.documentElement.scrollWidth);
for (const element of document.querySelectorAll("h1, h2, p, li, .card, th, td, .bars .label, svg text")) {
  const box = element.getBoundingClientRect();
  if (!box.width) continue;
  if (box.left < -1 || box.right > width + 1) problems.push("outside the page: " + element.textContent.slice(0, 40));
  const svg = element.closest("svg");
  if (svg) {
    const frame = svg.getBoundingClientRect();
    if (box.left < frame.left - 1 || box.right > frame.right + 1) problems.push("outside its chart: " + element.textContent);
  }
  if (element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).overflow !== "visible") {
    problems.push("clipped: " + element.textContent.slice(0, 40));
  }
}
const labels = [...document.querySelectorAll(".bars .label")].map(e => e.textContent);
const weeks = [...document.querySelectorAll("svg text")].map(e => e.textContent);
document.body.dataset.layout = JSON.stringify({problems, labels, weeks});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt install chromium)")
@pytest.mark.parametrize("width", [390, 1280])
def test_html_report_layout_in_headless_chromium(known, bot, tmp_path, width):
    """Renders the report with long section titles and 15 weeks at phone and desktop width:
    a screenshot (kept when GUIDEBOT_SCREENSHOT names a folder), and a layout probe."""
    report = report_for(known, bot, since=date(2026, 8, 3))
    page = render(report, "html")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
             "--hide-scrollbars", f"--window-size={width},2400"]
    shot = tmp_path / f"rapport-{width}.png"
    (tmp_path / "rapport.html").write_text(page, encoding="utf-8")
    result = subprocess.run([*flags, f"--screenshot={shot}", (tmp_path / "rapport.html").as_uri()],
                            capture_output=True, text=True, timeout=120)
    assert shot.exists(), result.stderr
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a real rendering, not a blank page
    if os.environ.get("GUIDEBOT_SCREENSHOT"):
        shutil.copy(shot, Path(os.environ["GUIDEBOT_SCREENSHOT"]) / shot.name)

    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found, dom[-2000:]
    layout = json.loads(html.unescape(found.group(1)))
    assert layout["problems"] == []
    titles = [f"punkt {s.section} {s.title}" for s in report.top_sections]
    assert layout["labels"] == titles  # whole titles, none cut short
    assert "Retningslinjer for bruk av sosiale medier på vegne av Båtsfjord kommune" in layout["labels"][0]
    assert layout["weeks"][-1] == "9.11."  # the last week has its label


def test_unanswered_yaml_can_be_pasted_and_still_checks(known, bot, knowledge_copy):
    report = build_report(known, bot.knowledge, date(2026, 10, 26), until=date(2026, 11, 15), top=1000,
                          terms=bot.index.question_terms)
    snippet = unanswered_yaml(report, bot.knowledge)
    items = yaml.safe_load(snippet)
    by_entry = {item["entry"]: item for item in items}
    assert by_entry["omdomme-tillit"]["questions"] == ["hva med kommunens rykte"]
    assert by_entry["omdomme-tillit"]["file"] == "documents/batsfjord-sosiale-medier.yaml"
    assert by_entry[None]["questions"] == ["hvordan bytter jeg passord?"]
    # The editor pastes the wordings under the entry's questions, as the comments say.
    path = knowledge_copy / by_entry["omdomme-tillit"]["file"]
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("  - id: omdomme-tillit")
    at = next(i for i in range(start, len(lines)) if lines[i] == "    questions:")
    lines[at + 1:at + 1] = [f"      - {json.dumps(q, ensure_ascii=False)}" for q in by_entry["omdomme-tillit"]["questions"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    knowledge, problems = check_folder(knowledge_copy)
    assert problems == []
    assert "hva med kommunens rykte" in next(e for e in knowledge.entries if e.id == "omdomme-tillit").questions


# -- command line


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**plain_env(), **env})


def test_cli_logs_only_with_log_flag_and_reports(tmp_path):
    env = {"GUIDEBOT_DB": str(tmp_path / "cli.sqlite3")}
    assert run("ask", "kan jeg legge ut et bilde av kollegaen min?", env=env).returncode == 0
    assert not (tmp_path / "cli.sqlite3").exists()
    result = run("ask", "--log", "kan jeg legge ut et bilde av kollegaen min (91234567)?", env=env)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:  # reports show finished weeks: make it last week's
        for table in ("questions", "audience", "askers"):
            connection.execute(f"UPDATE {table} SET week = date(week, '-7 days')")
    report = json.loads(run("report", "--format", "json", env=env).stdout)
    assert report["total"] == 1 and report["top_sections"][0]["section"] == "4.4"
    assert "91234567" not in json.dumps(report) and "[telefon]" in json.dumps(report)
    output = tmp_path / "rapport.html"
    assert run("report", "--since", "7d", "--format", "html", "-o", str(output), env=env).returncode == 0
    assert output.read_text(encoding="utf-8").startswith("<!doctype html>")
    purge = run("log", "purge", env=env)
    assert purge.returncode == 0 and "Purged: 0 question text(s) older than 90 days" in purge.stdout
    bad = run("report", "--since", "forever", env=env)
    assert bad.returncode == 2 and "--since" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_unanswered_yaml(tmp_path):
    env = {"GUIDEBOT_DB": str(tmp_path / "u.sqlite3")}
    run("ask", "--log", env=env) if False else None
    subprocess.run([sys.executable, "-m", "bot", "ask", "--log"], input="hvor er printeren?\n" * 2,
                   capture_output=True, text=True, cwd=ROOT, env={**plain_env(), **env}, timeout=60)
    result = run("log", "unanswered", "--format", "yaml", env=env)
    assert result.returncode == 0, result.stderr
    (item,) = yaml.safe_load(result.stdout)
    # No entry shares a word with it: grouped under no entry.
    assert item == {"entry": None, "asked": 2, "questions": ["hvor er printeren?"]}


def test_cli_chat_logs_questions_and_picks_only_with_log(tmp_path):
    db = tmp_path / "chat.sqlite3"
    env = {**plain_env(), "GUIDEBOT_DB": str(db), "GUIDEBOT_LOG_KEY": TEST_LOG_KEY}
    chat = "roller?\n1\navslutt\n"
    plain = subprocess.run([sys.executable, "-m", "bot", "chat"], input=chat, capture_output=True, text=True,
                           cwd=ROOT, env=env, timeout=60)
    assert "Ingenting du skriver her blir lagret" in plain.stdout and not db.exists()
    logged = subprocess.run([sys.executable, "-m", "bot", "chat", "--log"], input=chat, capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=60)
    assert logged.returncode == 0 and "logges uten navn" in logged.stdout
    store = Store(db)
    (question,) = store.read("SELECT id, outcome, surface FROM questions")
    assert (question["outcome"], question["surface"]) == ("clarify", "terminal")
    (choice,) = store.read("SELECT question_id, entry FROM choices")
    assert choice["question_id"] == question["id"] and choice["entry"] == "etisk-refleksjon"
