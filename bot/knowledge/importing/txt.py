"""Reads a guideline in plain text (also what the PDF reader leaves) into `Block`s.

A line is a numbered line ("4.1 Tittel", "1. Regel", "a) Regel"), a bullet ("• Regel"), a short
line standing alone (an unnumbered heading), or text. Text runs on in the block above it until a
blank line; a line that starts in lower case after a block that stopped mid-sentence runs on too
(a page or line break in a PDF).

Text copied out of a PDF sometimes breaks a bullet over blank lines ("så \\n\\nraskt som
mulig"); when the text shows that habit (a bullet that stops mid-sentence, a blank line, then
lower case), one blank line inside a bullet is read as a line break and two end it. Otherwise
a blank line ends a bullet, so a paragraph after a list is never glued to its last item.

In a text that parts its paragraphs with blank lines, a few short lines standing together with
no blank line between them, the first shaped like a title and none starting in lower case, are
a table or a list of names ("Ikke skriv Skriv heller" over its rows, names of projects): one
block, quoted whole, never a run of headings (unless most of them end a sentence: a title over
its paragraph, one sentence a line). A label standing alone above an example ("Eksempel")
belongs to the example below it when that is text or a table, not a section of its own.
"""

from __future__ import annotations

import re

from bot.knowledge.importing.structure import Block, looks_like_title

_NUMBERED = re.compile(r"^\s*((?:\d+(?:\.\d+)*)|[a-zæøå])([.)])?\s+(\S.*?)\s*$")
# Bullets as Word and PDF tools write them, also Symbol/Wingdings glyphs in the private use area.
_BULLET = re.compile(r"^\s*([•●▪■◦○➢►✓\uf0b7\uf0a7\uf076\uf0d8\u2013\-\*–·o])\s+(\S.*?)\s*$")
_DASHES = ("-", "–", "\u2013")
# "§ 3 Taushetsplikt", "§ 3a.", "Kapittel 2 Ansvar", "Kap. 2: Ansvar": headings named by their number.
_PARAGRAPH_SIGN = re.compile(r"^\s*((?:§|kapittel|kap\.)\s*\d+[a-z]?)[.:]?(?:\s+(\S.*?))?\s*$", re.IGNORECASE)
_DOT_LEADER = re.compile(r"\.{5,}\s*\d+\s*$")
_PAGE_NUMBER = re.compile(r"^\s*(?:side\s+)?\d+(?:\s*(?:av|/)\s*\d+)?\s*$", re.IGNORECASE)
_LABELS = {"eksempel", "eksempler", "døme", "example", "examples"}  # a label above an example
_TABLE_LINES = (3, 15)  # a table: this many lines standing together (fewest, most), at most half of
# them (the first aside) ending a sentence
_TABLE_WIDTH = 120  # ... each of at most this many characters
_SPACED = 0.3  # share of lines followed by a blank line in a text that parts paragraphs so


def _numbered(line: str) -> re.Match[str] | None:
    match = _NUMBERED.match(line)
    if not match:
        return None
    number, mark, text = match.groups()
    if not number[0].isdigit() and mark != ")":
        return None  # "a. text" is too often a word; letters count with ")" only
    if number[0].isdigit() and not mark and "." not in number and not text[:1].isupper():
        return None  # "2023 ble ..." is text
    if not text[:1].isalpha() and not text.startswith(("«", '"', "(")):
        return None  # "20. april 2023", "26.01.2012"
    return match


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "!", "?", ":", ";", "»", '"', ")"))


def _breaks_bullets(lines: list[str]) -> bool:
    """Does this text break bullets over blank lines (text copied from some PDFs)?"""
    for i in range(len(lines) - 2):
        if (
            _BULLET.match(lines[i])
            and not _ends_sentence(lines[i])
            and not lines[i + 1].strip()
            and lines[i + 2].strip()[:1].islower()
        ):
            return True
    return False


def _plain(line: str) -> bool:
    """A line that is neither numbered, a bullet, a page number nor a table of contents' line."""
    return not (_numbered(line) or _BULLET.match(line) or _PARAGRAPH_SIGN.match(line) or _DOT_LEADER.search(line)
                or _PAGE_NUMBER.match(line))


def _tables(lines: list[str]) -> dict[int, int]:
    """Where the text has tables (see the module docstring): first line -> last line (0-based)."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    # Blank lines between two filled lines (not the text's trailing ones) part its paragraphs.
    spaced = sum(1 for i, j in zip(filled, filled[1:], strict=False) if j > i + 1)
    if not filled or spaced / len(filled) < _SPACED:
        return {}
    found: dict[int, int] = {}
    start = 0
    while start < len(lines):
        if not lines[start].strip():
            start += 1
            continue
        end = start
        while end + 1 < len(lines) and lines[end + 1].strip():
            end += 1
        run = [line.strip() for line in lines[start:end + 1]]
        if (
            _TABLE_LINES[0] <= len(run) <= _TABLE_LINES[1]
            and looks_like_title(run[0])
            and all(len(line) <= _TABLE_WIDTH and _plain(line) and not line[:1].islower() for line in run)
            # A title over sentences on lines of their own is a heading and its paragraph.
            and sum(_ends_sentence(line) for line in run[1:]) * 2 <= len(run) - 1
        ):
            found[start] = end
        start = end + 1
    return found


def _starts_text(lines: list[str], after: int, tables: dict[int, int]) -> bool:
    """Is the next filled line after line `after` (1-based) a table or plain text (not a heading,
    a bullet or a numbered line): what a label such as "Eksempel" may stand before."""
    following = next((i for i in range(after, len(lines)) if lines[i].strip()), None)
    return following is not None and (following in tables or _plain(lines[following]))


def text_blocks(text: str) -> tuple[list[Block], list[tuple[int, str, str]]]:
    """Blocks of a plain-text guideline, and the lines left out (with why)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    broken = _breaks_bullets(lines)
    tables = _tables(lines)
    table_end = -1  # the last line of the table being read (1-based), or -1
    label = ""  # "Eksempel" standing alone: the start of the next block
    blocks: list[Block] = []
    left_out: list[tuple[int, str, str]] = []
    parts: list[list[str]] = []  # the lines of each block, parallel to `blocks`
    blank_run = 2  # the start counts as after a blank line

    def start(kind: str, text: str, number: str = "", marker: str = "", line: int = 0) -> None:
        nonlocal label
        blocks.append(Block(kind, "", number, marker, line, blank_run))
        parts.append([label, text] if label else [text])
        label = ""

    def run_on(text: str) -> None:
        parts[-1].append(text)

    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            blank_run += 1
            continue
        previous = blocks[-1] if blocks else None
        previous_text = parts[-1][-1] if parts else ""
        numbered = _numbered(raw)
        bullet = _BULLET.match(raw) if not numbered else None
        if bullet and bullet.group(1) in _DASHES and blank_run == 0 and previous is not None and not (
            previous.kind == "item" and previous.marker == bullet.group(1)
        ) and not _ends_sentence(previous_text):
            bullet = None  # "– helst innen en arbeidsdag" running on, not a dash bullet
        nxt = next((x.strip() for x in lines[number:] if x.strip()), "")
        if number - 1 in tables:
            table_end = tables[number - 1] + 1
            start("table", line, line=number)
        elif number <= table_end:
            run_on(line)
        elif line.rstrip(":").casefold() in _LABELS and blank_run > 0 and _starts_text(lines, number, tables):
            label = line
            continue  # the blank lines before it count for the block it starts
        elif _DOT_LEADER.search(line):
            left_out.append((number, line, "innholdsfortegnelse"))
        elif _PAGE_NUMBER.match(line):
            left_out.append((number, line, "sidetall"))
        elif (sign := _PARAGRAPH_SIGN.match(line)) and (not sign.group(2) or looks_like_title(sign.group(2))):
            named = " ".join(sign.group(1).split())
            named = named[:1].upper() + named[1:]
            start("heading", sign.group(2) or named, named, line=number)
        elif numbered:
            marker = numbered.group(1) + (numbered.group(2) or "")
            start("numbered", numbered.group(3), numbered.group(1), marker, number)
        elif bullet:
            start("item", bullet.group(2), "", bullet.group(1), number)
        elif previous is not None and blank_run == 0 and previous.kind == "numbered" and (
            line[:1].islower()
            or (previous_text.isupper() and line.isupper() and not _ends_sentence(previous_text))
            or (len(previous_text) > 60 and not _ends_sentence(previous_text))
        ):
            run_on(line)  # a numbered line running on: "5. ... ANSATT ELLER" / "POLITIKER"
        elif previous is not None and (
            (blank_run == 0 and previous.kind not in ("numbered", "heading?", "heading"))
            or (previous.kind == "item" and blank_run == 1 and broken)
        ):
            run_on(line)
        elif (
            previous is not None and blank_run <= 1 and line[:1].islower()
            and not _ends_sentence(previous_text) and previous.kind in ("item", "paragraph")
        ):
            run_on(line)  # a sentence broken over a page or a blank line
        elif (
            looks_like_title(line) and len(line.split()) <= 10 and not label
            and (
                blank_run > 0 or previous is None or _ends_sentence(previous_text) or previous.kind == "heading?"
                # an unnumbered sub-heading right under a numbered heading: "3. Rettar" / "Innsyn"
                or (previous.kind == "numbered" and looks_like_title(previous_text) and len(line) <= 50)
            )
            and not nxt[:1].islower()
        ):
            start("heading?", line, line=number)
        else:
            start("paragraph", line, line=number)
        blank_run = 0
    for block, lines_of_block in zip(blocks, parts, strict=True):
        block.text = _join(lines_of_block)
    return blocks, left_out


def _join(lines: list[str]) -> str:
    """Lines of one block as one line; "IT-" + "avdelingen" keeps its hyphen and loses the break."""
    text = ""
    for line in lines:
        line = line.strip()
        if text.endswith("-") and not text.endswith(" -") and line[:1].islower():
            text += line
        else:
            text = f"{text} {line}" if text else line
    return text
