"""
Threads against the C timer heaps.

Under a running reactor (a fresh epoll reactor of each implementation: the
fast one for C{c}, Twisted's for C{twisted}, as in C{test_reactor.py}),
worker threads send thousands of calls with C{callFromThread}, the reactor
thread hands thousands of jobs to its thread pool with C{deferToThread},
and meanwhile thousands of timed calls are scheduled, cancelled and moved,
some of them (a misuse Twisted tolerates) from the worker threads
themselves.  Nothing may be lost or run twice, nothing may crash, and on the
fast reactor the C heap must be sound throughout (C{_check_heap}).

Then the misuse alone, harder: several threads scheduling, cancelling,
moving and firing calls on one C C{Clock} and on one fast reactor's queue at
once.  The C types rely on the GIL (C{Py_mod_gil}): every heap operation is
done before any Python code runs again, so whichever thread gets there
first, a call ends fired once, cancelled, or pending, never two of them.

The interpreter is made to switch threads every few microseconds for these
tests, so that the threads interleave between any two bytecodes.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from reactorhelpers import (  # the fixtures are used by name
    ReactorImplementation,
    assertHeapSound,
    buildReactor,  # noqa: F401
    heapProblem,
    reactorImpl,  # noqa: F401
    runReactor,
)
from twisted.internet import error, threads
from twisted_fast import _compat

pytestmark = pytest.mark.slow

#: How often the interpreter switches threads meanwhile (seconds).
SWITCH_INTERVAL = 1e-5


@pytest.fixture
def fastSwitching() -> Iterator[None]:
    """
    Make the interpreter switch threads as often as it sensibly can.
    """
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def noop(*args: object) -> None:
    """
    A timed call that does nothing.
    """


def test_threadsAndTimers(
    reactorImpl: ReactorImplementation,
    buildReactor: Callable[[type], Any],
    fastSwitching: None,
) -> None:
    """
    8 worker threads make 5,000 C{callFromThread} calls each and 1,000
    C{callLater} calls each (the misuse); the reactor thread runs 5,000
    C{deferToThread} jobs and a timer storm of 10,000 calls, a third of those
    picked for meddling cancelled and a third moved: every call from a thread runs once, every
    job's result arrives once, every timer fires once (not before its due
    time) or is cancelled, and the heap is sound throughout.
    """
    reactor = buildReactor(reactorImpl.classes["epoll"])
    reactor.suggestThreadPoolSize(4)
    workers, perWorker, latePerWorker, jobs, storm = 8, 5000, 1000, 5000, 10000
    fromThreads: Counter[tuple[int, int]] = Counter()
    lateFired: Counter[tuple[int, int]] = Counter()
    results: Counter[int] = Counter()
    stormFired: Counter[int] = Counter()
    early: list[int] = []
    heapChecks: list[bool] = []
    stormCalls: dict[int, Any] = {}
    ready = threading.Event()
    rng = random.Random(2024)

    def fromThread(worker: int, i: int) -> None:
        fromThreads[worker, i] += 1

    def worker(index: int) -> None:
        ready.wait()
        local = random.Random(index)
        for i in range(perWorker):
            reactor.callFromThread(fromThread, index, i)
            if i % 5 == 0:
                # Misuse: callLater from a thread that is not the reactor's.
                reactor.callLater(local.choice([0, 0.001, 0.01]), lateFired.update,
                                  [(index, i // 5)])
            if i % 100 == 0:
                time.sleep(0.0005)

    def fire(label: int) -> None:
        stormFired[label] += 1
        call = stormCalls[label]
        if reactor.seconds() < call.getTime():
            early.append(label)

    def stormStep(start: int) -> None:
        # 100 new timers a step; cancel or move some of those pending.
        for label in range(start, min(start + 100, storm)):
            stormCalls[label] = reactor.callLater(rng.choice([0, 0.002, 0.02, 0.05]), fire, label)
        for label in rng.sample(range(min(start + 100, storm)), 40):
            call = stormCalls[label]
            if call.active():
                if label % 3 == 0:
                    call.cancel()
                elif label % 3 == 1:
                    call.reset(rng.choice([0, 0.001, 0.03]))
        heapChecks.append(heapProblem(reactor) is None)
        if start + 100 < storm:
            reactor.callLater(0.001, stormStep, start + 100)

    def job(n: int) -> int:
        return n * n

    def startJobs() -> None:
        pool = reactor.getThreadPool()
        for n in range(jobs):
            d = threads.deferToThreadPool(reactor, pool, job, n)
            d.addCallback(lambda value, n=n: results.update([n]) if value == n * n else None)

    def done() -> bool:
        return (
            sum(fromThreads.values()) >= workers * perWorker
            and sum(results.values()) >= jobs
            and sum(lateFired.values()) >= workers * latePerWorker
            and len(stormCalls) == storm
            and not any(call.active() for call in stormCalls.values())
        )

    def watch() -> None:
        heapChecks.append(heapProblem(reactor) is None)
        if done():
            reactor.stop()
        else:
            reactor.callLater(0.005, watch)

    started = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for thread in started:
        thread.start()
    reactor.callWhenRunning(ready.set)
    reactor.callWhenRunning(startJobs)
    reactor.callWhenRunning(stormStep, 0)
    reactor.callWhenRunning(watch)
    try:
        runReactor(reactor, timeout=60)
    finally:
        ready.set()
        for thread in started:
            thread.join(10)
    assert not any(thread.is_alive() for thread in started)
    assert fromThreads == Counter(
        {(w, i): 1 for w in range(workers) for i in range(perWorker)}
    )
    assert lateFired == Counter(
        {(w, i): 1 for w in range(workers) for i in range(latePerWorker)}
    )
    assert results == Counter({n: 1 for n in range(jobs)})
    for label, call in stormCalls.items():
        assert (call.called, call.cancelled) in ((1, 0), (0, 1)), label
        assert stormFired[label] == call.called, label
    assert 0 < sum(c.cancelled for c in stormCalls.values()) < storm
    assert early == []
    assert heapChecks and all(heapChecks)
    assertHeapSound(reactor)


# --- the misuse alone ------------------------------------------------------------------


class Hammer:
    """
    Threads that share one timer owner, each scheduling calls, cancelling
    and moving calls (its own and the others'), and running what is due.

    @ivar calls: every call made, with the thread and index that made it.
    @ivar firedLog: the labels of the calls that ran, as they ran.
    @ivar errors: the unexpected exceptions, with where they came from.
    """

    def __init__(
        self,
        callLater: Callable[..., Any],
        runDue: Callable[[], None],
        check: Callable[[], bool],
    ) -> None:
        self.callLater = callLater
        self.runDue = runDue
        self.check = check
        self.calls: list[Any] = []
        self.firedLog: list[int] = []
        self.errors: list[str] = []
        self.checks: list[bool] = []
        self.lock = threading.Lock()

    def record(self, label: int) -> None:
        """
        A call ran (in whichever thread ran what was due).
        """
        self.firedLog.append(label)  # atomic, unlike a Counter's +=

    def work(self, index: int, rounds: int) -> None:
        """
        One thread's share: C{rounds} calls, as many cancels, resets or
        delays, and a run of what is due every seventh round.
        """
        rng = random.Random(index)
        try:
            for i in range(rounds):
                with self.lock:
                    label = len(self.calls)
                    self.calls.append(None)
                delay = rng.choice([0, 0, 0.5, 1, 5])
                self.calls[label] = self.callLater(delay, self.record, label)
                victim = self.calls[rng.randrange(label + 1)]
                if victim is not None:
                    try:
                        if i % 3 == 0:
                            victim.cancel()
                        elif i % 3 == 1:
                            victim.reset(rng.choice([0, 0.25, 2]))
                        else:
                            victim.delay(rng.choice([-1, 0.5]))
                    except (error.AlreadyCalled, error.AlreadyCancelled):
                        pass
                if i % 7 == 0:
                    self.runDue()
                if i % 200 == 0:
                    self.checks.append(self.check())
        except BaseException as e:  # pragma: no cover - reported below
            self.errors.append(f"thread {index}: {e!r}")

    def run(self, threadCount: int, rounds: int) -> None:
        """
        Run C{threadCount} threads of C{work} to their end.
        """
        started = [
            threading.Thread(target=self.work, args=(n, rounds)) for n in range(threadCount)
        ]
        for thread in started:
            thread.start()
        for thread in started:
            thread.join(60)
        assert not any(thread.is_alive() for thread in started)


def _checker(owner: Any) -> Callable[[], bool]:
    """
    A function telling whether the heaps of a C owner are sound.
    """
    assert _compat.speedups is not None
    speedups = _compat.speedups
    return lambda: bool(speedups._check_heap(owner) == -1)


def test_clockSharedByThreads(fastSwitching: None) -> None:
    """
    8 threads schedule 5,000 calls each on one C C{Clock}, cancel, reset and
    delay calls at random (their own and each other's) and advance the clock
    now and then: no crash, the heap stays sound, and once the clock is
    advanced past everything, each call has run exactly once or been
    cancelled.
    """
    if not _compat.ACCELERATED:
        pytest.skip("C extension not in use")
    assert _compat.speedups is not None
    clock = _compat.speedups.Clock()
    ticks = iter(range(10**9))
    hammer = Hammer(clock.callLater, lambda: clock.advance(0.25 if next(ticks) % 2 else 0),
                    _checker(clock))
    hammer.run(8, 5000)
    assert hammer.errors == []
    clock.advance(100)
    assert clock.getDelayedCalls() == []
    _assertAccounted(hammer)
    assert _compat.speedups._check_heap(clock) == -1


def test_reactorQueueSharedByThreads(
    buildReactor: Callable[[type], Any], fastSwitching: None
) -> None:
    """
    The same on a fast reactor (not running), where the threads run
    C{runUntilCurrent} and C{timeout} themselves, on a fake clock.
    """
    if not _compat.ACCELERATED:
        pytest.skip("C extension not in use")
    from twisted_fast.reactor import FastEPollReactor

    reactor = buildReactor(FastEPollReactor)
    now = [0.0]
    reactor.seconds = lambda: now[0]

    def runDue() -> None:
        now[0] += 0.125
        reactor.timeout()
        reactor.runUntilCurrent()

    hammer = Hammer(reactor.callLater, runDue, _checker(reactor._timers))
    hammer.run(8, 5000)
    assert hammer.errors == []
    now[0] += 100
    reactor.runUntilCurrent()
    now[0] += 100
    reactor.runUntilCurrent()
    assert reactor.getDelayedCalls() == []
    _assertAccounted(hammer)
    assertHeapSound(reactor)


def _assertAccounted(hammer: Hammer) -> None:
    """
    Every call of C{hammer} ran exactly once, or was cancelled and never ran.
    """
    assert hammer.checks and all(hammer.checks)
    assert None not in hammer.calls
    fired = Counter(hammer.firedLog)
    for label, call in enumerate(hammer.calls):
        assert (call.called, call.cancelled) in ((1, 0), (0, 1)), label
        assert fired[label] == call.called, label
