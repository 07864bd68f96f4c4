"""The NumPy MiniLM must match sentence-transformers on the same bundled weights."""

from __future__ import annotations

import numpy as np
import pytest

from iza.memory._minilm import MODEL_NAME, model_dir

TEXTS = [
    "Caroline: I went to a LGBTQ support group yesterday and it was so powerful.",
    "When did Melanie paint a sunrise?",
    "ok",
    "Ünïcödé, emoji 🎨 and punctuation!!! — mixed with numbers 1,234.56",
    "word " * 400,  # longer than the 256-token window: truncation must match
]


@pytest.fixture(scope="module")
def reference():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")  # loading from the bundled folder must not touch the network
        from sentence_transformers import SentenceTransformer

        yield SentenceTransformer(str(model_dir()), device="cpu")


def test_numpy_minilm_matches_sentence_transformers(minilm, reference):
    ours = minilm.encode(TEXTS)
    theirs = reference.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, cosines


def test_embeddings_are_unit_vectors_in_input_order(minilm):
    texts = ["a cat sat on the mat", "quarterly revenue grew", "a kitten sat on a rug"]
    vecs = minilm.encode(texts)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[2] > vecs[0] @ vecs[1]
    assert minilm.encode([]).shape == (0, 384)
    assert np.allclose(minilm.encode([texts[1]])[0], vecs[1], atol=1e-5)  # batching does not change results
    assert minilm.name == MODEL_NAME
