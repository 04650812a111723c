"""
Benchmark Twisted's timer classes, reactor, LoopingCall and Cooperator
against twisted-fast, side by side.

Usage::

    python -m twisted_fast.bench                  # full run, 2-3 minutes
    python -m twisted_fast.bench --quick          # smoke run, 25-40 seconds
    python -m twisted_fast.bench --targets        # with the maintainers' targets
    python -m twisted_fast.bench --only cancel --rounds 9
    python -m twisted_fast.bench --only reactor   # the reactor workloads
    python -m twisted_fast.bench --only loopingcall --only coiterate
    python -m twisted_fast.bench --json out.json --plot out.png
    python -m twisted_fast.bench --list
    python -m twisted_fast.bench --only app       # the application workloads
    python -m twisted_fast.bench --only app-web   # one of them

Each workload (see C{--list}) runs on Twisted's own classes and on
C{twisted_fast}'s (the C extension, or Twisted's own again when the extension
is not in use: the header says which).  Both are set up once, then run in
alternating rounds in this one process (Twisted, fast, Twisted, fast, ...),
each round ~0.2 s of repeated operations; the table shows the median time
(or memory) per operation for each side, its spread, and the ratio
Twisted/fast.  Timing is noisy on shared machines: read the ratios, not the
absolute times.

C{--only app} runs the application workloads instead (L{twisted_fast.bench.app}:
servers on 127.0.0.1 in child processes, plain reactor vs
C{twisted_fast.install()}, CPU per request or tick); C{--only app-NAME} one of
them (C{app-web}, C{app-web-timeout}, C{app-heartbeat}, C{app-loopingcall},
C{app-cooperate}).  They are not part of the default run.

C{--targets} adds a column with the maintainers' targets (the goals the C
extension was designed to meet on the development VM) and PASS or MISS for
each; the JSON always has them.  A missed target is not an error: the exit
status is non-zero only when a workload fails to run or the command line
cannot be honoured (C{--plot} without matplotlib).  Progress (how long the
run takes, then "workload 5/17: NAME" and its rounds) goes to stderr, the
table to stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback

from twisted_fast.bench import _report
from twisted_fast.bench._registry import INSTALL_HINT, Workload, allWorkloads
from twisted_fast.bench._runner import WorkloadResult, runWorkload

#: How long a run of every workload takes at the default settings, measured
#: with make bench on the 2-core development VM while others ran their tests
#: (full: 2 min 34 s; --quick: 26 s and 39 s).
FULL_DURATION = "2-3 minutes"
QUICK_DURATION = "25-40 seconds"


def parseArguments(argv: list[str]) -> argparse.Namespace:
    """
    @param argv: the command line, without the program name.
    @return: the options.
    """
    parser = argparse.ArgumentParser(
        prog="python -m twisted_fast.bench",
        description=(
            "Benchmark Twisted's timer classes, reactor, LoopingCall and"
            " Cooperator against twisted-fast."
        ),
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds per side (default 5; 2 with --quick)"
    )
    parser.add_argument(
        "--round-time", type=float, metavar="SECONDS",
        help="duration of one timed round (default 0.2; 0.05 with --quick)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short smoke run: small N, few rounds"
    )
    parser.add_argument(
        "--only", action="append", metavar="PATTERN",
        help="run the workloads whose name contains PATTERN (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="list the workloads")
    parser.add_argument(
        "--targets", action="store_true",
        help=(
            "add the maintainers' targets to the table: the goals the C"
            " extension was designed to meet, with PASS or MISS (a MISS is"
            " not an error); the JSON always has them"
        ),
    )
    parser.add_argument("--json", metavar="FILE", help="write all results as JSON")
    parser.add_argument(
        "--plot", metavar="FILE.png",
        help=(
            "plot time per operation against pending timers, and the ratios"
            f" of the other workloads (needs matplotlib: {INSTALL_HINT})"
        ),
    )
    parser.add_argument(
        "--lateness-plot", metavar="FILE.png",
        help=(
            "plot the distribution of timer lateness on Twisted's reactor and"
            " on the fast one under the same load (loopingcall-reactor-2000;"
            f" needs matplotlib: {INSTALL_HINT})"
        ),
    )
    options = parser.parse_args(argv)
    if options.rounds is None:
        options.rounds = 2 if options.quick else 5
    if options.round_time is None:
        options.round_time = 0.05 if options.quick else 0.2
    if options.rounds < 1 or options.round_time <= 0:
        parser.error("--rounds and --round-time must be positive")
    return options


def select(workloads: list[Workload], patterns: list[str] | None) -> list[Workload]:
    """
    @param patterns: substrings of names; C{None} selects everything.
    @return: the workloads whose name contains one of C{patterns}.
    """
    if not patterns:
        return workloads
    return [w for w in workloads if any(p in w.name for p in patterns)]


def splitApplication(patterns: list[str] | None) -> tuple[list[str], list[str]]:
    """
    Separate the application workloads asked for (C{app}: all of them;
    C{app-NAME}: one) from the other patterns.

    @return: the application workloads to run, and the other patterns.
    """
    from twisted_fast.bench.app import WORKLOADS

    apps: list[str] = []
    others: list[str] = []
    for pattern in patterns or []:
        if pattern == "app":
            apps.extend(w for w in WORKLOADS if w not in apps)
        elif pattern.startswith("app-") and pattern[4:] in WORKLOADS:
            if pattern[4:] not in apps:
                apps.append(pattern[4:])
        else:
            others.append(pattern)
    return apps, others


def listWorkloads(workloads: list[Workload], targets: bool = False) -> None:
    """
    Print each workload's name, parameters, description, and with C{targets}
    its targets.
    """
    for w in workloads:
        quick = f" (quick: {', '.join(map(str, w.quickParams))})" if w.quickParams else ""
        title = f": {w.title}" if w.title else ""
        print(f"{w.name}{title}\n    {w.paramName}: {', '.join(map(str, w.params))}{quick}")
        if w.pythonMaxParam is not None:
            print(f"    pure Python only up to {w.pythonMaxParam}")
        for target in w.allTargets if targets else ():
            print(f"    target: {target.description}")
        for reference in w.references:
            reason = reference.unavailable()
            state = f" (skipped here: {reason})" if reason else ""
            print(f"    also timed: {reference.name}, {reference.label}{state}")
        print(f"    {w.description}")


_started = time.monotonic()


def progress(line: str) -> None:
    """
    Print a progress line on stderr, after the seconds since the start.
    """
    print(f"{time.monotonic() - _started:6.1f}s {line}", file=sys.stderr, flush=True)


def _indented(line: str) -> None:
    """
    L{progress}, indented under the current workload's counter line.
    """
    progress("  " + line)


def announce(selected: int, total: int, options: argparse.Namespace) -> str:
    """
    @param selected: how many workloads will run.
    @param total: how many there are.
    @return: what the run is and how long it takes, said before it starts.
    """
    duration = QUICK_DURATION if options.quick else FULL_DURATION
    run = "--quick run" if options.quick else "full run"
    if selected == total:
        other = (
            f"a full run: about {FULL_DURATION}"
            if options.quick
            else f"--quick: about {QUICK_DURATION}"
        )
        what = (
            f"{total} workloads: a {run} takes about {duration} on a 2-core"
            f" machine ({other})."
        )
    else:
        what = (
            f"{selected} of the {total} workloads (--only); all {total} take about"
            f" {duration} in a {run} on a 2-core machine."
        )
    lines = [f"Timing Twisted and twisted-fast in alternating rounds, {what}"]
    default = (2, 0.05) if options.quick else (5, 0.2)
    if (options.rounds, options.round_time) != default:
        lines.append(
            f"(That is at --rounds {default[0]} --round-time {default[1]:g};"
            f" this run: --rounds {options.rounds}"
            f" --round-time {options.round_time:g}.)"
        )
    lines.append("Progress follows here; the table comes at the end.")
    return "\n".join(lines)


def missingNotes(workloads: list[Workload]) -> list[str]:
    """
    @return: one line for each third-party side (such as uvloop) of
        C{workloads} that cannot run here, saying why and how to fix it;
        those workloads run without that side.
    """
    notes = []
    for workload in workloads:
        for reference in workload.references:
            reason = reference.unavailable()
            if reason is not None:
                notes.append(
                    f"note: {workload.name} runs without its {reference.name}"
                    f" side: {reason}"
                )
    return notes


def main(argv: list[str] | None = None) -> int:
    """
    Run the benchmark.

    @param argv: the command line, without the program name.
    @return: the exit status: 0, or 1 if a workload failed, 2 if none matched.
    """
    options = parseArguments(sys.argv[1:] if argv is None else argv)
    apps, others = splitApplication(options.only)
    if apps:
        from twisted_fast.bench import app

        if options.list:
            print("application workloads (--only app): " + ", ".join(apps))
        else:
            results = app.run(apps, options.rounds, 0.5 if options.quick else 2.0,
                              options.quick)
            if options.json and not others:
                _report.writeJSON(options.json, {"application": results})
                print(f"\nJSON written to {options.json}")
        if not others:
            return 0
        options.only = others
    workloads = select(allWorkloads(), options.only)
    if options.list:
        listWorkloads(workloads, options.targets)
        return 0
    if not workloads:
        print(f"no workload matches {options.only}; see --list", file=sys.stderr)
        return 2
    # Fail now rather than after the run, but without importing matplotlib:
    # numpy, which it imports, changes what the floors measure (their
    # list.append + list.pop on an empty list allocates and frees a block:
    # 35 ns per pair becomes 48 ns once numpy is loaded, on the development
    # VM), so nothing is plotted or imported for plotting until every
    # workload has run.
    if (options.plot or options.lateness_plot) and importlib.util.find_spec(
        "matplotlib"
    ) is None:
        print(
            f"--plot needs matplotlib, which is not installed: {INSTALL_HINT}"
            " (or pip install matplotlib). Nothing was run.",
            file=sys.stderr,
        )
        return 2
    print(announce(len(workloads), len(allWorkloads()), options), file=sys.stderr)
    for note in missingNotes(workloads):
        print(note, file=sys.stderr)
    sys.stderr.flush()
    env = _report.environment()
    print(
        _report.header(env, options.rounds, options.round_time, options.targets),
        flush=True,
    )
    results = []
    for number, workload in enumerate(workloads, 1):
        progress(f"workload {number}/{len(workloads)}: {workload.name}")
        try:
            result = runWorkload(
                workload, options.rounds, options.round_time, options.quick, _indented
            )
        except Exception:
            traceback.print_exc()
            result = WorkloadResult(workload, error=traceback.format_exc())
        results.append(result)
    progress("done")
    print()
    _report.printTable(results, targets=options.targets)
    if options.json:
        settings = {
            "rounds": options.rounds,
            "roundTime": options.round_time,
            "quick": options.quick,
            "only": options.only,
            "gc": "enabled",
        }
        _report.writeJSON(options.json, _report.toJSON(results, env, settings))
        print(f"\nJSON written to {options.json}")
    if options.plot:
        _report.plot(options.plot, results, env)
        print(f"plot written to {options.plot}")
    if options.lateness_plot:
        if _report.plotLateness(options.lateness_plot, results, env):
            print(f"lateness plot written to {options.lateness_plot}")
        else:
            print(
                "no lateness plot: the workload loopingcall-reactor-2000 did not run"
                " on both sides (add --only loopingcall-reactor-2000)",
                file=sys.stderr,
            )
    return 1 if any(r.error is not None for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
