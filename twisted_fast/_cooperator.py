"""
The Python half of a cooperative task's work unit (C{src/cooperator.c} runs
the rest): what Twisted's C{CooperativeTask._oneWorkUnit} does when the
iterator finishes, fails or yields a L{Deferred}, in Twisted's own words.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import TaskDone, TaskFailed
from twisted.python.failure import Failure


def taskDone(task: Any) -> None:
    """
    The iterator is exhausted: C{_completeWith(TaskDone(), self._iterator)},
    reading the attribute afresh as Twisted does.
    """
    task._completeWith(TaskDone(), task._iterator)


def taskFailed(task: Any, exception: BaseException) -> None:
    """
    The iterator raised: C{_completeWith(TaskFailed(), Failure())}.
    """
    failure = Failure(exception, type(exception), exception.__traceback__)
    task._completeWith(TaskFailed(), failure)


def taskWaits(task: Any, result: Deferred[object]) -> None:
    """
    The iterator yielded a L{Deferred}: pause until it fires, fail the task if
    it fails.
    """
    task.pause()

    def failLater(failure: Failure) -> None:
        task._completeWith(TaskFailed(), failure)

    result.addCallbacks(lambda result: task.resume(), failLater)
