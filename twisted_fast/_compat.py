"""
Choose the implementation: the C extension C{twisted_fast._speedups} or
Twisted's own pure-Python classes.

The C extension is skipped when C{TWISTED_FAST_NO_EXTENSIONS} is set (to
C{1}, C{true}, C{yes} or C{on}, or to a value that is not a spelling of
false: see L{twisted_fast._switches}), when the interpreter is not CPython,
or when the extension does not import (for example because it could not be
compiled at install time).  In every case the names exported here work;
L{ACCELERATED} says which implementation they are and L{FALLBACK_REASON} why
the C extension is not in use.
"""

from __future__ import annotations

import importlib
import os
import platform
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from zope.interface import classImplements

from twisted.internet import base as _base
from twisted.internet import task as _task
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted_fast import _switches

#: Twisted's own classes, captured before L{twisted_fast.install} patches
#: anything, so that the fallback and the benchmarks can always reach them.
TwistedClock = _task.Clock
TwistedDelayedCall = _base.DelayedCall
TwistedLoopingCall = _task.LoopingCall
TwistedCooperator = _task.Cooperator
TwistedCooperativeTask = _task.CooperativeTask


def _loadSpeedups() -> tuple[ModuleType | None, str | None, bool]:
    """
    Import the C extension, unless it is switched off.

    @return: the extension module or L{None}; when L{None}, why (the text of
        L{FALLBACK_REASON}), and whether the fallback was asked for with
        C{TWISTED_FAST_NO_EXTENSIONS} (set to a spelling of true).
    """
    value = os.environ.get(_switches.NO_EXTENSIONS)
    disabled, recognised = _switches.readSwitch(value)
    if disabled and value is not None:
        if recognised:
            return None, f"disabled by {_switches.NO_EXTENSIONS}={value.strip()}", True
        return None, f"disabled by {_switches.unrecognised(_switches.NO_EXTENSIONS, value)}", False
    implementation = platform.python_implementation()
    if implementation != "CPython":
        return None, f"not CPython ({implementation})", False
    try:
        module = importlib.import_module("twisted_fast._speedups")
    except ModuleNotFoundError as e:
        if e.name != "twisted_fast._speedups":
            return None, f"the C extension failed to import: {e}", False
        record = Path(__file__).with_name(_switches.BUILD_FAILED)
        try:
            failure = record.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None, f"the C extension failed to import: {e} (it was not built)", False
        failure = _switches.readBuildFailure(failure)
        return None, f"the C extension was not built at install time: {failure}", False
    except Exception as e:
        # Not only ImportError ("file too short", an undefined symbol): an
        # error in the module's initialisation too.  `import twisted_fast`
        # never fails, and the reason keeps what went wrong.
        error = str(e) if isinstance(e, ImportError) else f"{type(e).__name__}: {e}"
        return None, f"the C extension failed to import: {error}", False
    return module, None, False


_speedupsModule, _reason, _requested = _loadSpeedups()

#: Why the C extension is not in use (a sentence), or L{None} when it is.
FALLBACK_REASON: str | None = _reason

#: Whether the fallback mode was asked for, with C{TWISTED_FAST_NO_EXTENSIONS}
#: set to a spelling of true (then nothing warns about it).
FALLBACK_REQUESTED: bool = _requested

if TYPE_CHECKING:
    # Type checkers see the C classes (typed by twisted_fast/_speedups.pyi);
    # in fallback mode the same names are Twisted's own classes, which have
    # the same methods.
    from twisted_fast import _speedups

    speedups = _speedups
else:
    speedups = _speedupsModule

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
