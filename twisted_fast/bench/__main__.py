"""
Benchmark Twisted's timer classes, reactor, LoopingCall and Cooperator
against twisted-fast, side by side.

Usage::

    python -m twisted_fast.bench                  # full run, ~2.5 minutes
    python -m twisted_fast.bench --quick          # smoke run for CI
    python -m twisted_fast.bench --only cancel --rounds 9
    python -m twisted_fast.bench --only reactor   # the reactor workloads
    python -m twisted_fast.bench --only loopingcall --only coiterate
    python -m twisted_fast.bench --json out.json --plot out.png
    python -m twisted_fast.bench --list

Each workload (see C{--list}) runs on Twisted's own classes and on
C{twisted_fast}'s (the C extension, or Twisted's own again when the extension
is not in use: the header says which).  Both are set up once, then run in
alternating rounds in this one process (Twisted, fast, Twisted, fast, ...),
each round ~0.2 s of repeated operations; the table shows the median time
(or memory) per operation for each side, the ratio Twisted/fast, and PASS or
MISS against the workload's target.  Timing is noisy on shared machines: read
the ratios, not the absolute times.  A missed target is reported, not an
error: the exit status is non-zero only when a workload fails to run.
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback

from twisted_fast.bench import _report
from twisted_fast.bench._registry import Workload, allWorkloads
from twisted_fast.bench._runner import WorkloadResult, runWorkload


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
    parser.add_argument("--json", metavar="FILE", help="write all results as JSON")
    parser.add_argument(
        "--plot", metavar="FILE.png",
        help="plot time per operation against pending timers (needs matplotlib)",
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


def listWorkloads(workloads: list[Workload]) -> None:
    """
    Print each workload's name, parameters, target and description.
    """
    for w in workloads:
        quick = f" (quick: {', '.join(map(str, w.quickParams))})" if w.quickParams else ""
        print(f"{w.name}\n    {w.paramName}: {', '.join(map(str, w.params))}{quick}")
        if w.pythonMaxParam is not None:
            print(f"    pure Python only up to {w.pythonMaxParam}")
        for target in w.allTargets:
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


def main(argv: list[str] | None = None) -> int:
    """
    Run the benchmark.

    @param argv: the command line, without the program name.
    @return: the exit status: 0, or 1 if a workload failed, 2 if none matched.
    """
    options = parseArguments(sys.argv[1:] if argv is None else argv)
    workloads = select(allWorkloads(), options.only)
    if options.list:
        listWorkloads(workloads)
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
    if options.plot and importlib.util.find_spec("matplotlib") is None:
        print("--plot needs matplotlib: pip install matplotlib", file=sys.stderr)
        return 2
    env = _report.environment()
    print(_report.header(env, options.rounds, options.round_time), flush=True)
    results = []
    for workload in workloads:
        try:
            result = runWorkload(
                workload, options.rounds, options.round_time, options.quick, progress
            )
        except Exception:
            traceback.print_exc()
            result = WorkloadResult(workload, error=traceback.format_exc())
        results.append(result)
    progress("done")
    print()
    _report.printTable(results)
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
    return 1 if any(r.error is not None for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
