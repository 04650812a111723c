"""
Workloads for the fast reactor: L{twisted_fast.reactor.FastEPollReactor}
(Twisted's C{EPollReactor} with its timed calls on a C heap) against Twisted's
own C{twisted.internet.epollreactor.EPollReactor}, and uvloop for one of them.

Every setup makes fresh reactor instances (no global reactor is installed)
and drives them by hand, as C{ReactorBase.mainLoop} does: one I{iteration} is
L{iterate}, that is C{runUntilCurrent()}, C{timeout()} and a real
C{doIteration(0)} (an C{epoll_wait} that does not sleep).  Twisted takes the
calls made since the last iteration into its heap in C{timeout()} and
C{runUntilCurrent()} (C{_insertNewDelayedCalls}), and drops cancelled ones
there: that deferred work is part of what an operation costs, so the
workloads that model a running reactor iterate between batches.

Workloads that run on the real clock schedule timers at least L{HORIZON}
seconds ahead, so that none can fire during a run.  Those that must move time
replace the reactor's C{seconds} on the instance with a L{FakeTime}, which
both reactors read for C{callLater}, C{reset} and C{runUntilCurrent}.

Deadlines, delays and choices come from seeded generators: every run, and
every side of a run, sees the same numbers.
"""

from __future__ import annotations

import gc
import importlib.util
import operator
import random
import sys
from functools import partial
from itertools import cycle, islice
from time import perf_counter_ns
from typing import Any, Callable

from twisted_fast.bench._registry import (
    INSTALL_HINT,
    Implementation,
    Reference,
    Runner,
    Target,
    Workload,
    inSubprocess,
    register,
)
from twisted_fast.bench.clock import HORIZON, SEED, _never, _rss

#: Operations between two reactor iterations in the steady workloads.
BATCH = 100
#: Operations cycle through this many pre-drawn delays (a multiple of BATCH).
DELAYS = 65500
#: Where fake clocks start (a time.time()-sized number: same rounding).
EPOCH = 1.7e9


def reactorClass(implementation: Implementation) -> type:
    """
    @return: Twisted's C{EPollReactor}, or the fast one for the C{"fast"}
        side (Twisted's own in fallback mode, like the other fast classes).
    @raise RuntimeError: where epoll is missing.
    """
    try:
        from twisted.internet.epollreactor import EPollReactor

        from twisted_fast.reactor import FastEPollReactor
    except ImportError as e:
        raise RuntimeError(f"the reactor workloads need epoll (Linux): {e}") from e
    return FastEPollReactor if implementation.name == "fast" else EPollReactor


def newReactor(implementation: Implementation) -> Any:
    """
    @return: a fresh, not installed, not running reactor of C{implementation}.
    """
    return reactorClass(implementation)()


def closeReactor(reactor: Any) -> None:
    """
    Release a reactor made by L{newReactor}: its waker's descriptors and its
    epoll descriptor (as Twisted's C{ReactorBuilder} does for its waker), and
    its pending calls.
    """
    for call in reactor.getDelayedCalls():
        call.cancel()
    reactor.runUntilCurrent()
    reactor.timeout()
    for reader in list(reactor._internalReaders):
        reactor.removeReader(reader)
        reader.connectionLost(None)
    reactor._internalReaders.clear()
    reactor.waker = None
    reactor._poller.close()


def iterate(reactor: Any) -> None:
    """
    One reactor iteration, as C{ReactorBase.mainLoop} runs it, without
    sleeping.  The runners inline these three calls.
    """
    reactor.runUntilCurrent()
    reactor.timeout()
    reactor.doIteration(0)


def runUntil(reactor: Any, finished: Callable[[], object]) -> None:
    """
    Run C{reactor} as C{ReactorBase.mainLoop} does (C{runUntilCurrent()},
    then C{doIteration(timeout())}: an C{epoll_wait} that sleeps until the
    next timed call is due) until C{finished()} is true, checked after each
    C{runUntilCurrent()}.

    @raise RuntimeError: if the reactor has nothing left to run (it would
        sleep for ever).
    """
    runUntilCurrent, timeout = reactor.runUntilCurrent, reactor.timeout
    doIteration = reactor.doIteration
    while True:
        runUntilCurrent()
        if finished():
            return
        t = timeout()
        if t is None:
            raise RuntimeError("the reactor has nothing left to run")
        doIteration(t)


class FakeTime:
    """
    A time that only moves when told, for a reactor's C{seconds}: calling
    L{seconds} runs no Python frame (it is C{operator.getitem(box, 0)}), so it
    costs both reactors the same little.

    @ivar box: C{[now]}; runners move time with C{box[0] += step}.
    @ivar seconds: the callable to put on the reactor.
    """

    def __init__(self, now: float = EPOCH) -> None:
        self.box = [now]
        self.seconds: Callable[[], float] = partial(operator.getitem, self.box, 0)

    def install(self, reactor: Any) -> None:
        """
        Make C{reactor} read this time (its instance's C{seconds}).
        """
        reactor.seconds = self.seconds


class FireCounter:
    """
    A callable for timers that may fire: records each call without running a
    Python frame (C{partial(list.append, fired, None)}).
    """

    def __init__(self) -> None:
        self.fired: list[None] = []
        self.call = partial(self.fired.append, None)

    def take(self) -> int:
        """
        @return: how many calls were made since the last L{take}.
        """
        count = len(self.fired)
        self.fired.clear()
        return count


def _far(rng: random.Random, n: int) -> list[float]:
    """
    @return: C{n} delays uniform on [L{HORIZON}, 2 L{HORIZON}): far enough
        that no timer fires during a run on the real clock.
    """
    return [HORIZON + rng.random() * HORIZON for _ in range(n)]


def _uniform(rng: random.Random, n: int) -> list[float]:
    """
    @return: C{n} delays uniform on [0, L{HORIZON}).
    """
    return [rng.random() * HORIZON for _ in range(n)]


def _batches(values: list[Any], size: int) -> list[list[Any]]:
    """
    @return: C{values} cut into lists of C{size} (the last ones dropped).
    """
    return [values[i : i + size] for i in range(0, len(values) - size + 1, size)]


def _withRunnerClose(run: Runner, close: Callable[[], object]) -> Runner:
    run.close = close  # type: ignore[attr-defined]
    return run


# --- reactor-schedule-cancel-steady ------------------------------------------


def setupSteady(implementation: Implementation, pending: int) -> Runner:
    """
    A reactor (real clock) with C{pending} timers; one operation is
    C{d = reactor.callLater(delay, f); d.cancel()}, and after every L{BATCH}
    operations the reactor iterates (L{iterate}).

    @return: the runner (operations: a multiple of L{BATCH}).
    """
    rng = random.Random(SEED)
    reactor = newReactor(implementation)
    for delay in _far(rng, pending):
        reactor.callLater(delay, _never)
    iterate(reactor)
    batches = _batches(_far(rng, DELAYS), BATCH)

    def run(ops: int) -> float:
        callLater, f = reactor.callLater, _never
        runUntilCurrent, timeout = reactor.runUntilCurrent, reactor.timeout
        doIteration = reactor.doIteration
        start = perf_counter_ns()
        for batch in islice(cycle(batches), ops // BATCH):
            for delay in batch:
                d = callLater(delay, f)
                d.cancel()
            runUntilCurrent()
            timeout()
            doIteration(0)
        return (perf_counter_ns() - start) * 1e-9

    return _withRunnerClose(run, lambda: closeReactor(reactor))


def floorSteady(pending: int) -> Runner:
    """
    The floor for L{setupSteady}: C{lst.append(x); lst.pop()} in the same
    batched loop, with no iteration.

    @return: the runner.
    """
    batches = _batches(_far(random.Random(SEED), DELAYS), BATCH)

    def run(ops: int) -> float:
        lst: list[float] = []
        start = perf_counter_ns()
        for batch in islice(cycle(batches), ops // BATCH):
            for x in batch:
                lst.append(x)
                lst.pop()
        return (perf_counter_ns() - start) * 1e-9

    return run


def _uvloopMissing() -> str | None:
    """
    Look for uvloop without importing it: the harness asks before the first
    workload runs, and an import there would load it (and asyncio) into every
    workload's process state, as numpy once did to the floors.

    @return: why the uvloop side cannot run, or C{None}.
    """
    if sys.platform == "win32":
        return "uvloop does not run on Windows"
    if importlib.util.find_spec("uvloop") is None:
        return f"uvloop is not installed ({INSTALL_HINT})"
    return None


def uvloopSteady(pending: int) -> Runner:
    """
    The same shape on a uvloop loop: C{h = loop.call_later(delay, f);
    h.cancel()}, L{BATCH} times per loop iteration.

    uvloop has no public way to run one iteration from outside, and both
    C{run_until_complete(sleep(0))} and C{call_soon(stop); run_forever()} pay
    ~25 us per call to set up and tear down a run (signal wake-up fd, asyncgen
    hooks), which a running loop never pays.  So the runner does what a
    running loop does: one C{run_forever()} per round, in which a callback
    runs one batch and re-arms itself with C{call_soon}, so that each batch
    is followed by one real libuv iteration (timers, ready callbacks, an
    C{epoll_wait} that does not sleep, handle closing), the counterpart of
    L{iterate}.

    @return: the runner.
    """
    import uvloop

    rng = random.Random(SEED)
    loop = uvloop.new_event_loop()
    # Debug mode (python -X dev, PYTHONASYNCIODEBUG) costs uvloop ~30 us per
    # call_later; Twisted's DelayedCall.debug stays off too.
    loop.set_debug(False)
    for delay in _far(rng, pending):
        loop.call_later(delay, _never)
    batches = _batches(_far(rng, DELAYS), BATCH)

    def run(ops: int) -> float:
        callLater, callSoon, f = loop.call_later, loop.call_soon, _never
        todo = islice(cycle(batches), ops // BATCH)

        def step() -> None:
            batch = next(todo, None)
            if batch is None:
                loop.stop()
                return
            for delay in batch:
                h = callLater(delay, f)
                h.cancel()
            callSoon(step)

        callSoon(step)
        start = perf_counter_ns()
        loop.run_forever()
        return (perf_counter_ns() - start) * 1e-9

    return _withRunnerClose(run, loop.close)


register(
    Workload(
        name="reactor-schedule-cancel-steady",
        title="reactor: callLater + cancel, steady",
        description=(
            "d = reactor.callLater(delay, f); d.cancel() on a real clock with N"
            " timers pending, and a reactor iteration (runUntilCurrent(),"
            " timeout(), doIteration(0)) every 100 operations, as a running"
            " reactor does. Floor: lst.append(x); lst.pop() in the same loop."
            " uvloop: loop.call_later + handle.cancel(), 100 per real loop"
            " iteration, driven from inside one run_forever() per round."
        ),
        setup=setupSteady,
        params=(0, 10_000, 100_000),
        quickParams=(0, 10_000),
        floor=floorSteady,
        floorName="append+pop",
        references=(
            Reference(
                "uvloop",
                "call_later+cancel",
                uvloopSteady,
                _uvloopMissing,
            ),
        ),
        target=Target("speedup", 8.0, "fast >= 8x Twisted", 10_000),
        targets=(
            Target("floor", 2.5, "fast <= 2.5x floor", 10_000),
            Target(
                "reference", 5.0, "fast >= 5x uvloop", 10_000, reference="uvloop"
            ),
        ),
        opsStep=BATCH,
    )
)


# --- reactor-schedule-cancel-burst -------------------------------------------


def setupBurst(implementation: Implementation, size: int) -> Runner:
    """
    A reactor (real clock, nothing pending); one burst is C{size} calls to
    C{callLater(delay, f)}, then C{cancel()} on each, with no iteration in
    between, then one iteration (where Twisted drops the cancelled calls) and
    the release of the calls.  One operation is one callLater + cancel.

    @return: the runner (operations: a multiple of C{size}).
    """
    reactor = newReactor(implementation)
    delays = _far(random.Random(SEED), size)

    def run(ops: int) -> float:
        callLater, f = reactor.callLater, _never
        runUntilCurrent, timeout = reactor.runUntilCurrent, reactor.timeout
        doIteration = reactor.doIteration
        start = perf_counter_ns()
        for _ in range(ops // size):
            calls = []
            append = calls.append
            for delay in delays:
                append(callLater(delay, f))
            for call in calls:
                call.cancel()
            runUntilCurrent()
            timeout()
            doIteration(0)
            del calls, append
        return (perf_counter_ns() - start) * 1e-9

    return _withRunnerClose(run, lambda: closeReactor(reactor))


register(
    Workload(
        name="reactor-schedule-cancel-burst",
        title="reactor: callLater + cancel, in a burst",
        description=(
            "N reactor.callLater(delay, f), then cancel() on each, with no"
            " iteration in between; then one iteration and the release of the"
            " calls (counted). Per callLater + cancel."
        ),
        setup=setupBurst,
        params=(100_000,),
        paramName="timers per burst",
        target=Target("speedup", 10.0, "fast >= 10x Twisted"),
        opsStep=100_000,
    )
)


# --- reactor-schedule-fire ---------------------------------------------------


def setupScheduleFire(
    implementation: Implementation, size: int, gcOff: bool = False
) -> Runner:
    """
    A reactor on a L{FakeTime}; one round of C{size} is: C{callLater(delay,
    f)} for C{size} random delays (uniform on [0, L{HORIZON})), then time
    moves on by L{HORIZON} and one C{runUntilCurrent()} fires them all.  One
    operation is one timer scheduled and fired.

    @param gcOff: run with the cyclic garbage collector disabled.
    @return: the runner (operations: a multiple of C{size}).
    """
    reactor = newReactor(implementation)
    time = FakeTime()
    time.install(reactor)
    counter = FireCounter()
    delays = _uniform(random.Random(SEED), size)

    def run(ops: int) -> float:
        callLater, f = reactor.callLater, counter.call
        runUntilCurrent, box = reactor.runUntilCurrent, time.box
        enabled = gc.isenabled()
        if gcOff:
            gc.disable()
        try:
            elapsed = 0
            for _ in range(ops // size):
                start = perf_counter_ns()
                for delay in delays:
                    callLater(delay, f)
                box[0] += HORIZON
                runUntilCurrent()
                elapsed += perf_counter_ns() - start
                fired = counter.take()
                if fired != size:
                    raise RuntimeError(f"{fired} of {size} timers fired")
        finally:
            if enabled:
                gc.enable()
        return elapsed * 1e-9

    return _withRunnerClose(run, lambda: closeReactor(reactor))


def setupScheduleFireGCOff(implementation: Implementation, size: int) -> Runner:
    """
    L{setupScheduleFire} with the cyclic garbage collector disabled.
    """
    return setupScheduleFire(implementation, size, gcOff=True)


register(
    Workload(
        name="reactor-schedule-fire",
        title="reactor: timers scheduled, then fired",
        description=(
            "N reactor.callLater(random delay in [0, 1000 s), f), then time"
            " (a fake seconds() on the reactor) moves past them all and one"
            " runUntilCurrent() fires them. Per timer scheduled and fired."
        ),
        setup=setupScheduleFire,
        params=(100_000,),
        paramName="timers per batch",
        target=Target("speedup", 8.0, "fast >= 8x Twisted"),
        opsStep=100_000,
    )
)

register(
    Workload(
        name="reactor-schedule-fire-gc-off",
        title="reactor: timers scheduled, then fired, GC off",
        description=(
            "reactor-schedule-fire with gc.disable() on both sides: the"
            " difference with reactor-schedule-fire is the cyclic GC's share."
        ),
        setup=setupScheduleFireGCOff,
        params=(100_000,),
        paramName="timers per batch",
        opsStep=100_000,
    )
)


# --- reactor-reset-sooner ----------------------------------------------------


def setupResetSooner(implementation: Implementation, pending: int) -> Runner:
    """
    A reactor on a stopped L{FakeTime} with C{pending} timers at random
    deadlines (uniform on [0, L{HORIZON}) ahead), taken into its heap; one
    operation is C{dc.reset(smaller)}: a pending call, chosen at random,
    moves to a random sooner time (its delay times a factor uniform on
    [0.001, 0.999)).  Each call is reset once per pass (a random
    permutation); after a pass the reactor is rebuilt, untimed, so every
    pass starts from the same state.  Twisted finds the call with
    C{heap.index()}: O(N) per operation, so its rounds hold few operations.

    @return: the runner.
    """
    rng = random.Random(SEED)
    delays = _uniform(rng, pending)
    order = list(range(pending))
    rng.shuffle(order)
    newDelays = [delays[i] * (0.001 + 0.998 * rng.random()) for i in order]
    counter = FireCounter()
    state: dict[str, Any] = {"reactor": None, "calls": [], "done": pending}

    def build() -> None:
        if state["reactor"] is not None:
            closeReactor(state["reactor"])
            state["reactor"] = None
        state["calls"] = []
        gc.collect()
        reactor = newReactor(implementation)
        FakeTime().install(reactor)
        calls = [reactor.callLater(delay, counter.call) for delay in delays]
        iterate(reactor)
        state["reactor"] = reactor
        state["calls"] = [calls[i] for i in order]
        state["done"] = 0

    def run(ops: int) -> float:
        elapsed = 0
        while ops:
            if state["done"] == pending:
                build()
            done = state["done"]
            n = min(ops, pending - done)
            work = list(zip(state["calls"][done : done + n], newDelays[done : done + n]))
            start = perf_counter_ns()
            for call, delay in work:
                call.reset(delay)
            elapsed += perf_counter_ns() - start
            state["done"] = done + n
            ops -= n
        if counter.take():
            raise RuntimeError("a timer fired on a stopped clock")
        return elapsed * 1e-9

    def close() -> None:
        if state["reactor"] is not None:
            closeReactor(state["reactor"])
        state.clear()

    return _withRunnerClose(run, close)


register(
    Workload(
        name="reactor-reset-sooner",
        title="reactor: reset sooner",
        description=(
            "dc.reset(smaller delay) on a random pending call among N (stopped"
            " fake clock; each call once per pass, state rebuilt untimed"
            " between passes). Twisted: O(N) heap.index per reset."
        ),
        setup=setupResetSooner,
        params=(100_000,),
        target=Target("speedup", 1000.0, "fast >= 1000x Twisted"),
    )
)


# --- reactor-reset-later -----------------------------------------------------

#: Fake seconds between two operations of reactor-reset-later.
RESET_STEP = 0.001
#: Each call is reset this many times per timeout period.
RESETS_PER_PERIOD = 10
#: Random passes over the calls drawn for reactor-reset-later, then cycled.
RESET_PASSES = 8


def setupResetLater(implementation: Implementation, pending: int) -> Runner:
    """
    The timeout pattern (C{TimeoutMixin.resetTimeout}): C{pending} calls, all
    with the same timeout period; one operation is C{dc.reset(period)} on
    one of them, which is always later than its last deadline.  Calls are
    reset in random passes (each call once per pass), and the reactor (on a
    L{FakeTime}) iterates after every L{BATCH} operations, time moving on by
    L{RESET_STEP} per operation: each call is reset L{RESETS_PER_PERIOD}
    times per period, and none fires.  Twisted defers a later reset: its
    C{runUntilCurrent} re-pushes a call when its old deadline comes (about
    once per period per call); that work is timed with the iterations.  One
    full period is run untimed in setup to reach that steady state.

    @return: the runner (operations: a multiple of L{BATCH}).
    """
    rng = random.Random(SEED)
    period = RESETS_PER_PERIOD * pending * RESET_STEP
    reactor = newReactor(implementation)
    time = FakeTime()
    time.install(reactor)
    counter = FireCounter()
    calls = [reactor.callLater(period, counter.call) for _ in range(pending)]
    passes = []
    for _ in range(RESET_PASSES):
        order = calls[:]
        rng.shuffle(order)
        passes.extend(_batches(order, BATCH))
    batches = cycle(passes)
    step = BATCH * RESET_STEP

    def run(ops: int) -> float:
        runUntilCurrent, timeout = reactor.runUntilCurrent, reactor.timeout
        doIteration, box = reactor.doIteration, time.box
        start = perf_counter_ns()
        for batch in islice(batches, ops // BATCH):
            for call in batch:
                call.reset(period)
            box[0] += step
            runUntilCurrent()
            timeout()
            doIteration(0)
        elapsed = perf_counter_ns() - start
        if counter.take():
            raise RuntimeError("a timer that is always reset fired")
        return elapsed * 1e-9

    run(RESETS_PER_PERIOD * pending)
    return _withRunnerClose(run, lambda: closeReactor(reactor))


register(
    Workload(
        name="reactor-reset-later",
        title="reactor: reset later (timeout pattern)",
        description=(
            "dc.reset(timeout) to a later time, as TimeoutMixin.resetTimeout"
            " does, on N pending calls in random passes, with a reactor"
            " iteration every 100 operations and a fake clock moving 1 ms per"
            " operation (each call reset 10 times per timeout period)."
        ),
        setup=setupResetLater,
        params=(10_000,),
        target=Target("speedup", 2.5, "fast >= 2.5x Twisted"),
        opsStep=BATCH,
    )
)


# --- reactor-memory ----------------------------------------------------------


def reactorMemoryPerTimer(implementation: Implementation, pending: int) -> float:
    """
    Run in a fresh interpreter (see L{inSubprocess}): RSS growth per timer
    over C{pending} calls to C{reactor.callLater(delay, f)}, taken into the
    reactor's heap by an iteration.

    @return: bytes per pending timer.
    """
    delays = _far(random.Random(SEED), pending)
    reactor = newReactor(implementation)
    callLater = reactor.callLater
    gc.collect()
    before = _rss()
    for delay in delays:
        callLater(delay, _never)
    reactor.runUntilCurrent()
    reactor.timeout()
    gc.collect()
    grown = _rss() - before
    closeReactor(reactor)
    return grown / pending


register(
    Workload(
        name="reactor-memory",
        title="reactor: memory per pending timer",
        description=(
            "RSS growth per pending timer over N reactor.callLater(delay, f)"
            " (then one iteration takes them into the heap), each side in a"
            " fresh interpreter."
        ),
        setup=inSubprocess(reactorMemoryPerTimer),
        params=(500_000,),
        quickParams=(100_000,),
        unit="B",
        maxRounds=3,
        target=Target("max", 160.0, "fast <= 160 B/timer"),
    )
)
