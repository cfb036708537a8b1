"""The knowledge's texts as the lexical index's terms, kept on disk beside the embeddings.

Analysing every phrasing, quote and answer (tokens, stems, synonyms, stop words) is most of
a warm start once the knowledge is large (about 160,000 texts at 100 times Båtsfjord's), so
the terms are kept like the embeddings are: one file per analyzer, keyed by a hash of each
text. The analyzer is named by its code (`normalise.py`), the Unicode tables of this Python
and the editors' synonyms and ignored words, so a change of any of them starts a new file and
nothing stale is read; files of other analyzers unused for `STALE_DAYS` are removed.

Only `Analyzer.terms(text)` of knowledge texts goes through here, never a question. The file
holds the texts of the last build only (it does not grow with edits). Beside it, each of the
last `KEEP_BUILDS` builds keeps its texts' terms in order, one line per text, in a file named by
a hash of all its texts in order: a warm start with unchanged knowledge reads that file and
hashes no single text. A file that is torn or foreign is ignored and rewritten; one that cannot
be written leaves the terms in memory, with the reason in `problem`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.matching import normalise
from bot.matching.cachefiles import build_digest, keep_newest, write_whole

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

    KEEP_BUILDS = 2

    def __init__(self, folder: Path | None, signature: str | None):
        self.path = folder / f"terms-{signature}.tsv" if folder is not None and signature else None
        self.problem = ""
        self.hits = self.misses = 0  # texts found in the files / analysed here
        self._loaded: dict[str, tuple[str, ...]] | None = None  # the per-text file, read when needed
        self._used: dict[str, tuple[str, ...]] = {}
        self._build: tuple[Path, list[tuple[str, ...]]] | None = None  # to write at `save()`

    @property
    def _stored(self) -> dict[str, tuple[str, ...]]:
        if self._loaded is None:
            self._loaded = self._read()
        return self._loaded

    def build_path(self, texts: Sequence[str]) -> Path | None:
        """The file of a build of these texts, in this order."""
        if self.path is None:
            return None
        return self.path.with_name(f"{self.path.stem}-build-{build_digest(texts)}.txt")

    def terms_of_texts(self, texts: Sequence[str], analyse: Callable[[str], list[str]]) -> list[tuple[str, ...]]:
        """The terms of each text, in order: the build's file if these texts were built last,
        else text by text (`terms`)."""
        build = self.build_path(texts)
        found = self._read_build(build, len(texts)) if build is not None else None
        if found is not None:
            self.hits += len(texts)
            return found
        known: dict[str, tuple[str, ...]] = {}
        for text in texts:
            if text not in known:
                known[text] = self.terms(text, analyse)
        found = [known[text] for text in texts]
        if build is not None and all(_fits(terms) for terms in known.values()):
            self._build = (build, found)
        return found

    def _read_build(self, path: Path, count: int) -> list[tuple[str, ...]] | None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        lines = text.split("\n")
        if lines.pop() != "" or len(lines) != count:
            return None  # cut off while written, or foreign
        for used in (path, self.path):  # recently used: kept (the per-text file serves the next edit)
            with contextlib.suppress(OSError):
                os.utime(used)
        return [tuple(line.split(" ")) if line else () for line in lines]

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
        if _fits(found):
            self._used[key] = found
        return found

    def save(self) -> None:
        """Write the texts used, if any was analysed here or some stored ones are gone, and the
        build's terms in order if they were not read from its file."""
        if self.path is None:
            return
        wrote = False
        if self._loaded is not None and (self.misses or len(self._used) != len(self._loaded)):  # read: not a build's
            lines = "".join(f"{key}\t{' '.join(terms)}\n" for key, terms in self._used.items())
            if not self._write(self.path, lines):
                return
            self._loaded, wrote = dict(self._used), True
        if self._build is not None:
            path, found = self._build
            if not self._write(path, "".join(" ".join(terms) + "\n" for terms in found)):
                return
            self._build = None
            keep_newest(path, f"{self.path.stem}-build-*.txt", self.KEEP_BUILDS)
            wrote = True
        if wrote:
            self._remove_stale()

    def _write(self, path: Path, lines: str) -> bool:
        """Write `lines` to `path` whole or not at all; False (and `problem`) where it cannot."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_whole(path, lambda handle: handle.write(lines), binary=False)
        except OSError as error:
            self.problem = f"term cache not written ({path.parent}: {error.strerror or error})"
            return False
        return True

    def _remove_stale(self) -> None:
        assert self.path is not None
        cutoff = time.time() - STALE_DAYS * 86400
        for other in [*self.path.parent.glob("terms-*.tsv"), *self.path.parent.glob("terms-*-build-*.txt")]:
            try:
                if not other.name.startswith(self.path.stem) and other.stat().st_mtime < cutoff:
                    other.unlink()
            except OSError:
                pass  # another process removed it, or it is not ours to remove


def _fits(terms: tuple[str, ...]) -> bool:
    """Whether the terms can be kept on one line of a file."""
    return all(term and term.isprintable() and " " not in term for term in terms)

