"""
Workloads for C{task.Clock} and C{DelayedCall}.

Twisted's C{Clock} keeps a list that it re-sorts on every C{callLater} and
after every call C{advance} runs: O(n) per operation.  Filling it with
hundreds of thousands of timers through C{callLater} would take hours, so
L{schedule} builds Twisted's pending calls in one pass instead (the very
objects C{callLater} would build) and sorts once.

Deadlines and delays come from a seeded generator: every run, and both sides
of a run, see the same numbers.
"""

from __future__ import annotations

import gc
import itertools
import math
import os
import random
import sys
from itertools import cycle, islice
from time import perf_counter_ns
from typing import Any, Callable

from twisted_fast import _compat
from twisted_fast.bench._registry import (
    Implementation,
    Runner,
    Target,
    Workload,
    inSubprocess,
    register,
)

SEED = 12143
#: Deadlines and delays are spread over this many (fake) seconds.
HORIZON = 1000.0
#: Operations cycle through this many pre-drawn delays.
DELAYS = 65536


def _never() -> None:
    """
    The callable of timers that must not fire.
    """
    raise AssertionError("this timer should never fire")


def schedule(clock: Any, delays: list[float], f: Callable[[], object]) -> None:
    """
    Do C{clock.callLater(delay, f)} for each of C{delays}.

    For Twisted's C{Clock}, build exactly the C{DelayedCall}s its C{callLater}
    builds (same arguments, same fresh C{kw} dict and lambda), append them,
    and sort once: same state and same memory, without the O(n) sort per call.

    @param clock: a C{Clock} of either implementation.
    @param delays: seconds from now, one per timer.
    @param f: the callable to schedule.
    """
    if getattr(type(clock), "callLater", None) is not _compat.TwistedClock.callLater:
        callLater = clock.callLater
        for delay in delays:
            callLater(delay, f)
        return
    calls = clock.calls
    now = clock.seconds()
    DelayedCall = _compat.TwistedDelayedCall
    for delay in delays:
        calls.append(
            DelayedCall(
                now + delay, f, (), {}, calls.remove, lambda c: None, clock.seconds
            )
        )
    clock._sortCalls()


def _uniform(rng: random.Random, n: int) -> list[float]:
    """
    @return: C{n} delays drawn uniformly from [0, L{HORIZON}).
    """
    return [rng.random() * HORIZON for _ in range(n)]


def _steadyState(rng: random.Random, n: int) -> list[float]:
    """
    Draw the deadlines that C{n} pending timers have in the steady state of
    L{setupScheduleAdvance}: new delays are uniform on [0, H), so a timer is
    still pending t seconds ahead with probability 1 - t/H, and the density
    of deadlines falls linearly from now to H (inverse-CDF sampling).

    @return: C{n} delays.
    """
    return [HORIZON * (1.0 - math.sqrt(1.0 - rng.random())) for _ in range(n)]


def setupScheduleCancel(implementation: Implementation, pending: int) -> Runner:
    """
    A clock with C{pending} timers; one operation schedules a timer at a
    random delay and cancels it, so the clock returns to the same state.

    @return: the runner.
    """
    rng = random.Random(SEED)
    clock = implementation.clock()
    schedule(clock, _uniform(rng, pending), _never)
    delays = _uniform(rng, DELAYS)

    def run(ops: int) -> float:
        callLater, f = clock.callLater, _never
        start = perf_counter_ns()
        for delay in islice(cycle(delays), ops):
            d = callLater(delay, f)
            d.cancel()
        return (perf_counter_ns() - start) * 1e-9

    return run


def floorAppendPop(param: int) -> Runner:
    """
    The floor for L{setupScheduleCancel}: two empty C method calls from
    Python, in the same loop.

    @return: the runner.
    """
    delays = _uniform(random.Random(SEED), DELAYS)

    def run(ops: int) -> float:
        lst: list[float] = []
        start = perf_counter_ns()
        for x in islice(cycle(delays), ops):
            lst.append(x)
            lst.pop()
        return (perf_counter_ns() - start) * 1e-9

    return run


def setupScheduleAdvance(implementation: Implementation, pending: int) -> Runner:
    """
    A clock with C{pending} timers at random deadlines; one operation
    schedules a timer at a random delay (uniform on [0, H)) and advances the
    clock by H / (2 C{pending}), which fires one timer on average and keeps
    about C{pending} timers pending (see L{_steadyState}).

    @return: the runner.
    """
    rng = random.Random(SEED)
    clock = implementation.clock()
    fired = itertools.count()
    f = fired.__next__  # a C callable: firing costs no Python frame
    schedule(clock, _steadyState(rng, pending), f)
    delays = _uniform(rng, DELAYS)
    step = HORIZON / (2 * max(pending, 1))

    def run(ops: int) -> float:
        callLater, advance = clock.callLater, clock.advance
        start = perf_counter_ns()
        for delay in islice(cycle(delays), ops):
            callLater(delay, f)
            advance(step)
        return (perf_counter_ns() - start) * 1e-9

    return run


def _rss() -> int:
    """
    @return: the resident set size in bytes (the peak where C{/proc} is
        missing).
    """
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def memoryPerTimer(implementation: Implementation, pending: int) -> float:
    """
    Run in a fresh interpreter (see L{inSubprocess}): RSS growth per timer
    over C{pending} calls to C{clock.callLater(delay, f)}.

    @return: bytes per pending timer.
    """
    delays = _uniform(random.Random(SEED), pending)
    clock = implementation.clock()
    gc.collect()
    before = _rss()
    schedule(clock, delays, _never)
    gc.collect()
    grown = _rss() - before
    del clock
    return grown / pending


register(
    Workload(
        name="clock-schedule-cancel",
        title="Clock: callLater + cancel",
        description=(
            "d = clock.callLater(delay, f); d.cancel() with N timers already"
            " pending (random delays). Floor: lst.append(x); lst.pop()."
        ),
        setup=setupScheduleCancel,
        params=(0, 1_000, 10_000, 100_000),
        quickParams=(0, 1_000, 10_000),
        floor=floorAppendPop,
        floorName="append+pop",
        target=Target("floor", 3.0, "fast <= 3x floor"),
    )
)

register(
    Workload(
        name="clock-schedule-advance",
        title="Clock: callLater + advance, one fires",
        description=(
            "callLater(random delay, f) then advance() firing one timer on"
            " average, with 20k timers pending at random deadlines."
        ),
        setup=setupScheduleAdvance,
        params=(20_000,),
        target=Target("speedup", 1000.0, "fast >= 1000x Twisted", 20_000),
    )
)

register(
    Workload(
        name="clock-scaling",
        title="Clock: callLater + advance, one fires",
        description=(
            "Cost of one callLater + advance (as clock-schedule-advance) as N"
            " grows; pure Python only up to 10k (O(n) per operation)."
        ),
        setup=setupScheduleAdvance,
        params=(1_000, 10_000, 100_000, 1_000_000),
        quickParams=(1_000, 10_000, 100_000),
        pythonMaxParam=10_000,
        target=Target("growth", 3.0, "cost(max N)/cost(1k) <= 3x"),
    )
)

register(
    Workload(
        name="clock-memory",
        title="Clock: memory per pending timer",
        description=(
            "RSS growth per pending timer over N clock.callLater(delay, f),"
            " each side in a fresh interpreter. Twisted's DelayedCalls are"
            " built as its callLater builds them but sorted once, not per"
            " call (same memory, without O(n^2 log n) time)."
        ),
        setup=inSubprocess(memoryPerTimer),
        params=(500_000,),
        quickParams=(100_000,),
        unit="B",
        maxRounds=3,  # ~4 s per Twisted round; RSS deltas vary by < 1%
    )
)
