"""The pieces that plug IZA into mem0 (imported only by :mod:`iza.memory._mem0`, after mem0's
environment switches are set).

mem0 builds its embedder and LLM from provider names through factories. IZA registers two
providers of its own there:

* ``iza_embedder``: wraps an IZA :class:`~iza.memory._port.Embedder` (the local MiniLM), passed in
  through the embedder config's ``model`` field (mem0's own ``langchain`` provider passes a model
  instance the same way). No network, no model download: the weights are the bundled ones.
* ``iza_no_llm``: the LLM mem0 insists on constructing. IZA always calls mem0 with
  ``infer=False`` (fact extraction is done by ``iza memory memorize`` through ``iza.llm``, which
  journals cost and respects budgets), so this LLM must never be called; if it is, it raises
  instead of pretending to answer.

mem0's config models validate provider names against fixed lists, so the configs naming these
providers are built with pydantic's ``model_construct`` (validation skipped for that one field).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from mem0.embeddings.base import EmbeddingBase  # type: ignore[import-untyped]
from mem0.llms.base import LLMBase  # type: ignore[import-untyped]
from mem0.utils.factory import EmbedderFactory, LlmFactory  # type: ignore[import-untyped]

from iza.errors import UsageError

__all__ = ["EMBEDDER_PROVIDER", "LLM_PROVIDER", "IzaEmbedding", "NoLLM", "register"]

EMBEDDER_PROVIDER = "iza_embedder"
LLM_PROVIDER = "iza_no_llm"


class IzaEmbedding(EmbeddingBase):  # type: ignore[misc]
    """mem0's embedder interface over an IZA embedder (``config.model``).

    ``primed`` holds vectors the adapter already computed in one batch for the texts it is about
    to add, so mem0's one-text-at-a-time ``embed`` calls do not re-run the model per record.
    """

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.embedder = self.config.model
        self.primed: dict[str, list[float]] = {}

    def embed(self, text: str, memory_action: str | None = None) -> list[float]:
        hit = self.primed.get(text)
        if hit is not None:
            return hit
        vec: list[float] = self.embedder.encode([text])[0].tolist()
        return vec


class NoLLM(LLMBase):  # type: ignore[misc]
    """The LLM slot mem0 requires; IZA never uses mem0's inference, so calling it is a bug."""

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)

    def generate_response(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        raise UsageError(
            "mem0 tried to call an LLM, but IZA runs mem0 with infer=False",
            fix="extract facts with `iza memory memorize` (it uses iza.llm), not mem0's inference",
        )


def register() -> None:
    """Make the two providers known to mem0's factories (idempotent), and keep mem0 from
    downloading a spaCy model at run time.

    mem0 lemmatises text and extracts entities with spaCy when spaCy is importable, and if the
    ``en_core_web_sm`` model is not installed it *downloads* it on first use. IZA never
    downloads at run time, so unless the model is already installed, mem0's loaders are marked
    as failed up front: mem0's own fallback (raw text, no entity boost) is used, silently.
    """
    EmbedderFactory.provider_to_class[EMBEDDER_PROVIDER] = f"{__name__}.IzaEmbedding"
    LlmFactory.register_provider(LLM_PROVIDER, f"{__name__}.NoLLM")
    if importlib.util.find_spec("en_core_web_sm") is None:
        from mem0.utils import spacy_models  # type: ignore[import-untyped]

        spacy_models._load_failed_full = True
        spacy_models._load_failed_lemma = True
