"""
A program written against C{twisted.internet.task}, switched to twisted-fast
by its import line alone (the one marked C{# the switch}).

tests/test_typing.py type-checks it twice with C{mypy --strict}, as it is and
with that line importing from C{twisted.internet.task}: both must pass, and
each C{reveal_type} must show what the comments above it say, for each
import.  It runs too, with either import, on whichever implementation is in
use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import reveal_type

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from twisted_fast.task import (  # the switch
    Clock,
    CooperativeTask,
    Cooperator,
    LoopingCall,
    coiterate,
    cooperate,
)


class CountingLoop(LoopingCall):
    """
    A user's subclass, as Twisted's own tests write them.
    """

    ticks = 0


def countdown(n: int) -> Iterator[int]:
    while n > 0:
        yield n
        n -= 1


seen: list[object] = []
clock = Clock()
# fast: twisted_fast.task.Clock
# Twisted: twisted.internet.task.Clock
reveal_type(clock)
time: IReactorTime = clock
call = clock.callLater(1.0, seen.append, "called")
# fast: twisted_fast._speedups.DelayedCall
# Twisted: twisted.internet.interfaces.IDelayedCall
reveal_type(call)
delayed: IDelayedCall = call

lc = LoopingCall(lambda: None)
lc.clock = clock
done: Deferred[LoopingCall] = lc.start(1.0)
# fast: twisted.internet.defer.Deferred[twisted_fast.task.LoopingCall]
# Twisted: twisted.internet.defer.Deferred[twisted.internet.task.LoopingCall]
reveal_type(done)
counted = LoopingCall.withCount(lambda n: None)
# fast: twisted_fast.task.LoopingCall
# Twisted: twisted.internet.task.LoopingCall
reveal_type(counted)
counted.clock = clock
countedDone: Deferred[LoopingCall] = counted.start(1.0, now=False)

# A subclass's start() is still a Deferred[LoopingCall], as in Twisted.
mine = CountingLoop(lambda: None)
mine.clock = clock
mineDone: Deferred[LoopingCall] = mine.start(2.0)
mineCounted = CountingLoop.withCount(lambda n: None)
# fast: dropin.CountingLoop
# Twisted: twisted.internet.task.LoopingCall
reveal_type(mineCounted)

cooperator = Cooperator(scheduler=lambda work: clock.callLater(0.5, work))
# fast: twisted_fast.task.Cooperator
# Twisted: twisted.internet.task.Cooperator
reveal_type(cooperator)
cooperative = cooperator.cooperate(countdown(3))
# fast: twisted_fast.task.CooperativeTask[typing.Iterator[int]]
# Twisted: twisted.internet.task.CooperativeTask[typing.Iterator[int]]
reveal_type(cooperative)
named: CooperativeTask[Iterator[int]] = cooperative
finished: Deferred[Iterator[int]] = cooperative.whenDone()
coiterated: Deferred[Iterator[int]] = cooperator.coiterate(countdown(2))
globalTask = cooperate(countdown(1))
# fast: twisted_fast.task.CooperativeTask[typing.Iterator[int]]
# Twisted: twisted.internet.task.CooperativeTask[typing.Iterator[int]]
reveal_type(globalTask)
globalDone: Deferred[Iterator[int]] = coiterate(countdown(1))

done.addCallback(seen.append)
clock.pump([0.5] * 8)
lc.stop()
counted.stop()
mine.stop()
globalTask.stop()
assert seen == ["called", lc], seen
assert type(counted) is LoopingCall and type(mineCounted) is CountingLoop
assert finished.called and coiterated.called
