"""llama-cpp-python against xllamacpp on the default GGUF: load time, prefill and generation tokens/s.

A benchmark, not a test. It needs only one engine installed, so the prebuilt xllamacpp wheel can be
measured from a scratch venv without touching the project's. Both engines report llama.cpp's own
counters for the same prompt (the same GGUF, so the same ~400 tokens), the same context size and
threads; each run is a fresh prompt (no prompt cache), greedy, 64 generated tokens.

Usage: python bench/local_engines.py llama-cpp-python|xllamacpp [GGUF] [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

CONTEXT_TOKENS = 8192
GENERATED = 64
# Requests in the style of bench/local_tools.py, English and Japanese, repeated to about 400 tokens.
TEXT = " ".join(
    [
        "Plan a family trip to Hokkaido for 4 people.", "How much would a solo trip to Kyoto for 2 nights cost?",
        "I want to go to Okinawa with friends for 5 nights.", "Please cancel my booking TRV-AB12C.",
        "京都に2泊したい", "家族4人で福岡に行きたい", "北海道に二人で3泊するといくらかかりますか？", "私の予約を見せて",
    ]
    * 6
)  # fmt: skip


def default_gguf() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "trip-agent" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def llama_cpp_python(gguf: Path, runs: int) -> tuple[float, list[tuple[float, float, int]]]:
    import llama_cpp

    threads = os.cpu_count() or 1
    started = time.perf_counter()
    llama = llama_cpp.Llama(str(gguf), n_ctx=CONTEXT_TOKENS, n_threads=threads, n_threads_batch=threads, verbose=False)
    load = time.perf_counter() - started
    results = []
    for _ in range(runs):
        llama.reset()
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llama.ctx), True)
        llama_cpp.llama_perf_context_reset(llama.ctx)
        llama.create_completion(TEXT, max_tokens=GENERATED, temperature=0.0)
        perf = llama_cpp.llama_perf_context(llama.ctx)
        results.append((perf.n_p_eval / perf.t_p_eval_ms * 1000, perf.n_eval / perf.t_eval_ms * 1000, perf.n_p_eval))
    return load, results


def xllamacpp(gguf: Path, runs: int) -> tuple[float, list[tuple[float, float, int]]]:
    import xllamacpp as xlc

    threads = os.cpu_count() or 1
    params = xlc.CommonParams()
    params.model.path = str(gguf)
    params.n_ctx = CONTEXT_TOKENS
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = False  # llama-cpp-python does not warm up either
    started = time.perf_counter()
    server = xlc.Server(params)
    load = time.perf_counter() - started
    results = []
    for _ in range(runs):
        reply = server.handle_completions(
            {"prompt": TEXT, "n_predict": GENERATED, "temperature": 0.0, "cache_prompt": False, "ignore_eos": True}
        )
        timings = reply["timings"]
        results.append((timings["prompt_per_second"], timings["predicted_per_second"], timings["prompt_n"]))
    return load, results


def main() -> None:
    engine = sys.argv[1] if len(sys.argv) > 1 else "llama-cpp-python"
    gguf = Path(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else default_gguf()
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    load, results = {"llama-cpp-python": llama_cpp_python, "xllamacpp": xllamacpp}[engine](gguf, runs)
    prefill = statistics.median(r[0] for r in results)
    generation = statistics.median(r[1] for r in results)
    print(
        f"{engine}: load {load:.1f} s; prefill {prefill:.0f} tokens/s ({results[0][2]} tokens), generation "
        f"{generation:.1f} tokens/s ({GENERATED} tokens); median of {runs}, load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
