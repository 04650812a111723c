"""
The Python half of a LoopingCall tick (C{src/loopingcall.c} runs the rest).

These are Twisted's own C{cb} and C{eb} from C{LoopingCall.__call__}, for the
ticks the C code does not finish itself: when C{f} raised, or returned a
L{Deferred}, a L{Failure} or a coroutine, everything goes through
L{maybeDeferred} exactly as in Twisted.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, fail, maybeDeferred
from twisted.python.failure import Failure


def tickCallback(loop: Any, result: object, due: float | None = None) -> None:
    """
    Twisted's C{cb}: schedule the next call, or fire the L{Deferred} that
    C{start} returned if the loop was stopped meanwhile.

    @param due: when the tick was due, if its own timed call ran it: the
        intervals skipped until the next tick are counted on the owner of
        the next tick's call (L{twisted_fast.timerStats}).
    """
    if loop.running:
        loop._scheduleFrom(loop.clock.seconds())
        if due is not None:
            from twisted_fast._speedups import _count_skipped

            _count_skipped(loop, due)
    else:
        d, loop._deferred = loop._deferred, None
        assert d is not None
        d.callback(loop)


def tickErrback(loop: Any, failure: Failure | BaseException) -> None:
    """
    Twisted's C{eb}: the loop stops and the L{Deferred} that C{start}
    returned fails.
    """
    if not isinstance(failure, Failure):
        failure = Failure(failure, type(failure), failure.__traceback__)
    loop.running = False
    d, loop._deferred = loop._deferred, None
    assert d is not None
    d.errback(failure)


def _follow(loop: Any, d: Deferred[object], due: float | None = None) -> None:
    d.addCallback(lambda result: tickCallback(loop, result, due))
    d.addErrback(lambda failure: tickErrback(loop, failure))


def tickResult(loop: Any, result: object, due: float | None = None) -> None:
    """
    C{f} returned a L{Deferred}, a L{Failure} or a coroutine: the rest of the
    tick as C{maybeDeferred} and Twisted's C{__call__} do it.

    @param due: see L{tickCallback}.
    """
    _follow(loop, maybeDeferred(lambda: result), due)


def tickRaised(loop: Any, exception: BaseException) -> None:
    """
    C{f} raised: the rest of the tick as C{maybeDeferred} and Twisted's
    C{__call__} do it.
    """
    failure = Failure(
        exception,
        type(exception),
        exception.__traceback__,
        captureVars=Deferred.debug,
    )
    _follow(loop, fail(failure))


#: For the C tick's check of what C{maybeDeferred} would wrap as it is.
DEFERRED_OR_FAILURE = (Deferred, Failure)
