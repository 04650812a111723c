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



#: What the floors of the workloads that have one time, for the plot.
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
        lines.append(
            "floor: the same loop with two empty C method calls from Python"
            " (list.append + list.pop) in place of the timer calls."
        )
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
        if name.startswith("lateness_q"):  # the distribution: for the plot
            continue
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


def _short(n: int) -> str:
    """
    @return: C{n} for an axis or a legend: C{"0"}, C{"500"}, C{"10k"}, C{"1M"}.
    """
    for scale, suffix in ((10**6, "M"), (10**3, "k")):
        if n >= scale and n % (scale // 10) == 0:
            return f"{n / scale:g}{suffix}"
    return f"{n:,}"


def scalingResults(results: list[WorkloadResult]) -> list[WorkloadResult]:
    """
    @return: the results drawn against the number of pending timers: timed
        workloads whose parameter is that number and that ran at two or more
        of its values.
    """
    return [
        r
        for r in results
        if r.error is None
        and r.workload.unit == "s"
        and r.workload.paramName == "pending timers"
        and len(r.params) >= 2
    ]


def ratioRows(
    results: list[WorkloadResult], scaling: list[WorkloadResult]
) -> list[tuple[str, float]]:
    """
    @param scaling: the results drawn against pending timers (left out here).
    @return: for each parameter of every other result with both sides, a
        label and the ratio Twisted / fast.  The label names the parameter
        when it counts timers (the others are in the workload's title).
    """
    rows = []
    for result in results:
        if result in scaling or result.error is not None:
            continue
        workload = result.workload
        for at in result.params:
            ratio = at.ratio()
            if ratio is None:
                continue
            label = workload.plainTitle
            if "timers" in workload.paramName:
                label += f"\n({_short(at.param)} {workload.paramName})"
            rows.append((label, ratio))
    return rows


def _floorLine(scaling: list[WorkloadResult]) -> float | None:
    """
    @return: the median of the floor's medians over C{scaling}, or C{None}
        if none has a floor.
    """
    floors = sorted(
        median
        for result in scaling
        for at in result.params
        if (median := at.median("floor")) is not None
    )
    return floors[len(floors) // 2] if floors else None


def figure(results: list[WorkloadResult], env: dict[str, Any]) -> Any:
    """
    Draw the results: on the left, time per operation against the number of
    pending timers for the workloads that vary it (L{scalingResults}); on the
    right, the ratio Twisted / fast of every other workload (L{ratioRows}).

    @return: the matplotlib C{Figure} (imports matplotlib).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    scaling = scalingResults(results)
    rows = ratioRows(results, scaling)
    panels = (1 if scaling else 0) + (1 if rows else 0)
    fig = plt.figure(figsize=(13, 7.5) if panels == 2 else (8, 7.5))
    grid = fig.add_gridspec(
        1, max(panels, 1), width_ratios=[1.15, 1] if panels == 2 else [1],
        left=0.08, right=0.97, top=0.9, bottom=0.33, wspace=0.62,
    )
    mode = "C extension"
    if not env["accelerated"]:
        mode = f"C extension NOT in use: {FAST.label} = Twisted's classes"
    elif env.get("debugBuild"):
        mode = "C extension, DEBUG build: not representative"
    fig.suptitle(
        f"twisted-fast vs Twisted {env['twisted']}: Python {env['python']},"
        f" {mode}, {env['cpus']} CPUs, {env['date'][:10]}",
        fontsize=11,
    )
    timeFormat = FuncFormatter(lambda value, _: formatValue(value, "s"))
    notes = [
        f"{r.workload.name} failed: not drawn" for r in results if r.error is not None
    ]
    handles: list[Any] = []

    if scaling:
        axes = fig.add_subplot(grid[0, 0])
        colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"])
        xs = sorted({at.param for r in scaling for at in r.params})
        positive = [x for x in xs if x > 0]
        for result in scaling:
            workload = result.workload
            colour = next(colours)
            sides: list[tuple[str, str, dict[str, Any]]] = [
                ("twisted", TWISTED.label, dict(linestyle="--", marker="o", mfc="w")),
                ("fast", FAST.label, dict(linestyle="-", marker="s")),
            ] + [
                (r.name, f"{r.name} {r.label}", dict(linestyle=":", marker="^"))
                for r in workload.references
            ]
            for side, label, style in sides:
                points = [
                    (at.param, median)
                    for at in result.params
                    if (median := at.median(side)) is not None
                ]
                if not points:
                    continue
                ran = [x for x, _ in points]
                if len(ran) < len(result.params):
                    label += f" (run up to {_short(max(ran))} only: slow beyond)"
                (line,) = axes.plot(
                    *zip(*points), color=colour, linewidth=1.6, markersize=6,
                    label=f"{workload.plainTitle}, {label}", **style,
                )
                handles.append(line)
            skipped = {n: why for at in result.params for n, why in at.skipped.items()}
            notes.extend(
                f"{workload.plainTitle}: no {name} side ({reason})"
                for name, reason in sorted(skipped.items())
            )
        floor = _floorLine(scaling)
        if floor is not None:
            handles.append(
                axes.axhline(
                    floor, color="black", linestyle=(0, (1, 2)), linewidth=1.2,
                    label=f"floor ({formatValue(floor, 's')}): {FLOOR}",
                )
            )
        # 0 pending timers is a real point: a log axis would drop it, so the
        # axis is linear from 0 to the smallest other count, then log.
        if positive:
            axes.set_xscale("symlog", linthresh=positive[0], linscale=0.6)
        axes.xaxis.set_major_locator(FixedLocator(xs))
        axes.xaxis.set_minor_locator(NullLocator())
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _short(int(x))))
        # Room for the markers at both ends.
        axes.set_xlim(
            -0.15 * positive[0] if xs[0] == 0 and positive else xs[0] / 1.5,
            xs[-1] * 1.6,
        )
        axes.set_yscale("log")
        axes.yaxis.set_major_formatter(timeFormat)
        axes.set_xlabel(
            "pending timers"
            + (f" (from 0 to {_short(positive[0])} linear, then log)" if xs[0] == 0 else "")
        )
        axes.set_ylabel("time per operation, median (lower is better)")
        axes.set_title("Cost as pending timers grow", fontsize=11)
        axes.grid(True, which="major", alpha=0.3)

    if rows:
        axes = fig.add_subplot(grid[0, panels - 1])
        labels, ratios = zip(*rows)
        positions = range(len(rows))
        axes.barh(positions, ratios, color="#4c72b0", height=0.6)
        axes.set_yticks(list(positions), labels, fontsize=8)
        # Top down, and bars as thick with a few rows as with many.
        axes.set_ylim(max(len(rows), 10) - 0.5, -0.5)
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"x{x:,.{x < 1:d}f}"))
        axes.axvline(1, color="black", linewidth=1)
        for y, ratio in zip(positions, ratios):
            axes.annotate(
                _ratio(ratio), (ratio, y), xytext=(3, 0), textcoords="offset points",
                va="center", fontsize=8,
            )
        axes.set_xlim(min(0.5, min(ratios) / 2), max(ratios) * 8)
        axes.set_xlabel(
            f"{TWISTED.label} / {FAST.label} (higher is better; x1: the same)"
        )
        axes.set_title(
            "Other workloads: how many times faster\n"
            f"(or smaller, for memory) {FAST.label} is",
            fontsize=11,
        )
        axes.grid(True, axis="x", which="major", alpha=0.3)

    if handles:
        fig.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0.03, 0.24),
            fontsize=9, frameon=False, ncol=2 if len(handles) > 9 else 1,
        )
    if not panels:
        notes.append("no workload with both sides ran: nothing to draw")
    if notes:
        fig.text(0.02, 0.01, "; ".join(notes), fontsize=8, color="darkred")
    return fig


def plot(path: str, results: list[WorkloadResult], env: dict[str, Any]) -> None:
    """
    Write L{figure} to C{path} as a PNG.

    @raise SystemExit: if matplotlib is missing.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SystemExit(
            f"--plot needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None
    import matplotlib.pyplot as plt

    fig = figure(results, env)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latenessQuantiles(results: list[WorkloadResult]) -> dict[str, list[float]]:
    """
    @return: by side (C{"twisted"}, C{"fast"}), the quantiles of the tick
        lateness that C{loopingcall-reactor-2000} measured, in seconds;
        empty when it did not run.
    """
    from twisted_fast.bench.loopingcall import QUANTILES, latenessQuantileName

    for result in results:
        if result.workload.name != "loopingcall-reactor-2000" or not result.params:
            continue
        info = result.params[0].info
        return {
            side: [info[side][latenessQuantileName(q)] for q in range(QUANTILES + 1)]
            for side in ("twisted", "fast")
            if side in info and latenessQuantileName(0) in info[side]
        }
    return {}


def latenessFigure(quantiles: dict[str, list[float]], env: dict[str, Any]) -> Any:
    """
    The distribution of timer lateness under the same load on Twisted's
    reactor and on the fast one: 2000 C{LoopingCall}s at 1 ms, each tick's
    lateness after its slot, as a cumulative distribution.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    names = {"twisted": "Twisted: LoopingCall on EPollReactor",
             "fast": "twisted-fast: LoopingCall on the fast reactor"}
    for side, values in quantiles.items():
        fractions = [q / (len(values) - 1) for q in range(len(values))]
        shown = [max(v, 1e-7) * 1e3 for v in values]  # ms; 0 drawn at 0.1 us
        p99 = values[int(0.99 * (len(values) - 1))] * 1e3
        ax.step(shown, fractions, where="post", label=f"{names[side]} (p99 {p99:.2f} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("tick lateness after its slot, ms (log; lower is better)")
    ax.set_ylabel("fraction of ticks at most this late")
    ax.set_ylim(0, 1.01)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(
        "Timer lateness under the same load: 2000 LoopingCalls at 1 ms\n"
        f"Python {env.get('python', '?')}, Twisted {env.get('twisted', '?')}"
    )
    fig.tight_layout()
    return fig


def plotLateness(path: str, results: list[WorkloadResult], env: dict[str, Any]) -> bool:
    """
    Write L{latenessFigure} to C{path} as a PNG.

    @return: C{False} (nothing written) when the workload did not run.
    """
    quantiles = latenessQuantiles(results)
    if len(quantiles) < 2:
        return False
    import matplotlib.pyplot as plt

    fig = latenessFigure(quantiles, env)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def printTable(
    results: list[WorkloadResult], out: TextIO | None = None, targets: bool = False
) -> None:
    """
    Print L{table}, then L{footer}, to C{out}.

    @param out: where to; C{None}: C{sys.stdout} as it is at the call.
    @param targets: whether to add the targets' column (C{--targets}).
    """
    if out is None:
        out = sys.stdout
    out.write(table(results, targets) + "\n\n" + footer(results, targets) + "\n")
