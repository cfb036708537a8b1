"""The knowledge's texts as the lexical index's terms, kept on disk beside the embeddings.

Analysing every phrasing, quote and answer (tokens, stems, synonyms, stop words) is most of
a warm start once the knowledge is large (about 160,000 texts at 100 times Båtsfjord's), so
the terms are kept like the embeddings are: one file per analyzer, keyed by a hash of each
text. The analyzer is named by its code (`normalise.py`), the Unicode tables of this Python
and the editors' synonyms and ignored words, so a change of any of them starts a new file and
nothing stale is read; files of other analyzers unused for `STALE_DAYS` are removed.

Only `Analyzer.terms(text)` of knowledge texts goes through here, never a question. The file
holds the texts of the last build only (it does not grow with edits). A file that is torn or
foreign is ignored and rewritten; one that cannot be written leaves the terms in memory, with
the reason in `problem`.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.matching import normalise

STALE_DAYS = 30
_KEY = re.compile(r"[0-9a-f]{24}")


def analyzer_signature(synonym_groups: Iterable[Sequence[str]], ignored_words: Iterable[str]) -> str | None:
    """Names one analyzer: the normaliser's code, this Python's Unicode tables, the synonyms and
    the ignored words. None where the normaliser's source cannot be read (a frozen build)."""
    try:
        digest = hashlib.sha256(Path(normalise.__file__).read_bytes())
    except OSError:
        return None
    digest.update(f"{unicodedata.unidata_version} {sys.version_info[:2]}".encode())
    for group in synonym_groups:
        digest.update(("\x1e" + "\x1f".join(group)).encode())
    digest.update(("\x1d" + "\x1f".join(sorted(ignored_words))).encode())
    return digest.hexdigest()[:16]


class TermCache:
    """Terms of texts by a hash of the text; `save()` writes the texts used since it was read."""

    def __init__(self, folder: Path | None, signature: str | None):
        self.path = folder / f"terms-{signature}.tsv" if folder is not None and signature else None
        self.problem = ""
        self.hits = self.misses = 0  # texts found in the file / analysed here
        self._stored = self._read()
        self._used: dict[str, tuple[str, ...]] = {}

    def _read(self) -> dict[str, tuple[str, ...]]:
        if self.path is None:
            return {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
        if text and not text.endswith("\n"):
            return {}  # cut off while written: analyse afresh rather than trust it
        terms: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            key, tab, found = line.partition("\t")
            if not tab or not _KEY.fullmatch(key):
                return {}  # foreign
            terms[key] = tuple(found.split(" ")) if found else ()
        return terms

    def terms(self, text: str, analyse: Callable[[str], list[str]]) -> tuple[str, ...]:
        """The terms of `text` as `analyse` (the index's `Analyzer.terms`) gives them."""
        key = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        found = self._stored.get(key)
        if found is not None:
            self.hits += 1
            self._used[key] = found
            return found
        found = tuple(analyse(text))
        self.misses += 1
        if all(term and term.isprintable() and " " not in term for term in found):  # fits one line
            self._used[key] = found
        return found

    def save(self) -> None:
        """Write the texts used, if any was analysed here or some stored ones are gone."""
        if self.path is None or (not self.misses and len(self._used) == len(self._stored)):
            return
        lines = "".join(f"{key}\t{' '.join(terms)}\n" for key, terms in self._used.items())
        handle = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.path.parent, suffix=".tsv.tmp", delete=False, encoding="utf-8"
            ) as handle:
                handle.write(lines)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, self.path)
        except OSError as error:
            self.problem = f"term cache not written ({self.path.parent}: {error.strerror or error})"
            if handle is not None:
                Path(handle.name).unlink(missing_ok=True)  # its folder is writable: it was made there
            return
        self._stored = dict(self._used)
        self._remove_stale()

    def _remove_stale(self) -> None:
        assert self.path is not None
        cutoff = time.time() - STALE_DAYS * 86400
        for other in self.path.parent.glob("terms-*.tsv"):
            try:
                if other != self.path and other.stat().st_mtime < cutoff:
                    other.unlink()
            except OSError:
                pass  # another process removed it, or it is not ours to remove
