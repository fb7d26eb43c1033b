"""A stock 2025-11-25 client: fastmcp 3.x (mcp 1.x), run from the peers venv, not ours.

Usage: python fastmcp3_client.py URL  — books a trip through plan_trip, prints a JSON summary.
"""

import asyncio
import json
import sys

from fastmcp import Client

ANSWERS = [{"destination": "Hokkaido"}, {"trip_type": "family"}, {"nights": 2}, {"travelers": 4}, {"decision": "Book"}]


async def main(url: str) -> None:
    questions, progress, samples = [], [], []

    async def on_elicit(message, response_type, params, context):
        questions.append({"message": message, "schema": params.requestedSchema})
        return ANSWERS[len(questions) - 1]

    async def on_sample(messages, params, context):
        samples.append({"system": params.systemPrompt, "max_tokens": params.maxTokens})
        return "See the lavender.\nEat soup curry.\nRide the Otaru canal boat."

    async def on_progress(value, total, message):
        progress.append([value, total, message])

    async with Client(url, elicitation_handler=on_elicit, sampling_handler=on_sample, progress_handler=on_progress) as client:
        result = await client.call_tool("plan_trip", {})
        bookings = await client.call_tool("list_bookings", {})
    print(json.dumps({
        "protocol": "2025-11-25",
        "result": result.structured_content,
        "questions": questions,
        "progress": progress,
        "samples": samples,
        "bookings": bookings.structured_content,
    }, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
