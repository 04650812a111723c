"""
Report the results: a table on stdout, JSON, and a plot.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from typing import Any, TextIO

import twisted

from twisted_fast import _compat
from twisted_fast.bench._registry import FAST, INSTALL_HINT, TWISTED
from twisted_fast.bench._runner import (
    ParamResult,
    TargetResult,
    WorkloadResult,
    formatValue,
)


def environment() -> dict[str, Any]:
    """
    @return: what the numbers depend on, for the header and the JSON.
    """
    import twisted_fast

    speedups = _compat.speedups
    liveCounts = getattr(speedups, "_live_counts", None)
    return {
        "twisted_fast": twisted_fast.__version__,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "twisted": twisted.__version__,
        "accelerated": _compat.ACCELERATED,
        "speedups": getattr(speedups, "__file__", None),
        # A debug build (make debug: -O0, assertions) left in place.
        "debugBuild": liveCounts is not None and liveCounts() is not None,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def header(
    env: dict[str, Any], rounds: int, roundTime: float, targets: bool = False
) -> str:
    """
    @param targets: whether the table shows the targets.
    @return: the lines printed above the table.
    """
    lines = [
        f"twisted-fast benchmark: Python {env['python']} ({env['implementation']}),"
        f" Twisted {env['twisted']}, {env['platform']}, {env['cpus']} CPUs",
    ]
    if env["accelerated"] and env.get("debugBuild"):
        lines.append(
            f"C extension IN USE, a DEBUG build (-O0, assertions): {env['speedups']}"
            " -- its times are not twisted-fast's; rebuild without"
            " TWISTED_FAST_DEBUG (make build) to measure."
        )
    elif env["accelerated"]:
        lines.append(f"C extension IN USE: {env['speedups']}")
    else:
        lines.append(
            f"C extension NOT IN USE (twisted_fast.ACCELERATED is False): the"
            f" '{FAST.label}' column runs Twisted's own Clock and reactor, so"
            " ratios are ~x1"
            + (" and targets MISS." if targets else ".")
        )
    lines.append(
        f"{rounds} interleaved round{'s' if rounds != 1 else ''} per side"
        f" ({TWISTED.label}, {FAST.label}, {TWISTED.label}, ...) of"
        f" ~{roundTime:g} s; medians per operation, ± is half the range;"
        " GC enabled, as in real programs."
    )
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"x{value:.3g}" if value < 100 else f"x{value:,.0f}"


def _cell(result: ParamResult, side: str, unit: str) -> str:
    series = result.series.get(side)
    if series is None:
        return "-"
    return f"{formatValue(series.median, unit)} ±{series.spread:.0%}"


_ROW = "{:<30} {:>24}  {:>17} {:>17} {:>8}  {}"



#: What the floors of the workloads that have one time.
FLOOR = "two empty C method calls from Python (list.append + list.pop) in the same loop"


def footer(results: list[WorkloadResult], targets: bool = False) -> str:
    """
    @param targets: whether the table shows the targets.
    @return: how to read the table, printed below it.
    """
    lines = [
        f"ratio: {TWISTED.label} / {FAST.label}, of the medians (x10:"
        f" {FAST.label} takes a tenth of the time, or of the memory);"
        " ± is half the range of the rounds.",
    ]
    if any("floor" in at.series for result in results for at in result.params):
        lines.append(f"floor: {FLOOR}, in place of the timer calls.")
    if targets:
        lines.append(
            "target: the maintainers' design goals for the C extension, set on"
            " their 2-core VM; MISS is a note for them, not an error."
        )
    lines.append("What each workload does: python -m twisted_fast.bench --list")
    return "\n".join(lines)


def infoText(info: dict[str, float]) -> str:
    """
    @param info: what a runner's C{info()} returned.
    @return: e.g. C{"lateness median 3.1 ms, ticks 812,000"}: a name ending
        in C{"_s"} is in seconds.
    """
    parts = []
    for name, value in info.items():
        if name.endswith("_s"):
            text = formatValue(value, "s")
            name = name[:-2]
        elif float(value).is_integer() and abs(value) >= 1000:
            text = f"{value:,.0f}"
        else:
            text = f"{value:.3g}"
        parts.append(f"{name.replace('_', ' ')} {text}")
    return ", ".join(parts)


def _targetText(result: TargetResult, unit: str) -> str:
    """
    @return: e.g. C{"fast >= 8x Twisted: x9.1 PASS"}, or for C{"max"}
        targets C{"fast <= 160 B: 112 B PASS"}.
    """
    if result.skipped is not None:
        return f"{result.target.description}: SKIP, {result.skipped}"
    if result.target.kind == "max":
        value = formatValue(result.value, unit)
    else:
        value = _ratio(result.value)
    return f"{result.target.description}: {value} {result.verdict}"


def table(results: list[WorkloadResult], targets: bool = False) -> str:
    """
    @param targets: whether to add the targets' column (C{--targets}).
    @return: the results as a text table.
    """
    lines = [
        _ROW.format(
            "workload", "", TWISTED.label, FAST.label, "ratio",
            "target" if targets else "",
        ).rstrip()
    ]
    for result in results:
        workload = result.workload
        if result.error is not None:
            lines.append(f"{workload.name:<30} ERROR: {result.error.strip().splitlines()[-1]}")
            continue
        for at in result.params:
            texts = [
                _targetText(t, workload.unit)
                for t in result.targets
                if targets and t.param == at.param
            ] or [""]
            lines.append(
                _ROW.format(
                    workload.name,
                    f"{at.param:,} {workload.paramName}",
                    _cell(at, "twisted", workload.unit),
                    _cell(at, "fast", workload.unit),
                    _ratio(at.ratio()),
                    texts[0],
                ).rstrip()
            )
            for more in texts[1:]:
                lines.append(_ROW.format("", "", "", "", "", more))
            for side, info in at.info.items():
                label = {"twisted": TWISTED.label, "fast": FAST.label}.get(side, side)
                lines.append(f"  {label}: {infoText(info)}")
            if "floor" in at.series:
                lines.append(
                    _ROW.format(
                        f"  floor: {workload.floorName}",
                        "",
                        "",
                        _cell(at, "floor", workload.unit),
                        "",
                        f"{FAST.label}/floor {_ratio(at.ratio('fast', 'floor'))}",
                    )
                )
            for reference in workload.references:
                name = f"  {reference.name}: {reference.label}"
                if reference.name in at.skipped:
                    lines.append(
                        _ROW.format(
                            name, "", "", "skipped", "",
                            at.skipped[reference.name],
                        )
                    )
                elif reference.name in at.series:
                    lines.append(
                        _ROW.format(
                            name,
                            "",
                            "",
                            _cell(at, reference.name, workload.unit),
                            "",
                            f"{reference.name}/{FAST.label}"
                            f" {_ratio(at.ratio(reference.name, 'fast'))}",
                        )
                    )
    return "\n".join(lines)


def _targetJSON(result: TargetResult) -> dict[str, Any]:
    target = result.target
    return {
        "description": target.description,
        "kind": target.kind,
        "limit": target.limit,
        "reference": target.reference,
        "param": result.param,
        "value": result.value,
        "passed": None if result.skipped is not None else result.passed,
        "verdict": result.verdict,
        "skipped": result.skipped,
    }


def toJSON(
    results: list[WorkloadResult], env: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    """
    @return: everything measured, as JSON-ready data.
    """
    workloads = []
    for result in results:
        workload = result.workload
        entry: dict[str, Any] = {
            "name": workload.name,
            "description": workload.description,
            "paramName": workload.paramName,
            "unit": workload.unit + ("/op" if workload.unit == "s" else "/item"),
            "error": result.error,
            "results": [
                {
                    "param": at.param,
                    "sides": {
                        side: {
                            "median": series.median,
                            "spread": series.spread,
                            "opsPerRound": series.ops,
                            "rounds": series.values,
                        }
                        for side, series in at.series.items()
                    },
                    "ratio": at.ratio(),
                    "fastOverFloor": at.ratio("fast", "floor"),
                    "referenceOverFast": {
                        reference.name: at.ratio(reference.name, "fast")
                        for reference in workload.references
                        if reference.name in at.series
                    },
                    "skipped": at.skipped,
                    "info": at.info,
                }
                for at in result.params
            ],
            "target": None,
            "targets": [_targetJSON(t) for t in result.targets],
        }
        if result.target is not None:
            entry["target"] = _targetJSON(result.target)
        workloads.append(entry)
    return {"environment": env, "settings": settings, "workloads": workloads}


def writeJSON(path: str, data: dict[str, Any]) -> None:
    """
    Write C{data} to C{path}.
    """
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def plot(path: str, results: list[WorkloadResult], env: dict[str, Any]) -> None:
    """
    Draw time per operation against pending timers, log-log, both sides.

    @param path: the PNG to write.
    @raise SystemExit: if matplotlib is missing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(
            f"--plot needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None
    figure, axes = plt.subplots(figsize=(9, 6))
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    styles = {"twisted": ("--", "o"), "fast": ("-", "s")}
    for result in results:
        workload = result.workload
        if workload.unit != "s" or workload.paramName != "pending timers":
            continue
        colour = next(colours)
        for side, (line, marker) in styles.items():
            points = [
                (at.param, at.median(side))
                for at in result.params
                if at.param > 0 and at.median(side) is not None
            ]
            if points:
                xs, ys = zip(*points)
                label = TWISTED.label if side == "twisted" else FAST.label
                axes.plot(
                    xs, ys, linestyle=line, marker=marker, color=colour,
                    label=f"{workload.name} ({label})",
                )
        floors = [at.median("floor") for at in result.params if "floor" in at.series]
        if floors:
            floor = sorted(floors)[len(floors) // 2]
            axes.axhline(
                floor, linestyle=":", color=colour,
                label=f"floor: {workload.floorName} ({formatValue(floor, 's')})",
            )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("pending timers")
    axes.set_ylabel("seconds per operation (median)")
    mode = "C extension" if env["accelerated"] else "C extension NOT in use: fast = Twisted"
    axes.set_title(
        f"twisted-fast vs Twisted {env['twisted']} ({mode})\n"
        f"Python {env['python']}, {env['date']}",
        fontsize=10,
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def printTable(
    results: list[WorkloadResult], out: TextIO = sys.stdout, targets: bool = False
) -> None:
    """
    Print L{table}, then L{footer}, to C{out}.

    @param targets: whether to add the targets' column (C{--targets}).
    """
    out.write(table(results, targets) + "\n\n" + footer(results, targets) + "\n")
