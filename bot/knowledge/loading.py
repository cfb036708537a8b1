"""The knowledge base: guideline documents, their sections and entries, synonyms and contacts.

Everything lives as YAML under one folder (``knowledge/`` in the repository, packaged with the
bot). Loading is strict about shape and names the file and line of every problem, so that the
people who edit the files (IT and communication staff) can find and fix it:

    knowledge/
      documents/*.yaml     one guideline each: metadata, sections, entries
      sources/*.txt        the guideline's text as published (quotes are checked against it)
      synonyms.yaml        groups of words that mean the same
      contacts.yaml        IT, departments and leaders, politicians' contact, people
      settings.yaml        optional: matching thresholds (when to answer, ask back, refer)

`load_knowledge(folder)` returns a `Knowledge`; it raises `KnowledgeError` with every problem
found, each as ``file:line: message``. Deeper checks (verbatim quotes, coverage) are in
`bot.knowledge.check`.
"""

from __future__ import annotations

import os
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.model import (
    AUDIENCES,
    Contacts,
    Department,
    Document,
    Entry,
    Knowledge,
    KnowledgeError,
    Leader,
    Person,
    Section,
)


def default_folder() -> Path:
    """GUIDEBOT_KNOWLEDGE, else the knowledge packaged with the bot, else the repository's."""
    configured = os.environ.get("GUIDEBOT_KNOWLEDGE", "").strip()  # blank counts as unset
    if configured:
        return Path(configured)
    packaged = Path(str(resources.files("bot"))) / "packaged_knowledge"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "knowledge"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line (1-based) where each mapping starts."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, display: str | None = None) -> Any:
    """Parse one YAML file; a syntax error becomes a one-line ``KnowledgeError``."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KnowledgeError([f"{name}: not UTF-8 text (byte {error.start})"]) from None
    except OSError as error:
        raise KnowledgeError([f"{name}: cannot read: {error.strerror}"]) from None
    if "\x00" in text:
        raise KnowledgeError([f"{name}: binary data, not YAML"])
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        problem = (error.problem or error.context or "invalid YAML").strip()
        raise KnowledgeError([f"{name}:{line}: invalid YAML: {problem}"]) from None
    except yaml.YAMLError as error:
        raise KnowledgeError([f"{name}: invalid YAML: {error}"]) from None


class _Reader:
    """Collects problems while turning parsed YAML into dataclasses."""

    def __init__(self, display: str):
        self.display = display
        self.problems: list[str] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(f"{self.display}:{line}: {message}")

    def text(self, mapping: dict, key: str, required: bool = True, default: str = "") -> str:
        value = mapping.get(key)
        line = mapping.get("__line__", 0)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(line, f"'{key}' is missing")
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        if not isinstance(value, str):
            self.problem(line, f"'{key}' must be text")
            return default
        return " ".join(value.split())

    def texts(self, mapping: dict, key: str) -> tuple[str, ...]:
        value = mapping.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.problem(mapping.get("__line__", 0), f"'{key}' must be a list of texts")
            return ()
        return tuple(" ".join(str(v).split()) for v in value if str(v).strip())

    def day(self, mapping: dict, key: str) -> date | None:
        value = mapping.get(key)
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(mapping.get("__line__", 0), f"'{key}' must be a date like 2023-04-20")
            return None

    def mapping(self, value: Any, what: str, line: int) -> dict | None:
        if not isinstance(value, dict):
            self.problem(line, f"{what} must be a mapping (key: value)")
            return None
        return value

    def items(self, mapping: dict, key: str) -> list:
        value = mapping.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(mapping.get("__line__", 0), f"'{key}' must be a list")
            return []
        return value


def _read_document(path: Path, display: str) -> tuple[Document | None, list[str]]:
    reader = _Reader(display)
    data = reader.mapping(read_yaml(path, display), "the file", 1)
    if data is None:
        return None, reader.problems
    meta = reader.mapping(data.get("document"), "'document'", data["__line__"]) or {}
    document_id = reader.text(meta, "id")
    sections: list[Section] = []
    for raw in reader.items(data, "sections"):
        item = reader.mapping(raw, "a section", data["__line__"])
        if item is not None:
            sections.append(
                Section(reader.text(item, "number"), reader.text(item, "title"), item["__line__"])
            )
    entries: list[Entry] = []
    for raw in reader.items(data, "entries"):
        item = reader.mapping(raw, "an entry", data["__line__"])
        if item is None:
            continue
        line = item["__line__"]
        audience = reader.text(item, "audience", required=False, default="alle")
        if audience not in AUDIENCES:
            reader.problem(line, f"audience '{audience}' must be one of {', '.join(AUDIENCES)}")
        entries.append(
            Entry(
                id=reader.text(item, "id"),
                document_id=document_id,
                section=reader.text(item, "section"),
                quote=reader.text(item, "quote"),
                answer=reader.text(item, "answer"),
                audience=audience,
                questions=reader.texts(item, "questions"),
                keywords=reader.texts(item, "keywords"),
                answer_en=reader.text(item, "answer_en", required=False),
                related=reader.texts(item, "related"),
                file=display,
                line=line,
            )
        )
    document = Document(
        id=document_id,
        title=reader.text(meta, "title"),
        owner=reader.text(meta, "owner", required=False),
        adopted=reader.day(meta, "adopted"),
        revised=reader.day(meta, "revised"),
        case_number=reader.text(meta, "case_number", required=False),
        source=reader.text(meta, "source", required=False),
        doubt_entry=reader.text(meta, "doubt_entry", required=False),
        sections=sections,
        entries=entries,
        file=display,
    )
    return document, reader.problems


def _read_leader(reader: _Reader, raw: Any, line: int, what: str) -> Leader | None:
    item = reader.mapping(raw, what, line)
    if item is None:
        return None
    return Leader(
        name=reader.text(item, "name"),
        title=reader.text(item, "title", required=False),
        slack_user=reader.text(item, "slack_user", required=False),
        email=reader.text(item, "email", required=False),
    )


def _read_contacts(path: Path, display: str) -> tuple[Contacts, list[str]]:
    reader = _Reader(display)
    contacts = Contacts()
    if not path.exists():
        return contacts, []
    data = reader.mapping(read_yaml(path, display), "the file", 1)
    if data is None:
        return contacts, reader.problems
    contacts.example = data.get("example") is True
    it = reader.mapping(data.get("it", {}), "'it'", data["__line__"]) or {}
    contacts.it_name = reader.text(it, "name", required=False, default="IT-avdelingen")
    contacts.it_slack_channel = reader.text(it, "slack_channel", required=False)
    contacts.it_email = reader.text(it, "email", required=False)
    contacts.it_phone = reader.text(it, "phone", required=False)
    if data.get("politicians_contact") is not None:
        contacts.politicians_contact = _read_leader(
            reader, data["politicians_contact"], data["__line__"], "'politicians_contact'"
        )
    for raw in reader.items(data, "departments"):
        item = reader.mapping(raw, "a department", data["__line__"])
        if item is None:
            continue
        leader = _read_leader(reader, item.get("leader"), item["__line__"], "'leader'")
        department = Department(
            id=reader.text(item, "id"),
            name=reader.text(item, "name"),
            leader=leader or Leader(name=""),
            parent=reader.text(item, "parent", required=False),
        )
        if department.id in contacts.departments:
            reader.problem(item["__line__"], f"department '{department.id}' is listed twice")
        contacts.departments[department.id] = department
    for raw in reader.items(data, "people"):
        item = reader.mapping(raw, "a person", data["__line__"])
        if item is None:
            continue
        person = Person(
            name=reader.text(item, "name"),
            role=reader.text(item, "role", required=False, default="ansatt"),
            department=reader.text(item, "department", required=False),
            slack_user=reader.text(item, "slack_user", required=False),
            email=reader.text(item, "email", required=False).lower(),
        )
        if person.role not in ("ansatt", "politiker", "leder"):
            reader.problem(item["__line__"], f"role '{person.role}' must be ansatt, politiker or leder")
        if person.department and person.department not in contacts.departments:
            reader.problem(item["__line__"], f"unknown department '{person.department}'")
        if not (person.slack_user or person.email):
            reader.problem(item["__line__"], "a person needs 'slack_user' or 'email'")
        contacts.people.append(person)
    for department in contacts.departments.values():
        if department.parent and department.parent not in contacts.departments:
            reader.problems.append(
                f"{display}: department '{department.id}' has unknown parent '{department.parent}'"
            )
    return contacts, reader.problems


def _read_synonyms(path: Path, display: str) -> tuple[list[list[str]], list[str], list[str]]:
    if not path.exists():
        return [], [], []
    reader = _Reader(display)
    data = reader.mapping(read_yaml(path, display), "the file", 1)
    if data is None:
        return [], [], reader.problems
    ignored = list(reader.texts(data, "ignore"))
    groups: list[list[str]] = []
    for index, group in enumerate(reader.items(data, "groups")):
        if not isinstance(group, list) or not all(isinstance(w, str) for w in group):
            reader.problem(data["__line__"], f"group {index + 1} must be a list of words")
            continue
        groups.append(group)
    return groups, ignored, reader.problems


def _read_settings(path: Path, display: str) -> tuple[dict[str, float], list[str]]:
    from bot.matching.matcher import Thresholds  # the matcher owns the names and defaults

    if not path.exists():
        return {}, []
    reader = _Reader(display)
    data = reader.mapping(read_yaml(path, display), "the file", 1)
    if data is None:
        return {}, reader.problems
    matching = reader.mapping(data.get("matching", {}), "'matching'", data["__line__"]) or {}
    line = matching.get("__line__", data["__line__"])
    known = Thresholds.names()
    values: dict[str, float] = {}
    for name, value in matching.items():
        if name == "__line__":
            continue
        if name not in known:
            reader.problem(line, f"unknown matching setting '{name}' (known: {', '.join(known)})")
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            reader.problem(line, f"matching setting '{name}' must be a number from 0 to 1")
        else:
            values[name] = float(value)
    return values, reader.problems


def load_knowledge(folder: Path | str | None = None) -> Knowledge:
    """Load every knowledge file under `folder`; raise `KnowledgeError` listing all problems."""
    root = Path(folder) if folder is not None else default_folder()
    if not root.is_dir():
        raise KnowledgeError([f"{root}: knowledge folder not found"])

    problems: list[str] = []
    documents: list[Document] = []
    paths = sorted((root / "documents").glob("*.yaml")) + sorted((root / "documents").glob("*.yml"))
    if not paths:
        problems.append(f"{root / 'documents'}: no guideline documents (*.yaml) found")
    for path in paths:
        try:
            document, found = _read_document(path, str(path))
        except KnowledgeError as error:
            problems.extend(error.problems)
            continue
        problems.extend(found)
        if document is not None:
            documents.append(document)
    groups: list[list[str]] = []
    ignored: list[str] = []
    try:
        groups, ignored, found = _read_synonyms(root / "synonyms.yaml", str(root / "synonyms.yaml"))
        problems.extend(found)
    except KnowledgeError as error:
        problems.extend(error.problems)
    try:
        contacts, found = _read_contacts(root / "contacts.yaml", str(root / "contacts.yaml"))
        problems.extend(found)
    except KnowledgeError as error:
        contacts = Contacts()
        problems.extend(error.problems)
    matching: dict[str, float] = {}
    try:
        matching, found = _read_settings(root / "settings.yaml", str(root / "settings.yaml"))
        problems.extend(found)
    except KnowledgeError as error:
        problems.extend(error.problems)
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(root, documents, groups, contacts, ignored, matching)
