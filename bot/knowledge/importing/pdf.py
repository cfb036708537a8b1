"""Reads a guideline PDF (with pypdf) into text for sources/ and `Block`s.

pypdf gives the text line by line with where each line starts on the page. From that:

- a larger gap between lines than the page's usual line spacing is a new paragraph (a blank
  line in the text written to sources/);
- a line indented past a bullet's marker, or running on with no gap, belongs to the bullet: the
  bullet is joined into one line;
- a word broken at the end of a line with a hyphen is joined ("arbeids-" + "dagen" ->
  "arbeidsdagen"), but "IT-" + "avdelingen" and "e-" + "post" keep the hyphen, and "lov-" +
  "og avtaleverk" keeps the space;
- lines repeated at the same place on most pages (page headers and footers) and bare page
  numbers are left out, and reported.

The cleaned text is then read like any plain-text guideline (`txt.text_blocks`).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.importing.txt import _BULLET, _PAGE_NUMBER, _numbered
from bot.knowledge.model import KnowledgeError

_SUSPENDED = ("og", "eller", "samt", "og/eller", "and", "or")
_LONE_MARKER = re.compile(r"^[•●▪■◦○➢►✓\uf0b7\uf0a7\uf076\uf0d8\-–·*]$|^(\d+|[a-zæøå])[.)]$")


@dataclass
class _Line:
    text: str
    x: float
    y: float
    page: int
    size: float = 0.0  # the font size as drawn


def _page_lines(page, number: int) -> list[_Line]:
    """The page's text lines with the position of each line's first piece of text."""
    pieces: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        pieces.append((text, x, y, size * scale))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    current: list[str] = []
    where: tuple[float, float, float] | None = None
    for text, x, y, size in pieces:
        for i, part in enumerate(text.split("\n")):
            if i > 0:
                x0, y0, size0 = where or (0.0, 0.0, 0.0)
                lines.append(_Line("".join(current), x0, y0, number, size0))
                current, where = [], None
            if part.strip() and where is None:
                where = (x, y, size)
            current.append(part)
    x0, y0, size0 = where or (0.0, 0.0, 0.0)
    lines.append(_Line("".join(current), x0, y0, number, size0))
    return [line for line in lines if line.text.strip()]


def _join_hyphenated(text: str, nxt: str) -> str:
    """`text` ends with "-" at a line end: how it joins `nxt`."""
    word = re.search(r"(\S+)-$", text)
    first = nxt.split()[0] if nxt.split() else ""
    if not word or not first[:1].islower() or first in _SUSPENDED:
        return f"{text} {nxt}"
    stem = word.group(1)
    if any(c.isupper() or c.isdigit() for c in stem) or len(stem) <= 2:
        return text + nxt  # IT-avdelingen, e-post: a real hyphen
    return text[:-1] + nxt  # a word the typesetter broke


def read_pdf(path: Path):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    from bot.knowledge.importing import from_text

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise KnowledgeError([f"{path}: PDF-filen er passordbeskyttet; lagre en kopi uten passord først"])
        pages = [_page_lines(page, number) for number, page in enumerate(reader.pages, 1)]
        title = ((reader.metadata or {}).get("/Title") or "").strip() if reader.metadata else ""
    except (PdfReadError, DependencyError, OSError, ValueError, KeyError, TypeError) as error:
        raise KnowledgeError([f"{path}: PDF-filen kan ikke leses ({error})"]) from None
    left_out: list[tuple[int, str, str]] = []
    # Page headers and footers: among each page's first and last two lines, the same text at
    # the same height on at least half the pages (a bullet glyph repeating is no header).
    def edges(page: list[_Line]) -> list[_Line]:
        return page[:2] + page[-2:] if len(page) > 4 else page

    repeated = Counter(key for page in pages for key in {(line.text.strip(), round(line.y)) for line in edges(page)})
    threshold = max(2, (len(pages) + 1) // 2)
    lines: list[_Line] = []
    for page in pages:
        edge = {id(line) for line in edges(page)}
        for line in page:
            text = line.text.strip()
            if (
                len(pages) > 1 and id(line) in edge and not _LONE_MARKER.match(text)
                and repeated[(text, round(line.y))] >= threshold
            ):
                left_out.append((0, f"side {line.page}: {text}", "topp- eller bunntekst"))
            elif _PAGE_NUMBER.match(text):
                left_out.append((0, f"side {line.page}: {text}", "sidetall"))
            else:
                lines.append(line)
    if not lines:
        raise KnowledgeError([f"{path}: fant ingen tekst i PDF-filen (skannet? Da må den tolkes med OCR først)"])
    text = _clean(lines)
    guideline = from_text(text, title)
    guideline.outline.left_out = left_out + guideline.outline.left_out
    return guideline


def _clean(lines: list[_Line]) -> str:
    """The text for sources/: paragraphs apart, bullets in one line, broken words joined."""
    steps = [
        abs(b.y - a.y) for a, b in zip(lines, lines[1:], strict=False) if a.page == b.page and abs(b.y - a.y) > 0.5
    ]
    spacing = statistics.median(steps) if steps else 12.0
    out: list[str] = []  # paragraphs; each a list of lines joined by "\n"
    bullet_x: float | None = None  # where the current bullet's marker starts
    previous: _Line | None = None
    lone_marker: _Line | None = None  # a bullet drawn apart from its text ("•", then the text)
    for line in lines:
        text = line.text.strip()
        if _LONE_MARKER.match(text):
            lone_marker = line
            continue
        if lone_marker is not None:
            line = _Line(f"{lone_marker.text.strip()} {text}", lone_marker.x, line.y, line.page, line.size)
            text, lone_marker = line.text, None
        step = abs(previous.y - line.y) if previous is not None else 0.0
        # A gap is more than the usual line spacing, and more than a line of this size needs
        # (a heading in a larger font running onto a second line is no gap).
        gap = previous is not None and previous.page == line.page and step > max(1.4 * spacing, 1.5 * previous.size)
        starts = bool(_BULLET.match(text) or _numbered(text))
        if starts:
            out.append(text)
            bullet_x = line.x if _BULLET.match(text) else None
        elif out and bullet_x is not None and (line.x > bullet_x + 2 or not gap):
            out[-1] = _run_on(out[-1], text, " ")  # a bullet in one line
        elif out and not gap and previous is not None:
            out[-1] = _run_on(out[-1], text, "\n")
            bullet_x = None
        else:
            out.append(text)
            bullet_x = None
        previous = line
    return "\n\n".join(out) + "\n"


def _run_on(paragraph: str, text: str, separator: str) -> str:
    if paragraph.endswith("-") and not paragraph.endswith(" -"):
        return _join_hyphenated(paragraph, text)
    return f"{paragraph}{separator}{text}"
