"""
Timer health: is my reactor late?

The C timer heaps of the fast reactors and of L{twisted_fast.task.Clock}
count every timed call they run, always, for a few nanoseconds each (see
C{src/stats.h}): L{timerStats} reads those counts as a L{TimerStats}
snapshot, L{resetTimerStats} starts a new window.

In fallback mode (L{twisted_fast.ACCELERATED} is C{False}) and for reactors
and clocks that are not twisted-fast's, there is nothing to read: the
functions raise L{StatsUnavailable} rather than make numbers up.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from twisted.logger import Logger

from twisted_fast import _compat

__all__ = [
    "StatsUnavailable",
    "TimerStats",
    "resetTimerStats",
    "timerStats",
]

#: The logger of L{watchSlowCalls} and L{watchStalls}.
log = Logger(namespace="twisted_fast.health")


class StatsUnavailable(RuntimeError):
    """
    There are no timer statistics for what was asked: twisted-fast runs in
    fallback mode, or the reactor or clock is not one of twisted-fast's.
    """


@dataclass(frozen=True)
class TimerStats:
    """
    A snapshot of the timer statistics of one fast reactor or C C{Clock},
    since it was created or since L{resetTimerStats}.

    Times are in seconds, measured in the owner's own time for lateness (a
    L{Clock} advanced past a due time counts it as late) and in real time
    for C{busy}.

    @ivar scheduled: timed calls scheduled (C{callLater}).
    @ivar fired: timed calls run.
    @ivar cancelled: pending timed calls cancelled.
    @ivar reset: C{reset()} and C{delay()} calls on pending timed calls.
    @ivar maxLateness: the largest lateness of a call run: when its pass
        found it due (the reactor's C{runUntilCurrent} reads the clock once
        per pass; a C{Clock} reads C{seconds()} before each call) minus when
        it was due (C{getTime()}); 0.0 when none ran.
    @ivar busy: real time spent running timed calls: from the first call to
        the end of the last of each pass that ran any.
    @ivar buckets: the lateness histogram: C{(upperBoundSeconds, count)} for
        every bucket, in order; a bucket holds the lateness above the
        previous bound (from 0 for the first) and at most its own bound, as
        Prometheus' C{le}; the last bound is C{inf}.  Bounds: 2**-20 s
        (about 0.95 us), then 1.25, 1.5, 1.75 and 2 times each power of two
        up to 2**7 s (128 s): 110 buckets.
    @ivar loopingCallTicks: C{LoopingCall} ticks run by their timed call on
        this owner (the first tick of C{start(now=True)} runs from
        C{start()} and is not counted).
    @ivar skippedIntervals: intervals in which a C{LoopingCall} running on
        this owner did not tick because a tick ran late or long.
    @ivar workUnits: C{Cooperator} work units run inside timed calls of
        this owner (the default scheduler's C{reactor.callLater}).
    @ivar slowCalls: timed calls, ticks and work units on this owner that
        L{watchSlowCalls} reported.
    @ivar totalLateness: the sum of the lateness of the calls run.
    """

    scheduled: int
    fired: int
    cancelled: int
    reset: int
    maxLateness: float
    busy: float
    buckets: tuple[tuple[float, int], ...]
    loopingCallTicks: int = 0
    skippedIntervals: int = 0
    workUnits: int = 0
    slowCalls: int = 0
    totalLateness: float = 0.0

    def percentile(self, q: float) -> float:
        """
        Estimate the lateness below which C{q} percent of the calls ran.

        The true value is the nearest-rank percentile (the C{k}-th smallest
        lateness, C{k = ceil(q / 100 * fired)}, at least 1); the estimate is
        in the same bucket, interpolated linearly by rank inside it, and
        never above L{maxLateness}: within one bucket's width of the true
        value (25% of it at most, below 128 s).  Above the last bound it is
        L{maxLateness}.

        @param q: the percentile, from 0 (the smallest) to 100 (the largest).
        @return: seconds; C{nan} when no call ran (no lateness to speak of).
        @raise ValueError: if C{q} is not between 0 and 100 (or is NaN).
        """
        if not 0 <= q <= 100:
            raise ValueError(f"the percentile must be between 0 and 100, not {q!r}")
        total = sum(count for _, count in self.buckets)
        if total == 0:
            return math.nan
        rank = max(1, math.ceil(Fraction(q) * total / 100))
        seen = 0
        lower = 0.0
        for upper, count in self.buckets:
            if count and seen + count >= rank:
                if math.isinf(upper):
                    return self.maxLateness
                estimate = lower + (upper - lower) * (rank - seen) / count
                return max(lower, min(estimate, self.maxLateness))
            seen += count
            lower = upper
        return self.maxLateness  # counts changed under us: cannot happen


def _speedups() -> Any:
    """
    The C extension, or raise L{StatsUnavailable} saying why there is none.
    """
    speedups = _compat.speedups
    if speedups is None:
        raise StatsUnavailable(
            "twisted-fast runs in fallback mode (twisted_fast.ACCELERATED is"
            " False: TWISTED_FAST_NO_EXTENSIONS is set or the C extension is"
            " not built), on Twisted's own timer classes, which keep no"
            " statistics"
        )
    if not speedups.STATS_BUILD:
        raise StatsUnavailable(
            "twisted_fast._speedups was built without timer statistics"
            " (TWISTED_FAST_NO_STATS=1)"
        )
    return speedups


def _owner(owner: object) -> Any:
    """
    The C timer owner (a C{Clock} or a reactor's C{TimerQueue}) that holds
    the statistics of C{owner}.

    @param owner: a fast reactor, a C C{Clock} (or subclass), a
        C{TimerQueue}, or C{None} for the global reactor.
    @raise StatsUnavailable: if there is none.
    """
    speedups = _speedups()
    what = "the global reactor"
    if owner is None:
        # Reading twisted.internet.reactor would install the default reactor
        # when none is installed yet: look without touching.
        owner = sys.modules.get("twisted.internet.reactor")
        if owner is None:
            raise StatsUnavailable(
                "no reactor is installed yet (timerStats() reads the global"
                " reactor and does not install one: install one first, for"
                " example with twisted_fast.install())"
            )
    else:
        what = repr(owner)
    if isinstance(owner, (speedups.Clock, speedups.TimerQueue)):
        return owner
    if isinstance(owner, speedups.ReactorTimeMethods):
        queue = getattr(owner, "__dict__", {}).get("_timers")
        if isinstance(queue, speedups.TimerQueue):
            return queue
    raise StatsUnavailable(
        f"{what} is not a twisted-fast reactor or Clock"
        f" ({type(owner).__module__}.{type(owner).__qualname__}): Twisted's own"
        " reactors and task.Clock keep no timer statistics (twisted_fast.install()"
        " before anything imports twisted.internet.reactor installs the fast one)"
    )


def timerStats(owner: object = None) -> TimerStats:
    """
    Read the timer statistics of a fast reactor or a C C{Clock}.

    @param owner: the reactor or clock; C{None} (the default) for the global
        reactor, which must be installed already.
    @return: a snapshot; later activity does not change it.
    @raise StatsUnavailable: in fallback mode, when no reactor is installed
        (C{owner} C{None}), or for a reactor or clock that is not
        twisted-fast's.
    """
    speedups = _speedups()
    raw = speedups._timer_stats(_owner(owner))
    (
        scheduled,
        fired,
        cancelled,
        reset,
        maxLateness,
        busy,
        counts,
        ticks,
        skipped,
        units,
        slow,
        totalLateness,
    ) = raw
    return TimerStats(
        scheduled=scheduled,
        fired=fired,
        cancelled=cancelled,
        reset=reset,
        maxLateness=maxLateness,
        busy=busy,
        buckets=tuple(zip(_bounds(), counts)),
        loopingCallTicks=ticks,
        skippedIntervals=skipped,
        workUnits=units,
        slowCalls=slow,
        totalLateness=totalLateness,
    )


def resetTimerStats(owner: object = None) -> None:
    """
    Set the timer statistics of a fast reactor or a C C{Clock} back to zero:
    the next L{timerStats} covers what happens from now on.

    @param owner: as for L{timerStats}.
    @raise StatsUnavailable: as L{timerStats} does.
    """
    _speedups()._reset_timer_stats(_owner(owner))


@functools.lru_cache(maxsize=1)
def _bounds() -> tuple[float, ...]:
    speedups = _speedups()
    return tuple(speedups._stats_bounds())
