"""
A small Twisted program written against twisted-fast, for the type checker
(tests/test_typing.py runs mypy on it and expects no errors) and for the
interpreter (the same test runs it and checks its output).

It uses what a user of twisted-fast uses: L{twisted_fast.install}, the
classes of L{twisted_fast.task} where Twisted expects its own (an
C{IReactorTime}, a C{Cooperator} scheduler), and the fast reactor.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import twisted_fast
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted_fast import task
from twisted_fast.reactor import isFastReactor

# Before anything imports twisted.internet.reactor.
accelerated: bool = twisted_fast.install()
# Why not accelerated, or None.
reason: str | None = twisted_fast.FALLBACK_REASON
assert (reason is None) is accelerated, reason


def countdown(n: int) -> Iterator[int]:
    while n > 0:
        yield n
        n -= 1


def onClock() -> list[str]:
    """
    Drive a LoopingCall, a Cooperator and deferLater with a Clock.
    """
    seen: list[str] = []
    clock = task.Clock()
    time: IReactorTime = clock
    call: IDelayedCall = time.callLater(5, seen.append, "callLater")
    assert call.active()
    assert clock.getDelayedCalls() == [call]

    loop = task.LoopingCall(seen.append, "tick")
    loop.clock = clock
    stopped = loop.start(2.0, now=False)
    stopped.addCallback(lambda lc: seen.append(f"stopped {lc.running}"))

    def schedule(work: Callable[[], None]) -> IDelayedCall:
        return clock.callLater(0.5, work)

    cooperator = task.Cooperator(scheduler=schedule)
    cooperative: task.CooperativeTask[Iterator[int]] = cooperator.cooperate(countdown(3))
    cooperative.whenDone().addCallback(lambda _: seen.append("cooperated"))
    done: Deferred[Iterator[int]] = cooperator.coiterate(countdown(2))
    done.addCallback(lambda _: seen.append("coiterated"))

    later: Deferred[int] = task.deferLater(clock, 3.0, lambda: 42)
    later.addCallback(lambda value: seen.append(f"deferLater {value}"))

    clock.pump([0.5] * 12)
    loop.stop()
    now: float = clock.seconds()
    seen.append(f"now {now}")
    return seen


@inlineCallbacks
def onReactor(reactor: IReactorTime) -> Generator[Deferred[Any], Any, None]:
    """
    The same names on the running reactor: the fast one after install().
    """
    value = yield task.deferLater(reactor, 0.01, lambda: "reactor")
    print(value, isFastReactor(reactor))
    yield task.coiterate(countdown(3))


def main(reactor: IReactorTime) -> Deferred[None]:
    print("accelerated", accelerated, twisted_fast.ACCELERATED)
    print(" ".join(onClock()))
    return onReactor(reactor)


if __name__ == "__main__":
    task.react(main)
