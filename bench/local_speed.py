"""How fast the default local model answers on this machine (a benchmark, not a test).

In one fresh process: the first turn of a session (model load and the system prompt + tools prefill
included), then tool-call turns after the first (the prefix's KV cache reused), each one user
request through LocalModel.stream with the trip server's own tools, as in the REPL; then raw
llama.cpp prefill and generation speed. Prints one line per measure.

Usage: python bench/local_speed.py [TURNS]   (default 7 tool-call turns after the first)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agent.config import load_settings
from agent.models import create_model
from agent.providers import llama_compat, local
from local_tools import CASES, one_reply, server_tool_specs


async def main() -> None:
    turns = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    settings = load_settings(config_file=None, env={}, flags={"model": "local"})
    specs = await server_tool_specs()
    model = create_model(settings.model)
    requests = [case.request for case in CASES if case.tool][: turns + 1]

    started = time.perf_counter()
    tool, _ = await one_reply(model, requests[0], specs, settings.system_prompt)
    first = time.perf_counter() - started
    print(f"first turn (load + prefix prefill + {tool} call): {first:.1f} s")

    seconds = []
    for request in requests[1:]:
        started = time.perf_counter()
        await one_reply(model, request, specs, settings.system_prompt)
        seconds.append(time.perf_counter() - started)
    print(f"tool-call turn after the first: median {statistics.median(seconds):.1f} s over {len(seconds)} "
          f"(min {min(seconds):.1f}, max {max(seconds):.1f})")

    llama = local._MODELS.get(local.weights_path(settings.model.gguf)).llama
    text = " ".join(case.request for case in CASES) * 2
    tokens = llama.tokenize(text.encode(), add_bos=False, special=False)[:400]
    llama_compat.keep_tokens(llama, 0)
    started = time.perf_counter()
    llama.eval(tokens)
    prefill = len(tokens) / (time.perf_counter() - started)
    started = time.perf_counter()
    response = llama.create_completion(tokens, max_tokens=64, temperature=0.0)
    generated = response["usage"]["completion_tokens"]
    generation = generated / (time.perf_counter() - started)
    print(f"prefill: {prefill:.0f} tokens/s ({len(tokens)} tokens); generation: {generation:.1f} tokens/s ({generated} tokens)")


if __name__ == "__main__":
    asyncio.run(main())
