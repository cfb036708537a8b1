"""Files of the on-disk caches (embeddings, terms): written whole or not at all, the newest
builds kept, temporary files of killed writers removed, one writer at a time per store.

Both caches hold knowledge texts only (never questions) and may be shared by several guidebot
processes (a restart while the old process still runs, two workers on one folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

# A temporary file older than this was left by a writer that was killed, not one still writing.
LEFTOVER_SECONDS = 3600


def modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def build_digest(texts: Iterable[str]) -> str:
    """Names one build by all its texts in order: their lengths first, so no text can pass for
    two others joined, then the texts."""
    texts = list(texts)
    digest = hashlib.sha256(" ".join(map(str, map(len, texts))).encode())
    digest.update("".join(texts).encode())
    return digest.hexdigest()[:24]


def write_whole(path: Path, write: Callable[[IO[Any]], object], binary: bool = True) -> None:
    """Write through `write(handle)` into a temporary file beside `path`, synced, then renamed
    onto it: a reader sees the old file or the new one, never half of one. Raises OSError
    (with the temporary file removed) where it cannot be written."""
    handle = None
    try:
        with tempfile.NamedTemporaryFile(
            "wb" if binary else "w",
            dir=path.parent,
            prefix=path.name + ".",
            suffix=".tmp",
            delete=False,
            encoding=None if binary else "utf-8",
        ) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except OSError:
        if handle is not None:
            with contextlib.suppress(OSError):
                Path(handle.name).unlink(missing_ok=True)
        raise


def keep_newest(written: Path, pattern: str, keep: int) -> None:
    """After the build file `written` was written or read: keep it and the `keep - 1` most
    recently used other builds matching `pattern` in its folder, remove the rest (the one just
    written is never a candidate, whatever the clock's resolution), and remove temporary files
    that killed writers left behind."""
    others = sorted((p for p in written.parent.glob(pattern) if p != written), key=modified, reverse=True)
    for old in others[max(keep - 1, 0) :]:
        with contextlib.suppress(OSError):  # another process removed it first
            old.unlink()
    cutoff = time.time() - LEFTOVER_SECONDS
    for leftover in written.parent.glob("*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` (made if missing) while the block runs, so two
    processes never read, extend and rewrite one store at once. Without `fcntl` (Windows, where
    guidebot's own model does not run) or where the file cannot be opened, the block runs
    unlocked: each file is still written whole, but two processes adding different texts at the
    same moment could leave one's keys beside the other's vectors."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
