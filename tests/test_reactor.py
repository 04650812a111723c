"""
The fast reactors (L{twisted_fast.reactor}) against Twisted's own.

Every test builds a fresh reactor (never installed) of each implementation,
C{c} (C{FastEPollReactor}, C{FastPollReactor}, C{FastSelectReactor}) and
C{twisted} (C{EPollReactor}, C{PollReactor}, C{SelectReactor}), for each I/O
flavour (see C{reactorhelpers}), and either asserts Twisted's behaviour on
both or runs the same scenario on Twisted's reactor of the same flavour and
on the one under test and asserts identical observable results.  On the fast
reactors the C timer heap is checked after every test (C{_check_heap}).

Most scenarios replace C{reactor.seconds} on the instance with a settable
clock (as Twisted's own tests do), so that what is due is exact; a few use
the wall clock, run the reactor, use threads or TCP.

Differential tests (their docstrings say "as on Twisted's reactor") take
Twisted's reactor of the same flavour as the reference; on the C{twisted} ids
they compare Twisted's reactor with itself.

Deliberate differences of the fast reactor, tested on C{c} alone with a
companion test showing Twisted's behaviour on C{twisted}:

  - C{callLater} with a non-callable raises L{AssertionError} at once
    (Twisted 22.10 asserted too; Twisted 26.10 fails when the call runs);
  - calls due at the same instant fire in the order they were scheduled
    (README, difference 1; Twisted's reactor uses heap order);
  - with an integer clock, C{repr} shows float times (README, difference 5).
"""

from __future__ import annotations

import inspect
import math
import random
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from reactorhelpers import (  # the fixtures are used by name
    NEW_TIMED_CALL_LOGGING,
    TWISTED_CLASSES,
    TWISTED_REACTORS,
    ReactorImplementation,
    assertHeapSound,
    buildReactor,  # noqa: F401
    cReactorImpl,  # noqa: F401
    capturedEvents,
    failureEvents,
    heapProblem,
    flavour,  # noqa: F401
    isFast,
    newTimedCallLogging,
    reactor,  # noqa: F401
    reactorClass,  # noqa: F401
    reactorImpl,  # noqa: F401
    runReactor,
    spin,
    twistedClass,  # noqa: F401
    twistedReactorImpl,  # noqa: F401
    unbuildReactor,
    useFakeTime,
)
from twisted.internet import error, protocol, threads
from twisted.internet.interfaces import (
    IDelayedCall,
    IReactorCore,
    IReactorThreads,
    IReactorTime,
)
from twisted.logger import LogLevel, formatEvent
from twisted.protocols.policies import TimeoutMixin
from twisted.python import log as legacyLog
from zope.interface.verify import verifyObject

from twisted_fast import _compat

#: Twisted's longest timeout(): 2 ** 31 milliseconds, in seconds.
LONGEST = 2147483

Build = Callable[[type], Any]


def noop(*args: object, **kw: object) -> None:
    """
    A callable to schedule.
    """


def boom() -> None:
    """
    A timed call that fails.
    """
    1 / 0


def differential(
    twistedClass: type, reactorClass: type, build: Build, scenario: Callable[[Any], Any]
) -> tuple[Any, Any]:
    """
    Run C{scenario} on a fresh reactor of Twisted's class and on one of the
    class under test.

    @return: C{(Twisted's result, the result under test)}.
    """
    expected = scenario(build(twistedClass))
    actual = scenario(build(reactorClass))
    return expected, actual


def declaredDifference(
    twistedClass: type,
    reactorClass: type,
    results: tuple[Any, Any],
    twistedResult: Any,
    fastResult: Any,
) -> None:
    """
    Check a difference listed in the README's "Differences from Twisted":
    Twisted's reactor gives C{twistedResult} (so the difference is real),
    the class under test gives C{fastResult} if it is a fast reactor, else
    the same as Twisted.

    @param results: what L{differential} returned.
    """
    expected, actual = results
    assert expected == twistedResult
    assert actual == (fastResult if reactorClass is not twistedClass else expected)


# --- the fixtures themselves ----------------------------------------------------------


def test_reactorUnderTest(
    reactor: Any, reactorImpl: ReactorImplementation, flavour: str
) -> None:
    """
    The C{c} reactor is the fast subclass of Twisted's reactor of the same
    flavour, with its timed calls on a C heap; the C{twisted} one is Twisted's
    class itself.
    """
    twistedClass = TWISTED_CLASSES[flavour]
    assert isinstance(reactor, twistedClass)
    assert isFast(reactor) is reactorImpl.isC
    assert (type(reactor) is twistedClass) is not reactorImpl.isC
    assert not reactor.running


# --- callLater ------------------------------------------------------------------------


class TestCallLater:
    """
    C{callLater}'s arguments, checks and result.
    """

    def test_returnsDelayedCall(
        self, reactor: Any, reactorImpl: ReactorImplementation
    ) -> None:
        """
        C{callLater} returns a pending L{IDelayedCall} due C{delay} seconds
        from the reactor's C{seconds()}, holding the function and arguments.
        """
        useFakeTime(reactor)
        call = reactor.callLater(1.5, noop, 1, k=2)
        assert IDelayedCall.providedBy(call)
        assert isinstance(call, reactorImpl.DelayedCall)
        assert call.getTime() == 101.5
        assert call.active()
        assert not call.called and not call.cancelled
        assert (call.func, call.args, call.kw) == (noop, (1,), {"k": 2})
        assert reactor.getDelayedCalls() == [call]

    @pytest.mark.parametrize("delay", [-1, -0.5, -1e-300, -math.inf])
    def test_negativeDelay(self, reactor: Any, delay: float) -> None:
        """
        A negative delay raises L{AssertionError} with Twisted's message and
        schedules nothing.
        """
        with pytest.raises(AssertionError) as raised:
            reactor.callLater(delay, noop)
        assert str(raised.value) == f"{delay} is not greater than or equal to 0 seconds"
        assert reactor.getDelayedCalls() == []
        assert reactor.timeout() is None

    def test_nanDelay(self, reactor: Any) -> None:
        """
        A NaN delay fails Twisted's C{delay >= 0} assertion: L{AssertionError}
        with Twisted's message, nothing scheduled.
        """
        with pytest.raises(AssertionError) as raised:
            reactor.callLater(math.nan, noop)
        assert str(raised.value) == "nan is not greater than or equal to 0 seconds"
        assert reactor.getDelayedCalls() == []
        assert reactor.timeout() is None

    @pytest.mark.parametrize("delay", [0, 0.0, -0.0, False])
    def test_zeroDelay(self, reactor: Any, delay: float) -> None:
        """
        A delay of zero (in any spelling that is C{>= 0}) is due at once.
        """
        clock = useFakeTime(reactor)
        ran: list[int] = []
        call = reactor.callLater(delay, ran.append, 1)
        assert call.getTime() == clock.now
        reactor.runUntilCurrent()
        assert ran == [1]

    def test_nonCallable(
        self, cReactorImpl: ReactorImplementation, flavour: str, buildReactor: Build
    ) -> None:
        """
        The fast reactor refuses a non-callable with L{AssertionError} at once
        (as Twisted 22.10 did), and schedules nothing: a listed difference.
        """
        reactor = buildReactor(cReactorImpl.classes[flavour])
        for thing in (42, None, "f"):
            with pytest.raises(AssertionError) as raised:
                reactor.callLater(0, thing)
            assert str(raised.value) == f"{thing} is not callable"
        assert reactor.getDelayedCalls() == []

    def test_nonCallableTwisted(
        self,
        twistedReactorImpl: ReactorImplementation,
        flavour: str,
        buildReactor: Build,
    ) -> None:
        """
        Twisted 26.10's reactor accepts a non-callable; the call fails when it
        runs, logging a L{TypeError}, and the pass goes on.  (Twisted before
        24 asserted, as the fast reactor does.)
        """
        reactor = buildReactor(twistedReactorImpl.classes[flavour])
        clock = useFakeTime(reactor)
        if not NEW_TIMED_CALL_LOGGING:
            with pytest.raises(AssertionError, match="42 is not callable"):
                reactor.callLater(0, 42)
            return
        call = reactor.callLater(0, 42)
        ran: list[int] = []
        reactor.callLater(1, ran.append, 1)
        assert call in reactor.getDelayedCalls()
        clock.advance(1)
        with capturedEvents() as events:
            reactor.runUntilCurrent()
        [event] = failureEvents(events)
        assert event["log_failure"].type is TypeError
        assert formatEvent(event) == "while handling timed call"
        assert call.called and ran == [1]

    def test_sameFailureEventsAsTwisted(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        Whatever this Twisted's version logs for a failing timed call, the
        fast reactor logs the same events: keys, level, namespace, text and
        failure type.
        """

        def scenario(reactor: Any) -> Any:
            clock = useFakeTime(reactor)
            reactor.callLater(0, boom)
            clock.advance(1)
            with capturedEvents() as events:
                reactor.runUntilCurrent()
            return [
                (
                    sorted(key for key in event if key not in ("log_time", "time")),
                    event.get("log_level"),
                    event.get("log_namespace"),
                    # Up to the traceback, whose outer frames are the test's.
                    formatEvent(event).split("Traceback")[0],
                    type(event.get("log_failure", event.get("failure"))),
                )
                for event in events
            ]

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert expected and actual == expected

    def test_keywordArguments(self, reactor: Any) -> None:
        """
        Positional and keyword arguments reach the function.
        """
        useFakeTime(reactor)
        got: list[Any] = []
        call = reactor.callLater(0, lambda *a, **k: got.append((a, k)), 1, 2, a=3, b=4)
        assert call.args == (1, 2) and call.kw == {"a": 3, "b": 4}
        reactor.runUntilCurrent()
        assert got == [((1, 2), {"a": 3, "b": 4})]

    def test_delayAndCallableByKeyword(self, reactor: Any) -> None:
        """
        C{delay} and C{callable} may be passed by keyword, as Twisted's
        signature names them.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []
        first = reactor.callLater(delay=1, callable=lambda: ran.append("both"))
        second = reactor.callLater(2, callable=lambda: ran.append("callable"))
        assert (first.getTime(), second.getTime()) == (101.0, 102.0)
        clock.advance(2)
        reactor.runUntilCurrent()
        assert ran == ["both", "callable"]

    @pytest.mark.parametrize(
        "args, kw",
        [
            ((1, noop), {"delay": 2}),
            ((1, noop), {"callable": noop}),
            ((), {"callable": noop}),
            ((), {}),
            ((1,), {}),
        ],
        ids=["delayTwice", "callableTwice", "noDelay", "nothing", "noCallable"],
    )
    def test_badSignature(
        self, reactor: Any, args: tuple[Any, ...], kw: dict[str, Any]
    ) -> None:
        """
        Missing or doubled C{delay}/C{callable} raise L{TypeError}, as
        Twisted's Python signature does, and schedule nothing.
        """
        with pytest.raises(TypeError):
            reactor.callLater(*args, **kw)
        assert reactor.getDelayedCalls() == []

    def test_infiniteDelay(self, reactor: Any) -> None:
        """
        An infinite delay is accepted; the call is never due, and timeout()
        is Twisted's longest, an C{int}.
        """
        clock = useFakeTime(reactor)
        call = reactor.callLater(math.inf, noop)
        assert call.getTime() == math.inf
        timeout = reactor.timeout()
        assert timeout == LONGEST and type(timeout) is int
        clock.advance(1e300)
        reactor.runUntilCurrent()
        assert call.active()


    def test_interfaces(self, reactor: Any) -> None:
        """
        The reactor verifies as L{IReactorTime}, L{IReactorCore} and
        L{IReactorThreads}, and its calls as L{IDelayedCall}.
        """
        for interface in (IReactorTime, IReactorCore, IReactorThreads):
            assert verifyObject(interface, reactor)
        assert verifyObject(IDelayedCall, reactor.callLater(1, noop))

    def test_signature(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        C{inspect.signature(reactor.callLater)}: the same parameters (names
        and kinds) as on Twisted's reactor.
        """

        def scenario(reactor: Any) -> Any:
            try:
                parameters = inspect.signature(reactor.callLater).parameters
            except ValueError as e:
                return f"ValueError: {e}"
            return [(p.name, p.kind) for p in parameters.values()]

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert expected == [
            ("delay", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            ("callable", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            ("args", inspect.Parameter.VAR_POSITIONAL),
            ("kw", inspect.Parameter.VAR_KEYWORD),
        ]
        assert actual == expected

    def test_patchedOnTheClass(
        self,
        reactorClass: type,
        twistedClass: type,
        buildReactor: Build,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """
        C{callLater} replaced on the reactor's class (as C{mock.patch.object}
        does) after the reactor was built: the reactor calls the replacement,
        as Twisted's does.
        """

        def scenario(reactor: Any) -> Any:
            with monkeypatch.context() as patch:
                patch.setattr(
                    type(reactor), "callLater", lambda self, *a, **k: "replaced"
                )
                return reactor.callLater(1, noop)

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert expected == "replaced"
        assert actual == expected


# --- runUntilCurrent ------------------------------------------------------------------


class TestRunUntilCurrent:
    """
    The timed-call pass: what runs, in which order, and what a timed call may
    do to the others.
    """

    def test_deadlineOrder(self, reactor: Any) -> None:
        """
        The calls due run in deadline order, whatever the order they were
        scheduled in; one due exactly now runs; the others wait.
        """
        clock = useFakeTime(reactor)
        ran: list[float] = []
        delays = [3, 0.5, 2, 0, 1.25, 4, 0.75, 2.5, 3.5]
        for delay in delays:
            reactor.callLater(delay, ran.append, delay)
        clock.advance(3)
        reactor.runUntilCurrent()
        assert ran == [0, 0.5, 0.75, 1.25, 2, 2.5, 3]
        assert sorted(c.getTime() for c in reactor.getDelayedCalls()) == [103.5, 104.0]
        clock.advance(1)
        reactor.runUntilCurrent()
        assert ran[7:] == [3.5, 4]
        assert reactor.getDelayedCalls() == []

    def test_nothingDue(self, reactor: Any) -> None:
        """
        A pass with nothing due runs nothing and takes the new calls in.
        """
        clock = useFakeTime(reactor)
        ran: list[int] = []
        call = reactor.callLater(1, ran.append, 1)
        clock.advance(0.999)
        reactor.runUntilCurrent()
        assert ran == []
        assert reactor._newTimedCalls == [] and reactor._pendingTimedCalls == [call]

    def test_equalDeadlinesFirstScheduledFirst(
        self, cReactorImpl: ReactorImplementation, flavour: str, buildReactor: Build
    ) -> None:
        """
        On the fast reactor, calls due at the same instant run in the order
        they were scheduled, whether taken in by an earlier C{timeout()} or
        not, among calls due at other times (README, difference 1).
        """
        reactor = buildReactor(cReactorImpl.classes[flavour])
        clock = useFakeTime(reactor)
        ran: list[Any] = []
        for i in range(20):
            reactor.callLater(1, ran.append, i)
            reactor.callLater(0.5 + i / 100, noop)
            if i % 3 == 0:
                reactor.timeout()
        clock.advance(1)
        reactor.runUntilCurrent()
        assert ran == list(range(20))

    def test_equalDeadlinesTwisted(
        self,
        twistedReactorImpl: ReactorImplementation,
        flavour: str,
        buildReactor: Build,
    ) -> None:
        """
        Twisted's reactor runs calls due at the same instant in heap order,
        which is not the order they were scheduled in.
        """
        reactor = buildReactor(twistedReactorImpl.classes[flavour])
        clock = useFakeTime(reactor)
        ran: list[int] = []
        for i in range(20):
            reactor.callLater(1, ran.append, i)
            reactor.callLater(0.5 + i / 100, noop)
            if i % 3 == 0:
                reactor.timeout()
        clock.advance(1)
        reactor.runUntilCurrent()
        assert sorted(ran) == list(range(20))
        assert ran != list(range(20))

    def test_callsScheduledInAPassWaitForTheNext(self, reactor: Any) -> None:
        """
        Calls scheduled by a timed call, even with delay 0 and due at once,
        wait for the next pass (Twisted's C{_newTimedCalls}); calls scheduled
        before the pass are taken in by it and run.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []

        def first() -> None:
            ran.append("first")
            reactor.callLater(0, ran.append, "zero")
            reactor.callLater(0, ran.append, "zero again")

        reactor.callLater(0, first)
        reactor.callLater(0.5, ran.append, "second")
        clock.advance(1)
        reactor.runUntilCurrent()
        assert ran == ["first", "second"]
        assert len(reactor.getDelayedCalls()) == 2
        assert set(reactor._newTimedCalls) == set(reactor.getDelayedCalls())
        reactor.runUntilCurrent()
        assert ran == ["first", "second", "zero", "zero again"]
        assert reactor.getDelayedCalls() == []

    def test_clockReadOncePerPass(self, reactor: Any) -> None:
        """
        A pass decides what is due from one reading of the clock: a timed
        call that moves the clock on does not make later calls due in it.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []

        def moveOn() -> None:
            ran.append("moveOn")
            clock.advance(10)

        reactor.callLater(1, moveOn)
        reactor.callLater(2, ran.append, "later")
        clock.advance(1)
        reactor.runUntilCurrent()
        assert ran == ["moveOn"]
        reactor.runUntilCurrent()
        assert ran == ["moveOn", "later"]

    @staticmethod
    def _firingTime(reactor: Any, clock: Any, call: Any, ran: list[Any]) -> float:
        """
        Step the clock by 1/8 s until C{call} has run; return the time.
        """
        for _ in range(200):
            reactor.runUntilCurrent()
            if ran:
                return float(clock.now)
            clock.advance(0.125)
        raise AssertionError(f"{call!r} never ran")

    @pytest.mark.parametrize("takenIn", [False, True], ids=["new", "pending"])
    @pytest.mark.parametrize(
        "change, due",
        [
            (lambda c: c.reset(2), 102.0),
            (lambda c: c.reset(7), 107.0),
            (lambda c: c.delay(3), 108.0),
            (lambda c: c.delay(-4), 101.0),
            (lambda c: (c.reset(8), c.delay(-6)), 102.0),
            (lambda c: (c.delay(2), c.reset(1)), 101.0),
            (lambda c: c.reset(5), 105.0),
        ],
        ids=["resetSooner", "resetLater", "delay", "delayNegative",
             "resetThenDelay", "delayThenReset", "resetSame"],
    )
    def test_reschedule(
        self, reactor: Any, takenIn: bool, change: Callable[[Any], Any], due: float
    ) -> None:
        """
        A call reset or delayed (before or after a C{timeout()} took it in)
        runs at its new time, not before, and C{getTime()} says so.
        """
        clock = useFakeTime(reactor)
        ran: list[int] = []
        call = reactor.callLater(5, ran.append, 1)
        reactor.callLater(3, noop)
        if takenIn:
            reactor.timeout()
        change(call)
        assert call.getTime() == due
        assert self._firingTime(reactor, clock, call, ran) == due

    @pytest.mark.parametrize("takenIn", [False, True], ids=["new", "pending"])
    def test_cancel(self, reactor: Any, takenIn: bool) -> None:
        """
        A cancelled call never runs and leaves C{getDelayedCalls()}; it cannot
        be cancelled, reset or delayed again; a call that ran cannot either.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []
        cancelled = reactor.callLater(1, ran.append, "cancelled")
        other = reactor.callLater(1, ran.append, "other")
        if takenIn:
            reactor.timeout()
        cancelled.cancel()
        assert reactor.getDelayedCalls() == [other]
        assert cancelled.cancelled and not cancelled.active()
        for act in (
            cancelled.cancel,
            lambda: cancelled.reset(1),
            lambda: cancelled.delay(1),
        ):
            with pytest.raises(error.AlreadyCancelled):
                act()
        clock.advance(2)
        reactor.runUntilCurrent()
        assert ran == ["other"]
        assert other.called and not other.active()
        for act in (other.cancel, lambda: other.reset(1), lambda: other.delay(1)):
            with pytest.raises(error.AlreadyCalled):
                act()
        assert reactor.getDelayedCalls() == []

    def test_changesInsideATimedCall(self, reactor: Any) -> None:
        """
        A timed call may reset (later or sooner), delay (by a positive or a
        negative amount) and cancel the others and schedule more: those due
        by the pass's time run in it, in deadline order; the cancelled one
        does not run; the new one waits for the next pass.  Cancelling,
        resetting or delaying itself raises L{error.AlreadyCalled}.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []
        calls: dict[str, Any] = {}

        def a() -> None:
            ran.append("A")
            calls["B"].reset(-0.25)  # later: 102 -> 105
            calls["E"].reset(0)  # sooner: 110 -> 105.25
            calls["F"].delay(-8)  # 111 -> 103
            calls["G"].delay(0.5)  # 102.25 -> 102.75
            calls["H"].cancel()
            reactor.callLater(0, ran.append, "new")
            for act in (
                calls["A"].cancel,
                lambda: calls["A"].reset(1),
                lambda: calls["A"].delay(1),
            ):
                try:
                    act()
                except error.AlreadyCalled:
                    ran.append("AlreadyCalled")

        calls["A"] = reactor.callLater(1, a)
        calls["B"] = reactor.callLater(2, ran.append, "B")
        calls["G"] = reactor.callLater(2.25, ran.append, "G")
        calls["C"] = reactor.callLater(3.5, ran.append, "C")
        calls["H"] = reactor.callLater(4, ran.append, "H")
        calls["E"] = reactor.callLater(10, ran.append, "E")
        calls["F"] = reactor.callLater(11, ran.append, "F")
        reactor.timeout()
        clock.advance(5.25)
        reactor.runUntilCurrent()
        assert ran == ["A"] + ["AlreadyCalled"] * 3 + ["G", "F", "C", "B", "E"]
        assert [c.func for c in reactor.getDelayedCalls()] == [ran.append]
        reactor.runUntilCurrent()
        assert ran[-1] == "new"
        assert reactor.getDelayedCalls() == []

    def test_cancelLaterCallDueInTheSamePass(self, reactor: Any) -> None:
        """
        A timed call that cancels another one due in the same pass keeps it
        from running.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []
        victim = reactor.callLater(2, ran.append, "victim")
        reactor.callLater(1, lambda: (ran.append("killer"), victim.cancel()))
        reactor.callLater(3, ran.append, "after")
        clock.advance(5)
        reactor.runUntilCurrent()
        assert ran == ["killer", "after"]
        assert victim.cancelled and not victim.called

    def test_recursiveRunUntilCurrent(self, reactor: Any) -> None:
        """
        A timed call that calls C{runUntilCurrent} runs, inside it, the calls
        still due, including one it scheduled just before (taken in by the
        inner pass); the outer pass then finds nothing more to do.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []

        def recurse() -> None:
            ran.append("start")
            reactor.callLater(0, ran.append, "new")
            reactor.runUntilCurrent()
            ran.append("end")

        reactor.callLater(1, recurse)
        reactor.callLater(2, ran.append, "X")
        reactor.callLater(3, ran.append, "Y")
        late = reactor.callLater(50, ran.append, "Z")
        clock.advance(10)
        reactor.runUntilCurrent()
        assert ran == ["start", "X", "Y", "new", "end"]
        assert reactor.getDelayedCalls() == [late]
        assertHeapSound(reactor)

    def test_threadCallsRunFirst(self, reactor: Any) -> None:
        """
        C{runUntilCurrent} runs the calls queued by C{callFromThread} before
        the timed calls, as Twisted's does.
        """
        useFakeTime(reactor)
        ran: list[str] = []
        reactor.callLater(0, ran.append, "timed")
        reactor.callFromThread(ran.append, "thread")
        reactor.runUntilCurrent()
        assert ran == ["thread", "timed"]

    def test_wallClock(self, reactor: Any) -> None:
        """
        With Twisted's own C{seconds}, calls run in deadline order once the
        wall clock reaches their time, under C{iterate()}.
        """
        ran: list[tuple[float, float]] = []

        def record(delay: float, call: list[Any]) -> None:
            ran.append((delay, time.time() - call[0].getTime()))

        for delay in (0.03, 0.01, 0.0, 0.02):
            holder: list[Any] = []
            holder.append(reactor.callLater(delay, record, delay, holder))
        spin(reactor, lambda: len(ran) == 4)
        assert [delay for delay, _ in ran] == [0.0, 0.01, 0.02, 0.03]
        assert all(late >= 0 for _, late in ran)

    def test_iterate(self, reactor: Any) -> None:
        """
        C{iterate()} runs the due calls (then waits for I/O at most as long
        as asked).
        """
        useFakeTime(reactor)
        ran: list[int] = []
        reactor.callLater(0, ran.append, 1)
        reactor.iterate(0)
        assert ran == [1]


# --- getDelayedCalls ------------------------------------------------------------------


def test_getDelayedCalls(reactor: Any) -> None:
    """
    C{getDelayedCalls()} lists every pending call, taken in or not, and
    none that ran or were cancelled.
    """
    clock = useFakeTime(reactor)
    assert reactor.getDelayedCalls() == []
    a = reactor.callLater(1, noop)
    b = reactor.callLater(3, noop)
    assert set(reactor.getDelayedCalls()) == {a, b}
    reactor.timeout()
    c = reactor.callLater(2, noop)
    d = reactor.callLater(4, noop)
    assert set(reactor.getDelayedCalls()) == {a, b, c, d}
    assert len(reactor.getDelayedCalls()) == 4
    c.cancel()
    b.reset(10)
    d.delay(1)
    assert set(reactor.getDelayedCalls()) == {a, b, d}
    clock.advance(1)
    reactor.runUntilCurrent()
    assert set(reactor.getDelayedCalls()) == {b, d}
    b.cancel()
    d.cancel()
    assert reactor.getDelayedCalls() == []
    assert isinstance(reactor.getDelayedCalls(), list)


# --- timeout --------------------------------------------------------------------------


class TestTimeout:
    """
    C{timeout()}: how long the reactor may sleep.
    """

    def test_noCalls(self, reactor: Any) -> None:
        """
        With no pending call, or only calls cancelled before they were taken
        in, or after every call ran, C{timeout()} is C{None}.
        """
        clock = useFakeTime(reactor)
        assert reactor.timeout() is None
        reactor.callLater(1, noop).cancel()
        assert reactor.timeout() is None
        reactor.callLater(1, noop)
        clock.advance(1)
        reactor.runUntilCurrent()
        assert reactor.timeout() is None

    def test_value(self, reactor: Any) -> None:
        """
        C{timeout()} is the time left until the next call is due, a float.
        """
        clock = useFakeTime(reactor)
        reactor.callLater(2.5, noop)
        reactor.callLater(1.5, noop)
        timeout = reactor.timeout()
        assert timeout == 1.5 and type(timeout) is float
        clock.advance(1)
        assert reactor.timeout() == 0.5

    @pytest.mark.parametrize(
        "overdue", [0, 0.5, 1e6], ids=["exactly", "overdue", "long"]
    )
    def test_dueIsIntZero(self, reactor: Any, overdue: float) -> None:
        """
        When a call is due (or overdue), C{timeout()} is the C{int} 0, as
        Twisted's C{max(0, ...)} returns.
        """
        clock = useFakeTime(reactor)
        reactor.callLater(1, noop)
        clock.advance(1 + overdue)
        timeout = reactor.timeout()
        assert timeout == 0 and type(timeout) is int

    @pytest.mark.parametrize(
        "delay, expected, kind",
        [
            (3e6, LONGEST, int),
            (LONGEST, LONGEST, int),
            (LONGEST + 0.5, LONGEST, int),
            (LONGEST - 0.5, LONGEST - 0.5, float),
        ],
    )
    def test_capped(
        self, reactor: Any, delay: float, expected: float, kind: type
    ) -> None:
        """
        C{timeout()} is capped at 2147483 s (epoll_wait's limit), the C{int}
        Twisted's C{min(longest, ...)} returns.
        """
        useFakeTime(reactor)
        reactor.callLater(delay, noop)
        timeout = reactor.timeout()
        assert timeout == expected and type(timeout) is kind

    def test_takesNewCallsIn(self, reactor: Any) -> None:
        """
        C{timeout()} takes the new calls in (they leave C{_newTimedCalls} for
        C{_pendingTimedCalls}) and counts them, including calls scheduled by
        a timed call during the last pass.
        """
        clock = useFakeTime(reactor)
        a = reactor.callLater(5, noop)
        assert reactor._newTimedCalls == [a] and reactor._pendingTimedCalls == []
        assert reactor.timeout() == 5.0
        assert reactor._newTimedCalls == [] and reactor._pendingTimedCalls == [a]
        b = reactor.callLater(2, lambda: reactor.callLater(0.5, noop))
        assert reactor.timeout() == 2.0
        clock.advance(2)
        reactor.runUntilCurrent()
        assert len(reactor._newTimedCalls) == 1
        assert reactor.timeout() == 0.5
        assert b.called and len(reactor._pendingTimedCalls) == 2

    def test_afterCancellingTheNextCall(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        C{timeout()} after the next call, already taken in, was cancelled: a
        listed difference.  Twisted's reactor keeps the cancelled call at the
        top of its heap and would wake up at its time for nothing; the fast
        reactor's heap has dropped it.
        """

        def scenario(reactor: Any) -> Any:
            useFakeTime(reactor)
            first = reactor.callLater(1, noop)
            reactor.callLater(5, noop)
            before = reactor.timeout()
            first.cancel()
            return before, reactor.timeout()

        results = differential(twistedClass, reactorClass, buildReactor, scenario)
        declaredDifference(twistedClass, reactorClass, results, (1.0, 1.0), (1.0, 5.0))

    @pytest.mark.parametrize(
        "change", [lambda c: c.reset(10), lambda c: c.delay(9)], ids=["reset", "delay"]
    )
    def test_afterMovingTheNextCallLater(
        self,
        reactorClass: type,
        twistedClass: type,
        buildReactor: Build,
        change: Callable[[Any], None],
    ) -> None:
        """
        C{timeout()} after the next call, already taken in, was reset or
        delayed to a later time: a listed difference.  Twisted's reactor
        leaves the call at its old place and would wake up at its old time;
        the fast reactor has moved it.
        """

        def scenario(reactor: Any) -> Any:
            useFakeTime(reactor)
            first = reactor.callLater(1, noop)
            reactor.callLater(5, noop)
            before = reactor.timeout()
            change(first)
            return before, reactor.timeout()

        results = differential(twistedClass, reactorClass, buildReactor, scenario)
        declaredDifference(twistedClass, reactorClass, results, (1.0, 1.0), (1.0, 5.0))


# --- a replaced seconds() -------------------------------------------------------------


class TestReplacedSeconds:
    """
    C{reactor.seconds} replaced on the instance, as Twisted's own tests do,
    is the reactor's time for everything.
    """

    def test_callLaterUsesReactorSeconds(self, reactor: Any) -> None:
        """
        Twisted's C{test_callLaterUsesReactorSecondsInDelayedCall} and
        C{test_callLaterUsesReactorSecondsAsDelayedCallSecondsFactory}: the
        call's time comes from C{reactor.seconds}, and so does its own
        C{seconds}.
        """
        reactor.seconds = lambda: 100
        call = reactor.callLater(5, lambda: None)
        assert call.getTime() == 105
        assert call.seconds() == 100
        call.cancel()

    def test_repr(self, reactor: Any) -> None:
        """
        A call's C{repr} counts its time left on the reactor's clock.
        """
        clock = useFakeTime(reactor)

        def f(*args: object, **kw: object) -> None:
            pass

        call = reactor.callLater(5, f, 1, "x", k=2)
        assert repr(call) == (
            f"<DelayedCall 0x{id(call):x} [5.0s] called=0 cancelled=0"
            f" {f.__qualname__}(1, 'x', k=2)>"
        )
        clock.advance(1.5)
        assert f"[{3.5}s]" in repr(call)

    def test_reprIntegerClock(
        self, cReactorImpl: ReactorImplementation, flavour: str, buildReactor: Build
    ) -> None:
        """
        With an integer clock (C{lambda: 100}), the fast call's C{repr} shows
        a float time left: its times are C doubles (README, difference 5).
        """
        reactor = buildReactor(cReactorImpl.classes[flavour])
        reactor.seconds = lambda: 100
        call = reactor.callLater(5, noop)
        assert "[5.0s]" in repr(call)
        assert call.time == 105.0 and type(call.time) is float

    def test_reprIntegerClockTwisted(
        self,
        twistedReactorImpl: ReactorImplementation,
        flavour: str,
        buildReactor: Build,
    ) -> None:
        """
        With an integer clock, Twisted's call keeps the integer time its
        C{seconds() + delay} made.
        """
        reactor = buildReactor(twistedReactorImpl.classes[flavour])
        reactor.seconds = lambda: 100
        call = reactor.callLater(5, noop)
        assert "[5s]" in repr(call)
        assert call.time == 105 and type(call.time) is int

    def test_timeoutAndPass(self, reactor: Any) -> None:
        """
        C{timeout()} and C{runUntilCurrent()} read the replaced clock: a call
        due at fake time 101 does not run although the wall clock is far past
        it, and does once the fake clock gets there.
        """
        clock = useFakeTime(reactor)
        ran: list[int] = []
        reactor.callLater(1, ran.append, 1)
        assert reactor.timeout() == 1.0
        reactor.runUntilCurrent()
        assert ran == []
        clock.advance(0.75)
        assert reactor.timeout() == 0.25
        clock.advance(0.25)
        reactor.runUntilCurrent()
        assert ran == [1]

    def test_readsAsTwisteds(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        C{seconds} reads as Twisted's C{staticmethod(runtimeSeconds)}: the
        same function on the class and on an instance, replaced, restored
        (C{oseconds = reactor.seconds} ... C{reactor.seconds = oseconds}, as
        Twisted's test_internet does) and deleted as an instance attribute.
        """
        from twisted.python.runtime import seconds as runtimeSeconds

        def scenario(reactor: Any) -> Any:
            seen = [type(reactor).seconds is runtimeSeconds]
            seen.append(reactor.seconds is runtimeSeconds)
            original = reactor.seconds
            fake = lambda: 100  # noqa: E731
            reactor.seconds = fake
            seen.append(reactor.seconds is fake)
            seen.append(reactor.callLater(5, noop).getTime())
            reactor.seconds = original
            seen.append(reactor.seconds is runtimeSeconds)
            seen.append(reactor.callLater(5, noop).getTime() > 1e9)
            reactor.seconds = fake
            del reactor.seconds
            seen.append(reactor.seconds is runtimeSeconds)
            with pytest.raises(AttributeError) as raised:
                del reactor.seconds
            seen.append(str(raised.value).endswith("has no attribute 'seconds'"))
            return seen

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert actual == expected == [True, True, True, 105, True, True, True, True]

    def test_patchedWithMock(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        C{mock.patch.object(reactor, "seconds", ...)} and pytest's
        C{monkeypatch} replace the time and put the real one back.
        """
        from unittest import mock

        from twisted.python.runtime import seconds as runtimeSeconds

        def scenario(reactor: Any) -> Any:
            with mock.patch.object(reactor, "seconds", lambda: 50):
                patched = reactor.callLater(1, noop).getTime()
            with pytest.MonkeyPatch.context() as monkeypatch:
                monkeypatch.setattr(reactor, "seconds", lambda: 70)
                monkeypatched = reactor.callLater(1, noop).getTime()
            return patched, monkeypatched, reactor.seconds is runtimeSeconds

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert actual == expected == (51, 71, True)

    def test_subclassAndClassPatch(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        A subclass's C{seconds} method and a C{seconds} patched onto the
        class are the reactor's time, as on Twisted's reactor.
        """

        def scenario(reactor: Any) -> Any:
            class Subclass(type(reactor)):  # type: ignore[misc]
                def seconds(self) -> float:
                    return 7.0

            sub = buildReactor(Subclass)
            fromMethod = sub.callLater(1, noop).getTime(), sub.timeout()
            Subclass.seconds = staticmethod(lambda: 20.0)
            fromPatch = sub.callLater(1, noop).getTime()
            return fromMethod, fromPatch

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert actual == expected == ((8.0, 1.0), 21.0)

    def test_classPatchedAfterCalls(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        C{seconds} patched onto a class (or a base of it) after the reactor
        made calls on the real clock, then removed: each call reads whatever
        the class says at that moment, as on Twisted's reactor (the fast
        reactor remembers that the class has the real clock while the class
        is unchanged: a patch must count).
        """

        def scenario(reactor: Any) -> Any:
            class Middle(type(reactor)):  # type: ignore[misc]
                pass

            class Leaf(Middle):
                pass

            leaf = buildReactor(Leaf)
            realClock = [leaf.callLater(1, noop).getTime() > 1e9 for _ in "ab"]
            Leaf.seconds = staticmethod(lambda: 20.0)
            onLeaf = leaf.callLater(1, noop).getTime()
            del Leaf.seconds
            Middle.seconds = lambda self: 30.0
            onMiddle = leaf.callLater(1, noop).getTime(), leaf.timeout()
            del Middle.seconds
            restored = leaf.callLater(1, noop).getTime() > 1e9
            return realClock, onLeaf, onMiddle, restored

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert actual == expected == ([True, True], 21.0, (31.0, 0), True)

    def test_timersLookup(
        self, cReactorImpl: ReactorImplementation, flavour: str, buildReactor: Build
    ) -> None:
        """
        The C methods find the reactor's C{TimerQueue} in its instance dict,
        wherever it sits there, and say clearly when it is missing or is not
        a C{TimerQueue}.
        """
        reactorClass = cReactorImpl.classes[flavour]
        reactor = buildReactor(reactorClass)
        timers = vars(reactor).pop("_timers")
        with pytest.raises(AttributeError, match="_timers"):
            reactor.callLater(1, noop)
        reactor._timers = timers  # now the dict's last entry
        assert reactor.callLater(1, noop).getTime() > 1e9
        reactor._timers = []
        with pytest.raises(TypeError, match="reactor._timers is a list"):
            reactor.timeout()
        reactor._timers = timers
        bare = reactorClass.__new__(reactorClass)
        with pytest.raises(AttributeError, match="_timers"):
            bare.getDelayedCalls()

    def test_timersReplacedAfterCalls(
        self, cReactorImpl: ReactorImplementation, flavour: str, buildReactor: Build
    ) -> None:
        """
        The C methods remember where they found C{_timers} only while the
        instance dict is unchanged (src/timerqueue.c): after calls, C{_timers} replaced by an attribute store, by a
        store into the dict, by another dict, or removed, is seen at once,
        while other attributes come and go.
        """
        reactorClass = cReactorImpl.classes[flavour]
        reactor = buildReactor(reactorClass)
        other = buildReactor(reactorClass)
        first = reactor._timers
        for _ in range(3):
            reactor.callLater(1, noop)
        reactor.unrelated = 1
        reactor.callLater(1, noop)
        del reactor.unrelated
        assert len(first.getDelayedCalls()) == 4
        reactor._timers = other._timers
        reactor.callLater(1, noop)
        reactor.callLater(2, noop)
        assert len(first.getDelayedCalls()) == 4
        assert len(other.getDelayedCalls()) == 2
        vars(reactor)["_timers"] = first
        reactor.callLater(1, noop)
        assert len(first.getDelayedCalls()) == 5
        vars(reactor).update(_timers=other._timers)
        reactor.callLater(1, noop)
        assert len(other.getDelayedCalls()) == 3
        del reactor._timers
        with pytest.raises(AttributeError, match="_timers"):
            reactor.callLater(1, noop)
        reactor._timers = first
        assert reactor.timeout() is not None
        saved = reactor.__dict__
        reactor.__dict__ = dict(saved, _timers=other._timers)
        try:
            reactor.callLater(1, noop)
            assert len(other.getDelayedCalls()) == 4
        finally:
            reactor.__dict__ = saved
        reactor.callLater(1, noop)
        assert len(first.getDelayedCalls()) == 6
        contents = dict(saved)
        vars(reactor).clear()
        with pytest.raises(AttributeError, match="_timers"):
            reactor.callLater(1, noop)
        vars(reactor).update(contents)
        reactor.callLater(1, noop)
        assert len(first.getDelayedCalls()) == 7

    def test_timersReplacedInAHotLoop(
        self, cReactorImpl: ReactorImplementation, flavour: str, buildReactor: Build
    ) -> None:
        """
        C{_timers} replaced again and again by code that CPython specialises
        (an attribute store in a hot loop, C{setattr}, a store into the
        dict, a deletion), with other attributes stored in between: every
        C{callLater} lands in the queue the reactor holds at that moment.
        """
        reactorClass = cReactorImpl.classes[flavour]
        reactor = buildReactor(reactorClass)
        queues = [reactor._timers, buildReactor(reactorClass)._timers]

        def store(index: int, queue: Any) -> None:
            reactor.unrelated = index
            if index % 4 == 0:
                reactor._timers = queue
            elif index % 4 == 1:
                setattr(reactor, "_timers", queue)
            elif index % 4 == 2:
                vars(reactor)["_timers"] = queue
            else:
                del reactor._timers
                reactor._timers = queue

        misrouted = 0
        for index in range(400):
            queue = queues[index % 3 % 2]
            store(index, queue)
            before = len(queue.getDelayedCalls())
            reactor.callLater(1, noop)
            reactor.callLater(2, noop).cancel()
            misrouted += len(queue.getDelayedCalls()) != before + 1
        assert misrouted == 0

    def test_timersCacheWithoutFreeWatcher(self, cReactorImpl: ReactorImplementation) -> None:
        """
        On CPython 3.12 and later, where a dict watcher keeps the cache of
        C{_timers} right, a process whose eight dict watchers are all taken
        runs without the cache, and a replaced C{_timers} is still seen.
        """
        testcapi = pytest.importorskip("_testcapi")
        if sys.version_info < (3, 12) or not hasattr(testcapi, "add_dict_watcher"):
            pytest.skip("the dict watcher cache is for CPython 3.12 and later")
        script = textwrap.dedent(
            """
            import _testcapi
            taken = 0
            while True:
                try:
                    _testcapi.add_dict_watcher(0)
                except Exception:
                    break
                taken += 1
            assert taken > 0
            from twisted_fast import reactor as fast
            r1, r2 = fast.FastSelectReactor(), fast.FastSelectReactor()
            for _ in range(3):
                r1.callLater(1, print)
            r1._timers = r2._timers
            r1.callLater(1, print)
            assert len(r2.getDelayedCalls()) == 1, r2.getDelayedCalls()
            print("ok")
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
        assert result.stdout.strip() == "ok", result.stderr

    def test_timersCacheKeyedByType(self, cReactorImpl: ReactorImplementation) -> None:
        """
        The cache of C{_timers} is process-wide and keyed by the reactor's
        type as well as its dict: a reactor class built on a second copy of
        the extension, sharing one instance dict with a reactor whose calls
        filled the cache, still finds that the dict's TimerQueue is not of
        its copy's type (the TypeError an uncached lookup gives).
        """
        script = textwrap.dedent(
            """
            import importlib.util
            from twisted.internet.epollreactor import EPollReactor
            from twisted_fast import _compat
            from twisted_fast._flush import FlushBeforeEPoll
            from twisted_fast.reactor import FastEPollReactor, _FastTimedCalls
            spec = importlib.util.find_spec("twisted_fast._speedups")
            second = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(second)
            assert second.TimerQueue is not _compat.speedups.TimerQueue
            Other = type("Other", (_FastTimedCalls, second.ReactorTimeMethods,
                                   FlushBeforeEPoll, EPollReactor), {})
            r1, r2 = FastEPollReactor(), Other()
            r2.__dict__ = r1.__dict__
            for _ in range(3):
                r1.callLater(1.0, print)
            try:
                r2.callLater(1.0, print)
            except TypeError as e:
                assert "not a TimerQueue" in str(e), e
                print("ok")
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
        assert result.stdout.strip() == "ok", result.stderr

    def test_replacementFollowsTheInstanceDict(
        self, cReactorImpl: ReactorImplementation, flavour: str, buildReactor: Build
    ) -> None:
        """
        A fast reactor keeps a replaced C{seconds} with its timers, not in
        its instance dict; swapping C{__dict__} and C{__class__} between
        reactors, as Twisted's ReactorBuilder does with the global reactor,
        carries it along with them (README, difference 13).
        """
        reactorClass = cReactorImpl.classes[flavour]
        built, other = buildReactor(reactorClass), buildReactor(reactorClass)
        built.seconds = lambda: 100
        assert "seconds" not in vars(built)
        savedDict = other.__dict__
        other.__dict__ = built.__dict__
        try:
            assert other.seconds() == 100
            assert other.callLater(5, noop).getTime() == 105
        finally:
            other.__dict__ = savedDict
        assert other.callLater(5, noop).getTime() > 1e9

    def test_replacedAfterTheCallWasMade(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        A call made before C{reactor.seconds} was replaced (again): its
        C{seconds()}, C{repr} and C{reset} as on Twisted's reactor.
        """

        def scenario(reactor: Any) -> Any:
            useFakeTime(reactor, 100.0)
            call = reactor.callLater(5, noop)
            useFakeTime(reactor, 200.0)
            seen = (call.seconds(), re.sub("0x[0-9a-f]+", "ID", repr(call)))
            call.reset(1)
            return seen, call.getTime(), reactor.timeout()

        expected, actual = differential(
            twistedClass, reactorClass, buildReactor, scenario
        )
        assert actual == expected


def test_rescheduledCallAttributesAfterAPass(
    reactorClass: type, twistedClass: type, buildReactor: Build
) -> None:
    """
    A call reset to a later time after it was taken in, then a pass after its
    old time but before its new one: its C{time}, C{delayed_time},
    C{getTime()} and C{repr} as on Twisted's reactor.
    """

    def scenario(reactor: Any) -> Any:
        clock = useFakeTime(reactor)
        call = reactor.callLater(1, noop)
        reactor.timeout()
        call.reset(10)
        before = (call.time, call.delayed_time, call.getTime())
        clock.advance(5)
        reactor.runUntilCurrent()
        after = (call.time, call.delayed_time, call.getTime())
        return before, after, re.sub("0x[0-9a-f]+", "ID", repr(call))

    expected, actual = differential(twistedClass, reactorClass, buildReactor, scenario)
    assert actual == expected


# --- failures in timed calls ----------------------------------------------------------


def _scheduleFailing(reactor: Any) -> Any:
    """
    Schedule L{boom} in 1 s (always from this line: debug-mode creator
    stacks must match).
    """
    return reactor.callLater(1, boom)


class TestFailures:
    """
    A timed call that raises is logged as Twisted logs it, and the pass goes
    on.
    """

    @newTimedCallLogging
    def test_loggedAndThePassGoesOn(self, reactor: Any) -> None:
        """
        Each failing call is logged (namespace C{twisted.internet.base},
        level critical, "while handling timed call", the exception itself);
        the calls after it in the same pass run; nothing is lost.
        """
        clock = useFakeTime(reactor)
        ran: list[str] = []
        bad = ValueError("bad")

        def raiseBad() -> None:
            raise bad

        a = reactor.callLater(1, boom)
        reactor.callLater(2, ran.append, "B")
        c = reactor.callLater(3, raiseBad)
        reactor.callLater(4, ran.append, "D")
        e = reactor.callLater(10, ran.append, "E")
        clock.advance(5)
        with capturedEvents() as events:
            reactor.runUntilCurrent()
        assert ran == ["B", "D"]
        assert a.called and c.called
        assert reactor.getDelayedCalls() == [e]
        failures = failureEvents(events)
        assert len(failures) == 2 == len(events)
        for event, kind, function in zip(
            failures, [ZeroDivisionError, ValueError], ["boom", "raiseBad"]
        ):
            assert event["log_namespace"] == "twisted.internet.base"
            assert event["log_level"] is LogLevel.critical
            assert event["log_format"] == "while handling timed call"
            assert formatEvent(event) == "while handling timed call"
            failure = event["log_failure"]
            assert failure.type is kind
            assert failure.frames[-1][0] == function
        assert failures[1]["log_failure"].value is bad

    @newTimedCallLogging
    def test_failureFrames(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        The traceback of the logged failure: a listed difference in its
        outermost frame only.  Twisted's is C{runUntilCurrent}, where the call
        ran; the fast reactor runs calls from C and logs the failure from
        C{_timedCallFailed}.  The frames of the call itself are the same.
        """

        def scenario(reactor: Any) -> Any:
            clock = useFakeTime(reactor)
            reactor.callLater(0, boom)
            clock.advance(1)
            with capturedEvents() as events:
                reactor.runUntilCurrent()
            [event] = failureEvents(events)
            return [frame[0] for frame in event["log_failure"].frames]

        results = differential(twistedClass, reactorClass, buildReactor, scenario)
        declaredDifference(
            twistedClass,
            reactorClass,
            results,
            ["runUntilCurrent", "boom"],
            ["_timedCallFailed", "boom"],
        )

    @newTimedCallLogging
    def test_legacyObserver(self, reactor: Any) -> None:
        """
        A legacy observer (C{twisted.python.log.addObserver}) sees the
        failure as an error event "while handling timed call".
        """
        useFakeTime(reactor)
        reactor.callLater(0, boom)
        seen: list[dict[str, Any]] = []
        legacyLog.addObserver(seen.append)
        try:
            reactor.runUntilCurrent()
        finally:
            legacyLog.removeObserver(seen.append)
        [event] = seen
        assert event["isError"] == 1
        assert event["why"] == "while handling timed call"
        assert event["failure"].type is ZeroDivisionError

    @newTimedCallLogging
    @pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit])
    def test_baseExceptions(self, reactor: Any, kind: type[BaseException]) -> None:
        """
        L{KeyboardInterrupt} and L{SystemExit} raised by a timed call are
        caught and logged like any failure; the pass goes on.
        """
        useFakeTime(reactor)
        ran: list[int] = []

        def interrupt() -> None:
            raise kind("from a timed call")

        reactor.callLater(0, interrupt)
        reactor.callLater(0, ran.append, 1)
        with capturedEvents() as events:
            reactor.runUntilCurrent()
        [event] = failureEvents(events)
        assert event["log_failure"].type is kind
        assert formatEvent(event) == "while handling timed call"
        assert ran == [1]
        assert reactor.getDelayedCalls() == []

    @newTimedCallLogging
    def test_whileRunning(self, reactor: Any) -> None:
        """
        Under C{run()}, a failing timed call is logged and the reactor keeps
        running the later ones.
        """
        ran: list[str] = []
        reactor.callLater(0, boom)
        reactor.callLater(0.01, ran.append, "after")
        reactor.callLater(0.02, reactor.stop)
        with capturedEvents() as events:
            runReactor(reactor)
        assert ran == ["after"]
        [event] = failureEvents(events)
        assert event["log_failure"].type is ZeroDivisionError
        assert formatEvent(event) == "while handling timed call"
        assert reactor.getDelayedCalls() == []

    def test_debugModeOffByDefault(self, reactor: Any) -> None:
        """
        Without debug mode, calls record no creator stack.
        """
        assert reactor.callLater(1, noop).creator is None

    @newTimedCallLogging
    def test_debugMode(
        self,
        reactorImpl: ReactorImplementation,
        reactorClass: type,
        twistedClass: type,
        buildReactor: Build,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """
        With C{DelayedCall.debug} set, a call records the stack that created
        it, and its failure is logged with it, in Twisted's format: the same
        event text, creator and C{repr} as on Twisted's reactor.
        """
        monkeypatch.setattr(TWISTED_REACTORS.DelayedCall, "debug", True)
        monkeypatch.setattr(reactorImpl.DelayedCall, "debug", True)
        results = []
        for cls in (twistedClass, reactorClass):
            reactor = buildReactor(cls)
            clock = useFakeTime(reactor)
            call = _scheduleFailing(reactor)
            shown = re.sub("0x[0-9a-f]+", "ID", repr(call))
            clock.advance(1)
            with capturedEvents() as events:
                reactor.runUntilCurrent()
            [event] = failureEvents(events)
            results.append(
                (
                    list(call.creator),
                    shown,
                    event["log_namespace"],
                    event["log_level"],
                    event["log_format"],
                    formatEvent(event),
                    event["log_failure"].type,
                )
            )
        expected, actual = results
        creator = expected[0]
        assert "return reactor.callLater(1, boom)" in creator[-1]
        assert "_scheduleFailing" in creator[-1]
        assert expected[5] == (
            "while handling timed call \n C: from a DelayedCall created here:\n C:"
            + "".join(creator).rstrip().replace("\n", "\n C:")
            + "\n"
        )
        assert "\n\ntraceback at creation: \n\n" in expected[1]
        assert actual == expected


# --- Twisted's private attributes -----------------------------------------------------


class TestPrivateAttributes:
    """
    C{_pendingTimedCalls}, C{_newTimedCalls} and C{_cancellations}, which
    code outside C{ReactorBase} reads (Twisted's own tests do).
    """

    def test_newAndPendingTimedCalls(self, reactor: Any) -> None:
        """
        New calls are in C{_newTimedCalls} until a C{timeout()} or pass takes
        them into C{_pendingTimedCalls}; calls that ran leave both; both are
        lists.
        """
        clock = useFakeTime(reactor)
        a = reactor.callLater(1, noop)
        b = reactor.callLater(2, noop)
        assert isinstance(reactor._newTimedCalls, list)
        assert isinstance(reactor._pendingTimedCalls, list)
        assert set(reactor._newTimedCalls) == {a, b}
        assert reactor._pendingTimedCalls == []
        reactor.timeout()
        assert reactor._newTimedCalls == []
        assert set(reactor._pendingTimedCalls) == {a, b}
        c = reactor.callLater(3, noop)
        assert reactor._newTimedCalls == [c]
        clock.advance(1)
        reactor.runUntilCurrent()
        assert reactor._newTimedCalls == []
        assert set(reactor._pendingTimedCalls) == {b, c}
        assert reactor._cancellations == 0

    def test_cancelWhileIteratingNewTimedCalls(self, reactor: Any) -> None:
        """
        Twisted's C{names.test.test_tap} cancels every call in
        C{_newTimedCalls} while iterating over it: that works.
        """
        calls = [reactor.callLater(1, noop) for _ in range(5)]
        for call in reactor._newTimedCalls:
            assert call.func is noop
            call.cancel()
        assert all(call.cancelled for call in calls)
        assert reactor.getDelayedCalls() == []
        assert reactor.timeout() is None

    @staticmethod
    def _labelled(
        reactor: Any, calls: list[Any], labels: list[str]
    ) -> Callable[[str], Any]:
        """
        A snapshot function: the labels of the calls in a private list, as a
        set, and the cancellation count.
        """

        def snapshot(name: str) -> Any:
            byId = {id(call): label for call, label in zip(calls, labels)}
            inList = {byId[id(call)] for call in getattr(reactor, name)}
            return inList, reactor._cancellations

        return snapshot

    def test_cancelledNewCall(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        A call cancelled before it was taken in: a listed difference until a
        C{timeout()} takes the new calls in.  Twisted's C{_newTimedCalls}
        keeps the cancelled call and counts it in C{_cancellations}; the fast
        reactor's lists hold pending calls only.
        """

        def scenario(reactor: Any) -> Any:
            useFakeTime(reactor)
            calls = [reactor.callLater(1, noop), reactor.callLater(2, noop)]
            snapshot = self._labelled(reactor, calls, ["a", "b"])
            calls[0].cancel()
            during = snapshot("_newTimedCalls")
            reactor.timeout()
            return during, snapshot("_newTimedCalls"), snapshot("_pendingTimedCalls")

        results = differential(twistedClass, reactorClass, buildReactor, scenario)
        after = ((set(), 0), ({"b"}, 0))
        declaredDifference(
            twistedClass,
            reactorClass,
            results,
            (({"a", "b"}, 1), *after),
            (({"b"}, 0), *after),
        )

    def test_cancelledPendingCall(
        self, reactorClass: type, twistedClass: type, buildReactor: Build
    ) -> None:
        """
        A call cancelled after it was taken in: a listed difference until a
        pass reaches its time.  Twisted's C{_pendingTimedCalls} keeps it and
        counts it in C{_cancellations}; the fast reactor's holds pending calls
        only.
        """

        def scenario(reactor: Any) -> Any:
            clock = useFakeTime(reactor)
            calls = [reactor.callLater(1, noop), reactor.callLater(2, noop)]
            snapshot = self._labelled(reactor, calls, ["a", "b"])
            reactor.timeout()
            calls[0].cancel()
            during = snapshot("_pendingTimedCalls")
            clock.advance(1)
            reactor.runUntilCurrent()
            return during, snapshot("_pendingTimedCalls")

        results = differential(twistedClass, reactorClass, buildReactor, scenario)
        declaredDifference(
            twistedClass,
            reactorClass,
            results,
            (({"a", "b"}, 1), ({"b"}, 0)),
            (({"b"}, 0), ({"b"}, 0)),
        )


# --- threads --------------------------------------------------------------------------


class TestThreads:
    """
    The reactor's thread support, with timed calls on the C heap, under a
    running reactor.
    """

    def test_callFromThread(self, reactor: Any) -> None:
        """
        Calls from several worker threads all run, once each, in the reactor
        thread, each thread's in the order it made them.
        """
        workers, perWorker = 4, 100
        got: list[tuple[int, int, int]] = []

        def receive(worker: int, i: int) -> None:
            got.append((threading.get_ident(), worker, i))
            if len(got) == workers * perWorker:
                reactor.stop()

        def work(worker: int) -> None:
            for i in range(perWorker):
                reactor.callFromThread(receive, worker, i)

        started = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
        reactor.callWhenRunning(lambda: [t.start() for t in started])
        runReactor(reactor)
        for t in started:
            t.join(5)
        main = threading.get_ident()
        assert {ident for ident, _, _ in got} == {main}
        for w in range(workers):
            assert [i for _, worker, i in got if worker == w] == list(range(perWorker))
        assertHeapSound(reactor)

    def test_callInThread(self, reactor: Any) -> None:
        """
        C{callInThread} runs the function in a pool thread; its
        C{callFromThread} back runs in the reactor thread.
        """
        main = threading.get_ident()
        where: list[int] = []
        results: list[tuple[int, int]] = []

        def work(x: int) -> None:
            where.append(threading.get_ident())
            reactor.callFromThread(done, x * 2)

        def done(value: int) -> None:
            results.append((threading.get_ident(), value))
            if len(results) == 5:
                reactor.stop()

        reactor.callWhenRunning(
            lambda: [reactor.callInThread(work, x) for x in range(5)]
        )
        runReactor(reactor)
        assert len(where) == 5 and main not in where
        assert sorted(results) == [(main, x * 2) for x in range(5)]

    def test_deferToThreadPool(self, reactor: Any) -> None:
        """
        C{deferToThreadPool} with the reactor's pool fires its L{Deferred} in
        the reactor thread, with the result or the failure.
        """
        main = threading.get_ident()
        outcomes: list[Any] = []

        def fail() -> None:
            raise ValueError("in a thread")

        def start() -> None:
            pool = reactor.getThreadPool()
            ok = threads.deferToThreadPool(reactor, pool, lambda x: x * 2, 21)
            ok.addCallback(lambda v: outcomes.append(("ok", v, threading.get_ident())))
            bad = threads.deferToThreadPool(reactor, pool, fail)
            bad.addErrback(
                lambda f: outcomes.append(("failed", f.type, threading.get_ident()))
            )
            ok.addBoth(lambda _: bad).addBoth(
                lambda _: reactor.callLater(0, reactor.stop)
            )

        reactor.callWhenRunning(start)
        runReactor(reactor)
        assert sorted(outcomes, key=repr) == sorted(
            [("ok", 42, main), ("failed", ValueError, main)], key=repr
        )
        assert reactor.threadpool is None  # stopped at shutdown

    def test_callLaterFromAnotherThread(self, reactor: Any) -> None:
        """
        A worker thread calls C{callLater} thousands of times while the
        reactor runs (and resets and cancels) its own timed calls: nothing
        crashes, the heap stays sound throughout, every call runs once.
        """
        count = 3000
        fired: list[int] = []
        heapChecks: list[bool] = []
        finished = threading.Event()

        def worker() -> None:
            rng = random.Random(20251)
            for i in range(count):
                reactor.callLater(rng.choice([0, 0.0005, 0.002, 0.01]), fired.append, i)
                if i % 50 == 0:
                    time.sleep(0.001)
            finished.set()

        churn: list[Any] = []
        rng = random.Random(7)
        state = {"ticks": 0, "deadline": math.inf}

        def tick() -> None:
            state["ticks"] += 1
            churn.append(reactor.callLater(rng.choice([0.001, 0.003, 0.05]), noop))
            if len(churn) > 20:
                victim = churn.pop(rng.randrange(len(churn)))
                if victim.active():
                    if rng.random() < 0.5:
                        victim.cancel()
                    else:
                        victim.reset(rng.choice([0, 0.002, 0.1]))
            if state["ticks"] % 5 == 0:
                heapChecks.append(heapProblem(reactor) is None)
            if finished.is_set():
                if state["deadline"] == math.inf:
                    state["deadline"] = time.monotonic() + 2
                if len(fired) >= count or time.monotonic() > state["deadline"]:
                    reactor.stop()
                    return
            reactor.callLater(0.001, tick)

        thread = threading.Thread(target=worker)
        reactor.callWhenRunning(thread.start)
        reactor.callWhenRunning(tick)
        # Switch threads as often as the interpreter will: callLater from the
        # worker lands between any two bytecodes of the reactor thread.
        switchInterval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            runReactor(reactor, timeout=10)
            thread.join(5)
        finally:
            sys.setswitchinterval(switchInterval)
        assert not thread.is_alive()
        assert sorted(fired) == list(range(count))
        assert heapChecks and all(heapChecks)
        assertHeapSound(reactor)
        assert all(call.func is noop for call in reactor.getDelayedCalls())


# --- end to end: TCP echo with idle timeouts ------------------------------------------


IDLE = 0.4
INTERVAL = 0.05
PING = b"ping\n"


class TimeoutEcho(protocol.Protocol, TimeoutMixin):
    """
    An echo server protocol that drops a connection idle for L{IDLE} s.
    The client's first line is its name.
    """

    def __init__(
        self, reactor: Any, results: dict[str, Any], lost: Callable[[], None]
    ) -> None:
        self.reactor = reactor
        self.results = results
        self.lost = lost
        self.buffer = b""
        self.name: str | None = None
        self.idleFor: float | None = None
        self.lastData = time.monotonic()

    def callLater(self, period: float, func: Callable[[], Any]) -> Any:
        """
        Schedule on this test's reactor (TimeoutMixin's hook for tests).
        """
        return self.reactor.callLater(period, func)

    def connectionMade(self) -> None:
        self.lastData = time.monotonic()
        self.setTimeout(IDLE)

    def dataReceived(self, data: bytes) -> None:
        self.lastData = time.monotonic()
        self.resetTimeout()
        self.transport.write(data)
        if self.name is None:
            self.buffer += data
            if b"\n" in self.buffer:
                self.name = self.buffer.split(b"\n", 1)[0].decode()

    def timeoutConnection(self) -> None:
        self.idleFor = time.monotonic() - self.lastData
        TimeoutMixin.timeoutConnection(self)

    def connectionLost(self, reason: Any) -> None:
        self.setTimeout(None)
        self.results[str(self.name)] = self.idleFor
        self.lost()


class Talker(protocol.Protocol):
    """
    A client that says its name, sends C{pings} pings every L{INTERVAL} s,
    and hangs up once all is echoed if C{hangUp}.
    """

    def __init__(
        self,
        reactor: Any,
        name: str,
        pings: int,
        hangUp: bool,
        results: dict[str, Any],
        lost: Callable[[], None],
    ) -> None:
        self.reactor = reactor
        self.name = name
        self.pings = pings
        self.hangUp = hangUp
        self.results = results
        self.lost = lost
        self.sent = self.received = 0
        self.hungUp = False
        self.pingCall: Any = None
        hello = f"{name}\n".encode()
        self.hello = hello
        self.expected = len(hello) + pings * len(PING)

    def connectionMade(self) -> None:
        self.transport.write(self.hello)
        if self.pings:
            self.pingCall = self.reactor.callLater(INTERVAL, self.ping)

    def ping(self) -> None:
        self.pingCall = None
        self.sent += 1
        self.transport.write(PING)
        if self.sent < self.pings:
            self.pingCall = self.reactor.callLater(INTERVAL, self.ping)

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)
        if self.hangUp and self.received == self.expected:
            self.hungUp = True
            self.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        if self.pingCall is not None and self.pingCall.active():
            self.pingCall.cancel()
        self.results[self.name] = (self.received, self.expected, self.hungUp)
        self.lost()


def test_tcpEchoWithIdleTimeouts(reactor: Any) -> None:
    """
    A TCP echo server on 127.0.0.1 drops idle connections with
    L{TimeoutMixin} (reset on each data): clients that keep talking survive
    and hang up themselves, one that says its name and falls silent and ones
    that stop after a few pings are timed out, after at least L{IDLE} s of
    silence.  Nothing is left scheduled; the run takes about a second.
    """
    clients = {"talker-0": (12, True), "talker-1": (12, True), "talker-2": (10, True)}
    clients.update({f"idle-{i}": (0, False) for i in range(3)})
    clients.update({f"quiet-{i}": (3 + i, False) for i in range(2)})
    serverResults: dict[str, Any] = {}
    clientResults: dict[str, Any] = {}
    port: Any = None

    def lost() -> None:
        if len(serverResults) == len(clientResults) == len(clients):
            port.stopListening().addCallback(lambda _: reactor.stop())

    serverFactory = protocol.Factory.forProtocol(
        lambda: TimeoutEcho(reactor, serverResults, lost)
    )
    port = reactor.listenTCP(0, serverFactory, interface="127.0.0.1")
    address = port.getHost()

    class ClientFactory(protocol.ClientFactory):
        def __init__(self, name: str, pings: int, hangUp: bool) -> None:
            self.args = (name, pings, hangUp)

        def buildProtocol(self, addr: Any) -> protocol.Protocol:
            return Talker(reactor, *self.args, clientResults, lost)

        def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
            clientResults[self.args[0]] = reason
            reactor.stop()

    def connectAll() -> None:
        for name, (pings, hangUp) in clients.items():
            factory = ClientFactory(name, pings, hangUp)
            reactor.connectTCP(address.host, address.port, factory)

    reactor.callWhenRunning(connectAll)
    elapsed = runReactor(reactor, timeout=5)
    assert set(clientResults) == set(serverResults) == set(clients)
    for name, (pings, hangUp) in clients.items():
        received, expected, hungUp = clientResults[name]
        assert received == expected, name
        assert hungUp is hangUp, name
        idleFor = serverResults[name]
        if hangUp:
            assert idleFor is None, f"{name} was timed out after {idleFor}"
        else:
            assert idleFor is not None and idleFor >= IDLE - 0.01, (name, idleFor)
    assert elapsed < 3
    assert reactor.getDelayedCalls() == []
    assertHeapSound(reactor)


# --- random programs: the fast reactor against Twisted's ------------------------------

#: Amounts, in eighths of a second (a unique fraction is added at run time,
#: so that no two calls are due at the same instant: ties are ordered
#: differently by design, see test_equalDeadlines*).
EIGHTHS = st.integers(0, 24)
SIGNED_EIGHTHS = st.integers(-16, 16)
TARGETS = st.integers(0, 40)


def _scriptOps(depth: int) -> st.SearchStrategy[tuple[Any, ...]]:
    """
    One operation of a timed call's script.
    """
    choices: list[st.SearchStrategy[tuple[Any, ...]]] = [
        st.tuples(st.just("cancel"), TARGETS),
        st.tuples(st.just("reset"), TARGETS, SIGNED_EIGHTHS),
        st.tuples(st.just("delay"), TARGETS, SIGNED_EIGHTHS),
        st.tuples(st.just("self"), st.sampled_from(["cancel", "reset", "delay"])),
        st.tuples(st.just("advance"), EIGHTHS),
        st.tuples(st.just("timeout")),
        st.tuples(st.just("pass")),
        st.tuples(st.just("raise")),
    ]
    if depth < 2:
        later = st.tuples(
            st.just("later"), EIGHTHS, st.lists(_scriptOps(depth + 1), max_size=3)
        )
        choices += [later, later]
    return st.one_of(*choices)




def _topLater() -> st.SearchStrategy[tuple[Any, ...]]:
    """
    A C{callLater} from the top of a program (a new strategy object each
    time: C{one_of} weighs distinct strategies).
    """
    return st.tuples(st.just("later"), EIGHTHS, st.lists(_scriptOps(1), max_size=4))


PROGRAMS = st.lists(
    st.one_of(
        *[_topLater() for _ in range(5)],
        st.tuples(st.just("cancel"), TARGETS),
        st.tuples(st.just("reset"), TARGETS, SIGNED_EIGHTHS),
        st.tuples(st.just("delay"), TARGETS, SIGNED_EIGHTHS),
        st.tuples(st.just("advance"), EIGHTHS),
        st.tuples(st.just("advance"), EIGHTHS),
        st.tuples(st.just("pass")),
        st.tuples(st.just("pass")),
        st.tuples(st.just("timeout")),
    ),
    min_size=8,
    max_size=40,
).map(lambda program: program + [("advance", 40), ("pass",), ("pass",)])


class _Interpreter:
    """
    Runs a program on one reactor, recording what happens.
    """

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.clock = useFakeTime(reactor)
        self.calls: list[Any] = []
        self.trace: list[Any] = []
        self.serial = 0
        self.tie = False

    def fraction(self) -> float:
        """
        A fraction of a second no other amount in this run has.
        """
        self.serial += 1
        return self.serial / 4096

    def fire(self, label: int, script: list[tuple[Any, ...]]) -> None:
        """
        The timed call C{label}: record it, then run its script.
        """
        call = self.calls[label]
        due = call.getTime()
        if any(c is not call and c.active() and c.getTime() == due for c in self.calls):
            self.tie = True
        self.trace.append(("fire", label, self.clock.now))
        for op in script:
            self.do(op, label)

    def do(self, op: tuple[Any, ...], me: int | None = None) -> None:
        """
        Run one operation (C{me}: the label of the timed call running it).
        """
        kind = op[0]
        if kind == "later":
            label = len(self.calls)
            delay = op[1] / 8 + self.fraction()
            self.calls.append(self.reactor.callLater(delay, self.fire, label, op[2]))
            self.trace.append(("later", label))
        elif kind in ("cancel", "reset", "delay", "self"):
            if kind == "self":
                assert me is not None
                kind, target, amount = op[1], me, 0
            elif not self.calls:
                return
            else:
                target, amount = op[1] % len(self.calls), op[2] if len(op) > 2 else 0
            call = self.calls[target]
            try:
                if kind == "cancel":
                    call.cancel()
                elif kind == "reset":
                    call.reset(amount / 8 + self.fraction())
                else:
                    call.delay(amount / 8 + self.fraction())
                outcome = "ok"
            except (error.AlreadyCalled, error.AlreadyCancelled) as e:
                outcome = type(e).__name__
            self.trace.append((kind, target, outcome))
        elif kind == "advance":
            self.clock.advance(op[1] / 8)
        elif kind == "timeout":
            self.reactor.timeout()
        elif kind == "pass":
            self.reactor.runUntilCurrent()
        elif kind == "raise":
            raise ValueError(me)
        else:
            raise AssertionError(op)

    def state(self) -> Any:
        """
        The pending calls and each call's flags and due time.
        """
        labels = {id(call): label for label, call in enumerate(self.calls)}
        return (
            sorted(labels[id(call)] for call in self.reactor.getDelayedCalls()),
            [
                (bool(c.called), bool(c.cancelled), c.getTime() if c.active() else None)
                for c in self.calls
            ],
        )

    def run(self, program: list[tuple[Any, ...]]) -> list[Any]:
        """
        Run C{program}; return the trace with the state after each step.
        """
        for op in program:
            with capturedEvents() as events:
                self.do(op)
            failures = [
                e.get("log_failure", e.get("failure")).value.args
                for e in failureEvents(events)
            ]
            self.trace.append(("step", op[0], failures, self.state()))
            assertHeapSound(self.reactor)
        return self.trace


@given(program=PROGRAMS)
def test_randomPrograms(reactorImpl: ReactorImplementation, program: list[Any]) -> None:
    """
    Random programs (callLater, cancel, reset, delay, clock moves, passes and
    timeout(), run from the top or from timed calls, which may also act on
    themselves, raise or run a pass recursively) do the same on the reactor
    under test as on Twisted's: the same calls fire in the same order at the
    same fake times, the same operations fail, the same failures are logged,
    and after each step the same calls are pending with the same due times
    (C{getTime()}; see test_rescheduledCallAttributesAfterAPass for
    C{time}/C{delayed_time}).  No two calls are ever due at the same instant.
    """
    _sameAsTwisted(reactorImpl.classes["epoll"], program)


def _sameAsTwisted(
    reactorClass: type, program: list[Any], splitAt: int | None = None
) -> None:
    """
    Run C{program} on Twisted's epoll reactor and on C{reactorClass}, and
    compare the traces (unless the program made a tie).  A fast reactor's
    heaps must be sound at the end; with C{splitAt}, its heap of pending
    calls splits into tiers at that many calls.
    """
    results = []
    for cls in (TWISTED_CLASSES["epoll"], reactorClass):
        reactor = cls()
        try:
            if splitAt is not None and isFast(reactor):
                _compat.speedups._split_heap_at(reactor._timers, splitAt)
            interpreter = _Interpreter(reactor)
            trace = interpreter.run(program)
            results.append((trace, interpreter.tie))
            assert heapProblem(reactor) is None
        finally:
            unbuildReactor(reactor)
    (expected, tie), (actual, _) = results
    assume(not tie)
    note(f"Twisted: {expected}")
    assert actual == expected


@given(program=PROGRAMS, splitAt=st.integers(1, 6))
def test_randomProgramsInTiers(
    cReactorImpl: ReactorImplementation, program: list[Any], splitAt: int
) -> None:
    """
    As L{test_randomPrograms}, on a fast reactor whose heap of pending calls
    splits into its near heap, wheel and far heap (heap.h) at a handful of
    calls instead of thousands; the heaps are sound at the end.
    """
    _sameAsTwisted(cReactorImpl.classes["epoll"], program, splitAt)
