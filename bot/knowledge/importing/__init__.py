"""`guidebot import`: a guideline in PDF, Word or plain text becomes a knowledge file.

    guideline = read_guideline(Path("ikt-reglement.pdf"))   # pdf, docx or txt
    guideline.source_text        # what goes in sources/ (quotes are checked against it)
    guideline.outline.sections   # sections with their entry drafts
    document_yaml(guideline, "ikt-reglement", "sources/ikt-reglement.txt")

Each reader (`txt`, `pdf`, `docx`) turns its file into blocks; `structure` decides what is a
section and what is a list and drafts one entry per sentence or list item. The knowledge file
it writes passes `guidebot check` as it comes: each entry answers with its own quote until an
editor writes a plainer answer and adds phrasings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.importing.structure import Outline, outline
from bot.knowledge.importing.txt import text_blocks
from bot.knowledge.model import KnowledgeError

FORMATS = (".pdf", ".docx", ".txt")

_HEADER = """\
# Laget av `guidebot import`. Hver oppføring svarer med sitatet sitt til du skriver et svar.
# Slik gjør du den bedre (se README, «Adding a guideline»):
# - answer:    et kort svar på vanlig norsk; si ikke mer enn sitatet sier.
# - questions: måter folk spør på (bokmål, nynorsk, engelsk, slik folk skriver i chat).
# - audience:  ansatte, politikere eller alle.
# Ikke endre `quote`: den må stå ordrett i kildeteksten. Kjør `guidebot check` etterpå.
"""


@dataclass
class Guideline:
    """A guideline as read from its file: the text for sources/ and its outline."""

    source_text: str
    outline: Outline
    title: str = ""

    @property
    def left_out(self) -> list[tuple[int, str, str]]:
        return self.outline.left_out


def from_text(text: str, title: str = "") -> Guideline:
    blocks, left_out = text_blocks(text)
    result = outline(blocks)
    result.left_out = left_out + result.left_out
    return Guideline(text, result, title)


def read_guideline(path: Path) -> Guideline:
    """Read a .pdf, .docx or .txt guideline; a file that cannot be read is a `KnowledgeError`."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise KnowledgeError([f"{path}: kan bare importere {', '.join(FORMATS)}, ikke '{suffix or path.name}'"])
    if not path.is_file():
        raise KnowledgeError([f"{path}: finner ikke filen"])
    if suffix == ".pdf":
        from bot.knowledge.importing.pdf import read_pdf

        return read_pdf(path)
    if suffix == ".docx":
        from bot.knowledge.importing.docx import read_docx

        return read_docx(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise KnowledgeError([f"{path}: kan ikke leses: {error.strerror}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Windows' Notepad before 2019
    if "\x00" in text:
        raise KnowledgeError([f"{path}: ikke en tekstfil"])
    return from_text(text)


def slug(text: str, limit: int = 40) -> str:
    folded = text.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a"}))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:limit].strip("-") or "x"


def document_data(guideline: Guideline, document_id: str, source: str, title: str = "") -> dict:
    """The knowledge file's content as plain data (see `document_yaml`)."""
    sections = guideline.outline.sections
    data: dict = {
        "document": {
            "id": document_id,
            "title": title or guideline.title or document_id.replace("-", " ").capitalize(),
            "owner": "",
            "source": source,
            "adopted": None,
            "revised": None,
            "case_number": "",
            "doubt_entry": "",
        },
        "sections": [{"number": s.number, "title": s.title} for s in sections],
        "entries": [],
    }
    ids: set[str] = set()
    for section in sections:
        for count, draft in enumerate(section.drafts, 1):
            entry_id = base = f"{document_id}-{slug(section.number, 24)}-{count:02d}"
            # Two section numbers can slug alike once cut ("Tilgang og brukarkontroll (2)").
            twin = 1
            while entry_id in ids:
                twin += 1
                entry_id = f"{base}-{twin}"
            ids.add(entry_id)
            data["entries"].append(
                {
                    "id": entry_id,
                    "section": section.number,
                    "audience": "alle",
                    "quote": draft.quote,
                    "questions": [],
                }
            )
    return data


class _EditorDumper(yaml.SafeDumper):
    """Lists indented under their key, as in the hand-written knowledge files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump(data: dict, header: str = _HEADER) -> str:
    body = yaml.dump(data, Dumper=_EditorDumper, allow_unicode=True, sort_keys=False, width=100)
    # A blank line before each entry and before the top-level keys, for the eye.
    body = re.sub(r"\n(  - id: |sections:|entries:)", r"\n\n\1", body)
    return header + body


def document_yaml(guideline: Guideline, document_id: str, source: str, title: str = "") -> str:
    """The YAML text of a new knowledge file for `guideline`."""
    return dump(document_data(guideline, document_id, source, title))


def skeleton(text: str, document_id: str, source: str) -> str:
    """The knowledge file for a guideline in plain text (what `guidebot import FILE.txt` writes)."""
    return document_yaml(from_text(text), document_id, source)


def report(guideline: Guideline) -> list[str]:
    """Lines for the editor: what was found, and every piece of text that was left out and why."""
    sections = guideline.outline.sections
    drafts = guideline.outline.drafts
    lines = [f"Fant {len(sections)} punkt(er) og {len(drafts)} oppføring(er)."]
    for line, text, why in guideline.left_out:
        where = f"linje {line}: " if line else ""
        lines.append(f"Utelatt ({why}): {where}«{text}»")
    return lines
