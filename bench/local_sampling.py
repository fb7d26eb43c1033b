"""How often the local model's answer to the trip server's sampling request is accepted (a benchmark, not a test).

The server asks for three short recommendation lines (mcp_server.flows' Sample, for Kyoto, solo,
2 nights) in English and in Japanese; the local model answers as it does for a real sampling
request (agent.sampling.ModelPerRequest, configs/local.toml), once per seed; the flow then accepts
the lines or falls back to its catalogue (too few lines, too long, not in the language asked).
Prints, per repeat penalty and language, how many seeds' answers were accepted and why the others
were not.

Usage: python bench/local_sampling.py [SEEDS] [PENALTY...]   (default 8 seeds; penalties 1.0 1.1)
"""

from __future__ import annotations

import asyncio
import collections
import sys
from pathlib import Path

from agent.config import load_settings
from agent.providers import local
from agent.sampling import ModelPerRequest, SamplingRequest, choose_model
from mcp_server.catalog import load_catalog
from mcp_server.flows.actions import Sample, SampleResult, Searched
from mcp_server.flows.plan_trip import PlanTrip
from mcp_server.pricing import price_trip

PROFILE = Path(__file__).resolve().parents[1] / "configs" / "local.toml"


async def one(language: str) -> tuple[bool, str]:
    catalog = load_catalog()
    flow = PlanTrip(catalog)
    state = flow.start({"destination": "Kyoto", "trip_type": "solo", "nights": 2, "language": language})
    search = flow.next_action(state)
    price = price_trip(catalog.resolve("Kyoto"), "solo", 2, 1, catalog.travelers_per_room)
    state = flow.apply(state, search, Searched("Q-TEST0001", "2026-12-03T00:00:00Z", price.as_dict()))
    sample = flow.next_action(state)
    assert isinstance(sample, Sample)
    settings = load_settings(config_file=PROFILE, env={}, flags={})
    request = SamplingRequest(sample.system_prompt, [{"role": "user", "text": sample.prompt}], max_tokens=sample.max_tokens)
    answer = await ModelPerRequest().answer(request, choose_model(request, settings.sampling, settings.model))
    state = flow.apply(state, sample, SampleResult(answer.text))
    tips = state.recommendations
    return tips.source == "sampling", tips.why.key if tips.why else ""


async def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    penalties = [float(value) for value in sys.argv[2:]] or [1.0, 1.1]
    for penalty in penalties:
        local._REPEAT_PENALTY = penalty
        for language in ("en", "ja"):
            accepted, reasons = 0, collections.Counter()
            for seed in range(seeds):
                local._SEED = seed
                ok, why = await one(language)
                accepted += ok
                reasons[why] += not ok
            rejected = ", ".join(f"{key} {count}" for key, count in reasons.items() if count) or "-"
            print(f"repeat penalty {penalty}  {language}: {accepted}/{seeds} accepted; fallbacks: {rejected}")


if __name__ == "__main__":
    asyncio.run(main())
