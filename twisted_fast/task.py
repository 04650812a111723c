"""
Drop-in replacement for L{twisted.internet.task}.

Every public name of C{twisted.internet.task} is here.  The scheduling classes
(C{Clock}, C{LoopingCall}, C{Cooperator}, C{CooperativeTask}, and
C{cooperate}/C{coiterate} over their own default cooperator) come from the C
extension when it is in use (see L{twisted_fast.ACCELERATED});
everything else, including the exception classes, is the very same object as
Twisted's, so C{except task.SchedulerStopped} keeps working whichever module
the name was imported from.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.task import (
    NotPaused,
    SchedulerError,
    SchedulerStopped,
    TaskDone,
    TaskFailed,
    TaskFinished,
    TaskStopped,
    deferLater,
    react,
)

from twisted_fast._compat import (
    Clock,
    CooperativeTask,
    Cooperator,
    LoopingCall,
    _TaskIteratorT,
)

#: The default cooperator of L{cooperate} and L{coiterate}; L{twisted_fast.install}
#: makes it C{twisted.internet.task._theCooperator} too.
_theCooperator = Cooperator()


def coiterate(iterator: _TaskIteratorT) -> Deferred[_TaskIteratorT]:
    """
    Cooperatively iterate over the given iterator, dividing runtime between it
    and all other iterators which have been passed to this function and not
    yet exhausted; as L{twisted.internet.task.coiterate}.
    """
    return _theCooperator.coiterate(iterator)


def cooperate(iterator: _TaskIteratorT) -> CooperativeTask[_TaskIteratorT]:
    """
    Start running the given iterator as a long-running cooperative task, by
    calling next() on it as a periodic timed event; as
    L{twisted.internet.task.cooperate}.
    """
    return _theCooperator.cooperate(iterator)

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
