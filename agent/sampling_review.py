"""Who reviews a server's sampling request under policy `ask`, and the decisions a review returns.

The terminal's review (agent/ui/review.py) is the one implementation; the Sampler only needs this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agent.sampling import SamplingRequest


@dataclass(frozen=True)
class RequestDecision:
    """approved: the request may go to the model, with this (maybe edited) system prompt and messages."""

    approved: bool
    system_prompt: str | None
    messages: list[dict]


@dataclass(frozen=True)
class ResponseDecision:
    """approved: the (maybe edited) text may go back to the server."""

    approved: bool
    text: str


class SamplingReviewer(Protocol):
    async def review_request(self, server: str, request: SamplingRequest) -> RequestDecision:
        """Show the whole request and return the human's decision, edits applied; never raises."""
        ...

    async def review_response(self, server: str, text: str, model: str) -> ResponseDecision:
        """Show the model's answer before it goes to the server; never raises."""
        ...
