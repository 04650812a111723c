"""
Drop-in replacement for L{twisted.internet.task}.

Every public name of C{twisted.internet.task} is here.  The scheduling classes
(C{Clock}, C{LoopingCall}) come from the C extension when it is in use (see L{twisted_fast.ACCELERATED});
everything else, including the exception classes, is the very same object as
Twisted's, so C{except task.SchedulerStopped} keeps working whichever module
the name was imported from.
"""

from twisted.internet.task import (
    CooperativeTask,
    Cooperator,
    NotPaused,
    SchedulerError,
    SchedulerStopped,
    TaskDone,
    TaskFailed,
    TaskFinished,
    TaskStopped,
    coiterate,
    cooperate,
    deferLater,
    react,
)

from twisted_fast._compat import Clock, LoopingCall

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
