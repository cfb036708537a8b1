"""Where `guidebot import` puts what it read: the knowledge folder in use, or -o.

Into the folder: the text to ``sources/ID.txt`` and the knowledge file to ``documents/ID.yaml``.
An existing document is never overwritten by a plain import (that would lose an editor's
answers and phrasings); ``--update`` revises it instead, keeping the old files as ``*.forrige``.
The packaged copy of the knowledge (inside the installed bot) is never written to.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from datetime import date
from pathlib import Path

from bot.knowledge.importing import Guideline, document_yaml, dump
from bot.knowledge.loading import default_folder, is_packaged, read_yaml
from bot.knowledge.model import KnowledgeError

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
_REVISED_HEADER = """\
# Oppdatert av `guidebot import --update`. Oppføringer med `review: endret` eller `review: fjernet`
# vises ikke før du har sett på dem: sett quote til proposed_quote (eller slett oppføringen), se over
# svaret, og slett linjene `review` og `proposed_quote`. `review: ny` er ny tekst; legg til spørsmål.
# Kommentarene i den forrige filen er i {backup}.
"""


def _folder(args: argparse.Namespace) -> Path:
    if args.knowledge:
        return Path(args.knowledge)
    folder = default_folder()
    if is_packaged(folder):
        raise KnowledgeError(
            [
                "guidebot import: finner ingen kunnskapsmappe å skrive i. Gå til mappen som har "
                "knowledge/, eller bruk --knowledge MAPPE (eller -o FIL.yaml)"
            ]
        )
    return folder


def _find_document(folder: Path, document_id: str) -> Path | None:
    for path in sorted((folder / "documents").glob("*.y*ml")):
        data = read_yaml(path)
        meta = data.get("document") if isinstance(data, dict) else None
        if isinstance(meta, dict) and str(meta.get("id")) == document_id:
            return path
    return None


def write_import(guideline: Guideline, args: argparse.Namespace) -> int:
    document_id = args.document
    if not _ID.match(document_id):
        raise KnowledgeError(
            [f"guidebot import: --document '{document_id}' kan bare ha små bokstaver a-z, tall og bindestrek"]
        )
    if args.output and args.update:
        raise KnowledgeError(["guidebot import: --update oppdaterer dokumentet i kunnskapsmappen; bruk det uten -o"])
    if args.output:
        return _write_output(guideline, args)
    folder = _folder(args)
    if not (folder / "documents").is_dir():
        raise KnowledgeError([f"{folder}: ingen documents/-mappe her; er dette en kunnskapsmappe?"])
    existing = _find_document(folder, document_id)
    if args.update:
        if existing is None:
            raise KnowledgeError([f"guidebot import --update: finner ikke dokumentet '{document_id}' i {folder}"])
        return _update(guideline, args, folder, existing)
    if existing is not None:
        raise KnowledgeError(
            [
                f"{existing}: dokumentet '{document_id}' finnes allerede. Bruk --update for en revidert "
                "utgave (svar og spørsmål beholdes), eller et annet --document"
            ]
        )
    source = f"sources/{document_id}.txt"
    target = folder / "documents" / f"{document_id}.yaml"
    (folder / "sources").mkdir(exist_ok=True)
    _write_text(folder / source, guideline.source_text)
    target.write_text(document_yaml(guideline, document_id, source, args.title or ""), encoding="utf-8")
    print(f"Skrev {folder / source} og {target}.", file=sys.stderr)
    return _check_after(folder)


def _write_text(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8", errors="replace") == text:
        return
    path.write_text(text, encoding="utf-8")


def _write_output(guideline: Guideline, args: argparse.Namespace) -> int:
    name = Path(args.file)
    if name.suffix.lower() == ".txt":
        source = args.source or f"sources/{name.name}"
    else:
        source = args.source or f"sources/{args.document}.txt"
    text = document_yaml(guideline, args.document, source, args.title or "")
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    output.write_text(text, encoding="utf-8")
    if name.suffix.lower() != ".txt":
        extracted = output.with_suffix(".txt")
        extracted.write_text(guideline.source_text, encoding="utf-8")
        print(f"Skrev {output} og teksten til {extracted} (legg den i {source}).", file=sys.stderr)
    else:
        print(f"Skrev {output}.", file=sys.stderr)
    return 0


def _update(guideline: Guideline, args: argparse.Namespace, folder: Path, existing: Path) -> int:
    from bot.knowledge.revisions import revise

    old = read_yaml(existing)
    meta = old.get("document") or {}
    source = str(meta.get("source") or f"sources/{args.document}.txt")
    try:
        revised = date.fromisoformat(args.revised) if args.revised else None
    except ValueError:
        raise KnowledgeError([f"guidebot import: --revised '{args.revised}' må være en dato som 2026-03-01"]) from None
    data, revision = revise(old, guideline, revised)
    source_path = folder / source
    backup_yaml = existing.with_name(existing.name + ".forrige")
    shutil.copyfile(existing, backup_yaml)
    if source_path.exists():
        shutil.copyfile(source_path, source_path.with_name(source_path.name + ".forrige"))
    source_path.parent.mkdir(parents=True, exist_ok=True)
    _write_text(source_path, guideline.source_text)
    existing.write_text(dump(data, _REVISED_HEADER.format(backup=backup_yaml.name)), encoding="utf-8")
    for line in revision.lines():
        print(line, file=sys.stderr)
    print(f"Oppdaterte {existing} og {source_path} (forrige utgave: *.forrige).", file=sys.stderr)
    return _check_after(folder)


def _check_after(folder: Path) -> int:
    """Run the checks on what was written, so the editor sees at once whether the bot can use it."""
    from bot.knowledge.check import examine_folder

    _, found = examine_folder(folder)
    for line in found.errors:
        print(f"FEIL: {line}", file=sys.stderr)
    print(
        f"guidebot check: {len(found.errors)} feil, {len(found.waiting)} venter på gjennomgang, "
        f"{len(found.advice)} råd. Kjør `guidebot check` for detaljene.",
        file=sys.stderr,
    )
    return 1 if found.errors else 0
