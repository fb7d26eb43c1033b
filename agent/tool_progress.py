"""Where a tool's progress notifications go: the bridge reports them, a view (agent/ui/progress.py) shows them."""

from __future__ import annotations

from typing import Protocol


class ToolProgress(Protocol):
    def update(self, tool: str, progress: float, total: float | None, message: str | None) -> None:
        """Show the tool's progress so far (total None: unknown)."""
        ...

    def done(self) -> None:
        """End the progress shown, so the next output (a form, a reply) starts on a fresh line."""
        ...


class UnshownProgress:
    """Progress nobody watches (an eval run): the transcript keeps it, nothing shows it."""

    def update(self, tool: str, progress: float, total: float | None, message: str | None) -> None:
        pass

    def done(self) -> None:
        pass
