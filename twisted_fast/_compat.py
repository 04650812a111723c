"""
Choose the implementation: the C extension C{twisted_fast._speedups} or
Twisted's own pure-Python classes.

The C extension is skipped when C{TWISTED_FAST_NO_EXTENSIONS} is set to a
non-empty value other than C{0}, when the interpreter is not CPython, or when
the extension is missing (for example because it could not be compiled at
install time).  In every case the names exported here work; L{ACCELERATED}
says which implementation they are.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from zope.interface import classImplements

from twisted.internet import base as _base
from twisted.internet import task as _task
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime

#: Twisted's own classes, captured before L{twisted_fast.install} patches
#: anything, so that the fallback and the benchmarks can always reach them.
TwistedClock = _task.Clock
TwistedDelayedCall = _base.DelayedCall
TwistedLoopingCall = _task.LoopingCall
TwistedCooperator = _task.Cooperator
TwistedCooperativeTask = _task.CooperativeTask


def _extensionsDisabled() -> bool:
    flag = os.environ.get("TWISTED_FAST_NO_EXTENSIONS", "")
    return flag not in ("", "0") or platform.python_implementation() != "CPython"


def _loadSpeedups() -> ModuleType | None:
    if _extensionsDisabled():
        return None
    try:
        from twisted_fast import _speedups
    except ImportError:
        return None
    return _speedups


if TYPE_CHECKING:
    # Type checkers see the C classes (typed by twisted_fast/_speedups.pyi);
    # in fallback mode the same names are Twisted's own classes, which have
    # the same methods.
    from twisted_fast import _speedups

    speedups = _speedups
else:
    speedups = _loadSpeedups()

#: C{True} when the classes below come from the C extension.
ACCELERATED: bool = speedups is not None

# CooperativeTask's type variable, as Twisted's (which Twisted 22.10 lacks).
_TaskIteratorT = TypeVar("_TaskIteratorT", bound=Iterator[object])

if speedups is None and not TYPE_CHECKING:
    # Fallback mode: Twisted's own classes (type checkers see the C ones).
    Clock = TwistedClock
    DelayedCall = TwistedDelayedCall
    TimerQueue = None
    LoopingCall = TwistedLoopingCall
    Cooperator = TwistedCooperator
    CooperativeTask = TwistedCooperativeTask
else:
    Clock = speedups.Clock
    DelayedCall = speedups.DelayedCall
    #: The C timed-call queue of the fast reactors (C{None} in fallback mode).
    TimerQueue = speedups.TimerQueue

    class LoopingCall(speedups.LoopingCallTick, TwistedLoopingCall):
        __doc__ = TwistedLoopingCall.__doc__

    LoopingCall.__module__ = "twisted_fast.task"
    speedups._register_loopingcall_class(LoopingCall)

    if TYPE_CHECKING or hasattr(TwistedCooperativeTask, "__class_getitem__"):
        # Generic like Twisted's (from Twisted 23 on), so CooperativeTask[X]
        # works.
        class CooperativeTask(
            speedups.CooperativeTaskStep, TwistedCooperativeTask[_TaskIteratorT]
        ):
            __doc__ = TwistedCooperativeTask.__doc__

    else:

        class CooperativeTask(speedups.CooperativeTaskStep, TwistedCooperativeTask):
            __doc__ = TwistedCooperativeTask.__doc__

    speedups._register_task_class(CooperativeTask)

    class Cooperator(speedups.CooperatorTick, TwistedCooperator):
        __doc__ = TwistedCooperator.__doc__

        # Twisted's two methods, making our CooperativeTask (Twisted's name
        # the module-level class, which install() may not have replaced).
        def coiterate(
            self,
            iterator: _TaskIteratorT,
            doneDeferred: Deferred[_TaskIteratorT] | None = None,
        ) -> Deferred[_TaskIteratorT]:
            if doneDeferred is None:
                doneDeferred = Deferred()
            whenDone: Deferred[_TaskIteratorT] = CooperativeTask(
                iterator, self
            ).whenDone()
            whenDone.chainDeferred(doneDeferred)
            return doneDeferred

        def cooperate(self, iterator: _TaskIteratorT) -> CooperativeTask[_TaskIteratorT]:
            return CooperativeTask(iterator, self)

    for _fast in (LoopingCall, CooperativeTask, Cooperator):
        _fast.__module__ = "twisted_fast.task"
    Cooperator.coiterate.__doc__ = TwistedCooperator.coiterate.__doc__
    Cooperator.cooperate.__doc__ = TwistedCooperator.cooperate.__doc__
    classImplements(DelayedCall, IDelayedCall)
    classImplements(Clock, IReactorTime)
