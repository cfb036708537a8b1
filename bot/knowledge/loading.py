"""The knowledge base: guideline documents, their sections and entries, synonyms and contacts.

Everything lives as YAML under one folder (``knowledge/`` in the repository, packaged with the
bot). Loading is strict about shape and names the file and line of every problem, so that the
people who edit the files (IT and communication staff) can find and fix it:

    knowledge/
      documents/*.yaml     one guideline each: metadata, sections, entries, and `gaps`:
                           topics people ask about that the guideline does not cover
      sources/*.txt        the guideline's text as published (quotes are checked against it)
      synonyms.yaml        groups of words that mean the same
      contacts.yaml        IT, departments and leaders, politicians' contact, people
      settings.yaml        optional: matching thresholds (when to answer, ask back, refer)

`load_knowledge(folder)` returns a `Knowledge`; it raises `KnowledgeError` with every problem
found, each as ``file:line: message`` in Norwegian: YAML slips said plainly, a key given twice
in one mapping, departments whose `parent`s go in a ring, and (unless ``verify=False``) the
errors of `bot.knowledge.check` such as a quote not verbatim in the current source. So the bot
never starts on knowledge it could answer wrongly from. `default_folder()` is the folder rule
(``--knowledge``, then $GUIDEBOT_KNOWLEDGE, then ./knowledge, then the packaged copy).
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
    REVIEW_MARKS,
    Contacts,
    Department,
    Document,
    Entry,
    Gap,
    Knowledge,
    KnowledgeError,
    Leader,
    Person,
    Section,
    SynonymGroup,
)

FOLDER_VARIABLE = "GUIDEBOT_KNOWLEDGE"


def default_folder() -> Path:
    """Where guidebot reads its knowledge when no --knowledge is given, first match wins:

    1. $GUIDEBOT_KNOWLEDGE;
    2. a folder ``knowledge/`` in the working directory that has ``documents/`` in it, so an
       editor who runs guidebot where she edits sees her edits without reinstalling;
    3. the knowledge packaged with the bot (``pip install``), else the repository's own.
    """
    configured = os.environ.get(FOLDER_VARIABLE, "").strip()  # blank counts as unset
    if configured:
        return Path(configured)
    local = Path.cwd() / "knowledge"
    if (local / "documents").is_dir():
        return local
    packaged = Path(str(resources.files("bot"))) / "packaged_knowledge"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "knowledge"


def folder_origin(folder: Path | str | None) -> str:
    """Why this folder is used, in the words `guidebot check` and the start-up line show."""
    if folder is not None:
        return "valgt med --knowledge"
    if os.environ.get(FOLDER_VARIABLE):
        return f"fra {FOLDER_VARIABLE}"
    chosen = default_folder()
    if chosen == Path.cwd() / "knowledge":
        return "mappen knowledge/ der du står"
    if is_packaged(chosen):
        return "kopien som ble installert med guidebot; endringer i en annen mappe synes ikke her"
    return "guidebots egen mappe knowledge/"


def is_packaged(folder: Path) -> bool:
    """The copy installed inside the bot (never edited: edits there vanish on the next install)."""
    return folder.name == "packaged_knowledge"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line (1-based) where each mapping starts and every key
    that is given twice in one mapping (PyYAML would silently keep the last)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key is not None and key in seen:
            loader.duplicate_keys.append((key_node.start_mark.line + 1, key))
        seen.add(key)
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# PyYAML's own words for the common slips, said the way an editor can act on them.
_YAML_PROBLEMS = (
    ("found character '\\t'", "tabulator brukt som innrykk; bruk mellomrom"),
    ("mapping values are not allowed", "et kolon (:) der det ikke kan stå; sett teksten i anførselstegn"),
    ("could not find expected ':'", "mangler kolon (:) etter et feltnavn, eller innrykket er feil"),
    ("expected ',' or ']'", "en liste i [ ] er ikke lukket med ]"),
    ("expected ',' or '}'", "en { } er ikke lukket med }"),
    ("found unexpected end of stream", "et anførselstegn er ikke lukket"),
    ("expected <block end>", "innrykket stemmer ikke med linjene over"),
    ("did not find expected '-' indicator", "innrykket i en liste stemmer ikke med linjene over"),
    ("did not find expected key", "innrykket stemmer ikke med linjene over"),
    ("found undefined alias", "en * (stjerne) først i en verdi; sett teksten i anførselstegn"),
    ("found character '@'", "en verdi kan ikke begynne med @ eller `; sett teksten i anførselstegn"),
    ("found character '`'", "en verdi kan ikke begynne med @ eller `; sett teksten i anførselstegn"),
)


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    said = f"{error.context or ''} {error.problem or ''}"
    for words, meaning in _YAML_PROBLEMS:
        if words in said:
            return meaning
    return "filen kan ikke leses her (sjekk innrykk, kolon og anførselstegn)"


def read_yaml(path: Path, display: str | None = None) -> Any:
    """Parse one YAML file; a syntax error or a key given twice becomes a one-line ``KnowledgeError``."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KnowledgeError([f"{name}: ikke UTF-8-tekst (byte {error.start}); lagre filen som UTF-8"]) from None
    except OSError as error:
        raise KnowledgeError([f"{name}: kan ikke leses: {error.strerror}"]) from None
    if "\x00" in text:
        raise KnowledgeError([f"{name}: ikke en tekstfil (binære data)"])
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        raise KnowledgeError([f"{name}:{line}: ugyldig oppsett: {_yaml_problem(error)}"]) from None
    except yaml.YAMLError:
        raise KnowledgeError([f"{name}: ugyldig oppsett (sjekk innrykk, kolon og anførselstegn)"]) from None
    finally:
        loader.dispose()
    if loader.duplicate_keys:
        raise KnowledgeError(
            [f"{name}:{line}: '{key}' står to ganger i samme oppføring; slett den ene"
             for line, key in loader.duplicate_keys]
        )
    return data


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
                self.problem(line, f"'{key}' mangler")
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        if not isinstance(value, str):
            self.problem(line, f"'{key}' må være tekst")
            return default
        return " ".join(value.split())

    def texts(self, mapping: dict, key: str) -> tuple[str, ...]:
        value = mapping.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.problem(mapping.get("__line__", 0), f"'{key}' må være en liste med tekster")
            return ()
        return tuple(" ".join(str(v).split()) for v in value if str(v).strip())

    def day(self, mapping: dict, key: str) -> date | None:
        value = mapping.get(key)
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(mapping.get("__line__", 0), f"'{key}' må være en dato som 2023-04-20")
            return None

    def mapping(self, value: Any, what: str, line: int) -> dict | None:
        if not isinstance(value, dict):
            self.problem(line, f"{what} må ha felt på formen navn: verdi")
            return None
        return value

    def items(self, mapping: dict, key: str) -> list:
        value = mapping.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(mapping.get("__line__", 0), f"'{key}' må være en liste")
            return []
        return value


def _read_document(path: Path, display: str) -> tuple[Document | None, list[str]]:
    reader = _Reader(display)
    data = reader.mapping(read_yaml(path, display), "filen", 1)
    if data is None:
        return None, reader.problems
    meta = reader.mapping(data.get("document"), "'document'", data["__line__"]) or {}
    document_id = reader.text(meta, "id")
    sections: list[Section] = []
    for raw in reader.items(data, "sections"):
        item = reader.mapping(raw, "et punkt", data["__line__"])
        if item is not None:
            sections.append(
                Section(reader.text(item, "number"), reader.text(item, "title"), item["__line__"])
            )
    entries: list[Entry] = []
    for raw in reader.items(data, "entries"):
        item = reader.mapping(raw, "en oppføring", data["__line__"])
        if item is None:
            continue
        line = item["__line__"]
        audience = reader.text(item, "audience", required=False, default="alle")
        if audience not in AUDIENCES:
            reader.problem(line, f"audience '{audience}' må være en av {', '.join(AUDIENCES)}")
        review = reader.text(item, "review", required=False)
        if review and review not in REVIEW_MARKS:
            reader.problem(line, f"review '{review}' må være en av {', '.join(REVIEW_MARKS)}")
        quote = reader.text(item, "quote")
        entries.append(
            Entry(
                id=reader.text(item, "id"),
                document_id=document_id,
                section=reader.text(item, "section"),
                quote=quote,
                # An imported entry answers with its quote until an editor writes a plainer answer.
                answer=reader.text(item, "answer", required=False) or quote,
                audience=audience,
                questions=reader.texts(item, "questions"),
                keywords=reader.texts(item, "keywords"),
                answer_en=reader.text(item, "answer_en", required=False),
                related=reader.texts(item, "related"),
                file=display,
                line=line,
                review=review,
                proposed_quote=reader.text(item, "proposed_quote", required=False),
            )
        )
    gaps: list[Gap] = []
    for raw in reader.items(data, "gaps"):
        item = reader.mapping(raw, "et tema", data["__line__"])
        if item is None:
            continue
        questions = reader.texts(item, "questions")
        if not questions:
            reader.problem(item["__line__"], "et tema under 'gaps' trenger minst ett spørsmål under 'questions'")
        gaps.append(
            Gap(
                id=reader.text(item, "id"),
                document_id=document_id,
                topic=reader.text(item, "topic"),
                topic_en=reader.text(item, "topic_en", required=False),
                questions=questions,
                file=display,
                line=item["__line__"],
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
        entries=[e for e in entries if not e.waits_for_review],
        file=display,
        held=[e for e in entries if e.waits_for_review],
        gaps=gaps,
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
    data = reader.mapping(read_yaml(path, display), "filen", 1)
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
        item = reader.mapping(raw, "en avdeling", data["__line__"])
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
            reader.problem(item["__line__"], f"avdelingen '{department.id}' står to ganger")
        contacts.departments[department.id] = department
    for raw in reader.items(data, "people"):
        item = reader.mapping(raw, "en person", data["__line__"])
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
            reader.problem(item["__line__"], f"role '{person.role}' må være ansatt, politiker eller leder")
        if person.department and person.department not in contacts.departments:
            reader.problem(item["__line__"], f"ukjent avdeling '{person.department}'")
        if not (person.slack_user or person.email):
            reader.problem(item["__line__"], "en person må ha 'slack_user' eller 'email'")
        contacts.people.append(person)
    for department in contacts.departments.values():
        if department.parent and department.parent not in contacts.departments:
            reader.problems.append(
                f"{display}: avdelingen '{department.id}' har ukjent parent '{department.parent}'"
            )
    reader.problems.extend(_department_cycles(contacts, display))
    return contacts, reader.problems


def _department_cycles(contacts: Contacts, display: str) -> list[str]:
    """A chain of `parent`s that comes back to where it started would refer a leader to her own
    subordinate; each cycle is named once."""
    problems: list[str] = []
    reported: set[str] = set()
    for start in contacts.departments:
        chain: list[str] = []
        current = start
        while current in contacts.departments and current not in chain:
            chain.append(current)
            current = contacts.departments[current].parent
        if current == start and start not in reported:
            reported.update(chain)
            path = " → ".join([*chain, start])
            problems.append(f"{display}: avdelingene går i ring via 'parent': {path}; rett opp 'parent'")
    return problems


def _read_synonyms(path: Path, display: str) -> tuple[list[SynonymGroup], list[str], list[str]]:
    """Groups are a list of words (for every document) or ``{document: ID, words: [...]}``."""
    if not path.exists():
        return [], [], []
    reader = _Reader(display)
    data = reader.mapping(read_yaml(path, display), "filen", 1)
    if data is None:
        return [], [], reader.problems
    ignored = list(reader.texts(data, "ignore"))
    groups: list[SynonymGroup] = []
    rows = path.read_text(encoding="utf-8").splitlines()
    row = 0
    for index, group in enumerate(reader.items(data, "groups")):
        document, line = "", data["__line__"]
        if isinstance(group, dict):
            document, line = reader.text(group, "document"), group["__line__"]
            group = group.get("words")
        elif isinstance(group, list) and group:
            # A group written as a flow list has no line of its own in PyYAML: find it in the text.
            found = next(
                (i for i in range(row, len(rows)) if rows[i].lstrip().startswith("- [") and str(group[0]) in rows[i]),
                None,
            )
            if found is not None:
                row, line = found + 1, found + 1
        if not isinstance(group, list) or not all(isinstance(w, str) for w in group) or not group:
            reader.problem(line, f"gruppe {index + 1} må være en liste med ord")
            continue
        groups.append(SynonymGroup(tuple(group), document, line))
    return groups, ignored, reader.problems


def _read_settings(path: Path, display: str) -> tuple[dict[str, float], list[str]]:
    from bot.matching.matcher import Thresholds  # the matcher owns the names and defaults

    if not path.exists():
        return {}, []
    reader = _Reader(display)
    data = reader.mapping(read_yaml(path, display), "filen", 1)
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
            reader.problem(line, f"ukjent innstilling '{name}' (kjente: {', '.join(known)})")
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            reader.problem(line, f"innstillingen '{name}' må være et tall fra 0 til 1")
        else:
            values[name] = float(value)
    return values, reader.problems


def load_knowledge(folder: Path | str | None = None, verify: bool = True) -> Knowledge:
    """Load every knowledge file under `folder`; raise `KnowledgeError` listing all problems.

    With `verify` (the default, what the bot uses) the errors `guidebot check` finds are
    problems too: a quote not in the current source, a duplicate id, an unknown section. So the
    bot refuses to start on knowledge it could answer wrongly from, naming file, line and entry.
    """
    root = Path(folder) if folder is not None else default_folder()
    if not root.is_dir():
        raise KnowledgeError([f"{root}: finner ikke kunnskapsmappen"])

    problems: list[str] = []
    documents: list[Document] = []
    paths = sorted((root / "documents").glob("*.yaml")) + sorted((root / "documents").glob("*.yml"))
    if not paths:
        problems.append(f"{root / 'documents'}: ingen retningslinjer (*.yaml) her")
    for path in paths:
        try:
            document, found = _read_document(path, str(path))
        except KnowledgeError as error:
            problems.extend(error.problems)
            continue
        problems.extend(found)
        if document is not None:
            documents.append(document)
    groups: list[SynonymGroup] = []
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
    knowledge = Knowledge(
        root, documents, [list(g.words) for g in groups], contacts, ignored, matching, synonyms=groups
    )
    if verify:
        from bot.knowledge.check import errors_in  # check builds on loading

        errors = errors_in(knowledge)
        if errors:
            raise KnowledgeError(errors)
    return knowledge
