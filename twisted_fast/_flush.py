"""
Flush before poll: a connected socket's buffered writes go out just before the
reactor blocks in its poll, with no C{epoll_ctl} when the socket drains.

Twisted's C{FileDescriptor.write()} buffers the data and calls
C{startWriting()}; the reactor registers the descriptor for writability (one
C{epoll_ctl}), the next poll reports it writable, C{doWrite()} sends, and
C{stopWriting()} unregisters it (a second C{epoll_ctl}).  With the mixins
here, C{addWriter} of a connected socket only records the writer; right
before the reactor polls, each recorded writer's C{doWrite()} runs through
the reactor's own C{_doReadOrWrite} (what a writability event runs), and only
a descriptor that did not drain (C{EAGAIN}, a partial write, the per-call
send limit) is registered for writability, as Twisted would have done; from
then on it behaves exactly as in Twisted until it drains.

What changes is when the data reaches the socket: just before the next poll
instead of just after it.  The order relative to callbacks is the same: in
both, the write happens after the current iteration's timed calls and I/O
callbacks.

The cases handled (each has a test in C{tests/test_flush.py}):

  - code run by the flush (a producer, C{connectionLost}) may schedule timed
    calls: the poll's timeout is computed again after the flush;
  - C{reactor.stop()} or C{crash()} called from that code: the poll does not
    block;
  - a descriptor removed during the flush (another's C{connectionLost} closed
    it): skipped;
  - a producer that writes again during its own flush (a pull producer's
    C{resumeProducing}, a push producer resumed): it stays recorded for the
    next iteration and the poll does not block, so each descriptor gets one
    C{doWrite} per iteration, as with writability events;
  - C{getWriters()} and C{removeAll()} include recorded writers;
  - a socket still connecting waits for writability to learn the result of
    its C{connect()}: it stays on Twisted's path.

On by default; off with C{TWISTED_FAST_FLUSH_BEFORE_POLL=0} in the
environment (read when a reactor is made) or C{reactor.flushBeforePoll =
False} on one reactor.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

from twisted.internet import posixbase, tcp
from twisted.python import context, log
from twisted.python.log import ILogContext

from twisted_fast import _switches

__all__ = [
    "FlushBeforeEPoll",
    "FlushBeforePoll",
    "FlushBeforeSelect",
    "FLUSH_BEFORE_POLL",
    "flushDefault",
]

#: The environment switch; unset means on.
FLUSH_BEFORE_POLL = "TWISTED_FAST_FLUSH_BEFORE_POLL"

# Only connected stream sockets (TCP, UNIX, and TLS over them) are recorded:
# a connecting client's doWrite is its doConnect, which must wait for
# writability; pipes and files keep Twisted's path.
_SOCKETS = tcp.Connection


# Twisted's own log-context machinery, as this module found it: the lean
# dispatch below is used only while none of it has been replaced.
_twistedCallWithLogger = log.callWithLogger
_twistedCallWithContext = log.callWithContext
_twistedTracker = context.theContextTracker
# The bound method itself, compared by identity; never equal to context.call
# if something replaced it before this module was imported.
_twistedCall = (
    context.call if context.call == _twistedTracker.callWithContext else object()
)

# Twisted's dispatch of a poll event (epoll and poll reactors), which the
# flush of those reactors runs inline while the reactor has not replaced it
# (L{_FlushBase._leanDispatch}), and what it returns for a lost descriptor.
_pollLikeDoReadOrWrite = posixbase._PollLikeMixin._doReadOrWrite
# Where Twisted's tracker keeps each thread's context stack (its
# currentContext() reads storage.ct), which the flush reads inline.
_twistedCurrentContext = context.ThreadedContextTracker.currentContext
_twistedStorage = _twistedTracker.storage
_NO_FILEDESC = posixbase._NO_FILEDESC


def _leanLogging() -> bool:
    """
    @return: whether Twisted's C{log.callWithLogger} and its context tracker
        are the ones L{_callWithLogger} reproduces (nothing patched them).
        Identity checks only: one replaced by an equal object counts as
        patched, which only costs the lean path.
    """
    return (
        log.callWithLogger is _twistedCallWithLogger
        and log.callWithContext is _twistedCallWithContext
        and context.theContextTracker is _twistedTracker
        and context.call is _twistedCall
    )


def _callWithLogger(logger: Any, func: Any, *args: Any) -> Any:
    """
    Twisted's C{log.callWithLogger(logger, func, *args)} in one frame instead
    of five: the same log context (the enclosing C{ILogContext} with
    C{system} set to C{logger.logPrefix()}) pushed on the same thread's
    context stack while C{func} runs, the same failures logged the same way.
    Only while L{_leanLogging} holds.
    """
    try:
        lp = logger.logPrefix()
    except KeyboardInterrupt:
        raise
    except BaseException:
        lp = "(buggy logPrefix method)"
        log.err(system=lp)
    try:
        stack = _twistedTracker.currentContext().contexts
        # context.get(ILogContext): the innermost context that has it.
        logContext = None
        for ctx in reversed(stack):
            if ILogContext in ctx:
                logContext = ctx[ILogContext]
                break
        newContext = logContext.copy()  # type: ignore[attr-defined]
        newContext["system"] = lp
        stack.append({ILogContext: newContext})
        try:
            return func(*args)
        finally:
            stack.pop()
    except KeyboardInterrupt:
        raise
    except BaseException:
        log.err(system=lp)


def flushDefault() -> bool:
    """
    @return: whether a new fast reactor flushes before it polls:
        C{TWISTED_FAST_FLUSH_BEFORE_POLL} unset or anything but an off
        spelling (C{0}, C{false}, C{no}, C{off}).
    """
    word = os.environ.get(FLUSH_BEFORE_POLL, "").strip().lower()
    return word == "" or word not in _switches.OFF


class _FlushBase:
    """
    What the epoll/poll and the select variants share.  Listed before the
    Twisted reactor class, after the timed-call mixins.
    """

    #: Whether writes of connected sockets are flushed before the poll.
    flushBeforePoll: bool = True

    # The reactor's own (Twisted's) attributes, for type checkers.
    _writes: Any
    _started: bool
    _justStopped: bool
    running: bool
    threadCallQueue: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # fd -> writer, recorded by addWriter, flushed before the next poll.
        self._flushWriters: dict[int, Any] = {}
        # The ones taken for the flush in progress, not yet flushed.
        self._flushPending: dict[int, Any] = {}
        # The writer whose doWrite the flush is running, and whether it
        # stopped writing (drained, or was disconnected) during it.
        self._flushing: Any = None
        self._flushStopped = False
        self.flushBeforePoll = flushDefault()
        super().__init__(*args, **kwargs)

    #: Whether the reactor's C{_writes} holds descriptor numbers (epoll,
    #: poll) rather than the writers themselves (select): the test that a
    #: writer waits for writability in Twisted's way, done inline in
    #: L{addWriter} and L{removeWriter}, which run for every write.
    _writesByFd = True

    def addWriter(self, writer: Any) -> None:
        """
        Record a connected socket, to be flushed before the next poll; any
        other writer is added as Twisted does.
        """
        if writer is self._flushing and not self._flushStopped:
            # A write during its own doWrite that has not drained yet: the
            # flush registers it after the doWrite if it did not drain.
            return
        if self.flushBeforePoll and isinstance(writer, _SOCKETS) and writer.connected:
            fd = writer.fileno()
            if fd >= 0 and (fd if self._writesByFd else writer) not in self._writes:
                self._flushWriters[fd] = writer
                return
        super().addWriter(writer)  # type: ignore[misc]

    def removeWriter(self, writer: Any) -> None:
        """
        Forget a recorded writer, and remove it from the poller as Twisted
        does.
        """
        if writer is self._flushing:
            # It drained (or is being disconnected) during its flush: it was
            # recorded, so it is not in the poller, unless the flush was
            # switched off meanwhile and it was added there since.
            self._flushStopped = True
            if self._flushWriters:
                self._forget(writer)
            fd = writer.fileno()
            if fd >= 0 and (fd if self._writesByFd else writer) not in self._writes:
                return
        elif self._flushWriters or self._flushPending:
            self._forget(writer)
        super().removeWriter(writer)  # type: ignore[misc]

    def _forget(self, writer: Any) -> bool:
        """
        Drop C{writer} from the recorded writers.

        @return: whether it was recorded.
        """
        fd = writer.fileno()
        found = False
        for recorded in (self._flushWriters, self._flushPending):
            if fd >= 0:
                if recorded.get(fd) is writer:
                    del recorded[fd]
                    found = True
            else:
                # Closed already: its descriptor number is gone; find it.
                for key, value in list(recorded.items()):
                    if value is writer:
                        del recorded[key]
                        found = True
        return found

    def _recordedWriters(self) -> list[Any]:
        return list(self._flushPending.values()) + list(self._flushWriters.values())

    def getWriters(self) -> list[Any]:
        """
        Twisted's writers, and the recorded ones.
        """
        writers = super().getWriters()  # type: ignore[misc]
        for writer in self._recordedWriters():
            if not any(writer is w for w in writers):
                writers.append(writer)
        return writers  # type: ignore[no-any-return]

    def removeAll(self) -> list[Any]:
        """
        Twisted's C{removeAll}, recorded writers included.
        """
        recorded = self._recordedWriters()
        self._flushWriters.clear()
        self._flushPending.clear()
        removed = super().removeAll()  # type: ignore[misc]
        for writer in recorded:
            if writer is not getattr(self, "waker", None) and not any(
                writer is r for r in removed
            ):
                removed.append(writer)
        return removed  # type: ignore[no-any-return]

    def _flushOne(self, writer: Any, fd: int) -> None:
        raise NotImplementedError()

    def _leanDispatch(self) -> bool:
        """
        @return: whether the flush may run this reactor's C{_doReadOrWrite}
            of a writability event inline: never here.
        """
        return False

    def _flushRecorded(self, timeout: Any) -> Any:
        """
        Run C{doWrite} of every recorded writer, register for writability
        those that did not drain, and compute the poll's timeout again.

        While L{_leanDispatch} and L{_leanLogging} hold, each writer's
        C{_callWithLogger(writer, self._doReadOrWrite, writer, fd,
        self._POLL_OUT)} runs inline, in this frame: the same log context
        pushed on the same stack, then what Twisted's
        C{_PollLikeMixin._doReadOrWrite} does with a writability event
        (C{fileno()} checked, C{doWrite()}, a failure logged and the writer
        disconnected), the same failures logged the same way: five Python
        calls fewer per write (C{_flushOne}, C{_leanLogging},
        C{_callWithLogger}, C{currentContext}, C{_doReadOrWrite}).

        @param timeout: the timeout the main loop computed before the flush.
        @return: the timeout for the poll.
        """
        started, justStopped = self._started, self._justStopped
        pending = self._flushWriters
        self._flushWriters = {}
        self._flushPending = pending
        lean = self._leanDispatch()
        try:
            # In recording order.  Writers recorded meanwhile go to the new
            # _flushWriters; one forgotten meanwhile is no longer in pending.
            for fd in list(pending):
                writer = pending.pop(fd, None)
                if writer is None:
                    continue
                self._flushing = writer
                self._flushStopped = False
                try:
                    if not (
                        lean
                        and log.callWithLogger is _twistedCallWithLogger
                        and log.callWithContext is _twistedCallWithContext
                        and context.theContextTracker is _twistedTracker
                        and context.call is _twistedCall
                    ):
                        self._flushOne(writer, fd)
                    else:
                        # _callWithLogger, inline.
                        try:
                            lp = writer.logPrefix()
                        except KeyboardInterrupt:
                            raise
                        except BaseException:
                            lp = "(buggy logPrefix method)"
                            log.err(system=lp)
                        try:
                            # _twistedTracker.currentContext(), inline.
                            try:
                                stack = _twistedStorage.ct.contexts
                            except AttributeError:
                                stack = _twistedTracker.currentContext().contexts
                            logContext: Any = None
                            for ctx in reversed(stack):
                                if ILogContext in ctx:
                                    logContext = ctx[ILogContext]
                                    break
                            newContext = logContext.copy()
                            newContext["system"] = lp
                            stack.append({ILogContext: newContext})
                            try:
                                # _PollLikeMixin._doReadOrWrite(writer, fd,
                                # self._POLL_OUT), inline.
                                why: Any = None
                                try:
                                    if writer.fileno() == -1:
                                        why = _NO_FILEDESC
                                    else:
                                        why = writer.doWrite()
                                except BaseException:
                                    why = sys.exc_info()[1]
                                    log.err()
                                if why:
                                    self._disconnectSelectable(  # type: ignore[attr-defined]
                                        writer, why, False
                                    )
                            finally:
                                stack.pop()
                        except KeyboardInterrupt:
                            raise
                        except BaseException:
                            log.err(system=lp)
                finally:
                    self._flushing = None
                if not self._flushStopped and writer.fileno() >= 0:
                    # Not drained: wait for writability, as Twisted does.
                    super().addWriter(writer)  # type: ignore[misc]
        finally:
            if pending:
                # Something raised through the flush: keep the rest.
                pending.update(self._flushWriters)
                self._flushWriters = pending
            self._flushPending = {}
        if (
            self._flushWriters
            or (self._justStopped and not justStopped)
            or (started and not self._started)
        ):
            # Written again during its own flush, or stopped/crashed by code
            # the flush ran: do not block.
            return 0
        if timeout == 0:
            return timeout
        # The flush may have scheduled a timed call due sooner.  (One it
        # cancelled only makes the poll return early, as in Twisted.)
        t2 = self.timeout()  # type: ignore[attr-defined]
        if t2 is not None and (timeout is None or t2 < timeout):
            return t2
        return timeout


class FlushBeforePoll(_FlushBase):
    """
    Flush before poll for the epoll and poll reactors (C{doPoll}).
    """

    def _flushOne(self, writer: Any, fd: int) -> None:
        call = _callWithLogger if _leanLogging() else log.callWithLogger
        call(writer, self._doReadOrWrite, writer, fd, self._POLL_OUT)  # type: ignore[attr-defined]

    def _leanDispatch(self) -> bool:
        """
        @return: whether L{_FlushBase._flushRecorded} may run this reactor's
            C{_doReadOrWrite(writer, fd, self._POLL_OUT)} inline: it is
            Twisted's C{_PollLikeMixin._doReadOrWrite} (nothing replaced it
            on the class or the instance), a writability event is neither a
            disconnection nor a read for it, and Twisted's context tracker
            still keeps its stacks where the flush reads them.
        """
        # Class attributes are read on the type (cached by CPython); an
        # instance attribute of the same name would shadow them.
        return (
            type(self)._doReadOrWrite is _pollLikeDoReadOrWrite  # type: ignore[attr-defined]
            and "_doReadOrWrite" not in self.__dict__
            and not (
                self._POLL_OUT  # type: ignore[attr-defined]
                & (self._POLL_DISCONNECTED | self._POLL_IN)  # type: ignore[attr-defined]
            )
            and type(_twistedTracker).currentContext is _twistedCurrentContext
            and "currentContext" not in _twistedTracker.__dict__
            and _twistedTracker.storage is _twistedStorage
        )

    def doPoll(self, timeout: Any) -> None:
        """
        Flush the recorded writers, then poll as Twisted does.
        """
        if self._flushWriters:
            timeout = self._flushRecorded(timeout)
        super().doPoll(timeout)  # type: ignore[misc]

    doIteration = doPoll


class FlushBeforeSelect(_FlushBase):
    """
    Flush before poll for the select reactor (C{doSelect}), whose writers are
    a set of objects rather than of descriptors.
    """

    _writesByFd = False

    def _flushOne(self, writer: Any, fd: int) -> None:
        call = _callWithLogger if _leanLogging() else log.callWithLogger
        call(writer, self._doReadOrWrite, writer, "doWrite")  # type: ignore[attr-defined]

    def doSelect(self, timeout: Any) -> None:
        """
        Flush the recorded writers, then select as Twisted does.
        """
        if self._flushWriters:
            timeout = self._flushRecorded(timeout)
        super().doSelect(timeout)  # type: ignore[misc]

    doIteration = doSelect


class FlushBeforeEPoll(FlushBeforePoll):
    """
    L{FlushBeforePoll} for the epoll reactor, whose dispatch of the poll's
    events is Twisted's C{EPollReactor.doPoll} with its per-event
    C{log.callWithLogger} done by L{_callWithLogger} (the same log context,
    one Python frame instead of five), while nothing patched Twisted's
    logging context.
    """

    def doPoll(self, timeout: Any) -> None:
        """
        Flush the recorded writers, then poll and dispatch as Twisted's
        C{EPollReactor.doPoll} does.
        """
        if self._flushWriters:
            timeout = self._flushRecorded(timeout)
        if not (  # _leanLogging(), inline: this runs every iteration.
            log.callWithLogger is _twistedCallWithLogger
            and log.callWithContext is _twistedCallWithContext
            and context.theContextTracker is _twistedTracker
            and context.call is _twistedCall
        ):
            return super(FlushBeforePoll, self).doPoll(timeout)  # type: ignore[misc, no-any-return]
        if timeout is None:
            timeout = -1  # Wait indefinitely.
        try:
            events = self._poller.poll(timeout, len(self._selectables))  # type: ignore[attr-defined]
        except OSError as err:
            if err.errno == errno.EINTR:
                return None
            raise
        drdw = self._doReadOrWrite  # type: ignore[attr-defined]
        selectables = self._selectables  # type: ignore[attr-defined]
        for fd, event in events:
            try:
                selectable = selectables[fd]
            except KeyError:
                pass
            else:
                _callWithLogger(selectable, drdw, selectable, fd, event)
        return None

    doIteration = doPoll
