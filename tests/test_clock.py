"""
Tests for C{Clock}: the fake time, C{callLater}, C{advance}, C{pump}, the
pending calls, rescheduling through the calls it hands out, callbacks that act
on the clock, subclasses, and L{twisted_fast.install}.

Every test taking C{impl} runs on each implementation; the expected values are
Twisted's behaviour (C{twisted/internet/task.py}).
"""

from __future__ import annotations

import gc
import warnings
import weakref
from fractions import Fraction
from typing import Any, Callable

import pytest
from zope.interface.verify import verifyObject

import twisted_fast
from twisted.internet import base, defer, error, protocol, task, testing
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted_fast import _compat
from twisted_fast import task as fastTask

INF = float("inf")


class Log:
    """
    Records what fired, and when by the clock.
    """

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.events: list[tuple[Any, float]] = []

    def __call__(self, label: Any) -> None:
        self.events.append((label, self.clock.seconds()))

    def labels(self) -> list[Any]:
        """
        The labels fired so far, in order.
        """
        return [label for label, _ in self.events]


class Boom(Exception):
    """
    Raised by callbacks in these tests.
    """


# --- time -------------------------------------------------------------------------


class TestTime:
    """
    C{seconds}, C{rightNow}, C{advance}, C{pump}.
    """

    def test_startsAtZero(self, impl: Any) -> None:
        """
        A new clock's time is 0.0, a float.
        """
        clock = impl.Clock()
        assert clock.seconds() == 0.0 and type(clock.seconds()) is float
        assert clock.rightNow == 0.0 and type(clock.rightNow) is float

    def test_advance(self, impl: Any) -> None:
        """
        C{advance} adds to the time, with float rounding as Python does it.
        """
        clock = impl.Clock()
        assert clock.advance(1) is None
        assert clock.seconds() == 1.0
        for _ in range(3):
            clock.advance(0.1)
        assert clock.seconds() == 1.0 + 0.1 + 0.1 + 0.1
        assert clock.rightNow == clock.seconds()

    def test_advanceBackwards(self, impl: Any) -> None:
        """
        A negative amount moves time back, and fires nothing.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(0, log, "now")
        clock.advance(-5)
        assert clock.seconds() == -5.0
        assert log.events == []
        clock.advance(5)
        assert log.events == [("now", 0.0)]

    def test_advanceWrongType(self, impl: Any) -> None:
        """
        A non-number amount raises L{TypeError} and leaves the time alone.
        """
        clock = impl.Clock()
        clock.advance(2)
        with pytest.raises(TypeError):
            clock.advance("1")
        assert clock.seconds() == 2.0

    def test_setRightNow(self, impl: Any) -> None:
        """
        Assigning C{rightNow} sets the time that C{seconds}, C{callLater} and
        C{advance} use.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.rightNow = 10.5
        assert clock.seconds() == 10.5
        dc = clock.callLater(1, log, "a")
        assert dc.getTime() == 11.5
        clock.advance(1)
        assert log.events == [("a", 11.5)]
        assert clock.rightNow == 11.5

    def test_independentClocks(self, impl: Any) -> None:
        """
        Each clock has its own time and its own calls.
        """
        one, two = impl.Clock(), impl.Clock()
        log = Log(one)
        one.callLater(1, log, "one")
        two.advance(5)
        assert (one.seconds(), two.seconds()) == (0.0, 5.0)
        assert log.events == []
        assert two.getDelayedCalls() == []

    def test_pump(self, impl: Any) -> None:
        """
        C{pump} advances by each amount in turn, running the calls due after
        each step at that step's time.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(0.5, log, "a")
        clock.callLater(2.5, log, "b")
        clock.callLater(2.6, log, "c")
        assert clock.pump([1, 1, 1]) is None
        assert log.events == [("a", 1.0), ("b", 3.0), ("c", 3.0)]
        assert clock.seconds() == 3.0

    def test_argumentsByKeyword(self, impl: Any) -> None:
        """
        C{advance(amount=...)} and C{pump(timings=...)} work, as Twisted's
        keyword-capable signatures do; a wrong keyword is a C{TypeError}.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, log, "a")
        clock.callLater(3, log, "b")
        clock.advance(amount=1.5)
        clock.pump(timings=[1, 1])
        assert log.events == [("a", 1.5), ("b", 3.5)]
        with pytest.raises(TypeError):
            clock.advance(seconds=1)
        with pytest.raises(TypeError):
            clock.advance()
        with pytest.raises(TypeError):
            clock.pump([1], timings=[1])

    def test_pumpIterable(self, impl: Any) -> None:
        """
        C{pump} takes any iterable, including a generator, and an empty one.
        """
        clock = impl.Clock()
        clock.pump(x / 2 for x in range(4))
        assert clock.seconds() == 3.0
        clock.pump([])
        assert clock.seconds() == 3.0

    def test_pumpStopsOnException(self, impl: Any) -> None:
        """
        An exception from a call stops C{pump}: the later amounts are not
        applied.
        """
        clock = impl.Clock()

        def fail() -> None:
            raise Boom()

        clock.callLater(1, fail)
        with pytest.raises(Boom):
            clock.pump([1, 1, 1])
        assert clock.seconds() == 1.0


# --- callLater ----------------------------------------------------------------------


class TestCallLater:
    """
    C{callLater(delay, f, *args, **kw)}.
    """

    def test_returnsDelayedCall(self, impl: Any) -> None:
        """
        C{callLater} returns a new, active L{IDelayedCall} of the
        implementation's class, due at C{seconds() + delay}.
        """
        clock = impl.Clock()
        clock.advance(2)
        f = lambda a, b: None  # noqa: E731
        dc = clock.callLater(1, f, 1, b=2)
        assert IDelayedCall.providedBy(dc)
        assert verifyObject(IDelayedCall, dc)
        assert type(dc) is impl.DelayedCall
        assert dc.getTime() == 3.0
        assert dc.time == 3.0 and dc.delayed_time == 0.0
        assert dc.active() is True
        assert (dc.called, dc.cancelled) == (0, 0)
        assert dc.func is f and dc.args == (1,) and dc.kw == {"b": 2}
        assert clock.callLater(1, f, 1, b=2) is not dc

    def test_callSecondsIsClocks(self, impl: Any) -> None:
        """
        The call's C{seconds} follows the clock's time.
        """
        clock = impl.Clock()
        dc = clock.callLater(10, lambda: None)
        clock.advance(2.5)
        assert dc.seconds() == 2.5

    def test_arguments(self, impl: Any) -> None:
        """
        The function is called with the positional and keyword arguments
        given, C{f(a, b=2)}.
        """
        clock = impl.Clock()
        got: list[Any] = []
        clock.callLater(1, lambda *a, **k: got.append((a, k)), 1, "x", b=2, c=None)
        clock.advance(1)
        assert got == [((1, "x"), {"b": 2, "c": None})]

    def test_keywordNamesPassThrough(self, impl: Any) -> None:
        """
        Keyword arguments named like DelayedCall's attributes reach the
        function.
        """
        clock = impl.Clock()
        got: list[Any] = []
        clock.callLater(
            0, lambda **k: got.append(k), func=1, args=2, kw=3, time=4, seconds=5
        )
        clock.advance(0)
        assert got == [{"func": 1, "args": 2, "kw": 3, "time": 4, "seconds": 5}]

    def test_delayAndCallableByKeyword(self, impl: Any) -> None:
        """
        C{delay} and C{callable} may be passed by keyword, as Twisted's
        signature allows.
        """
        clock = impl.Clock()
        got: list[Any] = []
        dc = clock.callLater(delay=2, callable=got.append)
        assert dc.getTime() == 2.0
        assert dc.func == got.append and dc.args == () and dc.kw == {}
        dc2 = clock.callLater(2, callable=got.append)
        assert dc2.getTime() == 2.0
        dc.cancel()
        dc2.cancel()

    def test_numberTypes(self, impl: Any) -> None:
        """
        Delays may be any real number that adds to a float, such as a
        C{Fraction}; an int too large for a float raises L{OverflowError}.
        """
        clock = impl.Clock()
        assert clock.callLater(Fraction(1, 2), lambda: None).getTime() == 0.5
        assert clock.callLater(True, lambda: None).getTime() == 1.0
        with pytest.raises(OverflowError):
            clock.callLater(10**400, lambda: None)
        assert len(clock.getDelayedCalls()) == 2
        clock.advance(Fraction(1, 2))
        assert clock.seconds() == 0.5 and len(clock.getDelayedCalls()) == 1

    def test_wrongDelayType(self, impl: Any) -> None:
        """
        A non-number delay raises L{TypeError} and schedules nothing.
        """
        clock = impl.Clock()
        with pytest.raises(TypeError):
            clock.callLater("1", lambda: None)
        assert clock.getDelayedCalls() == []

    def test_negativeDelay(self, impl: Any) -> None:
        """
        A negative delay is accepted: the call is in the past and runs on the
        next advance, even by 0.
        """
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(-1, log, "past")
        assert dc.getTime() == -1.0
        clock.advance(0)
        assert log.events == [("past", 0.0)]

    def test_zeroDelayNeedsAdvance(self, impl: Any) -> None:
        """
        A call with no delay does not run until the clock is advanced.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(0, log, "zero")
        assert log.events == []
        clock.advance(0)
        assert log.events == [("zero", 0.0)]

    def test_callLaterFromCallback(self, impl: Any) -> None:
        """
        A call scheduled by a running call is due at the clock's time plus its
        delay, the clock's time being the end of the current advance.
        """
        clock = impl.Clock()
        log = Log(clock)
        inner: list[Any] = []

        def outer() -> None:
            log("outer")
            inner.append(clock.callLater(1, log, "inner"))

        clock.callLater(1, outer)
        clock.advance(1.5)
        assert inner[0].getTime() == 2.5
        assert log.events == [("outer", 1.5)]
        clock.advance(1)
        assert log.events == [("outer", 1.5), ("inner", 2.5)]

    def test_debugCreator(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        In debug mode the calls a clock makes record the stack up to the code
        that called C{callLater}.
        """
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        clock = impl.Clock()
        dc = clock.callLater(1, lambda: None)
        assert isinstance(dc.creator, list)
        assert __file__ in dc.creator[-1]
        assert ", in test_debugCreator\n" in dc.creator[-1]
        assert "dc = clock.callLater(1, lambda: None)" in dc.creator[-1]
        assert "traceback at creation" in repr(dc)

    def test_noDebugNoCreator(self, impl: Any) -> None:
        """
        Outside debug mode no stack is recorded.
        """
        assert impl.Clock().callLater(1, lambda: None).creator is None

    def test_debugSwitchedBetweenCalls(
        self, impl: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        Switching the class attribute C{debug} between two calls of the same
        clock takes effect at the next call, each way, with a non-bool value
        too (the C classes remember the class attribute while the class is
        unchanged: any assignment to it must count).
        """
        clock = impl.Clock()

        def creatorRecorded() -> bool:
            call = clock.callLater(1, lambda: None)
            call.cancel()
            return call.creator is not None

        seen = [creatorRecorded(), creatorRecorded()]
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        seen += [creatorRecorded(), creatorRecorded()]
        monkeypatch.setattr(impl.DelayedCall, "debug", False)
        seen.append(creatorRecorded())
        monkeypatch.setattr(impl.DelayedCall, "debug", 1)
        seen.append(creatorRecorded())
        monkeypatch.setattr(impl.DelayedCall, "debug", [])
        seen.append(creatorRecorded())
        assert seen == [False, False, True, True, False, True, False]

    def test_repr(self, impl: Any) -> None:
        """
        A clock's call shows the time left by the clock.
        """
        clock = impl.Clock()

        def tick(n: int) -> None:
            pass

        dc = clock.callLater(2.5, tick, 3)
        clock.advance(1)
        assert repr(dc) == (
            "<DelayedCall 0x%x [1.5s] called=0 cancelled=0 "
            "TestCallLater.test_repr.<locals>.tick(3)>" % id(dc)
        )


# --- advance and the order of calls ------------------------------------------------


class TestAdvance:
    """
    What C{advance} runs, and in which order.
    """

    def test_firesWhenDue(self, impl: Any) -> None:
        """
        A call runs on the advance that brings the time to or past it, not
        before (Twisted's C{testAdvance}).
        """
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(2, log, "a")
        clock.advance(1)
        assert log.events == []
        clock.advance(1)
        assert log.events == [("a", 2.0)]
        assert dc.active() is False
        assert dc.called == 1 and type(dc.called) is int
        assert dc.cancelled == 0

    def test_boundaryExact(self, impl: Any) -> None:
        """
        The test is C{getTime() <= seconds()} in floats: 0.1 + 0.1 + 0.1
        passes 0.3, but 0.3 does not reach 0.1 + 0.2.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(0.3, log, "a")
        for _ in range(3):
            clock.advance(0.1)
        assert log.labels() == ["a"]
        clock2 = impl.Clock()
        log2 = Log(clock2)
        clock2.callLater(0.1 + 0.2, log2, "b")
        clock2.advance(0.3)
        assert clock2.seconds() < 0.1 + 0.2
        assert log2.events == []
        clock2.advance(1e-15)
        assert log2.labels() == ["b"]

    def test_deadlineOrder(self, impl: Any) -> None:
        """
        Due calls run in deadline order, all seeing the time at the end of
        the advance.
        """
        clock = impl.Clock()
        log = Log(clock)
        for delay in [3, 1, 2.5, 0.5, 2, 4]:
            clock.callLater(delay, log, delay)
        clock.advance(3)
        assert log.events == [(0.5, 3.0), (1, 3.0), (2, 3.0), (2.5, 3.0), (3, 3.0)]
        assert [dc.getTime() for dc in clock.getDelayedCalls()] == [4.0]

    def test_tiesFIFO(self, impl: Any) -> None:
        """
        Calls due at the same time run in the order they were scheduled.
        """
        clock = impl.Clock()
        log = Log(clock)
        for label in range(10):
            clock.callLater(1, log, label)
        clock.advance(1)
        assert log.labels() == list(range(10))

    def test_tiesFIFOAcrossTime(self, impl: Any) -> None:
        """
        Calls scheduled at different times for the same deadline run in the
        order they were scheduled.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(3, log, "first")
        clock.advance(1)
        clock.callLater(2, log, "second")
        clock.advance(1.5)
        clock.callLater(0.5, log, "third")
        clock.callLater(0, log, "now")
        clock.advance(0.5)
        assert log.events == [
            ("now", 3.0),
            ("first", 3.0),
            ("second", 3.0),
            ("third", 3.0),
        ]

    def test_manyTiesStable(self, impl: Any) -> None:
        """
        With many calls on few deadlines, the firing order is the stable sort
        of the scheduling order by deadline.
        """
        clock = impl.Clock()
        log = Log(clock)
        delays = [(i * 7) % 5 for i in range(60)]
        for i, delay in enumerate(delays):
            clock.callLater(delay, log, i)
        clock.advance(2)
        clock.advance(10)
        assert log.labels() == sorted(range(60), key=lambda i: delays[i])

    def test_infiniteDelay(self, impl: Any) -> None:
        """
        A call with an infinite delay never runs on a finite advance; it
        runs when time itself reaches infinity.
        """
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(INF, log, "never")
        clock.callLater(1e300, log, "late")
        assert dc.getTime() == INF
        clock.advance(1e300)
        clock.advance(1e308)
        assert log.labels() == ["late"]
        assert clock.getDelayedCalls() == [dc]
        clock.advance(INF)
        assert log.events == [("late", 1e300), ("never", INF)]

    def test_advanceNothingDue(self, impl: Any) -> None:
        """
        Advancing an empty clock, or with nothing due, runs nothing.
        """
        clock = impl.Clock()
        clock.advance(5)
        log = Log(clock)
        clock.callLater(1, log, "a")
        clock.advance(0.5)
        assert log.events == []
        assert len(clock.getDelayedCalls()) == 1

    def test_calledKeepsFunction(self, impl: Any) -> None:
        """
        A call that ran keeps its function and arguments (only C{cancel}
        drops them) and shows C{called=1}.
        """
        clock = impl.Clock()

        def fn(x: int) -> None:
            pass

        dc = clock.callLater(1, fn, 7)
        clock.advance(1)
        assert dc.func is fn and dc.args == (7,) and dc.kw == {}
        assert repr(dc) == (
            "<DelayedCall 0x%x [0.0s] called=1 cancelled=0 "
            "TestAdvance.test_calledKeepsFunction.<locals>.fn(7)>" % id(dc)
        )


# --- pending calls -------------------------------------------------------------------


class TestPending:
    """
    C{getDelayedCalls()} and C{calls}.
    """

    def test_empty(self, impl: Any) -> None:
        """
        A new clock has no calls: both are empty lists.
        """
        clock = impl.Clock()
        assert clock.getDelayedCalls() == []
        assert clock.calls == []
        assert isinstance(clock.getDelayedCalls(), list)
        assert isinstance(clock.calls, list)

    def test_sorted(self, impl: Any) -> None:
        """
        After C{callLater}, the pending calls read in deadline order (ties in
        scheduling order), in both C{calls} and C{getDelayedCalls()}.
        """
        clock = impl.Clock()
        a = clock.callLater(2, lambda: None)
        b = clock.callLater(1, lambda: None)
        c = clock.callLater(2, lambda: None)
        d = clock.callLater(0.5, lambda: None)
        assert clock.getDelayedCalls() == [d, b, a, c]
        assert clock.calls == [d, b, a, c]

    def test_firedAndCancelledLeave(self, impl: Any) -> None:
        """
        Calls leave the pending list when they run or are cancelled.
        """
        clock = impl.Clock()
        a = clock.callLater(1, lambda: None)
        b = clock.callLater(2, lambda: None)
        c = clock.callLater(3, lambda: None)
        b.cancel()
        assert clock.getDelayedCalls() == [a, c]
        clock.advance(1)
        assert clock.getDelayedCalls() == [c]
        assert clock.calls == [c]
        clock.advance(2)
        assert clock.getDelayedCalls() == [] and clock.calls == []

    def test_sortedAfterAdvance(self, impl: Any) -> None:
        """
        After rescheduling, the next C{advance} leaves the pending calls in
        deadline order.
        """
        clock = impl.Clock()
        a = clock.callLater(1, lambda: None)
        b = clock.callLater(2, lambda: None)
        c = clock.callLater(3, lambda: None)
        a.reset(5)
        c.reset(1.5)
        b.delay(0.25)
        clock.advance(0)
        assert clock.calls == [c, b, a]
        assert clock.getDelayedCalls() == [c, b, a]

    def test_setOfCalls(self, impl: Any) -> None:
        """
        Twisted's C{test_getDelayedCalls}: the calls returned are the ones
        scheduled.
        """
        clock = impl.Clock()
        call = clock.callLater(1, lambda x: None)
        call2 = clock.callLater(2, lambda x: None)
        assert set(clock.getDelayedCalls()) == {call, call2}


# --- cancel, reset and delay through a clock -------------------------------------


class TestReschedule:
    """
    Cancelling and rescheduling the calls a clock made.
    """

    def test_cancel(self, impl: Any) -> None:
        """
        A cancelled call does not run, drops its function, and cannot be
        cancelled twice.
        """
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(1, log, "a")
        dc.cancel()
        assert dc.active() is False and dc.cancelled == 1
        assert not hasattr(dc, "func")
        clock.advance(2)
        assert log.events == []
        with pytest.raises(error.AlreadyCancelled):
            dc.cancel()

    def test_cancelAfterCall(self, impl: Any) -> None:
        """
        Cancelling, resetting or delaying a call that ran raises
        L{error.AlreadyCalled}.
        """
        clock = impl.Clock()
        dc = clock.callLater(1, lambda: None)
        clock.advance(1)
        with pytest.raises(error.AlreadyCalled):
            dc.cancel()
        with pytest.raises(error.AlreadyCalled):
            dc.reset(1)
        with pytest.raises(error.AlreadyCalled):
            dc.delay(1)
        assert clock.getDelayedCalls() == []

    def test_resetLater(self, impl: Any) -> None:
        """
        Twisted's C{testCallLaterResetLater}: a call reset later runs at the
        new time.
        """
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(2, log, "a")
        clock.advance(1)
        dc.reset(3)
        assert dc.getTime() == 4.0
        assert (dc.time, dc.delayed_time) == (2.0, 2.0)
        clock.advance(2)
        assert log.events == []
        clock.advance(1)
        assert log.events == [("a", 4.0)]

    def test_resetSooner(self, impl: Any) -> None:
        """
        Twisted's C{testCallLaterResetSooner}: a call reset sooner runs at the
        new time.
        """
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(4, log, "a")
        dc.reset(3)
        assert dc.getTime() == 3.0 and dc.time == 3.0
        clock.advance(3)
        assert log.events == [("a", 3.0)]

    def test_resetSoonerOrdersBeforeOthers(self, impl: Any) -> None:
        """
        A call reset to before another runs first.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, log, "a")
        b = clock.callLater(2, log, "b")
        b.reset(0.5)
        clock.advance(2)
        assert log.labels() == ["b", "a"]

    def test_delay(self, impl: Any) -> None:
        """
        Twisted's C{testCallLaterDelayed}: a delayed call runs later.
        """
        clock = impl.Clock()
        got: list[Any] = []
        dc = clock.callLater(1, lambda a, b: got.append((a, b)), 1, b=2)
        dc.delay(1)
        assert dc.getTime() == 2.0
        clock.advance(1.5)
        assert got == []
        clock.advance(1.0)
        assert got == [(1, 2)]

    def test_delayPastOriginalTime(self, impl: Any) -> None:
        """
        Once delayed, a call does not run at its original C{time}: the test is
        on C{getTime()}.
        """
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(1, log, "a")
        dc.delay(2)
        clock.advance(2.9)
        assert log.events == []
        assert dc.time == 1.0
        clock.advance(0.1)
        assert log.labels() == ["a"]

    def test_negativeDelay(self, impl: Any) -> None:
        """
        A negative delay moves the call earlier, past others.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(2, log, "a")
        b = clock.callLater(3, log, "b")
        b.delay(-2)
        assert (b.time, b.delayed_time) == (1.0, 0.0)
        clock.advance(3)
        assert log.labels() == ["b", "a"]

    def test_keepsCallsOrdered(self, impl: Any) -> None:
        """
        Twisted's C{test_callLaterKeepsCallsOrdered}.
        """
        clock = impl.Clock()
        log = Log(clock)
        a = clock.callLater(1.0, log, "a")
        a.reset(3.0)
        clock.callLater(2.0, log, "b")
        clock.pump([1] * 3)
        assert log.events == [("b", 2.0), ("a", 3.0)]

    def test_resetKeepsCallsOrdered(self, impl: Any) -> None:
        """
        Twisted's C{test_callLaterResetKeepsCallsOrdered}.
        """
        clock = impl.Clock()
        log = Log(clock)
        a = clock.callLater(1.0, log, "a")
        clock.callLater(2.0, log, "b")
        a.reset(3.0)
        clock.pump([1] * 3)
        assert log.events == [("b", 2.0), ("a", 3.0)]

    def test_resetInsideCallKeepsCallsOrdered(self, impl: Any) -> None:
        """
        Twisted's C{test_callLaterResetInsideCallKeepsCallsOrdered}.
        """
        clock = impl.Clock()
        log = Log(clock)
        b = clock.callLater(2.0, log, "b")
        clock.callLater(1.0, lambda: b.reset(3.0))
        clock.callLater(3.0, log, "c")
        clock.pump([0.5] * 10)
        assert log.events == [("c", 3.0), ("b", 4.0)]

    @pytest.mark.parametrize("how", ["reset", "delay"])
    def test_unchangedTimeKeepsPlace(self, impl: Any, how: str) -> None:
        """
        A reset or delay that leaves the deadline where it was keeps the
        call's place among calls due at the same time.
        """
        clock = impl.Clock()
        log = Log(clock)
        a = clock.callLater(2, log, "a")
        clock.callLater(2, log, "b")
        c = clock.callLater(2, log, "c")
        if how == "reset":
            a.reset(2)
            c.reset(2)
        else:
            a.delay(0)
            c.delay(0)
        clock.advance(2)
        assert log.labels() == ["a", "b", "c"]

    def test_resetToSameDelayedTime(self, impl: Any) -> None:
        """
        Resetting a delayed call to its current deadline changes nothing, not
        even its place before a call scheduled later for the same deadline.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, log, "a")
        b = clock.callLater(0.25, log, "b")
        b.delay(1.5)
        clock.advance(0)
        clock.callLater(1.75, log, "c")
        b.reset(1.75)
        assert (b.time, b.delayed_time) == (0.25, 1.5)
        clock.advance(2)
        assert log.labels() == ["a", "b", "c"]


# --- callbacks acting on the clock -----------------------------------------------------


class TestReentrancy:
    """
    Calls that cancel, reschedule or schedule calls, advance the clock, or
    raise, while the clock runs them.
    """

    def test_cancelSelf(self, impl: Any) -> None:
        """
        Twisted's C{testAdvanceCancel}: a running call cannot cancel, reset or
        delay itself: L{error.AlreadyCalled}, since C{called} is set before
        the function runs.
        """
        clock = impl.Clock()
        seen: list[Any] = []

        def cb() -> None:
            seen.append(call.called)
            for attempt in (call.cancel, lambda: call.reset(1), lambda: call.delay(1)):
                with pytest.raises(error.AlreadyCalled):
                    attempt()
            seen.append("checked")

        call = clock.callLater(1, cb)
        clock.advance(1)
        assert seen == [1, "checked"]
        assert clock.getDelayedCalls() == []

    def test_cancelOther(self, impl: Any) -> None:
        """
        A call that cancels another call due in the same advance stops it.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, lambda: victim.cancel())
        victim = clock.callLater(1, log, "victim")
        clock.callLater(1.5, log, "after")
        clock.advance(2)
        assert log.labels() == ["after"]
        assert victim.cancelled == 1

    def test_cancelAlreadyRun(self, impl: Any) -> None:
        """
        Cancelling a call that already ran in the same advance raises
        L{error.AlreadyCalled} in the canceller.
        """
        clock = impl.Clock()
        caught: list[type] = []
        first = clock.callLater(1, lambda: None)

        def second() -> None:
            try:
                first.cancel()
            except error.AlreadyCalled as e:
                caught.append(type(e))

        clock.callLater(2, second)
        clock.advance(2)
        assert caught == [error.AlreadyCalled]

    def test_resetOtherLater(self, impl: Any) -> None:
        """
        A call that resets a due call to after the current time keeps it from
        running in this advance.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, lambda: victim.reset(1))
        victim = clock.callLater(1.5, log, "victim")
        clock.advance(2)
        assert log.events == []
        assert victim.getTime() == 3.0
        clock.advance(1)
        assert log.events == [("victim", 3.0)]

    def test_resetOtherStillDue(self, impl: Any) -> None:
        """
        A due call reset to a later time that is still not after the current
        time runs in the same advance, after the calls due before it.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(0.5, lambda: victim.reset(-0.25))
        victim = clock.callLater(1.0, log, "victim")
        clock.callLater(1.5, log, "other")
        clock.advance(2)
        assert victim.getTime() == 1.75
        assert log.labels() == ["other", "victim"]

    def test_resetOtherSooner(self, impl: Any) -> None:
        """
        A call that resets a pending, not yet due call to now makes it run in
        the same advance.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, lambda: victim.reset(0))
        victim = clock.callLater(10, log, "victim")
        clock.advance(1)
        assert log.events == [("victim", 1.0)]

    def test_delayOther(self, impl: Any) -> None:
        """
        A call that delays a due call past the current time postpones it.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, lambda: victim.delay(5))
        victim = clock.callLater(1, log, "victim")
        clock.advance(1)
        assert log.events == []
        clock.advance(5)
        assert log.events == [("victim", 6.0)]

    def test_delayOtherNegative(self, impl: Any) -> None:
        """
        A call that delays a pending call by a negative amount can make it due
        now.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, lambda: victim.delay(-4))
        victim = clock.callLater(5, log, "victim")
        clock.advance(1)
        assert log.events == [("victim", 1.0)]
        assert victim.time == 1.0

    def test_callLaterZeroRunsInSameAdvance(self, impl: Any) -> None:
        """
        A call scheduled with delay 0 by a running call runs in the same
        advance, after the calls already due at that time.
        """
        clock = impl.Clock()
        log = Log(clock)

        def first() -> None:
            log("first")
            clock.callLater(0, log, "zero")

        clock.callLater(0.5, first)
        clock.callLater(1, log, "due")
        clock.callLater(1.5, log, "later")
        clock.advance(1)
        assert log.events == [("first", 1.0), ("due", 1.0), ("zero", 1.0)]
        assert len(clock.getDelayedCalls()) == 1

    def test_chainOfZeroDelays(self, impl: Any) -> None:
        """
        A chain of calls each scheduling the next with delay 0 all run in one
        advance.
        """
        clock = impl.Clock()
        count: list[int] = []

        def step(n: int) -> None:
            count.append(n)
            if n < 100:
                clock.callLater(0, step, n + 1)

        clock.callLater(0, step, 0)
        clock.advance(0)
        assert count == list(range(101))

    def test_schedulesLaterCall(self, impl: Any) -> None:
        """
        A call scheduled by a running call for after the current time waits.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, lambda: clock.callLater(0.5, log, "new"))
        clock.advance(1)
        assert log.events == []
        clock.advance(0.5)
        assert log.events == [("new", 1.5)]

    def test_recursiveAdvance(self, impl: Any) -> None:
        """
        A call that advances the clock runs the calls that become due inside
        that advance, at the inner time; the outer advance then carries on
        with what is still due.
        """
        clock = impl.Clock()
        log = Log(clock)

        def a() -> None:
            log("a start")
            clock.advance(1)
            log("a end")

        clock.callLater(1, a)
        clock.callLater(1.5, log, "b")
        clock.callLater(1, log, "c")
        clock.callLater(3, log, "d")
        clock.advance(1)
        assert log.events == [
            ("a start", 1.0),
            ("c", 2.0),
            ("b", 2.0),
            ("a end", 2.0),
        ]
        assert clock.seconds() == 2.0
        assert [dc.getTime() for dc in clock.getDelayedCalls()] == [3.0]

    def test_recursiveAdvanceSchedules(self, impl: Any) -> None:
        """
        Calls scheduled around a nested advance land relative to the time of
        the moment they are scheduled.
        """
        clock = impl.Clock()
        log = Log(clock)

        def a() -> None:
            clock.callLater(0.5, log, "x")
            clock.advance(0.25)
            clock.callLater(0.25, log, "y")
            clock.advance(0.25)

        clock.callLater(0, a)
        clock.advance(0)
        assert log.events == [("x", 0.5), ("y", 0.5)]

    def test_exceptionPropagates(self, impl: Any) -> None:
        """
        An exception from a call comes out of C{advance}; the call counts as
        run, the calls not yet run stay pending, the time stays advanced, and
        a later advance runs them.
        """
        clock = impl.Clock()
        log = Log(clock)
        boom = Boom("first")

        def fail() -> None:
            log("fail")
            raise boom

        a = clock.callLater(1, fail)
        b = clock.callLater(2, log, "b")
        c = clock.callLater(5, log, "c")
        with pytest.raises(Boom) as info:
            clock.advance(3)
        assert info.value is boom
        assert log.labels() == ["fail"]
        assert (a.called, a.active()) == (1, False)
        assert b.active() and c.active()
        assert clock.seconds() == 3.0
        assert clock.getDelayedCalls() == [b, c]
        clock.advance(0)
        assert log.events == [("fail", 3.0), ("b", 3.0)]
        assert clock.getDelayedCalls() == [c]

    def test_baseExceptionPropagates(self, impl: Any) -> None:
        """
        A C{BaseException} that is not an C{Exception} propagates the same
        way.
        """
        clock = impl.Clock()

        class Stop(BaseException):
            pass

        def stop() -> None:
            raise Stop()

        clock.callLater(1, stop)
        b = clock.callLater(1, lambda: None)
        with pytest.raises(Stop):
            clock.advance(1)
        assert clock.getDelayedCalls() == [b]

    def test_exceptionThroughNestedAdvance(self, impl: Any) -> None:
        """
        An exception raised in a call run by a nested advance goes through the
        outer call (which can catch it) and the outer advance carries on.
        """
        clock = impl.Clock()
        log = Log(clock)

        def fail() -> None:
            raise Boom("inner")

        def outer() -> None:
            try:
                clock.advance(1)
            except Boom as e:
                log(("caught", str(e)))

        clock.callLater(0, outer)
        clock.callLater(0.5, fail)
        clock.callLater(0.75, log, "after fail")
        clock.callLater(1, log, "at one")
        clock.advance(0)
        assert log.events == [
            (("caught", "inner"), 1.0),
            ("after fail", 1.0),
            ("at one", 1.0),
        ]

    def test_exceptionThroughNestedAdvanceUncaught(self, impl: Any) -> None:
        """
        Uncaught, an exception from a nested advance comes out of the outer
        one and leaves the rest pending.
        """
        clock = impl.Clock()
        log = Log(clock)

        def fail() -> None:
            raise Boom("inner")

        clock.callLater(0, lambda: clock.advance(1))
        clock.callLater(0.5, fail)
        clock.callLater(0.75, log, "after fail")
        with pytest.raises(Boom):
            clock.advance(0)
        assert log.events == []
        assert clock.seconds() == 1.0
        assert len(clock.getDelayedCalls()) == 1
        clock.advance(0)
        assert log.events == [("after fail", 1.0)]

    def test_pendingSeenFromCallback(self, impl: Any) -> None:
        """
        While a call runs it is no longer pending; the others still are.
        """
        clock = impl.Clock()
        seen: list[Any] = []
        a = clock.callLater(1, lambda: seen.append(list(clock.getDelayedCalls())))
        b = clock.callLater(1, lambda: None)
        c = clock.callLater(2, lambda: None)
        clock.advance(1)
        assert seen == [[b, c]]
        assert a not in seen[0]

    def test_deepRecursion(self, impl: Any) -> None:
        """
        Unbounded recursion through C{advance} ends in L{RecursionError}, not
        a crash, and the clock still works afterwards.
        """
        clock = impl.Clock()
        stop = [False]
        depth = [0]

        def recurse() -> None:
            depth[0] += 1
            if not stop[0]:
                clock.callLater(0, recurse)
                clock.advance(0)

        clock.callLater(0, recurse)
        with pytest.raises(RecursionError):
            clock.advance(0)
        assert depth[0] > 10
        stop[0] = True
        clock.advance(0)
        assert clock.getDelayedCalls() == []
        log = Log(clock)
        clock.callLater(1, log, "after")
        clock.advance(1)
        assert log.labels() == ["after"]

    def test_reinitForgetsCalls(self, impl: Any) -> None:
        """
        Calling C{Clock.__init__} again forgets the pending calls (Twisted
        gives the clock a new, empty list) but keeps the time.
        """
        clock = impl.Clock()
        log = Log(clock)
        clock.callLater(1, log, "a")
        clock.advance(0.5)
        impl.Clock.__init__(clock)
        assert clock.getDelayedCalls() == []
        assert clock.seconds() == 0.5
        clock.advance(1)
        assert log.events == []

    def test_dropsLastReference(self, impl: Any) -> None:
        """
        A call whose only reference is the clock's runs fine, and can cancel
        other such calls.
        """
        clock = impl.Clock()
        log = Log(clock)
        holder: list[Any] = [clock.callLater(2, log, "victim")]

        def killer() -> None:
            holder.pop().cancel()
            gc.collect()

        clock.callLater(1, killer)
        clock.advance(3)
        assert log.events == []
        assert clock.getDelayedCalls() == []


# --- the clock as an object: interfaces, subclasses, integration ------------------------


class SecondsOffsetClockMixin:
    """
    Overrides C{seconds()}.
    """

    def seconds(self) -> float:
        return self.rightNow + 100.0  # type: ignore[attr-defined,no-any-return]


class TestObject:
    """
    Interfaces, weak references, subclasses, and Twisted code using the clock.
    """

    def test_providesIReactorTime(self, impl: Any) -> None:
        """
        A clock provides L{IReactorTime}, verifiably.
        """
        clock = impl.Clock()
        assert IReactorTime.providedBy(clock)
        assert verifyObject(IReactorTime, clock)

    def test_weakref(self, impl: Any) -> None:
        """
        A clock can be weakly referenced.
        """
        clock = impl.Clock()
        ref = weakref.ref(clock)
        assert ref() is clock
        del clock
        gc.collect()
        assert ref() is None

    def test_instanceAttributes(self, impl: Any) -> None:
        """
        Arbitrary attributes can be set on a clock.
        """
        clock = impl.Clock()
        clock.whatever = 1
        assert clock.whatever == 1

    def test_memoryReactorClock(self, impl: Any) -> None:
        """
        C{class MemoryReactorClock(MemoryReactor, Clock)} whose C{__init__}
        calls C{Clock.__init__(self)} (as C{twisted.internet.testing} does)
        works as both.
        """

        class MemoryReactorClock(testing.MemoryReactor, impl.Clock):  # type: ignore[misc,name-defined]
            def __init__(self) -> None:
                testing.MemoryReactor.__init__(self)
                impl.Clock.__init__(self)

        reactor = MemoryReactorClock()
        log = Log(reactor)
        dc = reactor.callLater(1, log, "a")
        assert IReactorTime.providedBy(reactor)
        assert reactor.getDelayedCalls() == [dc]
        reactor.advance(1)
        assert log.events == [("a", 1.0)]
        assert reactor.tcpClients == []
        reactor.connectTCP("example.com", 80, protocol.ClientFactory())
        assert len(reactor.tcpClients) == 1

    def test_initTwice(self, impl: Any) -> None:
        """
        C{Clock.__init__} can be called again, as subclasses sometimes do.
        """
        clock = impl.Clock()
        impl.Clock.__init__(clock)
        log = Log(clock)
        clock.callLater(1, log, "a")
        clock.advance(1)
        assert log.labels() == ["a"]

    def test_subclassSecondsHonoured(self, impl: Any) -> None:
        """
        A subclass overriding C{seconds()} sets the time used by C{callLater},
        C{advance}, C{reset} and the calls' own C{seconds}.
        """

        class OffsetClock(SecondsOffsetClockMixin, impl.Clock):  # type: ignore[misc,name-defined]
            pass

        clock = OffsetClock()
        log = Log(clock)
        assert clock.seconds() == 100.0
        a = clock.callLater(1, log, "a")
        b = clock.callLater(3, log, "b")
        assert (a.getTime(), b.getTime()) == (101.0, 103.0)
        assert a.seconds() == 100.0
        clock.advance(1)
        assert log.events == [("a", 101.0)]
        b.reset(5)
        assert b.getTime() == 106.0
        clock.advance(4)
        assert log.labels() == ["a"]
        clock.advance(1)
        assert log.events == [("a", 101.0), ("b", 106.0)]

    def test_subclassSecondsChanging(self, impl: Any) -> None:
        """
        An overridden C{seconds()} is asked each time: a clock driven by an
        outside time source fires what is due by that source.
        """
        source = [0.0]

        class External(impl.Clock):  # type: ignore[misc,name-defined]
            def seconds(self) -> float:
                return source[0]

        clock = External()
        log = Log(clock)
        clock.callLater(5, log, "a")
        source[0] = 10.0
        clock.advance(0)
        assert log.events == [("a", 10.0)]

    def test_instanceSecondsHonoured(self, impl: Any) -> None:
        """
        C{seconds} replaced on an instance is honoured too.
        """
        clock = impl.Clock()
        clock.seconds = lambda: 50.0
        log = Log(clock)
        dc = clock.callLater(1, log, "a")
        assert dc.getTime() == 51.0
        clock.advance(0)
        assert log.events == []
        clock.seconds = lambda: 51.0
        clock.advance(0)
        assert log.events == [("a", 51.0)]

    def test_subclassSecondsPatchedLater(self, impl: Any) -> None:
        """
        C{seconds} replaced on a subclass after its instances were made is
        honoured by them.
        """

        class Sub(impl.Clock):  # type: ignore[misc,name-defined]
            pass

        clock = Sub()
        clock.advance(1)
        Sub.seconds = lambda self: self.rightNow + 42.0  # type: ignore[method-assign]
        assert clock.seconds() == 43.0
        assert clock.callLater(1, lambda: None).getTime() == 44.0

    def test_baseSecondsPatched(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        C{seconds} monkeypatched on the clock class itself is honoured.
        """
        monkeypatch.setattr(impl.Clock, "seconds", lambda self: 7.0)
        clock = impl.Clock()
        log = Log(clock)
        dc = clock.callLater(1, log, "a")
        assert dc.getTime() == 8.0
        monkeypatch.setattr(impl.Clock, "seconds", lambda self: 8.0)
        clock.advance(0)
        assert log.events == [("a", 8.0)]

    def test_instanceSecondsDeleted(self, impl: Any) -> None:
        """
        Deleting an instance's C{seconds} goes back to the clock's own.
        """
        clock = impl.Clock()
        clock.seconds = lambda: 5.0
        assert clock.callLater(1, lambda: None).getTime() == 6.0
        del clock.seconds
        assert clock.seconds() == 0.0
        assert clock.callLater(1, lambda: None).getTime() == 1.0

    def test_secondsRaises(self, impl: Any) -> None:
        """
        An exception from an overridden C{seconds()} comes out of
        C{callLater} (which then schedules nothing) and out of C{advance}
        (whose time has then moved).
        """
        broken = [False]

        class Fragile(impl.Clock):  # type: ignore[misc,name-defined]
            def seconds(self) -> float:
                if broken[0]:
                    raise KeyError("no time")
                return self.rightNow  # type: ignore[no-any-return]

        clock = Fragile()
        clock.callLater(1, lambda: None)
        broken[0] = True
        with pytest.raises(KeyError):
            clock.callLater(1, lambda: None)
        with pytest.raises(KeyError):
            clock.advance(1)
        assert clock.rightNow == 1.0
        broken[0] = False
        assert len(clock.getDelayedCalls()) == 1
        clock.advance(0)
        assert clock.getDelayedCalls() == []

    def test_subclassRightNowClassAttribute(self, impl: Any) -> None:
        """
        A subclass may start its time elsewhere with a class attribute
        C{rightNow}.
        """

        class Late(impl.Clock):  # type: ignore[misc,name-defined]
            rightNow = 1000.0

        clock = Late()
        assert clock.seconds() == 1000.0
        assert clock.callLater(1, lambda: None).getTime() == 1001.0
        clock.advance(1)
        assert clock.rightNow == 1001.0

    def test_subclassExtendsCallLater(self, impl: Any) -> None:
        """
        A subclass can extend C{callLater} and C{advance} with C{super()}.
        """
        seen: list[Any] = []

        class Recording(impl.Clock):  # type: ignore[misc,name-defined]
            def callLater(self, delay: float, f: Callable[..., object], *a: Any, **k: Any) -> Any:
                seen.append(("callLater", delay))
                return super().callLater(delay, f, *a, **k)

            def advance(self, amount: float) -> None:
                seen.append(("advance", amount))
                super().advance(amount)

        clock = Recording()
        log = Log(clock)
        clock.callLater(1, log, "a")
        clock.pump([0.5, 0.5])
        assert log.events == [("a", 1.0)]
        assert seen == [("callLater", 1), ("advance", 0.5), ("advance", 0.5)]

    def test_loopingCall(self, impl: Any) -> None:
        """
        L{task.LoopingCall} runs on the clock.
        """
        clock = impl.Clock()
        times: list[float] = []
        loop = task.LoopingCall(lambda: times.append(clock.seconds()))
        loop.clock = clock
        loop.start(1.0)
        clock.pump([0.5] * 7)
        loop.stop()
        assert times == [0.0, 1.0, 2.0, 3.0]
        assert clock.getDelayedCalls() == []

    def test_deferLater(self, impl: Any) -> None:
        """
        L{task.deferLater} fires through the clock, and cancelling its
        Deferred cancels the call.
        """
        clock = impl.Clock()
        results: list[Any] = []
        d = task.deferLater(clock, 2, lambda x: x * 2, 21)
        d.addCallback(results.append)
        clock.advance(2)
        assert results == [42]
        d2 = task.deferLater(clock, 2, lambda: None)
        d2.addErrback(lambda f: results.append(f.type))
        assert len(clock.getDelayedCalls()) == 1
        d2.cancel()
        assert clock.getDelayedCalls() == []
        assert results == [42, defer.CancelledError]


# --- install / uninstall -----------------------------------------------------------------


@pytest.fixture
def installation(cimpl: Any) -> Any:
    """
    Give a test the C implementation to install (skipping it like any C
    test), and undo any installation afterwards.

    The reactor half of install() depends on whether this process already has
    a reactor, which these tests of the name patching do not control: its
    L{TwistedFastWarning} is expected here and tested in
    C{test_reactor_install.py}, in fresh interpreters.
    """
    assert not twisted_fast.installed(), "installed before the test"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", twisted_fast.TwistedFastWarning)
        yield _compat
    twisted_fast.uninstall()


class TestInstall:
    """
    L{twisted_fast.install} and L{twisted_fast.uninstall}.
    """

    def test_installReplaces(self, installation: Any) -> None:
        """
        C{install()} returns C{True} and puts the fast classes at Twisted's
        names; C{task.Clock()} then makes a fast clock.
        """
        assert twisted_fast.install() is True
        assert twisted_fast.installed() is True
        assert task.Clock is installation.Clock
        assert task.LoopingCall is installation.LoopingCall
        assert task.Cooperator is installation.Cooperator
        assert task.CooperativeTask is installation.CooperativeTask
        assert task._theCooperator is fastTask._theCooperator
        assert base.DelayedCall is installation.DelayedCall
        assert issubclass(testing.MemoryReactorClock, installation.Clock)
        clock = task.Clock()
        assert type(clock.callLater(1, lambda: None)) is installation.DelayedCall
        reactor = testing.MemoryReactorClock()
        log = Log(reactor)
        reactor.callLater(1, log, "a")
        reactor.advance(1)
        assert log.events == [("a", 1.0)]
        assert reactor.tcpClients == []

    def test_uninstallRestores(self, installation: Any) -> None:
        """
        C{uninstall()} puts Twisted's classes back.
        """
        originalMRC = testing.MemoryReactorClock
        twisted_fast.install()
        twisted_fast.uninstall()
        assert twisted_fast.installed() is False
        assert task.Clock is _compat.TwistedClock
        assert task.LoopingCall is _compat.TwistedLoopingCall
        assert task.Cooperator is _compat.TwistedCooperator
        assert task.CooperativeTask is _compat.TwistedCooperativeTask
        assert task._theCooperator is not fastTask._theCooperator
        assert base.DelayedCall is _compat.TwistedDelayedCall
        assert testing.MemoryReactorClock is originalMRC

    def test_idempotent(self, installation: Any) -> None:
        """
        Installing twice is like installing once: one uninstall restores
        Twisted's classes; uninstalling again does nothing.
        """
        originalMRC = testing.MemoryReactorClock
        assert twisted_fast.install() is True
        fastMRC = testing.MemoryReactorClock
        assert twisted_fast.install() is True
        assert task.Clock is installation.Clock
        assert testing.MemoryReactorClock is fastMRC
        twisted_fast.uninstall()
        assert task.Clock is _compat.TwistedClock
        assert base.DelayedCall is _compat.TwistedDelayedCall
        assert testing.MemoryReactorClock is originalMRC
        twisted_fast.uninstall()
        assert task.Clock is _compat.TwistedClock
        assert twisted_fast.installed() is False

    def test_fastTaskModule(self, installation: Any) -> None:
        """
        C{twisted_fast.task.Clock}, C{LoopingCall}, C{Cooperator} and
        C{CooperativeTask} are the fast classes, whether installed or not
        (the last three subclass Twisted's); the exception classes and the
        names not accelerated are Twisted's own objects.
        """
        assert fastTask.Clock is installation.Clock
        pairs = [
            (fastTask.LoopingCall, installation.LoopingCall, _compat.TwistedLoopingCall),
            (fastTask.Cooperator, installation.Cooperator, _compat.TwistedCooperator),
            (
                fastTask.CooperativeTask,
                installation.CooperativeTask,
                _compat.TwistedCooperativeTask,
            ),
        ]
        for fast, expected, twisted in pairs:
            assert fast is expected
            assert issubclass(fast, twisted) and fast is not twisted
        assert isinstance(fastTask._theCooperator, fastTask.Cooperator)
        for name in ("SchedulerStopped", "TaskDone", "TaskFailed", "NotPaused"):
            assert getattr(fastTask, name) is getattr(task, name)
        assert fastTask.deferLater is task.deferLater
        assert fastTask.react is task.react


@pytest.mark.skipif(_compat.ACCELERATED, reason="only in fallback mode")
def test_installFallback() -> None:
    """
    In fallback mode C{install()} returns C{False} and changes nothing.
    """
    assert twisted_fast.install() is False
    assert twisted_fast.installed() is False
    assert task.Clock is _compat.TwistedClock
    assert base.DelayedCall is _compat.TwistedDelayedCall
    twisted_fast.uninstall()
    assert task.Clock is _compat.TwistedClock
