"""The baseline: a bare fastmcp server asking the same questions with no validation, store or logging.

Run: python bench/bare_server.py — prints `listening on URL` when ready.
"""

import asyncio
import json

import mcp_types
import uvicorn
from fastmcp import Context, FastMCP
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcp_server.catalog import load_catalog
from mcp_server.flows.plan_trip import PlanTrip

mcp = FastMCP("bare")
# The very same questions (message and schema) our flow asks, precomputed once.
_flow = PlanTrip(load_catalog())
_state = _flow.start({})
QUESTIONS = []
for field, value in [("destination", "Okinawa"), ("trip_type", "friends"), ("nights", 3), ("travelers", 3)]:
    action = _flow.next_action(_state)
    QUESTIONS.append((action.key, action.message, action.schema))
    _state.values[field] = value
QUESTIONS.append(("confirm", "Book this trip? Choose Book or Cancel.", {
    "type": "object", "properties": {"decision": {"type": "string", "enum": ["Book", "Cancel"]}}, "required": ["decision"]}))
SAMPLE = mcp_types.CreateMessageRequestParams(
    messages=[mcp_types.SamplingMessage(role="user", content=mcp_types.TextContent(type="text", text="three tips"))],
    max_tokens=300,
)


@mcp.tool
async def plan_trip(ctx: Context) -> str:
    rc = ctx.request_context
    if rc.protocol_version in MODERN_PROTOCOL_VERSIONS:
        step = json.loads(ctx.request_state or "0")
        if step == 4:  # after the four trip questions: search progress, then sampling
            for i in range(1, 6):
                await ctx.report_progress(i, 5, "step")
            request = mcp_types.CreateMessageRequest(params=SAMPLE)
            return mcp_types.InputRequiredResult(input_requests={"sample": request}, request_state="5")
        if step < len(QUESTIONS) + 1:
            key, message, schema = QUESTIONS[step if step < 4 else 4]
            request = mcp_types.ElicitRequest(params=mcp_types.ElicitRequestFormParams(message=message, requested_schema=schema))
            return mcp_types.InputRequiredResult(input_requests={key: request}, request_state=json.dumps(step + 1))
        return "booked"
    for key, message, schema in QUESTIONS[:4]:
        await ctx.session.elicit(message=message, requested_schema=schema, related_request_id=ctx.request_id)
    for i in range(1, 6):
        await ctx.report_progress(i, 5, "step")
    await ctx.session.create_message(SAMPLE.messages, max_tokens=300, related_request_id=ctx.request_id)
    key, message, schema = QUESTIONS[4]
    await ctx.session.elicit(message=message, requested_schema=schema, related_request_id=ctx.request_id)
    return "booked"


class AnnouncingServer(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets)
        port = self.servers[0].sockets[0].getsockname()[1]
        print(f"listening on http://127.0.0.1:{port}/mcp", flush=True)


if __name__ == "__main__":
    config = uvicorn.Config(mcp.http_app(path="/mcp"), host="127.0.0.1", port=0, log_level="warning")
    asyncio.run(AnnouncingServer(config).serve())
