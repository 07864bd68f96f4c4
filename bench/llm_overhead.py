"""What the router adds on top of calling the SDK directly, on the same local fake upstream.

    .venv/bin/python bench/llm_overhead.py [--calls 400] [--seconds 5]

Prints, for the OpenAI SDK straight at a FakeOpenAI server on 127.0.0.1 versus ``iza.llm``
(router only, router + SQLite journal, and
router + the batched background journal):
  * per-call latency p50/p99 and the added latency (router minus direct), calls interleaved
    so drift hits both sides alike;
  * throughput (calls/s) at concurrency 1 and 32, and the router/direct ratio;
  * import time of ``iza.llm`` (fresh interpreter, median of 7) and, if installed in the
    interpreter given by --litellm-python, of ``litellm`` and its Router on the same upstream.
Numbers, not assertions: targets are p50 added ≤ 1 ms, throughput ratio ≥ 0.9, import ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store
from iza.llm import LLM
from iza.llm.fakeservers import FakeOpenAI, Reply

MODEL = "gpt-4.1-mini"
MESSAGES = [{"role": "user", "content": "Say hello in five words."}]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000.0


def throughput(fn: Callable[[], object], workers: int, seconds: float) -> float:
    deadline = time.perf_counter() + seconds
    counts = [0] * workers

    def loop(i: int) -> None:
        while time.perf_counter() < deadline:
            fn()
            counts[i] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(loop, range(workers)))
    return sum(counts) / (time.perf_counter() - start)


def import_ms(python: str, module: str, runs: int = 7) -> float | None:
    code = f"import time; t=time.perf_counter(); import {module}; print((time.perf_counter()-t)*1000)"
    out = []
    for _ in range(runs):
        p = subprocess.run([python, "-c", code], capture_output=True, text=True)
        if p.returncode != 0:
            return None
        out.append(float(p.stdout.strip().splitlines()[-1]))
    return statistics.median(out)


LITELLM = """
import json, statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
from litellm import Router
base, calls, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
r = Router(model_list=[{"model_name": "fast", "litellm_params": {"model": "openai/gpt-4.1-mini",
           "api_base": base, "api_key": "sk-bench"}}], num_retries=0)
msgs = [{"role": "user", "content": "Say hello in five words."}]
call = lambda: r.completion(model="fast", messages=msgs)
for _ in range(20): call()
lat = []
for _ in range(calls):
    t = time.perf_counter(); call(); lat.append((time.perf_counter() - t) * 1000)
def tp(workers):
    deadline = time.perf_counter() + seconds; counts = [0] * workers
    def loop(i):
        while time.perf_counter() < deadline:
            call(); counts[i] += 1
    s = time.perf_counter()
    with ThreadPoolExecutor(workers) as p: list(p.map(loop, range(workers)))
    return sum(counts) / (time.perf_counter() - s)
lat.sort()
print(json.dumps({"p50": lat[len(lat)//2], "p99": lat[int(0.99*len(lat))], "tp1": tp(1), "tp32": tp(32)}))
"""


def in_process(n: int) -> None:
    """Our own cost per call with no network at all: a FakeProvider called directly vs through LLM.

    On a loaded machine the HTTP numbers above swing by milliseconds; this isolates the router's
    and the journal's CPU cost in microseconds."""
    from iza.llm import ChatRequest, FakeProvider, Message

    with tempfile.TemporaryDirectory() as tmp:
        settings = load(Path(tmp) / "home", environ={})
        ensure_home(settings)
        store = Store.from_settings(settings)
        store.migrate()
        fake = FakeProvider(lambda m: "hello there")
        bare = LLM(settings, providers=[fake], journal=False)
        journaled = LLM(settings, providers=[fake], store=store)
        batched = LLM(settings.with_overrides(**{"llm.journal_async": True}), providers=[fake], store=store)
        request = ChatRequest((Message.user("Say hello"),))
        sides: dict[str, Callable[[], object]] = {
            "provider direct": lambda: fake.complete("m", request, 1.0),
            "iza router": lambda: bare.chat("Say hello", model="fake:m"),
            "iza router+journal": lambda: journaled.chat("Say hello", model="fake:m"),
            "iza router+async jnl": lambda: batched.chat("Say hello", model="fake:m"),
        }
        lat: dict[str, list[float]] = {k: [] for k in sides}
        names = list(sides)
        for i in range(n):
            for name in names[i % len(names):] + names[: i % len(names)]:
                lat[name].append(timed(sides[name]) * 1000.0)
        print(f"in-process, no network, {n} interleaved calls (microseconds):")
        for name, values in lat.items():
            print(f"  {name:20} p50 {pct(values, 0.5):8.1f}  p99 {pct(values, 0.99):8.1f}")
        store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--litellm-python", default="")
    args = ap.parse_args()

    import openai

    answer = Reply("hello there from the fake upstream", input_tokens=12, output_tokens=7)
    with FakeOpenAI(lambda body: answer) as server, tempfile.TemporaryDirectory() as tmp:
        env = {"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": server.sdk_base_url}
        settings = load(Path(tmp) / "home", environ=env)
        ensure_home(settings)
        store = Store.from_settings(settings)
        store.migrate()
        client = openai.OpenAI(api_key="sk-bench", base_url=server.sdk_base_url, max_retries=0)
        bare = LLM(settings, journal=False)
        journaled = LLM(settings, store=store)
        batched = LLM(settings.with_overrides(**{"llm.journal_async": True}), store=store)

        sides: dict[str, Callable[[], object]] = {
            "direct SDK": lambda: client.chat.completions.create(model=MODEL, messages=MESSAGES),  # type: ignore[arg-type]
            "iza router": lambda: bare.chat(MESSAGES, model=f"openai:{MODEL}"),
            "iza router+journal": lambda: journaled.chat(MESSAGES, model=f"openai:{MODEL}"),
            "iza router+async jnl": lambda: batched.chat(MESSAGES, model=f"openai:{MODEL}"),
        }
        for fn in sides.values():  # warm connections and caches
            for _ in range(20):
                fn()
        lat: dict[str, list[float]] = {k: [] for k in sides}
        names = list(sides)
        for i in range(args.calls):
            # rotate who goes first: a side that runs right after another pays for its leftovers
            # (a background journal flush, a checkpoint), which must not bias one column
            for name in names[i % len(names):] + names[: i % len(names)]:
                lat[name].append(timed(sides[name]))
        print(f"latency over {args.calls} interleaved calls (ms):")
        base50, base99 = pct(lat["direct SDK"], 0.5), pct(lat["direct SDK"], 0.99)
        for name, values in lat.items():
            p50, p99 = pct(values, 0.5), pct(values, 0.99)
            extra = "" if name == "direct SDK" else (
                f"   added p50 {p50 - base50:+.3f}  p99 {p99 - base99:+.3f}")
            print(f"  {name:20} p50 {p50:7.3f}  p99 {p99:7.3f}{extra}")
        for workers in (1, 32):
            rates = {name: throughput(fn, workers, args.seconds) for name, fn in sides.items()}
            direct = rates["direct SDK"]
            print(f"throughput at concurrency {workers} (calls/s):")
            for name, rate in rates.items():
                ratio = "" if name == "direct SDK" else f"   ratio {rate / direct:.3f}"
                print(f"  {name:20} {rate:8.1f}{ratio}")

        if args.litellm_python:
            p = subprocess.run([args.litellm_python, "-c", LITELLM, server.sdk_base_url, str(args.calls),
                                str(args.seconds)], capture_output=True, text=True)
            if p.returncode == 0:
                lt = json.loads(p.stdout.strip().splitlines()[-1])
                print("litellm Router on the same upstream:")
                print(f"  p50 {lt['p50']:.3f} ms (added {lt['p50'] - base50:+.3f})  p99 {lt['p99']:.3f} ms; "
                      f"calls/s c1 {lt['tp1']:.1f}  c32 {lt['tp32']:.1f}")
            else:
                print("litellm run failed:", p.stderr.strip().splitlines()[-1:] or p.stdout)
        store.dispose()

    in_process(args.calls * 5)

    print("import time, fresh interpreter, median of 7 (ms):")
    print(f"  iza.llm            {import_ms(sys.executable, 'iza.llm'):.1f}")
    print(f"  openai             {import_ms(sys.executable, 'openai'):.1f}")
    if args.litellm_python:
        ms = import_ms(args.litellm_python, "litellm", runs=3)
        print(f"  litellm            {ms:.1f}" if ms is not None else "  litellm            (not importable)")


if __name__ == "__main__":
    main()
