#!/usr/bin/env python3
"""
Reference-leak hunter for the test suite, in the spirit of CPython's
C{regrtest -R} (Lib/test/libregrtest/refleak.py).

Each test module runs in a fresh interpreter, collected once by pytest; its
tests are then run C{warmups + runs} times over in that process (the whole
pytest protocol each time: fixtures, warnings, captures), and after each
repetition the hunter cleans up as regrtest does (regular-expression and
line caches, the type cache, three collections) and measures:

  - C{objects}: C{len(gc.get_objects())}, the objects the GC tracks;
  - C{blocks}: C{sys.getallocatedblocks()}, the blocks of Python's allocator;
  - C{malloc}: KiB that glibc's C{malloc} has handed out (C{mallinfo2}: the
    C timer heaps' arrays live there), where available;
  - C{live}: the extension's own count of live C{DelayedCall}s and
    C{Clock}s (C{_speedups._live_counts()}, debug builds only: C{make debug});
  - C{fds}: open file descriptors.

A module leaks when, after the warm-up repetitions, every repetition grew a
count (regrtest's rule: all deltas >= 1, which tells a leak from a cache
that fills once; for C{malloc} every delta must reach 16 KiB, past the allocator's
arena granularity), or when the number of open file descriptors changed at
all.  Hypothesis runs derandomized with no example database
(C{TWISTED_FAST_HYPOTHESIS_PROFILE=leakhunt}), so that each repetition runs
the same examples.  Two caches outside this project that grow with every
run are emptied between repetitions: the buffer where Twisted's global log
beginner keeps (up to 65,536) events logged before logging begins, Twisted's
list of every C{Deferred} subclass ever defined (as regrtest restores the ABC
registries), and the chain of settings hypothesis's pytest plugin builds on
a parametrized property test at each run.  A module whose tests fail when run again is reported as
such.  A leaking module is then hunted test by test (C{--per-test}), to name
the tests that leak.

Usage::

    python .ci/leakhunt.py                  # every module (make leaks)
    python .ci/leakhunt.py --quick          # a short run (the test suite's)
    python .ci/leakhunt.py tests/test_refs.py --per-test -R 2:4

Exit status 1 if anything leaked or failed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Modules that test subprocesses (packaging, installation, the pytest
#: plugin), Twisted's own suites or this hunter: nothing to hunt in-process.
EXCLUDED = {
    "test_packaging.py",
    "test_pytest_plugin.py",
    "test_reactor_install.py",
    "test_upstream.py",
    "test_leakhunt.py",
}

#: What --quick hunts (the test suite runs it; about 30 s).
QUICK = ["tests/test_refs.py", "tests/test_delayedcall.py"]

#: Tests left out by default: slow ones (they run 10**6-cycle loops in
#: subprocesses of their own) and Twisted's suites.
MARKERS = "not slow and not upstream"

KEYS = ("objects", "blocks", "malloc", "live", "fds")

#: Marks the child's result line on its standard output.
RESULT = "LEAKHUNT-RESULT "


# --- measuring ---------------------------------------------------------------------


def _mallinfo() -> Any:
    """
    glibc's C{mallinfo2}, or C{None} where there is none.
    """
    try:
        import ctypes

        class MallInfo2(ctypes.Structure):
            _fields_ = [
                (name, ctypes.c_size_t)
                for name in (
                    "arena", "ordblks", "smblks", "hblks", "hblkhd",
                    "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
                )
            ]

        function = ctypes.CDLL(None).mallinfo2
        function.restype = MallInfo2
        function()
        return function
    except (AttributeError, OSError):
        return None


MALLINFO = _mallinfo()


def mallocKiB() -> int | None:
    """
    KiB handed out by C{malloc} (heap and mmapped chunks), or C{None}.
    """
    if MALLINFO is None:
        return None
    info = MALLINFO()
    return int((info.uordblks + info.hblkhd) // 1024)


def liveCount() -> int | None:
    """
    Live C objects the extension counts (debug builds), or C{None}.
    """
    try:
        from twisted_fast import _compat
    except ImportError:
        return None
    if _compat.speedups is None:
        return None
    counts = _compat.speedups._live_counts()
    return None if counts is None else int(sum(counts.values()))


def fdCount() -> int | None:
    """
    Open file descriptors, or C{None} where /proc is missing.
    """
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def clearTwistedLogBuffer() -> None:
    """
    Empty the buffer in which Twisted's global log beginner keeps every event
    logged before anyone calls C{beginLoggingTo} (up to 65,536 of them: a
    bounded cache, but the failures logged by the tests it holds keep their
    frames, and so reactors and clocks, alive).
    """
    module = sys.modules.get("twisted.logger._global")
    beginner = getattr(module, "globalLogBeginner", None)
    buffer = getattr(getattr(beginner, "_initialBuffer", None), "_buffer", None)
    if buffer is not None:
        buffer.clear()


def deferredSubclasses() -> list[Any] | None:
    """
    Twisted's list of every subclass of C{Deferred} ever defined
    (C{twisted.internet.defer._DEFERRED_SUBCLASSES}, Twisted 24 and later):
    a test that defines one adds a class to it at each run.
    """
    module = sys.modules.get("twisted.internet.defer")
    return getattr(module, "_DEFERRED_SUBCLASSES", None)


def cleanup() -> None:
    """
    What regrtest's C{dash_R_cleanup} does that matters here: empty the
    caches that fill with whatever the tests touched, then collect.
    """
    import linecache

    re.purge()
    linecache.clearcache()
    clearTwistedLogBuffer()
    # 3.14 deprecates _clear_type_cache for the wider _clear_internal_caches.
    clearCaches = getattr(sys, "_clear_internal_caches", None) or sys._clear_type_cache
    clearCaches()
    for _ in range(3):
        gc.collect()


def snapshot() -> dict[str, int | None]:
    """
    Clean up, then measure (blocks first: counting objects allocates).
    """
    cleanup()
    blocks = sys.getallocatedblocks()
    malloc = mallocKiB()
    return {
        "blocks": blocks,
        "malloc": malloc,
        "objects": len(gc.get_objects()),
        "live": liveCount(),
        "fds": fdCount(),
    }


def leaked(key: str, deltas: list[int | None]) -> bool:
    """
    regrtest's rule: a leak when every measured repetition grew the count;
    for descriptors, when any changed it.
    """
    if not deltas or any(delta is None for delta in deltas):
        return False
    if key == "fds":
        return any(deltas)
    floor = 16 if key == "malloc" else 1
    return all(delta >= floor for delta in deltas)  # type: ignore[operator]


# --- the child: a pytest plugin that repeats the collected tests ---------------------


class Hunter:
    """
    A pytest plugin that replaces the test loop: run the collected tests
    C{warmups + runs} times and measure after each repetition.
    """

    def __init__(self, warmups: int, runs: int, perTest: bool, module: str) -> None:
        self.module = module
        self.warmups = warmups
        self.runs = runs
        self.perTest = perTest
        self.failed: set[str] = set()
        self.results: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        """
        Remember which tests failed (once each).
        """
        if report.failed and report.nodeid not in self.failed:
            self.failed.add(report.nodeid)

    def pytest_runtestloop(self, session: Any) -> bool:
        """
        Hunt in each group of tests: all at once, or one by one.
        """
        if session.testsfailed:
            raise session.Interrupted(f"{session.testsfailed} errors during collection")
        items = list(session.items)
        groups = [[item] for item in items] if self.perTest else [items]
        for group in groups:
            self.results.append(self.hunt(session, group))
        return True

    def hunt(self, session: Any, items: list[Any]) -> dict[str, Any]:
        """
        Repeat C{items}; return the deltas of each count per repetition.
        """
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        deltas: dict[str, list[int | None]] = {key: [] for key in KEYS}
        settings = hypothesisSettings(items)
        subclasses = deferredSubclasses()
        knownSubclasses = len(subclasses) if subclasses is not None else 0
        started = time.monotonic()
        before = snapshot()
        for _ in range(self.warmups + self.runs):
            for item in items:
                item.ihook.pytest_runtest_protocol(item=item, nextitem=None)
                # What pytest keeps per run of an item, for its report.
                item._report_sections.clear()
                restoreHypothesisSettings(settings)
            if reporter is not None:
                reporter.stats.clear()
            if subclasses is not None:
                del subclasses[knownSubclasses:]
            after = snapshot()
            for key in KEYS:
                if before[key] is None or after[key] is None:
                    deltas[key].append(None)
                else:
                    deltas[key].append(after[key] - before[key])  # type: ignore[operator]
            before = after
        measured = {key: values[self.warmups :] for key, values in deltas.items()}
        if not items:
            name = self.module  # every test deselected (slow ones, say)
        elif self.perTest:
            name = items[0].nodeid
        else:
            name = items[0].nodeid.split("::")[0]
        return {
            "name": name,
            "tests": len(items),
            "warmup": {key: values[: self.warmups] for key, values in deltas.items()},
            "deltas": measured,
            "leaks": [key for key, values in measured.items() if leaked(key, values)],
            "failed": sorted(self.failed),
            "seconds": round(time.monotonic() - started, 1),
        }


def hypothesisSettings(items: list[Any]) -> list[tuple[Any, Any]]:
    """
    The settings of each hypothesis test among C{items}: hypothesis's pytest
    plugin wraps those of a parametrized test in new settings (whose parent
    are the old ones) on every run, a chain that grows by two objects a run.
    """
    found = []
    for item in items:
        function = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        if function is not None and hasattr(function, "hypothesis"):
            found.append(
                (function, function.__dict__.get("_hypothesis_internal_use_settings"))
            )
    return found


def restoreHypothesisSettings(found: list[tuple[Any, Any]]) -> None:
    """
    Put back the settings L{hypothesisSettings} found.
    """
    for function, settings in found:
        if settings is not None:
            function._hypothesis_internal_use_settings = settings


def child(args: argparse.Namespace) -> int:
    """
    Hunt in one module, in this process; print the result as JSON.
    """
    import pytest

    hunter = Hunter(args.warmups, args.runs, args.per_test, args.modules[0])
    code = pytest.main(
        [
            "-qq",
            "-p", "no:cacheprovider",
            "-m", args.markers,
            "-W", "ignore::pytest.PytestUnraisableExceptionWarning",
            args.modules[0],
        ],
        plugins=[hunter],
    )
    for result in hunter.results:
        failed = result["failed"]
        if args.per_test:
            result["failed"] = [n for n in failed if n == result["name"]]
        print(RESULT + json.dumps(result), flush=True)
    return 0 if code in (0, 5) else int(code)


# --- the parent: one child per module, and the table ----------------------------------


def modules(selected: list[str]) -> list[str]:
    """
    The modules to hunt: those given, else every test module not excluded.
    """
    if selected:
        return selected
    return [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "tests").glob("test_*.py"))
        if path.name not in EXCLUDED
    ]


def runChild(module: str, args: argparse.Namespace, perTest: bool) -> list[dict[str, Any]]:
    """
    Hunt in C{module} in a fresh interpreter; return its results.
    """
    env = dict(os.environ)
    env["TWISTED_FAST_HYPOTHESIS_PROFILE"] = "leakhunt"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    command = [
        sys.executable, __file__, "--child", "-R", f"{args.warmups}:{args.runs}",
        "-m", args.markers, module,
    ] + (["--per-test"] if perTest else [])
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    results = [
        json.loads(line[len(RESULT) :])
        for line in process.stdout.splitlines()
        if line.startswith(RESULT)
    ]
    if process.returncode != 0 or not results:
        tail = (process.stdout + process.stderr).strip().splitlines()[-30:]
        print("\n".join(tail), file=sys.stderr)
        results = results or [{
            "name": module, "tests": 0, "deltas": {}, "leaks": [],
            "failed": [f"exit status {process.returncode}"], "seconds": 0,
        }]
    for result in results:
        result["module"] = module
    return results


def formatDeltas(values: list[int | None] | None) -> str:
    """
    C{[a, b, c]}, or C{-} where the count is not available.
    """
    if not values or any(value is None for value in values):
        return "-"
    return "[" + ", ".join(str(value) for value in values) + "]"


def verdict(result: dict[str, Any]) -> str:
    """
    C{ok}, C{LEAK: ...} or C{FAILED: ...}.
    """
    if result["failed"]:
        return f"FAILED ({len(result['failed'])} failing when repeated)"
    if result["leaks"]:
        return "LEAK: " + ", ".join(result["leaks"])
    return "ok"


def printTable(results: list[dict[str, Any]], reps: str) -> None:
    """
    One row per module (or test): the deltas of the measured repetitions.
    """
    header = ("module", "tests", "time", "objects", "blocks", "malloc KiB", "live", "fds",
              "verdict")
    rows = [header]
    for r in results:
        d = r["deltas"]
        rows.append((
            r["name"], str(r["tests"]), f"{r['seconds']}s",
            formatDeltas(d.get("objects")), formatDeltas(d.get("blocks")),
            formatDeltas(d.get("malloc")), formatDeltas(d.get("live")),
            formatDeltas(d.get("fds")), verdict(r),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print(f"\nleak hunt, -R {reps} (deltas of the measured repetitions, after warm-up)")
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def parent(args: argparse.Namespace) -> int:
    """
    Hunt in each module in turn, then in the tests of any leaking module.
    """
    selected = modules(args.modules)
    results: list[dict[str, Any]] = []
    bad = 0
    for module in selected:
        print(f"hunting in {module} ...", flush=True)
        for result in runChild(module, args, args.per_test):
            results.append(result)
            if result["leaks"] or result["failed"]:
                bad += 1
    printTable(results, f"{args.warmups}:{args.runs}")
    suspects = [r["module"] for r in results if r["leaks"] and "::" not in r["name"]]
    if suspects and not args.per_test and not args.no_bisect:
        print("\nhunting test by test in", ", ".join(suspects), flush=True)
        perTest = [
            r for module in suspects for r in runChild(module, args, True)
            if r["leaks"] or r["failed"]
        ]
        printTable(perTest, f"{args.warmups}:{args.runs}")
    print(f"\n{len(results)} checked, {bad} leaking or failing")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="test modules (default: all but "
                        + ", ".join(sorted(EXCLUDED)) + ")")
    parser.add_argument("-R", dest="reps", default="3:3",
                        help="warmups:runs, as regrtest's -R (default 3:3)")
    parser.add_argument("-m", dest="markers", default=MARKERS,
                        help=f"pytest marker expression (default {MARKERS!r})")
    parser.add_argument("--per-test", action="store_true",
                        help="measure each test on its own (slower)")
    parser.add_argument("--no-bisect", action="store_true",
                        help="do not hunt test by test in leaking modules")
    parser.add_argument("--quick", action="store_true",
                        help="hunt in " + ", ".join(QUICK) + " with -R 2:3")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.warmups, args.runs = (int(n) for n in args.reps.split(":"))
    if args.quick:
        args.modules = args.modules or QUICK
        if args.reps == "3:3":
            args.warmups, args.runs = 2, 3
    if args.child:
        return child(args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
