"""
Garbage collection and leaks: reference cycles through calls and clocks are
collected, and scheduling, running and cancelling calls leaves no references
or memory behind.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import weakref
from typing import Any

import pytest

import twisted_fast


class Sentinel:
    """
    An object reachable only through the structure under test, to watch it
    die.
    """


def collected(ref: weakref.ref[Any]) -> bool:
    """
    Collect garbage and say whether the referent is gone.
    """
    for _ in range(3):
        gc.collect()
    return ref() is None


# --- cycles ---------------------------------------------------------------------------


class TestCycles:
    """
    Cycles through a call's function or arguments are collected.
    """

    @pytest.mark.parametrize("end", ["fired", "cancelled"])
    def test_callReferringToItself(self, impl: Any, end: str) -> None:
        """
        A call whose callback refers back to the call and to the clock is
        collected once it has run or been cancelled.
        """
        clock = impl.Clock()
        box: list[Any] = []
        sentinel = Sentinel()

        def callback(*args: Any, **kw: Any) -> None:
            box[0]  # the call, through the closure
            clock.seconds()

        dc = clock.callLater(1, callback, box, sentinel, clock, me=box)
        box.append(dc)
        refs = [weakref.ref(dc), weakref.ref(sentinel), weakref.ref(callback)]
        if end == "fired":
            clock.advance(1)
        else:
            dc.cancel()
        del dc, box, sentinel, callback
        assert all(collected(r) for r in refs)
        assert clock.getDelayedCalls() == []

    def test_pendingCallIsKeptAlive(self, impl: Any) -> None:
        """
        The clock keeps a pending call (and what it refers to) alive while the
        clock lives, even when nothing else refers to it.
        """
        clock = impl.Clock()
        sentinel = Sentinel()
        ref = weakref.ref(sentinel)
        ran: list[Any] = []
        clock.callLater(1, lambda s: ran.append(s is not None), sentinel)
        del sentinel
        gc.collect()
        assert ref() is not None
        clock.advance(1)
        assert ran == [True]
        assert collected(ref)

    def test_droppedClockWithPendingCycles(self, impl: Any) -> None:
        """
        A clock dropped with pending calls that refer back to it (and to
        themselves) is collected, with its calls.
        """

        def build() -> list[weakref.ref[Any]]:
            clock = impl.Clock()
            sentinel = Sentinel()
            box: list[Any] = []
            a = clock.callLater(1, lambda: (clock, box, sentinel))
            b = clock.callLater(2, clock.advance, 1)
            c = clock.callLater(3, lambda *a, **k: None, box, clock=clock)
            clock.callLater(4, box.append)
            box.extend([a, b, c])
            clock.callLater(0, lambda: None).cancel()
            return [weakref.ref(o) for o in (a, b, c, sentinel)]

        refs = build()
        assert all(collected(r) for r in refs)

    def test_droppedClockWeakref(self, impl: Any) -> None:
        """
        The clock object itself is collected in that case.
        """

        def build() -> weakref.ref[Any]:
            clock = impl.Clock()
            clock.callLater(1, lambda: clock)
            clock.callLater(2, clock.callLater, 1, clock.seconds)
            clock.self = clock
            return weakref.ref(clock)

        assert collected(build())

    def test_droppedSubclassClock(self, impl: Any) -> None:
        """
        The same holds for an instance of a Python subclass.
        """

        class Sub(impl.Clock):  # type: ignore[misc,name-defined]
            pass

        def build() -> weakref.ref[Any]:
            clock = Sub()
            clock.callLater(1, lambda: clock)
            clock.me = clock
            return weakref.ref(clock)

        assert collected(build())

    def test_standaloneCallCycle(self, impl: Any) -> None:
        """
        A standalone call whose canceller, resetter and seconds refer back to
        it is collected.
        """
        sentinel = Sentinel()
        box: list[Any] = []

        def make() -> weakref.ref[Any]:
            dc = impl.DelayedCall(
                1.0,
                lambda: box,
                (box, sentinel),
                {"box": box},
                lambda c: box,
                lambda c: box,
                lambda: len(box),
            )
            box.append(dc)
            return weakref.ref(dc)

        ref = make()
        sref = weakref.ref(sentinel)
        del box, sentinel
        assert collected(ref)
        assert collected(sref)

    def test_selfCancellingCallbackCollected(self, impl: Any) -> None:
        """
        A call that failed to cancel itself while running (and so holds the
        exception, with its traceback) is collected too.
        """
        clock = impl.Clock()
        store: dict[str, Any] = {}

        def callback() -> None:
            try:
                store["dc"].cancel()
            except Exception as e:  # AlreadyCalled
                store["error"] = e

        store["dc"] = clock.callLater(1, callback)
        ref = weakref.ref(store["dc"])
        clock.advance(1)
        assert type(store["error"]).__name__ == "AlreadyCalled"
        store.clear()
        assert collected(ref)


# --- reference counts --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(sys, "getrefcount"), reason="needs sys.getrefcount")
class TestRefcounts:
    """
    Scheduling, running, rescheduling and cancelling calls returns every
    reference it took.
    """

    CYCLES = 20_000

    def test_scheduleCancel(self, impl: Any) -> None:
        """
        The reference counts of the callable, its arguments, the clock and the
        DelayedCall class are back where they were after many schedule/cancel,
        schedule/run, reset, delay and failing-call cycles.
        """

        class Failed(Exception):
            pass

        def func(*args: object, **kw: object) -> None:
            pass

        def failing(*args: object, **kw: object) -> None:
            raise Failed()

        arg, value = Sentinel(), Sentinel()
        clock = impl.Clock()
        watched = [func, failing, arg, value, clock, impl.DelayedCall]

        def cycle(i: int) -> None:
            dc = clock.callLater(1, func, arg, k=value)
            dc.cancel()
            dc = clock.callLater(0, func, arg, k=value)
            clock.advance(0)
            dc = clock.callLater(2, func, arg, k=value)
            dc.reset(3)
            dc.reset(0.5)
            dc.delay(1)
            dc.delay(-2)
            dc.cancel()
            clock.callLater(0, failing, arg, k=value)
            try:
                clock.advance(0)
            except Failed:
                pass
            standalone = impl.DelayedCall(1.0, func, (arg,), {"k": value}, func, func, func)
            standalone.cancel()

        cycle(0)  # warm up any caches
        gc.collect()
        before = [sys.getrefcount(o) for o in watched]
        for i in range(self.CYCLES // 10):
            cycle(i)
        gc.collect()
        after = [sys.getrefcount(o) for o in watched]
        assert after == before

    def test_pendingCallsReleasedWithClock(self, impl: Any) -> None:
        """
        Dropping a clock with pending calls releases the references they held.
        """

        def func(*args: object) -> None:
            pass

        arg = Sentinel()
        before = (sys.getrefcount(func), sys.getrefcount(arg))
        clock = impl.Clock()
        for i in range(1000):
            clock.callLater(i % 7, func, arg)
        assert sys.getrefcount(arg) >= before[1] + 1000
        del clock
        gc.collect()
        assert (sys.getrefcount(func), sys.getrefcount(arg)) == before

    def test_runCallsReleased(self, impl: Any) -> None:
        """
        Calls that ran and are no longer referenced release their function and
        arguments (a call that ran keeps them while it lives).
        """

        def func(*args: object) -> None:
            pass

        arg = Sentinel()
        before = sys.getrefcount(arg)
        clock = impl.Clock()
        kept = clock.callLater(0, func, arg)
        for i in range(1000):
            clock.callLater(0, func, arg)
        clock.advance(0)
        assert sys.getrefcount(arg) == before + 1
        assert kept.args == (arg,)
        del kept
        assert sys.getrefcount(arg) == before


# --- memory ----------------------------------------------------------------------------------

RSS_SCRIPT = textwrap.dedent(
    """
    import gc, os, sys
    from twisted_fast import _compat

    if sys.argv[1] == "c":
        assert _compat.ACCELERATED
        Clock = _compat.speedups.Clock
    else:
        Clock = _compat.TwistedClock

    PAGE = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def f(*args, **kw):
        pass

    clock = Clock()
    # Some calls stay pending throughout, so the heap/list is not empty.
    keep = [clock.callLater(1e9 + i, f, i) for i in range(100)]
    arg = object()

    def run(n):
        callLater = clock.callLater
        for i in range(n):
            callLater(5.0, f, arg, i, k=arg).cancel()

    run(100_000)
    gc.collect()
    start = rss()
    run(int(sys.argv[2]))
    gc.collect()
    end = rss()
    assert len(clock.getDelayedCalls()) == 100
    print(start, end, end - start)
    """
)

#: Allowed RSS growth over the measured cycles.  A leak of one small object
#: per cycle (24 bytes or more) over 10**6 cycles exceeds it.
RSS_SLACK = 16 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm (Linux)"
)
def test_memoryFlat(impl: Any) -> None:
    """
    10**6 schedule/cancel cycles (in a fresh interpreter) leave the resident
    set size flat.
    """
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(twisted_fast.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(
        [root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    result = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, impl.name, str(10**6)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    start, end, growth = map(int, result.stdout.split())
    assert growth < RSS_SLACK, f"RSS grew by {growth} bytes ({start} -> {end})"
