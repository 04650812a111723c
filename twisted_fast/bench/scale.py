"""
Scale: the C timer heaps with up to 10**7 pending timers.

Usage::

    python -m twisted_fast.bench.scale                # 10**4, 10**6, 10**7 (make scale)
    python -m twisted_fast.bench.scale --quick        # 10**4, 10**5, 10**6
    python -m twisted_fast.bench.scale --sizes 10000,1000000 --cycles 1000000
    python -m twisted_fast.bench.scale --json scale.json

For the C C{Clock} and for the fast reactor's C{TimerQueue} (a
C{FastEPollReactor}, never run), each size in a fresh interpreter:

  - fill: schedule N timers far in the future (random due times); report the
    resident memory they take, per timer, and check the heap (C{_check_heap});
  - time, per operation, with N timers pending (median of rounds): C{callLater}
    + C{cancel} of a call due before all others (it goes to the top of the
    heap and is removed from there: the O(log n) path), the same at a random
    time, C{reset} of a pending call to a random time and, on the clock, a
    call scheduled and fired by C{advance}; on the reactor the call is taken
    into the heap (C{timeout()}) before it is cancelled, as a reactor
    iteration does;
  - check that the cost grows like log n: from the smallest size to the
    largest, each operation may cost at most C{GROWTH_LIMIT} times as much.
    log n grows 1.75 times from 10**4 to 10**7, an O(n) operation would cost
    1000 times as much; the limit leaves room for memory latency, which
    wall-clock time cannot tell from work: at 10**4 timers everything is in
    cache, at 10**7 (1.5 GB) touching a random call, and each level of the
    heap below the cache, is a cache and TLB miss.  A last column, C{touch},
    reads a random pending call and nothing else, to show that share;

then, with 10**4 timers pending, runs C{--cycles} (10**7) schedule/cancel
cycles and samples the resident memory every tenth of them: it must stay
flat (grow less than C{FLAT_LIMIT}).

Twisted's own classes are not run here: at 10**5 pending timers its C{Clock}
takes ~50 ms per operation (see C{python -m twisted_fast.bench}).  Needs the
C extension and Linux (C{/proc/self/statm}).  Exit status 1 when a check
fails.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

#: How many times as much an operation may cost at the largest size as at the
#: smallest (see the module docstring).
GROWTH_LIMIT = 20.0

#: The operation that only reads a random pending call: how much of the
#: others' growth is memory latency, not heap work (not checked).
TOUCH = "touch (random call)"

#: How much the resident set may grow over the schedule/cancel cycles.
FLAT_LIMIT = 16 * 1024 * 1024

#: Pending timers are due this far ahead (seconds), at random within a span
#: as wide, so that none fires and the timed calls never run.
FAR = 1e6

#: Timed operations per round, and rounds per operation.
OPERATIONS = 100_000
ROUNDS = 5

TARGETS = ("clock", "reactor")


def rss() -> int:
    """
    The resident set size of this process, in bytes.
    """
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def noop() -> None:
    """
    What the timers call.
    """


class Target:
    """
    One timer owner under test: schedule, take in, advance.
    """

    def __init__(self, name: str) -> None:
        from twisted_fast import _compat

        if not _compat.ACCELERATED:
            raise SystemExit("the C extension is not in use: nothing to measure")
        self.name = name
        self.speedups = _compat.speedups
        self.reactor: Any = None
        if name == "clock":
            self.clock = _compat.speedups.Clock()
            self.callLater = self.clock.callLater
            self.owner = self.clock
        else:
            from twisted_fast.reactor import FastEPollReactor

            self.reactor = FastEPollReactor()
            self.callLater = self.reactor.callLater
            self.owner = self.reactor._timers

    def takeIn(self) -> None:
        """
        Move new calls into the heap (the reactor's C{timeout()}).
        """
        if self.reactor is not None:
            self.reactor.timeout()

    def check(self) -> bool:
        """
        The heap's invariants hold.
        """
        return bool(self.speedups._check_heap(self.owner) == -1)

    def pending(self) -> int:
        """
        How many calls are pending (counted by the C heap, not listed).
        """
        source = self.clock if self.reactor is None else self.reactor
        return len(source.getDelayedCalls())

    def close(self) -> None:
        """
        Close what a reactor opened.
        """
        if self.reactor is not None:
            self.reactor._uninstallHandler()
            for reader in list(self.reactor._internalReaders):
                self.reactor.removeReader(reader)
                reader.connectionLost(None)
            self.reactor._poller.close()


def fill(target: Target, n: int, rng: random.Random) -> list[Any]:
    """
    Schedule C{n} timers at random far times; keep one in a thousand (and at
    least 1000) as handles for C{reset}.
    """
    callLater = target.callLater
    handles = []
    keepEvery = max(1, min(1000, n // 1000))
    uniform = rng.random
    for i in range(n):
        call = callLater(FAR + FAR * uniform(), noop)
        if i % keepEvery == 0:
            handles.append(call)
    del call
    target.takeIn()
    return handles


def timeRounds(operation: Callable[[int], None], count: int, rounds: int) -> float:
    """
    The median over C{rounds} of the time per operation, in nanoseconds.
    """
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        operation(count)
        samples.append((time.perf_counter_ns() - start) / count)
    return statistics.median(samples)


def operations(
    target: Target, handles: list[Any], rng: random.Random
) -> dict[str, Callable[[int], None]]:
    """
    The timed operations on C{target}, each a function of a repeat count.
    """
    callLater = target.callLater
    takeIn = target.takeIn
    delays = [FAR + FAR * rng.random() for _ in range(4096)]
    resets = [FAR + FAR * rng.random() for _ in range(4096)]

    def earliest(count: int) -> None:
        if target.reactor is None:
            for _ in range(count):
                callLater(0.5, noop).cancel()
        else:
            for _ in range(count):
                call = callLater(0.5, noop)
                takeIn()
                call.cancel()

    def random_(count: int) -> None:
        if target.reactor is None:
            for i in range(count):
                callLater(delays[i & 4095], noop).cancel()
        else:
            for i in range(count):
                call = callLater(delays[i & 4095], noop)
                takeIn()
                call.cancel()

    def reset(count: int) -> None:
        size = len(handles)
        for i in range(count):
            handles[(i * 7919) % size].reset(resets[i & 4095])

    def touch(count: int) -> None:
        size = len(handles)
        for i in range(count):
            handles[(i * 7919) % size].getTime()

    found: dict[str, Callable[[int], None]] = {
        "schedule+cancel (earliest)": earliest,
        "schedule+cancel (random)": random_,
        "reset (random)": reset,
    }
    if target.reactor is None:
        advance = target.clock.advance

        def fire(count: int) -> None:
            for _ in range(count):
                callLater(0, noop)
                advance(0)

        found["schedule+fire"] = fire
    found[TOUCH] = touch
    return found


def measureSize(name: str, n: int, operationsCount: int, rounds: int) -> dict[str, Any]:
    """
    Fill a fresh target with C{n} timers; measure memory and operations.
    """
    rng = random.Random(n)
    gc.collect()
    before = rss()
    target = Target(name)
    started = time.perf_counter()
    handles = fill(target, n, rng)
    filled = time.perf_counter() - started
    gc.collect()
    after = rss()
    result: dict[str, Any] = {
        "target": name,
        "pending": n,
        "fill_seconds": round(filled, 2),
        "rss_bytes": after - before,
        "rss_per_timer": (after - before) / n,
        "heap_sound": target.check(),
        "ns_per_op": {},
    }
    for label, operation in operations(target, handles, rng).items():
        operation(min(operationsCount, 10_000))  # warm up
        result["ns_per_op"][label] = timeRounds(operation, operationsCount, rounds)
    result["heap_sound"] = result["heap_sound"] and target.check()
    result["pending_after"] = target.pending()
    target.close()
    return result


def measureFlat(name: str, cycles: int) -> dict[str, Any]:
    """
    With 10**4 timers pending, run C{cycles} schedule/cancel cycles, sampling
    the resident set size every tenth of them.
    """
    target = Target(name)
    rng = random.Random(7)
    fill(target, 10_000, rng)
    callLater = target.callLater
    arg = object()
    step = max(1, cycles // 10)
    # A first tenth to reach a steady state (free lists, arenas).
    for _ in range(step):
        callLater(5.0, noop, arg, k=arg).cancel()
    gc.collect()
    samples = [rss()]
    started = time.perf_counter()
    done = 0
    while done < cycles:
        for _ in range(step):
            callLater(5.0, noop, arg, k=arg).cancel()
        done += step
        samples.append(rss())
    seconds = time.perf_counter() - started
    gc.collect()
    samples.append(rss())
    result = {
        "target": name,
        "cycles": done,
        "seconds": round(seconds, 2),
        "rss_start": samples[0],
        "rss_end": samples[-1],
        "rss_max_growth": max(samples) - samples[0],
        "pending_after": target.pending(),
        "heap_sound": target.check(),
    }
    target.close()
    return result


# --- the parent: a child process per measurement, then the report -------------------


def runChild(*args: str) -> dict[str, Any]:
    """
    Run one measurement in a fresh interpreter (clean memory figures).
    """
    process = subprocess.run(
        [sys.executable, "-m", "twisted_fast.bench.scale", "--child", *args],
        capture_output=True, text=True,
    )
    if process.returncode != 0:
        sys.stderr.write(process.stdout + process.stderr)
        raise SystemExit(f"measurement {args} failed")
    return json.loads(process.stdout.strip().splitlines()[-1])


def mib(n: float) -> str:
    """
    C{n} bytes in MiB, for people.
    """
    return f"{n / 1024 / 1024:.1f} MiB"


def report(sizes: list[dict[str, Any]], flats: list[dict[str, Any]]) -> bool:
    """
    Print the tables and the checks; return whether every check passed.
    """
    ok = True
    print("twisted-fast scale: C Clock and the fast reactor's TimerQueue")
    print(f"(ns per operation, median of {ROUNDS} rounds; RSS per pending timer)\n")
    for name in TARGETS:
        rows = [r for r in sizes if r["target"] == name]
        if not rows:
            continue
        labels = list(rows[0]["ns_per_op"])
        header = ["pending", "fill", "RSS/timer"] + labels + ["heap"]
        table = [header]
        for r in rows:
            table.append(
                [f"{r['pending']:,}", f"{r['fill_seconds']}s", f"{r['rss_per_timer']:.0f} B"]
                + [f"{r['ns_per_op'][label]:.0f}" for label in labels]
                + ["ok" if r["heap_sound"] else "BROKEN"]
            )
            ok = ok and r["heap_sound"]
        first, last = rows[0], rows[-1]
        growth = ["growth", "", ""] + [
            f"x{last['ns_per_op'][label] / first['ns_per_op'][label]:.2f}" for label in labels
        ] + [""]
        table.append(growth)
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        print(f"{name}:")
        for row in table:
            print("  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths)))
        if first is not last:
            import math

            logRatio = math.log(last["pending"]) / math.log(first["pending"])
            worst = max(
                last["ns_per_op"][label] / first["ns_per_op"][label]
                for label in labels
                if label != TOUCH
            )
            passed = worst <= GROWTH_LIMIT
            ok = ok and passed
            print(
                f"  O(log n): {first['pending']:,} -> {last['pending']:,} pending, worst"
                f" growth x{worst:.2f} (log n: x{logRatio:.2f}; linear:"
                f" x{last['pending'] / first['pending']:,.0f}); limit x{GROWTH_LIMIT:g}:"
                f" {'PASS' if passed else 'FAIL'}"
            )
        print()
    for f in flats:
        passed = f["rss_max_growth"] < FLAT_LIMIT and f["heap_sound"]
        ok = ok and passed
        print(
            f"{f['target']}: {f['cycles']:,} schedule/cancel cycles with 10,000 pending in"
            f" {f['seconds']}s ({f['seconds'] / f['cycles'] * 1e9:.0f} ns each): RSS"
            f" {mib(f['rss_start'])} -> {mib(f['rss_end'])}, largest growth"
            f" {mib(f['rss_max_growth'])} (limit {mib(FLAT_LIMIT)}):"
            f" {'PASS' if passed else 'FAIL'}"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    """
    Measure each target at each size, then the cycles; print the report.
    """
    parser = argparse.ArgumentParser(
        prog="python -m twisted_fast.bench.scale",
        description="The C timer heaps with up to 10**7 pending timers.",
    )
    parser.add_argument(
        "--sizes", help="pending timer counts (default 10000,1000000,10000000)"
    )
    parser.add_argument("--cycles", type=int, help="schedule/cancel cycles (default 10**7)")
    parser.add_argument("--quick", action="store_true",
                        help="sizes 10**4, 10**5, 10**6 and 10**6 cycles")
    parser.add_argument("--only", choices=TARGETS, help="measure one target")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        kind, name, count = options.child
        if kind == "size":
            result = measureSize(name, int(count), OPERATIONS, ROUNDS)
        else:
            result = measureFlat(name, int(count))
        print(json.dumps(result))
        return 0
    default = "10000,100000,1000000" if options.quick else "10000,1000000,10000000"
    sizes = [int(float(s)) for s in (options.sizes or default).split(",")]
    cycles = options.cycles or (10**6 if options.quick else 10**7)
    targets = [options.only] if options.only else list(TARGETS)
    results, flats = [], []
    for name in targets:
        for n in sizes:
            print(f"{name}: {n:,} pending ...", file=sys.stderr, flush=True)
            results.append(runChild("size", name, str(n)))
        print(f"{name}: {cycles:,} cycles ...", file=sys.stderr, flush=True)
        flats.append(runChild("flat", name, str(cycles)))
    ok = report(results, flats)
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"sizes": results, "flat": flats, "ok": ok}, out, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
