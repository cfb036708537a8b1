"""Reads a Word guideline (.docx, with python-docx) into `Block`s and the text for sources/.

Word says what is structure: a paragraph in a heading style ("Heading 1", "Overskrift 2", or
any style with an outline level) is a heading; one in a list style ("List Bullet", "List
Number", "Listeavsnitt") or with list numbering is a list item. A heading's number is taken from
its text ("4.1 Tittel") or, when Word numbers the headings itself, counted by level. A short
paragraph all in bold is a heading typed by hand; numbers and bullets typed by hand ("1.",
"•") are read as in a text file. Numbered
list items are counted and restart after anything that is not a list item.

The text written to sources/ is the document as read: one paragraph a line, a blank line
between, headings with their number, list items with "•" or their number, table rows with
their cells joined by " | ".
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge.importing.structure import Block, looks_like_title
from bot.knowledge.importing.txt import _BULLET, _numbered
from bot.knowledge.model import KnowledgeError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|overskrift|rubrik|title|tittel)\s*(\d*)$", re.IGNORECASE)
_TYPED_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?\s+(\S.*)$")


def _style_chain(paragraph):
    style = paragraph.style
    while style is not None:
        yield style
        style = style.base_style


def _heading_level(paragraph) -> int:
    """1 for "Heading 1", 0 for a paragraph that is no heading, -1 for the document's title."""
    for style in _style_chain(paragraph):
        match = _HEADING_STYLE.match((style.name or "").strip())
        if match and (style.name or "").strip().lower() in ("title", "tittel"):
            return -1
        if match:
            return int(match.group(1) or 1)
        outline = style.element.find(f"{_W}pPr/{_W}outlineLvl")
        if outline is not None:
            return int(outline.get(f"{_W}val", "0")) + 1
    outline = paragraph._p.find(f"{_W}pPr/{_W}outlineLvl")
    return int(outline.get(f"{_W}val", "0")) + 1 if outline is not None else 0


def _numbering(paragraph) -> tuple[str, int] | None:
    """("bullet" or "number", level) for a list paragraph, else None."""
    for style in _style_chain(paragraph):
        name = (style.name or "").lower()
        if "list bullet" in name or "punktliste" in name:
            return "bullet", _level(name)
        if "list number" in name or "nummerert liste" in name:
            return "number", _level(name)
    num = paragraph._p.find(f"{_W}pPr/{_W}numPr")
    if num is None:
        for style in _style_chain(paragraph):
            num = style.element.find(f"{_W}pPr/{_W}numPr")
            if num is not None:
                break
    if num is None:
        return None
    level_element = num.find(f"{_W}ilvl")
    level = int(level_element.get(f"{_W}val", "0")) + 1 if level_element is not None else 1
    return _format_of(paragraph, num, level), level


def _level(style_name: str) -> int:
    digits = re.search(r"(\d+)$", style_name)
    return int(digits.group(1)) if digits else 1


def _format_of(paragraph, num, level: int) -> str:
    """Look the list's number format up in the numbering part: bullets or numbers."""
    num_id = num.find(f"{_W}numId")
    if num_id is None:
        return "bullet"
    try:
        numbering = paragraph.part.numbering_part.element
    except (AttributeError, KeyError, NotImplementedError):
        return "bullet"
    wanted = num_id.get(f"{_W}val")
    for num_element in numbering.findall(f"{_W}num"):
        if num_element.get(f"{_W}numId") != wanted:
            continue
        abstract = num_element.find(f"{_W}abstractNumId").get(f"{_W}val")
        for abstract_element in numbering.findall(f"{_W}abstractNum"):
            if abstract_element.get(f"{_W}abstractNumId") != abstract:
                continue
            for lvl in abstract_element.findall(f"{_W}lvl"):
                if int(lvl.get(f"{_W}ilvl", "0")) == level - 1:
                    fmt = lvl.find(f"{_W}numFmt")
                    value = fmt.get(f"{_W}val") if fmt is not None else "bullet"
                    return "bullet" if value in ("bullet", "none") else "number"
    return "bullet"


def _bold_title(paragraph, text: str) -> bool:
    if isinstance(paragraph, str) or not looks_like_title(text) or len(text) > 80:
        return False
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold for run in runs)


def _iter_paragraphs(document):
    """Paragraphs and table rows in document order (a row as one paragraph-like text)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            yield Paragraph(child, document)
        elif child.tag == f"{_W}tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if cells:
                    yield " | ".join(cells)


def read_docx(path: Path):
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    from bot.knowledge.importing import Guideline
    from bot.knowledge.importing.structure import outline

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as error:
        raise KnowledgeError([f"{path}: Word-filen kan ikke leses ({error}); er den lagret som .docx?"]) from None
    blocks: list[Block] = []
    lines: list[str] = []
    heading_counters: list[int] = []
    title_paragraphs: list[str] = []
    list_counters: list[int] = []
    for paragraph in _iter_paragraphs(document):
        if isinstance(paragraph, str):
            text, level, listing = paragraph, 0, None
        else:
            text = " ".join(paragraph.text.split())
            level = _heading_level(paragraph)
            listing = _numbering(paragraph) if not level else None
        if not text:
            continue
        line = len(lines) * 2 + 1  # the block's line in the text written to sources/
        if level == -1:  # the document's title: the knowledge file's title, not a section
            title_paragraphs.append(text)
            continue
        if level:
            typed = _TYPED_NUMBER.match(text)
            numbered_by_word = paragraph._p.find(f"{_W}pPr/{_W}numPr") is not None or any(
                s.element.find(f"{_W}pPr/{_W}numPr") is not None for s in _style_chain(paragraph)
            )
            if typed:
                number, title = typed.group(1), typed.group(2)
            elif numbered_by_word:
                del heading_counters[level:]
                heading_counters.extend([0] * (level - len(heading_counters)))
                heading_counters[level - 1] += 1
                number, title = ".".join(str(n or 1) for n in heading_counters), text
            else:
                number, title = "", text
            blocks.append(Block("heading", title, number, "", line))
            lines.append(f"{number} {title}" if number and not typed else text)
            list_counters.clear()
        elif listing:
            kind, depth = listing
            del list_counters[depth:]
            list_counters.extend([0] * (depth - len(list_counters)))
            list_counters[depth - 1] += 1
            marker = f"{list_counters[depth - 1]}." if kind == "number" else "•"
            number = str(list_counters[depth - 1]) if kind == "number" else ""
            blocks.append(Block("item", text, number, marker, line))
            lines.append(f"{marker} {text}")
        elif _bold_title(paragraph, text):
            # A short paragraph in bold: a heading typed by hand (no heading style).
            typed = _TYPED_NUMBER.match(text)
            kind = "numbered" if typed else "heading"
            blocks.append(Block(kind, typed.group(2) if typed else text, typed.group(1) if typed else "", "", line))
            lines.append(text)
            list_counters.clear()
        else:
            # Numbers and bullets typed by hand ("1. Formål", "• Regel") are read as in a text file.
            numbered, bullet = _numbered(text), _BULLET.match(text)
            if numbered:
                marker = numbered.group(1) + (numbered.group(2) or "")
                blocks.append(Block("numbered", numbered.group(3), numbered.group(1), marker, line, 1))
            elif bullet:
                blocks.append(Block("item", bullet.group(2), "", bullet.group(1), line, 1))
            else:
                blocks.append(Block("paragraph", text, "", "", line, blank_before=1))
            lines.append(text)
            list_counters.clear()
    if not blocks:
        raise KnowledgeError([f"{path}: fant ingen tekst i Word-filen"])
    title = (document.core_properties.title or "").strip() or " ".join(title_paragraphs)
    result = outline(blocks)
    result.left_out = [(0, text, "dokumentets tittel") for text in title_paragraphs]
    return Guideline("\n\n".join(lines) + "\n", result, title)
