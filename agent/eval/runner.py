"""One run: a scenario against one model, on a fresh bundled trip-server with a fresh SQLite file.

The bookings a run made are counted through the server's own list_bookings tool, as any client
would see them, not by reading its database.

Imports strands, boto3 and fastmcp (through agent.app); `trip-agent eval` imports it when it runs.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastmcp import Client

from agent.app import open_session
from agent.config import AgentSettings, load_settings
from agent.errors import ConfigError, TripAgentError
from agent.eval.humans import ScenarioHuman, scenario_human
from agent.eval.scenario import Scenario
from agent.eval.summary import summarize
from agent.outcomes import ToolOutcome
from agent.server_process import BundledServer
from agent.tool_progress import UnshownProgress
from agent.transcript import Transcript

PLAYBACK_OWN = "playback"  # --model playback: each scenario's own playback file


@dataclass(frozen=True)
class RunPlan:
    """What to run: `model` is a --model SPEC, the bare word `playback`, or None for the configured one."""

    scenario: Scenario
    model: str | None
    out: Path
    elicitation_style: str | None = None  # overrides the scenario's
    config: Path | None = None  # the agent's --config FILE


class _Quiet:
    """Renderer: the run is recorded in the transcript; the terminal gets only the table."""

    def assistant_text(self, delta: str) -> None:
        pass

    def tool_call(self, name: str, input: dict[str, Any]) -> None:
        pass

    def tool_result(self, outcome: ToolOutcome) -> None:
        pass


def model_spec(scenario: Scenario, model: str | None) -> str | None:
    """The SPEC to load for this scenario: `playback` becomes `playback:<its playback file>`.

    Raises:
        ConfigError: `playback` was asked for and the scenario names no playback file.
    """
    if model != PLAYBACK_OWN:
        return model
    if scenario.playback is None:
        raise ConfigError(f"scenario {scenario.source} has no 'playback' file", hint="add playback = \"FILE\" or pass --model playback:FILE")
    return f"playback:{scenario.playback}"


def run_dir_name(plan: RunPlan, label: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")[:60] or "model"
    style = plan.elicitation_style or plan.scenario.elicitation_style
    return plan.out / plan.scenario.name / (f"{slug}-{style}" if style else slug)


async def run(plan: RunPlan) -> dict[str, Any]:
    """Run the scenario's turns and write transcript.jsonl and summary.json in the run's folder.

    A run that cannot start (bad model, server that will not start) is a failed run, not an
    exception, so one bad model does not stop the others.

    Returns:
        The summary (see summary.summarize) with scenario, model, elicitation_style, success, failed.

    Raises:
        ConfigError: The scenario's answers are malformed or its playback file is missing.
    """
    scenario = plan.scenario
    human = scenario_human(scenario.answers, scenario.policy, check=scenario.check_answers, source=str(scenario.source))
    spec = model_spec(scenario, plan.model)
    settings = load_settings(config_file=plan.config, env=os.environ, flags={"model": spec, "sampling": scenario.sampling})
    label = plan.model if plan.model == PLAYBACK_OWN else settings.model.spec
    style = plan.elicitation_style or scenario.elicitation_style
    folder = run_dir_name(plan, label)
    folder.mkdir(parents=True, exist_ok=True)
    transcript = Transcript.open(folder / "transcript.jsonl")
    tokens: dict[str, int] | None = None
    bookings = 0
    with tempfile.TemporaryDirectory(prefix="trip-eval-") as scratch:
        db = Path(scratch) / "trips.db"
        try:
            tokens, bookings = await _converse(settings, scenario, human, transcript, db, _server_config(Path(scratch), style))
        except TripAgentError as error:
            transcript.error(str(error))
        finally:
            transcript.close()
    events = [json.loads(line) for line in (folder / "transcript.jsonl").read_text(encoding="utf-8").splitlines()]
    stats = summarize(events, tokens=tokens, bookings=bookings)
    failures = scenario.expect.failures(stats) + [f"answers: {error}" for error in human.errors]
    summary = {
        "scenario": scenario.name,
        "model": label,
        "elicitation_style": style or "steps",
        "success": not failures,
        "failed": failures,
        **stats,
        "transcript": "transcript.jsonl",
        "run_dir": folder.relative_to(plan.out).as_posix(),  # where the report links to
    }
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


async def _converse(
    settings: AgentSettings, scenario: Scenario, human: ScenarioHuman, transcript: Transcript, db: Path, server_config: Path | None
) -> tuple[dict[str, int], int]:
    """Every user turn, stopping at the first failed one.

    Returns:
        The model's accumulated token usage, and how many confirmed bookings the server then holds.

    Raises:
        TripAgentError: The server cannot start, the session cannot be opened, or the bookings cannot be counted.
    """
    bundled = await BundledServer.start(db=db, config=server_config)
    session = await open_session(
        settings,
        human=human,
        review=None,
        progress=UnshownProgress(),  # the transcript records it
        transcript=transcript,
        notify=lambda text: None,  # notices repeat what the transcript and the human's errors hold
        bundled=bundled,
    )
    try:
        for text in scenario.turns:
            result = await session.run_turn(text, _Quiet())
            if not result.completed:
                break
        return dict(session.agent.event_loop_metrics.accumulated_usage), await _confirmed_bookings(bundled)
    finally:
        await session.close()


def _server_config(scratch: Path, style: str | None) -> Path | None:
    if style is None:
        return None
    path = scratch / "server.toml"
    path.write_text(f'[trip_server]\nelicitation_style = "{style}"\n', encoding="utf-8")
    return path


async def _confirmed_bookings(server: BundledServer) -> int:
    """The confirmed bookings the server lists, asked on a connection of its own (not in the transcript).

    Raises:
        TripAgentError: The server cannot be asked.
    """
    await server.revive()  # one that died mid-run still holds the run's bookings in its database
    try:
        async with Client(server.url) as client:
            result = await client.call_tool("list_bookings", {})
    except Exception as error:  # whatever the client raises, the run fails with it instead of the eval
        raise TripAgentError(f"cannot count the run's bookings: {type(error).__name__}: {error}") from error
    return sum(booking["status"] == "confirmed" for booking in result.structured_content["bookings"])
