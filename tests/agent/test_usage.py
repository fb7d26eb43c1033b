"""Usage errors of trip-agent, eval and replay: one line, each command's own fix, exit 2 (agent/usage.py)."""

import pytest

from agent.ui import cli


@pytest.mark.parametrize(
    ("argv", "exp_stderr"),
    [
        (
            ["--sampel", "deny", "--message", "hi"],
            "trip-agent: unrecognized arguments: --sampel deny (fix: did you mean --sampling? `trip-agent --help` lists every flag)\n",
        ),
        (["--bogus"], "trip-agent: unrecognized arguments: --bogus (fix: see `trip-agent --help`)\n"),
        # Only the chat command suggests a flag; eval and replay point at their --help.
        (["eval", "--modle", "x", "a.toml"], "trip-agent eval: unrecognized arguments: --modle (fix: see `trip-agent eval --help`)\n"),
        (["eval"], "trip-agent eval: the following arguments are required: SCENARIO (fix: see `trip-agent eval --help`)\n"),
        (["replay", "--sped", "2", "t.jsonl"], "trip-agent replay: unrecognized arguments: --sped t.jsonl (fix: see `trip-agent replay --help`)\n"),
        (["replay"], "trip-agent replay: the following arguments are required: TRANSCRIPT (fix: see `trip-agent replay --help`)\n"),
    ],
)
def test_each_command_reports_a_usage_error_as_one_line_with_its_own_fix_and_exits_2(capsys, argv, exp_stderr):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", exp_stderr)
