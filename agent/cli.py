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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.usage import UsageError, UsageParser

if TYPE_CHECKING:
    from agent.config import AgentSettings
    from agent.outcomes import ToolOutcome
    from agent.transcript import Transcript

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


SUBCOMMANDS = {"eval": "agent.eval.cli", "replay": "agent.replay"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Subcommands are a first word the plain command never takes (it has no positional arguments).
    if argv[:1] and argv[0] in SUBCOMMANDS:
        import importlib

        return importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
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
    try:
        if args.message:
            return asyncio.run(run_messages(settings, args.message, args.answers, transcript))
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


class _StdoutRenderer:
    """Non-interactive output: assistant text on stdout, tool activity on stderr."""

    def assistant_text(self, delta: str) -> None:
        sys.stdout.write(delta)
        sys.stdout.flush()

    def tool_call(self, name: str, input: dict[str, Any]) -> None:
        print(f"{PROG}: calling {name}", file=sys.stderr)

    def tool_result(self, outcome: ToolOutcome) -> None:
        # The server's own account, whole: the reservation id is here even if the model never repeats it.
        print(f"{PROG}: {outcome.summary()}", file=sys.stderr)


async def run_messages(settings: AgentSettings, messages: list[str], answers: Path | None, transcript: Transcript) -> int:
    """Run each message as one turn; elicitations go to --answers, a terminal, or are cancelled.

    Returns:
        0 when every turn completed, no tool call failed or was stopped by a declined or cancelled
        question, and every elicitation was answered from the script; else 1.

    Raises:
        TripAgentError: The answers file is invalid, or the session cannot be opened.
    """
    from agent.providers.bedrock_errors import check_bedrock_credentials
    from agent.server_process import import_beside_server

    await asyncio.to_thread(check_bedrock_credentials, settings.model)
    app, bundled = await import_beside_server(settings, "agent.app")
    from agent.human import AbsentHuman, FormHuman, ScriptedHuman
    from agent.ui.forms import ElicitationForm
    from agent.ui.progress import ProgressView
    from agent.ui.review import SamplingReview

    def notify(text: str) -> None:
        print(f"{PROG}: {text}", file=sys.stderr)

    terminal = sys.stdin.isatty()
    try:
        scripted = ScriptedHuman.from_file(answers, notify=notify) if answers else None
    except BaseException:
        if bundled is not None:
            await bundled.stop()
        raise
    human = scripted or (FormHuman(ElicitationForm()) if terminal else AbsentHuman(notify))
    session = await app.open_session(
        settings,
        human=human,
        review=SamplingReview() if terminal else None,
        progress=ProgressView(sys.stderr, interactive=sys.stderr.isatty()),
        transcript=transcript,
        notify=notify,
        bundled=bundled,
    )
    if session.model_reason:
        notify(f"model {session.model_label}")
    status = 0
    try:
        for text in messages:
            result = await session.run_turn(text, _StdoutRenderer())
            if result.text and not result.text.endswith("\n"):
                sys.stdout.write("\n")
            if result.error is not None:
                notify(result.error)
                status = EXIT_RUNTIME
                break
            if not all(outcome.completed for outcome in result.outcomes):
                status = EXIT_RUNTIME
    finally:
        await session.close()
    for error in scripted.errors if scripted else []:
        notify(error)
        status = EXIT_RUNTIME
    return status


def _fail(error: Exception, status: int) -> int:
    print(f"{PROG}: {error}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
