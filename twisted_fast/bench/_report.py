"""
Report the results: a table on stdout, JSON, and a log-log plot.
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
from twisted_fast.bench._registry import FAST, TWISTED
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
    return {
        "twisted_fast": twisted_fast.__version__,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "twisted": twisted.__version__,
        "accelerated": _compat.ACCELERATED,
        "speedups": getattr(speedups, "__file__", None),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def header(env: dict[str, Any], rounds: int, roundTime: float) -> str:
    """
    @return: the lines printed above the table.
    """
    lines = [
        f"twisted-fast benchmark: Python {env['python']} ({env['implementation']}),"
        f" Twisted {env['twisted']}, {env['platform']}, {env['cpus']} CPUs",
    ]
    if env["accelerated"]:
        lines.append(f"C extension IN USE: {env['speedups']}")
    else:
        lines.append(
            "C extension NOT IN USE (twisted_fast.ACCELERATED is False): the 'fast'"
            " column runs Twisted's own Clock and reactor, so ratios are ~x1 and"
            " targets MISS."
        )
    lines.append(
        f"{rounds} interleaved rounds per side (Twisted, fast, Twisted, ...) of"
        f" ~{roundTime:g} s; medians per operation, ± is half the range;"
        " GC enabled, as in real programs."
    )
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"x{value:.3g}" if value < 100 else f"x{value:.0f}"


def _cell(result: ParamResult, side: str, unit: str) -> str:
    series = result.series.get(side)
    if series is None:
        return "-"
    return f"{formatValue(series.median, unit)} ±{series.spread:.0%}"


_ROW = "{:<30} {:>9}  {:>17} {:>17} {:>8}  {}"


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


def table(results: list[WorkloadResult]) -> str:
    """
    @return: the results as a text table.
    """
    lines = [_ROW.format("workload", "param", TWISTED.label, FAST.label, "ratio", "target")]
    for result in results:
        workload = result.workload
        if result.error is not None:
            lines.append(f"{workload.name:<30} ERROR: {result.error.strip().splitlines()[-1]}")
            continue
        for at in result.params:
            targets = [
                _targetText(t, workload.unit)
                for t in result.targets
                if t.param == at.param
            ] or [""]
            lines.append(
                _ROW.format(
                    workload.name,
                    f"{at.param:,}",
                    _cell(at, "twisted", workload.unit),
                    _cell(at, "fast", workload.unit),
                    _ratio(at.ratio()),
                    targets[0],
                ).rstrip()
            )
            for more in targets[1:]:
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
                        f"fast/floor {_ratio(at.ratio('fast', 'floor'))}",
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
                            f"{reference.name}/fast"
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
            "--plot needs matplotlib, which is not installed: pip install matplotlib"
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


def printTable(results: list[WorkloadResult], out: TextIO = sys.stdout) -> None:
    """
    Print L{table} to C{out}.
    """
    out.write(table(results) + "\n")
