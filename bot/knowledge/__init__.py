"""The knowledge base: the model (`model`), loading from YAML (`loading`), the editor's checks
(`check`, `synonyms`), reading a guideline's source text (`sourcetext`), importing new
guidelines from PDF, Word and text (`importing/`) and revised ones (`revisions`). The names
most code needs are re-exported here."""

from bot.knowledge.loading import default_folder, load_knowledge, read_yaml
from bot.knowledge.model import (
    AUDIENCES,
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
    is_numbered,
)

__all__ = [
    "AUDIENCES", "Contacts", "Department", "Document", "Entry", "Gap", "Knowledge", "KnowledgeError", "Leader",
    "Person", "Section", "SynonymGroup", "default_folder", "is_numbered", "load_knowledge", "read_yaml",
]
