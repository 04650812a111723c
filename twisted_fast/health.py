"""
Timer health: is my reactor late?

The C timer heaps of the fast reactors and of L{twisted_fast.task.Clock}
count every timed call they run, always, for a few nanoseconds each (see
C{src/stats.h}): L{timerStats} reads those counts as a L{TimerStats}
snapshot, L{resetTimerStats} starts a new window.  L{watchSlowCalls} logs
the timed calls, C{LoopingCall} ticks and C{Cooperator} work units that run
too long; L{watchStalls} dumps every thread's stack when the reactor does
not get back to its loop for too long.

In fallback mode (L{twisted_fast.ACCELERATED} is C{False}) and for reactors
and clocks that are not twisted-fast's, there is nothing to read: the
functions raise L{StatsUnavailable} rather than make numbers up.
"""

from __future__ import annotations

import faulthandler
import functools
import math
import os
import select
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from twisted.logger import Logger

from twisted_fast import _compat

__all__ = [
    "SLOW_CALL_FORMAT",
    "STALL_END_FORMAT",
    "STALL_FORMAT",
    "StatsUnavailable",
    "TimerStats",
    "resetTimerStats",
    "timerStats",
    "unwatchSlowCalls",
    "unwatchStalls",
    "watchSlowCalls",
    "watchStalls",
]

#: The logger of L{watchSlowCalls} and L{watchStalls}.
log = Logger(namespace="twisted_fast.health")


class StatsUnavailable(RuntimeError):
    """
    There are no timer statistics for what was asked: twisted-fast runs in
    fallback mode, or the reactor or clock is not one of twisted-fast's.
    """


@dataclass(frozen=True, repr=False)
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

    def __repr__(self) -> str:
        """
        The counters, and the histogram as its non-empty buckets only: the
        full tuple has 110 entries, which no one reads in a log line.
        """
        filled = ", ".join(
            f"{upper:.3g}: {count}" for upper, count in self.buckets if count
        )
        counters = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in (
                "scheduled", "fired", "cancelled", "reset", "maxLateness", "busy",
                "loopingCallTicks", "skippedIntervals", "workUnits", "slowCalls",
                "totalLateness",
            )
        )
        return f"TimerStats({counters}, buckets={{{filled}}} (non-empty, by upper bound))"

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


# --- slow calls ---------------------------------------------------------------------

#: The C{log_format} of a slow call's event.  Its fields: C{kind} (C{"timed
#: call"}, C{"LoopingCall tick"} or C{"work unit"}), C{callable} (qualified
#: name), C{source} (C{file:line}, or a repr when there is no code),
#: C{duration} (seconds), C{lateness} (seconds, C{None} for a work unit that
#: no timed call ran), C{creator} (the stack that scheduled the timed call,
#: when C{DelayedCall.debug} was on, else C{None}), and C{lateness_text},
#: C{creator_text} for the message.
SLOW_CALL_FORMAT = (
    "Slow {kind}: {callable} ({source}) ran for {duration:.3f} s"
    "{lateness_text}{creator_text}"
)


def _unwrap(target: object) -> object:
    """
    What a timed call, tick or work unit really runs: through
    C{functools.partial}, a C{LoopingCall}'s C{f}, a task's iterator.
    """
    for _ in range(100):  # a partial of a partial of ...: not forever
        if isinstance(target, functools.partial):
            target = target.func
        else:
            break
    return target


def _describe(target: object) -> tuple[str, str]:
    """
    @return: the qualified name of C{target} and where its code is
        (C{file:line}), or its repr when it has no Python code.
    """
    function = getattr(target, "__func__", target)  # a bound method's function
    code = getattr(function, "__code__", None)
    module = getattr(function, "__module__", None)
    for prefix in ("gi", "cr", "ag"):  # a generator, coroutine, async generator
        if code is None and hasattr(target, f"{prefix}_code"):
            code = getattr(target, f"{prefix}_code")
            frame = getattr(target, f"{prefix}_frame", None)
            module = frame.f_globals.get("__name__") if frame is not None else None
    if code is None:
        # A callable object: its class's __call__.
        call = getattr(type(target), "__call__", None)
        code = getattr(call, "__code__", None)
    qualname = getattr(target, "__qualname__", None)
    if not isinstance(qualname, str):
        qualname = type(target).__qualname__
        module = type(target).__module__
    name = f"{module}.{qualname}" if isinstance(module, str) else qualname
    if code is not None:
        return name, f"{code.co_filename}:{code.co_firstlineno}"
    try:
        return name, repr(target)
    except Exception:
        return name, object.__repr__(target)


def _reportSlowCall(
    kind: str,
    target: object,
    duration: float,
    lateness: float | None,
    creator: list[str] | None,
) -> None:
    """
    The C code's hook: log one slow timed call or work unit.
    """
    target = _unwrap(target)
    if kind == "timed call" and isinstance(target, _compat.TwistedLoopingCall):
        kind = "LoopingCall tick"
        target = _unwrap(getattr(target, "f", target))
    elif kind == "work unit":
        target = getattr(target, "_iterator", target)
    name, source = _describe(target)
    log.warn(
        SLOW_CALL_FORMAT,
        kind=kind,
        callable=name,
        source=source,
        duration=duration,
        lateness=lateness,
        creator=creator,
        lateness_text=(
            "" if lateness is None else f", {lateness:.3f} s after it was due"
        ),
        creator_text=(
            ""
            if not creator
            else "; scheduled here:\n" + "".join(creator).rstrip()
        ),
    )


def watchSlowCalls(threshold: float = 0.1) -> None:
    """
    From now on, log every timed call, C{LoopingCall} tick and C{Cooperator}
    work unit that runs longer than C{threshold} seconds, on every fast
    reactor and C C{Clock} of the process, once each (a slow call that
    contains a slow work unit or a slow call of another clock is logged for
    the inner one only).  The events go to Twisted's logger, namespace
    C{twisted_fast.health}, level warn, with L{SLOW_CALL_FORMAT}.  Calling
    it again changes the threshold.

    Switched on, it reads the monotonic clock around each call (about 30 ns
    each on a virtual machine); switched off, it costs nothing.

    @param threshold: seconds; 0 logs every call.
    @raise ValueError: if C{threshold} is negative, infinite or NaN.
    @raise StatsUnavailable: in fallback mode.
    """
    threshold = float(threshold)
    if not 0 <= threshold < math.inf:
        raise ValueError(f"the threshold must be a finite number >= 0, not {threshold!r}")
    _speedups()._watch_slow_calls(threshold, _reportSlowCall)


def unwatchSlowCalls() -> None:
    """
    Stop what L{watchSlowCalls} started (nothing happens if it was not on).
    """
    if _compat.speedups is not None:
        _compat.speedups._watch_slow_calls(None)


# --- stalls -------------------------------------------------------------------------

#: The C{log_format} of the event that carries every thread's stack when the
#: reactor has not been back to its loop for the watch's C{seconds}.  Fields:
#: C{stalled} (seconds away from the loop when the stacks were taken) and
#: C{stacks} (faulthandler's text).
STALL_FORMAT = (
    "The reactor has not been back to its loop for {stalled:.3f} s;"
    " the stack of every thread:\n{stacks}"
)

#: The C{log_format} of the event logged when the reactor gets back to its
#: loop after a stall.  Fields: C{duration} (seconds away from the loop),
#: C{where} (where the stacks went: C{"the log"}, the file's name, or
#: C{"nowhere (the reactor got back as they were due)"}).
STALL_END_FORMAT = (
    "The reactor is back in its loop after a stall of {duration:.3f} s"
    " (stacks: {where})"
)


class _StallWatch:
    """
    Watch one reactor: is it back in its poll within C{seconds}?

    The reactor's poller is wrapped (L{_EpollProxy}, L{_PollProxy}), so that
    the watch sees the reactor leave its poll (it is awake: I/O handlers,
    timed calls) and enter it again (it is back in its loop).  While it is
    awake, C{faulthandler.dump_traceback_later} is armed: a C thread of
    CPython's that dumps every thread's stack without needing the GIL, so a
    call stuck in C code is caught too.  Arming starts a thread (about a
    millisecond), so the watch does not arm on every iteration: it re-arms
    when the reactor leaves its poll and the timer was armed more than
    C{slack} ago, with a timeout of C{seconds + slack}; a dump then means
    the reactor has been away from its loop for C{seconds} to C{seconds +
    slack}.

    While the reactor sleeps in its poll the timer must not fire: a poll
    that could last until the timer is due is cut short at C{margin} before
    it; if nothing happened by then, the reactor is idle: the watch disarms
    (no thread left) and the poll goes on for the rest of its time.  So the
    process wakes once, about C{seconds} into an idle period, and never
    again until the reactor has work.

    With no C{file}, the stacks go to a temporary file, and from there to
    the log: from a thread of the watch's own, which sleeps while the timer
    is disarmed, or when the reactor gets back, whichever comes first.

    @ivar stalls: how many stalls were seen (reactor back after a dump).
    @ivar idleWakeups: how many polls were cut short to disarm.
    @ivar arms: how many times the timer was armed.
    """

    def __init__(self, reactor: Any, seconds: float, file: Any) -> None:
        self.reactor = reactor
        self.seconds = seconds
        self.slack = min(max(seconds / 4, 0.05), 1.0)
        self.margin = self.slack / 2
        self.file = file
        self.dumpFile: Any = None
        if file is None:
            import tempfile

            self.dumpFile = tempfile.TemporaryFile(buffering=0)
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.armedAt: float | None = None
        self.awakeSince = time.monotonic()
        self.loggedFor: float | None = None
        self.stopped = False
        self.stalls = 0
        self.idleWakeups = 0
        self.arms = 0
        self.proxy: _EpollProxy | _PollProxy | None = None
        self.thread: threading.Thread | None = None

    # --- in the reactor's thread ----------------------------------------------------

    def start(self) -> None:
        """
        Wrap the reactor's poller, start the logging thread if need be.
        """
        poller = self.reactor._poller
        proxyClass = _EpollProxy if isinstance(poller, getattr(select, "epoll", ())) else _PollProxy
        self.proxy = proxyClass(poller, self)
        self.reactor._poller = self.proxy
        if self.dumpFile is not None:
            self.thread = threading.Thread(
                target=self._logStacksWhenStuck, name="twisted_fast stall watch", daemon=True
            )
            self.thread.start()

    def stop(self) -> None:
        """
        Unwrap the poller, disarm, stop the thread, drop the file.
        """
        with self.lock:
            self.stopped = True
            if self.armedAt is not None:
                faulthandler.cancel_dump_traceback_later()
                self.armedAt = None
            self.changed.notify_all()
        proxy = self.proxy
        if proxy is not None:
            inner = proxy._inner
            if getattr(self.reactor, "_poller", None) is proxy:
                self.reactor._poller = inner
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(5)
        if self.dumpFile is not None:
            self.dumpFile.close()

    def _arm(self, now: float) -> None:
        with self.lock:
            if self.stopped:
                return
            target = self.dumpFile if self.dumpFile is not None else self.file
            faulthandler.dump_traceback_later(
                self.seconds + self.slack, repeat=False, file=target, exit=False
            )
            wasArmed = self.armedAt is not None
            self.armedAt = now
            self.arms += 1
            if not wasArmed:
                self.changed.notify_all()

    def _disarm(self) -> None:
        with self.lock:
            if self.armedAt is not None:
                # Also waits for a dump in progress to be complete.
                faulthandler.cancel_dump_traceback_later()
                self.armedAt = None
                self.changed.notify_all()

    def poll(self, inner: Callable[[float | None], Any], timeout: float | None) -> Any:
        """
        The reactor polls: C{inner(seconds or None)} polls the real poller.

        @param timeout: the reactor's timeout, in seconds; C{None}: forever.
        """
        now = time.monotonic()
        try:
            self._backInLoop(now)
        except Exception:
            self._failed()
        try:
            return self._poll(inner, timeout, now)
        finally:
            try:
                self._leftLoop()
            except Exception:
                self._failed()

    def _poll(self, inner: Callable[[float | None], Any], timeout: float | None, now: float) -> Any:
        armedAt = self.armedAt
        if armedAt is None:
            return inner(timeout)
        bound = armedAt + self.seconds + self.slack - self.margin - now
        if timeout is not None and timeout <= bound:
            return inner(timeout)
        events = inner(max(bound, 0.0))
        if events:
            return events
        # Nothing to do all this while: the reactor is idle.  Disarm, then
        # sleep for the rest of its time.
        self.idleWakeups += 1
        self._disarm()
        if timeout is None:
            return inner(None)
        left = now + timeout - time.monotonic()
        return inner(left) if left > 0 else events

    def _leftLoop(self) -> None:
        now = time.monotonic()
        self.awakeSince = now
        armedAt = self.armedAt
        if armedAt is None or now - armedAt > self.slack:
            self._arm(now)

    def _backInLoop(self, now: float) -> None:
        armedAt = self.armedAt
        if armedAt is None or now < armedAt + self.seconds + self.slack:
            return
        # The timer was due while the reactor was away: a stall.
        self._disarm()
        duration = now - self.awakeSince
        self.stalls += 1
        if self.dumpFile is None:
            where = getattr(self.file, "name", repr(self.file))
        else:
            where = "the log" if self._logStacks(armedAt) or self.loggedFor == armedAt else (
                "nowhere (the reactor got back as they were due)"
            )
        log.warn(STALL_END_FORMAT, duration=duration, where=where)

    def _failed(self) -> None:
        log.failure("The stall watch failed and stops")
        global _stallWatch
        if _stallWatch is self:
            _stallWatch = None
        self.stop()

    # --- in either thread -----------------------------------------------------------

    def _logStacks(self, armedAt: float) -> bool:
        """
        Log the stacks that faulthandler wrote for the timer armed at
        C{armedAt}, unless they were logged already.

        @return: whether they were logged now.
        """
        with self.lock:
            if self.loggedFor == armedAt or self.dumpFile is None or self.dumpFile.closed:
                return False
            fd = self.dumpFile.fileno()
            size = os.lseek(fd, 0, os.SEEK_END)
            os.lseek(fd, 0, os.SEEK_SET)
            stacks = os.read(fd, size).decode("utf-8", "replace") if size else ""
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            if not stacks:
                return False
            self.loggedFor = armedAt
            stalled = armedAt + self.seconds + self.slack - self.awakeSince
        log.warn(STALL_FORMAT, stalled=stalled, stacks=stacks.rstrip())
        return True

    # --- in the watch's own thread --------------------------------------------------

    def _logStacksWhenStuck(self) -> None:
        """
        Log the stacks as soon as they are dumped, should the reactor never
        get back.  Sleeps without a timeout while the timer is disarmed.
        """
        grace = 0.1
        with self.lock:
            while not self.stopped:
                armedAt = self.armedAt
                if armedAt is None or armedAt == self.loggedFor:
                    self.changed.wait()
                    continue
                wait = armedAt + self.seconds + self.slack + grace - time.monotonic()
                if wait > 0:
                    self.changed.wait(wait)
                    continue
                if self.armedAt != armedAt:
                    continue
                self.lock.release()
                try:
                    logged = self._logStacks(armedAt)
                finally:
                    self.lock.acquire()
                if not logged:
                    # Not written yet: look again after another grace period.
                    self.changed.wait(grace)


class _EpollProxy:
    """
    An C{epoll} object whose C{poll} goes through a L{_StallWatch}.
    """

    def __init__(self, inner: Any, watch: _StallWatch) -> None:
        self._inner = inner
        self._watch = watch

    def poll(self, timeout: float | None = -1, maxevents: int = -1) -> Any:
        seconds = None if timeout is None or timeout < 0 else timeout
        inner = self._inner
        return self._watch.poll(
            lambda t: inner.poll(-1 if t is None else t, maxevents), seconds
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _PollProxy:
    """
    A C{select.poll} object (milliseconds) whose C{poll} goes through a
    L{_StallWatch}.
    """

    def __init__(self, inner: Any, watch: _StallWatch) -> None:
        self._inner = inner
        self._watch = watch

    def poll(self, timeout: float | None = None) -> Any:
        seconds = None if timeout is None or timeout < 0 else timeout / 1000
        inner = self._inner
        return self._watch.poll(
            lambda t: inner.poll(None if t is None else t * 1000), seconds
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


_stallWatch: _StallWatch | None = None


def watchStalls(seconds: float = 5.0, file: Any = None, *, reactor: Any = None) -> None:
    """
    From now on, if the reactor does not get back to its loop (its poll)
    for C{seconds}, dump the stack of every thread, as C{faulthandler} does,
    once per stall, and log when it gets back and how long the stall lasted
    (Twisted's logger, namespace C{twisted_fast.health}, level warn,
    L{STALL_END_FORMAT}).

    The stacks are taken by C{faulthandler.dump_traceback_later}, from a C
    thread that needs no GIL, so a reactor stuck in C code is caught too:
    do not use C{dump_traceback_later} for anything else meanwhile (pytest's
    C{faulthandler_timeout} does).  A dump happens between C{seconds} and
    C{seconds} plus a quarter of it (at most one second more) into a stall.
    The watch does not wake an idle reactor periodically: about C{seconds}
    into an idle period its poll returns once, to disarm, then sleeps on.
    A busy reactor pays a few hundred nanoseconds per iteration, and about a
    millisecond per C{seconds / 4} (at most every second) to re-arm.

    Works on Twisted's epoll and poll reactors, fast or not (the C
    extension is not needed): while it watches, the reactor's C{_poller} is
    a wrapper that forwards everything to the real one.  Calling it again
    replaces the watch.

    @param seconds: how long the reactor may stay away from its loop.
    @param file: where to write the stacks: a file with a C{fileno()} (or a
        file descriptor); C{None} (the default): the log, as an event with
        L{STALL_FORMAT}, logged as soon as the stacks are written.
    @param reactor: the reactor to watch; C{None}: the global reactor, which
        must be installed already.
    @raise ValueError: if C{seconds} is not a positive finite number.
    @raise StatsUnavailable: if there is no reactor, or it has no C{epoll}
        or C{poll} poller to watch (a select reactor).
    """
    seconds = float(seconds)
    if not 0 < seconds < math.inf:
        raise ValueError(f"seconds must be a positive finite number, not {seconds!r}")
    if reactor is None:
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is None:
            raise StatsUnavailable(
                "no reactor is installed yet (watchStalls() watches the global"
                " reactor and does not install one)"
            )
    unwatchStalls()
    poller = getattr(reactor, "_poller", None)
    if isinstance(poller, (_EpollProxy, _PollProxy)):
        poller = poller._inner
        reactor._poller = poller
    if not callable(getattr(poller, "poll", None)):
        raise StatsUnavailable(
            f"{type(reactor).__qualname__} has no epoll or poll poller to"
            " watch: watchStalls() needs an epoll or poll reactor"
        )
    watch = _StallWatch(reactor, seconds, file)
    watch.start()
    global _stallWatch
    _stallWatch = watch


def unwatchStalls() -> None:
    """
    Stop what L{watchStalls} started (nothing happens if it was not on).
    """
    global _stallWatch
    watch, _stallWatch = _stallWatch, None
    if watch is not None:
        watch.stop()
