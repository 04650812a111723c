# Type stub for the C extension twisted_fast._speedups (src/*.c).
#
# Checked against the built extension by tests/test_typing.py
# (python -m mypy.stubtest twisted_fast._speedups).  The names and signatures
# are Twisted's (twisted.internet.base.DelayedCall, twisted.internet.task.Clock
# and friends); use twisted_fast and twisted_fast.task, not this module.

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from typing_extensions import disjoint_base
from zope.interface import implementer

#: 1 in a debug build (TWISTED_FAST_DEBUG=1: -O0 -g3, live-object counters), else 0.
DEBUG_BUILD: int
#: 1 unless built with TWISTED_FAST_NO_STATS=1 (timer statistics left out).
STATS_BUILD: int
#: Bytes of timer statistics per owner (C Clock or TimerQueue).
STATS_BYTES: int

@disjoint_base
@implementer(IDelayedCall)
class DelayedCall:
    """
    A call scheduled to run at a given time; see
    L{twisted.internet.interfaces.IDelayedCall}.
    """

    debug: bool
    func: Callable[..., Any]
    args: Sequence[object]
    kw: dict[str, object]
    time: float
    delayed_time: float
    called: int
    cancelled: int
    seconds: Callable[[], float]
    # None on a call made by a fast Clock (its heap does their job).
    canceller: Callable[[DelayedCall], None] | None
    resetter: Callable[[DelayedCall], None] | None
    creator: Sequence[str] | None
    _repr: str | None
    def __init__(
        self,
        time: float,
        func: Callable[..., Any],
        args: Sequence[object],
        kw: dict[str, object],
        cancel: Callable[[DelayedCall], None],
        reset: Callable[[DelayedCall], None],
        seconds: Callable[[], float] = ...,
    ) -> None: ...
    def getTime(self) -> float: ...
    def cancel(self) -> None: ...
    def reset(self, secondsFromNow: float) -> None: ...
    def delay(self, secondsLater: float) -> None: ...
    def activate_delay(self) -> None: ...
    def active(self) -> bool: ...
    # Ordered by time, as Twisted's (which defines __lt__ and __le__ only;
    # a > b works there too, through b.__lt__).
    def __lt__(self, other: DelayedCall, /) -> bool: ...
    def __le__(self, other: DelayedCall, /) -> bool: ...
    def __gt__(self, other: DelayedCall, /) -> bool: ...
    def __ge__(self, other: DelayedCall, /) -> bool: ...
    def __hash__(self) -> int: ...

@disjoint_base
@implementer(IReactorTime)
class Clock:
    """
    Provide a deterministic, easily-controlled implementation of
    L{IReactorTime.callLater}, as L{twisted.internet.task.Clock} does.
    """

    rightNow: float
    # Reads as a new sorted list; assigning a list of this clock's pending
    # calls replaces them.
    calls: list[DelayedCall]
    def __init__(self) -> None: ...
    def seconds(self) -> float: ...
    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object, **kw: object
    ) -> DelayedCall: ...
    def advance(self, amount: float) -> None: ...
    def pump(self, timings: Iterable[float]) -> None: ...
    def getDelayedCalls(self) -> list[DelayedCall]: ...

@disjoint_base
class TimerQueue:
    """
    The timed calls of a reactor on a C timer heap; see
    L{twisted_fast.reactor}.
    """

    def __new__(cls, reactor: Any) -> TimerQueue: ...
    @property
    def pending(self) -> list[DelayedCall]: ...
    @property
    def new(self) -> list[DelayedCall]: ...
    @property
    def reactor(self) -> Any: ...
    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object, **kw: object
    ) -> DelayedCall: ...
    def getDelayedCalls(self) -> list[DelayedCall]: ...
    def timeout(self) -> float | None: ...
    def runTimedCalls(self) -> None: ...

class ReactorTimeMethods:
    """
    C{callLater}, C{getDelayedCalls} and C{timeout} of a fast reactor,
    forwarded to its L{TimerQueue} (C{_timers}).
    """

    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object, **kw: object
    ) -> DelayedCall: ...
    def getDelayedCalls(self) -> list[DelayedCall]: ...
    def timeout(self) -> float | None: ...
    # A data descriptor: reads as ReactorBase's staticmethod(runtimeSeconds);
    # assigning it on an instance replaces the reactor's time.
    seconds: Callable[[], float]

# The per-tick and per-step halves below have no fields but an instance
# __dict__ and __weakref__ of their own.  From CPython 3.12 on those count as
# instance layout: two of them cannot be bases of one class (on 3.11 they can).
if sys.version_info >= (3, 12):
    @disjoint_base
    class LoopingCallTick:
        """
        The per-tick half of C{LoopingCall}; use L{twisted_fast.task.LoopingCall}.
        """

        def __call__(self) -> None: ...
        def _scheduleFrom(self, when: float) -> None: ...

    @disjoint_base
    class CooperatorTick:
        """
        The per-tick half of C{Cooperator}; use L{twisted_fast.task.Cooperator}.
        """

        def _tick(self) -> None: ...

    @disjoint_base
    class CooperativeTaskStep:
        """
        The per-step half of C{CooperativeTask}; use
        L{twisted_fast.task.CooperativeTask}.
        """

        def _oneWorkUnit(self) -> None: ...

else:
    class LoopingCallTick:
        """
        The per-tick half of C{LoopingCall}; use L{twisted_fast.task.LoopingCall}.
        """

        def __call__(self) -> None: ...
        def _scheduleFrom(self, when: float) -> None: ...

    class CooperatorTick:
        """
        The per-tick half of C{Cooperator}; use L{twisted_fast.task.Cooperator}.
        """

        def _tick(self) -> None: ...

    class CooperativeTaskStep:
        """
        The per-step half of C{CooperativeTask}; use
        L{twisted_fast.task.CooperativeTask}.
        """

        def _oneWorkUnit(self) -> None: ...

# Helpers for twisted_fast itself and its tests.
def _check_heap(owner: Clock | TimerQueue, /) -> int: ...
def _split_heap_at(owner: Clock | TimerQueue, size: int, /) -> int: ...
def _heap_shape(owner: Clock | TimerQueue, /) -> tuple[int, int, int]: ...
def _live_counts() -> dict[str, int] | None: ...
def _gc_callback(phase: str, info: dict[str, int]) -> None: ...
def _register_loopingcall_class(cls: type, /) -> None: ...
def _register_task_class(cls: type, /) -> None: ...

# Timer health (src/stats.c); use twisted_fast.timerStats() and friends.
def _timer_stats(
    owner: Clock | TimerQueue, /
) -> tuple[
    int, int, int, int, float, float, tuple[int, ...], int, int, int, int, float
]: ...
def _reset_timer_stats(owner: Clock | TimerQueue, /) -> None: ...
def _stats_bounds() -> tuple[float, ...]: ...
def _watch_slow_calls(
    threshold: float | None,
    hook: Callable[[str, object, float, float | None, list[str] | None], object]
    | None = None,
    /,
) -> None: ...
def _count_skipped(loop: object, due: float, /) -> None: ...
def _set_monotonic(clock: Callable[[], float] | None, /) -> None: ...
def _set_stats_bucket(owner: Clock | TimerQueue, index: int, count: int, /) -> None: ...
