"""
Tests for C{LoopingCall}: construction and its attributes, C{start}, C{stop},
C{reset}, C{withCount}, what the function may return, how missed intervals are
skipped (float edges included), interval 0, the deprecated C{deferred}, the
C{repr}, subclasses, clocks that are not ours, differential property tests and
leaks.

Every test takes C{loopImpl} and runs on each implementation that has a
C{LoopingCall} (see conftest): the expected values are Twisted's behaviour
(C{twisted/internet/task.py}), written down here before the C class exists.
The loops run on the implementation's own C{Clock} (C{loopImpl.Clock}), so no
real reactor is needed, except where a test says otherwise.

Some tests pin down behaviour of Twisted's that is surprising (a C{reset()}
from inside the function does nothing, a loop restarted while the function's
L{Deferred} is pending runs twice over, ...): their docstrings say so.  A C
class that deliberately departs from one of them moves that test to
C{test_differences.py}.

The differential tests (L{TestDifferential}) take their number of examples from
the hypothesis profile: C{ci} by default, C{fuzz} with
C{TWISTED_FAST_HYPOTHESIS_PROFILE=fuzz} (see conftest).
"""

from __future__ import annotations

import functools
import gc
import os
import subprocess
import sys
import textwrap
import weakref
from typing import Any, Callable

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

import twisted_fast
from conftest import withoutAsanQuarantine
from twisted.internet import defer
from twisted.internet.task import LoopingCall as TwistedLoopingCall
from twisted.python import reflect
from twisted.python.failure import Failure
from twisted_fast import _compat

#: Twisted's own C{Clock}, captured before anything is installed.
TwistedClock = _compat.TwistedClock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(twisted_fast.__file__)))

#: The message of the C{deferred} property's L{DeprecationWarning}.
DEFERRED_DEPRECATION = (
    "twisted.internet.task.LoopingCall.deferred was deprecated in Twisted 16.0.0; "
    "please use the deferred returned by start() instead"
)


class Boom(Exception):
    """
    Raised (or returned as a failure) by looping functions in these tests.
    """


class Halt(BaseException):
    """
    A L{BaseException} that is not an L{Exception}.
    """


def makeLoop(impl: Any, f: Callable[..., object], /, *a: Any, **kw: Any) -> tuple[Any, Any]:
    """
    A C{LoopingCall} of C{impl} calling C{f}, on a new C{impl.Clock}.
    """
    lc = impl.LoopingCall(f, *a, **kw)
    clock = impl.Clock()
    lc.clock = clock
    return lc, clock


def watch(d: defer.Deferred[Any]) -> list[Any]:
    """
    Collect the result of C{d} (a value or a L{Failure}) in a list, handling
    a failure so it is not logged as unhandled.
    """
    box: list[Any] = []

    def got(result: Any) -> None:
        box.append(result)

    d.addBoth(got)
    return box


class Recorder:
    """
    A looping function that records when it is called (by the clock) and with
    what, and returns C{self.result} (or what C{self.results} pops).
    """

    def __init__(self, clock: Any = None) -> None:
        self.clock = clock
        self.calls: list[tuple[float, tuple[Any, ...], dict[str, Any]]] = []
        self.result: Any = None
        self.results: list[Any] = []

    def __call__(self, *a: Any, **kw: Any) -> Any:
        self.calls.append((self.clock.seconds(), a, kw))
        if self.results:
            return self.results.pop(0)
        return self.result

    @property
    def times(self) -> list[float]:
        """
        The clock times of the calls so far.
        """
        return [when for when, _, _ in self.calls]


def recordingLoop(impl: Any, /, *a: Any, **kw: Any) -> tuple[Any, Any, Recorder]:
    """
    A C{LoopingCall} of a L{Recorder}, on a new clock.
    """
    rec = Recorder()
    lc, clock = makeLoop(impl, rec, *a, **kw)
    rec.clock = clock
    return lc, clock, rec


def pendingTimes(clock: Any) -> list[float]:
    """
    The times of the calls pending on C{clock}, sorted.
    """
    return sorted(dc.getTime() for dc in clock.getDelayedCalls())


def edgeTriggers(start: float, interval: float, when: float) -> bool:
    """
    Whether C{_scheduleFrom(when)} takes its float edge branch: the time left
    to the next interval is too small to change C{when} when added to it.
    """
    untilNextInterval = interval - ((when - start) % interval)
    return when == when + untilNextInterval


# --- construction and attributes -----------------------------------------------------


def aFunction(*a: Any, **kw: Any) -> None:
    """
    A module-level function, for the C{repr} tests.
    """


class Holder:
    """
    A class with a method, for the C{repr} tests.
    """

    def method(self) -> None:
        """
        A method.
        """


class TestConstruction:
    """
    C{LoopingCall(f, *a, **kw)} and the attributes it exposes.
    """

    def test_storesFunctionAndArguments(self, loopImpl: Any) -> None:
        """
        C{f}, C{a} and C{kw} are the function, the positional arguments (a
        tuple) and the keyword arguments (a dict).
        """
        lc = loopImpl.LoopingCall(aFunction, 1, "two", key=3)
        assert lc.f is aFunction
        assert lc.a == (1, "two") and type(lc.a) is tuple
        assert lc.kw == {"key": 3} and type(lc.kw) is dict

    def test_noArguments(self, loopImpl: Any) -> None:
        """
        Without arguments, C{a} is an empty tuple and C{kw} an empty dict.
        """
        lc = loopImpl.LoopingCall(aFunction)
        assert lc.a == () and type(lc.a) is tuple
        assert lc.kw == {} and type(lc.kw) is dict

    def test_keywordNamedLikeAttributes(self, loopImpl: Any) -> None:
        """
        Keyword arguments named C{a} or C{kw} are arguments for the function,
        not for C{LoopingCall}.
        """
        lc, clock, rec = recordingLoop(loopImpl, 1, a=3, kw=4)
        assert lc.kw == {"a": 3, "kw": 4}
        lc.start(1)
        assert rec.calls == [(0.0, (1,), {"a": 3, "kw": 4})]
        lc.stop()

    def test_signature(self, loopImpl: Any) -> None:
        """
        The signature is C{(f, *a, **kw)}: C{f} may be given by keyword, a
        keyword C{f} besides a positional one is a C{TypeError}, and so is
        no function at all.
        """
        lc = loopImpl.LoopingCall(f=aFunction, x=1)
        assert lc.f is aFunction and lc.a == () and lc.kw == {"x": 1}
        with pytest.raises(TypeError):
            loopImpl.LoopingCall(aFunction, f=2)
        with pytest.raises(TypeError):
            loopImpl.LoopingCall()

    def test_initialState(self, loopImpl: Any) -> None:
        """
        A new C{LoopingCall} is not running, has no pending call, no interval
        and no start time.
        """
        lc = loopImpl.LoopingCall(aFunction)
        assert lc.running is False
        assert lc.call is None
        assert lc.interval is None
        assert lc.starttime is None

    def test_notCalledOnConstruction(self, loopImpl: Any) -> None:
        """
        Creating a C{LoopingCall} does not call the function or schedule
        anything.
        """
        rec = Recorder()
        clock = loopImpl.Clock()
        lc = loopImpl.LoopingCall(rec)
        lc.clock = clock
        assert rec.calls == [] and clock.getDelayedCalls() == []

    @pytest.mark.parametrize(
        "name, value",
        [
            ("f", print),
            ("a", (1, 2)),
            ("kw", {"x": 1}),
            ("call", None),
            ("running", True),
            ("interval", 2.5),
            ("interval", 3),
            ("starttime", 7.25),
            ("starttime", None),
        ],
    )
    def test_attributeWritable(self, loopImpl: Any, name: str, value: Any) -> None:
        """
        C{f}, C{a}, C{kw}, C{call}, C{running}, C{interval} and C{starttime}
        can be set, and read back as the very object set.
        """
        lc = loopImpl.LoopingCall(aFunction)
        setattr(lc, name, value)
        assert getattr(lc, name) is value

    def test_clockWritable(self, loopImpl: Any) -> None:
        """
        C{clock} can be set to any object and read back.
        """
        lc = loopImpl.LoopingCall(aFunction)
        clock = loopImpl.Clock()
        lc.clock = clock
        assert lc.clock is clock
        other = object()
        lc.clock = other
        assert lc.clock is other

    def test_otherAttributes(self, loopImpl: Any) -> None:
        """
        Instances take other attributes too, and can be weakly referenced.
        """
        lc = loopImpl.LoopingCall(aFunction)
        lc.label = "mine"
        assert lc.label == "mine"
        assert weakref.ref(lc)() is lc

    def test_changedFunctionAndArguments(self, loopImpl: Any) -> None:
        """
        C{f}, C{a} and C{kw} are read at every call: changing them changes
        the next call.  C{a} may be any iterable, C{kw} any dict.
        """
        lc, clock, rec = recordingLoop(loopImpl, 1)
        lc.start(1)
        other = Recorder(clock)
        lc.f = other
        lc.a = [2, 3]
        lc.kw = {"k": 4}
        clock.advance(1)
        assert rec.calls == [(0.0, (1,), {})]
        assert other.calls == [(1.0, (2, 3), {"k": 4})]
        lc.stop()

    def test_changedIntervalWhileRunning(self, loopImpl: Any) -> None:
        """
        C{interval} is read when the next call is scheduled: a new value
        applies from the next scheduling on, on the grid of C{starttime}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(1)
        lc.interval = 3
        clock.advance(1)  # scheduled with interval 1
        assert rec.times == [0.0, 1.0]
        assert lc.call.getTime() == 3.0  # next multiple of 3 after 1
        clock.advance(2)
        assert lc.call.getTime() == 6.0
        lc.stop()

    def test_changedStarttime(self, loopImpl: Any) -> None:
        """
        C{starttime} anchors the grid of intervals: moving it moves the
        following calls.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(1)
        lc.starttime = 0.25
        clock.advance(1)
        assert rec.times == [0.0, 1.0]
        assert lc.call.getTime() == 1.25
        lc.stop()

    def test_changedClock(self, loopImpl: Any) -> None:
        """
        C{clock} is read whenever the loop needs the time or schedules: the
        pending call stays on the old clock, the next one goes on the new.
        """
        lc, first, rec = recordingLoop(loopImpl)
        lc.start(1)
        second = loopImpl.Clock()
        second.advance(10)
        lc.clock = second
        rec.clock = first
        first.advance(1)
        assert rec.times == [0.0, 1.0]
        assert first.getDelayedCalls() == []
        assert second.getDelayedCalls() == [lc.call]
        # Scheduled from the second clock's time, 10, on the grid from 0.
        assert lc.call.getTime() == 11.0
        lc.stop()
        assert second.getDelayedCalls() == []

    def test_runningSetFalseInsideF(self, loopImpl: Any) -> None:
        """
        Setting C{running} to C{False} from inside the function ends the loop
        like C{stop()}: the start L{Deferred} fires with the loop.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            rec()
            lc.running = False

        lc.f = f
        result = watch(lc.start(1))
        assert result == [lc]
        assert clock.getDelayedCalls() == [] and lc.call is None


DEFAULT_CLOCK_SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("error")
    from twisted_fast import _compat

    name, mode = sys.argv[1], sys.argv[2]
    if name == "c":
        LoopingCall = _compat.LoopingCall
        Clock = _compat.speedups.Clock
    else:
        from twisted.internet.task import LoopingCall, Clock

    assert "twisted.internet.reactor" not in sys.modules, "reactor imported early"
    if mode == "installed":
        from twisted.internet.main import installReactor
        clock = Clock()
        installReactor(clock)

    ticks = []
    lc = LoopingCall(ticks.append, "tick")
    assert "twisted.internet.reactor" in sys.modules
    from twisted.internet import reactor
    assert lc.clock is reactor, (lc.clock, reactor)
    if mode == "installed":
        assert reactor is clock
        d = lc.start(2)
        clock.advance(2)
        lc.stop()
        assert ticks == ["tick", "tick"], ticks
    print("ok", type(lc.clock).__module__)
    """
)


@pytest.mark.parametrize("mode", ["default", "installed"])
def test_defaultClockIsTheReactor(loopImpl: Any, mode: str) -> None:
    """
    In a fresh interpreter: the module does not import the reactor, and a new
    C{LoopingCall}'s clock is the global reactor of the time it is created;
    the default one (C{default}) or any object installed as the reactor
    (C{installed}, a C{Clock}, which the loop then runs on).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    result = subprocess.run(
        [sys.executable, "-c", DEFAULT_CLOCK_SCRIPT, loopImpl.name, mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")


# --- start -----------------------------------------------------------------------------


class TestStart:
    """
    C{start(interval, now=True)}.
    """

    def test_startNow(self, loopImpl: Any) -> None:
        """
        C{start(interval)} calls the function at once, returns an unfired
        L{Deferred}, sets C{running}, C{interval} and C{starttime}, and
        schedules the next call, which is the loop itself with no arguments.
        """
        lc, clock, rec = recordingLoop(loopImpl, "x", y=1)
        clock.advance(5)
        d = lc.start(1.5)
        assert isinstance(d, defer.Deferred)
        assert watch(d) == []
        assert rec.calls == [(5.0, ("x",), {"y": 1})]
        assert lc.running is True
        assert lc.interval == 1.5
        assert lc.starttime == 5.0
        assert clock.getDelayedCalls() == [lc.call]
        assert lc.call.getTime() == 6.5
        assert lc.call.func is lc
        assert lc.call.args == () and lc.call.kw == {}
        lc.stop()

    def test_startLater(self, loopImpl: Any) -> None:
        """
        C{start(interval, now=False)} calls the function first after one
        interval, then at every interval.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(0.5, now=False)
        assert rec.times == []
        assert lc.call.getTime() == 0.5
        clock.pump([0.25, 0.25, 0.5, 0.5])
        assert rec.times == [0.5, 1.0, 1.5]
        lc.stop()

    @pytest.mark.parametrize("now, called", [(0, False), ("", False), (1, True), ("y", True)])
    def test_nowTruthiness(self, loopImpl: Any, now: Any, called: bool) -> None:
        """
        C{now} is taken for its truth value.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(1, now=now)
        assert rec.times == ([0.0] if called else [])
        lc.stop()

    def test_nowByKeyword(self, loopImpl: Any) -> None:
        """
        C{interval} and C{now} can be given by keyword.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(interval=2, now=False)
        assert lc.interval == 2 and rec.times == []
        lc.stop()

    def test_intervalKeptAsGiven(self, loopImpl: Any) -> None:
        """
        The interval is kept as the very object given (an C{int} stays an
        C{int}).
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(2)
        assert lc.interval == 2 and type(lc.interval) is int
        assert lc.call.getTime() == 2.0
        lc.stop()

    def test_starttimeIsClockTime(self, loopImpl: Any) -> None:
        """
        C{starttime} is the clock's C{seconds()} when C{start} was called.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        clock.advance(0.1)
        clock.advance(0.2)
        lc.start(1, now=False)
        assert lc.starttime == clock.seconds() == 0.1 + 0.2
        lc.stop()

    @pytest.mark.parametrize("interval", [-1, -0.5, -1e-300, float("-inf")])
    def test_negativeInterval(self, loopImpl: Any, interval: float) -> None:
        """
        A negative interval raises C{ValueError("interval must be >= 0")}
        and changes nothing: the loop can be started properly afterwards.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        with pytest.raises(ValueError) as info:
            lc.start(interval)
        assert str(info.value) == "interval must be >= 0"
        assert lc.running is False
        assert lc.interval is None and lc.starttime is None and lc.call is None
        assert rec.calls == [] and clock.getDelayedCalls() == []
        lc.start(1)
        assert rec.times == [0.0]
        lc.stop()

    def test_startTwice(self, loopImpl: Any) -> None:
        """
        Starting a running loop raises C{AssertionError} with Twisted's
        message (checked before the interval) and changes nothing.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        d = lc.start(1)
        call = lc.call
        for interval in (2, -1):
            with pytest.raises(AssertionError) as info:
                lc.start(interval)
            assert str(info.value) == "Tried to start an already running LoopingCall."
        assert lc.interval == 1 and lc.call is call and lc.running is True
        assert rec.times == [0.0]
        lc.stop()
        assert watch(d) == [lc]

    def test_startTwiceInsideF(self, loopImpl: Any) -> None:
        """
        Starting the loop from inside its own function raises the same
        C{AssertionError}, which fails the loop.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            rec()
            lc.start(1)

        lc.f = f
        result = watch(lc.start(1))
        assert len(result) == 1 and result[0].check(AssertionError)
        assert str(result[0].value) == "Tried to start an already running LoopingCall."
        assert lc.running is False and clock.getDelayedCalls() == []


# --- stop ------------------------------------------------------------------------------


class TestStop:
    """
    C{stop()}.
    """

    def test_stopFiresDeferred(self, loopImpl: Any) -> None:
        """
        C{stop()} cancels the pending call and fires the start L{Deferred}
        with the loop itself, synchronously; by then C{running} is C{False}
        and C{call} is C{None}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        d = lc.start(1)
        call = lc.call
        seen: list[Any] = []
        d.addCallback(lambda r: seen.append((r, lc.running, lc.call)))
        assert lc.stop() is None
        assert seen == [(lc, False, None)]
        assert call.cancelled and not call.active()
        assert clock.getDelayedCalls() == []
        clock.advance(10)
        assert rec.times == [0.0]

    @pytest.mark.parametrize("interval", [0, 10])
    def test_stopBeforeFirstCall(self, loopImpl: Any, interval: float) -> None:
        """
        Stopping a loop started with C{now=False} before its first call
        prevents every call (Twisted's C{_stoppingTest}).
        """
        lc, clock, rec = recordingLoop(loopImpl)
        result = watch(lc.start(interval, now=False))
        lc.stop()
        assert result == [lc]
        clock.pump([0, interval, interval])
        assert rec.calls == [] and clock.getDelayedCalls() == []

    def test_stopNeverStarted(self, loopImpl: Any) -> None:
        """
        Stopping a loop that was never started raises C{AssertionError} with
        Twisted's message.
        """
        lc = loopImpl.LoopingCall(aFunction)
        with pytest.raises(AssertionError) as info:
            lc.stop()
        assert str(info.value) == "Tried to stop a LoopingCall that was not running."

    def test_stopTwice(self, loopImpl: Any) -> None:
        """
        Stopping a stopped loop raises the same C{AssertionError}; the start
        L{Deferred} fired once.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        result = watch(lc.start(1))
        lc.stop()
        with pytest.raises(AssertionError) as info:
            lc.stop()
        assert str(info.value) == "Tried to stop a LoopingCall that was not running."
        assert result == [lc]

    def test_stopAfterFailure(self, loopImpl: Any) -> None:
        """
        A loop that failed is not running: stopping it raises the same
        C{AssertionError}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        rec.results = [None, Failure(Boom())]
        result = watch(lc.start(1))
        clock.advance(1)
        assert result[0].check(Boom)
        with pytest.raises(AssertionError):
            lc.stop()

    def test_stopInsideF(self, loopImpl: Any) -> None:
        """
        C{stop()} from inside the function ends the loop: the start
        L{Deferred} fires with the loop once the function has returned (not
        inside C{stop()}), and nothing more is scheduled.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        inside: list[Any] = []

        def f() -> None:
            rec()
            if len(rec.calls) == 3:
                lc.stop()
                inside.append((list(result), lc.running, lc.call))

        lc.f = f
        result = watch(lc.start(1))
        clock.pump([1, 1])
        assert inside == [([], False, None)]
        assert result == [lc]
        assert rec.times == [0.0, 1.0, 2.0]
        assert clock.getDelayedCalls() == [] and lc.call is None
        clock.advance(5)
        assert rec.times == [0.0, 1.0, 2.0]

    def test_stopInsideFThenRaise(self, loopImpl: Any) -> None:
        """
        When the function stops the loop and then raises, the start
        L{Deferred} fails with the exception (Twisted's C{testFailAndStop}).
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f(x: str) -> None:
            lc.stop()
            raise Boom(x)

        lc.f = f
        lc.a = ("bar",)
        result = watch(lc.start(0.1))
        assert len(result) == 1 and result[0].check(Boom)
        assert result[0].value.args == ("bar",)
        assert lc.running is False and clock.getDelayedCalls() == []

    def test_stopWhileDeferredPending(self, loopImpl: Any) -> None:
        """
        C{stop()} while the function's L{Deferred} is pending stops the loop
        but does not fire the start L{Deferred}: that fires with the loop when
        the function's L{Deferred} fires, and nothing is scheduled again.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.results = [None, pending]
        result = watch(lc.start(1))
        clock.advance(1)
        assert lc.call is None and clock.getDelayedCalls() == []
        lc.stop()
        assert lc.running is False and result == []
        clock.advance(3)
        pending.callback("ignored")
        assert result == [lc]
        assert clock.getDelayedCalls() == [] and lc.call is None
        assert rec.times == [0.0, 1.0]

    def test_stopWhileDeferredPendingThenFailure(self, loopImpl: Any) -> None:
        """
        When the function's L{Deferred} fails after C{stop()}, the start
        L{Deferred} fails with that very failure instead of firing with the
        loop.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.result = pending
        result = watch(lc.start(1))
        lc.stop()
        failure = Failure(Boom("late"))
        pending.errback(failure)
        assert result == [failure] and result[0] is failure
        assert lc.running is False and clock.getDelayedCalls() == []

    def test_restartAfterStop(self, loopImpl: Any) -> None:
        """
        A stopped loop can be started again: a new start L{Deferred}, a new
        start time and interval, the old L{Deferred} left as it was.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        first = lc.start(1)
        clock.advance(1.5)
        lc.stop()
        clock.advance(0.25)
        second = lc.start(2, now=False)
        assert second is not first
        assert watch(first) == [lc]
        assert lc.starttime == 1.75 and lc.interval == 2 and lc.running
        clock.pump([2, 2])
        assert rec.times == [0.0, 1.5, 3.75, 5.75]
        secondResult = watch(second)
        assert secondResult == []
        lc.stop()
        assert secondResult == [lc]

    def test_restartAfterFailure(self, loopImpl: Any) -> None:
        """
        A loop that failed can be started again.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        rec.results = [Failure(Boom())]
        assert watch(lc.start(1))[0].check(Boom)
        result = watch(lc.start(1))
        clock.advance(1)
        assert rec.times == [0.0, 0.0, 1.0] and result == []
        lc.stop()
        assert result == [lc]

    def test_restartWhileDeferredPendingRunsTwice(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: a loop stopped while the function's L{Deferred} is
        pending and started again at once runs the function at once; when the
        old L{Deferred} fires, the loop (running again) schedules itself a
        second time, so two chains of calls run.  C{call} tracks only the
        latest; the first start L{Deferred} never fires, the second fires on
        C{stop()}, which cancels only the tracked call.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.results = [pending]
        first = watch(lc.start(1))
        lc.stop()
        second = watch(lc.start(1))
        assert rec.times == [0.0, 0.0]
        pending.callback(None)
        assert pendingTimes(clock) == [1.0, 1.0]
        clock.advance(1)
        assert rec.times == [0.0, 0.0, 1.0, 1.0]
        assert pendingTimes(clock) == [2.0, 2.0]
        lc.stop()
        assert first == [] and second == [lc]
        # The untracked chain is still pending; cancel it, since running it
        # would fail an assertion inside Twisted (an unhandled error).
        assert pendingTimes(clock) == [2.0]
        for dc in list(clock.getDelayedCalls()):
            dc.cancel()

    def test_stopAndStartInsideF(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: C{stop()} then C{start()} from inside the function
        calls the function again (re-entrantly), leaves the first start
        L{Deferred} unfired forever, and, once the outer call returns,
        schedules the loop a second time: two chains of calls.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            rec()
            if len(rec.calls) == 2:
                lc.stop()
                lc.start(1)

        lc.f = f
        first = watch(lc.start(1))
        clock.advance(1)
        assert rec.times == [0.0, 1.0, 1.0]
        assert pendingTimes(clock) == [2.0, 2.0]
        clock.advance(1)
        assert rec.times == [0.0, 1.0, 1.0, 2.0, 2.0]
        assert first == []
        for dc in list(clock.getDelayedCalls()):
            dc.cancel()


# --- reset -----------------------------------------------------------------------------


class TestReset:
    """
    C{reset()}.
    """

    def test_reset(self, loopImpl: Any) -> None:
        """
        C{reset()} skips the next call and restarts the interval from now
        (Twisted's C{test_reset}): the pending call is cancelled and the start
        time is the current time.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(2, now=False)
        clock.advance(1)
        old = lc.call
        assert lc.reset() is None
        assert old.cancelled
        assert lc.starttime == 1.0
        assert lc.call.getTime() == 3.0
        assert clock.getDelayedCalls() == [lc.call]
        clock.advance(1)
        assert rec.times == []
        clock.advance(1)
        assert rec.times == [3.0]
        clock.pump([2, 2])
        assert rec.times == [3.0, 5.0, 7.0]
        lc.stop()

    def test_resetKeepsDeferred(self, loopImpl: Any) -> None:
        """
        C{reset()} keeps the loop running with the same start L{Deferred}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        result = watch(lc.start(1))
        lc.reset()
        assert lc.running and result == []
        lc.stop()
        assert result == [lc]

    def test_resetIntervalZero(self, loopImpl: Any) -> None:
        """
        With interval 0, C{reset()} schedules the next call for now, with a
        delay of 0 (on a reactor whose time moves without running calls).
        """
        reactor = ManualReactor()
        lc = loopImpl.LoopingCall(aFunction)
        lc.clock = reactor
        lc.start(0, now=False)
        first = lc.call
        reactor.now = 0.5
        lc.reset()
        assert first.cancelled and lc.starttime == 0.5
        assert lc.call.getTime() == 0.5
        assert [r[0] for r in reactor.requests] == [0, 0]
        lc.stop()

    def test_resetNeverStarted(self, loopImpl: Any) -> None:
        """
        Resetting a loop that is not running raises C{AssertionError} with
        Twisted's message.
        """
        lc = loopImpl.LoopingCall(aFunction)
        with pytest.raises(AssertionError) as info:
            lc.reset()
        assert str(info.value) == "Tried to reset a LoopingCall that was not running."

    def test_resetStopped(self, loopImpl: Any) -> None:
        """
        Resetting a stopped loop raises the same C{AssertionError}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(1)
        lc.stop()
        with pytest.raises(AssertionError) as info:
            lc.reset()
        assert str(info.value) == "Tried to reset a LoopingCall that was not running."

    def test_resetInsideFDoesNothing(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: C{reset()} from inside the function does nothing at
        all (there is no pending call to cancel then), not even move the start
        time: the next call stays on the old grid.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        seen: list[Any] = []

        def f() -> None:
            rec()
            if len(rec.calls) == 2:
                lc.reset()
                seen.append((lc.starttime, lc.call, lc.running))

        lc.f = f
        lc.start(1)
        clock.advance(1.5)
        assert rec.times == [0.0, 1.5]
        assert seen == [(0.0, None, True)]
        assert lc.call.getTime() == 2.0
        lc.stop()

    def test_resetWhileDeferredPendingDoesNothing(self, loopImpl: Any) -> None:
        """
        Likewise, C{reset()} while the function's L{Deferred} is pending does
        nothing: when it fires, the next call is on the old grid.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.results = [pending]
        lc.start(1)
        clock.advance(2.5)
        lc.reset()
        assert lc.starttime == 0.0 and lc.call is None
        pending.callback(None)
        assert lc.call.getTime() == 3.0
        lc.stop()


# --- what the function returns ---------------------------------------------------------


class TestResults:
    """
    The function may return a value, a L{Deferred}, a L{Failure} or a
    coroutine, or raise.
    """

    def test_valueIgnored(self, loopImpl: Any) -> None:
        """
        A plain return value is ignored: the loop goes on, the start
        L{Deferred} still fires with the loop.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        rec.result = "a value"
        result = watch(lc.start(1))
        clock.pump([1, 1])
        assert rec.times == [0.0, 1.0, 2.0] and result == []
        lc.stop()
        assert result == [lc]

    def test_generatorIsAValue(self, loopImpl: Any) -> None:
        """
        Only coroutines are run: a returned generator is a plain value, left
        unstarted.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        ran: list[int] = []

        def gen() -> Any:
            ran.append(1)
            yield None

        rec.result = gen()
        lc.start(1)
        clock.advance(1)
        assert rec.times == [0.0, 1.0] and ran == []
        lc.stop()

    def test_deferredWaitedFor(self, loopImpl: Any) -> None:
        """
        While the function's L{Deferred} is pending nothing is scheduled; when
        it fires, the next call is scheduled from that time, on the grid.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.results = [None, pending]
        result = watch(lc.start(1))
        clock.advance(1)
        assert lc.call is None and clock.getDelayedCalls() == []
        assert lc.running is True
        clock.pump([1, 1, 2.5])
        assert rec.times == [0.0, 1.0]
        pending.callback("whatever")
        assert lc.call.getTime() == 6.0
        clock.advance(0.5)
        assert rec.times == [0.0, 1.0, 6.0] and result == []
        lc.stop()
        assert result == [lc]

    def test_deferredFiredByClock(self, loopImpl: Any) -> None:
        """
        A L{Deferred} fired by the clock (Twisted's C{testWaitDeferred}):
        the function is not called again before it fires.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> defer.Deferred[Any]:
            rec()
            d: defer.Deferred[Any] = defer.Deferred()
            d.addCallback(lambda _: lc.stop())
            clock.callLater(1, d.callback, None)
            return d

        lc.f = f
        result = watch(lc.start(0.2))
        clock.pump([0.2, 0.8])
        assert rec.times == [0.0]
        assert result == [lc] and clock.getDelayedCalls() == []

    def test_alreadyFiredDeferred(self, loopImpl: Any) -> None:
        """
        A L{Deferred} that has already fired is like a plain value.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        rec.result = defer.succeed(5)
        lc.start(1)
        assert lc.call.getTime() == 1.0
        clock.advance(1)
        assert rec.times == [0.0, 1.0]
        lc.stop()

    def test_returnedDeferredCarriesLoopCallbacks(self, loopImpl: Any) -> None:
        """
        The loop adds its callbacks to the function's very L{Deferred}: once
        the loop has seen it, its result is C{None}, for a value and for a
        failure alike.
        """
        for outcome in ("value", "failure"):
            lc, clock, rec = recordingLoop(loopImpl)
            pending: defer.Deferred[Any] = defer.Deferred()
            rec.results = [pending]
            result = watch(lc.start(1))
            if outcome == "value":
                pending.callback("value")
            else:
                pending.errback(Boom())
            assert watch(pending) == [None]
            if outcome == "value":
                lc.stop()
                assert result == [lc]
            else:
                assert result[0].check(Boom)

    def test_deferredFails(self, loopImpl: Any) -> None:
        """
        When the function's L{Deferred} fails, the start L{Deferred} fails
        with that very failure; the loop is not running by then, and nothing
        is scheduled.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.results = [None, pending]
        d = lc.start(1)
        seen: list[Any] = []
        d.addErrback(lambda f: seen.append((f, lc.running, lc.call)))
        clock.advance(1)
        clock.advance(0.3)
        failure = Failure(Boom("later"))
        pending.errback(failure)
        assert seen == [(failure, False, None)] and seen[0][0] is failure
        assert clock.getDelayedCalls() == []
        clock.advance(5)
        assert rec.times == [0.0, 1.0]

    def test_deferredFailsByClock(self, loopImpl: Any) -> None:
        """
        A failure from a L{Deferred} fired by the clock propagates to the
        start L{Deferred} (Twisted's C{testFailurePropagation}).
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> defer.Deferred[Any]:
            d: defer.Deferred[Any] = defer.Deferred()
            clock.callLater(0.3, d.errback, Boom())
            return d

        lc.f = f
        result = watch(lc.start(1))
        clock.pump([0.3])
        assert result[0].check(Boom)
        assert clock.getDelayedCalls() == []

    def test_failureReturned(self, loopImpl: Any) -> None:
        """
        A returned L{Failure} fails the start L{Deferred} with that very
        failure.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        failure = Failure(Boom("returned"))
        rec.results = [None, failure]
        result = watch(lc.start(1))
        clock.advance(1)
        assert result == [failure] and result[0] is failure
        assert lc.running is False and lc.call is None
        assert clock.getDelayedCalls() == []

    @pytest.mark.parametrize("when", ["start", "later"])
    def test_raises(self, loopImpl: Any, when: str) -> None:
        """
        An exception fails the start L{Deferred} with a L{Failure} of that
        very exception; the loop is then not running and nothing is pending.
        Raising from the first call of C{start(now=True)} gives an already
        failed L{Deferred}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        error = Boom("raised")

        def f() -> None:
            rec()
            if when == "start" or len(rec.calls) == 3:
                raise error

        lc.f = f
        d = lc.start(1)
        seen: list[Any] = []
        d.addErrback(lambda fl: seen.append((fl, lc.running, lc.call, list(rec.times))))
        if when == "later":
            assert seen == []
            clock.pump([1, 1])
        assert len(seen) == 1
        failure, running, call, times = seen[0]
        assert isinstance(failure, Failure) and failure.value is error
        assert running is False and call is None
        assert times == ([0.0] if when == "start" else [0.0, 1.0, 2.0])
        assert clock.getDelayedCalls() == []
        clock.advance(10)
        assert len(rec.times) == len(times)

    def test_raisesBaseException(self, loopImpl: Any) -> None:
        """
        Even a L{BaseException} that is not an L{Exception} is caught and
        fails the start L{Deferred}.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            raise Halt()

        lc.f = f
        result = watch(lc.start(1))
        assert result[0].check(Halt)
        assert lc.running is False and clock.getDelayedCalls() == []

    def test_coroutine(self, loopImpl: Any) -> None:
        """
        A coroutine is run (through C{Deferred.fromCoroutine}); one that
        completes at once is like a plain value.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        done: list[float] = []

        async def f() -> str:
            done.append(clock.seconds())
            return "ignored"

        lc.f = f
        lc.start(1)
        clock.pump([1, 1])
        assert done == [0.0, 1.0, 2.0]
        lc.stop()

    def test_coroutineAwaiting(self, loopImpl: Any) -> None:
        """
        A coroutine awaiting a L{Deferred} holds the loop back until it
        completes.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        events: list[Any] = []

        async def f() -> None:
            events.append(("begin", clock.seconds()))
            d: defer.Deferred[Any] = defer.Deferred()
            clock.callLater(2.5, d.callback, None)
            await d
            events.append(("end", clock.seconds()))

        lc.f = f
        result = watch(lc.start(1))
        assert lc.call is None
        clock.pump([1, 1, 0.5])
        assert events == [("begin", 0.0), ("end", 2.5)]
        assert lc.call.getTime() == 3.0
        clock.advance(0.5)
        assert events[-1] == ("begin", 3.0)
        assert result == []
        lc.stop()
        clock.advance(2.5)
        assert result == [lc]

    def test_coroutineRaises(self, loopImpl: Any) -> None:
        """
        A coroutine that raises, at once or after awaiting, fails the start
        L{Deferred}.
        """
        for delay in (None, 1.0):
            lc, clock, rec = recordingLoop(loopImpl)

            async def f(delay: float | None = delay) -> None:
                if delay is not None:
                    d: defer.Deferred[Any] = defer.Deferred()
                    clock.callLater(delay, d.callback, None)
                    await d
                raise Boom(delay)

            lc.f = f
            result = watch(lc.start(5))
            if delay is not None:
                assert result == []
                clock.advance(delay)
            assert len(result) == 1 and result[0].check(Boom)
            assert result[0].value.args == (delay,)
            assert lc.running is False and clock.getDelayedCalls() == []


# --- skipping missed intervals ------------------------------------------------------------


class TestSkipping:
    """
    A late call does not make up for missed intervals: the next call is at
    the next multiple of the interval (from C{starttime}) still in the
    future.
    """

    def test_reactorTimeSkips(self, loopImpl: Any) -> None:
        """
        Time jumps between calls skip intervals (Twisted's
        C{test_reactorTimeSkips}).
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(0.5)
        clock.advance(2)
        assert rec.times == [0, 2]
        clock.advance(1)
        assert rec.times == [0, 2, 3]
        clock.advance(0)
        assert rec.times == [0, 2, 3]
        lc.stop()

    def test_scheduleFromByKeyword(self, loopImpl: Any) -> None:
        """
        C{_scheduleFrom(when=...)} takes its argument by keyword too, as
        Twisted's Python method does.
        """
        times = []
        for byKeyword in (False, True):
            lc, clock, rec = recordingLoop(loopImpl)
            lc.start(0.5)
            clock.advance(0.2)
            lc.call.cancel()
            if byKeyword:
                lc._scheduleFrom(when=0.7)
            else:
                lc._scheduleFrom(0.7)
            times.append(lc.call.getTime())
            lc.stop()
        assert times[0] == times[1] > 0.2

    def test_callbackTimeSkips(self, loopImpl: Any) -> None:
        """
        Time spent inside the function skips intervals too (Twisted's
        C{test_callbackTimeSkips}): a boundary reached exactly is the present,
        not the future, so it is skipped.
        """
        clock = loopImpl.Clock()
        times: list[float] = []
        duration = [2.0]

        def f() -> None:
            times.append(clock.seconds())
            clock.advance(duration[0])

        lc = loopImpl.LoopingCall(f)
        lc.clock = clock
        lc.start(0.5)
        assert times == [0] and clock.seconds() == 2
        clock.advance(0)
        assert times == [0]
        duration[0] = 1
        clock.advance(0.5)
        assert times == [0, 2.5] and clock.seconds() == 3.5
        clock.advance(0)
        assert times == [0, 2.5]
        duration[0] = 0
        clock.advance(0.5)
        assert times == [0, 2.5, 4] and clock.seconds() == 4
        lc.stop()

    def test_lateCallBackOnGrid(self, loopImpl: Any) -> None:
        """
        A late call is followed by one on the grid of C{starttime}, however
        late it was.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        clock.advance(0.25)
        lc.start(1)
        clock.advance(1.5)
        assert rec.times == [0.25, 1.75] and lc.call.getTime() == 2.25
        clock.advance(1000.25)
        assert rec.times == [0.25, 1.75, 1002.0] and lc.call.getTime() == 1002.25
        clock.advance(1e6)
        assert rec.times[-1] == 1001002.0 and lc.call.getTime() == 1001002.25
        lc.stop()

    def test_tinyRemainderNotSkipped(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: a call landing at a float just short of a boundary
        (0.3 with interval 0.1 from 0: C{0.3 % 0.1} is C{0.09999999999999998})
        schedules the next call at the boundary, one ulp later
        (0.30000000000000004), not an interval later: two calls 5.6e-17 s
        apart.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(0.1)
        clock.advance(0.3)
        assert not edgeTriggers(0.0, 0.1, 0.3)
        assert rec.times == [0.0, 0.3]
        assert lc.call.getTime() == 0.30000000000000004
        clock.advance(0)
        assert rec.times == [0.0, 0.3]
        clock.advance(5e-17)
        assert rec.times == [0.0, 0.3, 0.30000000000000004]
        assert lc.call.getTime() == 0.4
        lc.stop()

    @pytest.mark.parametrize(
        "offset, interval, jump",
        [
            # Small times, inexact intervals: C{when % interval} is a hair
            # short of the interval, and that hair vanishes next to C{when}.
            (0.0, 0.1, 0.5),
            (0.0, 0.1, 0.9),
            (0.0, 0.1, 1.0),
            (0.0, 0.3, 0.8999999999999999),
            (0.0, 0.7, 2.0999999999999996),
            (0.0, 1 / 3, 1.6666666666666665),
            # Large times, small intervals.
            (1e9, 1e-6, 1e-6),
            (1e9, 0.001, 0.002),
            # Beyond 2**53 the clock counts in steps of 2.
            (2.0**53, 3, 8),
        ],
    )
    def test_floatEdgeAddsInterval(
        self, loopImpl: Any, offset: float, interval: float, jump: float
    ) -> None:
        """
        When the time left to the next boundary is too small to change the
        current time (C{when == when + untilNextInterval}), the next call is
        a whole interval later, not at the current time again.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        clock.advance(offset)
        lc.start(interval)
        clock.advance(jump)
        when = clock.seconds()
        assert edgeTriggers(offset, interval, when), "the scenario must hit the edge"
        assert when + interval > when
        assert rec.times == [offset, when]
        assert lc.call.getTime() == when + interval
        clock.advance(0)
        assert rec.times == [offset, when]
        lc.stop()

    def test_floatEdgeLargeTimesSequence(self, loopImpl: Any) -> None:
        """
        The calls of a 3 s loop started at 2**53 (where floats step by 2),
        with the clock jumping by 8 then 4: the edge applies at 2**53 + 8.
        """
        base = 2.0**53
        lc, clock, rec = recordingLoop(loopImpl)
        clock.advance(base)
        lc.start(3)
        assert lc.call.getTime() == base + 4
        clock.advance(8)
        assert lc.call.getTime() == base + 12
        clock.advance(4)
        assert rec.times == [base, base + 8, base + 12]
        assert lc.call.getTime() == base + 16
        lc.stop()

    def test_intervalBelowClockResolution(self, loopImpl: Any) -> None:
        """
        An interval too small to move the clock's time (1e-6 at 2**53) makes
        every call due at once: one C{advance(0)} runs the loop until the
        function stops it.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            rec()
            if len(rec.calls) == 6:
                lc.stop()

        lc.f = f
        clock.advance(2.0**53)
        result = watch(lc.start(1e-6))
        assert lc.call.getTime() == 2.0**53
        clock.advance(0)
        assert rec.times == [2.0**53] * 6 and result == [lc]


# --- interval 0 --------------------------------------------------------------------------


class ManualCall:
    """
    The delayed call of L{ManualReactor}.
    """

    def __init__(self, reactor: ManualReactor, time: float, func: Any, args: Any, kw: Any):
        self.reactor = reactor
        self.time = time
        self.func = func
        self.args = args
        self.kw = kw
        self.called = False
        self.cancelled = False

    def getTime(self) -> float:
        """
        When the call is due.
        """
        return self.time

    def active(self) -> bool:
        """
        Whether the call is still pending.
        """
        return not (self.called or self.cancelled)

    def cancel(self) -> None:
        """
        Cancel the call.
        """
        assert self.active()
        self.cancelled = True
        self.reactor.calls.remove(self)


class ManualReactor:
    """
    A minimal C{IReactorTime} that is not a C{Clock}: it records every
    C{callLater} and runs one iteration at a time, like a real reactor (only
    the calls due when the iteration begins).
    """

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.calls: list[ManualCall] = []
        self.requests: list[tuple[Any, ...]] = []

    def seconds(self) -> float:
        """
        The current time.
        """
        return self.now

    def callLater(self, delay: float, func: Any, *args: Any, **kw: Any) -> ManualCall:
        """
        Schedule C{func} and record the request.
        """
        self.requests.append((delay, func, args, kw))
        call = ManualCall(self, self.now + delay, func, args, kw)
        self.calls.append(call)
        return call

    def getDelayedCalls(self) -> list[ManualCall]:
        """
        The pending calls.
        """
        return list(self.calls)

    def iterate(self, amount: float = 0.0) -> None:
        """
        Move time on by C{amount} and run the calls then due, in time order.
        """
        self.now += amount
        due = sorted((c for c in self.calls if c.time <= self.now), key=lambda c: c.time)
        for call in due:
            if call.active():
                self.calls.remove(call)
                call.called = True
                call.func(*call.args, **call.kw)


class TestIntervalZero:
    """
    An interval of 0 runs the function as fast as the clock allows.
    """

    def test_clockRunsUntilStopped(self, loopImpl: Any) -> None:
        """
        On a C{Clock}, calls scheduled for the present run in the same
        C{advance}: a single C{advance(0)} runs a 0-interval loop until the
        function stops it (not one call per C{advance}).
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            rec()
            if len(rec.calls) == 7:
                lc.stop()

        lc.f = f
        result = watch(lc.start(0, now=False))
        assert lc.call.getTime() == 0.0 and rec.calls == []
        clock.advance(0)
        assert rec.times == [0.0] * 7 and result == [lc]

    def test_startNowThenAdvance(self, loopImpl: Any) -> None:
        """
        C{start(0)} calls the function once, then schedules it for the
        present; the next C{advance} runs it.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            rec()
            if len(rec.calls) == 3:
                lc.stop()

        lc.f = f
        clock.advance(4)
        lc.start(0)
        assert rec.times == [4.0] and lc.call.getTime() == 4.0
        clock.advance(0.5)
        assert rec.times == [4.0, 4.5, 4.5]

    def test_reactorIterations(self, loopImpl: Any) -> None:
        """
        On a reactor that runs one iteration at a time, a 0-interval loop is
        called once per iteration, scheduled with a delay of 0 every time
        (Twisted's C{testEveryIteration}).
        """
        reactor = ManualReactor(3.0)
        ran: list[float] = []

        def f() -> None:
            ran.append(reactor.seconds())
            if len(ran) > 5:
                lc.stop()

        lc = loopImpl.LoopingCall(f)
        lc.clock = reactor
        result = watch(lc.start(0))
        assert ran == [3.0]
        for expected in range(2, 7):
            reactor.iterate()
            assert len(ran) == expected
        assert result == [lc]
        assert [r[0] for r in reactor.requests] == [0] * 5
        assert reactor.calls == []

    def test_waitsForDeferred(self, loopImpl: Any) -> None:
        """
        A 0-interval loop waits for the function's L{Deferred} like any other
        (Twisted's C{test_withCountIntervalZeroDelay}, without the count).
        """
        lc, clock, rec = recordingLoop(loopImpl)
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.results = [None, pending]
        lc.start(0, now=False)
        clock.advance(0)
        assert rec.times == [0.0, 0.0] and clock.getDelayedCalls() == []
        clock.pump([1, 1])
        pending.callback(None)
        assert lc.call.getTime() == 2.0
        rec.result = defer.Deferred()  # hold it again
        clock.advance(0)
        assert rec.times == [0.0, 0.0, 2.0]
        lc.stop()

    def test_negativeZero(self, loopImpl: Any) -> None:
        """
        C{-0.0} is not negative: it is an interval of 0, kept as given.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        lc.start(-0.0, now=False)
        assert repr(lc.interval) == "-0.0"
        assert lc.call.getTime() == 0.0
        lc.stop()

    def test_switchToZero(self, loopImpl: Any) -> None:
        """
        Setting the interval to 0 while running makes the next calls due at
        once.
        """
        lc, clock, rec = recordingLoop(loopImpl)

        def f() -> None:
            rec()
            if len(rec.calls) == 2:
                lc.interval = 0
            if len(rec.calls) == 5:
                lc.stop()

        lc.f = f
        lc.start(1)
        clock.advance(1)
        assert rec.times == [0.0, 1.0, 1.0, 1.0, 1.0]


# --- withCount ----------------------------------------------------------------------------


class TestWithCount:
    """
    C{LoopingCall.withCount(countCallable)}: the function is given the number
    of intervals elapsed since its last call, skipped ones included.
    """

    def countingLoop(self, impl: Any) -> tuple[Any, Any, list[tuple[float, int]]]:
        """
        A C{withCount} loop recording C{(time, count)} on a new clock.
        """
        clock = impl.Clock()
        counts: list[tuple[float, int]] = []
        lc = impl.LoopingCall.withCount(lambda n: counts.append((clock.seconds(), n)))
        lc.clock = clock
        return lc, clock, counts

    def test_constructor(self, loopImpl: Any) -> None:
        """
        C{withCount} is a class method returning a new loop whose function
        takes no arguments and is not the count callable.
        """
        counted: list[int] = []
        lc = loopImpl.LoopingCall.withCount(counted.append)
        assert type(lc) is loopImpl.LoopingCall
        assert lc.f is not counted.append and callable(lc.f)
        assert lc.a == () and lc.kw == {}
        assert lc.running is False and lc.interval is None

    def test_countsSkipped(self, loopImpl: Any) -> None:
        """
        Twisted's C{test_reactorTimeCountSkips}: the count is the number of
        interval boundaries crossed since the last call.
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(0.5)
        assert counts == [(0, 1)]
        clock.advance(0.51)
        assert counts[-1] == (0.51, 1)
        clock.advance(1.51)
        assert counts[-1] == (0.51 + 1.51, 3)
        clock.advance(0)
        assert len(counts) == 3
        lc.stop()

    def test_lengthyInterval(self, loopImpl: Any) -> None:
        """
        Twisted's C{test_countLengthyIntervalCounts}: 1.75 intervals between
        calls still count 1 when only one boundary was crossed.
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(0.5)
        clock.advance(0.51)
        clock.advance(0.5 * 1.75)
        clock.advance(0.5 * 0.25)
        assert [n for _, n in counts] == [1, 1, 1, 1]
        lc.stop()

    def test_floatingPointBoundary(self, loopImpl: Any) -> None:
        """
        Twisted's C{test_withCountFloatingPointBoundary}: with interval 0.1
        the counts are never 0 and add up to the intervals elapsed.
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(0.1, now=False)
        for _ in range(10):
            clock.advance(0.1)
        total = 0.0
        for _ in range(10):
            total += 0.1
        clock.advance(1.0 - total)
        assert clock.seconds() >= 1.0
        assert sum(n for _, n in counts) == 10
        assert 0 not in [n for _, n in counts]
        lc.stop()

    def test_zeroCountTickIsSilent(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: a tick in which no boundary was crossed (by float
        truncation: C{int(0.6 / 0.1)} is 5, as is C{int(0.5 / 0.1)}) does not
        call the count callable at all, but still reschedules (here one ulp
        later).
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(0.1, now=False)
        for _ in range(5):
            clock.advance(0.1)
        assert [t for t, _ in counts][-1] == 0.5
        assert lc.call.getTime() == 0.6
        clock.advance(0.1)
        assert clock.seconds() == 0.6 and len(counts) == 5
        assert lc.call.getTime() == 0.6000000000000001
        clock.advance(0.1)
        assert counts[-1] == (0.7, 1)
        lc.stop()

    def test_intervalZero(self, loopImpl: Any) -> None:
        """
        Twisted's C{test_withCountIntervalZero}: with interval 0 the count is
        always 1.
        """
        clock = loopImpl.Clock()
        counts: list[int] = []

        def foo(n: int) -> None:
            counts.append(n)
            if len(counts) > 4:
                lc.stop()

        lc = loopImpl.LoopingCall.withCount(foo)
        lc.clock = clock
        result = watch(lc.start(0, now=False))
        clock.pump([0] * 5)
        assert result == [lc] and counts == [1] * 5

    def test_intervalZeroWithDelay(self, loopImpl: Any) -> None:
        """
        Twisted's C{test_withCountIntervalZeroDelay}: time spent waiting for
        a L{Deferred} still counts 1 with interval 0.
        """
        clock = loopImpl.Clock()
        pending: defer.Deferred[Any] = defer.Deferred()
        counts: list[int] = []

        def foo(n: int) -> Any:
            counts.append(n)
            if len(counts) == 2:
                return pending
            if len(counts) > 4:
                lc.stop()
            return None

        lc = loopImpl.LoopingCall.withCount(foo)
        lc.clock = clock
        lc.start(0, now=False)
        clock.pump([0] * 2)
        assert counts == [1, 1]
        clock.pump([1] * 2)
        assert counts == [1, 1]
        pending.callback(None)
        clock.pump([0] * 4)
        assert counts == [1] * 5

    def test_intervalZeroThenNonZero(self, loopImpl: Any) -> None:
        """
        Twisted's C{test_withCountIntervalZeroDelayThenNonZeroInterval}: the
        time of the last 0-interval call is kept, so a later interval counts
        from it (with the known off-by-one of Twisted's #5962).
        """
        clock = loopImpl.Clock()
        pending: defer.Deferred[Any] = defer.Deferred()
        counts: list[int] = []

        def foo(n: int) -> Any:
            counts.append(n)
            if len(counts) == 2:
                return pending
            return None

        lc = loopImpl.LoopingCall.withCount(foo)
        lc.clock = clock
        lc.start(0, now=False)
        clock.pump([1] * 7)
        assert counts == [1, 1]
        lc.interval = 2
        pending.callback(None)
        clock.advance(9)
        assert counts == [1, 1, 8]
        clock.advance(2)
        assert counts == [1, 1, 8, 1]
        clock.advance(4)
        assert counts == [1, 1, 8, 1, 2]
        lc.stop()

    def test_deferredWithCount(self, loopImpl: Any) -> None:
        """
        Twisted's C{test_deferredWithCount}: intervals missed while waiting
        for a L{Deferred} are counted.
        """
        clock = loopImpl.Clock()
        pending: defer.Deferred[Any] = defer.Deferred()
        counts: list[int] = []

        def tracker(n: int) -> Any:
            counts.append(n)
            return pending if len(counts) == 1 else None

        lc = loopImpl.LoopingCall.withCount(tracker)
        lc.clock = clock
        lc.start(0.2, now=False)
        assert counts == []
        clock.pump([0.2, 0.4])
        assert counts == [1]
        pending.callback(None)
        clock.pump([0.2])
        assert counts == [1, 3]
        lc.stop()

    def test_belowResolutionNeverCounts(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: at 2**53 (floats step by 2) an interval of 1 cannot
        move the time, so the loop reschedules itself for the present at every
        tick and counts 0 every time: the count callable is never called
        (and on a C{Clock}, one C{advance} would never return).  Shown on a
        reactor that runs one iteration at a time.
        """
        base = 2.0**53
        reactor = ManualReactor(base)
        counts: list[int] = []
        lc = loopImpl.LoopingCall.withCount(counts.append)
        lc.clock = reactor
        lc.start(1)
        assert counts == [1]
        for _ in range(5):
            reactor.iterate()
        assert counts == [1]
        assert [r[0] for r in reactor.requests] == [1] * 6
        assert lc.call.getTime() == base
        lc.stop()

    def test_counterBeforeStart(self, loopImpl: Any) -> None:
        """
        Calling the counting function of a loop never started raises
        C{AssertionError("LoopingCall called before it was started")}.
        """
        counted: list[int] = []
        lc = loopImpl.LoopingCall.withCount(counted.append)
        lc.clock = loopImpl.Clock()
        with pytest.raises(AssertionError) as info:
            lc.f()
        assert str(info.value) == "LoopingCall called before it was started"
        assert counted == []

    def test_counterUsesCurrentClock(self, loopImpl: Any) -> None:
        """
        The counting function reads the time from the loop's clock when it
        runs, and counts from the start time.
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(1, now=False)
        other = loopImpl.Clock()
        other.advance(4.5)
        lc.clock = other
        lc.f()
        assert counts == [(0.0, 4)]  # recorded with the first clock's time
        lc.stop()

    def test_restartCountsFromLastCall(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: the time of the last counted call survives C{stop()},
        so after a restart the first count covers the whole pause (10 here,
        not 1).
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(1)
        clock.pump([1] * 10)
        lc.stop()
        assert counts[-1] == (10.0, 1)
        clock.advance(10)
        lc.start(1)
        assert counts[-1] == (20.0, 10)
        lc.stop()

    def test_restartMidIntervalSkipsCount(self, loopImpl: Any) -> None:
        """
        Twisted's quirk: restarted half an interval after the last counted
        call, the first call (C{now=True}) counts 0 intervals (C{int(-0.5)}
        is 0), so the count callable is not called at all.
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(1)
        clock.pump([1] * 10)
        lc.stop()
        clock.advance(0.5)
        lc.start(1)
        assert counts[-1] == (10.0, 1) and len(counts) == 11
        clock.advance(1)
        assert counts[-1] == (11.5, 1)
        lc.stop()

    def test_resetCounts(self, loopImpl: Any) -> None:
        """
        After C{reset()} the count runs on the new grid from the last call.
        """
        lc, clock, counts = self.countingLoop(loopImpl)
        lc.start(1)
        clock.advance(0.75)
        lc.reset()
        clock.advance(1)
        clock.advance(3)
        assert counts == [(0.0, 1), (1.75, 1), (4.75, 3)]
        lc.stop()

    def test_countResultWaitedFor(self, loopImpl: Any) -> None:
        """
        What the count callable returns is what the loop sees: a failure
        fails the start L{Deferred}.
        """
        clock = loopImpl.Clock()
        lc = loopImpl.LoopingCall.withCount(lambda n: Failure(Boom(n)))
        lc.clock = clock
        result = watch(lc.start(1))
        assert result[0].check(Boom) and result[0].value.args == (1,)


# --- repr -------------------------------------------------------------------------------


class Named:
    """
    A callable with a C{__name__} but no C{__qualname__}.
    """

    __name__ = "named"

    def __call__(self) -> None:
        pass


class NamedWithClass(Named):
    """
    A callable with a C{__name__} and an C{im_class} (a Python 2 style
    unbound method).
    """

    im_class = Holder


class Anonymous:
    """
    A callable with neither C{__qualname__} nor C{__name__}.
    """

    def __call__(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<anonymous callable>"


class BrokenRepr:
    """
    A callable whose C{__repr__} raises.
    """

    def __call__(self) -> None:
        pass

    def __repr__(self) -> str:
        raise Boom("no repr")


class TestRepr:
    """
    C{repr(loop)}: C{LoopingCall<interval>(name, *args, **kwargs)}.
    """

    def test_function(self, loopImpl: Any) -> None:
        """
        A function is shown by its qualified name, with the arguments
        (Twisted's C{test_reprFunction}).
        """
        lc = loopImpl.LoopingCall(aFunction, 1, key=2)
        assert repr(lc) == "LoopingCall<None>(aFunction, *(1,), **{'key': 2})"

    def test_method(self, loopImpl: Any) -> None:
        """
        Methods and local functions are shown by their C{__qualname__}
        (Twisted's C{test_reprMethod}).
        """
        assert (
            repr(loopImpl.LoopingCall(Holder.method))
            == "LoopingCall<None>(Holder.method, *(), **{})"
        )
        assert (
            repr(loopImpl.LoopingCall(Holder().method, "x"))
            == "LoopingCall<None>(Holder.method, *('x',), **{})"
        )

        def local() -> None:
            pass

        assert repr(loopImpl.LoopingCall(local)) == (
            "LoopingCall<None>(TestRepr.test_method.<locals>.local, *(), **{})"
        )
        assert repr(loopImpl.LoopingCall(len)) == "LoopingCall<None>(len, *(), **{})"

    def test_interval(self, loopImpl: Any) -> None:
        """
        The interval is shown with C{repr}, as given; it stays after
        C{stop()}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        rec.__qualname__ = "rec"  # type: ignore[attr-defined]
        lc.start(0.5)
        assert repr(lc) == "LoopingCall<0.5>(rec, *(), **{})"
        lc.stop()
        assert repr(lc) == "LoopingCall<0.5>(rec, *(), **{})"
        lc.start(2)
        assert repr(lc) == "LoopingCall<2>(rec, *(), **{})"
        lc.stop()

    def test_nameOnly(self, loopImpl: Any) -> None:
        """
        A callable with a C{__name__} but no C{__qualname__} is shown by its
        name, prefixed by its C{im_class} if it has one.
        """
        assert repr(loopImpl.LoopingCall(Named())) == "LoopingCall<None>(named, *(), **{})"
        assert repr(loopImpl.LoopingCall(NamedWithClass())) == (
            f"LoopingCall<None>({Holder}.named, *(), **{{}})"
        )

    def test_anonymous(self, loopImpl: Any) -> None:
        """
        A callable with neither name is shown by its C{repr}.
        """
        assert repr(loopImpl.LoopingCall(Anonymous())) == (
            "LoopingCall<None>(<anonymous callable>, *(), **{})"
        )
        partial = functools.partial(aFunction, 1)
        assert repr(loopImpl.LoopingCall(partial)) == (
            f"LoopingCall<None>({partial!r}, *(), **{{}})"
        )

    def test_brokenRepr(self, loopImpl: Any) -> None:
        """
        A function, arguments or keyword arguments whose C{repr} raises are
        shown by L{reflect.safe_repr}.
        """
        broken = BrokenRepr()
        lc = loopImpl.LoopingCall(broken, broken, key=broken)
        text = repr(lc)
        expected = "LoopingCall<None>({}, *{}, **{})".format(
            reflect.safe_repr(broken),
            reflect.safe_repr(lc.a),
            reflect.safe_repr(lc.kw),
        )
        assert text == expected
        assert "with repr error" in text and "Boom: no repr" in text

    def test_changedAttributes(self, loopImpl: Any) -> None:
        """
        The C{repr} shows the current C{f}, C{a}, C{kw} and C{interval}.
        """
        lc = loopImpl.LoopingCall(aFunction)
        lc.f = Holder.method
        lc.a = [1]
        lc.kw = {}
        lc.interval = "every now and then"
        assert repr(lc) == "LoopingCall<'every now and then'>(Holder.method, *[1], **{})"

    def test_subclassAndWithCount(self, loopImpl: Any) -> None:
        """
        A subclass is still shown as C{LoopingCall}; a C{withCount} loop
        shows its counting function.
        """

        class Sub(loopImpl.LoopingCall):  # type: ignore[misc,name-defined]
            pass

        assert repr(Sub(aFunction)) == "LoopingCall<None>(aFunction, *(), **{})"
        assert repr(loopImpl.LoopingCall.withCount(aFunction)) == (
            "LoopingCall<None>(LoopingCall.withCount.<locals>.counter, *(), **{})"
        )


# --- the deprecated deferred -----------------------------------------------------------------


class TestDeprecatedDeferred:
    """
    The C{deferred} property.
    """

    def read(self, lc: Any) -> Any:
        """
        Read C{lc.deferred}, checking its warning.
        """
        with pytest.warns(DeprecationWarning) as record:
            value = lc.deferred
        assert len(record) == 1
        assert str(record[0].message) == DEFERRED_DEPRECATION
        assert record[0].category is DeprecationWarning
        assert record[0].filename == __file__
        return value

    def test_warnsAndTracksStart(self, loopImpl: Any) -> None:
        """
        Reading C{deferred} warns (pointing at the reader) and gives the
        start L{Deferred} while running, C{None} before and after.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        assert self.read(lc) is None
        d = lc.start(1)
        assert self.read(lc) is d
        lc.stop()
        assert self.read(lc) is None

    def test_noneAfterFailure(self, loopImpl: Any) -> None:
        """
        After a failure, C{deferred} is C{None}; while the function's
        L{Deferred} is pending after C{stop()}, it is still the start
        L{Deferred}.
        """
        lc, clock, rec = recordingLoop(loopImpl)
        rec.result = Failure(Boom())
        watch(lc.start(1))
        assert self.read(lc) is None
        pending: defer.Deferred[Any] = defer.Deferred()
        rec.result = pending
        d = lc.start(1)
        lc.stop()
        assert self.read(lc) is d
        pending.callback(None)
        assert self.read(lc) is None

    def test_readOnly(self, loopImpl: Any) -> None:
        """
        C{deferred} cannot be set.
        """
        lc = loopImpl.LoopingCall(aFunction)
        with pytest.raises(AttributeError):
            lc.deferred = defer.Deferred()


# --- subclasses and clocks ----------------------------------------------------------------


class TestSubclass:
    """
    Subclasses of C{LoopingCall}.
    """

    def test_clockSetInInit(self, loopImpl: Any) -> None:
        """
        Twisted's own tests' C{TestableLoopingCall}, which sets C{self.clock}
        in C{__init__} (C{testBasicFunction}).
        """

        class TestableLoopingCall(loopImpl.LoopingCall):  # type: ignore[misc,name-defined]
            def __init__(self, clock: Any, *a: Any, **kw: Any) -> None:
                super().__init__(*a, **kw)
                self.clock = clock

        clock = loopImpl.Clock()
        calls: list[tuple[Any, ...]] = []

        def foo(a: Any, b: Any, c: Any = None, d: Any = None) -> None:
            calls.append((a, b, c, d))

        lc = TestableLoopingCall(clock, foo, "a", "b", d="d")
        assert isinstance(lc, loopImpl.LoopingCall)
        result = watch(lc.start(0.1))
        clock.pump([0.05, 0.1, 0.1])
        assert calls == [("a", "b", None, "d")] * 3
        lc.stop()
        assert result == [lc] and clock.getDelayedCalls() == []

    def test_overriddenCall(self, loopImpl: Any) -> None:
        """
        The loop schedules itself, so a subclass's C{__call__} runs at every
        tick, the first one of C{start()} included.
        """
        ticks: list[float] = []

        class Sub(loopImpl.LoopingCall):  # type: ignore[misc,name-defined]
            def __call__(self) -> None:
                ticks.append(self.clock.seconds())
                super().__call__()

        clock = loopImpl.Clock()
        rec = Recorder(clock)
        lc = Sub(rec)
        lc.clock = clock
        lc.start(1)
        clock.pump([1, 1])
        assert ticks == [0.0, 1.0, 2.0] and rec.times == [0.0, 1.0, 2.0]
        lc.stop()

    def test_withCountMakesSubclass(self, loopImpl: Any) -> None:
        """
        C{withCount} on a subclass makes an instance of the subclass.
        """

        class Sub(loopImpl.LoopingCall):  # type: ignore[misc,name-defined]
            pass

        clock = loopImpl.Clock()
        counts: list[int] = []
        lc = Sub.withCount(counts.append)
        assert type(lc) is Sub
        lc.clock = clock
        lc.start(1)
        clock.advance(2)
        assert counts == [1, 2]
        lc.stop()

    def test_subclassAttributes(self, loopImpl: Any) -> None:
        """
        A subclass can add attributes and properties and read the loop's.
        """

        class Sub(loopImpl.LoopingCall):  # type: ignore[misc,name-defined]
            extra = "class attribute"

            @property
            def ticking(self) -> bool:
                return bool(self.running and self.call is not None)

        lc = Sub(aFunction)
        lc.clock = loopImpl.Clock()
        assert lc.extra == "class attribute" and not lc.ticking
        lc.start(1)
        assert lc.ticking
        lc.stop()
        assert not lc.ticking


class TestForeignClock:
    """
    Any C{IReactorTime} will do as the clock.
    """

    def test_minimalReactor(self, loopImpl: Any) -> None:
        """
        On a minimal reactor that is not a C{Clock}, the loop asks it for the
        time and schedules itself (no arguments) with the exact delays.
        """
        reactor = ManualReactor(10.0)
        calls: list[float] = []
        lc = loopImpl.LoopingCall(lambda: calls.append(reactor.seconds()))
        lc.clock = reactor
        result = watch(lc.start(0.5))
        assert calls == [10.0]
        assert reactor.requests == [(0.5, lc, (), {})]
        assert reactor.calls == [lc.call]
        reactor.iterate(0.5)
        assert calls == [10.0, 10.5]
        reactor.iterate(1.25)
        assert calls == [10.0, 10.5, 11.75]
        assert [r[0] for r in reactor.requests] == [0.5, 0.5, 0.25]
        call = lc.call
        lc.stop()
        assert call.cancelled and reactor.calls == [] and result == [lc]

    def test_clockSubclassOverrides(self, loopImpl: Any) -> None:
        """
        On a subclass of the implementation's C{Clock} that overrides
        C{seconds} and C{callLater}, the loop goes through the overrides.
        """

        class Shifted(loopImpl.Clock):  # type: ignore[misc,name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.delays: list[float] = []

            def seconds(self) -> float:
                return 100.0 + self.rightNow

            def callLater(self, delay: float, f: Any, *a: Any, **kw: Any) -> Any:
                self.delays.append(delay)
                return super().callLater(delay, f, *a, **kw)

        clock = Shifted()
        lc = loopImpl.LoopingCall(lambda: None)
        lc.clock = clock
        lc.start(2, now=False)
        assert lc.starttime == 100.0
        assert clock.delays == [2]
        lc.stop()
        lc.start(0.75)
        assert lc.starttime == 100.0 and clock.delays == [2, 0.75]
        lc.stop()


# --- differential -------------------------------------------------------------------------

#: Intervals: 0, exact and inexact floats, ints, and one too small for the
#: large clock offsets.
INTERVALS = st.sampled_from([0, 0.1, 0.25, 0.3, 0.5, 1, 1.5, 2.7, 3, 1 / 3, 1e-6])
#: Where the clock stands when the program begins: large times make the float
#: edge of C{_scheduleFrom} frequent.
OFFSETS = st.sampled_from([0.0, 0.0, 0.0, 0.3, 1e9, 2.0**53])
#: Clock advances: mostly small, some big jumps that skip many intervals.
ADVANCES = st.one_of(
    st.sampled_from([0, 0, 0.1, 0.2, 0.25, 0.3, 0.5, 1, 1.5, 2.7, 3]),
    st.sampled_from([10, 1000.5, 1e6, 1e-6, 2.5e-7]),
)
#: Delays of the clock-fired L{Deferred}s the function returns.
SETTLE_DELAYS = st.sampled_from([0, 0.1, 0.5, 1, 2.5, 10])

#: What a call of the function returns.
RESULTS = st.one_of(
    st.just(("value",)),
    st.just(("value",)),
    st.just(("value",)),
    st.just(("raise",)),
    st.just(("failure",)),
    st.just(("succeeded",)),
    st.tuples(st.just("later"), SETTLE_DELAYS, st.booleans()),
    st.just(("pending",)),
    st.tuples(st.just("coroutine"), st.one_of(st.none(), SETTLE_DELAYS), st.booleans()),
)
#: What a call of the function does before returning.
EFFECTS = st.one_of(
    st.just(("stop",)),
    st.just(("reset",)),
    st.tuples(st.just("advance"), st.sampled_from([0, 0.1, 0.5, 1, 2.5])),
    st.tuples(st.just("interval"), INTERVALS),
)
#: The behaviour of successive calls of the function (then: return a value).
SCRIPTS = st.lists(st.tuples(st.lists(EFFECTS, max_size=2), RESULTS), max_size=12)
#: Starts, and restarts (stop then start in one step): weighted up, since
#: restarting within an interval of the last call is what makes C{withCount}
#: count 0 (and not call the count callable).
STARTS = st.tuples(
    st.sampled_from(["start", "restart"]), st.one_of(INTERVALS, st.just(-1)), st.booleans()
)
#: The steps of a program, run from outside the loop.
STEPS = st.one_of(
    st.tuples(st.just("advance"), ADVANCES),
    st.tuples(st.just("advance"), ADVANCES),
    st.tuples(st.just("pump"), st.lists(ADVANCES, max_size=4)),
    st.just(("stop",)),
    st.just(("reset",)),
    STARTS,
    STARTS,
    st.tuples(st.just("fire"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("interval"), INTERVALS),
)
PROGRAMS = st.fixed_dictionaries(
    {
        "offset": OFFSETS,
        "interval": INTERVALS,
        "now": st.booleans(),
        "withCount": st.booleans(),
        "script": SCRIPTS,
        "steps": st.lists(STEPS, min_size=1, max_size=20),
    }
)

#: At most this many calls of the function per step: a 0 (or too small)
#: interval on a C{Clock} would otherwise run until the function stops it.
BUDGET = 25

#: Appended to every program, so that what is pending mostly runs.
DRAIN: list[tuple[Any, ...]] = [("advance", 3), ("fire", 0, True), ("advance", 10)]


class LoopRunner:
    """
    Runs a program on one C{LoopingCall} class and C{Clock} class, and
    records what happens.
    """

    def __init__(self, loopingCallClass: Any, clockClass: Any, program: dict[str, Any]):
        self.program = program
        self.clock = clockClass()
        self.clock.advance(program["offset"])
        self.trace: list[Any] = []
        self.index = 0
        self.budget = 0
        self.starts = 0
        self.waited: list[defer.Deferred[Any]] = []
        self.pending: list[tuple[int, defer.Deferred[Any]]] = []
        if program["withCount"]:
            self.lc = loopingCallClass.withCount(self.f)
        else:
            self.lc = loopingCallClass(self.f, "arg", key="kw")
        self.lc.clock = self.clock

    def describe(self, result: Any) -> Any:
        """
        A comparable description of a result.
        """
        if result is self.lc:
            return "the loop"
        if isinstance(result, Failure):
            return ("failure", type(result.value).__name__, result.value.args)
        return result

    def attempt(self, label: str, action: Callable[[], object]) -> None:
        """
        Run C{action}, recording its outcome or its C{AssertionError} or
        C{ValueError}.
        """
        try:
            action()
        except (AssertionError, ValueError) as e:
            self.trace.append((label, type(e).__name__, str(e)))
        else:
            self.trace.append((label, "ok"))

    def waiting(self) -> bool:
        """
        Whether the loop may still be waiting for a L{Deferred} of the
        function.
        """
        return any(not d.called for d in self.waited)

    def settle(self, d: defer.Deferred[Any], index: int, ok: bool) -> None:
        """
        Fire a L{Deferred} the function returned (or awaited).
        """
        self.trace.append(("settle", index, ok, self.clock.seconds()))
        if ok:
            d.callback(index)
        else:
            d.errback(Boom(index))

    def clockDeferred(self, index: int, delay: float, ok: bool) -> defer.Deferred[Any]:
        """
        A L{Deferred} the clock fires after C{delay}.
        """
        d: defer.Deferred[Any] = defer.Deferred()
        self.waited.append(d)
        self.clock.callLater(delay, self.settle, d, index, ok)
        return d

    def f(self, *args: Any, **kw: Any) -> Any:
        """
        The looping function: record the call, then follow the script.
        """
        index = self.index
        self.index += 1
        lc = self.lc
        self.trace.append(
            ("f", index, self.clock.seconds(), args, kw, lc.running, lc.call is None)
        )
        self.budget += 1
        if self.budget > BUDGET:
            self.trace.append(("budget", index))
            if lc.running:
                lc.stop()
            return None
        script = self.program["script"]
        effects, result = script[index] if index < len(script) else ((), ("value",))
        for effect in effects:
            kind = effect[0]
            if kind == "stop":
                self.attempt("stop inside", lc.stop)
            elif kind == "reset":
                self.attempt("reset inside", lc.reset)
            elif kind == "advance":
                self.trace.append(("advance inside", effect[1]))
                self.clock.advance(effect[1])
            elif kind == "interval":
                lc.interval = effect[1]
            else:  # pragma: no cover
                raise AssertionError(effect)
        kind = result[0]
        if kind == "value":
            return index
        if kind == "raise":
            raise Boom(index)
        if kind == "failure":
            return Failure(Boom(index))
        if kind == "succeeded":
            return defer.succeed(index)
        if kind == "later":
            return self.clockDeferred(index, result[1], result[2])
        if kind == "pending":
            d: defer.Deferred[Any] = defer.Deferred()
            self.waited.append(d)
            self.pending.append((index, d))
            return d
        if kind == "coroutine":
            _, delay, ok = result

            async def body() -> int:
                if delay is not None:
                    await self.clockDeferred(index, delay, True)
                if not ok:
                    raise Boom(index)
                return index

            return body()
        raise AssertionError(result)  # pragma: no cover

    def started(self, result: Any, start: int) -> None:
        """
        Record the outcome of the start L{Deferred} number C{start}.
        """
        self.trace.append(
            (
                "done",
                start,
                self.describe(result),
                self.lc.running,
                self.lc.call is None,
                self.clock.seconds(),
            )
        )

    def start(self, interval: float, now: bool) -> None:
        """
        Start the loop, unless that would make two chains of calls (a
        L{Deferred} of the function pending while the loop is stopped: see
        C{test_restartWhileDeferredPendingRunsTwice}).
        """
        if not self.lc.running and self.waiting():
            self.trace.append(("start", "skipped"))
            return
        start = self.starts

        def action() -> None:
            d = self.lc.start(interval, now)
            self.starts += 1
            d.addBoth(self.started, start)

        self.attempt("start", action)

    def fire(self, which: int, ok: bool) -> None:
        """
        Fire one of the C{pending} L{Deferred}s still unfired, if any.
        """
        unfired = [(i, d) for i, d in self.pending if not d.called]
        if not unfired:
            self.trace.append(("fire", "none"))
            return
        index, d = unfired[which % len(unfired)]
        self.settle(d, index, ok)

    def state(self) -> list[Any]:
        """
        Everything observable about the loop and the clock.
        """
        lc = self.lc
        return [
            lc.running,
            lc.interval,
            lc.starttime,
            None if lc.call is None else (lc.call.getTime(), lc.call.active()),
            self.clock.seconds(),
            pendingTimes(self.clock),
        ]

    def step(self, op: tuple[Any, ...]) -> list[Any]:
        """
        Run one step and return the record to compare.
        """
        begin = len(self.trace)
        self.budget = 0
        kind = op[0]
        if kind == "advance":
            self.clock.advance(op[1])
        elif kind == "pump":
            self.clock.pump(op[1])
        elif kind == "stop":
            self.attempt("stop", self.lc.stop)
        elif kind == "reset":
            self.attempt("reset", self.lc.reset)
        elif kind == "start":
            self.start(op[1], op[2])
        elif kind == "restart":
            self.attempt("stop", self.lc.stop)
            self.start(op[1], op[2])
        elif kind == "fire":
            self.fire(op[1], op[2])
        elif kind == "interval":
            self.lc.interval = op[1]
        else:  # pragma: no cover
            raise AssertionError(op)
        return [op, self.trace[begin:], self.state()]

    def run(self) -> list[Any]:
        """
        Start the loop as the program says, run every step (and the drain),
        and return the records.
        """
        program = self.program
        records = [self.step(("start", program["interval"], program["now"]))]
        for op in list(program["steps"]) + DRAIN:
            records.append(self.step(op))
        return records


def stalls(program: dict[str, Any]) -> bool:
    """
    Whether a program may stall a C{Clock} for ever: a C{withCount} loop on a
    clock at 2**53 with an interval below 2 reschedules itself for the
    present and counts 0 at every tick, so its count callable (where the
    budget is kept) is never called again (see
    C{TestWithCount.test_belowResolutionNeverCounts}).
    """
    if not program["withCount"] or program["offset"] < 2.0**52:
        return False
    intervals = [program["interval"]]
    setters = ("start", "restart", "interval")
    intervals += [op[1] for op in program["steps"] if op[0] in setters]
    for effects, _ in program["script"]:
        intervals += [e[1] for e in effects if e[0] == "interval"]
    return any(0 < interval < 2 for interval in intervals)


class NoSkipLoopingCall(TwistedLoopingCall):
    """
    A broken C{LoopingCall} that does not skip missed intervals (always waits
    one interval), to show the differential test can fail.
    """

    def _scheduleFrom(self, when: float) -> None:
        self.call = self.clock.callLater(self.interval, self)


class TestDifferential:
    """
    Random programs run on Twisted's C{LoopingCall} on Twisted's C{Clock}
    (the reference) and on the implementation's C{LoopingCall} on its
    C{Clock} must do exactly the same things: every call of the function at
    the same time with the same arguments (the count, for C{withCount}), the
    same outcomes of C{start}/C{stop}/C{reset}, the same results of the start
    L{Deferred}s, the same attributes and pending calls after every step.

    A program starts the loop (maybe on a large clock time), then advances
    and pumps the clock (small steps and big jumps), stops, resets, restarts,
    changes the interval, and fires L{Deferred}s.  Each call of the function
    follows a script: stop or reset the loop from inside, advance the clock
    from inside, change the interval, then return a value, a failure, an
    already fired L{Deferred}, one the clock fires later (with a value or a
    failure), one a later step fires, or a coroutine (maybe awaiting), or
    raise.
    """

    @given(program=PROGRAMS)
    def test_sameAsTwisted(self, loopImpl: Any, program: dict[str, Any]) -> None:
        """
        The implementation's loop does what Twisted's does, step for step.
        """
        assume(not stalls(program))
        expected = LoopRunner(TwistedLoopingCall, TwistedClock, program).run()
        actual = LoopRunner(loopImpl.LoopingCall, loopImpl.Clock, program).run()
        note(f"program: {program!r}")
        assert len(actual) == len(expected)
        for index, (want, got) in enumerate(zip(expected, actual)):
            assert got == want, f"step {index}"

    @given(program=PROGRAMS)
    def test_deterministic(self, loopImpl: Any, program: dict[str, Any]) -> None:
        """
        Running a program twice on the same implementation gives the same
        records (the comparison above is only meaningful if this holds).
        """
        assume(not stalls(program))
        first = LoopRunner(loopImpl.LoopingCall, loopImpl.Clock, program).run()
        second = LoopRunner(loopImpl.LoopingCall, loopImpl.Clock, program).run()
        assert first == second

    def test_detectsBrokenLoop(self) -> None:
        """
        The runner records enough to tell a loop that does not skip missed
        intervals from Twisted's.
        """
        program = {
            "offset": 0.0,
            "interval": 1,
            "now": True,
            "withCount": True,
            "script": [],
            "steps": [("advance", 2.5), ("advance", 0.5)],
        }
        good = LoopRunner(TwistedLoopingCall, TwistedClock, program).run()
        bad = LoopRunner(NoSkipLoopingCall, TwistedClock, program).run()
        assert good != bad
        calls = [e for record in good for e in record[1] if e[0] == "f"]
        assert [(e[2], e[3]) for e in calls[:3]] == [(0.0, (1,)), (2.5, (2,)), (3.0, (1,))]

    def test_programsExercise(self) -> None:
        """
        The runner really exercises failures, pending L{Deferred}s, stops from
        inside, coroutines and the budget: a hand-written program shows each
        in the records.
        """
        program = {
            "offset": 1e9,
            "interval": 0.5,
            "now": True,
            "withCount": False,
            "script": [
                ((), ("pending",)),
                ((("stop",),), ("later", 1, True)),
                ((), ("coroutine", 0.5, False)),
            ],
            "steps": [
                ("fire", 0, True),
                ("advance", 0.5),
                ("advance", 1),
                ("start", 1, True),
                ("start", 0, False),
                ("advance", 1),
                ("start", 0, True),
                ("advance", 0),
            ],
        }
        records = LoopRunner(TwistedLoopingCall, TwistedClock, program).run()
        trace = [e for record in records for e in record[1]]
        kinds = {e[0] for e in trace}
        assert {"f", "settle", "stop inside", "done", "budget"} <= kinds
        done = [e for e in trace if e[0] == "done"]
        assert done[0][2] == "the loop"
        assert done[1][2] == ("failure", "Boom", (2,))
        assert done[2][2] == "the loop"
        assert ("budget", 3 + BUDGET + 1) in trace  # f 3 ran in the start step
        refused = ("start", "AssertionError", "Tried to start an already running LoopingCall.")
        assert refused in trace


# --- leaks ------------------------------------------------------------------------------


def collected(ref: weakref.ref[Any]) -> bool:
    """
    Collect garbage and say whether the referent is gone.
    """
    for _ in range(3):
        gc.collect()
    return ref() is None


class Target:
    """
    A looping function object that refers back to its loop, to watch both
    die.
    """

    def __init__(self) -> None:
        self.loop: Any = None
        self.calls = 0
        self.result: Any = None

    def __call__(self, *a: Any) -> Any:
        self.calls += 1
        return self.result


class TestLeaks:
    """
    Stopped loops and their functions are collected; running them leaves no
    references or memory behind.
    """

    @pytest.mark.parametrize(
        "scenario",
        [
            "neverStarted",
            "stopped",
            "stoppedInside",
            "failed",
            "pendingThenFired",
            "withCount",
        ],
    )
    def test_stoppedLoopCollected(self, loopImpl: Any, scenario: str) -> None:
        """
        Once stopped (or failed), a loop, its function and its start
        L{Deferred} are collected even though they refer to each other; the
        clock keeps nothing.
        """
        clock = loopImpl.Clock()

        def build() -> list[weakref.ref[Any]]:
            target = Target()
            if scenario == "withCount":
                lc = loopImpl.LoopingCall.withCount(target)
            else:
                lc = loopImpl.LoopingCall(target, target)
            target.loop = lc
            lc.clock = clock
            refs = [weakref.ref(lc), weakref.ref(target)]
            if scenario == "neverStarted":
                return refs
            if scenario == "stoppedInside":
                target.result = None

                def stopper(*a: Any) -> None:
                    target()
                    lc.stop()

                lc.f = stopper
                refs.append(weakref.ref(stopper))
            if scenario == "failed":
                target.result = Failure(Boom(target))
            pending: defer.Deferred[Any] = defer.Deferred()
            if scenario == "pendingThenFired":
                target.result = pending
            d = lc.start(1)
            d.addBoth(lambda r: None)
            refs.append(weakref.ref(d))
            clock.advance(1)
            if scenario in ("stopped", "withCount", "pendingThenFired"):
                lc.stop()
            if scenario == "pendingThenFired":
                pending.callback(target)
            assert not lc.running
            return refs

        refs = build()
        assert clock.getDelayedCalls() == []
        assert all(collected(r) for r in refs), [r() for r in refs]

    def test_runningLoopHeldByClock(self, loopImpl: Any) -> None:
        """
        A running loop is kept alive by its clock's pending call, and
        collected with the clock.
        """

        clock = loopImpl.Clock()

        def build() -> tuple[weakref.ref[Any], weakref.ref[Any]]:
            target = Target()
            lc = loopImpl.LoopingCall(target)
            target.loop = lc
            lc.clock = clock
            lc.start(1)
            return weakref.ref(lc), weakref.ref(target)

        loopRef, targetRef = build()
        clockRef = weakref.ref(clock)
        gc.collect()
        assert loopRef() is not None
        clock.advance(1)
        assert targetRef().calls == 2  # type: ignore[union-attr]
        del clock
        assert collected(clockRef) and collected(loopRef) and collected(targetRef)

    def test_refcountsStable(self, loopImpl: Any) -> None:
        """
        Many ticks (plain, through L{Deferred}s and coroutines) leave the
        reference counts of the function, its arguments (and their tuple and
        dict), the loop and the clock as they were.
        """
        arg = object()
        kwarg = object()

        def f(*a: Any, **kw: Any) -> Any:
            return None

        async def coro(*a: Any, **kw: Any) -> None:
            return None

        lc, clock = makeLoop(loopImpl, f, arg, k=kwarg)

        def counts() -> list[int]:
            objects = [arg, kwarg, lc, lc.a, lc.kw, f, clock]
            return [sys.getrefcount(o) for o in objects]

        lc.start(1)
        clock.pump([1] * 50)
        gc.collect()
        before = counts()
        clock.pump([1] * 500)
        lc.f = lambda *a, **kw: defer.succeed(None)
        clock.pump([1] * 500)
        lc.f = coro
        clock.pump([1] * 500)
        lc.f = f
        clock.pump([1] * 50)
        gc.collect()
        assert counts() == before
        lc.stop()


RSS_SCRIPT = textwrap.dedent(
    """
    import gc, os, sys
    from twisted.internet import defer
    from twisted_fast import _compat

    if sys.argv[1] == "c":
        LoopingCall = _compat.LoopingCall
        Clock = _compat.speedups.Clock
    else:
        from twisted.internet.task import LoopingCall
        Clock = _compat.TwistedClock
    mode = sys.argv[2]

    PAGE = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    arg = object()

    def f(*a, **kw):
        return None

    def deferred(*a, **kw):
        return defer.succeed(a)

    clock = Clock()
    if mode == "count":
        lc = LoopingCall.withCount(f)
    else:
        lc = LoopingCall(deferred if mode == "deferred" else f, arg, k=arg)
    lc.clock = clock
    lc.start(1.0)
    advance = clock.advance

    def run(n):
        for _ in range(n):
            advance(1.0)

    run(100_000)
    gc.collect()
    start = rss()
    run(int(sys.argv[3]))
    gc.collect()
    end = rss()
    assert lc.running and len(clock.getDelayedCalls()) == 1
    lc.stop()
    print(start, end, end - start)
    """
)

#: Allowed RSS growth over 10**6 ticks: a leak of one small object per tick
#: (24 bytes or more) exceeds it.
RSS_SLACK = 16 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm (Linux)"
)
@pytest.mark.parametrize("mode", ["plain", "count", "deferred"])
def test_memoryFlat(loopImpl: Any, mode: str) -> None:
    """
    10**6 ticks of a loop (in a fresh interpreter; a plain function, a
    C{withCount} one, one returning a fired L{Deferred}) leave the resident
    set size flat.
    """
    env = withoutAsanQuarantine(dict(os.environ))
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    result = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, loopImpl.name, mode, str(10**6)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    start, end, growth = map(int, result.stdout.split())
    assert growth < RSS_SLACK, f"RSS grew by {growth} bytes ({start} -> {end})"
