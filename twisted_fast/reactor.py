"""
The fast reactor: Twisted's own reactors with their timed calls on a C heap.

Each class here is a Twisted reactor class (epoll, poll, select) with a
mixin listed first that hands C{callLater}, C{getDelayedCalls}, C{timeout}
and the timed-call pass of C{runUntilCurrent} to a C C{TimerQueue}, while
every line of I/O code stays Twisted's.  The queue is an attribute, not a C
base class, so that a fast reactor keeps the instance layout of Twisted's
reactors (Twisted's C{ReactorBuilder} swaps C{__class__} between them).
A second mixin (L{twisted_fast._flush}) sends connected sockets' buffered
writes just before the poll instead of registering them for writability.

Use L{install} as you would C{twisted.internet.epollreactor.install}, run
C{python -m twisted.trial --reactor=fast} or C{twistd --reactor=fast}, or call
L{twisted_fast.install} before anything imports the reactor.

In fallback mode (see L{twisted_fast.ACCELERATED}) the names are Twisted's own
reactor classes and L{install} installs Twisted's default reactor, and says
so: in the log (C{twistd} shows it beside its own C{reactor class:} line),
and with a L{twisted_fast.TwistedFastWarning} giving the reason unless
C{TWISTED_FAST_NO_EXTENSIONS} asked for the fallback.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import base, epollreactor, pollreactor, selectreactor
from twisted.internet.main import installReactor
from twisted.logger import Logger
from twisted.python import log as legacyLog
from twisted.python.reflect import qual
from twisted.python.runtime import platform

from twisted_fast import _compat
from twisted_fast._flush import FlushBeforeEPoll, FlushBeforePoll, FlushBeforeSelect

__all__ = [
    "FastEPollReactor",
    "FastPollReactor",
    "FastSelectReactor",
    "defaultReactorClass",
    "install",
    "isFastReactor",
]

# Twisted's own logging of failures in runUntilCurrent, which changed in
# Twisted 24: a Logger.failureHandler, or log.err() in older releases.
_threadCallHandler = getattr(base, "_threadCallHandler", None)
_timedCallHandler = getattr(base, "_DEFAULT_DELAYED_CALL_LOGGING_HANDLER", None)


def _creatorText(creator: Any) -> str:
    """
    The creation stack of a call, formatted as Twisted's runUntilCurrent does.
    """
    return "".join(creator).rstrip().replace("\n", "\n C:")


class _FastTimedCalls:
    """
    Give the reactor a C C{TimerQueue}; keep the rest of C{runUntilCurrent},
    and log a timed call's failure exactly as Twisted does.  C{callLater},
    C{getDelayedCalls} and C{timeout} come from the C base
    C{ReactorTimeMethods}, listed next.
    """

    # ReactorBase's, for type checkers.
    _justStopped: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._timers = _compat.TimerQueue(self)
        super().__init__(*args, **kwargs)

    def runUntilCurrent(self) -> None:
        """
        Run calls from threads, then the timed calls due, then shutdown if the
        reactor was just stopped: L{ReactorBase.runUntilCurrent}'s order.
        """
        if self.threadCallQueue:  # type: ignore[attr-defined]
            self._runThreadCalls()
        self._timers.runTimedCalls()
        if self._justStopped:
            self._justStopped = False
            self.fireSystemEvent("shutdown")  # type: ignore[attr-defined]

    def _runThreadCalls(self) -> None:
        """
        The C{callFromThread} part of L{ReactorBase.runUntilCurrent}.
        """
        queue = self.threadCallQueue  # type: ignore[attr-defined]
        count = 0
        total = len(queue)
        for f, a, kw in queue:
            if _threadCallHandler is not None:
                with _threadCallHandler:
                    f(*a, **kw)
            else:
                try:
                    f(*a, **kw)
                except BaseException:
                    legacyLog.err()
            count += 1
            if count == total:
                break
        del queue[:count]
        if queue:
            self.wakeUp()  # type: ignore[attr-defined]

    def _timedCallFailed(self, call: Any, exception: BaseException) -> None:
        """
        Log the failure of a timed call, as Twisted's runUntilCurrent does.

        @param call: the L{DelayedCall} that raised.
        @param exception: what it raised (its traceback attached).
        """
        if _timedCallHandler is None:
            try:
                raise exception
            except BaseException:
                legacyLog.err()
                if call.creator is not None:
                    legacyLog.msg(
                        "\n C: previous exception occurred in a DelayedCall"
                        " created here:\n C:" + _creatorText(call.creator) + "\n"
                    )
            return
        handler = (
            base._log.failuresHandled(
                "while handling timed call {previous()}",
                previous=lambda creator=call.creator: (
                    "\n C: from a DelayedCall created here:\n C:"
                    + _creatorText(creator)
                    + "\n"
                ),
            )
            if call.creator
            else _timedCallHandler
        )
        with handler:
            raise exception

    # ReactorBase's private lists, for the code that reads them; its
    # __init__ assigns [] and 0, which is all an assignment may do.

    @property
    def _pendingTimedCalls(self) -> list[Any]:
        return self._timers.pending

    @_pendingTimedCalls.setter
    def _pendingTimedCalls(self, value: list[Any]) -> None:
        _onlyEmpty("_pendingTimedCalls", value)

    @property
    def _newTimedCalls(self) -> list[Any]:
        return self._timers.new

    @_newTimedCalls.setter
    def _newTimedCalls(self, value: list[Any]) -> None:
        _onlyEmpty("_newTimedCalls", value)

    @property
    def _cancellations(self) -> int:
        """
        Always 0: cancelled calls leave the C heap at once.
        """
        return 0

    @_cancellations.setter
    def _cancellations(self, value: int) -> None:
        if value != 0:
            raise AttributeError("cancelled calls leave the C heap at once")


def _onlyEmpty(name: str, value: object) -> None:
    if value != []:
        raise AttributeError(
            f"{name}: the timed calls of a twisted-fast reactor live in its C"
            " timer heap; use callLater() and cancel()"
        )


def _fast(reactorClass: type, flush: type) -> type:
    """
    Make the fast variant of one of Twisted's reactor classes: C{callLater},
    C{getDelayedCalls} and C{timeout} come from the C base
    C{ReactorTimeMethods}, the rest of the timed-call machinery from
    L{_FastTimedCalls}.  The Python mixin comes first so that it is the
    class's layout base: the C base has no fields, and the fast reactor keeps
    the layout of Twisted's (Twisted's ReactorBuilder swaps C{__class__}).
    C{flush} is the flush-before-poll mixin for the reactor's poll method
    (L{twisted_fast._flush}).
    """
    name = "Fast" + reactorClass.__name__
    return type(
        name,
        (_FastTimedCalls, _compat.speedups.ReactorTimeMethods, flush, reactorClass),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"L{{{reactorClass.__module__}.{reactorClass.__name__}}} "
            "with its timed calls on a C heap.",
        },
    )


if _compat.ACCELERATED:
    FastEPollReactor: type = _fast(epollreactor.EPollReactor, FlushBeforeEPoll)
    FastPollReactor: type = _fast(pollreactor.PollReactor, FlushBeforePoll)
    FastSelectReactor: type = _fast(selectreactor.SelectReactor, FlushBeforeSelect)
else:
    FastEPollReactor = epollreactor.EPollReactor
    FastPollReactor = pollreactor.PollReactor
    FastSelectReactor = selectreactor.SelectReactor


def defaultReactorClass() -> type:
    """
    The fast variant of the reactor Twisted picks by default here
    (L{twisted.internet.default}): epoll on Linux, poll on other POSIX
    systems but macOS, select elsewhere.
    """
    if platform.isLinux() and hasattr(epollreactor, "EPollReactor"):
        return FastEPollReactor
    if platform.getType() == "posix" and not platform.isMacOSX():
        return FastPollReactor
    return FastSelectReactor


def isFastReactor(reactor: object) -> bool:
    """
    @return: whether C{reactor}'s timed calls run on the C heap.
    """
    return _compat.ACCELERATED and isinstance(reactor, _FastTimedCalls)


_log = Logger()


def install() -> Any:
    """
    Install the fast variant of the platform's default reactor as the global
    reactor, as C{twisted.internet.epollreactor.install} does, and log which
    reactor it is.  In fallback mode that is Twisted's own reactor: the log
    says why, and so does a L{twisted_fast.TwistedFastWarning} unless
    C{TWISTED_FAST_NO_EXTENSIONS} asked for the fallback.

    @raise twisted.internet.error.ReactorAlreadyInstalledError: if a reactor
        is installed already.
    @return: the reactor.
    """
    from twisted_fast import __version__
    from twisted_fast._install import warnIfFallback

    reactor = defaultReactorClass()()
    installReactor(reactor)
    name = qual(type(reactor))
    if _compat.ACCELERATED:
        _log.info(
            "twisted-fast {version}: reactor {reactor}, timed calls on a C heap",
            version=__version__,
            reactor=name,
        )
        return reactor
    # Emitted before logging starts (twistd installs the reactor first), the
    # event waits in the log beginner's buffer and goes to the log with the
    # rest.
    (_log.info if _compat.FALLBACK_REQUESTED else _log.warn)(
        "twisted-fast {version} in fallback mode ({reason}): reactor {reactor},"
        " Twisted's own, timed calls in Python",
        version=__version__,
        reason=_compat.FALLBACK_REASON,
        reactor=name,
    )
    warnIfFallback(f"installed Twisted's own {name}, timed calls in Python", stacklevel=2)
    return reactor
