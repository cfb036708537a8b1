"""`guidebot import`: turns a numbered guideline in plain text into a knowledge-file skeleton.

One entry per sentence or bullet sentence, with its verbatim quote and empty `answer` and
`questions` for an editor to fill in; `guidebot check` then says what is still missing.
"""

from __future__ import annotations

import re

import yaml

from bot.knowledge.sourcetext import parse_guideline

_HEADER = """\
# Skeleton made by `guidebot import`. For each entry: write `answer` (plain Norwegian, no more
# than the quote says), add `questions` people would ask, set `audience` (ansatte, politikere,
# alle), merge entries that belong together (join their quotes) and delete what nobody asks.
# Fill in the document's title and dates. Then run `guidebot check`.
"""


def _title(text: str) -> str:
    return text.capitalize() if text.isupper() else text


def skeleton(text: str, document_id: str, source: str) -> str:
    """The YAML text of a new knowledge file for the guideline `text`."""
    sections = parse_guideline(text)
    data: dict = {
        "document": {
            "id": document_id,
            "title": "",
            "owner": "",
            "source": source,
            "adopted": None,
            "revised": None,
            "case_number": "",
            "doubt_entry": "",
        },
        "sections": [{"number": s.number, "title": _title(s.title)} for s in sections],
        "entries": [],
    }
    for section in sections:
        slug = re.sub(r"[^a-z0-9]+", "-", section.number.lower()).strip("-")
        for count, unit in enumerate(section.units, 1):
            data["entries"].append(
                {
                    "id": f"{document_id}-{slug}-{count:02d}",
                    "section": section.number,
                    "audience": "alle",
                    "quote": unit,
                    "answer": "",
                    "questions": [],
                    "keywords": [],
                }
            )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return _HEADER + body
