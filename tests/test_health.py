"""
Tests for timer health (L{twisted_fast.health}, C{src/stats.c}): the counters
and the lateness histogram of the fast reactors and C clocks, their snapshot
(L{TimerStats}), the slow-call watch and the stall watch.

Lateness is made deterministic with a C{Clock} advanced past due times, and
with a fast reactor whose C{seconds} is replaced on the instance (as
Twisted's own tests do).  The histogram is checked against a plain Python
model over random workloads (hypothesis).  The C-only tests take C{cimpl}
(skipped in fallback mode, with the reason); L{TestFallback} checks what the
API says in fallback mode, in a child process.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import os
import subprocess
import sys
import textwrap
import time
from fractions import Fraction
from typing import Any, Callable

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import twisted_fast
from reactorhelpers import (  # the fixtures are used by name
    FakeTime,
    buildReactor,  # noqa: F401
    cReactorImpl,  # noqa: F401
)
from twisted.internet import defer, task
from twisted_fast import _compat
from twisted_fast.health import StatsUnavailable, TimerStats

#: The histogram's bounds, computed here independently of the C code:
#: 2**-20, then 1, 1.25, 1.5, 1.75 times each power of two up to 2**7.
BOUNDS: tuple[float, ...] = (
    (2.0**-20,)
    + tuple(
        2.0**exponent * (1 + quarter / 4)
        for exponent in range(-20, 7)
        for quarter in range(1, 5)
    )
    + (math.inf,)
)


def modelBucket(lateness: float) -> int:
    """
    The bucket of a lateness in the model: the first whose bound is at
    least the lateness (a bucket holds what is above the previous bound and
    at most its own, as Prometheus' C{le}).
    """
    return bisect.bisect_left(BOUNDS, lateness)


def modelStats(latenesses: list[float]) -> list[int]:
    """
    The model's bucket counts for these latenesses.
    """
    counts = [0] * len(BOUNDS)
    for lateness in latenesses:
        counts[modelBucket(lateness)] += 1
    return counts


def trueWidth(value: float) -> float:
    """
    The width of the model bucket that holds C{value}.
    """
    index = modelBucket(value)
    lower = 0.0 if index == 0 else BOUNDS[index - 1]
    return BOUNDS[index] - lower


def nearestRank(latenesses: list[float], q: float) -> float:
    """
    The nearest-rank percentile: the C{ceil(q / 100 * n)}-th smallest (at
    least the first).
    """
    ordered = sorted(latenesses)
    rank = max(1, math.ceil(Fraction(q) * len(ordered) / 100))
    return ordered[rank - 1]


def statsFromLatenesses(latenesses: list[float]) -> TimerStats:
    """
    A L{TimerStats} built from the model alone (no C code).
    """
    return TimerStats(
        scheduled=len(latenesses),
        fired=len(latenesses),
        cancelled=0,
        reset=0,
        maxLateness=max(latenesses, default=0.0),
        busy=0.0,
        buckets=tuple(zip(BOUNDS, modelStats(latenesses))),
        totalLateness=math.fsum(latenesses),
    )


def nothing() -> None:
    """
    A timed call that does nothing.
    """


@pytest.fixture
def fastReactor(cReactorImpl: Any, buildReactor: Callable[[type], Any]) -> Any:
    """
    A fresh fast epoll reactor (not installed).
    """
    return buildReactor(cReactorImpl.classes["epoll"])


# --- the snapshot ---------------------------------------------------------------------


class TestTimerStats:
    """
    L{TimerStats}, built from the model: its percentiles.
    """

    def test_emptyPercentile(self) -> None:
        """
        With no call run there is no lateness to speak of: C{nan}.
        """
        stats = statsFromLatenesses([])
        assert math.isnan(stats.percentile(50))
        assert math.isnan(stats.percentile(0))

    @pytest.mark.parametrize("q", [-0.001, 100.5, math.nan, -math.inf, math.inf])
    def test_percentileOutOfRange(self, q: float) -> None:
        """
        A percentile outside [0, 100], or NaN, raises L{ValueError}.
        """
        with pytest.raises(ValueError, match="between 0 and 100"):
            statsFromLatenesses([0.5]).percentile(q)

    def test_immutable(self) -> None:
        """
        A snapshot cannot be changed.
        """
        stats = statsFromLatenesses([0.5])
        with pytest.raises(dataclasses.FrozenInstanceError):
            stats.fired = 3  # type: ignore[misc]

    def test_reprShowsFilledBucketsOnly(self) -> None:
        """
        The repr names every counter and lists only the buckets that hold
        calls, by upper bound: a log line, not 110 pairs.
        """
        stats = statsFromLatenesses([0.001, 0.5, 0.5])
        text = repr(stats)
        assert text.startswith("TimerStats(scheduled=3, fired=3, cancelled=0, reset=0,")
        assert "maxLateness=0.5" in text and "totalLateness=1.001" in text
        assert "buckets={0.00122: 1, 0.5: 2}" in text
        assert "inf" not in text

    def test_percentileExamples(self) -> None:
        """
        The largest and the smallest come back exactly when they are alone
        in their bucket's top (the maximum) or bound; a median in a bucket
        of its own is interpolated inside that bucket.
        """
        stats = statsFromLatenesses([0.001, 0.5, 3.0])
        assert stats.percentile(100) == 3.0
        assert 0.4375 <= stats.percentile(50) <= 0.5
        assert 2.0**-10 <= stats.percentile(0) <= 1.25 * 2.0**-10

    def test_overflowBucket(self) -> None:
        """
        Past the last bound (128 s), the estimate is the largest lateness.
        """
        stats = statsFromLatenesses([1.0, 500.0, 1000.0])
        assert stats.percentile(100) == 1000.0
        assert stats.percentile(60) == 1000.0

    @given(
        latenesses=st.lists(
            st.one_of(
                st.floats(min_value=0, max_value=1e-5),
                st.floats(min_value=0, max_value=200),
                st.sampled_from([0.0, 2.0**-20, 1.25, 128.0, 1e6]),
            ),
            min_size=1,
            max_size=200,
        ),
        q=st.one_of(st.floats(min_value=0, max_value=100), st.sampled_from([0, 50, 99, 100])),
    )
    def test_percentileWithinOneBucket(self, latenesses: list[float], q: float) -> None:
        """
        The estimate is within one bucket's width of the nearest-rank
        percentile, and never above the largest lateness.
        """
        stats = statsFromLatenesses(latenesses)
        estimate = stats.percentile(q)
        true = nearestRank(latenesses, q)
        note(f"estimate {estimate!r}, true {true!r}")
        assert estimate <= stats.maxLateness
        if true > BOUNDS[-2]:
            assert estimate == stats.maxLateness
        else:
            assert abs(estimate - true) <= trueWidth(true)


# --- counters and histogram in C --------------------------------------------------------


class TestClock:
    """
    The statistics of a C C{Clock}: lateness in its own (fake) time.
    """

    def test_freshClock(self, cimpl: Any) -> None:
        """
        A new clock has counted nothing.
        """
        stats = twisted_fast.timerStats(cimpl.Clock())
        assert (stats.scheduled, stats.fired, stats.cancelled, stats.reset) == (0, 0, 0, 0)
        assert stats.maxLateness == 0.0
        assert stats.busy == 0.0
        assert [bound for bound, _ in stats.buckets] == list(BOUNDS)
        assert all(count == 0 for _, count in stats.buckets)

    def test_bounds(self, cimpl: Any) -> None:
        """
        The C bounds are the model's, exactly, and the snapshot lists them all.
        """
        assert _compat.speedups is not None
        assert _compat.speedups._stats_bounds() == BOUNDS
        assert len(BOUNDS) == 110

    def test_latenessAdvancedPastDueTimes(self, cimpl: Any) -> None:
        """
        A clock advanced past due times counts each call's lateness: the
        clock's time at the pop minus the call's due time.
        """
        clock = cimpl.Clock()
        for delay in (1.0, 2.0, 3.0):
            clock.callLater(delay, nothing)
        clock.advance(2.5)
        clock.advance(1.0)
        stats = twisted_fast.timerStats(clock)
        assert stats.scheduled == 3
        assert stats.fired == 3
        assert stats.maxLateness == 1.5
        assert stats.totalLateness == 2.5
        assert [(bound, count) for bound, count in stats.buckets if count] == [
            (0.5, 2),
            (1.5, 1),
        ]

    def test_onTime(self, cimpl: Any) -> None:
        """
        A call run exactly at its due time is 0 late: the first bucket.
        """
        clock = cimpl.Clock()
        clock.callLater(1.0, nothing)
        clock.advance(1.0)
        stats = twisted_fast.timerStats(clock)
        assert stats.buckets[0] == (BOUNDS[0], 1)
        assert stats.maxLateness == 0.0
        assert stats.percentile(100) == 0.0

    def test_cancelledResetDelayed(self, cimpl: Any) -> None:
        """
        C{cancel()} of a pending call counts as cancelled, C{reset()} and
        C{delay()} as reset; the lateness of a moved call is measured from its
        new due time (C{getTime()}).
        """
        clock = cimpl.Clock()
        calls = [clock.callLater(delay, nothing) for delay in (1.0, 2.0, 3.0)]
        calls[0].cancel()
        calls[1].reset(5.0)
        calls[2].delay(1.0)
        assert calls[2].getTime() == 4.0
        clock.advance(4.5)
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.cancelled, stats.reset, stats.fired) == (3, 1, 2, 1)
        assert stats.maxLateness == 0.5
        clock.advance(1.0)
        assert twisted_fast.timerStats(clock).maxLateness == 0.5
        assert twisted_fast.timerStats(clock).fired == 2

    def test_doneCallsNotCounted(self, cimpl: Any) -> None:
        """
        What raises (cancelling a cancelled or called call, resetting it)
        counts nothing; neither does a standalone DelayedCall, which has no
        owner.
        """
        clock = cimpl.Clock()
        call = clock.callLater(1.0, nothing)
        call.cancel()
        with pytest.raises(Exception):
            call.cancel()
        with pytest.raises(Exception):
            call.reset(1.0)
        standalone = cimpl.DelayedCall(5.0, nothing, (), {}, lambda c: None, lambda c: None)
        standalone.cancel()
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.cancelled, stats.reset) == (1, 1, 0)

    def test_snapshotDoesNotChange(self, cimpl: Any) -> None:
        """
        A snapshot keeps its numbers while the clock goes on.
        """
        clock = cimpl.Clock()
        clock.callLater(1.0, nothing)
        before = twisted_fast.timerStats(clock)
        clock.advance(2.0)
        assert before.fired == 0
        assert twisted_fast.timerStats(clock).fired == 1

    def test_reset(self, cimpl: Any) -> None:
        """
        L{resetTimerStats} starts a new window: everything back to zero.
        """
        clock = cimpl.Clock()
        clock.callLater(1.0, nothing)
        clock.callLater(9.0, nothing).cancel()
        clock.advance(3.0)
        twisted_fast.resetTimerStats(clock)
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.fired, stats.cancelled) == (0, 0, 0)
        assert stats.maxLateness == 0.0
        assert sum(count for _, count in stats.buckets) == 0
        clock.callLater(1.0, nothing)
        clock.advance(1.25)
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.fired, stats.maxLateness) == (1, 1, 0.25)

    def test_busy(self, cimpl: Any) -> None:
        """
        C{busy} is the real time spent in the calls, even on a fake clock;
        a nested C{advance()} of the same clock is not counted twice.
        """
        clock = cimpl.Clock()

        def inner() -> None:
            time.sleep(0.02)

        def outer() -> None:
            time.sleep(0.02)
            clock.callLater(0, inner)
            clock.advance(0)

        clock.callLater(1.0, outer)
        start = time.monotonic()
        clock.advance(1.0)
        elapsed = time.monotonic() - start
        stats = twisted_fast.timerStats(clock)
        assert stats.fired == 2
        assert 0.04 <= stats.busy <= elapsed

    def test_failingCallCounted(self, cimpl: Any) -> None:
        """
        A call that raises has run: it counts as fired, and its exception
        still propagates out of C{advance()}.
        """
        clock = cimpl.Clock()

        def fail() -> None:
            raise ZeroDivisionError()

        clock.callLater(1.0, fail)
        clock.callLater(2.0, nothing)
        with pytest.raises(ZeroDivisionError):
            clock.advance(3.0)
        assert twisted_fast.timerStats(clock).fired == 1
        clock.advance(0)
        assert twisted_fast.timerStats(clock).fired == 2

    def test_subclass(self, cimpl: Any) -> None:
        """
        A subclass of the C clock (as Twisted's C{MemoryReactorClock}) has
        its statistics, in the time its replaced C{seconds()} tells.
        """

        class Subclock(cimpl.Clock):
            now = 10.0

            def seconds(self) -> float:
                return self.now

        clock = Subclock()
        clock.callLater(1.0, nothing)
        clock.now = 12.0
        clock.advance(0)
        stats = twisted_fast.timerStats(clock)
        assert (stats.fired, stats.maxLateness) == (1, 1.0)

    @given(
        program=st.lists(
            st.one_of(
                st.tuples(st.just("call"), st.floats(min_value=0, max_value=300)),
                st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=50)),
                st.tuples(
                    st.just("reset"),
                    st.integers(min_value=0, max_value=50),
                    st.floats(min_value=0, max_value=300),
                ),
                st.tuples(
                    st.just("advance"),
                    st.one_of(
                        st.floats(min_value=0, max_value=1e-4),
                        st.floats(min_value=0, max_value=400),
                    ),
                ),
            ),
            max_size=60,
        )
    )
    def test_againstModel(self, cimpl: Any, program: list[tuple[Any, ...]]) -> None:
        """
        Over random programs of callLater, cancel, reset and advance, the
        counters and the histogram are the model's: each advance runs the
        calls whose C{getTime()} is at most the new time, each as late as
        the difference.
        """
        clock = cimpl.Clock()
        calls: list[Any] = []
        latenesses: list[float] = []
        scheduled = cancelled = reset = 0
        for step in program:
            if step[0] == "call":
                calls.append(clock.callLater(step[1], nothing))
                scheduled += 1
            elif step[0] == "cancel" and calls:
                call = calls[step[1] % len(calls)]
                if call.active():
                    call.cancel()
                    cancelled += 1
            elif step[0] == "reset" and calls:
                call = calls[step[1] % len(calls)]
                if call.active():
                    call.reset(step[2])
                    reset += 1
            elif step[0] == "advance":
                now = clock.seconds() + step[1]
                latenesses += [
                    now - call.getTime()
                    for call in calls
                    if call.active() and call.getTime() <= now
                ]
                clock.advance(step[1])
        stats = twisted_fast.timerStats(clock)
        note(f"latenesses {latenesses}")
        assert (stats.scheduled, stats.cancelled, stats.reset) == (scheduled, cancelled, reset)
        assert stats.fired == len(latenesses)
        assert [count for _, count in stats.buckets] == modelStats(latenesses)
        assert stats.maxLateness == max(latenesses, default=0.0)
        assert math.isclose(stats.totalLateness, math.fsum(latenesses), abs_tol=1e-9)
        for q in (0, 50, 90, 99, 100):
            if latenesses:
                true = nearestRank(latenesses, q)
                estimate = stats.percentile(q)
                if true <= BOUNDS[-2]:
                    assert abs(estimate - true) <= trueWidth(true)

    def test_bytesPerOwner(self, cimpl: Any) -> None:
        """
        The statistics take 544 bytes per owner that schedules anything: 8
        uint64 counters, 3 doubles and 2 pointers inline, and 110 uint32
        buckets allocated apart (no per-timer growth).
        """
        assert _compat.speedups is not None
        assert _compat.speedups.STATS_BYTES == 8 * 8 + 3 * 8 + 2 * 8 + 110 * 4

    def test_histogramAllocatedAtFirstCallLater(self, cimpl: Any) -> None:
        """
        A C{Clock} carries only the inline counters until its first
        C{callLater}: its histogram (440 bytes) comes then, and no more
        memory comes with further calls.  With the 968 bytes of statistics
        that each clock held inline before, a clock took 1208 bytes.
        """
        clock = cimpl.Clock()
        base = type(clock).__basicsize__
        assert clock.__sizeof__() == base
        assert sys.getsizeof(clock) <= 1208 - 968 + 104
        clock.advance(1.0)
        assert clock.__sizeof__() == base
        clock.callLater(1.0, nothing)
        assert clock.__sizeof__() == base + 110 * 4
        for _ in range(100):
            clock.callLater(1.0, nothing)
        clock.advance(2.0)
        assert clock.__sizeof__() == base + 110 * 4
        assert twisted_fast.timerStats(clock).fired == 101

    def test_reactorHistogramAllocatedAtFirstCallLater(self, fastReactor: Any) -> None:
        """
        A fast reactor's C{TimerQueue} allocates its histogram at its first
        C{callLater} too.
        """
        queue = fastReactor._timers
        base = type(queue).__basicsize__
        assert queue.__sizeof__() == base
        fastReactor.callLater(1.0, nothing).cancel()
        assert queue.__sizeof__() == base + 110 * 4

    def test_overflowHighWords(self, cimpl: Any) -> None:
        """
        A bucket counts past 2**32: its low word carries into a high word
        (allocated then, 440 more bytes), and counts up to 2**64 - 1 read
        back exactly.
        """
        assert _compat.speedups is not None
        setBucket = _compat.speedups._set_stats_bucket
        clock = cimpl.Clock()
        base = type(clock).__basicsize__
        clock.callLater(0.5, nothing)
        index = modelBucket(0.5)
        setBucket(clock, index, 2**32 - 1)
        assert clock.__sizeof__() == base + 110 * 4
        clock.advance(0.5)  # on time: lateness 0, bucket 0
        clock.callLater(1.0, nothing)
        clock.advance(1.5)  # 0.5 late: the bucket wraps its low word
        assert clock.__sizeof__() == base + 2 * 110 * 4
        buckets = twisted_fast.timerStats(clock).buckets
        assert buckets[index] == (BOUNDS[index], 2**32)
        assert buckets[0] == (BOUNDS[0], 1)
        setBucket(clock, 1, 2**64 - 1)
        setBucket(clock, 2, 2**40 + 7)
        buckets = twisted_fast.timerStats(clock).buckets
        assert [count for _, count in buckets[:3]] == [1, 2**64 - 1, 2**40 + 7]

    def test_overflowSaturates(self, cimpl: Any) -> None:
        """
        A bucket at 2**64 - 1 stays there: a count never goes back.
        """
        assert _compat.speedups is not None
        clock = cimpl.Clock()
        clock.callLater(0, nothing)
        _compat.speedups._set_stats_bucket(clock, 0, 2**64 - 1)
        clock.advance(0)
        assert twisted_fast.timerStats(clock).buckets[0][1] == 2**64 - 1

    def test_setBucketRefuses(self, cimpl: Any) -> None:
        """
        The test-only setter refuses what is not an owner, a bucket index
        out of range and a count that does not fit 64 bits.
        """
        assert _compat.speedups is not None
        setBucket = _compat.speedups._set_stats_bucket
        clock = cimpl.Clock()
        with pytest.raises(TypeError):
            setBucket(object(), 0, 1)
        with pytest.raises(IndexError):
            setBucket(clock, 110, 1)
        with pytest.raises(IndexError):
            setBucket(clock, -1, 1)
        with pytest.raises(OverflowError):
            setBucket(clock, 0, 2**64)
        with pytest.raises(OverflowError):
            setBucket(clock, 0, -1)

    def test_resetAfterLazyAllocation(self, cimpl: Any) -> None:
        """
        L{resetTimerStats} on a clock whose histogram and high words were
        allocated sets every count back to zero, keeps the histogram (the
        clock schedules calls) and drops the high words; counting goes on.
        """
        assert _compat.speedups is not None
        clock = cimpl.Clock()
        base = type(clock).__basicsize__
        clock.callLater(1.0, nothing)
        clock.advance(1.0)
        _compat.speedups._set_stats_bucket(clock, 5, 2**33 + 1)
        assert clock.__sizeof__() == base + 2 * 110 * 4
        twisted_fast.resetTimerStats(clock)
        assert clock.__sizeof__() == base + 110 * 4
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.fired) == (0, 0)
        assert all(count == 0 for _, count in stats.buckets)
        clock.callLater(1.0, nothing)
        clock.advance(1.25)
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.fired) == (1, 1)
        assert [(bound, count) for bound, count in stats.buckets if count] == [(0.25, 1)]

    def test_resetBeforeAllocation(self, cimpl: Any) -> None:
        """
        L{resetTimerStats} on a clock that never scheduled anything leaves
        it without a histogram, and it reads as all zeros.
        """
        clock = cimpl.Clock()
        twisted_fast.resetTimerStats(clock)
        assert clock.__sizeof__() == type(clock).__basicsize__
        assert all(count == 0 for _, count in twisted_fast.timerStats(clock).buckets)


class TestReactor:
    """
    The statistics of a fast reactor: lateness against the time its pass
    read as now.
    """

    def test_patchedSeconds(self, fastReactor: Any) -> None:
        """
        With C{seconds} replaced on the reactor, each call's lateness is the
        pass's time minus its due time; a call scheduled during the pass
        waits for the next pass.
        """
        clock = FakeTime(100.0)
        fastReactor.seconds = clock

        def reschedule() -> None:
            fastReactor.callLater(0, nothing)

        fastReactor.callLater(1.0, nothing)
        fastReactor.callLater(2.0, reschedule)
        fastReactor.callLater(10.0, nothing).cancel()
        fastReactor.callLater(20.0, nothing).reset(30.0)
        clock.advance(3.0)
        fastReactor.runUntilCurrent()
        stats = twisted_fast.timerStats(fastReactor)
        assert (stats.scheduled, stats.fired, stats.cancelled, stats.reset) == (5, 2, 1, 1)
        assert stats.maxLateness == 2.0
        assert stats.totalLateness == 3.0
        clock.advance(0.5)
        fastReactor.runUntilCurrent()
        stats = twisted_fast.timerStats(fastReactor)
        assert stats.fired == 3
        assert [(bound, count) for bound, count in stats.buckets if count] == [
            (0.5, 1),
            (1.0, 1),
            (2.0, 1),
        ]

    def test_delayedLater(self, fastReactor: Any) -> None:
        """
        A call reset to a later time is due at its new time (Twisted folds
        delayed_time in when the call surfaces).
        """
        clock = FakeTime(100.0)
        fastReactor.seconds = clock
        call = fastReactor.callLater(1.0, nothing)
        fastReactor.runUntilCurrent()
        call.reset(5.0)
        clock.advance(7.0)
        fastReactor.runUntilCurrent()
        stats = twisted_fast.timerStats(fastReactor)
        assert (stats.fired, stats.maxLateness, stats.reset) == (1, 2.0, 1)

    def test_queueAndReactor(self, fastReactor: Any) -> None:
        """
        The reactor and its C{TimerQueue} (C{_timers}) share their statistics.
        """
        fastReactor.callLater(1.0, nothing)
        assert twisted_fast.timerStats(fastReactor._timers).scheduled == 1
        twisted_fast.resetTimerStats(fastReactor._timers)
        assert twisted_fast.timerStats(fastReactor).scheduled == 0

    def test_realTime(self, fastReactor: Any) -> None:
        """
        On the wall clock, a call run by the reactor is a little late, and
        the time spent in it is busy time.
        """
        fastReactor.callLater(0.01, lambda: time.sleep(0.01))
        fastReactor.callLater(0.03, fastReactor.stop)
        fastReactor.run(installSignalHandlers=False)
        stats = twisted_fast.timerStats(fastReactor)
        assert stats.fired == 2
        assert 0.0 <= stats.maxLateness < 1.0
        assert stats.busy >= 0.01

    def test_globalReactor(self, fastReactor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        With no owner, the global reactor (C{twisted.internet.reactor}) is read.
        """
        monkeypatch.setitem(sys.modules, "twisted.internet.reactor", fastReactor)
        fastReactor.callLater(1.0, nothing)
        assert twisted_fast.timerStats().scheduled == 1
        twisted_fast.resetTimerStats()
        assert twisted_fast.timerStats(fastReactor).scheduled == 0

    def test_noGlobalReactor(self, cimpl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        With no reactor installed, L{StatsUnavailable} says so, and none is
        installed.
        """
        monkeypatch.delitem(sys.modules, "twisted.internet.reactor", raising=False)
        with pytest.raises(StatsUnavailable, match="no reactor is installed"):
            twisted_fast.timerStats()
        with pytest.raises(StatsUnavailable, match="no reactor is installed"):
            twisted_fast.resetTimerStats()
        assert "twisted.internet.reactor" not in sys.modules


class TestNotOurs:
    """
    What is not a fast reactor or C clock has no statistics.
    """

    @pytest.mark.parametrize(
        "make",
        [
            lambda: _compat.TwistedClock(),
            lambda: object(),
            lambda: "reactor",
        ],
        ids=["twisted-clock", "object", "str"],
    )
    def test_notOurs(self, cimpl: Any, make: Callable[[], object]) -> None:
        """
        Twisted's own C{Clock} or anything else: L{StatsUnavailable} (a
        L{RuntimeError}), naming the type.
        """
        owner = make()
        with pytest.raises(StatsUnavailable, match="not a twisted-fast reactor or Clock"):
            twisted_fast.timerStats(owner)
        with pytest.raises(RuntimeError):
            twisted_fast.resetTimerStats(owner)

    def test_twistedReactor(
        self, cimpl: Any, buildReactor: Callable[[type], Any]
    ) -> None:
        """
        Twisted's own reactor: L{StatsUnavailable}, naming its class.
        """
        from twisted.internet.epollreactor import EPollReactor

        reactor = buildReactor(EPollReactor)
        with pytest.raises(StatsUnavailable, match="EPollReactor"):
            twisted_fast.timerStats(reactor)

    def test_globalReactorNotOurs(
        self,
        cimpl: Any,
        buildReactor: Callable[[type], Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """
        A global reactor that is Twisted's own: L{StatsUnavailable}.
        """
        from twisted.internet.pollreactor import PollReactor

        monkeypatch.setitem(sys.modules, "twisted.internet.reactor", buildReactor(PollReactor))
        with pytest.raises(StatsUnavailable, match="the global reactor is not"):
            twisted_fast.timerStats()


class TestLoopingCall:
    """
    C{LoopingCall} ticks and the intervals they skip, on the owner whose
    timed call runs them.
    """

    def test_ticks(self, cimpl: Any) -> None:
        """
        Each tick that its timed call runs counts; the first tick of
        C{start(now=True)}, run by C{start()} itself, does not.
        """
        clock = cimpl.Clock()
        loop = cimpl.LoopingCall(nothing)
        loop.clock = clock
        loop.start(1.0, now=True)
        clock.advance(1.0)
        clock.advance(1.0)
        loop.stop()
        stats = twisted_fast.timerStats(clock)
        assert (stats.loopingCallTicks, stats.skippedIntervals) == (2, 0)
        assert stats.scheduled == 3

    def test_skippedIntervals(self, cimpl: Any) -> None:
        """
        A tick run late skips the intervals that passed meanwhile: due at 2,
        run at 4.5, the next is due at 5; 3 and 4 were skipped.
        """
        clock = cimpl.Clock()
        loop = cimpl.LoopingCall(nothing)
        loop.clock = clock
        loop.start(1.0, now=False)
        clock.advance(1.0)
        clock.advance(3.5)
        stats = twisted_fast.timerStats(clock)
        assert (stats.loopingCallTicks, stats.skippedIntervals) == (2, 2)
        assert loop.call.getTime() == 5.0
        loop.stop()

    def test_skippedByALongTick(self, cimpl: Any) -> None:
        """
        A tick that runs long (here: moves the clock on by 2.5 intervals)
        skips the intervals it ran through.
        """
        clock = cimpl.Clock()

        def long() -> None:
            clock.rightNow += 2.5

        loop = cimpl.LoopingCall(long)
        loop.clock = clock
        loop.start(1.0, now=False)
        clock.advance(1.0)
        stats = twisted_fast.timerStats(clock)
        assert (stats.loopingCallTicks, stats.skippedIntervals) == (1, 2)
        loop.stop()

    def test_skippedWaitingOnADeferred(self, cimpl: Any) -> None:
        """
        A tick whose function returns a L{Deferred} schedules the next once
        it fires: the intervals it waited through are skipped.
        """
        clock = cimpl.Clock()
        waiting: list[defer.Deferred[None]] = []

        def wait() -> defer.Deferred[None]:
            waiting.append(defer.Deferred())
            return waiting[-1]

        loop = cimpl.LoopingCall(wait)
        loop.clock = clock
        loop.start(1.0, now=False)
        clock.advance(1.0)
        clock.advance(3.2)
        waiting.pop().callback(None)
        assert loop.call.getTime() == 5.0
        stats = twisted_fast.timerStats(clock)
        assert (stats.loopingCallTicks, stats.skippedIntervals) == (1, 3)
        loop.stop()

    def test_notOurClock(self, cimpl: Any) -> None:
        """
        A loop on Twisted's own C{Clock} counts nowhere (and works).
        """
        clock = _compat.TwistedClock()
        ticks: list[int] = []
        loop = cimpl.LoopingCall(lambda: ticks.append(1))
        loop.clock = clock
        loop.start(1.0)
        clock.advance(3.0)
        assert ticks == [1, 1]
        loop.stop()


class TestCooperator:
    """
    C{Cooperator} work units, on the owner whose timed call runs them.
    """

    def test_workUnits(self, cimpl: Any) -> None:
        """
        Every work unit of a tick that a timed call of the clock runs counts.
        """
        from twisted_fast import task as fastTask

        clock = cimpl.Clock()
        cooperator = fastTask.Cooperator(scheduler=lambda f: clock.callLater(0.5, f))
        done = cooperator.coiterate(iter(range(7)))
        for _ in range(20):
            clock.advance(1.0)
        assert self.successResultOf(done)
        assert twisted_fast.timerStats(clock).workUnits == 8

    def test_schedulerNotOurs(self, cimpl: Any) -> None:
        """
        A scheduler that is not one of our owners: not counted anywhere.
        """
        from twisted_fast import task as fastTask

        ours = cimpl.Clock()
        clock = _compat.TwistedClock()
        cooperator = fastTask.Cooperator(scheduler=lambda f: clock.callLater(0.5, f))
        done = cooperator.coiterate(iter(range(3)))
        for _ in range(10):
            clock.advance(1.0)
        assert self.successResultOf(done)
        assert twisted_fast.timerStats(ours).workUnits == 0

    @staticmethod
    def successResultOf(d: defer.Deferred[Any]) -> Any:
        """
        The result of a L{Deferred} that has fired.
        """
        results: list[Any] = []
        d.addBoth(results.append)
        assert results, "not fired"
        return results[0]


class TestReentrancy:
    """
    Calls that read, reset or change things from inside a pass.
    """

    def test_readAndResetInside(self, cimpl: Any) -> None:
        """
        A call may read and reset the statistics of the clock running it.
        """
        clock = cimpl.Clock()
        seen: list[TimerStats] = []

        def read() -> None:
            seen.append(twisted_fast.timerStats(clock))
            twisted_fast.resetTimerStats(clock)

        clock.callLater(1.0, read)
        clock.callLater(2.0, nothing)
        clock.advance(3.0)
        assert seen[0].fired == 1
        assert seen[0].maxLateness == 2.0
        stats = twisted_fast.timerStats(clock)
        assert (stats.fired, stats.maxLateness) == (1, 1.0)

    def test_scheduleCancelResetInside(self, cimpl: Any) -> None:
        """
        A call that schedules, cancels and resets others of its clock: all
        counted, and each call's lateness is against its own due time.
        """
        clock = cimpl.Clock()
        later = clock.callLater(10.0, nothing)
        moved = clock.callLater(20.0, nothing)

        def meddle() -> None:
            later.cancel()
            moved.reset(0.0)
            clock.callLater(0.0, nothing)

        clock.callLater(1.0, meddle)
        clock.advance(1.5)
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.cancelled, stats.reset, stats.fired) == (4, 1, 1, 3)
        assert stats.maxLateness == 0.5


# --- fallback mode ------------------------------------------------------------------------

#: The repository root, for child processes to import this twisted_fast.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FALLBACK_SCRIPT = textwrap.dedent(
    """
    import twisted_fast
    from twisted_fast import task

    assert not twisted_fast.ACCELERATED
    for function in (twisted_fast.timerStats, twisted_fast.resetTimerStats):
        for owner in (None, task.Clock(), object()):
            try:
                function(owner)
            except twisted_fast.StatsUnavailable as e:
                assert isinstance(e, RuntimeError)
                assert "fallback mode" in str(e), str(e)
            else:
                raise AssertionError(f"{function.__name__}({owner!r}) gave numbers")
    try:
        twisted_fast.watchSlowCalls(0.5)
    except twisted_fast.StatsUnavailable as e:
        assert "fallback mode" in str(e), str(e)
    else:
        raise AssertionError("watchSlowCalls() in fallback mode")
    twisted_fast.unwatchSlowCalls()
    print("ok")
    """
)


class TestFallback:
    """
    In fallback mode there are no statistics, and the API says why.
    """

    def test_fallbackMode(self) -> None:
        """
        With C{TWISTED_FAST_NO_EXTENSIONS=1}, L{twisted_fast.timerStats},
        L{twisted_fast.resetTimerStats} and L{twisted_fast.watchSlowCalls}
        raise L{StatsUnavailable} naming fallback mode, whatever the owner;
        L{twisted_fast.unwatchSlowCalls} does nothing.
        """
        env = dict(os.environ, TWISTED_FAST_NO_EXTENSIONS="1")
        env["PYTHONPATH"] = os.pathsep.join(
            [ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
        result = subprocess.run(
            [sys.executable, "-c", FALLBACK_SCRIPT],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "ok\n"

    def test_thisProcess(self) -> None:
        """
        In this process too: a C{Clock} of L{twisted_fast.task} has
        statistics exactly when the C extension is in use.
        """
        from twisted_fast import task as fastTask

        if _compat.ACCELERATED:
            assert twisted_fast.timerStats(fastTask.Clock()).fired == 0
        else:
            with pytest.raises(StatsUnavailable, match="fallback mode"):
                twisted_fast.timerStats(fastTask.Clock())


# --- slow calls ------------------------------------------------------------------------------


@pytest.fixture
def fakeMonotonic(cimpl: Any) -> Any:
    """
    Replace the monotonic clock that the C code times calls with by a box:
    C{box[0]} is the time; a "slow" call moves it on.
    """
    assert _compat.speedups is not None
    box = [1000.0]
    _compat.speedups._set_monotonic(lambda: box[0])
    yield box
    _compat.speedups._set_monotonic(None)


@pytest.fixture
def unwatch() -> Any:
    """
    Make sure the slow-call watch is off after the test.
    """
    yield
    twisted_fast.unwatchSlowCalls()


def slowEvents(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """
    The events of L{twisted_fast.health}'s slow-call watch.
    """
    from twisted_fast.health import SLOW_CALL_FORMAT

    return [event for event in events if event.get("log_format") == SLOW_CALL_FORMAT]


class SlowThing:
    """
    A class whose method is a slow timed call.
    """

    def __init__(self, box: list[float]) -> None:
        self.box = box

    def work(self, amount: float) -> None:
        """
        Take C{amount} seconds of the fake monotonic time.
        """
        self.box[0] += amount


class TestSlowCalls:
    """
    L{twisted_fast.watchSlowCalls}: what is logged, once, and what is not.
    """

    def test_slowCallLogged(self, fakeMonotonic: list[float], unwatch: None, cimpl: Any) -> None:
        """
        A timed call longer than the threshold is logged once through
        Twisted's logger (namespace C{twisted_fast.health}, level warn) with
        its qualified name, source, duration and lateness; it counts as a
        slow call of its clock.
        """
        from twisted.logger import LogLevel, formatEvent

        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()

        def slow() -> None:
            fakeMonotonic[0] += 0.25

        clock.callLater(1.0, slow)
        clock.callLater(1.0, nothing)
        twisted_fast.watchSlowCalls(0.1)
        with capturedEvents() as events:
            clock.advance(1.5)
        [event] = slowEvents(events)
        assert event["log_namespace"] == "twisted_fast.health"
        assert event["log_level"] == LogLevel.warn
        assert event["kind"] == "timed call"
        assert event["callable"] == f"{__name__}.{slow.__qualname__}"
        assert event["source"] == f"{__file__}:{slow.__code__.co_firstlineno}"
        assert event["duration"] == 0.25
        assert event["lateness"] == 0.5
        assert event["creator"] is None
        assert formatEvent(event) == (
            f"Slow timed call: {event['callable']} ({event['source']}) ran for"
            " 0.250 s, 0.500 s after it was due"
        )
        stats = twisted_fast.timerStats(clock)
        assert (stats.fired, stats.slowCalls) == (2, 1)

    def test_fastCallsNotLogged(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any
    ) -> None:
        """
        Calls within the threshold are not logged, nor is anything once the
        watch is off.
        """
        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()
        thing = SlowThing(fakeMonotonic)
        twisted_fast.watchSlowCalls(0.1)
        clock.callLater(1.0, thing.work, 0.05)
        with capturedEvents() as events:
            clock.advance(1.0)
            twisted_fast.unwatchSlowCalls()
            clock.callLater(1.0, thing.work, 5.0)
            clock.advance(1.0)
        assert slowEvents(events) == []
        assert twisted_fast.timerStats(clock).slowCalls == 0

    def test_creatorInDebugMode(
        self,
        fakeMonotonic: list[float],
        unwatch: None,
        cimpl: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """
        With C{DelayedCall.debug} on, the event carries the stack that
        scheduled the call, and the message shows it.
        """
        from twisted.logger import formatEvent

        from reactorhelpers import capturedEvents

        monkeypatch.setattr(cimpl.DelayedCall, "debug", True)
        clock = cimpl.Clock()
        thing = SlowThing(fakeMonotonic)
        clock.callLater(1.0, thing.work, 1.0)
        twisted_fast.watchSlowCalls(0.5)
        with capturedEvents() as events:
            clock.advance(1.0)
        [event] = slowEvents(events)
        assert isinstance(event["creator"], list)
        assert "test_creatorInDebugMode" in "".join(event["creator"])
        assert "scheduled here:" in formatEvent(event)
        assert "test_creatorInDebugMode" in formatEvent(event)

    def test_boundMethodAndPartial(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any
    ) -> None:
        """
        A bound method, wrapped in C{functools.partial}, is named and located
        by the method's own code.
        """
        import functools

        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()
        thing = SlowThing(fakeMonotonic)
        clock.callLater(1.0, functools.partial(functools.partial(thing.work), 2.0))
        twisted_fast.watchSlowCalls(1.0)
        with capturedEvents() as events:
            clock.advance(1.0)
        [event] = slowEvents(events)
        assert event["callable"] == f"{__name__}.SlowThing.work"
        assert event["source"] == f"{__file__}:{SlowThing.work.__code__.co_firstlineno}"
        assert event["duration"] == 2.0

    def test_noPythonCode(self, fakeMonotonic: list[float], unwatch: None, cimpl: Any) -> None:
        """
        A callable with no Python code (a builtin method) is located by its repr.
        """
        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()
        clock.callLater(1.0, fakeMonotonic.__setitem__, 0, 2000.0)
        twisted_fast.watchSlowCalls(1.0)
        with capturedEvents() as events:
            clock.advance(1.0)
        [event] = slowEvents(events)
        assert event["callable"] == "list.__setitem__"
        assert event["source"].startswith("<method-wrapper '__setitem__' of list")

    def test_loopingCallTick(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any
    ) -> None:
        """
        A slow C{LoopingCall} tick is logged as a tick, under its function's name.
        """
        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()
        thing = SlowThing(fakeMonotonic)
        loop = cimpl.LoopingCall(thing.work, 0.75)
        loop.clock = clock
        loop.start(1.0, now=False)
        twisted_fast.watchSlowCalls(0.5)
        with capturedEvents() as events:
            clock.advance(1.0)
        loop.stop()
        [event] = slowEvents(events)
        assert event["kind"] == "LoopingCall tick"
        assert event["callable"] == f"{__name__}.SlowThing.work"
        assert event["lateness"] == 0.0

    def test_workUnitOnce(self, fakeMonotonic: list[float], unwatch: None, cimpl: Any) -> None:
        """
        A slow work unit is logged as a work unit, named after the task's
        iterator, with the lateness of the tick that ran it; the tick itself
        (a timed call as slow as the unit) is not logged again.
        """
        from reactorhelpers import capturedEvents
        from twisted_fast import task as fastTask

        clock = cimpl.Clock()

        def steps() -> Any:
            yield None
            fakeMonotonic[0] += 3.0
            yield None

        cooperator = fastTask.Cooperator(scheduler=lambda f: clock.callLater(1.0, f))
        cooperator.cooperate(steps())
        twisted_fast.watchSlowCalls(1.0)
        with capturedEvents() as events:
            clock.advance(1.25)
        [event] = slowEvents(events)
        assert event["kind"] == "work unit"
        assert event["callable"] == f"{__name__}.{steps.__qualname__}"
        assert event["source"] == f"{__file__}:{steps.__code__.co_firstlineno}"
        assert event["lateness"] == 0.25
        stats = twisted_fast.timerStats(clock)
        assert stats.slowCalls == 1
        assert stats.workUnits >= 2

    def test_nestedOnce(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any, fastReactor: Any
    ) -> None:
        """
        A reactor call that advances a C{Clock} whose call is slow: the
        clock's call is logged, not the reactor's call around it.
        """
        from reactorhelpers import capturedEvents

        fastReactor.seconds = FakeTime(100.0)
        clock = cimpl.Clock()
        thing = SlowThing(fakeMonotonic)
        clock.callLater(1.0, thing.work, 2.0)
        fastReactor.callLater(0, clock.advance, 1.0)
        twisted_fast.watchSlowCalls(1.0)
        with capturedEvents() as events:
            fastReactor.runUntilCurrent()
        [event] = slowEvents(events)
        assert event["callable"] == f"{__name__}.SlowThing.work"
        assert twisted_fast.timerStats(clock).slowCalls == 1
        assert twisted_fast.timerStats(fastReactor).slowCalls == 0

    def test_raisingSlowCallOnClock(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any
    ) -> None:
        """
        A slow call that raises is logged, and its exception still leaves
        C{advance()}.
        """
        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()

        def fail() -> None:
            fakeMonotonic[0] += 1.0
            raise ZeroDivisionError("slow and wrong")

        clock.callLater(1.0, fail)
        twisted_fast.watchSlowCalls(0.5)
        with capturedEvents() as events:
            with pytest.raises(ZeroDivisionError, match="slow and wrong"):
                clock.advance(1.0)
        assert len(slowEvents(events)) == 1

    def test_raisingSlowCallOnReactor(
        self, fakeMonotonic: list[float], unwatch: None, fastReactor: Any
    ) -> None:
        """
        On the reactor, a slow call that raises is logged as slow and as a
        failure, and the pass goes on.
        """
        from reactorhelpers import capturedEvents, failureEvents

        fastReactor.seconds = FakeTime(100.0)
        ran: list[str] = []

        def fail() -> None:
            fakeMonotonic[0] += 1.0
            raise ZeroDivisionError("slow and wrong")

        fastReactor.callLater(0, fail)
        fastReactor.callLater(0, ran.append, "after")
        twisted_fast.watchSlowCalls(0.5)
        with capturedEvents() as events:
            fastReactor.runUntilCurrent()
        assert ran == ["after"]
        assert len(slowEvents(events)) == 1
        assert len(failureEvents(events)) == 1

    def test_slowCallMeddles(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any
    ) -> None:
        """
        A slow call that cancels, resets and schedules calls of its clock,
        and reads its statistics: all counted, logged once.
        """
        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()
        later = clock.callLater(10.0, nothing)
        moved = clock.callLater(20.0, nothing)
        seen: list[TimerStats] = []

        def meddle() -> None:
            fakeMonotonic[0] += 1.0
            later.cancel()
            moved.reset(0.0)
            clock.callLater(0.0, nothing)
            seen.append(twisted_fast.timerStats(clock))

        clock.callLater(1.0, meddle)
        twisted_fast.watchSlowCalls(0.5)
        with capturedEvents() as events:
            clock.advance(1.0)
        assert len(slowEvents(events)) == 1
        assert seen[0].fired == 1
        stats = twisted_fast.timerStats(clock)
        assert (stats.scheduled, stats.cancelled, stats.reset, stats.fired) == (4, 1, 1, 3)
        assert stats.slowCalls == 1

    def test_observerMeddles(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any
    ) -> None:
        """
        A log observer that schedules on, cancels on and advances the clock
        when it sees the slow-call event: the pass goes on soundly.
        """
        from twisted.logger import globalLogPublisher

        clock = cimpl.Clock()
        ran: list[str] = []
        victim = clock.callLater(1.0, ran.append, "victim")

        def observer(event: dict[str, Any]) -> None:
            if event.get("kind") == "timed call" and victim.active():
                victim.cancel()
                clock.callLater(0, ran.append, "scheduled by the observer")
                clock.advance(0)

        def slow() -> None:
            fakeMonotonic[0] += 1.0

        clock.callLater(1.0, slow)
        clock.callLater(1.0, ran.append, "last")
        victim.reset(2.0)  # due after the others
        twisted_fast.watchSlowCalls(0.5)
        globalLogPublisher.addObserver(observer)
        try:
            clock.advance(2.0)
        finally:
            globalLogPublisher.removeObserver(observer)
        # The observer's advance(0) runs what is due, in order.
        assert ran == ["last", "scheduled by the observer"]
        assert _compat.speedups is not None
        assert _compat.speedups._check_heap(clock) == -1

    def test_failingHook(
        self, fakeMonotonic: list[float], unwatch: None, cimpl: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """
        A hook that raises is reported as unraisable; the calls go on.
        """
        assert _compat.speedups is not None
        unraisable: list[str] = []
        # Only the message: on CPython 3.11 the hook's argument, which holds
        # the traceback, is never collected.
        monkeypatch.setattr(
            sys, "unraisablehook", lambda u: unraisable.append(str(u.exc_value))
        )

        def hook(*args: object) -> None:
            raise RuntimeError("broken hook")

        clock = cimpl.Clock()
        ran: list[int] = []
        clock.callLater(1.0, SlowThing(fakeMonotonic).work, 1.0)
        clock.callLater(1.0, ran.append, 1)
        _compat.speedups._watch_slow_calls(0.5, hook)
        clock.advance(1.0)
        assert ran == [1]
        assert unraisable == ["broken hook"]

    @pytest.mark.parametrize("threshold", [-1.0, math.inf, math.nan])
    def test_badThreshold(self, cimpl: Any, threshold: float) -> None:
        """
        A negative, infinite or NaN threshold raises L{ValueError}.
        """
        with pytest.raises(ValueError, match="finite number"):
            twisted_fast.watchSlowCalls(threshold)

    def test_realClock(self, cimpl: Any, unwatch: None) -> None:
        """
        On the real monotonic clock, a call that sleeps longer than the
        threshold is logged with at least that duration.
        """
        from reactorhelpers import capturedEvents

        clock = cimpl.Clock()
        clock.callLater(1.0, time.sleep, 0.03)
        twisted_fast.watchSlowCalls(0.02)
        with capturedEvents() as events:
            clock.advance(1.0)
        [event] = slowEvents(events)
        assert event["duration"] >= 0.03
        assert event["callable"] == "time.sleep"


@pytest.mark.skipif(
    "libasan" in os.environ.get("LD_PRELOAD", ""),
    reason="greenlet's stack copying is a stack-buffer-underflow to AddressSanitizer"
    " (as the Makefile's asan target says of pytest-twisted)",
)
class TestGreenlets:
    """
    Greenlets (as pytest-twisted uses) switch stacks in the middle of a
    timed call, so passes can end out of order.
    """

    def test_passesEndOutOfOrder(self, cimpl: Any) -> None:
        """
        A call of clock A starts a greenlet that advances clock B, whose
        call switches back to A's call before it ends: A's pass ends first.
        Nothing dangles, both calls are freed, and the next passes count
        LoopingCall ticks and work units again.
        """
        import gc
        import weakref

        greenlet = pytest.importorskip("greenlet")
        main = greenlet.getcurrent()
        clockA, clockB = cimpl.Clock(), cimpl.Clock()

        def inB() -> None:
            main.switch()

        other = greenlet.greenlet(lambda: clockB.advance(1.0))
        callB = weakref.ref(clockB.callLater(1.0, inB))
        callA = weakref.ref(clockA.callLater(1.0, other.switch))
        clockA.advance(1.0)  # A's call starts B's pass, which switches back
        other.switch()  # B's call and pass end
        assert other.dead
        gc.collect()
        assert callA() is None and callB() is None
        loop = cimpl.LoopingCall(nothing)
        loop.clock = clockA
        loop.start(1.0, now=False)
        clockA.advance(1.0)
        loop.stop()
        assert twisted_fast.timerStats(clockA).loopingCallTicks == 1
        assert (twisted_fast.timerStats(clockA).fired, twisted_fast.timerStats(clockB).fired) == (2, 1)


# --- stalls --------------------------------------------------------------------------------


@pytest.fixture
def unwatchStalls() -> Any:
    """
    Make sure the stall watch is off after the test.
    """
    yield
    twisted_fast.unwatchStalls()


def stallEvents(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """
    The stall watch's events: (stacks, back in the loop).
    """
    from twisted_fast.health import STALL_END_FORMAT, STALL_FORMAT

    return (
        [event for event in events if event.get("log_format") == STALL_FORMAT],
        [event for event in events if event.get("log_format") == STALL_END_FORMAT],
    )


def blocker(seconds: float, ended: list[float]) -> None:
    """
    A timed call stuck for C{seconds}; C{ended} gets the wall-clock time it
    ends at.
    """
    time.sleep(seconds)
    ended.append(time.time())


def stopFromThread(reactor: Any, after: float) -> Any:
    """
    Stop C{reactor} from another thread after C{after} seconds, as an idle
    reactor with nothing due can only be stopped.
    """
    import threading

    timer = threading.Timer(after, reactor.callFromThread, (reactor.stop,))
    timer.start()
    return timer


class TestStalls:
    """
    L{twisted_fast.watchStalls}: a stuck reactor is dumped, once per stall;
    an idle one is not, and is not woken up.
    """

    def test_stuckCallToFile(
        self, buildReactor: Callable[[type], Any], flavourClass: type, unwatchStalls: None,
        tmp_path: Any,
    ) -> None:
        """
        A timed call stuck for a second, with a 0.3 s watch: every thread's
        stack is dumped to the file once, and the log says when the reactor
        got back and how long the stall lasted.
        """
        from reactorhelpers import capturedEvents

        reactor = buildReactor(flavourClass)
        ended: list[float] = []
        with open(tmp_path / "stacks.txt", "w+b") as file:
            twisted_fast.watchStalls(0.3, file, reactor=reactor)
            reactor.callLater(0.05, blocker, 1.0, ended)
            reactor.callLater(1.3, reactor.stop)
            with capturedEvents() as events:
                reactor.run(installSignalHandlers=False)
            twisted_fast.unwatchStalls()
            file.seek(0)
            stacks = file.read().decode()
        assert stacks.count("Timeout (") == 1, stacks
        assert "in blocker" in stacks
        logged, back = stallEvents(events)
        assert logged == []
        [event] = back
        assert 0.95 <= event["duration"] < 5
        assert event["where"] == str(tmp_path / "stacks.txt")

    def test_stuckCallToLog(
        self, fastReactor: Any, unwatchStalls: None,
    ) -> None:
        """
        With no file, the stacks go to the log as soon as they are dumped,
        while the reactor is still stuck.
        """
        from reactorhelpers import capturedEvents

        ended: list[float] = []
        twisted_fast.watchStalls(0.3, reactor=fastReactor)
        fastReactor.callLater(0.05, blocker, 1.5, ended)
        fastReactor.callLater(1.7, fastReactor.stop)
        with capturedEvents() as events:
            fastReactor.run(installSignalHandlers=False)
        logged, back = stallEvents(events)
        [stacks] = logged
        assert "in blocker" in stacks["stacks"]
        assert 0.3 <= stacks["stalled"] <= 0.3 + 0.075 + 0.01
        assert stacks["log_time"] < ended[0]
        [event] = back
        assert event["where"] == "the log"
        assert event["duration"] >= 1.45

    def test_onceEachStall(self, fastReactor: Any, unwatchStalls: None) -> None:
        """
        Two stalls, with idle time between them: two dumps, one each.
        """
        from reactorhelpers import capturedEvents

        ended: list[float] = []
        twisted_fast.watchStalls(0.3, reactor=fastReactor)
        fastReactor.callLater(0.05, blocker, 0.8, ended)
        fastReactor.callLater(1.2, blocker, 0.8, ended)
        fastReactor.callLater(2.3, fastReactor.stop)
        with capturedEvents() as events:
            fastReactor.run(installSignalHandlers=False)
        logged, back = stallEvents(events)
        assert len(logged) == 2
        assert len(back) == 2
        from twisted_fast import health

        assert health._stallWatch is not None
        assert health._stallWatch.stalls == 2

    def test_idleNotDumpedNorWoken(self, fastReactor: Any, unwatchStalls: None) -> None:
        """
        A reactor that runs a call, then stays idle in its poll with nothing
        due for 2.4 s, with a 0.3 s watch: no dump; the watch disarms once,
        about 0.3 s into the idle time, and the poll sleeps on (no periodic
        wake-up).
        """
        from reactorhelpers import capturedEvents
        from twisted_fast import health

        twisted_fast.watchStalls(0.3, reactor=fastReactor)
        watch = health._stallWatch
        assert watch is not None
        seen: list[Any] = []

        def look() -> None:
            seen.append((watch.armedAt, watch.idleWakeups))

        import threading

        fastReactor.callLater(0.1, nothing)  # then idle
        probe = threading.Timer(2.0, look)
        probe.start()
        stopper = stopFromThread(fastReactor, 2.5)
        with capturedEvents() as events:
            fastReactor.run(installSignalHandlers=False)
        probe.join()
        stopper.join()
        logged, back = stallEvents(events)
        assert (logged, back) == ([], [])
        assert seen == [(None, 1)]

    def test_busyNotDumped(self, fastReactor: Any, unwatchStalls: None) -> None:
        """
        A reactor busy with short timed calls for a second: no dump, and the
        timer re-armed at most once per slack (0.075 s here), not per
        iteration.
        """
        from reactorhelpers import capturedEvents
        from twisted_fast import health

        twisted_fast.watchStalls(0.3, reactor=fastReactor)
        deadline = time.monotonic() + 1.0
        iterations = [0]

        def work() -> None:
            iterations[0] += 1
            time.sleep(0.001)
            if time.monotonic() < deadline:
                fastReactor.callLater(0, work)
            else:
                fastReactor.stop()

        fastReactor.callLater(0, work)
        with capturedEvents() as events:
            fastReactor.run(installSignalHandlers=False)
        assert stallEvents(events) == ([], [])
        watch = health._stallWatch
        assert watch is not None
        assert iterations[0] > 100
        assert watch.arms <= 1.0 / watch.slack + 3

    def test_unwatch(self, fastReactor: Any, unwatchStalls: None, tmp_path: Any) -> None:
        """
        L{twisted_fast.unwatchStalls} gives the reactor its poller back and
        stops the dumps.
        """
        from reactorhelpers import capturedEvents

        poller = fastReactor._poller
        with open(tmp_path / "stacks.txt", "w+b") as file:
            twisted_fast.watchStalls(0.3, file, reactor=fastReactor)
            assert fastReactor._poller is not poller
            twisted_fast.unwatchStalls()
            assert fastReactor._poller is poller
            ended: list[float] = []
            fastReactor.callLater(0.05, blocker, 0.7, ended)
            fastReactor.callLater(0.8, fastReactor.stop)
            with capturedEvents() as events:
                fastReactor.run(installSignalHandlers=False)
            file.seek(0)
            assert file.read() == b""
        assert stallEvents(events) == ([], [])

    def test_globalReactor(
        self, fastReactor: Any, unwatchStalls: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        With no reactor given, the global one is watched; with none
        installed, L{StatsUnavailable}.
        """
        monkeypatch.delitem(sys.modules, "twisted.internet.reactor", raising=False)
        with pytest.raises(StatsUnavailable, match="no reactor is installed"):
            twisted_fast.watchStalls(1.0)
        poller = fastReactor._poller
        monkeypatch.setitem(sys.modules, "twisted.internet.reactor", fastReactor)
        twisted_fast.watchStalls(1.0)
        assert fastReactor._poller is not poller
        twisted_fast.watchStalls(2.0)  # replaces the watch
        assert fastReactor._poller._inner is poller
        twisted_fast.unwatchStalls()
        assert fastReactor._poller is poller

    def test_selectReactor(
        self, buildReactor: Callable[[type], Any], unwatchStalls: None
    ) -> None:
        """
        A select reactor has no poller to watch: L{StatsUnavailable}.
        """
        from twisted.internet.selectreactor import SelectReactor

        with pytest.raises(StatsUnavailable, match="epoll or poll"):
            twisted_fast.watchStalls(1.0, reactor=buildReactor(SelectReactor))

    @pytest.mark.parametrize("seconds", [0.0, -1.0, math.inf, math.nan])
    def test_badSeconds(self, seconds: float, unwatchStalls: None) -> None:
        """
        C{seconds} must be a positive finite number.
        """
        with pytest.raises(ValueError, match="positive finite"):
            twisted_fast.watchStalls(seconds, reactor=object())


@pytest.fixture(
    params=[("c", "epoll"), ("c", "poll"), ("twisted", "epoll")],
    ids=["c-epoll", "c-poll", "twisted-epoll"],
)
def flavourClass(request: pytest.FixtureRequest) -> type:
    """
    Reactor classes the stall watch works on: the fast epoll and poll
    reactors, and Twisted's own epoll reactor (no C needed).
    """
    from reactorhelpers import TWISTED_CLASSES, fastImplementation

    implementation, flavour = request.param
    if implementation == "twisted":
        return TWISTED_CLASSES[flavour]
    return fastImplementation(request.config).classes[flavour]
