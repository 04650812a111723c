# Type stub of twisted_fast.task: what a type checker sees of its public
# names, each typed as itself (twisted_fast.task.LoopingCall, not Twisted's
# class nor the private module that builds it, twisted_fast/_compat.py), so
# that switching a program's import from twisted.internet.task to
# twisted_fast.task keeps it type-checking.
#
# The classes are those of the C extension (in the fallback mode, where the
# names are Twisted's own classes, the same methods take the same arguments).
# LoopingCall, Cooperator and CooperativeTask are subclasses of Twisted's at
# run time, and here; Clock is not (README, difference 17), and
# says so: it provides IReactorTime.  Checked against the module by
# tests/test_typing.py (mypy.stubtest) and by the programs it type-checks.

from collections.abc import Callable, Iterator
from typing import Self, TypeVar

from typing_extensions import disjoint_base

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import CooperativeTask as _TwistedCooperativeTask
from twisted.internet.task import Cooperator as _TwistedCooperator
from twisted.internet.task import LoopingCall as _TwistedLoopingCall
from twisted.internet.task import NotPaused as NotPaused
from twisted.internet.task import SchedulerError as SchedulerError
from twisted.internet.task import SchedulerStopped as SchedulerStopped
from twisted.internet.task import TaskDone as TaskDone
from twisted.internet.task import TaskFailed as TaskFailed
from twisted.internet.task import TaskFinished as TaskFinished
from twisted.internet.task import TaskStopped as TaskStopped
from twisted.internet.task import deferLater as deferLater
from twisted.internet.task import react as react
from zope.interface import implementer

from twisted_fast import _speedups

_TaskIteratorT = TypeVar("_TaskIteratorT", bound=Iterator[object])

# At run time this name is the C type itself (twisted_fast._speedups.Clock);
# the subclass gives it its public name and keeps the two interchangeable
# where the package's own code says _speedups.Clock.
@disjoint_base
@implementer(IReactorTime)
class Clock(_speedups.Clock):
    """
    Provide a deterministic, easily-controlled implementation of
    L{IReactorTime.callLater}, as L{twisted.internet.task.Clock} does.
    """

class LoopingCall(_TwistedLoopingCall):
    """
    Call a function repeatedly, as L{twisted.internet.task.LoopingCall} does.
    """

    # The Deferred fires with this LoopingCall.  Twisted's says it is one of
    # its own; Deferred is invariant, hence the ignores.  Not Deferred[Self]:
    # a subclass's start() is a Deferred[LoopingCall], as in Twisted.
    def start(  # type: ignore[override]
        self, interval: float, now: bool = True
    ) -> Deferred[LoopingCall]: ...
    @property
    def deferred(self) -> Deferred[LoopingCall] | None: ...  # type: ignore[override]
    # Twisted's classmethod, which makes an instance of the class it is
    # called on.
    @classmethod
    def withCount(cls, countCallable: Callable[[int], object]) -> Self: ...

class CooperativeTask(_TwistedCooperativeTask[_TaskIteratorT]):
    """
    A task inside a L{Cooperator}, as L{twisted.internet.task.CooperativeTask}.
    """

class Cooperator(_TwistedCooperator):
    """
    A scheduler of cooperative tasks, as L{twisted.internet.task.Cooperator}.
    """

    def coiterate(
        self,
        iterator: _TaskIteratorT,
        doneDeferred: Deferred[_TaskIteratorT] | None = None,
    ) -> Deferred[_TaskIteratorT]: ...
    def cooperate(self, iterator: _TaskIteratorT) -> CooperativeTask[_TaskIteratorT]: ...

_theCooperator: Cooperator

def coiterate(iterator: _TaskIteratorT) -> Deferred[_TaskIteratorT]: ...
def cooperate(iterator: _TaskIteratorT) -> CooperativeTask[_TaskIteratorT]: ...

__all__ = [
    "Clock",
    "CooperativeTask",
    "Cooperator",
    "LoopingCall",
    "NotPaused",
    "SchedulerError",
    "SchedulerStopped",
    "TaskDone",
    "TaskFailed",
    "TaskFinished",
    "TaskStopped",
    "coiterate",
    "cooperate",
    "deferLater",
    "react",
]
