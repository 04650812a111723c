"""
Tests for C{Cooperator}, C{CooperativeTask}, C{cooperate} and C{coiterate}.

Every test taking C{coopImpl} runs on each implementation (the C{c} one is
skipped while the extension has no cooperator); the expected values are
Twisted's behaviour (C{twisted/internet/task.py}), including its accidents.
Tests taking C{twistedImpl} pin down what Twisted does where the C classes
may deliberately differ: L{Cooperator.stop} completes only every second task
(see L{TestCooperatorStop}).

Determinism: a cooperator here is driven by a Twisted C{Clock} (each tick is
scheduled 1 second after it is asked for, so C{advance(1)} runs exactly one
tick) and a counting termination predicate that ends a tick after C{k} steps.
The default 10 ms slice is tested against a patched C{time.time}, the default
scheduler against a C{Clock} patched in as the reactor.

Twisted's round-robin, which the C classes must reproduce exactly: the
cooperator keeps one live list iterator (C{_metarator}) over its task list
C{_tasks} between ticks, and takes a fresh one when it is exhausted.  A task
is appended to the list when added or resumed, and removed from it when it
pauses (including waiting on a yielded L{Deferred}), stops or finishes.
Removing a task at or before the iterator's position shifts the rest of the
list down under the iterator, so the task after it is skipped in that round;
a task appended mid-round is reached in the same round.

C{TestDifferential} runs random programs on Twisted's cooperator and on the
implementation under test and compares everything observable, step by step;
C{TWISTED_FAST_HYPOTHESIS_PROFILE=fuzz} selects many more examples (see
conftest).

Twisted's accidents the C classes must reproduce too (L{TestReentrancy},
L{TestDeferreds}): removing a task that is not in C{_tasks} raises
L{ValueError} from C{list.remove}, out of C{_tick} if need be (a step that
stops its own task, or the cooperator, and then ends); a task completes again
if the L{Deferred} it waited on fails after it was stopped.

Also required of the C classes: weak references (the leak tests use them);
the default termination predicate reads the time through C{time.time},
looked up when called (as Twisted's C{_Timer} does), and the default
scheduler looks up C{twisted.internet.reactor} when called, so that patching
them works; the module-level C{cooperate} and C{coiterate} use the
C{_theCooperator} of the module that defines them, looked up when called.
"""

from __future__ import annotations

import gc
import math
import sys
import time
import typing
import weakref
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import twisted.internet
from twisted.internet import defer, task
from twisted.internet.defer import AlreadyCalledError, Deferred
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted_fast import _compat
from twisted_fast import task as fastTask

#: Twisted's C{task._EPSILON}: the delay of the default scheduler.
EPSILON = 0.00000001

#: Twisted's C{_Timer.MAX_SLICE}: the default time slice of a tick.
MAX_SLICE = 0.01

EXCEPTION_NAMES = (
    "SchedulerError",
    "SchedulerStopped",
    "TaskFinished",
    "TaskDone",
    "TaskStopped",
    "TaskFailed",
    "NotPaused",
)


# --- helpers --------------------------------------------------------------------------


class Boom(Exception):
    """
    Raised by iterators in these tests.
    """


class Fatal(BaseException):
    """
    A L{BaseException} that is not an L{Exception}.
    """


class Worker:
    """
    An iterator that logs each call to C{next}: C{label + index} for a step,
    C{label + "!"} for the call that ends it with L{StopIteration}.

    A step yields its index, or what the action given for that index returns
    (an action may also raise).
    """

    def __init__(
        self,
        label: str,
        log: list[str],
        steps: int = 3,
        actions: dict[int, Callable[[], Any]] | None = None,
    ) -> None:
        self.label = label
        self.log = log
        self.steps = steps
        self.actions = dict(actions or {})
        self.position = 0

    def __iter__(self) -> Worker:
        return self

    def __next__(self) -> Any:
        if self.position >= self.steps:
            self.log.append(f"{self.label}!")
            raise StopIteration
        index = self.position
        self.position += 1
        self.log.append(f"{self.label}{index}")
        action = self.actions.get(index)
        if action is None:
            return index
        return action()


class Counting:
    """
    A termination predicate factory that ends each tick after C{k} steps
    (C{ks} are used in turn, one per tick) and logs C{"|"} when a tick
    starts.
    """

    def __init__(self, log: list[str], *ks: int) -> None:
        self.log = log
        self.ks = ks or (1,)
        self.made = 0
        self.calls = 0

    def __call__(self) -> Callable[[], bool]:
        k = self.ks[self.made % len(self.ks)]
        self.made += 1
        self.log.append("|")
        count = 0

        def predicate() -> bool:
            nonlocal count
            count += 1
            self.calls += 1
            return count >= k

        return predicate


class Harness:
    """
    A cooperator of the implementation under test, with a counting
    termination predicate, scheduling each tick on a Twisted clock C{delay}
    seconds after it is asked for.
    """

    def __init__(
        self, impl: Any, *ks: int, started: bool = True, delay: float = 1
    ) -> None:
        self.impl = impl
        self.clock = _compat.TwistedClock()
        self.delay = delay
        self.log: list[str] = []
        self.counting = Counting(self.log, *ks)
        self.scheduled: list[tuple[Any, Any]] = []
        self.coop = impl.Cooperator(self.counting, self.schedule, started)

    def schedule(self, f: Callable[[], None]) -> Any:
        """
        The scheduler: record and schedule C{f} on the clock.
        """
        call = self.clock.callLater(self.delay, f)
        self.scheduled.append((f, call))
        return call

    def worker(self, label: str, steps: int = 3, **actions: Callable[[], Any]) -> Worker:
        """
        A new L{Worker} logging here; actions by keyword C{s<index>}.
        """
        return Worker(label, self.log, steps, {int(k[1:]): v for k, v in actions.items()})

    def cooperate(self, label: str, steps: int = 3, **actions: Callable[[], Any]) -> Any:
        """
        Add a new L{Worker} to the cooperator, returning its task.
        """
        return self.coop.cooperate(self.worker(label, steps, **actions))

    def tick(self, n: int = 1) -> None:
        """
        Run C{n} ticks (advance the clock by the delay C{n} times).
        """
        for _ in range(n):
            self.clock.advance(self.delay)

    def ticks(self) -> list[list[str]]:
        """
        The log, split into ticks.
        """
        result: list[list[str]] = []
        for entry in self.log:
            if entry == "|":
                result.append([])
            elif result:
                result[-1].append(entry)
            else:
                result.append([entry])
        return result

    def steps(self) -> list[str]:
        """
        The log without the tick marks.
        """
        return [entry for entry in self.log if entry != "|"]

    def pending(self) -> list[float]:
        """
        The times of the calls pending on the clock.
        """
        return [call.getTime() for call in self.clock.getDelayedCalls()]


def outcome(d: Deferred[Any]) -> list[Any]:
    """
    A list that receives the result of C{d}, consuming a failure.
    """
    box: list[Any] = []
    d.addBoth(box.append)
    return box


def failureType(box: list[Any]) -> type[BaseException] | None:
    """
    The exception type of the failure in C{box}, or C{None} if it is empty.
    """
    if not box:
        return None
    assert len(box) == 1
    assert isinstance(box[0], Failure), box[0]
    return box[0].type


def collected(*refs: weakref.ref[Any]) -> bool:
    """
    Collect garbage and say whether every referent is gone.
    """
    for _ in range(3):
        gc.collect()
    return all(ref() is None for ref in refs)


def moduleOf(impl: Any) -> Any:
    """
    The module whose C{_theCooperator} the implementation's C{cooperate} and
    C{coiterate} use: the one that defines them.
    """
    return sys.modules[impl.cooperate.__module__]


@pytest.fixture
def noUnhandledErrors() -> Iterator[list[dict[str, Any]]]:
    """
    Fail the test if a failure is logged, such as an unhandled error in a
    garbage-collected L{Deferred}.
    """
    events: list[dict[str, Any]] = []
    observer = events.append
    globalLogPublisher.addObserver(observer)
    try:
        yield events
        gc.collect()
    finally:
        globalLogPublisher.removeObserver(observer)
    failures = [event["log_failure"] for event in events if "log_failure" in event]
    assert failures == [], failures


pytestmark = pytest.mark.usefixtures("noUnhandledErrors")


class FakeTime:
    """
    A replacement for C{time.time}.
    """

    def __init__(self, now: float) -> None:
        self.now = now
        self.calls = 0

    def __call__(self) -> float:
        self.calls += 1
        return self.now


@pytest.fixture
def fakeTime(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """
    Patch C{time.time} to return a settable time, starting at 1000.
    """
    fake = FakeTime(1000.0)
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
def fakeReactor(monkeypatch: pytest.MonkeyPatch) -> Any:
    """
    Patch a Twisted C{Clock} in as C{twisted.internet.reactor}.
    """
    clock = _compat.TwistedClock()
    monkeypatch.setattr(twisted.internet, "reactor", clock, raising=False)
    monkeypatch.setitem(sys.modules, "twisted.internet.reactor", clock)
    return clock


# --- names ------------------------------------------------------------------------------


class TestNames:
    """
    The classes and functions, and the exception classes.
    """

    @pytest.mark.parametrize("name", EXCEPTION_NAMES)
    def test_exceptionsAreTwisteds(self, name: str) -> None:
        """
        The exception classes of C{twisted_fast.task} are Twisted's own, so
        that C{except task.X} works whichever module C{X} came from.
        """
        assert getattr(fastTask, name) is getattr(task, name)

    def test_exceptionHierarchy(self) -> None:
        """
        The exception classes form Twisted's hierarchy.
        """
        assert issubclass(task.SchedulerError, Exception)
        for name in ("SchedulerStopped", "TaskFinished", "NotPaused"):
            assert getattr(task, name).__bases__ == (task.SchedulerError,)
        for name in ("TaskDone", "TaskStopped", "TaskFailed"):
            assert getattr(task, name).__bases__ == (task.TaskFinished,)

    def test_cooperateReturnsTask(self, coopImpl: Any) -> None:
        """
        C{Cooperator.cooperate} returns a C{CooperativeTask} of the
        implementation, holding the iterator as C{_iterator}, unpaused, and
        listed in the cooperator's C{_tasks}.
        """
        h = Harness(coopImpl)
        worker = h.worker("A")
        t = h.coop.cooperate(worker)
        assert isinstance(t, coopImpl.CooperativeTask)
        assert t._iterator is worker
        assert t._pauseCount == 0
        assert h.coop._tasks == [t]
        assert isinstance(h.coop._tasks, list)

    def test_cooperativeTaskConstructor(self, coopImpl: Any) -> None:
        """
        C{CooperativeTask(iterator, cooperator)}, which C{cooperate} and
        C{coiterate} use, adds the new task to the cooperator.
        """
        h = Harness(coopImpl, 10)
        t = coopImpl.CooperativeTask(h.worker("A", 1), h.coop)
        assert h.coop._tasks == [t]
        box = outcome(t.whenDone())
        h.tick()
        assert h.steps() == ["A0", "A!"]
        assert box == [t._iterator]

    def test_cooperativeTaskIsGeneric(self, coopImpl: Any) -> None:
        """
        C{CooperativeTask} can be subscripted, as in annotations evaluated at
        run time, when Twisted's can (from Twisted 23 on); before, neither can.
        """
        if not hasattr(_compat.TwistedCooperativeTask, "__class_getitem__"):
            with pytest.raises(TypeError):
                coopImpl.CooperativeTask[Iterator[int]]
            return
        alias = coopImpl.CooperativeTask[Iterator[int]]
        assert typing.get_origin(alias) is coopImpl.CooperativeTask
        assert typing.get_args(alias) == (Iterator[int],)

    def test_keywordArguments(self, coopImpl: Any) -> None:
        """
        C{Cooperator} takes C{terminationPredicateFactory}, C{scheduler} and
        C{started} by keyword, C{Cooperator.coiterate} takes C{doneDeferred}
        by keyword.
        """
        h = Harness(coopImpl)
        coop = coopImpl.Cooperator(
            terminationPredicateFactory=h.counting, scheduler=h.schedule, started=False
        )
        assert coop.running is False
        done: Deferred[Any] = Deferred()
        worker = h.worker("A", 0)
        assert coop.coiterate(worker, doneDeferred=done) is done
        assert h.scheduled == []
        coop.start()
        assert len(h.scheduled) == 1
        h.tick()
        assert h.steps() == ["A!"]
        assert outcome(done) == [worker]

    def test_moduleCoiterateTakesOneArgument(self, coopImpl: Any) -> None:
        """
        The module-level C{coiterate} takes only the iterator (unlike
        C{Cooperator.coiterate}).
        """
        with pytest.raises(TypeError):
            coopImpl.coiterate(iter(()), Deferred())


# --- start, stop, running -----------------------------------------------------------------


class TestRunning:
    """
    C{Cooperator(started=...)}, C{start}, C{stop} and C{running}.
    """

    def test_runningByDefault(self, coopImpl: Any) -> None:
        """
        A new cooperator is running unless made with C{started=False}.
        """
        assert coopImpl.Cooperator().running is True
        assert coopImpl.Cooperator(started=False).running is False
        assert coopImpl.Cooperator(started=True).running is True

    def test_startStopRestart(self, coopImpl: Any) -> None:
        """
        C{start} makes a cooperator running, C{stop} makes it not running,
        and C{start} after C{stop} makes it run again.
        """
        coop = coopImpl.Cooperator(started=False)
        coop.start()
        assert coop.running is True
        coop.start()
        assert coop.running is True
        coop.stop()
        assert coop.running is False
        coop.stop()
        assert coop.running is False
        coop.start()
        assert coop.running is True

    def test_notStartedQueuesTasks(self, coopImpl: Any) -> None:
        """
        A cooperator made with C{started=False} takes tasks but schedules no
        tick until C{start}, which schedules one; they then run.
        """
        h = Harness(coopImpl, 10, started=False)
        a = h.cooperate("A", 1)
        h.cooperate("B", 1)
        assert h.coop._tasks[0] is a and len(h.coop._tasks) == 2
        assert h.scheduled == [] and h.coop._delayedCall is None
        h.tick(2)
        assert h.log == []
        h.coop.start()
        assert len(h.scheduled) == 1
        assert h.coop._delayedCall is h.scheduled[0][1]
        h.coop.start()
        assert len(h.scheduled) == 1
        h.tick()
        assert h.steps() == ["A0", "B0", "A!", "B!"]
        assert h.coop._tasks == [] and h.pending() == []

    def test_startWithoutTasksSchedulesNothing(self, coopImpl: Any) -> None:
        """
        C{start} schedules no tick if there is no task, even if tasks were
        added (and paused) while the cooperator was not started.
        """
        h = Harness(coopImpl, started=False)
        h.coop.start()
        assert h.scheduled == []
        h = Harness(coopImpl, started=False)
        t = h.cooperate("A")
        t.pause()
        h.coop.start()
        assert h.scheduled == [] and h.coop._delayedCall is None
        t.resume()
        assert len(h.scheduled) == 1

    def test_stopBeforeStart(self, coopImpl: Any) -> None:
        """
        Stopping a cooperator that was never started completes its task with
        L{task.SchedulerStopped}; starting it afterwards schedules nothing.
        """
        h = Harness(coopImpl, started=False)
        t = h.cooperate("A")
        box = outcome(t.whenDone())
        h.coop.stop()
        assert failureType(box) is task.SchedulerStopped
        h.coop.start()
        assert h.scheduled == [] and h.coop._tasks == []


# --- scheduling ---------------------------------------------------------------------------


class TestScheduling:
    """
    How the cooperator uses its scheduler: C{_tick}, C{_delayedCall}.
    """

    def test_schedulesTickOnce(self, coopImpl: Any) -> None:
        """
        Adding tasks schedules one call of C{_tick}; C{_delayedCall} is what
        the scheduler returned.
        """
        h = Harness(coopImpl)
        assert h.coop._delayedCall is None
        h.cooperate("A")
        h.cooperate("B")
        assert len(h.scheduled) == 1
        f, call = h.scheduled[0]
        assert f == h.coop._tick
        assert h.coop._delayedCall is call
        assert h.pending() == [1.0]

    def test_reschedulesAfterTick(self, coopImpl: Any) -> None:
        """
        After a tick, another is scheduled if tasks remain; when none
        remains, C{_delayedCall} is C{None} and nothing is pending.
        """
        h = Harness(coopImpl, 1)
        h.cooperate("A", 1)
        h.tick()
        assert h.steps() == ["A0"]
        assert len(h.scheduled) == 2
        assert h.coop._delayedCall is h.scheduled[1][1]
        assert h.pending() == [2.0]
        h.tick()
        assert h.steps() == ["A0", "A!"]
        assert len(h.scheduled) == 2
        assert h.coop._delayedCall is None and h.pending() == []

    def test_removingLastTaskCancelsTick(self, coopImpl: Any) -> None:
        """
        When the last task is removed (stopped or paused), the scheduled tick
        is cancelled; adding a task again schedules a new one.
        """
        h = Harness(coopImpl)
        a = h.cooperate("A")
        b = h.cooperate("B")
        call = h.coop._delayedCall
        a.stop()
        assert h.coop._delayedCall is call and call.active()
        b.pause()
        assert not call.active() and call.cancelled
        assert h.coop._delayedCall is None and h.pending() == []
        b.resume()
        assert len(h.scheduled) == 2 and h.coop._delayedCall is h.scheduled[1][1]
        b.stop()
        h.cooperate("C")
        assert len(h.scheduled) == 3 and h.pending() == [1.0]

    def test_stopCancelsTick(self, coopImpl: Any) -> None:
        """
        C{Cooperator.stop} cancels the scheduled tick.
        """
        h = Harness(coopImpl)
        box = outcome(h.cooperate("A").whenDone())
        call = h.coop._delayedCall
        h.coop.stop()
        assert call.cancelled and h.coop._delayedCall is None
        assert h.pending() == []
        assert failureType(box) is task.SchedulerStopped

    def test_schedulerReturningNone(self, coopImpl: Any) -> None:
        """
        With a scheduler that returns C{None} (like C{list.append}),
        C{_delayedCall} stays C{None}, so every task added asks for another
        tick, removing the last task cancels nothing, and each tick that
        leaves tasks asks for one more (even if they are all paused by then).
        """
        log: list[str] = []
        thunks: list[Callable[[], None]] = []
        coop = coopImpl.Cooperator(Counting(log, 1), thunks.append)
        a = coop.cooperate(Worker("A", log, 2))
        assert len(thunks) == 1 and thunks[0] == coop._tick
        b = coop.cooperate(Worker("B", log, 2))
        assert len(thunks) == 2 and coop._delayedCall is None
        thunks.pop(0)()
        assert log == ["|", "A0"] and len(thunks) == 2
        a.pause()
        b.pause()
        assert len(thunks) == 2
        thunks.pop(0)()
        assert log == ["|", "A0", "|"] and len(thunks) == 1
        thunks.pop(0)()
        assert thunks == []
        a.resume()
        assert len(thunks) == 1

    def test_pausedOnlyTaskLeavesThunkWithNoneScheduler(self, coopImpl: Any) -> None:
        """
        As twisted.web's tests rely on: with a C{None}-returning scheduler,
        pausing the only task between ticks leaves the next tick scheduled,
        and running it does nothing and schedules nothing; a task that pauses
        itself during a tick leaves nothing scheduled.
        """
        log: list[str] = []
        thunks: list[Callable[[], None]] = []
        coop = coopImpl.Cooperator(Counting(log, 1), thunks.append)
        t = coop.cooperate(Worker("A", log, 3))
        thunks.pop(0)()
        assert log == ["|", "A0"] and len(thunks) == 1
        t.pause()
        assert len(thunks) == 1
        thunks.pop(0)()
        assert log == ["|", "A0", "|"] and thunks == []
        t.resume()
        assert len(thunks) == 1
        box: list[Any] = []
        coop.cooperate(Worker("B", log, 3, {0: lambda: box[0].pause()}))
        assert len(thunks) == 2
        box.append(coop._tasks[-1])
        t.pause()
        thunks.pop(0)()
        assert log[3:] == ["|", "B0"] and len(thunks) == 1
        thunks.pop(0)()
        assert log[5:] == ["|"] and thunks == []

    def test_manualTick(self, coopImpl: Any) -> None:
        """
        C{_tick} can be called directly (Twisted's own tests do, after
        cancelling C{_delayedCall}); it runs a tick and schedules the next.
        """
        h = Harness(coopImpl, 2)
        h.cooperate("A")
        h.coop._delayedCall.cancel()
        h.coop._tick()
        assert h.ticks() == [["A0", "A1"]]
        assert len(h.scheduled) == 2 and h.pending() == [1.0]

    def test_manualTickWhileScheduled(self, coopImpl: Any) -> None:
        """
        Calling C{_tick} while a tick is scheduled forgets that call without
        cancelling it, and schedules another: two ticks are then pending.
        """
        h = Harness(coopImpl, 1)
        h.cooperate("A", 5)
        first = h.coop._delayedCall
        h.coop._tick()
        assert first.active()
        assert h.coop._delayedCall is h.scheduled[1][1]
        assert h.pending() == [1.0, 1.0]
        h.tick()
        assert h.ticks() == [["A0"], ["A1"], ["A2"]]
        assert h.pending() == [2.0, 2.0]

    def test_manualTickWithoutTasks(self, coopImpl: Any) -> None:
        """
        A tick with no task still makes a termination predicate (and calls
        it never), and schedules nothing.
        """
        h = Harness(coopImpl)
        h.coop._tick()
        assert h.log == ["|"] and h.counting.calls == 0
        assert h.scheduled == []

    def test_defaultScheduler(self, coopImpl: Any, fakeReactor: Any, fakeTime: FakeTime) -> None:
        """
        The default scheduler is C{reactor.callLater(_EPSILON, _tick)}, the
        reactor being looked up when a tick is scheduled.
        """
        log: list[str] = []
        coop = coopImpl.Cooperator()
        t = coop.cooperate(Worker("A", log, 2))
        box = outcome(t.whenDone())
        [call] = fakeReactor.getDelayedCalls()
        assert call.getTime() == EPSILON
        assert call.func == coop._tick and call.args == () and call.kw == {}
        assert coop._delayedCall is call
        fakeReactor.advance(EPSILON)
        assert log == ["A0", "A1", "A!"]
        assert box == [t._iterator]
        assert fakeReactor.getDelayedCalls() == []

    def test_defaultSchedulerReschedules(
        self, coopImpl: Any, fakeReactor: Any, fakeTime: FakeTime
    ) -> None:
        """
        With the default scheduler, a tick cut short by the time slice
        schedules the next one C{_EPSILON} later on the reactor.
        """
        log: list[str] = []
        coop = coopImpl.Cooperator()

        def slow() -> None:
            fakeTime.now += 1

        coop.cooperate(Worker("A", log, 3, {0: slow, 1: slow}))
        fakeReactor.advance(EPSILON)
        assert log == ["A0"]
        [call] = fakeReactor.getDelayedCalls()
        assert call.getTime() == EPSILON + EPSILON
        fakeReactor.advance(EPSILON)
        assert log == ["A0", "A1"]


# --- the default time slice -------------------------------------------------------------------


class TestTimeSlice:
    """
    The default termination predicate factory (Twisted's C{_Timer}): a tick
    runs steps until C{time.time()} reaches the time it started plus 10 ms.
    """

    def cooperator(self, impl: Any) -> Harness:
        """
        A harness whose cooperator has the default termination predicate.
        """
        h = Harness(impl)
        h.coop = impl.Cooperator(scheduler=h.schedule)
        return h

    def test_tenMilliseconds(self, coopImpl: Any, fakeTime: FakeTime) -> None:
        """
        Steps taking 1/256 s each: a tick runs 3 of them (after 2, 7.8 ms
        have passed; after 3, 11.7 ms), measured from the start of each tick
        (not from when the task was added).
        """
        h = self.cooperator(coopImpl)

        def slow() -> int:
            fakeTime.now += 1 / 256
            return 0

        h.coop.cooperate(h.worker("A", 8, **{f"s{i}": slow for i in range(8)}))
        fakeTime.now = 2000.0
        h.tick()
        assert h.steps() == ["A0", "A1", "A2"]
        fakeTime.now = 3000.0
        h.tick()
        assert h.steps()[3:] == ["A3", "A4", "A5"]
        h.tick()
        assert h.steps()[6:] == ["A6", "A7", "A!"]
        assert h.pending() == []

    def test_boundaryIsInclusive(self, coopImpl: Any, fakeTime: FakeTime) -> None:
        """
        The slice ends as soon as the time is I{at least} the start plus
        C{0.01} (computed as a float sum); just below it, it goes on.
        """
        end = fakeTime.now + MAX_SLICE
        h = self.cooperator(coopImpl)

        def toEnd() -> None:
            fakeTime.now = end

        def justBelow() -> None:
            fakeTime.now = math.nextafter(end, 0)

        h.coop.cooperate(h.worker("A", 3, s0=justBelow, s1=toEnd))
        h.tick()
        assert h.steps() == ["A0", "A1"]

    def test_noTimeNoEnd(self, coopImpl: Any, fakeTime: FakeTime) -> None:
        """
        While no time passes, a tick runs every task to its end.
        """
        h = self.cooperator(coopImpl)
        h.cooperate("A", 2)
        h.cooperate("B", 3)
        h.tick()
        assert h.steps() == ["A0", "B0", "A1", "B1", "A!", "B2", "B!"]
        assert fakeTime.calls >= 7


    def test_patchedTimeReadAfterEveryStep(self, coopImpl: Any, fakeTime: FakeTime) -> None:
        """
        With C{time.time} patched, it is read as often as Twisted's
        C{_Timer} reads it: once when the tick starts, once after each step
        (the C timer's stride applies only to the real clock).
        """
        h = self.cooperator(coopImpl)
        h.cooperate("A", 40)
        h.tick()
        assert len(h.steps()) == 41
        assert fakeTime.calls == 1 + 41

    @staticmethod
    def busy(seconds: float) -> Callable[[], int]:
        """
        A step action that keeps the CPU busy for at least C{seconds} of
        wall-clock time.
        """

        def step() -> int:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                pass
            return 0

        return step

    def test_slowStepsRealClock(self, coopImpl: Any) -> None:
        """
        Steps of at least 2 ms each, on the real clock: a tick ends within
        one step of its 10 ms, so it runs at most 6 of them (a preempted step
        only takes longer, so fewer run).
        """
        h = self.cooperator(coopImpl)
        slow = self.busy(0.002)
        h.coop.cooperate(h.worker("A", 30, **{f"s{i}": slow for i in range(30)}))
        h.tick()
        assert 1 <= len(h.steps()) <= 6

    def test_strideResetsEachTick(self, coopImpl: Any) -> None:
        """
        A tick of near-free steps (where the C timer reads the clock only
        every few steps) followed by a tick of 2 ms steps: the second tick
        starts reading the clock after every step again, and runs at most 6.
        """
        h = self.cooperator(coopImpl)
        fast = h.cooperate("A", 2000)
        h.tick()
        if "A!" not in h.steps():
            # A slow build (valgrind) did not get through them in 10 ms.
            fast.stop()
        slow = self.busy(0.002)
        h.coop.cooperate(h.worker("B", 30, **{f"s{i}": slow for i in range(30)}))
        h.tick()
        assert 1 <= len([s for s in h.steps() if s.startswith("B")]) <= 6

    def test_fastThenSlowBounded(self, coopImpl: Any) -> None:
        """
        Within one tick, steps that turn slow after many near-free ones: the
        tick overruns its 10 ms by at most the C timer's stride (16 steps;
        Twisted's C{_Timer}, one step).
        """
        h = self.cooperator(coopImpl)
        slow = self.busy(0.002)
        h.coop.cooperate(
            h.worker("A", 300, **{f"s{i}": slow for i in range(200, 300)})
        )
        h.tick()
        slowSteps = len([s for s in h.steps() if s != "A!" and int(s[1:]) >= 200])
        # (A slow build may not reach the slow steps within the slice.)
        assert slowSteps <= 6 + 16


# --- round-robin ------------------------------------------------------------------------------


class TestRoundRobin:
    """
    The order in which tasks get steps, across and within ticks, as tasks are
    added, removed, paused and resumed.
    """

    def test_oneStepPerTick(self, coopImpl: Any) -> None:
        """
        With one step per tick, tasks take turns in the order they were
        added; the call of C{next} that ends a task counts as its step, and
        its removal makes the next task wait for the following round.
        """
        h = Harness(coopImpl, 1)
        for label in "ABC":
            h.cooperate(label, 2)
        h.tick(10)
        assert h.ticks() == [
            ["A0"], ["B0"], ["C0"], ["A1"], ["B1"], ["C1"], ["A!"], ["C!"], ["B!"]
        ]
        assert h.pending() == [] and h.coop._tasks == []

    def test_roundContinuesAcrossTicks(self, coopImpl: Any) -> None:
        """
        A tick that ends mid-round leaves the round where it stopped: the
        next tick carries on from there, and wraps around to the first task.
        """
        h = Harness(coopImpl, 2)
        for label in "ABC":
            h.cooperate(label, 3)
        h.tick(3)
        assert h.ticks() == [["A0", "B0"], ["C0", "A1"], ["B1", "C1"]]

    def test_varyingSteps(self, coopImpl: Any) -> None:
        """
        The termination predicate is made afresh for each tick and called
        after every step, including one that ends a task.
        """
        h = Harness(coopImpl, 1, 3, 2)
        for label in "AB":
            h.cooperate(label, 2)
        h.tick(4)
        assert h.ticks() == [["A0"], ["B0", "A1", "B1"], ["A!", "B!"]]
        assert h.counting.made == 3 and h.counting.calls == 6

    def test_finishingSkipsNext(self, coopImpl: Any) -> None:
        """
        A task that ends is removed from the list under the round: the task
        after it is skipped for the rest of that round.
        """
        h = Harness(coopImpl, 100)
        h.cooperate("A", 1)
        h.cooperate("B", 3)
        h.cooperate("C", 3)
        h.tick()
        assert h.steps() == ["A0", "B0", "C0", "A!", "C1", "B1", "C2", "B2", "C!", "B!"]

    def test_failingSkipsNext(self, coopImpl: Any) -> None:
        """
        A task that fails is removed like one that ends.
        """
        h = Harness(coopImpl, 100)

        def fail() -> None:
            raise Boom()

        box = outcome(h.cooperate("A", 3, s1=fail).whenDone())
        h.cooperate("B", 2)
        h.cooperate("C", 2)
        h.tick()
        assert h.steps() == ["A0", "B0", "C0", "A1", "C1", "B1", "C!", "B!"]
        assert failureType(box) is Boom

    def test_addedInStepRunsThisRound(self, coopImpl: Any) -> None:
        """
        A task added during a step is appended and runs in the same round.
        """
        h = Harness(coopImpl, 4, 100)
        h.cooperate("A", 2, s0=lambda: h.cooperate("D", 1))
        h.cooperate("B", 2)
        h.cooperate("C", 2)
        h.tick(2)
        assert h.ticks() == [["A0", "B0", "C0", "D0"], ["A1", "B1", "C1", "D!", "A!", "C!", "B!"]]

    def test_addedBetweenTicksMidRound(self, coopImpl: Any) -> None:
        """
        A task added between ticks, while a round is unfinished, runs after
        the rest of that round.
        """
        h = Harness(coopImpl, 2)
        for label in "ABC":
            h.cooperate(label, 3)
        h.tick()
        h.cooperate("D", 3)
        h.tick(2)
        assert h.ticks() == [["A0", "B0"], ["C0", "D0"], ["A1", "B1"]]

    def test_addedAfterRoundEndedByPredicate(self, coopImpl: Any) -> None:
        """
        If a tick ends right after the last task of the list, the round is
        not over yet: a task added before the next tick runs first in it.
        """
        h = Harness(coopImpl, 3)
        for label in "ABC":
            h.cooperate(label, 3)
        h.tick()
        h.cooperate("D", 3)
        h.tick()
        assert h.ticks() == [["A0", "B0", "C0"], ["D0", "A1", "B1"]]

    def test_pausingEarlierTaskSkipsOne(self, coopImpl: Any) -> None:
        """
        Pausing, between ticks, a task the round has passed shifts the list
        under the round: the task the round would have run next is skipped.
        """
        h = Harness(coopImpl, 2)
        a = h.cooperate("A", 3)
        for label in "BCD":
            h.cooperate(label, 3)
        h.tick()
        a.pause()
        h.tick(2)
        assert h.ticks() == [["A0", "B0"], ["D0", "B1"], ["C0", "D1"]]

    def test_pausingLaterTaskFromStep(self, coopImpl: Any) -> None:
        """
        A task paused by another task's step, ahead in the round, does not
        run in it; resumed, it goes to the end of the list.
        """
        h = Harness(coopImpl, 100)
        tasks: dict[str, Any] = {}
        tasks["A"] = h.cooperate("A", 2, s0=lambda: tasks["C"].pause())
        tasks["B"] = h.cooperate("B", 2, s1=lambda: tasks["C"].resume())
        tasks["C"] = h.cooperate("C", 2)
        tasks["D"] = h.cooperate("D", 2)
        h.tick()
        assert h.steps() == ["A0", "B0", "D0", "A1", "B1", "D1", "C0", "A!", "D!", "B!", "C1", "C!"]

    def test_stopFromStepSkipsNext(self, coopImpl: Any) -> None:
        """
        A task stopped by another task's step, earlier in the list, is
        removed under the round like a finished one.
        """
        h = Harness(coopImpl, 100)
        tasks: dict[str, Any] = {}
        tasks["A"] = h.cooperate("A", 2)
        tasks["B"] = h.cooperate("B", 2, s0=lambda: tasks["A"].stop())
        tasks["C"] = h.cooperate("C", 2)
        tasks["D"] = h.cooperate("D", 2)
        h.tick()
        assert h.steps() == ["A0", "B0", "D0", "B1", "C0", "D1", "B!", "D!", "C1", "C!"]

    def test_resumeAppendsAtEnd(self, coopImpl: Any) -> None:
        """
        A resumed task goes to the end of the list (here the round had
        reached the end of the list, so the next tick starts a new one).
        """
        h = Harness(coopImpl, 3)
        a = h.cooperate("A", 3)
        h.cooperate("B", 3)
        h.cooperate("C", 3)
        h.tick()
        a.pause()
        a.resume()
        assert [t._iterator.label for t in h.coop._tasks] == ["B", "C", "A"]
        h.tick()
        assert h.ticks() == [["A0", "B0", "C0"], ["B1", "C1", "A1"]]

    def test_yieldingDeferredSkipsNext(self, coopImpl: Any) -> None:
        """
        A task that yields an unfired L{Deferred} pauses, which removes it
        under the round: the next task is skipped.  When the L{Deferred}
        fires, the task goes to the end of the list.
        """
        h = Harness(coopImpl, 100, 100)
        d: Deferred[None] = Deferred()
        a = h.cooperate("A", 2, s0=lambda: d)
        h.cooperate("B", 2)
        h.cooperate("C", 3)
        h.tick()
        assert h.steps() == ["A0", "C0", "B0", "C1", "B1", "C2", "B!", "C!"]
        assert h.coop._tasks == [] and a._pauseCount == 1
        d.callback(None)
        assert h.coop._tasks == [a] and a._pauseCount == 0
        h.tick()
        assert h.ticks()[1] == ["A1", "A!"]

    def test_yieldingFiredDeferred(self, coopImpl: Any) -> None:
        """
        A task that yields an already fired L{Deferred} pauses and resumes at
        once: it is moved to the end of the list, skipping the next task, and
        may run again in the same round.
        """
        h = Harness(coopImpl, 6)
        h.cooperate("A", 3, s0=lambda: defer.succeed(None))
        h.cooperate("B", 3)
        h.cooperate("C", 3)
        h.tick()
        assert h.steps() == ["A0", "C0", "A1", "B0", "C1", "A2"]
        assert [t._iterator.label for t in h.coop._tasks] == ["B", "C", "A"]


# --- CooperativeTask ---------------------------------------------------------------------------


class TestCooperativeTask:
    """
    C{whenDone}, C{pause}, C{resume}, C{stop} and the ends of a task.
    """

    def test_whenDoneFiresWithIterator(self, coopImpl: Any) -> None:
        """
        Each C{whenDone} returns a new L{Deferred}, fired with the iterator
        when it is exhausted; their callback chains are independent.
        """
        h = Harness(coopImpl, 100)
        t = h.cooperate("A", 1)
        d1, d2 = t.whenDone(), t.whenDone()
        assert isinstance(d1, Deferred) and d1 is not d2
        d1.addCallback(lambda result: 1)
        d2.addCallback(lambda result: 2)
        first, second = outcome(d1), outcome(d2)
        assert first == [] and second == []
        h.tick()
        assert (first, second) == ([1], [2])
        assert outcome(t.whenDone()) == [t._iterator]

    def test_generatorReturnValueIgnored(self, coopImpl: Any) -> None:
        """
        A generator's return value is ignored: C{whenDone} fires with the
        generator.
        """
        h = Harness(coopImpl, 100)

        def gen() -> Iterator[int]:
            yield 1
            return 5  # type: ignore[misc]

        it = gen()
        box = outcome(h.coop.cooperate(it).whenDone())
        h.tick()
        assert box == [it]

    def test_yieldedValuesIgnored(self, coopImpl: Any) -> None:
        """
        Values other than a L{Deferred} that the iterator yields are ignored,
        including L{Failure}s and the L{Deferred} class itself.
        """
        h = Harness(coopImpl, 100)
        values = [None, 0, Failure(Boom()), "x", object(), defer.Deferred]
        box = outcome(h.coop.cooperate(iter(values)).whenDone())
        h.tick()
        assert len(box) == 1 and not isinstance(box[0], Failure)
        assert h.pending() == []

    def test_whenDoneFailure(self, coopImpl: Any) -> None:
        """
        When C{next} raises, C{whenDone} fails with that exception, and so
        does a C{whenDone} asked for afterwards.
        """
        h = Harness(coopImpl, 100)

        def fail() -> None:
            raise Boom("x")

        t = h.cooperate("A", 3, s1=fail)
        box = outcome(t.whenDone())
        h.tick()
        assert h.steps() == ["A0", "A1"]
        assert failureType(box) is Boom and box[0].value.args == ("x",)
        again = outcome(t.whenDone())
        assert again[0] is box[0]
        with pytest.raises(task.TaskFailed):
            t.stop()
        with pytest.raises(task.TaskFailed):
            t.pause()

    def test_baseExceptionFailsTask(self, coopImpl: Any) -> None:
        """
        Any L{BaseException} from C{next} fails the task, without leaving the
        tick.
        """
        h = Harness(coopImpl, 100)

        def fatal() -> None:
            raise Fatal()

        box = outcome(h.cooperate("A", 2, s0=fatal).whenDone())
        h.cooperate("B", 1)
        h.tick()
        assert failureType(box) is Fatal
        assert h.steps() == ["A0", "B0", "B!"]

    def test_notAnIterator(self, coopImpl: Any) -> None:
        """
        An object without C{__next__} is accepted, and fails the task with
        L{TypeError} at its first step.
        """
        h = Harness(coopImpl, 100)
        t = h.coop.cooperate([1, 2])  # type: ignore[arg-type]
        box = outcome(t.whenDone())
        assert box == []
        h.tick()
        assert failureType(box) is TypeError

    def test_stop(self, coopImpl: Any) -> None:
        """
        C{stop} fails C{whenDone} with L{task.TaskStopped} at once and removes
        the task; C{stop} and C{pause} then raise L{task.TaskStopped}, and
        C{resume} raises L{task.NotPaused}.
        """
        h = Harness(coopImpl, 100)
        t = h.cooperate("A")
        box = outcome(t.whenDone())
        assert t.stop() is None
        assert failureType(box) is task.TaskStopped
        assert h.coop._tasks == []
        with pytest.raises(task.TaskStopped):
            t.stop()
        with pytest.raises(task.TaskStopped):
            t.pause()
        with pytest.raises(task.NotPaused):
            t.resume()
        h.tick()
        assert h.log == []
        assert failureType(outcome(t.whenDone())) is task.TaskStopped

    def test_finishedTaskRaisesTaskDone(self, coopImpl: Any) -> None:
        """
        C{stop} and C{pause} on a finished task raise L{task.TaskDone}.
        """
        h = Harness(coopImpl, 100)
        t = h.cooperate("A", 1)
        h.tick()
        with pytest.raises(task.TaskDone):
            t.stop()
        with pytest.raises(task.TaskDone):
            t.pause()
        assert t._pauseCount == 0

    def test_pauseResume(self, coopImpl: Any) -> None:
        """
        A paused task gets no steps; C{resume} does no work by itself, the
        next tick does.
        """
        h = Harness(coopImpl, 1)
        t = h.cooperate("A", 5)
        h.tick()
        assert t.pause() is None
        assert t._pauseCount == 1 and h.coop._tasks == []
        h.tick()
        assert h.steps() == ["A0"]
        assert t.resume() is None
        assert t._pauseCount == 0 and h.coop._tasks == [t]
        assert h.steps() == ["A0"]
        h.tick()
        assert h.steps() == ["A0", "A1"]

    def test_pauseCounts(self, coopImpl: Any) -> None:
        """
        Pauses nest: a task paused twice runs again after two resumes.
        """
        h = Harness(coopImpl, 1)
        t = h.cooperate("A", 5)
        t.pause()
        t.pause()
        assert t._pauseCount == 2
        t.resume()
        assert t._pauseCount == 1 and h.coop._tasks == []
        h.tick()
        assert h.log == []
        t.resume()
        assert t._pauseCount == 0 and h.coop._tasks == [t]
        h.tick()
        assert h.steps() == ["A0"]

    def test_resumeNotPaused(self, coopImpl: Any) -> None:
        """
        C{resume} on a task that is not paused raises L{task.NotPaused}.
        """
        h = Harness(coopImpl)
        t = h.cooperate("A")
        with pytest.raises(task.NotPaused):
            t.resume()
        t.pause()
        t.resume()
        with pytest.raises(task.NotPaused):
            t.resume()
        assert t._pauseCount == 0 and h.coop._tasks == [t]

    def test_pauseStopResume(self, coopImpl: Any) -> None:
        """
        Resuming a paused task that was stopped meanwhile is allowed and does
        nothing; resuming it once more raises L{task.NotPaused}.
        """
        h = Harness(coopImpl, 100)
        t = h.cooperate("A")
        t.pause()
        t.stop()
        t.resume()
        assert t._pauseCount == 0 and h.coop._tasks == []
        h.tick()
        assert h.log == []
        with pytest.raises(task.NotPaused):
            t.resume()

    def test_pausedTaskEnds(self, coopImpl: Any) -> None:
        """
        A task whose step pauses it and then ends it is done (being out of
        the list already, it is not removed again), and stays paused.
        """
        h = Harness(coopImpl, 100)
        tasks: list[Any] = []

        def pauseAndEnd() -> None:
            tasks[0].pause()
            raise StopIteration

        tasks.append(h.cooperate("A", 3, s1=pauseAndEnd))
        box = outcome(tasks[0].whenDone())
        h.cooperate("B", 1)
        h.tick()
        assert h.steps() == ["A0", "B0", "A1", "B!"]
        assert box == [tasks[0]._iterator]
        assert tasks[0]._pauseCount == 1 and h.coop._tasks == []
        with pytest.raises(task.TaskDone):
            tasks[0].stop()


# --- yielded Deferreds ---------------------------------------------------------------------------


class TestDeferreds:
    """
    An iterator that yields a L{Deferred} pauses its task until the
    L{Deferred} fires.
    """

    def test_pausesUntilFired(self, coopImpl: Any) -> None:
        """
        The task waits, paused, while the L{Deferred} has not fired; firing it
        resumes the task; the L{Deferred}'s result is consumed (C{None}).
        """
        h = Harness(coopImpl, 100)
        d: Deferred[str] = Deferred()
        t = h.cooperate("A", 2, s0=lambda: d)
        h.tick(3)
        assert h.steps() == ["A0"]
        assert t._pauseCount == 1 and h.coop._tasks == [] and h.pending() == []
        d.callback("value")
        assert t._pauseCount == 0 and h.coop._tasks == [t]
        assert outcome(d) == [None]
        h.tick()
        assert h.steps() == ["A0", "A1", "A!"]

    def test_deferredSubclass(self, coopImpl: Any) -> None:
        """
        Instances of L{Deferred} subclasses count as L{Deferred}s.
        """

        class MyDeferred(Deferred[None]):
            pass

        h = Harness(coopImpl, 100)
        d = MyDeferred()
        t = h.cooperate("A", 2, s0=lambda: d)
        h.tick()
        assert t._pauseCount == 1
        d.callback(None)
        h.tick()
        assert h.steps() == ["A0", "A1", "A!"]

    def test_failingDeferredFailsTask(self, coopImpl: Any) -> None:
        """
        If the L{Deferred} fails, the task fails with that failure; it stays
        paused (and out of the list); the failure is consumed.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[None] = Deferred()
        t = h.cooperate("A", 3, s0=lambda: d)
        box = outcome(t.whenDone())
        h.tick()
        error = Boom("late")
        d.errback(error)
        assert failureType(box) is Boom and box[0].value is error
        assert t._pauseCount == 1 and h.coop._tasks == []
        assert outcome(d) == [None]
        with pytest.raises(task.TaskFailed):
            t.stop()
        t.resume()
        assert t._pauseCount == 0 and h.coop._tasks == []
        h.tick()
        assert h.steps() == ["A0"]

    def test_alreadyFailedDeferred(self, coopImpl: Any) -> None:
        """
        An already failed L{Deferred} fails the task within the step; the
        round goes on without the next task (the task was removed when it
        paused).
        """
        h = Harness(coopImpl, 100)
        box = outcome(h.cooperate("A", 3, s0=lambda: defer.fail(Boom())).whenDone())
        h.cooperate("B", 1)
        h.cooperate("C", 1)
        h.tick()
        assert failureType(box) is Boom
        assert h.steps() == ["A0", "C0", "B0", "C!", "B!"]

    def test_pauseWhileWaiting(self, coopImpl: Any) -> None:
        """
        A task paused while it waits must be both fired and resumed to go on.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[None] = Deferred()
        t = h.cooperate("A", 2, s0=lambda: d)
        h.tick()
        t.pause()
        assert t._pauseCount == 2
        t.resume()
        h.tick()
        assert h.steps() == ["A0"]
        t.pause()
        d.callback(None)
        assert t._pauseCount == 1 and h.coop._tasks == []
        h.tick()
        assert h.steps() == ["A0"]
        t.resume()
        h.tick()
        assert h.steps() == ["A0", "A1", "A!"]

    def test_stopWhileWaiting(self, coopImpl: Any) -> None:
        """
        A task stopped while it waits does not go on when the L{Deferred}
        fires; the L{Deferred}'s result is still consumed.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[int] = Deferred()
        t = h.cooperate("A", 2, s0=lambda: d)
        box = outcome(t.whenDone())
        h.tick()
        t.stop()
        assert failureType(box) is task.TaskStopped
        d.callback(7)
        assert outcome(d) == [None]
        assert t._pauseCount == 0 and h.coop._tasks == []
        h.tick()
        assert h.steps() == ["A0"]

    def test_failAfterStop(self, coopImpl: Any) -> None:
        """
        Twisted's accident: if the L{Deferred} a stopped task waited on then
        fails, the task completes a second time, as failed: C{stop} then
        raises L{task.TaskFailed}, and re-firing the C{whenDone} L{Deferred}s
        ends the yielded L{Deferred} with L{AlreadyCalledError}.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[None] = Deferred()
        t = h.cooperate("A", 2, s0=lambda: d)
        box = outcome(t.whenDone())
        h.tick()
        t.stop()
        d.errback(Boom())
        assert failureType(box) is task.TaskStopped
        assert failureType(outcome(d)) is AlreadyCalledError
        with pytest.raises(task.TaskFailed):
            t.stop()
        assert failureType(outcome(t.whenDone())) is Boom
        assert t._pauseCount == 1

    def test_failAfterStopWithoutWhenDone(self, coopImpl: Any) -> None:
        """
        Without C{whenDone} L{Deferred}s, a failure after C{stop} only turns
        the task into a failed one; the yielded L{Deferred} ends with C{None}.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[None] = Deferred()
        t = h.cooperate("A", 2, s0=lambda: d)
        h.tick()
        t.stop()
        d.errback(Boom())
        assert outcome(d) == [None]
        with pytest.raises(task.TaskFailed):
            t.pause()

    def test_resumedByHandWhileWaiting(self, coopImpl: Any) -> None:
        """
        A waiting task resumed by hand runs on at once; when the L{Deferred}
        fires, its own C{resume} raises L{task.NotPaused} into the
        L{Deferred}.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[None] = Deferred()
        t = h.cooperate("A", 2, s0=lambda: d)
        h.tick()
        t.resume()
        h.tick()
        assert h.steps() == ["A0", "A1", "A!"]
        d.callback(None)
        assert failureType(outcome(d)) is task.NotPaused

    def test_cooperatorStopWhileWaiting(self, coopImpl: Any) -> None:
        """
        L{Cooperator.stop} does not complete a task waiting on a
        L{Deferred} (it is not in the list); when the L{Deferred} fires, the
        task completes with L{task.SchedulerStopped} (or, if it fails, with
        that failure).
        """
        h = Harness(coopImpl, 100)
        ok: Deferred[None] = Deferred()
        bad: Deferred[None] = Deferred()
        a = h.cooperate("A", 2, s0=lambda: ok)
        b = h.cooperate("B", 2, s0=lambda: bad)
        boxA, boxB = outcome(a.whenDone()), outcome(b.whenDone())
        h.tick()
        h.coop.stop()
        assert boxA == [] and boxB == []
        ok.callback(None)
        assert failureType(boxA) is task.SchedulerStopped
        assert a._pauseCount == 0 and h.coop._tasks == []
        bad.errback(Boom())
        assert failureType(boxB) is Boom
        h.tick()
        assert h.steps() == ["A0", "B0"]


# --- coiterate ---------------------------------------------------------------------------------


class TestCoiterate:
    """
    C{Cooperator.coiterate(iterator, doneDeferred=None)}.
    """

    def test_firesWithIterator(self, coopImpl: Any) -> None:
        """
        C{coiterate} returns a new L{Deferred} that fires with the iterator
        when it is exhausted.
        """
        h = Harness(coopImpl, 100)
        worker = h.worker("A", 2)
        d = h.coop.coiterate(worker)
        assert isinstance(d, Deferred)
        box = outcome(d)
        assert len(h.coop._tasks) == 1
        assert h.coop._tasks[0]._iterator is worker
        h.tick()
        assert box == [worker]

    def test_doneDeferred(self, coopImpl: Any) -> None:
        """
        Given C{doneDeferred}, C{coiterate} returns it and fires it.
        """
        h = Harness(coopImpl, 100)
        done: Deferred[Any] = Deferred()
        worker = h.worker("A", 1)
        assert h.coop.coiterate(worker, done) is done
        box = outcome(done)
        h.tick()
        assert box == [worker]

    def test_failure(self, coopImpl: Any) -> None:
        """
        C{coiterate}'s L{Deferred} fails if the iterator raises.
        """
        h = Harness(coopImpl, 100)

        def fail() -> None:
            raise Boom()

        box = outcome(h.coop.coiterate(h.worker("A", 2, s1=fail)))
        h.tick()
        assert failureType(box) is Boom

    @pytest.mark.parametrize("given", [False, True])
    def test_stoppedRejects(self, coopImpl: Any, given: bool) -> None:
        """
        A stopped cooperator fails new tasks at once with
        L{task.SchedulerStopped}, without scheduling anything.
        """
        h = Harness(coopImpl, 100)
        h.coop.stop()
        done: Deferred[Any] | None = Deferred() if given else None
        d = h.coop.coiterate(h.worker("A"), done)
        if given:
            assert d is done
        assert failureType(outcome(d)) is task.SchedulerStopped
        assert h.scheduled == [] and h.coop._tasks == []

    def test_coiterateRecursively(self, coopImpl: Any) -> None:
        """
        A callback on C{coiterate}'s L{Deferred} that calls C{coiterate}
        again needs no more than one scheduled tick at a time.
        """
        calls: list[Callable[[], None]] = []

        class FakeCall:
            def cancel(self) -> None:
                raise AssertionError("cancelled")

        def sched(f: Callable[[], None]) -> FakeCall:
            assert calls == []
            calls.append(f)
            return FakeCall()

        coop = coopImpl.Cooperator(lambda: lambda: True, sched)
        done: list[Any] = []
        coop.coiterate(iter(())).addCallback(
            lambda ignored: coop.coiterate(iter(())).addBoth(done.append)
        )
        work = 0
        while not done:
            work += 1
            assert calls and work < 10
            calls.pop(0)()
        assert calls == []


# --- Cooperator.stop --------------------------------------------------------------------------


class TestCooperatorStop:
    """
    L{Cooperator.stop}, which completes the running tasks with
    L{task.SchedulerStopped}.  Twisted's removes each task from the list it
    iterates, so it completes only the tasks at even places (0, 2, 4, ...);
    the others are dropped from the cooperator without being completed.  The
    C version may reproduce this or deliberately fix it.
    """

    def test_stopSingleTask(self, coopImpl: Any) -> None:
        """
        A running task completes with L{task.SchedulerStopped} and gets no
        more steps.
        """
        h = Harness(coopImpl, 1)
        t = h.cooperate("A")
        box = outcome(t.whenDone())
        h.tick()
        assert h.coop.stop() is None
        assert failureType(box) is task.SchedulerStopped
        assert h.coop._tasks == [] and h.coop._delayedCall is None
        assert h.pending() == []
        h.tick(3)
        assert h.steps() == ["A0"]
        with pytest.raises(task.SchedulerStopped):
            t.pause()

    def test_stopRejectsNewTasks(self, coopImpl: Any) -> None:
        """
        A task added to a stopped cooperator is completed at once with
        L{task.SchedulerStopped}, and never runs.
        """
        h = Harness(coopImpl, 100)
        h.coop.stop()
        t = h.cooperate("A")
        assert h.coop._tasks == [] and h.scheduled == []
        assert failureType(outcome(t.whenDone())) is task.SchedulerStopped
        with pytest.raises(task.SchedulerStopped):
            t.stop()
        h.tick()
        assert h.log == []

    def test_restart(self, coopImpl: Any) -> None:
        """
        After C{stop}, C{start} makes the cooperator take and run tasks again.
        """
        h = Harness(coopImpl, 100)
        h.cooperate("A")
        h.coop.stop()
        h.coop.start()
        box = outcome(h.cooperate("B", 1).whenDone())
        h.tick()
        assert h.steps() == ["B0", "B!"] and len(box) == 1

    def test_stopFromWhenDone(self, coopImpl: Any) -> None:
        """
        A C{whenDone} callback may stop the cooperator: the task is already
        out of it by then.
        """
        h = Harness(coopImpl, 100)
        t = h.cooperate("A", 1)
        phases: list[Any] = []

        def stopIt(result: Any) -> None:
            phases.append(result)
            h.coop.stop()
            phases.append("done")

        t.whenDone().addCallback(stopIt)
        h.tick()
        assert phases == [t._iterator, "done"]
        assert h.coop.running is False

    def test_stopFromStep(self, coopImpl: Any) -> None:
        """
        A step may stop the cooperator (its own task completes with
        L{task.SchedulerStopped} during the step); the tick ends there.
        """
        h = Harness(coopImpl, 100)
        box = outcome(h.cooperate("A", 3, s1=lambda: h.coop.stop()).whenDone())
        h.tick(2)
        assert h.steps() == ["A0", "A1"]
        assert failureType(box) is task.SchedulerStopped
        assert h.pending() == [] and h.coop._delayedCall is None

    def test_stopCompletesEvenPlaces(self, coopImpl: Any) -> None:
        """
        Stopping with five running tasks completes at least those at places
        0, 2 and 4 with L{task.SchedulerStopped} (the others too, if the
        implementation fixes Twisted's skipping), empties C{_tasks}, cancels
        the tick, and runs nothing more.
        """
        h = Harness(coopImpl, 100)
        boxes = [outcome(h.cooperate(label).whenDone()) for label in "ABCDE"]
        h.coop.stop()
        assert [failureType(boxes[i]) for i in (0, 2, 4)] == [task.SchedulerStopped] * 3
        assert all(failureType(boxes[i]) in (None, task.SchedulerStopped) for i in (1, 3))
        assert h.coop._tasks == [] and h.coop._delayedCall is None
        assert h.pending() == [] and h.coop.running is False
        h.tick(3)
        assert h.log == []

    def test_stopSkipsEverySecondTaskTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted 26.10's C{Cooperator.stop} completes the tasks at places 0, 2,
        4 and drops those at 1 and 3 from C{_tasks} without completing them:
        their C{whenDone} never fires by itself, C{pause} raises
        L{ValueError} (from C{list.remove}) after counting the pause, a
        C{resume} then completes the task with L{task.SchedulerStopped}, and
        C{stop} raises L{ValueError} leaving it stopped but unreported.
        """
        h = Harness(twistedImpl, 100)
        tasks = [h.cooperate(label) for label in "ABCDE"]
        boxes = [outcome(t.whenDone()) for t in tasks]
        h.coop.stop()
        assert [failureType(box) for box in boxes] == [
            task.SchedulerStopped,
            None,
            task.SchedulerStopped,
            None,
            task.SchedulerStopped,
        ]
        assert h.coop._tasks == []
        with pytest.raises(ValueError):
            tasks[1].pause()
        assert tasks[1]._pauseCount == 1
        tasks[1].resume()
        assert failureType(boxes[1]) is task.SchedulerStopped
        with pytest.raises(ValueError):
            tasks[3].stop()
        assert boxes[3] == []
        with pytest.raises(task.TaskStopped):
            tasks[3].stop()
        assert failureType(outcome(tasks[3].whenDone())) is task.TaskStopped
        h.tick(3)
        assert h.log == []

    def test_stopTwoTasksTwisted(self, twistedImpl: Any) -> None:
        """
        The common case: of two running tasks, Twisted's C{stop} completes the
        first only.
        """
        h = Harness(twistedImpl, 100)
        first = outcome(h.cooperate("A").whenDone())
        second = outcome(h.cooperate("B").whenDone())
        h.coop.stop()
        assert failureType(first) is task.SchedulerStopped
        assert second == []

    def test_skippedTaskRunsAfterRestartTwisted(self, twistedImpl: Any) -> None:
        """
        Twisted's C{_metarator} survives C{stop}: it still walks the old task
        list, which holds the skipped tasks.  After C{start}, the next tick
        gives a step to the skipped task it points at (D here), and if that
        ends the task, C{_tick} raises L{ValueError} (the task is not in the
        new list) before rescheduling, stranding the new task E.
        """
        h = Harness(twistedImpl, 1)
        h.cooperate("A", 2)
        h.cooperate("B", 2)
        h.cooperate("C", 2)
        d = h.cooperate("D", 0)
        boxD = outcome(d.whenDone())
        h.tick()
        assert h.steps() == ["A0"]
        h.coop.stop()
        h.coop.start()
        e = h.cooperate("E", 2)
        with pytest.raises(ValueError):
            h.tick()
        assert h.steps() == ["A0", "D!"]
        assert boxD == []
        assert h.coop._tasks == [e]
        assert h.coop._delayedCall is None and h.pending() == []


# --- Twisted's accidents that the C version must reproduce -------------------------------------


class TestReentrancy:
    """
    A step that acts on its own task or cooperator.
    """

    def test_stopsItselfAndYields(self, coopImpl: Any) -> None:
        """
        A step that stops its own task and yields a value: the task is
        stopped, and removed under the round (the next task is skipped).
        """
        h = Harness(coopImpl, 100)
        tasks: list[Any] = []
        tasks.append(h.cooperate("A", 3, s1=lambda: tasks[0].stop()))
        h.cooperate("B", 2)
        h.cooperate("C", 2)
        box = outcome(tasks[0].whenDone())
        h.tick()
        assert failureType(box) is task.TaskStopped
        assert h.steps() == ["A0", "B0", "C0", "A1", "C1", "B1", "C!", "B!"]

    def test_stopsItselfAndEnds(self, coopImpl: Any) -> None:
        """
        A step that stops its own task and then ends it: the task, already
        removed, is removed again, and the tick raises L{ValueError} (from
        C{list.remove}) without rescheduling; the task now counts as done.
        """
        h = Harness(coopImpl, 100)
        tasks: list[Any] = []

        def stopAndEnd() -> None:
            tasks[0].stop()
            raise StopIteration

        tasks.append(h.cooperate("A", 3, s1=stopAndEnd))
        b = h.cooperate("B", 3)
        box = outcome(tasks[0].whenDone())
        with pytest.raises(ValueError):
            h.tick()
        assert h.steps() == ["A0", "B0", "A1"]
        assert failureType(box) is task.TaskStopped
        with pytest.raises(task.TaskDone):
            tasks[0].stop()
        assert h.coop._tasks == [b]
        assert h.coop._delayedCall is None and h.pending() == []

    def test_stopsCooperatorAndEnds(self, coopImpl: Any) -> None:
        """
        A step that stops the cooperator and then ends its task: the tick
        raises L{ValueError} too.
        """
        h = Harness(coopImpl, 100)

        def stopAndEnd() -> None:
            h.coop.stop()
            raise StopIteration

        box = outcome(h.cooperate("A", 3, s0=stopAndEnd).whenDone())
        with pytest.raises(ValueError):
            h.tick()
        assert failureType(box) is task.SchedulerStopped

    def test_stopsItselfAndYieldsDeferred(self, coopImpl: Any) -> None:
        """
        A step that stops its own task and yields a L{Deferred}: pausing the
        finished task raises L{task.TaskStopped} out of the tick.
        """
        h = Harness(coopImpl, 100)
        tasks: list[Any] = []

        def stopAndDefer() -> Deferred[None]:
            tasks[0].stop()
            return Deferred()

        tasks.append(h.cooperate("A", 3, s0=stopAndDefer))
        outcome(tasks[0].whenDone())
        with pytest.raises(task.TaskStopped):
            h.tick()
        assert tasks[0]._pauseCount == 0

    def test_pausesItselfAndYieldsDeferred(self, coopImpl: Any) -> None:
        """
        A step that pauses its own task and yields a L{Deferred}: the task
        needs both the L{Deferred} and a C{resume}.
        """
        h = Harness(coopImpl, 100)
        tasks: list[Any] = []
        d: Deferred[None] = Deferred()

        def pauseAndDefer() -> Deferred[None]:
            tasks[0].pause()
            return d

        tasks.append(h.cooperate("A", 2, s0=pauseAndDefer))
        h.tick()
        assert tasks[0]._pauseCount == 2
        d.callback(None)
        assert tasks[0]._pauseCount == 1
        tasks[0].resume()
        h.tick()
        assert h.steps() == ["A0", "A1", "A!"]

    def test_predicateRaises(self, coopImpl: Any) -> None:
        """
        An exception from the termination predicate leaves the tick without
        rescheduling.
        """
        h = Harness(coopImpl)

        def predicate() -> bool:
            raise Boom()

        h.coop = coopImpl.Cooperator(lambda: predicate, h.schedule)
        h.cooperate("A")
        with pytest.raises(Boom):
            h.tick()
        assert h.steps() == ["A0"]
        assert h.coop._delayedCall is None and h.pending() == []


# --- the global cooperator -------------------------------------------------------------------


class TestGlobal:
    """
    The module-level C{cooperate} and C{coiterate}, and C{_theCooperator}.
    """

    def test_theCooperator(self, coopImpl: Any) -> None:
        """
        The module defining C{cooperate} has a running C{_theCooperator} of
        the implementation's class.
        """
        coop = moduleOf(coopImpl)._theCooperator
        assert isinstance(coop, coopImpl.Cooperator)
        assert coop.running is True

    def test_usesTheCooperatorAtCallTime(
        self, coopImpl: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        C{cooperate} and C{coiterate} add to whatever C{_theCooperator} is
        when they are called.
        """
        h = Harness(coopImpl, 100)
        monkeypatch.setattr(moduleOf(coopImpl), "_theCooperator", h.coop)
        t = coopImpl.cooperate(h.worker("A", 1))
        assert isinstance(t, coopImpl.CooperativeTask)
        worker = h.worker("B", 1)
        d = coopImpl.coiterate(worker)
        assert [x._iterator.label for x in h.coop._tasks] == ["A", "B"]
        box = outcome(d)
        h.tick()
        assert h.steps() == ["A0", "B0", "A!", "B!"]
        assert box == [worker]

    def test_globalOnReactor(self, coopImpl: Any, fakeReactor: Any, fakeTime: FakeTime) -> None:
        """
        The real global cooperator schedules on the reactor, C{_EPSILON}
        ahead, and runs tasks there.
        """
        coop = moduleOf(coopImpl)._theCooperator
        assert coop._tasks == [] and coop._delayedCall is None
        log: list[str] = []
        t = coopImpl.cooperate(Worker("A", log, 2))
        assert coop._tasks == [t]
        box = outcome(coopImpl.coiterate(Worker("B", log, 1)))
        assert [call.getTime() for call in fakeReactor.getDelayedCalls()] == [EPSILON]
        fakeReactor.advance(EPSILON)
        assert log == ["A0", "B0", "A1", "B!", "A!"]
        assert len(box) == 1
        assert coop._tasks == [] and coop._delayedCall is None


# --- leaks ----------------------------------------------------------------------------------------


class TestLeaks:
    """
    Finished, stopped and failed tasks and their iterators are collected.
    """

    @pytest.mark.parametrize(
        "end", ["done", "stopped", "failed", "deferredFailed", "cooperatorStopped"]
    )
    def test_endedTaskCollected(self, coopImpl: Any, end: str) -> None:
        """
        Once a task has ended, and nothing else refers to it, it and its
        iterator are collected; the cooperator keeps nothing of it.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[None] = Deferred()

        def fail() -> None:
            raise Boom()

        actions = {"failed": {0: fail}, "deferredFailed": {0: lambda: d}}.get(end, {})
        worker = Worker("A", h.log, 2, actions)
        t = h.coop.cooperate(worker)
        box = outcome(t.whenDone())
        if end in ("done", "failed", "deferredFailed"):
            h.tick()
        if end == "deferredFailed":
            d.errback(Boom())
        elif end == "stopped":
            t.stop()
        elif end == "cooperatorStopped":
            h.coop.stop()
        assert len(box) == 1
        refs = [weakref.ref(t), weakref.ref(worker)]
        del t, worker, box, actions, d
        assert collected(*refs)
        assert h.coop._tasks == [] and h.pending() == []

    def test_droppedWhileWaiting(self, coopImpl: Any) -> None:
        """
        A task waiting on a L{Deferred} that never fires is collected with
        its cooperator and the L{Deferred} once they are all dropped.
        """
        h = Harness(coopImpl, 100)
        d: Deferred[None] = Deferred()
        worker = h.worker("A", 2, s0=lambda: d)
        t = h.coop.cooperate(worker)
        h.tick()
        refs = [weakref.ref(x) for x in (t, worker, h.coop, d)]
        del t, worker, d, h
        assert collected(*refs)

    def test_droppedCooperatorCollected(self, coopImpl: Any) -> None:
        """
        A cooperator with pending tasks and a scheduled tick is collected
        with its clock, and its tasks with it.
        """
        h = Harness(coopImpl, 1)
        worker = h.worker("A", 5)
        t = h.coop.cooperate(worker)
        h.tick()
        refs = [weakref.ref(x) for x in (t, worker, h.coop, h.clock)]
        del t, worker, h
        assert collected(*refs)

    def test_runningTaskKeptAlive(self, coopImpl: Any) -> None:
        """
        The cooperator keeps the tasks it runs alive: a task nobody else
        refers to runs to its end.
        """
        h = Harness(coopImpl, 100)
        ended: list[Any] = []
        h.coop.cooperate(h.worker("A", 2)).whenDone().addCallback(ended.append)
        gc.collect()
        h.tick()
        assert h.steps() == ["A0", "A1", "A!"]
        assert len(ended) == 1

    def test_refcountsFlat(self, coopImpl: Any) -> None:
        """
        Running many tasks leaves the reference counts of what they yielded
        and of the finished iterators as they were.
        """
        h = Harness(coopImpl, 1000)
        value = object()
        workers = [Worker("A", [], 50, {i: lambda: value for i in range(50)}) for _ in range(20)]
        before = sys.getrefcount(value), [sys.getrefcount(w) for w in workers]
        for w in workers:
            t = h.coop.cooperate(w)
            t.whenDone().addCallback(lambda result: None)
        del t, w
        for _ in range(3):
            h.tick()
        gc.collect()
        assert all(w.position == 50 for w in workers)
        after = sys.getrefcount(value), [sys.getrefcount(w) for w in workers]
        assert after == before


# --- differential tests ---------------------------------------------------------------------------

# A program: (ks, scheduler mode, started, operations).  Tasks follow scripts:
# a script is a tuple of steps, a step a tuple (operations, outcome); the
# operations run during the step, then the outcome says what C{next} does.


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """
    A strategy drawing from one of the given strategies, chosen with the
    given integer weights (C{one_of} ignores repeated alternatives).
    """
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(table).flatmap(lambda strategy: strategy)


TARGETS = st.integers(0, 9)

OUTCOMES = weighted(
    (8, st.just(("value",))),
    (2, st.tuples(st.just("deferred"), st.sampled_from(["manual", "succeed", "fail"]))),
    (2, st.tuples(st.just("later"), st.sampled_from([0, 0.5, 1, 2]), st.booleans())),
    (1, st.just(("raise",))),
    (1, st.just(("return",))),
)

TASK_OPS = st.sampled_from(["pause", "pause", "resume", "resume", "stop", "whenDone"])

#: During a step, a task op may target the running task itself.
STEP_TARGETS = st.one_of(TARGETS, st.just("self"))


def stepOps(depth: int) -> st.SearchStrategy[tuple[Any, ...]]:
    """
    A strategy for an operation run during a step (stopping the cooperator
    is rare: it ends most of the program).
    """
    choices = [
        (6, st.tuples(TASK_OPS, STEP_TARGETS)),
        (1, st.tuples(st.just("fire"), TARGETS, st.booleans())),
        (1, st.just(("stopCoop",))),
        (1, st.just(("start",))),
    ]
    if depth == 0:
        choices.append((2, st.tuples(st.just("cooperate"), scripts(1))))
    return weighted(*choices)


def scripts(depth: int) -> st.SearchStrategy[tuple[Any, ...]]:
    """
    A strategy for a task's script: its steps, each a tuple of operations
    (mostly none) and an outcome.
    """
    ops = weighted(
        (3, st.just(())),
        (1, st.lists(stepOps(depth), min_size=1, max_size=2).map(tuple)),
    )
    return st.lists(st.tuples(ops, OUTCOMES), max_size=8 if depth == 0 else 2).map(tuple)


TOP_OPS = weighted(
    (5, st.tuples(st.just("cooperate"), scripts(0))),
    (2, st.tuples(st.just("coiterate"), scripts(0), st.booleans())),
    (6, st.tuples(st.just("advance"), st.sampled_from([0, 0.5, 1, 1, 2]))),
    (6, st.tuples(TASK_OPS, TARGETS)),
    (2, st.tuples(st.just("fire"), TARGETS, st.booleans())),
    (2, st.just(("pump",))),
    (1, st.just(("stopCoop",))),
    (1, st.just(("start",))),
    (1, st.just(("tick",))),
)

PROGRAMS = st.tuples(
    st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    st.sampled_from(["clock1", "clock0", "none"]),
    st.sampled_from([True, True, False]),
    st.lists(TOP_OPS, min_size=3, max_size=25).map(tuple),
)

#: Appended to every program, so that most of what it started ends.
DRAIN: tuple[tuple[Any, ...], ...] = (
    ("start",),
    ("fire", 0, True),
    ("pump",),
    ("advance", 1),
) * 4


class Script:
    """
    A task's iterator in a differential program.
    """

    def __init__(self, runner: Runner, label: int, steps: tuple[Any, ...]) -> None:
        self.runner = runner
        self.label = label
        self.steps = steps
        self.position = 0

    def __iter__(self) -> Script:
        return self

    def __next__(self) -> Any:
        return self.runner.step(self)


class Runner:
    """
    Runs a program on one cooperator class (on a Twisted clock) and records
    everything observable.
    """

    def __init__(self, impl: Any, program: tuple[Any, ...]) -> None:
        ks, mode, started, self.program = program
        self.impl = impl
        self.ks = ks
        self.mode = mode
        self.clock = _compat.TwistedClock()
        self.ticks = 0
        self.thunks: list[Callable[[], None]] = []
        self.trace: list[Any] = []
        self.tasks: list[tuple[int, Any]] = []
        self.byLabel: dict[int, Any] = {}
        self.current: list[int] = []
        self.manual: list[tuple[str, Deferred[Any]]] = []
        self.yielded: list[tuple[str, Deferred[Any]]] = []
        self.finalized: set[str] = set()
        self.labels = 0
        self.completed: set[int] = set()
        self.stopSkipped = False
        self.coop = impl.Cooperator(self.factory, self.schedule, started)

    # the cooperator's collaborators

    def factory(self) -> Callable[[], bool]:
        """
        The termination predicate factory: C{ks[i]} steps in tick C{i}.
        """
        k = self.ks[self.ticks % len(self.ks)]
        self.ticks += 1
        self.trace.append(("tick", self.clock.seconds(), k))
        count = 0

        def predicate() -> bool:
            nonlocal count
            count += 1
            self.trace.append(("pred", count))
            return count >= k

        return predicate

    def schedule(self, f: Callable[[], None]) -> Any:
        """
        The scheduler: on the clock, 0 or 1 second ahead, or into a list
        (returning C{None}).
        """
        self.trace.append(("schedule", self.clock.seconds(), f == self.coop._tick))
        if self.mode == "none":
            self.thunks.append(f)
            return None
        return self.clock.callLater(0 if self.mode == "clock0" else 1, f)

    def step(self, script: Script) -> Any:
        """
        One call of a script's C{next}.
        """
        index = script.position
        self.trace.append(("step", script.label, index, self.clock.seconds()))
        if index >= len(script.steps):
            raise StopIteration
        script.position += 1
        ops, result = script.steps[index]
        self.current.append(script.label)
        try:
            for op in ops:
                self.run(op)
        finally:
            self.current.pop()
        name = f"{script.label}.{index}"
        kind = result[0]
        if kind == "value":
            return ("value", name)
        if kind == "return":
            raise StopIteration
        if kind == "raise":
            raise Boom(name)
        d: Deferred[Any]
        if kind == "deferred":
            if result[1] == "manual":
                d = Deferred()
                self.manual.append((name, d))
            elif result[1] == "succeed":
                d = defer.succeed(("result", name))
            else:
                d = defer.fail(Boom(name))
        else:
            _, delay, ok = result
            d = Deferred()
            self.clock.callLater(delay, self.fire, name, d, ok)
        self.yielded.append((name, d))
        return d

    def fire(self, name: str, d: Deferred[Any], ok: bool) -> None:
        """
        Fire a yielded L{Deferred}.
        """
        self.trace.append(("fire", name, ok))
        if ok:
            d.callback(("result", name))
        else:
            d.errback(Boom(name))

    # recording

    def describe(self, result: Any) -> Any:
        """
        A comparable description of a L{Deferred}'s result.
        """
        if isinstance(result, Failure):
            value = result.value
            return ("failure", type(value).__name__, value.args if isinstance(value, Boom) else ())
        if isinstance(result, Script):
            return ("iterator", result.label)
        return ("value", result)

    def recorder(self, kind: str, label: Any, primary: bool = False) -> Callable[[Any], None]:
        """
        A callback recording a result (and consuming a failure).
        """

        def record(result: Any) -> None:
            if primary:
                self.completed.add(label)
            self.trace.append((kind, label, self.describe(result)))

        return record

    def finalize(self) -> None:
        """
        Record the final result of each yielded L{Deferred} that has fired.
        """
        for name, d in self.yielded:
            if d.called and name not in self.finalized:
                self.finalized.add(name)
                d.addBoth(self.recorder("final", name))

    def state(self) -> list[Any]:
        """
        Everything observable about the cooperator, its tasks and the clock.
        """
        coop = self.coop
        call = coop._delayedCall
        delayed = None if call is None else (call.getTime(), call.active())
        return [
            [t._iterator.label for t in coop._tasks],
            delayed,
            coop.running,
            sorted(
                (c.getTime(), "tick" if c.func == coop._tick else "fire")
                for c in self.clock.getDelayedCalls()
            ),
            len(self.thunks),
            [(label, t._pauseCount) for label, t in self.tasks],
        ]

    # operations

    def newScript(self, steps: tuple[Any, ...]) -> Script:
        """
        A script iterator with a fresh label.
        """
        self.labels += 1
        return Script(self, self.labels, steps)

    def stopCooperator(self) -> None:
        """
        Stop the cooperator, noting whether it left a running task without
        completing it (Twisted's skipping).
        """
        before = [t._iterator.label for t in self.coop._tasks]
        self.trace.append(("stopCoop",))
        self.coop.stop()
        if any(label not in self.completed for label in before):
            self.stopSkipped = True

    def dispatch(self, op: tuple[Any, ...]) -> None:
        """
        Run one operation.
        """
        kind = op[0]
        coop = self.coop
        if kind == "cooperate":
            script = self.newScript(op[1])
            t = coop.cooperate(script)
            self.trace.append(("cooperate", script.label))
            self.tasks.append((script.label, t))
            self.byLabel[script.label] = t
            t.whenDone().addBoth(self.recorder("done", script.label, True))
        elif kind == "coiterate":
            script = self.newScript(op[1])
            if op[2]:
                given: Deferred[Any] = Deferred()
                d = coop.coiterate(script, given)
                self.trace.append(("coiterate", script.label, d is given))
            else:
                d = coop.coiterate(script)
                self.trace.append(("coiterate", script.label, type(d) is Deferred))
            d.addBoth(self.recorder("done", script.label, True))
        elif kind in ("pause", "resume", "stop", "whenDone"):
            if op[1] == "self":
                label = self.current[-1]
                t = self.byLabel.get(label)
            elif self.tasks:
                label, t = self.tasks[op[1] % len(self.tasks)]
            else:
                t = None
            if t is not None:
                self.trace.append((kind, label))
                if kind == "whenDone":
                    t.whenDone().addBoth(self.recorder("whenDone", label))
                else:
                    getattr(t, kind)()
        elif kind == "stopCoop":
            self.stopCooperator()
        elif kind == "start":
            self.trace.append(("start",))
            coop.start()
        elif kind == "fire":
            unfired = [(name, d) for name, d in self.manual if not d.called]
            if unfired:
                name, d = unfired[op[1] % len(unfired)]
                self.fire(name, d, op[2])
        elif kind == "advance":
            self.trace.append(("advance", op[1]))
            self.clock.advance(op[1])
        elif kind == "pump":
            self.trace.append(("pump", len(self.thunks)))
            for _ in range(len(self.thunks)):
                self.thunks.pop(0)()
        elif kind == "tick":
            self.trace.append(("_tick",))
            coop._tick()
        else:  # pragma: no cover
            raise AssertionError(op)

    def run(self, op: tuple[Any, ...]) -> None:
        """
        Run one operation, recording an exception it raises.
        """
        try:
            self.dispatch(op)
        except Exception as e:
            self.trace.append(("raised", op[0], type(e).__name__))

    def runProgram(self) -> list[Any]:
        """
        Run every top-level operation and the drain; return, for each, what
        it did and the state after it.
        """
        records = []
        for op in self.program + DRAIN:
            start = len(self.trace)
            self.run(op)
            self.finalize()
            records.append([self.trace[start:], self.state()])
        return records


DIFFERENTIAL = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


class TestDifferential:
    """
    Random programs do the same on Twisted's cooperator and on the
    implementation under test.
    """

    @DIFFERENTIAL
    @given(program=PROGRAMS)
    def test_sameAsTwisted(self, coopImpl: Any, twistedImpl: Any, program: Any) -> None:
        """
        Step for step: the same calls of C{next} at the same clock times, the
        same ticks, predicate calls and scheduler calls, the same results of
        C{whenDone}, C{coiterate} and the yielded L{Deferred}s, the same
        exceptions from every operation, and the same C{_tasks},
        C{_delayedCall}, C{running}, C{_pauseCount}s and pending calls after
        each operation.  Programs in which Twisted's C{Cooperator.stop} skips
        a task are left out (the C version may fix that).
        """
        reference = Runner(twistedImpl, program)
        expected = reference.runProgram()
        assume(not reference.stopSkipped)
        candidate = Runner(coopImpl, program)
        actual = candidate.runProgram()
        note(f"program: {program!r}")
        ops = program[3] + DRAIN
        for index, (want, got) in enumerate(zip(expected, actual)):
            assert got == want, f"operation {index}: {ops[index]!r}"
        assert len(actual) == len(expected)

    @DIFFERENTIAL
    @given(program=PROGRAMS)
    def test_deterministic(self, coopImpl: Any, program: Any) -> None:
        """
        Running a program twice on the same implementation records the same
        (the comparison above is only meaningful if this holds).
        """
        assert Runner(coopImpl, program).runProgram() == Runner(coopImpl, program).runProgram()

    def test_runnerSeesSkipping(self, twistedImpl: Any) -> None:
        """
        The runner does notice Twisted's C{stop} skipping a task, so the
        filtering is real; and a program without it is kept.
        """
        two = ((), ("value",)), ((), ("value",))
        ops = (("cooperate", two), ("cooperate", two), ("stopCoop",))
        skipping = Runner(twistedImpl, ((1,), "clock1", True, ops))
        skipping.runProgram()
        assert skipping.stopSkipped
        single = Runner(twistedImpl, ((1,), "clock1", True, (("cooperate", two), ("stopCoop",))))
        single.runProgram()
        assert not single.stopSkipped
        assert ("done", 1, ("failure", "SchedulerStopped", ())) in single.trace

    def test_runnerTracesRoundRobin(self, twistedImpl: Any) -> None:
        """
        The runner's trace shows the steps in Twisted's order, with a task
        finishing mid-round making the next one wait.
        """
        one = (((), ("value",)),)
        three = one * 3
        runner = Runner(
            twistedImpl,
            (
                (100,),
                "clock1",
                True,
                (("cooperate", one), ("cooperate", three), ("cooperate", three), ("advance", 1)),
            ),
        )
        runner.runProgram()
        steps = [(entry[1], entry[2]) for entry in runner.trace if entry[0] == "step"]
        assert steps == [
            (1, 0), (2, 0), (3, 0), (1, 1), (3, 1), (2, 1), (3, 2), (2, 2), (3, 3), (2, 3)
        ]
