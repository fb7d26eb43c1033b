"""Run summaries as a terminal table and as a self-contained HTML chart (inline CSS bars, no assets)."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from urllib.parse import quote

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
    """A page comparing the models side by side per scenario: time split bars and question counts.

    Each run's model links to its transcript (`run_dir/transcript`, relative to the page, which is
    written beside the run folders); its failed expectations get a full-width row under it, so no
    column grows past the window.
    """
    time_scale = _Scale.over(max([run["time_s"]["total"] for run in runs] + [0.001]), unit=" s")
    question_scale = _Scale.over(max([run["questions"] for run in runs] + [1]), unit="", whole=True)
    sections = [_section(name, group, time_scale, question_scale) for name, group in by_scenario(runs)]
    legend = " ".join(f'<span class="key" style="background:{colour}"></span>{name}' for name, colour in _TIME_COLOURS.items())
    passed = sum(run["success"] for run in runs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trip-agent eval</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ padding: 4px 10px; text-align: left; border-bottom: 1px solid #ddd; vertical-align: middle; }}
td a, tr.failures li {{ overflow-wrap: anywhere; }}
td:first-child {{ min-width: 6em; }}
th {{ vertical-align: bottom; }}
.bar {{ display: flex; width: {_TIME_BAR_PX}px; height: 14px; background: #f3f3f3; }}
.bar span {{ display: block; height: 100%; }}
.q {{ display: inline-block; height: 14px; background: #b07aa1; vertical-align: middle; margin-right: 6px; }}
.axis {{ position: relative; height: 1.4em; margin-top: 4px; border-top: 1px solid #888; font-weight: normal; font-size: 12px; color: #555; }}
.axis span {{ position: absolute; top: 0; transform: translateX(-50%); white-space: nowrap; padding-top: 3px; }}
.axis span::before {{ content: ""; position: absolute; left: 50%; top: -1px; height: 4px; border-left: 1px solid #888; }}
.key {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }}
.fail {{ color: #b00020; }} .ok {{ color: #2e7d32; }}
tr.failures td {{ padding-top: 0; }}
tr.failures ul {{ margin: 0; padding-left: 1.2em; }}
</style></head><body>
<h1>trip-agent eval</h1>
<p>{passed} of {len(runs)} runs met their expectations. Time split:{legend}.
Every bar on the page shares one scale, drawn as the axis over its column; a model links to its run's transcript.</p>
{"".join(sections)}
</body></html>
"""


_TIME_BAR_PX = 320
_QUESTION_BAR_PX = 120
_HEADER = ("model", "style", "ok", "time (model / human / server)", "questions", "supplied", "elicited", "declines / cancels", "sampling", "tokens")


@dataclass(frozen=True)
class _Scale:
    """A bar scale from 0 to a round `end`, with ticks every `step` (1, 2 or 5 times a power of ten)."""

    end: float
    step: float
    unit: str

    @classmethod
    def over(cls, largest: float, *, unit: str, whole: bool = False) -> _Scale:
        rough = largest / 4
        power = 10 ** math.floor(math.log10(rough))
        step = next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)
        if whole:
            step = max(1, round(step))
        return cls(end=step * math.ceil(largest / step - 1e-9), step=step, unit=unit)

    def percent(self, value: float) -> float:
        return 100 * value / self.end

    def axis(self, width_px: int) -> str:
        count = round(self.end / self.step)
        ticks = "".join(
            f'<span style="left:{self.percent(index * self.step):.1f}%">{index * self.step:g}{self.unit}</span>' for index in range(count + 1)
        )
        return f'<div class="axis" style="width:{width_px}px">{ticks}</div>'


def _section(name: str, runs: list[dict[str, Any]], time_scale: _Scale, question_scale: _Scale) -> str:
    header = list(_HEADER)
    header[3] += time_scale.axis(_TIME_BAR_PX)
    header[4] += question_scale.axis(_QUESTION_BAR_PX)
    rows = []
    for run in runs:
        time_s = run["time_s"]
        bars = "".join(
            f'<span style="width:{time_scale.percent(time_s[part]):.1f}%;background:{colour}" title="{part} {time_s[part]:.3f} s"></span>'
            for part, colour in _TIME_COLOURS.items()
        )
        question_px = _QUESTION_BAR_PX * question_scale.percent(run["questions"]) / 100
        transcript = quote(f"{run['run_dir']}/{run['transcript']}")
        cells = [
            f'<a href="{html.escape(transcript)}" title="the run\'s transcript">{html.escape(run["model"])}</a>',
            html.escape(run["elicitation_style"]),
            '<span class="ok">yes</span>' if run["success"] else '<span class="fail">no</span>',
            f'<div class="bar">{bars}</div>{time_s["total"]:.2f} s',
            f'<span class="q" style="width:{question_px:.0f}px"></span>{run["questions"]}',
            html.escape(", ".join(run["supplied"]) or "-"),
            html.escape(", ".join(run["elicited"]) or "-"),
            f'{run["declines"]} / {run["cancels"]}',
            str(run["sampling_calls"]),
            str(run["tokens"]["total"]) if run["tokens"] and run["tokens"]["total"] else "-",
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        if run["failed"]:
            items = "".join(f"<li>{html.escape(failure)}</li>" for failure in run["failed"])
            rows.append(f'<tr class="failures"><td></td><td colspan="{len(cells) - 1}"><ul class="fail">{items}</ul></td></tr>')
    return (
        f"<h2>{html.escape(name)}</h2>\n<table><tr>"
        + "".join(f"<th>{column}</th>" for column in header)
        + "</tr>\n"
        + "\n".join(rows)
        + "</table>\n"
    )
