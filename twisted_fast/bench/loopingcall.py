"""
Workloads for C{LoopingCall}: twisted-fast's (a C tick listed before
Twisted's class) against Twisted's own, each on its own side's clock or
reactor: the fast C{LoopingCall} on the fast C{Clock} or
L{twisted_fast.reactor.FastEPollReactor}, Twisted's on Twisted's C{Clock} or
C{EPollReactor}.

The reactors are fresh instances (see L{twisted_fast.bench.reactor}), driven
by L{runUntil}: C{ReactorBase.mainLoop}'s loop body, with its real
C{epoll_wait}.
"""

from __future__ import annotations

import itertools
import statistics
from time import perf_counter_ns, process_time
from typing import Any

from twisted_fast import _compat
from twisted_fast.bench._registry import (
    Implementation,
    Runner,
    Target,
    Workload,
    register,
)
from twisted_fast.bench.reactor import (
    _withRunnerClose,
    closeReactor,
    iterate,
    newReactor,
    runUntil,
)


def loopingCallClass(implementation: Implementation) -> type:
    """
    @return: Twisted's C{LoopingCall}, or the fast one for the C{"fast"}
        side (Twisted's own in fallback mode).
    """
    if implementation.name == "fast":
        return _compat.LoopingCall
    return _compat.TwistedLoopingCall


# --- loopingcall-clock-tick --------------------------------------------------


def setupClockTick(implementation: Implementation, param: int) -> Runner:
    """
    A C{LoopingCall} at interval 1.0 on a C{Clock} of the same side, started
    once (its first tick not counted); one operation is C{clock.advance(1.0)},
    which fires one tick.  C{f} is a C callable (C{count().__next__}), so a
    tick runs no Python frame of its own.

    @return: the runner.
    """
    clock = implementation.clock()
    ticks = itertools.count()
    lc = loopingCallClass(implementation)(ticks.__next__)
    lc.clock = clock
    lc.start(1.0)
    counted = [next(ticks)]  # ticks so far, the next() included

    def run(ops: int) -> float:
        advance = clock.advance
        start = perf_counter_ns()
        for _ in range(ops):
            advance(1.0)
        elapsed = perf_counter_ns() - start
        now = next(ticks)
        if now - counted[0] != ops + 1:
            raise RuntimeError(f"{now - counted[0] - 1} ticks for {ops} advances")
        counted[0] = now
        return elapsed * 1e-9

    return _withRunnerClose(run, lc.stop)


register(
    Workload(
        name="loopingcall-clock-tick",
        title="LoopingCall: tick on a Clock",
        description=(
            "clock.advance(1.0) firing one tick of a LoopingCall(f) at"
            " interval 1.0 (f a C callable): fast LoopingCall on the fast"
            " Clock vs Twisted's on Twisted's Clock."
        ),
        setup=setupClockTick,
        params=(1,),
        paramName="LoopingCalls",
        target=Target("speedup", 10.0, "fast >= 10x Twisted"),
    )
)


# --- loopingcall-reactor-interval0 -------------------------------------------


def setupInterval0(implementation: Implementation, param: int) -> Runner:
    """
    A fresh reactor; one round starts a C{LoopingCall(f)} at interval 0
    (C{now=False}) whose C{f} counts its calls and, at the C{ops}-th, stops
    the C{LoopingCall}; the reactor runs (L{runUntil}) until then.  Each tick
    is one reactor iteration: C{runUntilCurrent()} fires the call, C{f}
    schedules the next at delay 0, C{doIteration(0)} polls.  One operation is
    one tick.

    @return: the runner.
    """
    reactor = newReactor(implementation)
    LoopingCall = loopingCallClass(implementation)

    def run(ops: int) -> float:
        count = [0]
        done: list[None] = []

        def f() -> None:
            count[0] += 1
            if count[0] == ops:
                lc.stop()
                done.append(None)

        lc = LoopingCall(f)
        lc.clock = reactor
        start = perf_counter_ns()
        lc.start(0, now=False)
        runUntil(reactor, done.__len__)
        elapsed = perf_counter_ns() - start
        if count[0] != ops:
            raise RuntimeError(f"{count[0]} ticks, {ops} wanted")
        return elapsed * 1e-9

    return _withRunnerClose(run, lambda: closeReactor(reactor))


register(
    Workload(
        name="loopingcall-reactor-interval0",
        title="LoopingCall: interval 0 on the reactor",
        description=(
            "A LoopingCall(f) at interval 0 on a real reactor, f counting and"
            " stopping it at the N-th tick; one tick per reactor iteration"
            " (runUntilCurrent, timeout, doIteration with its epoll_wait)."
            " Fast LoopingCall on the fast reactor vs Twisted's on"
            " EPollReactor. Per tick."
        ),
        setup=setupInterval0,
        params=(1,),
        paramName="LoopingCalls",
        target=Target("speedup", 3.0, "fast >= 3x Twisted"),
    )
)


# --- loopingcall-reactor-2000 ------------------------------------------------

#: LoopingCalls in loopingcall-reactor-2000.
MANY = 2000
#: Their interval, in seconds.
INTERVAL = 0.001

#: How many quantiles of the tick lateness setupMany's info() reports (as
#: C{lateness_q000_s} ... C{lateness_q100_s}), for the lateness plot.
QUANTILES = 100


def _percentile(ordered: list[float], fraction: float) -> float:
    """
    @param ordered: sorted values.
    @return: the value at C{fraction} of the way (nearest rank).
    """
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def latenessQuantileName(q: int) -> str:
    """
    @return: the name under which setupMany's C{info()} gives the C{q}-th of
        L{QUANTILES} quantiles of the tick lateness, pooled over the rounds.
    """
    return f"lateness_q{q:03d}_s"


def lateness(starttime: float, interval: float, times: list[float]) -> list[float]:
    """
    How late each tick of a C{LoopingCall} (started with C{now=False}) fired
    after its slot, C{starttime + k * interval}.

    The first tick's slot is C{starttime + interval}; each next slot is the
    first one after the previous tick, as C{_scheduleFrom} computes it from
    the time it reads just after C{f} returns (slots missed while late are
    skipped, not counted).  C{times} are read inside C{f}, a moment before:
    when a slot boundary falls in between (a microsecond or so of every
    interval), the next slot is taken one interval early and that tick one
    interval later than it was.

    @param starttime: the C{LoopingCall}'s C{starttime}.
    @param interval: its interval.
    @param times: when C{f} ran, in order.
    @return: the lateness of each tick, in seconds.
    """
    late = []
    slot = starttime + interval
    for t in times:
        late.append(t - slot)
        slot = starttime + interval * ((t - starttime) // interval + 1)
    return late


def setupMany(implementation: Implementation, milliseconds: int) -> Runner:
    """
    A fresh reactor; one round starts L{MANY} C{LoopingCall}s at
    L{INTERVAL} (C{now=False}; untimed), runs the reactor (L{runUntil}) for
    C{milliseconds}, then stops them (untimed).  Each C{f} appends
    C{reactor.seconds()} to its own list.  The value of a round is the CPU
    time (C{time.process_time()}) the run took, divided by the number of
    ticks; C{ops} is ignored (a self-timed workload).

    The runner's C{info()} gives, over the rounds, the median of each
    round's median and 99th percentile tick lateness (see L{lateness}),
    ticks per C{LoopingCall} per second, and CPU busy per wall second.

    @return: the runner.
    """
    reactor = newReactor(implementation)
    LoopingCall = loopingCallClass(implementation)
    duration = milliseconds / 1000
    rounds: list[dict[str, float]] = []
    pooled: list[float] = []

    def run(ops: int) -> float:
        seconds = reactor.seconds
        calls = []
        for _ in range(MANY):
            times: list[float] = []
            append = times.append

            def f(append: Any = append) -> None:
                append(seconds())

            lc = LoopingCall(f)
            lc.clock = reactor
            calls.append((lc, times))
        for lc, _ in calls:
            lc.start(INTERVAL, now=False)
        done: list[None] = []
        reactor.callLater(duration, done.append, None)
        wall, cpu = perf_counter_ns(), process_time()
        runUntil(reactor, done.__len__)
        cpu = process_time() - cpu
        wall = (perf_counter_ns() - wall) * 1e-9
        for lc, _ in calls:
            lc.stop()
        iterate(reactor)
        ticks = sum(len(times) for _, times in calls)
        if not ticks:
            raise RuntimeError("no LoopingCall ticked")
        late = sorted(
            x
            for lc, times in calls
            for x in lateness(lc.starttime, INTERVAL, times)
        )
        pooled.extend(late)
        rounds.append(
            {
                "lateness_median_s": _percentile(late, 0.5),
                "lateness_p99_s": _percentile(late, 0.99),
                "ticks_per_LoopingCall_per_second": ticks / MANY / wall,
                "CPU_per_wall_second": cpu / wall,
            }
        )
        return cpu / ticks

    def info() -> dict[str, float]:
        summary = {
            name: statistics.median(r[name] for r in rounds) for name in rounds[0]
        }
        ordered = sorted(pooled)
        for q in range(QUANTILES + 1):
            summary[latenessQuantileName(q)] = _percentile(ordered, q / QUANTILES)
        return summary

    run.info = info  # type: ignore[attr-defined]
    return _withRunnerClose(run, lambda: closeReactor(reactor))


register(
    Workload(
        name="loopingcall-reactor-2000",
        title="2000 LoopingCalls at 1 ms: CPU per tick",
        description=(
            f"{MANY} LoopingCalls at {INTERVAL * 1000:g} ms on a real reactor,"
            " run for the parameter's milliseconds per round (f appends"
            " reactor.seconds() to a list): CPU time (process_time) per tick."
            " Fast LoopingCall on the fast reactor vs Twisted's on"
            " EPollReactor. Also reported, not judged: median and p99 lateness"
            " of a tick after its slot (starttime + k * interval), ticks per"
            " LoopingCall per second (1000 when keeping up), CPU busy per wall"
            " second."
        ),
        setup=setupMany,
        params=(1000,),
        quickParams=(250,),
        paramName="ms per round",
        selfTimed=True,
        target=Target("speedup", 4.0, "fast >= 4x less CPU per tick"),
    )
)
