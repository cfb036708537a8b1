"""The knowledge's texts as the lexical index's terms, kept on disk beside the embeddings.

Analysing every phrasing, quote and answer (tokens, stems, synonyms, stop words) is most of
a warm start once the knowledge is large (about 160,000 texts at 100 times Båtsfjord's), so
the terms are kept like the embeddings are: one file per analyser, keyed by a hash of each
text. The analyser is named by its code (`normalise.py`) and the editors' synonyms and
ignored words, so a change of any of them starts a new file and nothing stale is read.

Knowledge texts only, never questions. A file that cannot be read is ignored (and rewritten);
one that cannot be written leaves the terms in memory, with the reason in `problem`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.matching import normalise


def analyser_signature(synonym_groups: Iterable[Sequence[str]], ignored_words: Iterable[str]) -> str:
    """Names one analyser: the normaliser's code, the synonyms and the ignored words."""
    digest = hashlib.sha256(Path(normalise.__file__).read_bytes())
    for group in synonym_groups:
        digest.update(("\x1e" + "\x1f".join(group)).encode())
    digest.update(("\x1d" + "\x1f".join(sorted(ignored_words))).encode())
    return digest.hexdigest()[:16]


class TermCache:
    """Terms of texts by a hash of the text; `save()` writes what was added."""

    def __init__(self, folder: Path | None, signature: str):
        self.path = folder / f"terms-{signature}.tsv" if folder is not None else None
        self.problem = ""
        self.hits = self.misses = 0  # texts found in the file / analysed here
        self._unsaved = False
        self._terms = self._read()

    def _read(self) -> dict[str, tuple[str, ...]]:
        if self.path is None:
            return {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
        terms: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            key, tab, found = line.partition("\t")
            if not tab:
                return {}  # torn or foreign: analyse afresh rather than trust it
            terms[key] = tuple(found.split())
        return terms

    def terms(self, text: str, analyse: Callable[[str], list[str]]) -> tuple[str, ...]:
        key = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        found = self._terms.get(key)
        if found is None:
            found = self._terms[key] = tuple(analyse(text))
            self.misses += 1
            self._unsaved = True
        else:
            self.hits += 1
        return found

    def save(self) -> None:
        if self.path is None or not self._unsaved:
            return
        lines = "".join(f"{key}\t{' '.join(terms)}\n" for key, terms in self._terms.items())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.path.parent, suffix=".tsv", delete=False, encoding="utf-8"
            ) as handle:
                handle.write(lines)
            os.replace(handle.name, self.path)
        except OSError as error:
            self.problem = f"term cache not written ({self.path.parent}: {error.strerror or error})"
        self._unsaved = False
