"""
Workloads for C{Cooperator}: twisted-fast's (a C tick and work unit listed
before Twisted's classes) on L{twisted_fast.reactor.FastEPollReactor},
against Twisted's own C{Cooperator} on C{EPollReactor}.

Each side has a fresh reactor (see L{twisted_fast.bench.reactor}) and one
C{Cooperator} whose scheduler is that reactor
(C{lambda x: reactor.callLater(_EPSILON, x)}, what the default scheduler
does on the global reactor), with the default termination predicate (a
10 ms time slice per tick).  The reactor is driven by L{runUntil}:
C{ReactorBase.mainLoop}'s loop body, with its real C{epoll_wait}.  Times are
end to end: the iterators' own work is included.
"""

from __future__ import annotations

import io
from time import perf_counter_ns
from typing import Any, Iterator

from twisted.internet.interfaces import IConsumer
from twisted.internet.task import _EPSILON
from zope.interface import implementer

from twisted_fast import _compat
from twisted_fast.bench._registry import (
    Implementation,
    Runner,
    Target,
    Workload,
    register,
)
from twisted_fast.bench.reactor import (
    _withRunnerClose,
    closeReactor,
    newReactor,
    runUntil,
)


def cooperatorClass(implementation: Implementation) -> type:
    """
    @return: Twisted's C{Cooperator}, or the fast one for the C{"fast"} side
        (Twisted's own in fallback mode).
    """
    if implementation.name == "fast":
        return _compat.Cooperator
    return _compat.TwistedCooperator


def newCooperator(implementation: Implementation) -> tuple[Any, Any]:
    """
    @return: a fresh reactor of C{implementation}, and a C{Cooperator} of
        C{implementation} scheduling its ticks on it.
    """
    reactor = newReactor(implementation)
    cooperator = cooperatorClass(implementation)(
        scheduler=lambda x: reactor.callLater(_EPSILON, x)
    )
    return reactor, cooperator


def _closer(reactor: Any, cooperator: Any) -> Any:
    def close() -> None:
        cooperator.stop()
        closeReactor(reactor)

    return close


def steps(n: int) -> Iterator[None]:
    """
    A trivial task: C{n} steps that do nothing.
    """
    for i in range(n):
        yield None


# --- coiterate-1m ------------------------------------------------------------


def setupCoiterate(implementation: Implementation, n: int) -> Runner:
    """
    One C{coiterate(steps(n))} (see L{newCooperator}), the reactor run until
    its Deferred fires.  One operation is one step.

    @return: the runner (operations: a multiple of C{n}).
    """
    reactor, cooperator = newCooperator(implementation)

    def run(ops: int) -> float:
        coiterate = cooperator.coiterate
        elapsed = 0
        for _ in range(ops // n):
            done: list[object] = []
            start = perf_counter_ns()
            coiterate(steps(n)).addCallback(done.append)
            runUntil(reactor, done.__len__)
            elapsed += perf_counter_ns() - start
        return elapsed * 1e-9

    return _withRunnerClose(run, _closer(reactor, cooperator))


register(
    Workload(
        name="coiterate-1m",
        title="coiterate: a long generator, per step",
        description=(
            "cooperator.coiterate(a generator of N steps that yield None) on a"
            " real reactor, default 10 ms slice, until its Deferred fires:"
            " fast Cooperator on the fast reactor vs Twisted's on"
            " EPollReactor. Per step, the generator's own cost included."
        ),
        setup=setupCoiterate,
        params=(1_000_000,),
        quickParams=(200_000,),
        paramName="steps",
        target=Target("speedup", 2.0, "fast >= 2x Twisted"),
        opsStep=lambda n: n,
    )
)


# --- cooperate-1000-tasks ----------------------------------------------------

#: Steps of each task in cooperate-1000-tasks.
TASK_STEPS = 1000


def setupCooperate(implementation: Implementation, tasks: int) -> Runner:
    """
    C{tasks} concurrent C{cooperate(steps(L{TASK_STEPS}))} (see
    L{newCooperator}), the reactor run until all are done.  One operation is
    one step.

    @return: the runner (operations: a multiple of C{tasks * TASK_STEPS}).
    """
    reactor, cooperator = newCooperator(implementation)
    size = tasks * TASK_STEPS

    def run(ops: int) -> float:
        cooperate = cooperator.cooperate
        elapsed = 0
        for _ in range(ops // size):
            done: list[object] = []
            append = done.append
            start = perf_counter_ns()
            for _ in range(tasks):
                cooperate(steps(TASK_STEPS)).whenDone().addCallback(append)
            runUntil(reactor, lambda: len(done) == tasks)
            elapsed += perf_counter_ns() - start
        return elapsed * 1e-9

    return _withRunnerClose(run, _closer(reactor, cooperator))


register(
    Workload(
        name="cooperate-1000-tasks",
        title="cooperate: many tasks, per step",
        description=(
            f"N concurrent cooperator.cooperate(a generator of {TASK_STEPS}"
            " steps that yield None) on a real reactor, default 10 ms slice,"
            " until all are done: fast Cooperator on the fast reactor vs"
            " Twisted's on EPollReactor. Per step."
        ),
        setup=setupCooperate,
        params=(1000,),
        quickParams=(200,),
        paramName="tasks",
        opsStep=lambda tasks: tasks * TASK_STEPS,
    )
)


# --- filebodyproducer --------------------------------------------------------

#: FileBodyProducer's default read size.
READ_SIZE = 2**16


@implementer(IConsumer)
class DiscardingConsumer:
    """
    An C{IConsumer} that counts the chunks written to it and drops them.
    """

    def __init__(self) -> None:
        self.chunks = 0

    def registerProducer(self, producer: object, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        self.chunks += 1


def setupFileBody(implementation: Implementation, mebibytes: int) -> Runner:
    """
    C{FileBodyProducer(io.BytesIO(zeros), cooperator=...)} (see
    L{newCooperator}; the default read size, 64 KiB) producing
    C{mebibytes} MiB into a L{DiscardingConsumer}, the reactor run until the
    Deferred of C{startProducing} fires.  One operation is one chunk written.

    @return: the runner (operations: a multiple of the chunks per file).
    """
    from twisted.web.client import FileBodyProducer

    reactor, cooperator = newCooperator(implementation)
    # Not bytes(n): its calloc'd pages all map the one zero page, which
    # stays in cache; these are real, written pages, as a file's would be.
    data = b"\x00" * (mebibytes * 2**20)
    chunks = -(-len(data) // READ_SIZE)

    def run(ops: int) -> float:
        elapsed = 0
        for _ in range(ops // chunks):
            consumer = DiscardingConsumer()
            producer = FileBodyProducer(io.BytesIO(data), cooperator=cooperator)
            done: list[object] = []
            start = perf_counter_ns()
            producer.startProducing(consumer).addCallback(done.append)
            runUntil(reactor, done.__len__)
            elapsed += perf_counter_ns() - start
            if consumer.chunks != chunks:
                raise RuntimeError(f"{consumer.chunks} chunks, {chunks} wanted")
        return elapsed * 1e-9

    return _withRunnerClose(run, _closer(reactor, cooperator))


register(
    Workload(
        name="filebodyproducer",
        title="FileBodyProducer: per 64 KiB chunk",
        description=(
            "twisted.web.client.FileBodyProducer(io.BytesIO(N MiB of zeros),"
            " cooperator=...) streaming 64 KiB chunks (its default readSize)"
            " into a consumer that drops them, on a real reactor: fast"
            " Cooperator on the fast reactor vs Twisted's on EPollReactor."
            " Per chunk (a 64 KiB read from BytesIO and a write)."
        ),
        setup=setupFileBody,
        params=(64,),
        quickParams=(16,),
        paramName="MiB",
        opsStep=lambda mebibytes: mebibytes * 2**20 // READ_SIZE,
    )
)
