"""A legacy-only server the agent has never seen: fastmcp 3.x on mcp 1.x (2025-11-25 only).

Run from the peers venv: python fastmcp3_server.py — prints `listening on URL` when ready.
It uses the 3.x idioms: ctx.elicit with str, int, an enum (list of strings) and a multi-select
(list of a list), ctx.sample, and ctx.report_progress.
"""

import asyncio

import uvicorn
from fastmcp import Context, FastMCP

mcp = FastMCP("onsen-finder")


@mcp.tool
async def find_onsen(ctx: Context) -> str:
    """Find a hot spring inn: asks a few questions, reports progress, asks the client's LLM for a tip."""
    name = await ctx.elicit("Your name?", response_type=str)
    if name.action != "accept":
        return f"Stopped at the name ({name.action})."
    nights = await ctx.elicit("How many nights?", response_type=int)
    if nights.action != "accept":
        return f"Stopped at nights ({nights.action})."
    region = await ctx.elicit("Which region?", response_type=["Hakone", "Beppu", "Kusatsu"])
    if region.action != "accept":
        return f"Stopped at the region ({region.action})."
    extras = await ctx.elicit("Any extras?", response_type=[["private bath", "kaiseki dinner", "late checkout"]])
    if extras.action != "accept":
        return f"Stopped at extras ({extras.action})."
    for step in range(1, 4):
        await ctx.report_progress(step, 3, f"Searching inns ({step}/3)")
    tip = await ctx.sample("One short tip for an onsen stay.", max_tokens=60)
    extras_text = ", ".join(extras.data) or "no extras"
    return f"{name.data}: {nights.data} nights in {region.data} with {extras_text}. Tip: {tip.text}"


class AnnouncingServer(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets)
        port = self.servers[0].sockets[0].getsockname()[1]
        print(f"listening on http://127.0.0.1:{port}/mcp", flush=True)


if __name__ == "__main__":
    config = uvicorn.Config(mcp.http_app(path="/mcp"), host="127.0.0.1", port=0, log_level="warning")
    asyncio.run(AnnouncingServer(config).serve())
