"""
Fixtures and helpers for C{tests/test_reactor.py}: fresh reactors of each
implementation, a settable clock, log capture and a bounded C{run()}.

The implementations are paired like C{conftest}'s C{impl}:

  - C{c}: the fast reactors of L{twisted_fast.reactor} (skipped, with
    C{conftest}'s reason, when the C extension is not in use or
    C{--no-c-extensions} is given);
  - C{twisted}: Twisted's own C{EPollReactor}, C{PollReactor} and
    C{SelectReactor}, which define the behaviour the fast ones must reproduce.

Each is further parametrised over the I/O flavour (C{epoll}, C{poll},
C{select}), so a test id reads C{[c-epoll]}, C{[twisted-select]}, ...

Every reactor is built fresh for its test and never installed as the global
reactor (this process may have one already); L{unbuildReactor} closes what it
opened (the waker's pipe, the epoll object, any connection a test left) so
that no L{ResourceWarning} is raised.  For the fast reactors, the fixtures
also check the C timer heap's invariants at teardown.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from twisted.internet import base, epollreactor, pollreactor, selectreactor
from twisted.logger import globalLogPublisher

from conftest import cSkipReason
from twisted_fast import _compat

#: The I/O flavours: each is a Twisted reactor class with a fast twin.
FLAVOURS = ("epoll", "poll", "select")

TWISTED_CLASSES: dict[str, type] = {
    "epoll": epollreactor.EPollReactor,
    "poll": pollreactor.PollReactor,
    "select": selectreactor.SelectReactor,
}


@dataclass(frozen=True)
class ReactorImplementation:
    """
    One implementation of the reactors.

    @ivar name: C{"c"} or C{"twisted"}.
    @ivar classes: the reactor class of each flavour.
    @ivar DelayedCall: the class of the calls its C{callLater} makes (the one
        whose C{debug} class attribute turns on creator stacks).
    """

    name: str
    classes: dict[str, type]
    DelayedCall: Any

    @property
    def isC(self) -> bool:
        """
        Whether this is the fast reactor (the C extension).
        """
        return self.name == "c"


TWISTED_REACTORS = ReactorImplementation(
    "twisted", TWISTED_CLASSES, _compat.TwistedDelayedCall
)


def fastImplementation(config: pytest.Config) -> ReactorImplementation:
    """
    The fast reactors, or skip the calling test with C{conftest}'s reason.
    """
    reason = cSkipReason(config)
    if reason is not None:
        pytest.skip(reason)
    from twisted_fast import reactor as fast

    assert fast.FastEPollReactor is not epollreactor.EPollReactor
    return ReactorImplementation(
        "c",
        {
            "epoll": fast.FastEPollReactor,
            "poll": fast.FastPollReactor,
            "select": fast.FastSelectReactor,
        },
        _compat.DelayedCall,
    )


# --- fixtures --------------------------------------------------------------------


@pytest.fixture(scope="session", params=["c", "twisted"])
def reactorImpl(request: pytest.FixtureRequest) -> ReactorImplementation:
    """
    Each implementation in turn: C{c} (the fast reactors) and C{twisted}.
    """
    if request.param == "c":
        return fastImplementation(request.config)
    return TWISTED_REACTORS


@pytest.fixture(scope="session", params=["c"])
def cReactorImpl(request: pytest.FixtureRequest) -> ReactorImplementation:
    """
    The fast reactors alone, for their deliberate differences from Twisted's.
    """
    return fastImplementation(request.config)


@pytest.fixture(scope="session")
def twistedReactorImpl() -> ReactorImplementation:
    """
    Twisted's own reactors, to show how they differ from the fast ones.
    """
    return TWISTED_REACTORS


@pytest.fixture(scope="session", params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    """
    Each I/O flavour in turn: C{epoll}, C{poll}, C{select}.
    """
    return str(request.param)


@pytest.fixture
def buildReactor(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[type], Any]]:
    """
    A factory of fresh reactors; each is checked (C heap) and torn down at the
    end of the test.

    Twisted's C{ReactorBase.callLater} makes C{base.DelayedCall}s; it is set
    to Twisted's own class for the test, in case something in this process
    left L{twisted_fast.install}'s replacement in place.
    """
    monkeypatch.setattr(base, "DelayedCall", _compat.TwistedDelayedCall)
    built: list[Any] = []

    def build(reactorClass: type) -> Any:
        reactor = reactorClass()
        built.append(reactor)
        return reactor

    yield build
    problems = []
    for reactor in built:
        bad = heapProblem(reactor)
        if bad is not None:
            problems.append(bad)
        unbuildReactor(reactor)
    assert not problems, problems


@pytest.fixture
def reactorClass(reactorImpl: ReactorImplementation, flavour: str) -> type:
    """
    The reactor class of this implementation and flavour.
    """
    return reactorImpl.classes[flavour]


@pytest.fixture
def twistedClass(flavour: str) -> type:
    """
    Twisted's own reactor class of this flavour: the reference for
    differential tests.
    """
    return TWISTED_CLASSES[flavour]


@pytest.fixture
def reactor(reactorClass: type, buildReactor: Callable[[type], Any]) -> Any:
    """
    A fresh reactor of this implementation and flavour (not installed).
    """
    return buildReactor(reactorClass)


# --- reactors ---------------------------------------------------------------------


def unbuildReactor(reactor: Any) -> None:
    """
    Release what a reactor holds, as Twisted's C{ReactorBuilder.unbuildReactor}
    does (twisted/internet/test/reactormixins.py), and close its epoll object.
    """
    if getattr(reactor, "threadpool", None) is not None:
        reactor._stopThreadPool()
    reactor._uninstallHandler()
    for reader in list(reactor._internalReaders):
        reactor.removeReader(reader)
        reader.connectionLost(None)
    reactor._internalReaders.clear()
    reactor.disconnectAll()
    for call in reactor.getDelayedCalls():
        call.cancel()
    poller = getattr(reactor, "_poller", None)
    if hasattr(poller, "close"):
        poller.close()


def isFast(reactor: Any) -> bool:
    """
    Whether C{reactor} keeps its timed calls on the C heap.
    """
    if not _compat.ACCELERATED:
        return False
    from twisted_fast.reactor import isFastReactor

    return isFastReactor(reactor)


def heapProblem(reactor: Any) -> str | None:
    """
    C{None} if C{reactor} is not a fast one or its C heaps are sound, else a
    description of the first bad entry.
    """
    if not isFast(reactor):
        return None
    assert _compat.speedups is not None
    index = _compat.speedups._check_heap(reactor._timers)
    if index == -1:
        return None
    return f"{type(reactor).__name__}: bad heap entry at index {index}"


def assertHeapSound(reactor: Any) -> None:
    """
    On a fast reactor, C{_check_heap(reactor._timers) == -1}; nothing to
    check on Twisted's.
    """
    problem = heapProblem(reactor)
    assert problem is None, problem


class FakeTime:
    """
    A clock to replace a reactor's C{seconds} with, as Twisted's own tests do
    (C{reactor.seconds = lambda: 100}).

    @ivar now: the time it tells.
    """

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, amount: float) -> None:
        """
        Move the clock on by C{amount} seconds.
        """
        self.now += amount


def useFakeTime(reactor: Any, now: float = 100.0) -> FakeTime:
    """
    Replace C{reactor.seconds} on the instance with a L{FakeTime}.
    """
    clock = FakeTime(now)
    reactor.seconds = clock
    return clock


def runReactor(reactor: Any, timeout: float = 5.0) -> float:
    """
    Run C{reactor} until something stops it, with a safety stop after
    C{timeout} seconds (which fails the test).

    @return: how long it ran, in seconds.
    """
    timedOut: list[bool] = []

    def safety() -> None:
        timedOut.append(True)
        reactor.stop()

    safetyCall = reactor.callLater(timeout, safety)
    start = time.monotonic()
    reactor.run(installSignalHandlers=False)
    elapsed = time.monotonic() - start
    if safetyCall.active():
        safetyCall.cancel()
    assert not timedOut, f"the reactor was still running after {timeout}s"
    return elapsed


def spin(reactor: Any, done: Callable[[], bool], timeout: float = 2.0) -> None:
    """
    Iterate C{reactor} (without running it) until C{done()}.
    """
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not done after {timeout}s"
        reactor.iterate(0.005)


# --- logs --------------------------------------------------------------------------


@contextlib.contextmanager
def capturedEvents() -> Iterator[list[dict[str, Any]]]:
    """
    Collect every event sent to Twisted's global log publisher meanwhile.
    """
    events: list[dict[str, Any]] = []
    observer = events.append
    globalLogPublisher.addObserver(observer)
    try:
        yield events
    finally:
        globalLogPublisher.removeObserver(observer)


def failureEvents(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """
    The events that log a failure: C{log_failure} from Twisted's logger, or
    C{failure} from the legacy C{log.err()} that Twisted before 24 used in
    C{runUntilCurrent}.
    """
    return [event for event in events if "log_failure" in event or "failure" in event]


#: Does this Twisted log a timed call's failure with Logger.failureHandler
#: ("while handling timed call", Twisted 24 and later)?  Before, it used
#: log.err(), and a second log.msg() for the creator stack.
NEW_TIMED_CALL_LOGGING = hasattr(
    __import__("twisted.internet.base").internet.base,
    "_DEFAULT_DELAYED_CALL_LOGGING_HANDLER",
)

#: Skip a test that pins the failure logging of Twisted 24 and later.
newTimedCallLogging = __import__("pytest").mark.skipif(
    not NEW_TIMED_CALL_LOGGING,
    reason="pins the timed-call failure logging of Twisted >= 24; this Twisted"
    " uses log.err() (covered by test_sameFailureEventsAsTwisted)",
)
