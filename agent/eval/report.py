"""Run summaries as a terminal table and as a self-contained HTML chart (inline CSS bars, no assets)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from itertools import groupby
from typing import Any

_COLUMNS = ("model", "style", "ok", "turns", "asked", "supplied", "elicited", "decl", "canc", "sampl", "model_s", "human_s", "server_s", "tokens")
_TIME_COLOURS = {"model": "#4e79a7", "human": "#f28e2b", "server": "#59a14f"}


def _cells(run: dict[str, Any]) -> list[str]:
    time_s, tokens = run["time_s"], run["tokens"]
    return [
        run["model"],
        run["elicitation_style"],
        "yes" if run["success"] else "NO",
        str(run["turns"]),
        str(run["questions"]),
        ",".join(run["supplied"]) or "-",
        ",".join(run["elicited"]) or "-",
        str(run["declines"]),
        str(run["cancels"]),
        str(run["sampling_calls"]),
        f"{time_s['model']:.2f}",
        f"{time_s['human']:.2f}",
        f"{time_s['server']:.2f}",
        str(tokens["total"]) if tokens and tokens["total"] else "-",
    ]


def by_scenario(runs: Iterable[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Runs grouped by scenario, in the order they ran."""
    return [(name, list(group)) for name, group in groupby(runs, key=lambda run: run["scenario"])]


def table(runs: list[dict[str, Any]]) -> str:
    """One block per scenario, its models one row each; failed expectations listed under the table."""
    rows = [(scenario, _cells(run)) for scenario, group in by_scenario(runs) for run in group]
    widths = [max(len(column), *(len(cells[i]) for _, cells in rows)) for i, column in enumerate(_COLUMNS)]
    name_width = max(len("scenario"), *(len(scenario) for scenario, _ in rows))

    def line(first: str, cells: Iterable[str]) -> str:
        return "  ".join([first.ljust(name_width), *(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))]).rstrip()

    out = [line("scenario", _COLUMNS)]
    previous = None
    for scenario, cells in rows:
        out.append(line(scenario if scenario != previous else "", cells))
        previous = scenario
    failures = [f"  {run['scenario']} / {run['model']}: {failure}" for run in runs for failure in run["failed"]]
    if failures:
        out += ["", "failed expectations:", *failures]
    return "\n".join(out)


def html_page(runs: list[dict[str, Any]]) -> str:
    """A page comparing the models side by side per scenario: time split bars and question counts."""
    longest = max([run["time_s"]["total"] for run in runs] + [0.001])
    most_questions = max([run["questions"] for run in runs] + [1])
    sections = [_section(name, group, longest, most_questions) for name, group in by_scenario(runs)]
    legend = "".join(f'<span class="key" style="background:{colour}"></span>{name} ' for name, colour in _TIME_COLOURS.items())
    passed = sum(run["success"] for run in runs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trip-agent eval</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ padding: 4px 10px; text-align: left; border-bottom: 1px solid #ddd; vertical-align: middle; }}
.bar {{ display: flex; width: 320px; height: 14px; background: #f3f3f3; }}
.bar span {{ display: block; height: 100%; }}
.q {{ display: inline-block; height: 14px; background: #b07aa1; vertical-align: middle; margin-right: 6px; }}
.key {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }}
.fail {{ color: #b00020; }} .ok {{ color: #2e7d32; }}
</style></head><body>
<h1>trip-agent eval</h1>
<p>{passed} of {len(runs)} runs met their expectations. Time split:{legend}
(bar length: seconds, on one scale for the page).</p>
{"".join(sections)}
</body></html>
"""


def _section(name: str, runs: list[dict[str, Any]], longest: float, most_questions: int) -> str:
    rows = []
    for run in runs:
        time_s = run["time_s"]
        bars = "".join(
            f'<span style="width:{100 * time_s[part] / longest:.1f}%;background:{colour}" title="{part} {time_s[part]:.3f} s"></span>'
            for part, colour in _TIME_COLOURS.items()
        )
        questions = f'<span class="q" style="width:{60 * run["questions"] / most_questions:.0f}px"></span>{run["questions"]}'
        verdict = '<span class="ok">yes</span>' if run["success"] else '<span class="fail">no</span>'
        failed = "<br>".join(html.escape(failure) for failure in run["failed"])
        cells = [
            html.escape(run["model"]),
            html.escape(run["elicitation_style"]),
            verdict,
            f'<div class="bar">{bars}</div>{time_s["total"]:.2f} s',
            questions,
            html.escape(", ".join(run["supplied"]) or "-"),
            html.escape(", ".join(run["elicited"]) or "-"),
            f'{run["declines"]} / {run["cancels"]}',
            str(run["sampling_calls"]),
            str(run["tokens"]["total"]) if run["tokens"] and run["tokens"]["total"] else "-",
            f'<span class="fail">{failed}</span>',
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = ("model", "style", "ok", "time (model / human / server)", "questions", "supplied", "elicited", "declines / cancels", "sampling", "tokens", "failed")
    return (
        f"<h2>{html.escape(name)}</h2>\n<table><tr>"
        + "".join(f"<th>{column}</th>" for column in header)
        + "</tr>\n"
        + "\n".join(rows)
        + "</table>\n"
    )
