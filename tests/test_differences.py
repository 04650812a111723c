"""
The deliberate differences of the C classes from Twisted's.

Each is tested on the C implementation alone (C{cimpl}); where it is cheap, a
companion test (C{*Twisted}, on C{twistedImpl}) shows what Twisted does
instead, so that the difference is known to be real:

  (a) NaN: C{callLater(nan)}, C{reset(nan)}, C{delay(nan)} and
      C{advance(nan)} raise L{ValueError}, and C{reset(inf)} of a call due
      at infinity does not make a NaN of C{inf - inf};
  (b) C{callLater} with a non-callable raises L{TypeError} at once;
  (c) equal deadlines after a reset or delay that changes a call's time: the
      call counts as rescheduled and runs after the calls already due at that
      instant (a reset or delay that leaves the time as it was keeps the
      call's place);
  (d) C{Clock.calls} and C{getDelayedCalls()} return a new sorted list each
      time;
  (e) C{DelayedCall.time} and C{Clock.rightNow} are always floats;
  (f) a call made by a C clock has no C{canceller}/C{resetter} to replace;
  (g) a pending call that only its clock holds is not tracked by the GC;
  (h) C{Clock} and C{DelayedCall} are not subclasses of Twisted's: they
      provide Twisted's interfaces instead (README, difference 17);
  (i) the fast reactors send a connected socket's buffered data just before
      their next poll, where Twisted's send it just after (README,
      difference 18).
"""

from __future__ import annotations

import gc
import math
import weakref
from typing import Any

import pytest

NAN = float("nan")


class Log:
    """
    Records the labels of the calls that ran.
    """

    def __init__(self) -> None:
        self.labels: list[str] = []

    def __call__(self, label: str) -> None:
        self.labels.append(label)


# --- (a) NaN -----------------------------------------------------------------------


class TestNaN:
    """
    NaN times are refused by the C clock.
    """

    def test_callLater(self, cimpl: Any) -> None:
        """
        C{callLater(nan, ...)} raises L{ValueError} and schedules nothing.
        """
        clock = cimpl.Clock()
        with pytest.raises(ValueError):
            clock.callLater(NAN, lambda: None)
        assert clock.getDelayedCalls() == []

    def test_callLaterNaNFromInfinities(self, cimpl: Any) -> None:
        """
        A NaN deadline made of infinities (C{inf + -inf}) is refused too.
        """
        clock = cimpl.Clock()
        clock.advance(float("inf"))
        with pytest.raises(ValueError):
            clock.callLater(float("-inf"), lambda: None)
        assert clock.getDelayedCalls() == []

    def test_callLaterTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted accepts a NaN delay; the call never runs.
        """
        clock = twistedImpl.Clock()
        log = Log()
        dc = clock.callLater(NAN, log, "nan")
        assert math.isnan(dc.getTime())
        clock.advance(1e300)
        assert log.labels == [] and clock.getDelayedCalls() == [dc]

    @pytest.mark.parametrize("method", ["reset", "delay"])
    def test_rescheduleNaN(self, cimpl: Any, method: str) -> None:
        """
        C{reset(nan)} and C{delay(nan)} on a clock's call raise L{ValueError}
        and leave the call as it was: pending, at its time, running then.
        """
        clock = cimpl.Clock()
        log = Log()
        dc = clock.callLater(2, log, "a")
        with pytest.raises(ValueError):
            getattr(dc, method)(NAN)
        assert (dc.time, dc.delayed_time, dc.getTime()) == (2.0, 0.0, 2.0)
        assert dc.active()
        clock.advance(2)
        assert log.labels == ["a"]

    def test_resetInfinityToInfinity(self, cimpl: Any) -> None:
        """
        C{reset(inf)} of a call due at infinity, where Twisted computes
        C{inf - inf}, leaves the call at infinity with no delay: nothing
        in the heap becomes NaN (found by a tiered-heap stress run).
        """
        from twisted_fast import _compat

        clock = cimpl.Clock()
        log = Log()
        dc = clock.callLater(math.inf, log, "never")
        clock.callLater(1, log, "a")
        dc.reset(math.inf)
        assert (dc.time, dc.delayed_time, dc.getTime()) == (math.inf, 0.0, math.inf)
        assert _compat.speedups._check_heap(clock) == -1
        clock.advance(1e300)
        assert log.labels == ["a"] and clock.getDelayedCalls() == [dc]

    def test_resetInfinityToInfinityTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted's C{reset(inf)} of a call due at infinity makes its
        C{delayed_time} NaN.
        """
        clock = twistedImpl.Clock()
        dc = clock.callLater(math.inf, lambda: None)
        dc.reset(math.inf)
        assert math.isnan(dc.delayed_time) and math.isnan(dc.getTime())

    def test_delayTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted accepts C{delay(nan)}: the call's time becomes NaN and it
        never runs.
        """
        clock = twistedImpl.Clock()
        log = Log()
        dc = clock.callLater(2, log, "a")
        dc.delay(NAN)
        clock.advance(10)
        assert math.isnan(dc.getTime()) and log.labels == []

    def test_advance(self, cimpl: Any) -> None:
        """
        C{advance(nan)} raises L{ValueError}, leaves the time alone and runs
        nothing; the clock keeps working.
        """
        clock = cimpl.Clock()
        log = Log()
        clock.callLater(0, log, "a")
        clock.advance(1)
        clock.callLater(0, log, "b")
        with pytest.raises(ValueError):
            clock.advance(NAN)
        assert clock.seconds() == 1.0
        assert log.labels == ["a"]
        clock.advance(0)
        assert log.labels == ["a", "b"]

    def test_pump(self, cimpl: Any) -> None:
        """
        C{pump} with a NaN amount raises L{ValueError} at that amount.
        """
        clock = cimpl.Clock()
        with pytest.raises(ValueError):
            clock.pump([1, NAN, 1])
        assert clock.seconds() == 1.0

    def test_advanceTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted accepts C{advance(nan)}; its time is NaN from then on.
        """
        clock = twistedImpl.Clock()
        clock.advance(NAN)
        assert math.isnan(clock.seconds())


# --- (b) non-callables ----------------------------------------------------------------


class TestNotCallable:
    """
    The C clock checks the callable when the call is scheduled.
    """

    @pytest.mark.parametrize("thing", [42, None, "f", object()])
    def test_callLater(self, cimpl: Any, thing: object) -> None:
        """
        C{callLater} with a non-callable raises L{TypeError} and schedules
        nothing.
        """
        clock = cimpl.Clock()
        with pytest.raises(TypeError):
            clock.callLater(1, thing)
        assert clock.getDelayedCalls() == []

    def test_callLaterTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted schedules a non-callable and fails only when it runs.
        """
        clock = twistedImpl.Clock()
        clock.callLater(1, 42)
        assert len(clock.getDelayedCalls()) == 1
        with pytest.raises(TypeError):
            clock.advance(1)


# --- (c) ties after rescheduling ----------------------------------------------------


def resetTie(impl: Any) -> list[str]:
    """
    C{b} is scheduled for 2, then C{a} for 1; C{a} is reset to 2.
    """
    clock = impl.Clock()
    log = Log()
    clock.callLater(2, log, "b")
    a = clock.callLater(1, log, "a")
    a.reset(2)
    clock.advance(2)
    return log.labels


def delayTie(impl: Any) -> list[str]:
    """
    C{a} is scheduled for 1, then C{b} for 2; C{a} is delayed by 1, to 2.
    """
    clock = impl.Clock()
    log = Log()
    a = clock.callLater(1, log, "a")
    clock.callLater(2, log, "b")
    a.delay(1)
    clock.advance(2)
    return log.labels


def insideAdvanceTie(impl: Any) -> list[str]:
    """
    While the clock runs the calls due at 1, one of them moves C{a} (due at
    0.75) to 1, where C{b} and C{c} are due.
    """
    clock = impl.Clock()
    log = Log()
    clock.callLater(0.5, lambda: a.reset(0))
    a = clock.callLater(0.75, log, "a")
    clock.callLater(1, log, "b")
    clock.callLater(1, log, "c")
    clock.advance(1)
    return log.labels


class TestRescheduledTies:
    """
    A call whose time a reset or delay changed runs after the calls already
    due at its new time.
    """

    def test_resetLater(self, cimpl: Any) -> None:
        """
        A call reset later onto another call's time runs after it.
        """
        assert resetTie(cimpl) == ["b", "a"]

    def test_resetLaterTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted keeps the order the list had before the reset.
        """
        assert resetTie(twistedImpl) == ["a", "b"]

    def test_delay(self, cimpl: Any) -> None:
        """
        A call delayed onto another call's time runs after it.
        """
        assert delayTie(cimpl) == ["b", "a"]

    def test_delayTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted keeps the order the list had before the delay.
        """
        assert delayTie(twistedImpl) == ["a", "b"]

    def test_insideAdvance(self, cimpl: Any) -> None:
        """
        Rescheduled from inside the advance, the call still runs after those
        due at the same instant.
        """
        assert insideAdvanceTie(cimpl) == ["b", "c", "a"]

    def test_insideAdvanceTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted runs it first: it was ahead of them in the list.
        """
        assert insideAdvanceTie(twistedImpl) == ["a", "b", "c"]

    def test_resetSooner(self, cimpl: Any) -> None:
        """
        A call reset sooner onto another call's time runs after it (here
        Twisted agrees, the other being ahead in its list).
        """
        clock = cimpl.Clock()
        log = Log()
        a = clock.callLater(3, log, "a")
        clock.callLater(2, log, "b")
        a.reset(2)
        clock.advance(2)
        assert log.labels == ["b", "a"]

    def test_negativeDelay(self, cimpl: Any) -> None:
        """
        A negative delay onto another call's time puts the call after it.
        """
        clock = cimpl.Clock()
        log = Log()
        clock.callLater(1, log, "b")
        a = clock.callLater(0.5, log, "a")
        a.delay(1)
        clock.advance(0)
        a.delay(-0.5)
        assert a.getTime() == 1.0
        clock.advance(1)
        assert log.labels == ["b", "a"]

    def test_laterCallsStillAfter(self, cimpl: Any) -> None:
        """
        A call scheduled after the rescheduling, for the same time, runs after
        the rescheduled one.
        """
        clock = cimpl.Clock()
        log = Log()
        clock.callLater(2, log, "b")
        a = clock.callLater(1, log, "a")
        a.reset(2)
        clock.callLater(2, log, "c")
        clock.advance(2)
        assert log.labels == ["b", "a", "c"]

    def test_changedTwiceCountsAsRescheduled(self, cimpl: Any) -> None:
        """
        Moving a call away and back to its time counts as rescheduling it.
        """
        clock = cimpl.Clock()
        log = Log()
        a = clock.callLater(2, log, "a")
        clock.callLater(2, log, "b")
        a.reset(3)
        a.reset(2)
        clock.advance(2)
        assert log.labels == ["b", "a"]

    @pytest.mark.parametrize("how", ["reset", "delay"])
    def test_unchangedKeepsPlace(self, cimpl: Any, how: str) -> None:
        """
        A reset or delay that leaves the time as it was keeps the call's place
        ahead of a call scheduled later for the same time.
        """
        clock = cimpl.Clock()
        log = Log()
        a = clock.callLater(2, log, "a")
        clock.callLater(2, log, "b")
        clock.advance(1)
        if how == "reset":
            a.reset(1)
        else:
            a.delay(0)
        clock.advance(1)
        assert log.labels == ["a", "b"]


# --- (d) fresh lists --------------------------------------------------------------------


class TestFreshLists:
    """
    C{calls} and C{getDelayedCalls()} are snapshots.
    """

    @pytest.mark.parametrize("read", ["calls", "getDelayedCalls"])
    def test_newEachTime(self, cimpl: Any, read: str) -> None:
        """
        Each read returns a new list.
        """
        clock = cimpl.Clock()
        clock.callLater(1, lambda: None)

        def get() -> list[Any]:
            return clock.calls if read == "calls" else clock.getDelayedCalls()

        first, second = get(), get()
        assert type(first) is list
        assert first == second and first is not second

    @pytest.mark.parametrize("read", ["calls", "getDelayedCalls"])
    def test_mutationDoesNotReachClock(self, cimpl: Any, read: str) -> None:
        """
        Changing the returned list changes nothing in the clock.
        """
        clock = cimpl.Clock()
        log = Log()
        a = clock.callLater(1, log, "a")
        b = clock.callLater(2, log, "b")
        got = clock.calls if read == "calls" else clock.getDelayedCalls()
        got.clear()
        got.append(None)
        assert clock.getDelayedCalls() == [a, b]
        assert clock.calls == [a, b]
        clock.advance(2)
        assert log.labels == ["a", "b"]

    def test_sortedRightAfterReset(self, cimpl: Any) -> None:
        """
        The list is sorted by deadline even right after a reset.
        """
        clock = cimpl.Clock()
        a = clock.callLater(1, lambda: None)
        b = clock.callLater(2, lambda: None)
        b.reset(0.5)
        a.delay(5)
        assert clock.calls == [b, a]
        assert clock.getDelayedCalls() == [b, a]

    def test_sameListTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted hands out its own list, unsorted until its next sort.
        """
        clock = twistedImpl.Clock()
        a = clock.callLater(1, lambda: None)
        b = clock.callLater(2, lambda: None)
        assert clock.getDelayedCalls() is clock.calls
        b.reset(0.5)
        assert clock.calls == [a, b]
        clock.getDelayedCalls().clear()
        assert clock.calls == []


# --- (e) floats -----------------------------------------------------------------------------


class TestFloats:
    """
    Times are stored as floats.
    """

    def test_delayedCallTime(self, cimpl: Any) -> None:
        """
        An int time given to C{DelayedCall} is stored as a float.
        """
        dc = cimpl.DelayedCall(5, lambda: None, (), {}, None, None, lambda: 2)
        assert dc.time == 5.0 and type(dc.time) is float
        assert type(dc.getTime()) is float
        assert type(dc.delayed_time) is float

    def test_reprShowsFloat(self, cimpl: Any) -> None:
        """
        So the repr of an int-built call shows a float time left.
        """
        dc = cimpl.DelayedCall(3, lambda: None, (), {}, None, None, lambda: 2)
        assert "[1.0s]" in repr(dc)

    def test_reprTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted keeps the int, and shows C{[1s]}.
        """
        dc = twistedImpl.DelayedCall(3, lambda: None, (), {}, None, None, lambda: 2)
        assert type(dc.time) is int
        assert "[1s]" in repr(dc)

    def test_rightNow(self, cimpl: Any) -> None:
        """
        An int assigned to C{rightNow} is stored as a float.
        """
        clock = cimpl.Clock()
        clock.rightNow = 5
        assert clock.rightNow == 5.0 and type(clock.rightNow) is float
        assert type(clock.seconds()) is float
        dc = clock.callLater(1, lambda: None)
        assert dc.time == 6.0 and type(dc.time) is float

    def test_rightNowTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted keeps the int.
        """
        clock = twistedImpl.Clock()
        clock.rightNow = 5
        assert type(clock.seconds()) is int
        assert type(clock.callLater(1, lambda: None).time) is int

    def test_resetStoresFloats(self, cimpl: Any) -> None:
        """
        Times set by C{reset} are floats too, whatever C{seconds()} returns.
        """
        dc = cimpl.DelayedCall(10, lambda: None, (), {}, None, lambda c: None, lambda: 2)
        dc.reset(3)
        assert dc.time == 5.0 and type(dc.time) is float
        dc.reset(8)
        assert dc.delayed_time == 5.0 and type(dc.delayed_time) is float


# --- (f) the hooks of a clock-made call ------------------------------------------


class TestClockCallHooks:
    """
    A C clock moves its calls in its own heap: there is no Python canceller
    or resetter to read or replace.  Twisted's are C{clock.calls.remove} and
    a no-op.
    """

    def test_readAsNone(self, cimpl: Any) -> None:
        """
        C{canceller} and C{resetter} of a clock-made call read as C{None}.
        """
        call = cimpl.Clock().callLater(1, lambda: None)
        assert call.canceller is None
        assert call.resetter is None

    @pytest.mark.parametrize("name", ["canceller", "resetter"])
    def test_assignRefused(self, cimpl: Any, name: str) -> None:
        """
        Assigning them raises L{AttributeError}, and the call keeps working.
        """
        clock = cimpl.Clock()
        call = clock.callLater(1, lambda: None)
        with pytest.raises(AttributeError):
            setattr(call, name, lambda call: None)
        call.cancel()
        assert clock.calls == []

    def test_twisted(self, twistedImpl: Any) -> None:
        """
        Twisted's are callables, and replaceable.
        """
        clock = twistedImpl.Clock()
        call = clock.callLater(1, lambda: None)
        assert call.canceller == clock.calls.remove
        call.canceller = lambda call: None
        call.cancel()
        assert len(clock.calls) == 1


# --- (g) GC tracking ----------------------------------------------------------------


class TestGCTracking:
    """
    Pending calls that only their clock's heap holds are left untracked, and
    the clock's traversal stands in for them; see C{src/timerowner.h}.
    """

    def test_heapOnlyCallUntracked(self, cimpl: Any) -> None:
        """
        A call nobody else holds is untracked while pending.
        """
        clock = cimpl.Clock()
        clock.callLater(1, lambda: None)
        (call,) = clock.calls  # holding it here does not re-track it by itself
        assert not gc.is_tracked(call)

    def test_sharedCallTrackedAtFullCollection(self, cimpl: Any) -> None:
        """
        A pending call held elsewhere is tracked by the next full collection.
        """
        clock = cimpl.Clock()
        call = clock.callLater(1, lambda: None)
        gc.collect()
        assert gc.is_tracked(call)

    def test_trackedOnceOutOfTheHeap(self, cimpl: Any) -> None:
        """
        Cancelled and fired calls that live on are tracked, like any object.
        """
        clock = cimpl.Clock()
        cancelled = clock.callLater(1, lambda: None)
        fired = clock.callLater(1, lambda: None)
        cancelled.cancel()
        clock.advance(1)
        assert gc.is_tracked(cancelled)
        assert gc.is_tracked(fired)

    def test_cycleThroughHeldCallCollected(self, cimpl: Any) -> None:
        """
        A dropped clock whose pending call is held by an object that the
        call refers back to is collected by one full collection.
        """

        class Protocol:
            pass

        def make() -> tuple[weakref.ref[Any], weakref.ref[Protocol]]:
            clock = cimpl.Clock()
            protocol = Protocol()
            protocol.clock = clock  # type: ignore[attr-defined]
            protocol.timeout = clock.callLater(  # type: ignore[attr-defined]
                5, lambda: protocol
            )
            return weakref.ref(clock), weakref.ref(protocol)

        clockRef, protocolRef = make()
        gc.collect()
        assert clockRef() is None
        assert protocolRef() is None

    def test_twistedTracked(self, twistedImpl: Any) -> None:
        """
        Twisted's calls are ordinary tracked objects.
        """
        clock = twistedImpl.Clock()
        assert gc.is_tracked(clock.callLater(1, lambda: None))


# --- (h) not subclasses of Twisted's Clock and DelayedCall ---------------------------


class TestNotTwistedSubclasses:
    """
    README, difference 17: the C C{Clock} and C{DelayedCall} (the calls made
    by a fast C{Clock}, by the fast reactor, or built directly) are not
    instances of Twisted's C{twisted.internet.task.Clock} and
    C{twisted.internet.base.DelayedCall} classes, so C{isinstance} with
    Twisted's classes, imported before L{twisted_fast.install} replaced them,
    is C{False}.  They provide the same interfaces, C{IReactorTime} and
    C{IDelayedCall}, which is what Twisted's own signatures ask for (and
    C{IReactorTime.callLater} promises): annotate with those interfaces and
    check with C{IReactorTime.providedBy(clock)} /
    C{IDelayedCall.providedBy(call)} rather than C{isinstance}.

    Not subclasses because a Python subclass of the C types (CPython accepts
    Twisted's class as its second base) slows every C method called on its
    instances: CPython's specialised call of a C method (C{call.cancel()},
    C{clock.callLater(...)}) holds only for instances of the method's own
    type (3.11: 24 against 42 ns for C{call.active()}; 3.12: 15 against 36).
    With the C code changed to make such calls, C{callLater} + C{cancel} was
    1.17-1.19x slower on a clock and on the reactor (1.08-1.11x with the C
    type's deallocator forced onto the subclass); with such a C{Clock},
    C{callLater} + C{cancel} 1.05-1.07x and a C{LoopingCall} tick
    1.16-1.22x.  C{LoopingCall}, C{Cooperator} and C{CooperativeTask} are
    subclasses of Twisted's: their hot paths run in C, with no Python-level
    call of a C method on them.
    """

    def test_clock(self, cimpl: Any) -> None:
        """
        A C C{Clock} is not an instance of Twisted's C{Clock}, and provides
        C{IReactorTime}.
        """
        from twisted.internet.interfaces import IReactorTime
        from zope.interface.verify import verifyObject

        from twisted_fast import _compat

        clock = cimpl.Clock()
        assert not isinstance(clock, _compat.TwistedClock)
        assert not issubclass(cimpl.Clock, _compat.TwistedClock)
        assert IReactorTime.providedBy(clock)
        assert verifyObject(IReactorTime, clock)

    def test_clockCall(self, cimpl: Any) -> None:
        """
        A call made by a C C{Clock}, or built directly with Twisted's
        signature, is not an instance of Twisted's C{DelayedCall}, and
        provides C{IDelayedCall}.
        """
        from twisted.internet.interfaces import IDelayedCall
        from zope.interface.verify import verifyObject

        from twisted_fast import _compat

        made = cimpl.Clock().callLater(1, lambda: None)
        built = cimpl.DelayedCall(1, lambda: None, (), {}, print, print)
        for call in (made, built):
            assert not isinstance(call, _compat.TwistedDelayedCall)
            assert isinstance(call, cimpl.DelayedCall)
            assert IDelayedCall.providedBy(call)
            assert verifyObject(IDelayedCall, call)

    def test_reactorCall(self, cimpl: Any) -> None:
        """
        A call made by the fast reactor's C{callLater} is not an instance of
        Twisted's C{DelayedCall}, and provides C{IDelayedCall}; the class
        that L{twisted_fast.install} puts in C{twisted.internet.base} is
        its class.
        """
        from twisted.internet.interfaces import IDelayedCall

        from reactorhelpers import unbuildReactor
        from twisted_fast import _compat
        from twisted_fast.reactor import FastEPollReactor

        reactor = FastEPollReactor()
        try:
            call = reactor.callLater(1, lambda: None)
            assert not isinstance(call, _compat.TwistedDelayedCall)
            assert isinstance(call, _compat.DelayedCall)
            assert IDelayedCall.providedBy(call)
        finally:
            unbuildReactor(reactor)

    def test_otherClassesAreSubclasses(self, cimpl: Any) -> None:
        """
        The other classes of C{twisted_fast.task} are subclasses of
        Twisted's.
        """
        from twisted_fast import _compat

        assert issubclass(_compat.LoopingCall, _compat.TwistedLoopingCall)
        assert issubclass(_compat.Cooperator, _compat.TwistedCooperator)
        assert issubclass(_compat.CooperativeTask, _compat.TwistedCooperativeTask)

    def test_twisted(self, twistedImpl: Any) -> None:
        """
        Twisted's calls are instances of its C{DelayedCall}, its clocks of its
        C{Clock}; they provide the same interfaces.
        """
        from twisted.internet.interfaces import IDelayedCall, IReactorTime

        from twisted_fast import _compat

        clock = twistedImpl.Clock()
        call = clock.callLater(1, lambda: None)
        assert isinstance(clock, _compat.TwistedClock)
        assert isinstance(call, _compat.TwistedDelayedCall)
        assert IReactorTime.providedBy(clock)
        assert IDelayedCall.providedBy(call)


# --- the LoopingCall and Cooperator halves ---------------------------------------------


class TestTaskWorkUnitLookup:
    """
    The C tick runs the work unit of C{twisted_fast.task.CooperativeTask}
    itself without looking C{_oneWorkUnit} up; subclasses are looked up.
    """

    @staticmethod
    def _tickWithPatchedWorkUnit(
        cooperatorClass: Any, taskClass: Any, monkeypatch: pytest.MonkeyPatch
    ) -> list[str]:
        seen: list[str] = []
        monkeypatch.setattr(taskClass, "_oneWorkUnit", lambda self: seen.append("patched"))
        coop = cooperatorClass(
            terminationPredicateFactory=lambda: (lambda: True),
            scheduler=lambda f: None,
        )
        coop.cooperate(iter([1, 2]))
        coop._tick()
        return seen

    def test_patchOnTheClassNotSeen(
        self, cimpl: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        A C{_oneWorkUnit} patched on C{twisted_fast.task.CooperativeTask}
        itself does not run: the real step does.
        """
        from twisted_fast import _compat

        seen = self._tickWithPatchedWorkUnit(
            _compat.Cooperator, _compat.CooperativeTask, monkeypatch
        )
        assert seen == []

    def test_subclassOverrideSeen(self, cimpl: Any) -> None:
        """
        A subclass's C{_oneWorkUnit} runs.
        """
        from twisted_fast import _compat

        seen: list[str] = []

        class Task(_compat.CooperativeTask):  # type: ignore[misc,name-defined]
            def _oneWorkUnit(self) -> None:
                seen.append("override")

        coop = _compat.Cooperator(
            terminationPredicateFactory=lambda: (lambda: True),
            scheduler=lambda f: None,
        )
        Task(iter([1]), coop)
        coop._tick()
        assert seen == ["override"]

    def test_patchOnTheClassTwisted(
        self, twistedImpl: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        Twisted looks C{_oneWorkUnit} up on every step.
        """
        from twisted.internet import task

        seen = self._tickWithPatchedWorkUnit(
            task.Cooperator, task.CooperativeTask, monkeypatch
        )
        assert seen == ["patched"]


REGISTERED_INT_SCRIPT = """
import sys
from twisted.internet.defer import Deferred
from twisted_fast import _compat
from twisted.internet import task
Deferred.register(int)
Cooperator = _compat.Cooperator if sys.argv[1] == "c" else task.Cooperator
coop = Cooperator(terminationPredicateFactory=lambda: (lambda: True),
                  scheduler=lambda f: None)
t = coop.cooperate(iter([5, 6]))
failures = []
t.whenDone().addErrback(failures.append)
try:
    coop._tick()
except Exception as e:
    failures.append(e)
print(len(failures))
"""


@pytest.mark.parametrize("which, expected", [("c", "0"), ("twisted", "1")])
def test_builtinValuesAreNotDeferreds(cimpl: Any, which: str, expected: str) -> None:
    """
    An iterator yielding an C{int} after C{int} was registered as a virtual
    subclass of L{Deferred} (an ABC): the C step still treats the value as a
    plain one; Twisted's C{isinstance} says Deferred and the step fails.  In a
    subprocess: an ABC registration cannot be undone.
    """
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", REGISTERED_INT_SCRIPT, which],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def _loopingCallFailureFrames(loopingCallClass: Any, clockClass: Any) -> list[str]:
    def boom() -> None:
        1 / 0

    failures: list[Any] = []
    loop = loopingCallClass(boom)
    loop.clock = clockClass()
    loop.start(1).addErrback(failures.append)
    [failure] = failures
    return [frame[0] for frame in failure.frames]


def test_loopingCallFailureFrames(cimpl: Any) -> None:
    """
    A LoopingCall whose function raises: the failure's traceback starts at
    the function, called from C, where Twisted's starts in maybeDeferred.
    """
    from twisted_fast import _compat

    assert _loopingCallFailureFrames(_compat.LoopingCall, _compat.Clock) == ["boom"]


def test_loopingCallFailureFramesTwisted(twistedImpl: Any) -> None:
    """
    Twisted's traceback starts in maybeDeferred.
    """
    from twisted.internet import task

    frames = _loopingCallFailureFrames(task.LoopingCall, task.Clock)
    assert frames == ["maybeDeferred", "boom"]


# --- (i) flush before poll ----------------------------------------------------------


def _sentBeforePoll(reactorClass: type) -> list[bytes]:
    """
    Write from a callback of C{reactorClass}'s reactor, then run two
    iterations, and note what the peer had received each time the reactor
    entered its poll.
    """
    import socket

    from reactorhelpers import unbuildReactor
    from twisted.internet import protocol
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    reactor = reactorClass()
    left, right = socket.socketpair()
    right.setblocking(False)
    proto = protocol.Protocol()
    left.setblocking(False)
    reactor.adoptStreamConnection(
        left.fileno(), socket.AF_UNIX, protocol.Factory.forProtocol(lambda: proto)
    )
    left.close()
    seen: list[bytes] = []
    poller = reactor._poller

    class Watch:
        def poll(self, *args: Any) -> Any:
            try:
                seen.append(right.recv(100))
            except BlockingIOError:
                seen.append(b"")
            return poller.poll(*args)

        def __getattr__(self, name: str) -> Any:
            return getattr(poller, name)

    try:
        reactor._poller = Watch()
        proto.transport.write(b"data")
        reactor.iterate(0)
        reactor.iterate(0)
    finally:
        reactor._poller = poller
        proto.transport.connectionLost(Failure(ConnectionDone()))
        unbuildReactor(reactor)
        right.close()
    return seen


@pytest.mark.parametrize("flavour", ["epoll", "poll"])
def test_flushBeforePoll(cimpl: Any, flavour: str) -> None:
    """
    On the fast reactor the data is in the socket when the first poll after
    the write starts.
    """
    from twisted_fast import reactor as fastReactor

    reactorClass = {"epoll": fastReactor.FastEPollReactor, "poll": fastReactor.FastPollReactor}
    assert _sentBeforePoll(reactorClass[flavour]) == [b"data", b""]


@pytest.mark.parametrize("flavour", ["epoll", "poll"])
def test_flushBeforePollTwisted(twistedImpl: Any, flavour: str) -> None:
    """
    On Twisted's reactor the first poll reports the socket writable and the
    data goes out after it: the peer sees it at the second.
    """
    from twisted.internet import epollreactor, pollreactor

    reactorClass = {"epoll": epollreactor.EPollReactor, "poll": pollreactor.PollReactor}
    assert _sentBeforePoll(reactorClass[flavour]) == [b"", b"data"]
