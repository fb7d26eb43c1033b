"""`trip-agent eval SCENARIO... [--model SPEC]... [--out DIR] [--elicitation-style steps|form] [--config FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.errors import ConfigError, TripAgentError
from agent.eval.scenario import STYLES, Scenario, load_scenario
from agent.usage import UsageError, UsageParser

PROG = "trip-agent eval"
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog=PROG, description="Run scenario files against models and compare the experience.")
    parser.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO", help="scenario files (TOML or JSON)")
    parser.add_argument(
        "--model",
        action="append",
        metavar="SPEC",
        help="a --model SPEC, or `playback` for each scenario's own playback file (repeatable; default: the configured model)",
    )
    parser.add_argument("--out", type=Path, default=Path("eval-out"), metavar="DIR", help="where runs are written (default: eval-out/)")
    parser.add_argument("--elicitation-style", choices=STYLES, help="the server's question style for every run (default: each scenario's)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="the agent's TOML settings (over configs/default.toml)")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run the scenarios, print the table, write summary.json and report.html in --out.

    Returns:
        0 when every run met its expectations, 1 when one did not, 2 for a usage or scenario error.
    """
    try:
        args = build_parser().parse_args(argv)
        scenarios = [load_scenario(path) for path in args.scenarios]
    except (UsageError, ConfigError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.ERROR, format=f"{PROG}: %(name)s: %(message)s")
    try:
        runs = asyncio.run(_run_all(scenarios, args.model or [None], args))
    except TripAgentError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    from agent.eval.report import html_page, table

    print(table(runs))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(runs, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (args.out / "report.html").write_text(html_page(runs), encoding="utf-8")
    print(f"\nruns, summary.json and report.html in {args.out}/")
    return 0 if all(run["success"] for run in runs) else EXIT_FAILED


async def _run_all(scenarios: list[Scenario], models: list[str | None], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every scenario against every model, one after the other (runs must not share a CPU's time).

    Raises:
        TripAgentError: A model spec is invalid or a scenario cannot be prepared.
    """
    from agent.eval.runner import RunPlan, run

    runs = []
    for scenario in scenarios:
        for model in models:
            plan = RunPlan(scenario, model, args.out, elicitation_style=args.elicitation_style, config=args.config)
            runs.append(await run(plan))
            print(f"{PROG}: {scenario.name} / {runs[-1]['model']}: {'ok' if runs[-1]['success'] else 'FAILED'}", file=sys.stderr)
    return runs
