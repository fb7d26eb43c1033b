"""trip-agent: chat with the travel planner, interactively or with --message turns.

Only argparse and the standard library load at import time; the rest is imported when needed,
so the interactive prompt can appear before strands, boto3 and fastmcp have finished loading.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from agent.usage import UsageError, UsageParser

PROG = "trip-agent"
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog=PROG,
        suggest_flags=True,
        description="A travel-planning assistant for domestic trips in Japan.",
        epilog=f"Also: `{PROG} eval SCENARIO...` runs scenario files; `{PROG} replay TRANSCRIPT` re-renders a transcript.",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML settings (over configs/default.toml)")
    parser.add_argument("--model", metavar="SPEC", help="bedrock:ID, anthropic:ID, openai:ID, ollama:ID, local, playback:FILE")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", metavar="URL", help="an MCP server (Streamable HTTP); default: start the bundled one")
    where.add_argument("--agentcore-arn", metavar="ARN", help="a trip-server on AgentCore Runtime (token: $BEARER_TOKEN)")
    parser.add_argument("--region", metavar="REGION", help="the AgentCore runtime's region (default: the ARN's)")
    parser.add_argument(
        "--mcp-config",
        type=Path,
        metavar="FILE",
        help='MCP servers as JSON: {"mcpServers": {NAME: {"command", "args", "env"} | {"url", "headers"}}} (or VS Code\'s "servers")',
    )
    parser.add_argument(
        "--message", action="append", metavar="TEXT", help="run non-interactively; each is one user turn (repeatable)"
    )
    parser.add_argument("--answers", type=Path, metavar="FILE", help="JSON list answering elicitations in order")
    parser.add_argument("--transcript", type=Path, metavar="FILE", help="write every event as JSON Lines")
    parser.add_argument("--sampling", choices=("auto", "ask", "deny"), help="how server sampling requests are approved")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and cross-check the flags.

    Raises:
        UsageError: A flag is unknown, malformed, or used without the flag it needs.
    """
    args = build_parser().parse_args(argv)
    if args.region and not args.agentcore_arn:
        raise UsageError("--region applies only with --agentcore-arn", "add --agentcore-arn ARN or drop --region")
    if args.answers and not args.message:
        raise UsageError("--answers needs --message", "add --message TEXT, or answer the forms interactively")
    return args


def _eval(argv: list[str]) -> int:
    from agent.eval.cli import main as eval_main

    return eval_main(argv)


def _replay(argv: list[str]) -> int:
    from agent.replay import main as replay_main

    return replay_main(argv)


# Imported when run: `trip-agent` alone must not wait for what only a subcommand uses.
SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {"eval": _eval, "replay": _replay}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Subcommands are a first word the plain command never takes (it has no positional arguments).
    if argv[:1] and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    try:
        args = parse_args(argv)
    except UsageError as error:
        return _fail(error, EXIT_USAGE)
    # Problems reach the user as notices and error lines; log records would repeat them.
    logging.basicConfig(level=logging.ERROR, format=f"{PROG}: %(name)s: %(message)s")
    # Imported here, not at the top: the settings module brings in the model error types.
    from agent.config import load_settings
    from agent.errors import ConfigError, TripAgentError
    from agent.transcript import Transcript

    flags = {
        "model": args.model,
        "server": args.server,
        "agentcore_arn": args.agentcore_arn,
        "region": args.region,
        "sampling": args.sampling,
        "transcript": args.transcript,
    }
    try:
        settings = load_settings(config_file=args.config, env=os.environ, flags=flags, mcp_config=args.mcp_config)
        transcript = Transcript.open(settings.transcript) if settings.transcript else Transcript.disabled()
    except ConfigError as error:
        return _fail(error, EXIT_USAGE)
    except OSError as error:
        return _fail(UsageError(f"cannot write the transcript: {error}", "check the --transcript path"), EXIT_USAGE)
    # The entry point hands the terminal to agent/ui (the one module allowed to: tests/agent/test_layering.py).
    try:
        if args.message:
            from agent.ui.message_turns import run_messages

            succeeded = asyncio.run(run_messages(settings, args.message, args.answers, transcript, say=_say))
            return 0 if succeeded else EXIT_RUNTIME
        from agent.ui.repl import Repl

        return asyncio.run(Repl(settings, transcript).run())
    except ConfigError as error:
        return _fail(error, EXIT_USAGE)
    except TripAgentError as error:
        return _fail(error, EXIT_RUNTIME)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        transcript.close()


def _say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr)


def _fail(error: Exception, status: int) -> int:
    _say(str(error))
    return status


if __name__ == "__main__":
    sys.exit(main())
