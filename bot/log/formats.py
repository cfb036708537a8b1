"""A leaders' `Report` written out: text, Markdown, CSV, JSON, or one self-contained HTML page
with inline SVG charts (Norwegian, readable on a phone); and the unanswered queue as YAML
snippets an editor can paste into the knowledge files.

Question text is user input (masked): it is escaped in HTML and quoted in CSV where a
spreadsheet would run it as a formula.

The CSV is written for Excel with Norwegian settings, where the list separator is a semicolon
and a file without a byte-order mark is read as Windows-1252 (æøå garbled): semicolons, a UTF-8
BOM, CRLF line ends, and one table whose header names every column.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import defaultdict
from pathlib import Path

from bot.answers import section_label
from bot.knowledge import Knowledge
from bot.log.reports import MIN_GROUP_ASKERS, OUTCOME_NAMES, OUTCOMES, QuestionGroup, Report

FORMATS = ("text", "markdown", "csv", "json", "html")


def render(report: Report, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return {
        "text": render_text,
        "markdown": render_markdown,
        "csv": render_csv,
        "json": render_json,
        "html": render_html,
    }[fmt](report)


def _rows(report: Report) -> dict[str, tuple[list[str], list[list]]]:
    """Every part of the report as (headers, rows), shared by text, Markdown and CSV."""
    parts: dict[str, tuple[list[str], list[list]]] = {
        "utfall": (["utfall", "antall"], [[OUTCOME_NAMES[o], n] for o, n in report.outcomes.items()]),
        "uker": (
            ["uke (mandag)", "besvart", "spurt tilbake", "henvist"],
            [[w["week"], w["answered"], w["clarify"], w["referred"]] for w in report.weeks],
        ),
        "punkter": (
            ["dokument", "punkt", "tittel", "antall"],
            [[s.document, s.section, s.title, s.count] for s in report.top_sections],
        ),
        "hyppige": (
            ["spørsmål", "antall", "punkt", "oppføring"],
            [[g.text, g.count, section_label(g.section), g.entry or ""] for g in report.frequent],
        ),
        "ubesvarte": (
            ["spørsmål", "antall", "nærmeste punkt", "nærmeste oppføring"],
            [[g.text, g.count, section_label(g.section), g.entry or ""] for g in report.unanswered],
        ),
        "tilbakemelding": (
            ["oppføring", "punkt", "nyttig", "ikke nyttig"],
            [[f.entry, section_label(f.section), f.useful, f.not_useful] for f in report.feedback],
        ),
        "uspurte": (
            ["dokument", "punkt", "tittel"],
            [[s.document, s.section, s.title] for s in report.unasked_sections],
        ),
        "grupper": (
            ["type", "navn", "antall spørsmål", "ulike spørrere"],
            [[a.kind, a.name, a.questions, a.askers] for a in report.audience],
        ),
    }
    return parts


PART_NAMES = {  # the `del` column of the CSV: short, as a filter shows them
    "utfall": "utfall",
    "uker": "per uke",
    "punkter": "mest spurte punkter",
    "hyppige": "hyppige spørsmål",
    "ubesvarte": "ubesvarte spørsmål",
    "tilbakemelding": "tilbakemeldinger",
    "uspurte": "punkter ingen spurte om",
    "grupper": "rolle og avdeling",
}

PART_TITLES = {
    "utfall": "Spørsmål etter utfall",
    "uker": "Utvikling per uke",
    "punkter": "Mest spurte punkter",
    "hyppige": "Hyppige spørsmål",
    "ubesvarte": "Ubesvarte spørsmål (henvist eller spurt tilbake)",
    "tilbakemelding": "Tilbakemeldinger per svar",
    "uspurte": "Punkter ingen har spurt om",
    "grupper": f"Per rolle og avdeling (bare grupper med minst {MIN_GROUP_ASKERS} ulike spørrere)",
}


def _heading(report: Report) -> str:
    return f"guidebot: spørsmål {report.since} – {report.until}: {report.total} i alt"


def _footnote(report: Report) -> str:
    notes = [f"«Spør lederen min» sendt: {report.escalations}."]
    if report.hidden_groups:
        notes.append(
            f"{report.hidden_groups} rolle-/avdelingsgruppe(r) med færre enn {MIN_GROUP_ASKERS} spørrere er skjult."
        )
    if report.texts_purged:
        notes.append(
            f"{report.texts_purged} spørsmål er eldre enn lagringstiden: teksten er slettet, bare tellingen er igjen."
        )
    notes.append("Rapporten viser bare samlede tall; den sier aldri hvem som spurte.")
    return " ".join(notes)


def render_text(report: Report) -> str:
    out = [_heading(report), ""]
    for key, (headers, rows) in _rows(report).items():
        out.append(PART_TITLES[key])
        if not rows:
            out += ["  (ingen)", ""]
            continue
        cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
        widths = [min(60, max(len(row[i]) for row in cells)) for i in range(len(headers))]
        for number, row in enumerate(cells):
            out.append("  " + "  ".join(_clip(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if number == 0:
                out.append("  " + "  ".join("-" * w for w in widths))
        out.append("")
    out.append(_footnote(report))
    return "\n".join(out) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_markdown(report: Report) -> str:
    out = [f"# {_heading(report)}", ""]
    for key, (headers, rows) in _rows(report).items():
        out += [f"## {PART_TITLES[key]}", ""]
        if not rows:
            out += ["(ingen)", ""]
            continue
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "---|" * len(headers))
        for row in rows:
            out.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
        out.append("")
    out.append(_footnote(report))
    return "\n".join(out) + "\n"


CSV_BOM = "\ufeff"
CSV_COLUMNS = (
    "del", "spørsmål", "antall", "utfall", "uke (mandag)", "besvart", "spurt tilbake", "henvist", "dokument",
    "punkt", "tittel", "oppføring", "nærmeste punkt", "nærmeste oppføring", "nyttig", "ikke nyttig", "type", "navn",
    "antall spørsmål", "ulike spørrere",
)


def render_csv(report: Report) -> str:
    """One table for a spreadsheet: the column `del` names the part of the report, the other
    columns are the parts' own (each part fills those it has), so a filter on `del` gives each
    part with its real column names. Semicolon-separated with a UTF-8 BOM, as Excel in a
    Norwegian locale expects."""
    parts = _rows(report)
    columns = list(CSV_COLUMNS)
    for headers, _ in parts.values():
        columns += [h for h in headers if h not in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for key, (headers, rows) in parts.items():
        for row in rows:
            cells = dict(zip(headers, row, strict=True))
            writer.writerow([PART_NAMES[key], *(_csv_safe(cells.get(c, "")) for c in columns[1:])])
    return CSV_BOM + buffer.getvalue()


def _csv_safe(value: object) -> object:
    # A cell starting with = + - @ is run as a formula by spreadsheets; question text is user input.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


# -- HTML with inline SVG charts

COLOURS = {"answered": "#2e7d32", "clarify": "#f9a825", "referred": "#c62828"}


def render_html(report: Report) -> str:
    e = html.escape
    parts = _rows(report)
    body = [
        f"<h1>{e(_heading(report))}</h1>",
        _totals_html(report),
        "<h2>Utvikling per uke</h2>",
        _weeks_svg(report),
        "<h2>Mest spurte punkter</h2>",
        _sections_bars(report),
    ]
    for key in ("hyppige", "ubesvarte", "tilbakemelding", "uspurte", "grupper"):
        headers, rows = parts[key]
        body.append(f"<h2>{e(PART_TITLES[key])}</h2>")
        if not rows:
            body.append("<p class=muted>(ingen)</p>")
            continue
        head = "".join(f"<th>{e(str(h))}</th>" for h in headers)
        lines = "".join(
            "<tr>" + "".join(_cell(c, h) for c, h in zip(row, headers, strict=True)) + "</tr>" for row in rows
        )
        body.append(f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table></div>")
    body.append(f"<p class=muted>{e(_footnote(report))}</p>")
    return HTML_PAGE.format(title=e(_heading(report)), body="\n".join(body))


def _cell(value: object, header: str) -> str:
    # Counts and section numbers stay on one line; text wraps. On a phone each row becomes a
    # small card and `data-label` names the column (see the CSS).
    text = str(value)
    short = isinstance(value, int) or (len(text) <= 12 and " " in text and not text.startswith(("[", "<")))
    kind = " class=short" if short else ""
    return f'<td{kind} data-label="{html.escape(header)}">{html.escape(text)}</td>'


def _totals_html(report: Report) -> str:
    cells = "".join(
        f'<div class=card style="border-color:{COLOURS[o]}"><b>{n}</b><span>{OUTCOME_NAMES[o]}</span></div>'
        for o, n in report.outcomes.items()
    )
    return f"<div class=cards><div class=card><b>{report.total}</b><span>i alt</span></div>{cells}</div>"


def _weeks_svg(report: Report) -> str:
    # A narrow canvas (360 wide) so that text stays readable when a phone shows it at 1:1.
    weeks = report.weeks[-26:]
    if not weeks:
        return "<p class=muted>(ingen)</p>"
    width, height, left, right, bottom, top = 360, 200, 26, 6, 22, 10
    peak = max(1, *(w["answered"] + w["clarify"] + w["referred"] for w in weeks))
    bar = (width - left - right) / len(weeks)
    shapes = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 10}" font-size="11" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" font-size="11" text-anchor="end">0</text>',
    ]
    every = max(1, round(len(weeks) / 6))
    labelled = set(range(len(weeks) - 1, -1, -every))  # counted from the end: the last week always has its label
    for i, w in enumerate(weeks):
        y = height - bottom
        for outcome in OUTCOMES:
            h = (height - bottom - top) * w[outcome] / peak
            if h:
                shapes.append(
                    f'<rect x="{left + i * bar + 1:.1f}" y="{y - h:.1f}" width="{max(bar - 2, 1):.1f}" '
                    f'height="{h:.1f}" fill="{COLOURS[outcome]}"><title>{w["week"]}: {w[outcome]} '
                    f"{OUTCOME_NAMES[outcome]}</title></rect>"
                )
                y -= h
        if i in labelled:
            day, month = w["week"][8:], w["week"][5:7]
            label = f"{int(day)}.{int(month)}."
            # Centred under its bar, but never past the canvas edges (6 px per character at size 11).
            half = 3.3 * len(label)
            x = min(max(left + i * bar + bar / 2, half), width - half)
            shapes.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="11">{label}</text>')
    legend = " ".join(f'<span class=key style="background:{COLOURS[o]}"></span>{OUTCOME_NAMES[o]}' for o in OUTCOMES)
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Spørsmål per uke etter utfall">'
        + "".join(shapes)
        + f"</svg><p class=legend>{legend} (uke som starter mandag)</p>"
    )


def _sections_bars(report: Report) -> str:
    # HTML, not SVG: a long section title wraps onto more lines instead of being cut off.
    sections = report.top_sections[:10]
    if not sections:
        return "<p class=muted>(ingen)</p>"
    peak = max(s.count for s in sections)
    items = []
    for s in sections:
        label = html.escape(f"{section_label(s.section)} {s.title}".strip())
        share = s.count / peak
        items.append(
            f"<li><span class=label>{label}</span><span class=track>"
            f'<span class=bar style="width:calc((100% - 3.5rem) * {share:.3f})"></span>'
            f"<span class=n>{s.count}</span></span></li>"
        )
    return f'<ol class=bars aria-label="Mest spurte punkter">{"".join(items)}</ol>'


HTML_PAGE = """<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; padding: 1rem;
       max-width: 52rem; color: #1b1b1b; line-height: 1.4; }}
h1 {{ font-size: 1.35rem; overflow-wrap: anywhere; }} h2 {{ font-size: 1.1rem; margin-top: 1.6rem; }}
svg {{ width: 100%; max-width: 40rem; height: auto; display: block; }}
.cards {{ display: flex; flex-wrap: wrap; gap: .5rem; }}
.card {{ flex: 1 1 6rem; border: 2px solid #1d4f91; border-radius: .5rem; padding: .5rem; text-align: center; }}
.card b {{ display: block; font-size: 1.5rem; }}
.scroll {{ overflow-x: auto; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
th, td {{ text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #ddd; vertical-align: top;
          overflow-wrap: break-word; }}
td.short {{ white-space: nowrap; }}
@media (max-width: 36rem) {{
  /* One card per row, so that no column is cut off on a phone. */
  table, tbody, tr, td {{ display: block; }}
  thead {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }}
  tr {{ border-bottom: 1px solid #ddd; padding: .35rem 0; }}
  td {{ border: none; padding: .05rem .2rem; white-space: normal; }}
  td.short {{ white-space: normal; }}
  td:first-child {{ font-weight: 600; }}
  td:empty {{ display: none; }}
  td + td::before {{ content: attr(data-label) ": "; color: #555; }}
}}
.bars {{ list-style: none; padding: 0; margin: 0; max-width: 40rem; }}
.bars li {{ margin: 0 0 .55rem; }}
.bars .label {{ display: block; font-size: .9rem; overflow-wrap: anywhere; }}
.bars .track {{ display: flex; align-items: center; gap: .35rem; }}
.bars .bar {{ display: block; height: .9rem; min-width: 2px; background: #1d4f91; }}
.bars .n {{ font-size: .85rem; }}
.muted {{ color: #555; font-size: .85rem; }}
.legend {{ font-size: .85rem; }} .key {{ display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 .8rem; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def unanswered_yaml(report: Report, knowledge: Knowledge) -> str:
    """The unanswered queue as YAML snippets under each group's closest entry, for editors to
    paste into that entry's `questions:`. Wordings an entry already has are left out."""
    entries = {e.id: e for e in knowledge.entries}
    known = {" ".join(q.lower().split()) for e in knowledge.entries for q in e.questions}
    by_entry: dict[str | None, list[QuestionGroup]] = defaultdict(list)
    for group in report.unanswered:
        by_entry[group.entry if group.entry in entries else None].append(group)
    lines = [
        f"# guidebot: unanswered questions {report.since} – {report.until}, grouped under their closest entry.",
        "# Copy the wordings that should lead to an entry into its `questions:` list in the file named,",
        "# drop the rest (and edit away masks such as [navn]), then run `guidebot check` and `guidebot eval`.",
    ]
    ordered = sorted(by_entry.items(), key=lambda item: (item[0] is None, -sum(g.count for g in item[1])))
    for entry_id, groups in ordered:
        wordings: list[str] = []
        for group in groups:
            for wording in group.wordings:
                normal = " ".join(wording.lower().split())
                if normal not in known and normal not in {" ".join(w.lower().split()) for w in wordings}:
                    wordings.append(" ".join(wording.split()))
        if not wordings:
            continue
        lines.append("")
        if entry_id is None:
            lines.append("# No entry is close: a new entry, or a question the guidelines do not cover.")
            lines.append("- entry: null")
        else:
            entry = entries[entry_id]
            lines.append(f"- entry: {entry_id}")
            lines.append(f"  file: {_relative(entry.file, knowledge)}")
            lines.append(f'  section: "{entry.section}"')
        lines.append(f"  asked: {sum(g.count for g in groups)}")
        lines.append("  questions:")
        lines += [f"    - {json.dumps(w, ensure_ascii=False)}" for w in wordings]
    return "\n".join(lines) + "\n"


def _relative(path: str, knowledge: Knowledge) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(knowledge.folder).resolve()))
    except ValueError:
        return path
