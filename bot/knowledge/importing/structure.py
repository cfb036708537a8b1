"""From a guideline's blocks (headings, paragraphs, list items) to sections and entry drafts.

Every reader (txt, pdf, docx) turns its file into `Block`s; `outline(blocks)` decides what is a
section and what is a list, and makes the entry drafts:

- numbered headings at any depth ("4.1", "2.3.1") are sections when their number continues the
  outline; a numbered line that restarts ("1." under a new heading), follows a lead-in ending in
  ":", or has a sibling right after it with nothing between, is a list item;
- a short numbered title standing alone (blank lines around it, no final full stop) whose number
  moves on is a section even where the numbering skips ("3." after "1." in a partial text) or
  unnumbered sub-headings stand between (where a text has no blank lines, one paragraph per
  line: a short title right after a finished sentence); numbered rules (full sentences) stay
  list items, except a short one standing alone whose number is the very next one ("5. Skriv
  kort. Bruk punktum." after the headings 1 to 4);
- a numbered title that repeats one already taken for a heading (a web page's summary of its
  principles, then a page for each) is that heading again: its text goes on in that section
  (unless a part numbered from 1 again stands between); a sentence a section repeats is quoted
  once and listed as left out;
- in a text that parts paragraphs with blank lines, short lines standing together (a table, a
  list of names) are quoted whole (the text reader's "table");
- unnumbered headings are sections named by their title; under a numbered heading they nest:
  "5 › Mobiltelefon i bil" (the number from the heading above, the sub-heading as the title),
  up to an unnumbered heading with sub-headings of its own after a page break (two blank lines:
  a part, "Sjekk teksten din"); two
  unnumbered sections of one title are named by the part each stands in ("For leiarar › Tilgang");
- a paragraph gives one entry per sentence (a sentence of one or two words, such as "HUSK!",
  stays with its neighbour); a list item gives one entry with all its sentences, so an item's
  title ("Lovlig behandling.") stays with its rule;
- a lead-in ("Følgende prinsipper gjelder:") is quoted together with its list or the table under it;
- text before the first heading is the section "Innledning"; paragraphs after the last list of
  the last section are "Avslutning" (closing words and adoption dates).

Nothing is dropped silently: what is not quoted (page numbers, repeated page headers, dot
leaders of a table of contents) is in `Outline.left_out` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.knowledge.sourcetext import split_sentences

CLOSING_SECTION = "Avslutning"
OPENING_SECTION = "Innledning"
_LIST_QUOTE_LIMIT = 700  # a lead-in is quoted with its whole list up to this many characters
_SENTENCE_END = (".", "!", "?", ":", ";", ",")
_FINISHED = (".", "!", "?", ";", ")", "»", '"')  # a line that ends a sentence, not a wrapped one
_HEADING_WORDS = 12  # a numbered line standing alone is a heading up to this many words
_SHORT_TITLE_WORDS = 8  # a numbered line that reads as a sentence is a title up to this many words
_MOST_SKIPPED = 4  # numbers a partial text may skip between two sections ("1." then "3.")
SUBSECTION_MARK = " › "  # "5 › Mobiltelefon i bil": a sub-heading under section 5


@dataclass
class Block:
    """One heading, paragraph or list item as the reader found it.

    kind: "heading" (a reader sure of it: Word styles), "numbered" (a numbered line the outline
    decides on), "item" (a list item), "paragraph", "table" (short lines standing together,
    quoted whole) or "heading?" (a short unnumbered line standing alone, which the text reader
    takes for a heading).
    """

    kind: str
    text: str
    number: str = ""  # "4.1" for headings, "1" or "a" for numbered items
    marker: str = ""  # the list marker as in the source: "•", "1.", "a)"
    line: int = 0  # line in the source text
    blank_before: int = 0
    resumes: bool = False  # a numbered heading repeated further on: its section goes on


@dataclass
class Draft:
    """An entry to be: its section and verbatim quote."""

    section: str
    quote: str
    kind: str  # "sentence", "item", "table", "list" (a lead-in quoted with its list)
    lead_in: str = ""


@dataclass
class OutlineSection:
    number: str
    title: str
    line: int = 0
    drafts: list[Draft] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        """The sentences of this section, each once (for coverage checks)."""
        out: list[str] = []
        for draft in self.drafts:
            if draft.kind == "list":
                out.append(draft.lead_in)
                continue
            out.extend(split_sentences(draft.quote))
        return out


@dataclass
class Outline:
    sections: list[OutlineSection]
    left_out: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, why)

    @property
    def drafts(self) -> list[Draft]:
        return [d for s in self.sections for d in s.drafts]


def title_case(text: str) -> str:
    """"HVA ER SOSIALE MEDIER?" -> "Hva er sosiale medier?"; mixed case is kept."""
    return text.capitalize() if text.isupper() else text


def looks_like_title(text: str) -> bool:
    """Short, starts with a capital, no sentence punctuation at the end (a "?" is fine)."""
    text = text.strip()
    return (
        bool(text)
        and text[:1].isupper()
        and len(text) <= 120
        and not text.endswith((".", ":", ";", ",", "!"))
        and not re.search(r"\d$", text)
        and not re.search(r"[.!?:]\s", text)  # two sentences are no title
    )


def _depth(number: str) -> int:
    return number.count(".") + 1


def _next_numbers(current: str | None) -> set[str]:
    """Numbers a section may have after `current`: a child, a sibling or a sibling of an ancestor."""
    if current is None:
        return {"1"}
    parts = [int(p) for p in current.split(".")]
    out = {".".join(map(str, [*parts, 1]))}
    for depth in range(len(parts), 0, -1):
        head = parts[: depth - 1]
        out.add(".".join(map(str, [*head, parts[depth - 1] + 1])))
    return out


def _successor(number: str) -> str:
    parts = number.split(".")
    if parts[-1].isdigit():
        parts[-1] = str(int(parts[-1]) + 1)
    elif len(parts[-1]) == 1:
        parts[-1] = chr(ord(parts[-1]) + 1)
    return ".".join(parts)


def _moves_on(current: str, number: str, most: int = _MOST_SKIPPED + 1) -> bool:
    """Does `number` come after `current` in an outline that may skip a few numbers?

    "3" after "1" (2 missing from a partial text), "5" after "4.4", "5.3" after "5": yes;
    "1" after "5" (a list restarting) or "12" after "3": no.
    """
    if not all(p.isdigit() for p in (*current.split("."), *number.split("."))):
        return False
    before, after = [int(p) for p in current.split(".")], [int(p) for p in number.split(".")]
    if len(after) > len(before) + 1:
        return False
    for old, new in zip(before, after, strict=False):
        if new != old:
            return 0 < new - old <= most
    return len(after) > len(before) and 0 < after[-1] <= most


def _stands_alone(block: Block, before: Block | None, after: Block | None, following: Block | None) -> bool:
    """A short title on a line of its own: blank lines around it ("5. Mobil sikkerheit"), or,
    where the text has no blank lines there (one paragraph per line, as web pages and many PDF
    extractions come), right after a finished sentence or a heading, or where the next numbered
    title (`following`) goes on from its number; not a wrapped line ("... i avsnitt / 4 Sikkerhet",
    then "2 Ansvar")."""
    if not (looks_like_title(block.text) and len(block.text.split()) <= _HEADING_WORDS):
        return False
    spaced_after = after is None or after.blank_before > 0
    if block.blank_before > 0 and spaced_after:
        return True
    if block.blank_before == 0 and spaced_after:
        return False  # the end of a paragraph, not a title above one
    if before is None or before.kind in ("heading", "heading?") or before.text.rstrip().endswith(_FINISHED):
        return True
    return following is None or _moves_on(block.number, following.number)


def _restarts_at_one(before: Block, after: Block | None) -> bool:
    """An unnumbered heading with a line numbered "1" right under it: numbering starts again."""
    return (before.kind in ("heading", "heading?") and not before.number
            and after is not None and after.kind == "numbered" and after.number == "1")


def _decide_numbered(blocks: list[Block]) -> list[Block]:
    """Turn each "numbered" block into a "heading" or an "item" (see the module docstring)."""
    restarts = sum(1 for before, after in zip(blocks, blocks[1:], strict=False) if _restarts_at_one(before, after))
    following: list[Block | None] = []  # per block, the next numbered line shaped like a title
    upcoming: Block | None = None
    for block in reversed(blocks):
        following.append(upcoming)
        if block.kind == "numbered" and looks_like_title(block.text):
            upcoming = block
    following.reverse()
    current: str | None = None
    out: list[Block] = []
    taken: set[tuple[str, str]] = set()  # (number, title) of the numbered headings so far
    for index, block in enumerate(blocks):
        if block.kind == "heading" and block.number[:1].isdigit():
            current = block.number
            taken.add((block.number, _title_key(block.text)))
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if _restarts_at_one(block, after):
            taken.clear()  # a part of its own numbered from 1 again: its headings are new ones
        if block.kind != "numbered":
            out.append(block)
            continue
        if (block.number, _title_key(block.text)) in taken:
            current = block.number
            out.append(Block("heading", block.text, block.number, "", block.line, block.blank_before, resumes=True))
            continue
        before = out[-1] if out else None
        if (before is not None and before.kind == "paragraph" and before.blank_before == 0
                and len(out) > 1 and out[-2].kind == "item"):
            before = out[-2]  # an item's rule on the line below its title belongs to the item
        number = block.number
        is_item = (
            not number[:1].isdigit()
            or (before is not None and before.kind == "paragraph" and before.text.rstrip().endswith(":"))
            # The list goes on: the next number, shaped like the items before (a title after
            # sentences, "4. Ansvar" after items "1."-"3.", is the next section).
            or (before is not None and before.kind == "item" and before.number
                and _depth(before.number) == _depth(number) and _successor(before.number) == number
                and (number not in _next_numbers(current)
                     or (looks_like_title(before.text) == looks_like_title(block.text)
                         # more space above it than above the item before: a new section
                         and block.blank_before <= before.blank_before)))
            # A sibling right after it with nothing between: a list (an empty section is rarer).
            or (after is not None and after.kind == "numbered" and after.number == _successor(number))
            or not (looks_like_title(block.text) or _next_short_title(block, current, before, after))
            # The first numbered heading may start anywhere (an excerpt from "4.4"), unless it
            # follows an unnumbered heading: then it is a list restarting under that heading.
            or (number not in _next_numbers(current)
                # A title standing alone whose number moves on is the next section even where
                # the numbering skips ("3." after "1.") or sub-headings stand between.
                # So is the first one of a partial text ("3." under the document's title).
                and not (_moves_on(current or "0", number) and _stands_alone(block, before, after, following[index]))
                and (current is not None or (before is not None and before.kind in ("heading", "heading?"))))
            or (restarts >= 2 and number == "1" and before is not None and before.kind in ("heading", "heading?")
                and not before.number)
        )
        if is_item:
            out.append(Block("item", block.text, number, block.marker, block.line, block.blank_before))
        else:
            current = number
            taken.add((number, _title_key(block.text)))
            out.append(Block("heading", block.text, number, "", block.line, block.blank_before))
    return out


def _title_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _next_short_title(block: Block, current: str | None, before: Block | None, after: Block | None) -> bool:
    """A short numbered line standing alone, numbered right after the heading above it: the next
    section though it reads as a sentence ("5. Skriv kort. Bruk punktum." after "4. ...")."""
    return (
        current is not None and before is not None
        and _depth(block.number) == _depth(current) and block.number == _successor(current)
        and len(block.text.split()) <= _SHORT_TITLE_WORDS and block.text[:1].isupper()
        and block.blank_before > 0 and (after is None or after.blank_before > 0)
    )


def _sentences(text: str) -> list[str]:
    """Sentences of a paragraph, a one- or two-word sentence joined to its neighbour."""
    parts = split_sentences(text)
    merged: list[str] = []
    carry = ""
    for position, part in enumerate(parts):
        part = f"{carry} {part}".strip() if carry else part
        carry = ""
        if len(part.split()) <= 2 and position < len(parts) - 1:
            carry = part
            continue
        if len(part.split()) <= 2 and merged:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    if carry:
        merged.append(carry)
    return merged


def _list_quote(lead_in: str, items: list[Block]) -> str:
    parts = [lead_in]
    for item in items:
        parts.append(f"{item.marker} {item.text}".strip())
        if len(" ".join(parts)) > _LIST_QUOTE_LIMIT:
            break
    return " ".join(parts)


def _keep_items_whole(blocks: list[Block]) -> list[Block]:
    """Text right under a list item with no blank line between belongs to the item: a title on
    its own line ("1. Lovlig behandling") is kept with its rule."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "paragraph" and block.blank_before == 0 and out and out[-1].kind == "item":
            out[-1].text = f"{out[-1].text} {block.text}"
        else:
            out.append(block)
    return out


def outline(blocks: list[Block]) -> Outline:
    """Sections and entry drafts from a reader's blocks."""
    blocks = _keep_items_whole(_decide_numbered(blocks))
    result = Outline([])
    section: OutlineSection | None = None
    used_names: set[str] = set()

    def open_section(number: str, title: str, line: int) -> OutlineSection:
        name = number
        count = 2
        while name in used_names:
            name, count = f"{number} ({count})", count + 1
        used_names.add(name)
        new = OutlineSection(name, title, line)
        result.sections.append(new)
        return new

    opened: dict[tuple[str, str], OutlineSection] = {}  # numbered headings' sections, to take up again

    def add(draft: Draft, line: int) -> None:
        """Quote `draft` in its section once: a sentence a section repeats (taken up again, or a
        line said twice) is listed as left out."""
        assert section is not None
        if any(d.quote == draft.quote for d in section.drafts):
            result.left_out.append((line, draft.quote, "står allerede i punktet"))
        else:
            section.drafts.append(draft)

    last_numbered = max(
        (i for i, b in enumerate(blocks) if b.kind in ("heading", "heading?") and b.number), default=-1
    )
    later_unnumbered = any(b.kind in ("heading", "heading?") for b in blocks[last_numbered + 1:])
    seen_list_in_last = False
    numbered_parent = ""  # the number of the last numbered heading: its sub-headings nest under it
    part = ""  # the last unnumbered heading with a heading right under it ("For leiarar" / "Tilgang")
    part_of: dict[int, str] = {}  # id(section) -> its part, to tell apart two sections of one title
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if block.kind in ("heading", "heading?"):
            title = title_case(" ".join(block.text.split()))
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if block.number:
                numbered_parent = block.number
            elif (following is not None and following.kind in ("heading", "heading?") and not following.number
                  and block.blank_before >= 2):
                # A part with sub-headings of its own after a page break ("Sjekk teksten din"
                # after two blank lines) ends the nesting under the numbered heading above.
                numbered_parent = ""
            number = block.number or (f"{numbered_parent}{SUBSECTION_MARK}{title}" if numbered_parent else title)
            key = (block.number, _title_key(title))
            if block.resumes and key in opened:
                section = opened[key]
            else:
                section = open_section(number, title, block.line)
                if block.number:
                    opened[key] = section
            if not block.number and following is not None and following.kind in ("heading", "heading?"):
                part = title
            elif part:
                part_of[id(section)] = part
            seen_list_in_last = False
            index += 1
            continue
        if section is None:
            section = open_section(OPENING_SECTION, OPENING_SECTION, block.line)
        if block.kind in ("item", "table"):
            if block.kind == "item" and index > last_numbered >= 0 and not later_unnumbered:
                seen_list_in_last = True
            add(Draft(section.number, block.text, block.kind), block.line)
            index += 1
            continue
        # A paragraph. After the last list of the last numbered section: the closing words.
        if seen_list_in_last and section.number != CLOSING_SECTION:
            section = open_section(CLOSING_SECTION, CLOSING_SECTION, block.line)
        sentences = _sentences(block.text)
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        lead_in = sentences[-1] if sentences and sentences[-1].endswith(":") else ""
        if lead_in and following is not None and following.kind in ("item", "table"):
            sentences = sentences[:-1]
        else:
            lead_in = ""
        for sentence in sentences:
            add(Draft(section.number, sentence, "sentence"), block.line)
        if lead_in:
            items: list[Block] = []
            for nxt in blocks[index + 1:]:
                if nxt.kind not in ("item", "table") or (items and items[-1].kind == "table"):
                    break
                items.append(nxt)
            add(Draft(section.number, _list_quote(lead_in, items), "list", lead_in), block.line)
        index += 1
    _name_repeated_by_part(result.sections, part_of)
    return result


def _name_repeated_by_part(sections: list[OutlineSection], part_of: dict[int, str]) -> None:
    """Two unnumbered sections of one title are named by the part each stands in, where each has
    one: "For tilsette › Tilgang" and "For leiarar › Tilgang" rather than "Tilgang (2)"."""
    titles = [s.title for s in sections if not s.number[:1].isdigit()]
    taken = {s.number for s in sections}
    for section in sections:
        if section.number[:1].isdigit() or titles.count(section.title) < 2 or id(section) not in part_of:
            continue
        name = f"{part_of[id(section)]}{SUBSECTION_MARK}{section.title}"
        if name in taken:
            continue
        taken.add(name)
        section.number = name
        for draft in section.drafts:
            draft.section = name
