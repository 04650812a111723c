"""
Tests for C{DelayedCall} used on its own, constructed with Twisted's signature
C{DelayedCall(time, func, args, kw, cancel, reset, seconds=...)}.

Every test runs on each implementation (see C{conftest.impl}); the expected
values are Twisted's behaviour (C{twisted/internet/base.py}), which the C twin
must reproduce.
"""

from __future__ import annotations

import functools
import gc
import heapq
import time
import weakref
from typing import Any, Callable

import pytest
from zope.interface.verify import verifyObject

from twisted.internet import base, error
from twisted.internet.interfaces import IDelayedCall
from twisted.python import reflect

# --- helpers -----------------------------------------------------------------


def nothing(*args: object, **kw: object) -> None:
    """
    A function that does nothing, named as in Twisted's own tests.
    """


class Now:
    """
    A settable stand-in for C{seconds}: calling it returns C{value}.
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = value
        self.count = 0

    def __call__(self) -> float:
        self.count += 1
        return self.value


class Recorder:
    """
    A canceller or resetter that records what it is called with, and what the
    call looked like at that moment.
    """

    def __init__(self, raises: BaseException | None = None) -> None:
        self.calls: list[Any] = []
        self.snapshots: list[dict[str, Any]] = []
        self.raises = raises

    def __call__(self, dc: Any) -> None:
        self.calls.append(dc)
        self.snapshots.append(
            {
                "time": dc.time,
                "delayed_time": dc.delayed_time,
                "cancelled": dc.cancelled,
                "called": dc.called,
                "hasFunc": hasattr(dc, "func"),
            }
        )
        if self.raises is not None:
            raise self.raises


def make(
    impl: Any,
    t: float = 10.0,
    func: Callable[..., object] = nothing,
    args: Any = (),
    kw: Any = None,
    cancel: Any = None,
    reset: Any = None,
    seconds: Any = None,
) -> Any:
    """
    Build a DelayedCall of C{impl} with recorders and a settable clock unless
    given.
    """
    return impl.DelayedCall(
        t,
        func,
        args,
        {} if kw is None else kw,
        Recorder() if cancel is None else cancel,
        Recorder() if reset is None else reset,
        Now(0.0) if seconds is None else seconds,
    )


def head(dc: Any, delta: str, called: int = 0, cancelled: int = 0) -> str:
    """
    The start of Twisted's repr of C{dc}, up to the state flags.
    """
    return "<DelayedCall 0x%x [%ss] called=%s cancelled=%s" % (
        id(dc),
        delta,
        called,
        cancelled,
    )


# --- construction and attributes --------------------------------------------


class TestConstruction:
    """
    Building a DelayedCall with Twisted's signature.
    """

    def test_attributes(self, impl: Any) -> None:
        """
        The constructor arguments are stored as C{time}, C{func}, C{args},
        C{kw}, C{canceller}, C{resetter} and C{seconds}; C{called} and
        C{cancelled} start at 0 and C{delayed_time} at 0.0.
        """
        args = (1, "two")
        kw = {"a": 3}
        canceller, resetter, seconds = Recorder(), Recorder(), Now(2.0)
        dc = impl.DelayedCall(12.5, nothing, args, kw, canceller, resetter, seconds)
        assert dc.time == 12.5
        assert dc.func is nothing
        assert dc.args is args
        assert dc.kw is kw
        assert dc.canceller is canceller
        assert dc.resetter is resetter
        assert dc.seconds is seconds
        assert dc.called == 0 and type(dc.called) is int
        assert dc.cancelled == 0 and type(dc.cancelled) is int
        assert dc.delayed_time == 0.0 and type(dc.delayed_time) is float
        assert dc.creator is None
        assert canceller.calls == [] and resetter.calls == []

    def test_secondsKeyword(self, impl: Any) -> None:
        """
        C{seconds} may be passed by keyword, and the others positionally.
        """
        now = Now(4.0)
        dc = impl.DelayedCall(10.0, nothing, (), {}, None, Recorder(), seconds=now)
        assert dc.seconds is now
        dc.reset(1.0)
        assert dc.getTime() == 5.0

    def test_allKeywords(self, impl: Any) -> None:
        """
        Every parameter may be passed by its Twisted name.
        """
        now = Now(1.0)
        dc = impl.DelayedCall(
            time=3.0,
            func=nothing,
            args=(1,),
            kw={"b": 2},
            cancel=None,
            reset=None,
            seconds=now,
        )
        assert (dc.time, dc.func, dc.args, dc.kw, dc.seconds) == (
            3.0,
            nothing,
            (1,),
            {"b": 2},
            now,
        )

    def test_defaultSeconds(self, impl: Any) -> None:
        """
        Without C{seconds}, the wall clock (C{time.time}, Twisted's
        C{runtimeSeconds}) is used to reset the call.
        """
        dc = impl.DelayedCall(time.time() + 1000.0, nothing, (), {}, None, Recorder())
        before = time.time()
        dc.reset(10.0)
        after = time.time()
        assert before + 10.0 <= dc.getTime() <= after + 10.0

    def test_noneCallbacks(self, impl: Any) -> None:
        """
        C{None} is accepted for the canceller, resetter and seconds (Twisted's
        own tests build calls that way) as long as they are not used.
        """
        zero = impl.DelayedCall(0, lambda: None, (), {}, None, None, None)
        one = impl.DelayedCall(1, lambda: None, (), {}, None, None, None)
        assert zero < one
        assert zero.getTime() == 0 and one.getTime() == 1
        assert zero.active()

    def test_kwIsKeptNotCopied(self, impl: Any) -> None:
        """
        The C{kw} dict is stored as given: changing it later changes what the
        repr shows.
        """
        kw: dict[str, object] = {"a": 1}
        dc = make(impl, 12.0, nothing, (), kw, seconds=Now(1.5))
        kw["b"] = 2
        assert repr(dc).endswith(" nothing(a=1, b=2)>")

    def test_listArgs(self, impl: Any) -> None:
        """
        C{args} may be any sequence; a list is kept and shown like a tuple.
        """
        args = [1, 2]
        dc = make(impl, 12.0, nothing, args, seconds=Now(1.5))
        assert dc.args is args
        assert repr(dc) == head(dc, "10.5") + " nothing(1, 2)>"

    def test_instanceAttributes(self, impl: Any) -> None:
        """
        Arbitrary attributes can be set on an instance, as on Twisted's.
        """
        dc = make(impl)
        dc.anything = "value"
        assert dc.anything == "value"

    def test_calledWritable(self, impl: Any) -> None:
        """
        C{called} is written by the reactor when it runs the call
        (C{ReactorBase.runUntilCurrent} sets it to 1): the call then is no
        longer active and cannot be cancelled or rescheduled.
        """
        canceller, resetter = Recorder(), Recorder()
        dc = make(impl, cancel=canceller, reset=resetter)
        dc.called = 1
        assert dc.called == 1
        assert dc.active() is False
        with pytest.raises(error.AlreadyCalled):
            dc.cancel()
        with pytest.raises(error.AlreadyCalled):
            dc.reset(1.0)
        with pytest.raises(error.AlreadyCalled):
            dc.delay(1.0)
        assert canceller.calls == [] and resetter.calls == []
        assert dc.func is nothing

    def test_providesIDelayedCall(self, impl: Any) -> None:
        """
        Instances provide L{IDelayedCall}, verifiably.
        """
        dc = make(impl)
        assert IDelayedCall.providedBy(dc)
        assert IDelayedCall.implementedBy(impl.DelayedCall)
        assert verifyObject(IDelayedCall, dc)


# --- getTime, activate_delay ------------------------------------------------


class TestGetTime:
    """
    C{getTime} is C{time + delayed_time}, computed the way Twisted does.
    """

    def test_initial(self, impl: Any) -> None:
        """
        A new call's time is the one it was built with.
        """
        dc = make(impl, 7.25)
        assert dc.getTime() == 7.25

    def test_sumOfTimeAndDelay(self, impl: Any) -> None:
        """
        After C{delay}, C{getTime} is C{time + delayed_time}, with float
        rounding as Python does it.
        """
        dc = make(impl, 0.7)
        dc.delay(0.1)
        dc.delay(0.2)
        assert dc.time == 0.7
        assert dc.delayed_time == 0.1 + 0.2
        assert dc.getTime() == 0.7 + (0.1 + 0.2)

    def test_activateDelay(self, impl: Any) -> None:
        """
        C{activate_delay} folds C{delayed_time} into C{time}.
        """
        dc = make(impl, 0.7)
        dc.delay(0.3)
        resetter = dc.resetter
        dc.activate_delay()
        assert dc.time == 0.7 + 0.3
        assert dc.delayed_time == 0.0
        assert dc.getTime() == 0.7 + 0.3
        assert resetter.calls == []


# --- active -------------------------------------------------------------------


class TestActive:
    """
    C{active} is true until the call is made or cancelled.
    """

    def test_newIsActive(self, impl: Any) -> None:
        """
        A new call is active (C{True}, a bool).
        """
        assert make(impl).active() is True

    def test_cancelledIsInactive(self, impl: Any) -> None:
        """
        A cancelled call is not active (C{False}, a bool).
        """
        dc = make(impl)
        dc.cancel()
        assert dc.active() is False

    def test_delayedStillActive(self, impl: Any) -> None:
        """
        Rescheduling does not change C{active}.
        """
        dc = make(impl)
        dc.delay(1.0)
        dc.reset(1.0)
        assert dc.active() is True


# --- cancel -------------------------------------------------------------------


class TestCancel:
    """
    C{cancel} calls the canceller, marks the call cancelled and drops the
    function and its arguments.
    """

    def test_cancel(self, impl: Any) -> None:
        """
        The canceller is called once, with the call, before C{cancelled} is set
        and while C{func} is still there; afterwards C{cancelled} is 1 and
        C{func}, C{args} and C{kw} are gone.
        """
        canceller = Recorder()
        dc = make(impl, 10.0, nothing, (1,), {"a": 2}, cancel=canceller)
        assert dc.cancel() is None
        assert canceller.calls == [dc]
        assert canceller.snapshots[0]["cancelled"] == 0
        assert canceller.snapshots[0]["hasFunc"] is True
        assert dc.cancelled == 1 and type(dc.cancelled) is int
        assert dc.called == 0
        for name in ("func", "args", "kw"):
            assert not hasattr(dc, name)
            with pytest.raises(AttributeError):
                getattr(dc, name)

    def test_timeSurvivesCancel(self, impl: Any) -> None:
        """
        A cancelled call keeps its C{time}, C{delayed_time} and C{getTime}.
        """
        dc = make(impl, 10.0)
        dc.delay(2.0)
        dc.cancel()
        assert (dc.time, dc.delayed_time, dc.getTime()) == (10.0, 2.0, 12.0)

    def test_cancelTwice(self, impl: Any) -> None:
        """
        Cancelling a cancelled call raises L{error.AlreadyCancelled} and does
        not call the canceller again.
        """
        canceller = Recorder()
        dc = make(impl, cancel=canceller)
        dc.cancel()
        with pytest.raises(error.AlreadyCancelled):
            dc.cancel()
        assert canceller.calls == [dc]

    def test_cancelCalled(self, impl: Any) -> None:
        """
        Cancelling a call already made raises L{error.AlreadyCalled}, leaves
        the function in place and does not call the canceller.
        """
        canceller = Recorder()
        dc = make(impl, 10.0, nothing, (1,), cancel=canceller)
        dc.called = 1
        with pytest.raises(error.AlreadyCalled):
            dc.cancel()
        assert canceller.calls == []
        assert dc.cancelled == 0
        assert dc.func is nothing and dc.args == (1,)

    def test_cancelledWinsOverCalled(self, impl: Any) -> None:
        """
        When a call is both cancelled and marked called, C{cancel}, C{reset}
        and C{delay} raise L{error.AlreadyCancelled}: that is checked first.
        """
        dc = make(impl)
        dc.cancel()
        dc.called = 1
        with pytest.raises(error.AlreadyCancelled):
            dc.cancel()
        with pytest.raises(error.AlreadyCancelled):
            dc.reset(1.0)
        with pytest.raises(error.AlreadyCancelled):
            dc.delay(1.0)

    def test_cancellerRaises(self, impl: Any) -> None:
        """
        If the canceller raises, the exception propagates and the call is left
        as it was: not cancelled, still active, function in place.
        """
        boom = RuntimeError("canceller failed")
        dc = make(impl, 10.0, nothing, (1,), cancel=Recorder(raises=boom))
        with pytest.raises(RuntimeError) as info:
            dc.cancel()
        assert info.value is boom
        assert dc.cancelled == 0
        assert dc.active() is True
        assert dc.func is nothing and dc.args == (1,) and dc.kw == {}

    def test_cancelReleasesReferences(self, impl: Any) -> None:
        """
        After C{cancel}, the call no longer references its function and
        arguments.
        """

        class Thing:
            pass

        func, arg, value = Thing(), Thing(), Thing()
        refs = [weakref.ref(o) for o in (func, arg, value)]
        dc = make(impl, 10.0, func, (arg,), {"k": value})  # type: ignore[arg-type]
        del func, arg, value
        gc.collect()
        assert all(r() is not None for r in refs)
        dc.cancel()
        assert all(r() is None for r in refs)


# --- reset ---------------------------------------------------------------------


class TestReset:
    """
    C{reset(secondsFromNow)} moves the call to C{seconds() + secondsFromNow}:
    sooner by changing C{time} and calling the resetter, later by setting
    C{delayed_time} only.
    """

    def test_sooner(self, impl: Any) -> None:
        """
        Resetting to an earlier time sets C{time}, zeroes C{delayed_time} and
        calls the resetter once with the call, after the change.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter, seconds=Now(1.0))
        dc.delay(5.0)
        assert dc.reset(2.0) is None
        assert dc.time == 3.0
        assert dc.delayed_time == 0.0
        assert dc.getTime() == 3.0
        assert resetter.calls == [dc]
        assert resetter.snapshots[0]["time"] == 3.0
        assert resetter.snapshots[0]["delayed_time"] == 0.0

    def test_later(self, impl: Any) -> None:
        """
        Resetting to a later time keeps C{time}, sets C{delayed_time} to the
        difference (replacing any earlier delay) and does not call the
        resetter.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter, seconds=Now(1.0))
        dc.delay(3.0)
        dc.reset(20.0)
        assert dc.time == 10.0
        assert dc.delayed_time == 11.0
        assert dc.getTime() == 21.0
        assert resetter.calls == []

    def test_sameTime(self, impl: Any) -> None:
        """
        Resetting to exactly C{time} is not "sooner": C{delayed_time} becomes
        0.0 and the resetter is not called.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter, seconds=Now(4.0))
        dc.delay(2.0)
        dc.reset(6.0)
        assert (dc.time, dc.delayed_time, dc.getTime()) == (10.0, 0.0, 10.0)
        assert resetter.calls == []

    def test_comparedWithTimeNotGetTime(self, impl: Any) -> None:
        """
        "Sooner" means sooner than C{time}, not than C{getTime()}: resetting a
        delayed call to before its delayed time but after C{time} only
        shrinks C{delayed_time}.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter, seconds=Now(0.0))
        dc.delay(10.0)
        dc.reset(15.0)
        assert (dc.time, dc.delayed_time) == (10.0, 5.0)
        assert resetter.calls == []

    def test_negative(self, impl: Any) -> None:
        """
        A negative C{secondsFromNow} is accepted and moves the call into the
        past.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter, seconds=Now(1.0))
        dc.reset(-3.0)
        assert dc.time == -2.0
        assert resetter.calls == [dc]

    def test_floatArithmetic(self, impl: Any) -> None:
        """
        A later reset stores C{delayed_time = newTime - time}, so C{getTime()}
        is C{time + (newTime - time)}, which can differ from C{newTime} in the
        last bit; the implementations must agree on it bit for bit.
        """
        dc = make(impl, 0.7, seconds=Now(0.9))
        dc.reset(2.2)
        newTime = 0.9 + 2.2
        assert dc.delayed_time == newTime - 0.7
        assert dc.getTime() == 0.7 + (newTime - 0.7)
        assert dc.getTime() != newTime  # 3.1000000000000005, not 3.1

    def test_readsSecondsEachTime(self, impl: Any) -> None:
        """
        C{reset} asks C{seconds()} for the current time when it is called.
        """
        now = Now(1.0)
        dc = make(impl, 100.0, seconds=now)
        dc.reset(10.0)
        assert dc.getTime() == 11.0
        now.value = 50.0
        dc.reset(10.0)
        assert dc.getTime() == 60.0

    def test_secondsRaises(self, impl: Any) -> None:
        """
        An exception from C{seconds()} propagates and leaves the call as it
        was.
        """

        def seconds() -> float:
            raise ZeroDivisionError("no time")

        dc = make(impl, 10.0, seconds=seconds)
        with pytest.raises(ZeroDivisionError):
            dc.reset(1.0)
        assert (dc.time, dc.delayed_time) == (10.0, 0.0)

    def test_resetterRaises(self, impl: Any) -> None:
        """
        An exception from the resetter propagates; the new time has already
        been set.
        """
        dc = make(impl, 10.0, reset=Recorder(raises=KeyError("r")), seconds=Now(0.0))
        with pytest.raises(KeyError):
            dc.reset(1.0)
        assert (dc.time, dc.delayed_time) == (1.0, 0.0)

    def test_cancelled(self, impl: Any) -> None:
        """
        Resetting a cancelled call raises L{error.AlreadyCancelled} and changes
        nothing.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter)
        dc.cancel()
        with pytest.raises(error.AlreadyCancelled):
            dc.reset(1.0)
        assert (dc.time, dc.delayed_time) == (10.0, 0.0)
        assert resetter.calls == []

    def test_called(self, impl: Any) -> None:
        """
        Resetting a call already made raises L{error.AlreadyCalled}.
        """
        dc = make(impl, 10.0)
        dc.called = 1
        with pytest.raises(error.AlreadyCalled):
            dc.reset(1.0)
        assert (dc.time, dc.delayed_time) == (10.0, 0.0)


# --- delay ---------------------------------------------------------------------


class TestDelay:
    """
    C{delay(secondsLater)} adds to C{delayed_time}; when that goes negative the
    delay is folded into C{time} and the resetter is called.
    """

    def test_later(self, impl: Any) -> None:
        """
        A positive delay adds to C{delayed_time} and leaves C{time} and the
        resetter alone.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter)
        assert dc.delay(2) is None
        assert dc.delayed_time == 2.0
        dc.delay(0.5)
        assert (dc.time, dc.delayed_time, dc.getTime()) == (10.0, 2.5, 12.5)
        assert resetter.calls == []

    def test_negativeStillNonNegative(self, impl: Any) -> None:
        """
        A negative delay that leaves C{delayed_time} at or above zero only
        changes C{delayed_time}.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter)
        dc.delay(3.0)
        dc.delay(-1.0)
        assert (dc.time, dc.delayed_time) == (10.0, 2.0)
        dc.delay(-2.0)
        assert (dc.time, dc.delayed_time) == (10.0, 0.0)
        assert resetter.calls == []

    def test_zero(self, impl: Any) -> None:
        """
        C{delay(0)} changes nothing and does not call the resetter.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter)
        dc.delay(0)
        assert (dc.time, dc.delayed_time) == (10.0, 0.0)
        assert resetter.calls == []

    def test_negativeBelowZero(self, impl: Any) -> None:
        """
        A delay that brings C{delayed_time} below zero folds it into C{time}
        (C{activate_delay}) and then calls the resetter.
        """
        resetter = Recorder()
        dc = make(impl, 10.0, reset=resetter)
        dc.delay(1.0)
        dc.delay(-3.5)
        assert (dc.time, dc.delayed_time, dc.getTime()) == (7.5, 0.0, 7.5)
        assert resetter.calls == [dc]
        assert resetter.snapshots[0]["time"] == 7.5
        assert resetter.snapshots[0]["delayed_time"] == 0.0

    def test_activateDelayThenResetter(self, impl: Any) -> None:
        """
        The negative-delay path calls the C{activate_delay} method (so that a
        subclass sees it) before the resetter.
        """
        events: list[str] = []

        class Sub(impl.DelayedCall):  # type: ignore[misc,name-defined]
            def activate_delay(self) -> None:
                events.append("activate_delay")
                super().activate_delay()

        dc = Sub(10.0, nothing, (), {}, None, lambda c: events.append("resetter"), None)
        dc.delay(-1.0)
        assert events == ["activate_delay", "resetter"]
        assert dc.time == 9.0

    def test_floatArithmetic(self, impl: Any) -> None:
        """
        The delays accumulate in C{delayed_time} with Python float rounding.
        """
        dc = make(impl, 0.7)
        for _ in range(3):
            dc.delay(0.1)
        assert dc.delayed_time == 0.1 + 0.1 + 0.1
        assert dc.getTime() == 0.7 + (0.1 + 0.1 + 0.1)

    def test_cancelled(self, impl: Any) -> None:
        """
        Delaying a cancelled call raises L{error.AlreadyCancelled}.
        """
        dc = make(impl)
        dc.cancel()
        with pytest.raises(error.AlreadyCancelled):
            dc.delay(1.0)
        assert dc.delayed_time == 0.0

    def test_called(self, impl: Any) -> None:
        """
        Delaying a call already made raises L{error.AlreadyCalled}.
        """
        dc = make(impl)
        dc.called = 1
        with pytest.raises(error.AlreadyCalled):
            dc.delay(-1.0)
        assert (dc.time, dc.delayed_time) == (10.0, 0.0)


# --- comparisons, equality, hashing -------------------------------------------


class TestComparison:
    """
    Ordering compares C{time} only; equality is identity.
    """

    def test_lt(self, impl: Any) -> None:
        """
        C{a < b} iff C{a.time < b.time}.
        """
        zero, one = make(impl, 0), make(impl, 1)
        assert zero < one
        assert not one < zero
        assert not zero < zero

    def test_le(self, impl: Any) -> None:
        """
        C{a <= b} iff C{a.time <= b.time}.
        """
        zero, one, alsoOne = make(impl, 0), make(impl, 1), make(impl, 1)
        assert zero <= one
        assert not one <= zero
        assert one <= alsoOne and alsoOne <= one

    def test_gt(self, impl: Any) -> None:
        """
        C{a > b} iff C{a.time > b.time}.
        """
        zero, one = make(impl, 0), make(impl, 1)
        assert one > zero
        assert not zero > one
        assert not one > one

    def test_ge(self, impl: Any) -> None:
        """
        C{a >= b} iff C{a.time >= b.time}.
        """
        zero, one, alsoOne = make(impl, 0), make(impl, 1), make(impl, 1)
        assert one >= zero
        assert not zero >= one
        assert one >= alsoOne and alsoOne >= one

    def test_ignoresDelayedTime(self, impl: Any) -> None:
        """
        The comparisons use C{time}, not C{getTime()}: a call delayed past
        another still compares as earlier.
        """
        a, b = make(impl, 1.0), make(impl, 2.0)
        a.delay(5.0)
        assert a.getTime() > b.getTime()
        assert a < b and a <= b and b > a and b >= a
        assert not (a > b) and not (a >= b)

    def test_eq(self, impl: Any) -> None:
        """
        A call is equal only to itself, even to another with the same time,
        function and arguments.
        """
        a = make(impl, 1.0, nothing, (1,))
        b = make(impl, 1.0, nothing, (1,))
        assert a == a
        assert not (a == b)
        assert not (a == 1.0)

    def test_ne(self, impl: Any) -> None:
        """
        C{!=} is the negation of identity.
        """
        a, b = make(impl, 1.0), make(impl, 1.0)
        assert a != b
        assert not (a != a)
        assert a != "a"

    def test_hashable(self, impl: Any) -> None:
        """
        Calls are hashable, by identity, and their hash does not change when
        they are rescheduled or cancelled.
        """
        a, b = make(impl, 1.0), make(impl, 1.0)
        h = hash(a)
        table = {a: "a", b: "b"}
        a.delay(3.0)
        a.reset(0.5)
        a.cancel()
        assert hash(a) == h
        assert table[a] == "a" and table[b] == "b"
        assert len({a, b, a}) == 2

    def test_sortAndHeap(self, impl: Any) -> None:
        """
        C{sorted} and C{heapq} (as C{ReactorBase} uses it) order calls by
        C{time}.
        """
        times = [5.0, 1.0, 4.0, 2.0, 3.0, 0.5]
        calls = [make(impl, t) for t in times]
        assert [c.time for c in sorted(calls)] == sorted(times)
        heap: list[Any] = []
        for c in calls:
            heapq.heappush(heap, c)
        assert [heapq.heappop(heap).time for _ in calls] == sorted(times)


# --- repr and str ------------------------------------------------------------------


class Method:
    """
    Has a method, for the repr of bound methods.
    """

    def method(self) -> None:
        """
        Do nothing.
        """


class NamedCallable:
    """
    A callable instance with C{__name__} (and no C{__qualname__}).
    """

    def __init__(self, name: str, imClass: object = None) -> None:
        self.__name__ = name
        if imClass is not None:
            self.im_class = imClass

    def __call__(self) -> None:
        """
        Do nothing.
        """


class Anonymous:
    """
    A callable instance with neither C{__name__} nor C{__qualname__}.
    """

    def __call__(self) -> None:
        """
        Do nothing.
        """

    def __repr__(self) -> str:
        return "<anonymous callable>"


class BrokenRepr:
    """
    An object whose C{repr} raises.
    """

    def __repr__(self) -> str:
        raise ValueError("no repr for you")


class TestRepr:
    """
    The repr (and str) is Twisted's, character for character.
    """

    def test_str(self, impl: Any) -> None:
        """
        Twisted's test case: id, time left, state, qualified function name and
        arguments.
        """
        dc = impl.DelayedCall(12, nothing, (3,), {"A": 5}, None, None, lambda: 1.5)
        assert str(dc) == (
            "<DelayedCall 0x%x [10.5s] called=0 cancelled=0 nothing(3, A=5)>" % id(dc)
        )

    def test_reprIsStr(self, impl: Any) -> None:
        """
        C{repr} and C{str} are the same.
        """
        dc = impl.DelayedCall(13, nothing, (6,), {"A": 9}, None, None, lambda: 1.6)
        assert repr(dc) == str(dc)
        assert repr(dc) == head(dc, 13 - 1.6) + " nothing(6, A=9)>"

    def test_noArguments(self, impl: Any) -> None:
        """
        No arguments: empty parentheses.
        """
        dc = make(impl, 12.0, nothing, seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " nothing()>"

    def test_argsOnly(self, impl: Any) -> None:
        """
        Positional arguments are shown by their repr, comma separated.
        """
        dc = make(impl, 12.0, nothing, (1, "x", None, [2]), seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " nothing(1, 'x', None, [2])>"

    def test_kwOnly(self, impl: Any) -> None:
        """
        Keyword arguments are shown as C{name=repr}, in dict order.
        """
        dc = make(impl, 12.0, nothing, (), {"b": "x", "a": 1}, seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " nothing(b='x', a=1)>"

    def test_argsAndKw(self, impl: Any) -> None:
        """
        Positional then keyword arguments, separated by a comma.
        """
        dc = make(impl, 12.0, nothing, (1,), {"a": 2}, seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " nothing(1, a=2)>"

    def test_nestedFunction(self, impl: Any) -> None:
        """
        The function's C{__qualname__} is used.
        """

        def inner() -> None:
            pass

        dc = make(impl, 12.0, inner, seconds=Now(1.5))
        assert repr(dc) == (
            head(dc, "10.5") + " TestRepr.test_nestedFunction.<locals>.inner()>"
        )

    def test_boundMethod(self, impl: Any) -> None:
        """
        A bound method shows as C{Class.method}.
        """
        dc = make(impl, 12.0, Method().method, seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " Method.method()>"

    def test_builtin(self, impl: Any) -> None:
        """
        A builtin shows by its C{__qualname__}.
        """
        out: list[int] = []
        dc = make(impl, 12.0, out.append, (1,), seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " list.append(1)>"

    def test_nameWithoutQualname(self, impl: Any) -> None:
        """
        Without C{__qualname__}, C{__name__} is used.
        """
        dc = make(impl, 12.0, NamedCallable("named"), seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " named()>"

    def test_imClass(self, impl: Any) -> None:
        """
        Without C{__qualname__}, C{__name__} is prefixed with C{im_class} if
        the callable has one (formatted with C{str}).
        """
        dc = make(impl, 12.0, NamedCallable("named", "Klass"), seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " Klass.named()>"

    def test_noName(self, impl: Any) -> None:
        """
        Without C{__qualname__} or C{__name__}, the callable's repr is used.
        """
        dc = make(impl, 12.0, Anonymous(), (1,), seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " <anonymous callable>(1)>"

    def test_partial(self, impl: Any) -> None:
        """
        A C{functools.partial} has no name: its repr is used.
        """
        p = functools.partial(nothing, 1)
        dc = make(impl, 12.0, p, (2,), seconds=Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " " + repr(p) + "(2)>"

    def test_brokenArgumentRepr(self, impl: Any) -> None:
        """
        An argument whose repr raises is shown by
        L{twisted.python.reflect.safe_repr}: class name, id and the traceback.
        """
        broken = BrokenRepr()
        dc = make(impl, 12.0, nothing, (broken,), {"k": broken}, seconds=Now(1.5))
        text = repr(dc)
        prefix = "<BrokenRepr instance at 0x%x with repr error:\n " % id(broken)
        assert text.startswith(head(dc, "10.5") + " nothing(" + prefix)
        assert text.count(prefix) == 2
        assert ", k=" + prefix in text
        assert text.count("ValueError: no repr for you") == 2
        assert text.endswith(">)>")

    def test_brokenArgumentMatchesSafeRepr(self, impl: Any) -> None:
        """
        The text for a broken argument is that of
        L{twisted.python.reflect.safe_repr} apart from the traceback's frames.
        """
        broken = BrokenRepr()
        dc = make(impl, 12.0, nothing, (broken,), seconds=Now(1.5))
        text = repr(dc)
        expected = reflect.safe_repr(broken)
        lastLine = expected.rstrip("\n>").splitlines()[-1]
        assert lastLine == "ValueError: no repr for you"
        assert text.rstrip(")>\n").endswith(lastLine)

    def test_timeFromSecondsAtReprTime(self, impl: Any) -> None:
        """
        The time shown is C{time - seconds()} at the moment of the repr.
        """
        now = Now(1.5)
        dc = make(impl, 12.0, nothing, seconds=now)
        assert "[10.5s]" in repr(dc)
        now.value = 14.5
        assert repr(dc) == head(dc, "-2.5") + " nothing()>"

    def test_timeIgnoresDelay(self, impl: Any) -> None:
        """
        The time shown uses C{time}, not C{getTime()}.
        """
        dc = make(impl, 12.0, nothing, seconds=Now(1.5))
        dc.delay(5.0)
        assert repr(dc) == head(dc, "10.5") + " nothing()>"

    @pytest.mark.parametrize(
        "t, now, shown",
        [
            (0.30000000000000004, 0.0, "0.30000000000000004"),
            (1e20, 0.0, "1e+20"),
            (1.0, 0.9, str(1.0 - 0.9)),
            (5.0, 5.0, "0.0"),
            (float("inf"), 0.0, "inf"),
        ],
    )
    def test_floatFormatting(self, impl: Any, t: float, now: float, shown: str) -> None:
        """
        The time left is formatted as C{str(float)}.
        """
        dc = make(impl, t, nothing, seconds=Now(now))
        assert repr(dc) == head(dc, shown) + " nothing()>"

    def test_cancelled(self, impl: Any) -> None:
        """
        Once cancelled (not in debug mode), the repr has no function part and
        says C{cancelled=1}; the time left is still live.
        """
        now = Now(1.5)
        dc = make(impl, 12.0, nothing, (3,), {"A": 5}, seconds=now)
        dc.cancel()
        assert repr(dc) == head(dc, "10.5", cancelled=1) + ">"
        now.value = 2.5
        assert repr(dc) == head(dc, "9.5", cancelled=1) + ">"

    def test_called(self, impl: Any) -> None:
        """
        A call marked called still shows its function and arguments.
        """
        dc = make(impl, 12.0, nothing, (3,), seconds=Now(1.5))
        dc.called = 1
        assert repr(dc) == head(dc, "10.5", called=1) + " nothing(3)>"

    def test_strUsesSubclassRepr(self, impl: Any) -> None:
        """
        C{str} goes through C{__repr__}, so a subclass overriding C{__repr__}
        changes both.
        """

        class Sub(impl.DelayedCall):  # type: ignore[misc,name-defined]
            def __repr__(self) -> str:
                return "custom"

        dc = Sub(12.0, nothing, (), {}, None, None, Now(1.5))
        assert (repr(dc), str(dc)) == ("custom", "custom")

    def test_subclassReprSaysDelayedCall(self, impl: Any) -> None:
        """
        The repr names C{DelayedCall} whatever the subclass.
        """

        class Sub(impl.DelayedCall):  # type: ignore[misc,name-defined]
            pass

        dc = Sub(12.0, nothing, (), {}, None, None, Now(1.5))
        assert repr(dc) == head(dc, "10.5") + " nothing()>"


# --- debug mode ----------------------------------------------------------------------


def makeCall(impl: Any, seconds: Callable[[], float]) -> Any:
    """
    Construct a DelayedCall one frame below the caller (Twisted's creator
    stack leaves out the constructor's frame and its caller's).
    """
    return impl.DelayedCall(12, nothing, (3,), {"A": 5}, nothing, nothing, seconds)


class TestDebug:
    """
    With C{DelayedCall.debug} set, the creator's stack is recorded and shown,
    and the repr is frozen at cancellation.
    """

    def test_defaults(self, impl: Any) -> None:
        """
        C{debug} is off by default and C{creator} is C{None}.
        """
        assert impl.DelayedCall.debug is False
        dc = make(impl)
        assert dc.debug is False
        assert dc.creator is None

    def test_creator(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        With the class attribute C{debug} set, C{creator} is the formatted
        stack at creation, without the constructor's frame and the frame that
        called it: its last entry is the frame one further up.
        """
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        dc = makeCall(impl, lambda: 1.5)
        creator = dc.creator
        assert isinstance(creator, list)
        assert creator and all(isinstance(line, str) for line in creator)
        assert creator[-1].startswith('  File "')
        assert __file__ in creator[-1]
        assert ", in test_creator\n" in creator[-1]
        assert "dc = makeCall(impl, lambda: 1.5)" in creator[-1]
        assert not any("in makeCall\n" in line for line in creator)

    def test_reprWithCreator(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        In debug mode the repr ends with the creator stack, joined with four
        spaces, exactly as Twisted formats it.
        """
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        dc = makeCall(impl, lambda: 1.5)
        assert repr(dc) == (
            head(dc, "10.5")
            + " nothing(3, A=5)\n\ntraceback at creation: \n\n"
            + "    ".join(dc.creator)
            + ">"
        )

    def test_switchToDebug(self, impl: Any) -> None:
        """
        Setting C{debug} on an instance after creation does not invent a
        creator stack (Twisted's C{test_switchToDebug}).
        """
        dc = impl.DelayedCall(3, lambda: None, (), {}, nothing, nothing, lambda: 2.0)
        dc.debug = 1
        assert dc.debug == 1
        assert impl.DelayedCall.debug is False
        assert "traceback at creation" not in repr(dc)

    def test_switchFromDebug(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        Clearing C{debug} on an instance keeps showing the stack captured at
        creation (Twisted's C{test_switchFromDebug}).
        """
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        dc = impl.DelayedCall(3, lambda: None, (), {}, nothing, nothing, lambda: 2.0)
        dc.debug = 0
        assert "traceback at creation" in repr(dc)

    def test_reprCachedOnCancel(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        Cancelling in debug mode freezes the repr as it was at cancellation
        (with C{cancelled=1}, the function and arguments, and the creator).
        """
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        now = Now(1.5)
        dc = makeCall(impl, now)
        dc.cancel()
        frozen = (
            head(dc, "10.5", cancelled=1)
            + " nothing(3, A=5)\n\ntraceback at creation: \n\n"
            + "    ".join(dc.creator)
            + ">"
        )
        assert repr(dc) == frozen
        now.value = 5.0
        assert repr(dc) == frozen
        assert str(dc) == frozen

    def test_instanceDebugCachesOnCancel(self, impl: Any) -> None:
        """
        C{debug} set on the instance only (no creator) still freezes the repr
        at cancellation.
        """
        now = Now(1.5)
        dc = make(impl, 12.0, nothing, (3,), seconds=now)
        dc.debug = 1
        dc.cancel()
        frozen = head(dc, "10.5", cancelled=1) + " nothing(3)>"
        assert repr(dc) == frozen
        now.value = 3.0
        assert repr(dc) == frozen

    def test_noDebugNoCache(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A call created in debug mode but cancelled with C{debug} cleared on the
        instance is not frozen: the function part goes, the stack stays.
        """
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        now = Now(1.5)
        dc = makeCall(impl, now)
        dc.debug = 0
        dc.cancel()
        now.value = 2.5
        assert repr(dc) == (
            head(dc, "9.5", cancelled=1)
            + "\n\ntraceback at creation: \n\n"
            + "    ".join(dc.creator)
            + ">"
        )

    def test_debugOffAgain(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        Turning the class attribute off again stops recording creators.
        """
        monkeypatch.setattr(impl.DelayedCall, "debug", True)
        assert makeCall(impl, lambda: 0.0).creator is not None
        monkeypatch.setattr(impl.DelayedCall, "debug", False)
        assert makeCall(impl, lambda: 0.0).creator is None


# --- weak references, subclassing ---------------------------------------------------


class TestObject:
    """
    Calls behave as ordinary Python objects: weak references, subclasses.
    """

    def test_weakref(self, impl: Any) -> None:
        """
        A call can be weakly referenced, and the reference dies with it.
        """
        dc = make(impl)
        ref = weakref.ref(dc)
        assert ref() is dc
        del dc
        gc.collect()
        assert ref() is None

    def test_subclass(self, impl: Any) -> None:
        """
        A subclass can add attributes and methods, override C{__init__} and
        extend methods with C{super()}.
        """
        log: list[str] = []

        class Sub(impl.DelayedCall):  # type: ignore[misc,name-defined]
            extra = "class attribute"

            def __init__(self, label: str, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.label = label

            def cancel(self) -> None:
                log.append("cancel " + self.label)
                super().cancel()

            def getTime(self) -> float:
                return super().getTime() * 2

        canceller = Recorder()
        dc = Sub("x", 5.0, nothing, (), {}, canceller, None, seconds=Now(0.0))
        assert isinstance(dc, impl.DelayedCall)
        assert IDelayedCall.providedBy(dc)
        assert (dc.label, dc.extra, dc.getTime()) == ("x", "class attribute", 10.0)
        dc.cancel()
        assert log == ["cancel x"]
        assert canceller.calls == [dc]
        assert dc.cancelled == 1
        assert weakref.ref(dc)() is dc

    def test_reactorBase(self, impl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        C{ReactorBase} schedules, reschedules, cancels and runs calls of this
        class (it builds them through C{base.DelayedCall}).
        """
        monkeypatch.setattr(base, "DelayedCall", impl.DelayedCall)

        class Reactor(base.ReactorBase):
            def installWaker(self) -> None:
                pass

        reactor = Reactor()
        now = Now(100.0)
        reactor.seconds = now  # type: ignore[method-assign]
        out: list[str] = []
        a = reactor.callLater(1, out.append, "a")
        b = reactor.callLater(0.5, out.append, "b")
        c = reactor.callLater(3, out.append, "c")
        d = reactor.callLater(4, out.append, "d")
        assert type(a) is impl.DelayedCall
        a.delay(1)
        reactor.runUntilCurrent()  # moves the new calls into the heap
        c.reset(0.25)
        d.cancel()
        now.value = 102.0
        reactor.runUntilCurrent()
        assert out == ["c", "b", "a"]
        assert reactor.getDelayedCalls() == []
        assert (a.called, b.called, c.called, d.cancelled) == (1, 1, 1, 1)
