"""Reads a numbered guideline in plain text, as extracted from a PDF, into sections and units.

PDF extraction leaves hyphenated line breaks ("IT-\\navdelingen"), bullets broken over blank
lines, and headings that run onto a second line. `parse_guideline(text)` undoes that and returns
`SourceSection`s, each with its units: one per sentence, bullets split into their sentences.
Units are verbatim (whitespace folded), so they can be quoted; text after the last section's
bullets (a closing paragraph, adoption dates) becomes a section named "Avslutning".

`normalise_for_compare(text)` is the whitespace-insensitive form quotes are checked in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?\s+(\S.*?)\s*$")
_BULLET = re.compile(r"^\s*[•\u2022\u25cf\u25aa\-\*–]\s+")
# No sentence ends after these (f.eks. Facebook), nor after a day number (20. april).
_NO_BREAK_AFTER = ("f.eks.", "bl.a.", "jf.", "ca.", "nr.", "dvs.", "evt.", "mht.", "ift.", "pga.", "kap.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[«\"(]?[A-ZÆØÅ0-9])")
CLOSING_SECTION = "Avslutning"


@dataclass
class SourceSection:
    number: str
    title: str
    units: list[str] = field(default_factory=list)
    line: int = 0


def normalise_for_compare(text: str) -> str:
    """Whitespace removed, so quotes match across PDF line breaks (and "IT-\\navdelingen")."""
    return re.sub(r"\s+", "", text)


def split_sentences(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if parts and (
            parts[-1].lower().endswith(_NO_BREAK_AFTER) or re.search(r"\b\d{1,2}\.$", parts[-1])
        ):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if text.endswith("-") and not text.endswith(" -") and line[:1].islower():
            # "IT-" + "avdelingen": keep the hyphen, drop the break (a compound, not a split word).
            text += line
        else:
            text = f"{text} {line}" if text else line
    return text


def _is_heading(line: str) -> re.Match[str] | None:
    match = _HEADING.match(line)
    if not match:
        return None
    title = match.group(2)
    # "20. April 2023" or "2023/6" are not headings; a heading's title starts with a letter.
    if not title[:1].isalpha() or not title[:1].isupper() or len(title) > 120:
        return None
    return match


def parse_guideline(text: str) -> list[SourceSection]:
    """Sections with their verbatim units, from a numbered guideline in plain text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections: list[SourceSection] = []
    blocks: list[tuple[str, list[str]]] = []  # ("bullet"|"para", lines) for the current section
    blank_run = 0
    current: SourceSection | None = None

    def flush() -> None:
        if current is None:
            return
        for _kind, block in blocks:
            joined = _join(block)
            if joined:
                current.units.extend(split_sentences(joined))
        blocks.clear()

    i = 0
    while i < len(lines):
        raw = lines[i]
        line = raw.strip()
        heading = _is_heading(raw)
        if heading:
            flush()
            title = heading.group(2).strip()
            # A heading may run onto the next line: "5. ... ANSATT ELLER" / "POLITIKER".
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if nxt and not _is_heading(nxt) and not _BULLET.match(nxt) and (
                (title.isupper() and nxt.isupper())
                or (len(nxt.split()) <= 3 and not nxt.endswith((".", ":", "?", "!")) and nxt[:1].islower())
            ):
                title = f"{title} {nxt}"
                i += 1
            current = SourceSection(heading.group(1), " ".join(title.split()), line=i + 1)
            sections.append(current)
            blank_run = 0
            i += 1
            continue
        if current is None:
            i += 1
            continue
        if not line:
            blank_run += 1
            i += 1
            continue
        bullet = _BULLET.match(raw)
        if bullet:
            blocks.append(("bullet", [raw[bullet.end():]]))
        elif blocks and blocks[-1][0] == "bullet" and blank_run <= 1:
            # PDF extraction breaks bullets over a single blank line; two end the list.
            blocks[-1][1].append(line)
        elif blocks and blocks[-1][0] == "bullet" and blank_run >= 2 and current is sections[-1]:
            # Two blank lines after the last bullets: the closing part of the document.
            flush()
            current = SourceSection(CLOSING_SECTION, "Avslutning", line=i + 1)
            sections.append(current)
            blocks.append(("para", [line]))
        elif blocks and blank_run == 0:
            blocks[-1][1].append(line)
        else:
            blocks.append(("para", [line]))
        blank_run = 0
        i += 1
    flush()
    return sections

