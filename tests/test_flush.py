"""
Flush before poll (L{twisted_fast._flush}): the fast reactors send a connected
socket's buffered writes just before they poll, and register it for
writability only when it did not drain.

Behaviour tests run on both implementations (C{c}: the fast reactors,
C{twisted}: Twisted's) and every flavour (epoll, poll, select): data written,
produced (pull and push producers), closed with buffered data, half-closed
and sent over TLS reaches the peer exactly as with Twisted's reactor.  The
mechanism itself (nothing registered when a socket drains, each case listed
in L{twisted_fast._flush}) is tested on C{c} alone.

Connections are the two ends of a C{socketpair()}, adopted into the reactor
(C{adoptStreamConnection}), or one adopted end and a plain socket the test
reads itself: no listening port, nothing else on the machine involved.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from zope.interface import implementer

from reactorhelpers import (  # the fixtures are used by name
    buildReactor,  # noqa: F401
    cReactorImpl,  # noqa: F401
    capturedEvents,
    failureEvents,
    flavour,  # noqa: F401
    reactorClass,  # noqa: F401
    reactorImpl,  # noqa: F401
    runReactor,
    spin,
)
from twisted.internet import error, interfaces, protocol, tcp
from twisted.python.failure import Failure

#: More than a socket pair's buffers hold: writes of this size cannot drain
#: before the peer reads.
BIG = 4 * 1024 * 1024


def assertFailuresLoggedAs(
    events: list[dict[str, Any]], exceptionType: type[BaseException], system: str
) -> None:
    """
    C{events} log at least one failure, and every failure they log is an
    C{exceptionType} logged with C{system} as its C{system}.
    """
    failures = failureEvents(events)
    assert failures
    for event in failures:
        failure = event.get("log_failure", event.get("failure"))
        assert failure.check(exceptionType)
        assert event["system"] == system


class Recorder(protocol.Protocol):
    """
    Keeps what it receives and whether (and how) the connection ended.
    """

    def __init__(self, onLost: Callable[[Recorder], None] | None = None) -> None:
        self.received = bytearray()
        self.lost: Failure | None = None
        self.onLost = onLost
        self.onData: Callable[[Recorder], None] | None = None

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if self.onData is not None:
            self.onData(self)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.lost = reason
        if self.onLost is not None:
            self.onLost(self)


@implementer(interfaces.IHalfCloseableProtocol)
class HalfCloseRecorder(Recorder):
    """
    A L{Recorder} told of half-closes.
    """

    readLost = False
    writeLost = False

    def readConnectionLost(self) -> None:
        self.readLost = True
        if self.onLost is not None:
            self.onLost(self)

    def writeConnectionLost(self) -> None:
        self.writeLost = True


def adopt(reactor: Any, sock: socket.socket, proto: protocol.Protocol) -> Any:
    """
    Adopt C{sock} into C{reactor} with C{proto} as its protocol (wrapped by a
    factory that hands out this one instance), and close C{sock}: the reactor
    holds a duplicate.

    @return: the transport.
    """
    factory = protocol.Factory.forProtocol(lambda: proto)
    sock.setblocking(False)
    reactor.adoptStreamConnection(sock.fileno(), socket.AF_UNIX, factory)
    sock.close()
    return proto.transport


def pair(reactor: Any, a: protocol.Protocol, b: protocol.Protocol) -> tuple[Any, Any]:
    """
    Two protocols connected through a socket pair, both ends in C{reactor}.
    """
    left, right = socket.socketpair()
    adopt(reactor, left, a)
    adopt(reactor, right, b)
    return a.transport, b.transport


def half(reactor: Any, proto: protocol.Protocol) -> socket.socket:
    """
    C{proto} on one end of a socket pair in C{reactor}; the other end, a
    non-blocking plain socket, is returned to the test.
    """
    left, right = socket.socketpair()
    adopt(reactor, left, proto)
    right.setblocking(False)
    return right


def pending(sock: socket.socket) -> bytes:
    """
    What C{sock} has received so far, without waiting.
    """
    try:
        return sock.recv(BIG)
    except BlockingIOError:
        return b""


def isWriterRegistered(reactor: Any, transport: Any) -> bool:
    """
    Whether C{transport} waits for writability in the poller (Twisted's way).
    """
    writes = reactor._writes
    return transport in writes or transport.fileno() in writes


def closeConnections(reactor: Any) -> None:
    """
    Close every connection a test left in C{reactor}, at once (the reactor
    is not run again to close them the usual way).
    """
    for selectable in set(reactor.getReaders()) | set(reactor.getWriters()):
        if isinstance(selectable, tcp.Connection):
            selectable.connectionLost(Failure(error.ConnectionAborted()))


@pytest.fixture
def reactor(reactorClass: type, buildReactor: Callable[[type], Any]) -> Iterator[Any]:
    """
    A fresh reactor of this implementation and flavour (not installed); the
    connections the test left are closed at the end.
    """
    built = buildReactor(reactorClass)
    yield built
    closeConnections(built)


# --- behaviour, both implementations -----------------------------------------------


class TestDelivery:
    """
    What is written reaches the peer, as with Twisted's reactor.
    """

    def test_echo(self, reactor: Any) -> None:
        """
        Bytes written in a callback arrive, and the answer written in
        C{dataReceived} comes back.
        """

        class Echo(protocol.Protocol):
            def dataReceived(self, data: bytes) -> None:
                self.transport.write(data)

        client = Recorder()

        def check(proto: Recorder) -> None:
            if len(proto.received) >= 3000:
                reactor.stop()

        client.onData = check
        pair(reactor, client, Echo())
        for i in range(3):
            reactor.callWhenRunning(client.transport.write, bytes([65 + i]) * 1000)
        runReactor(reactor)
        assert bytes(client.received) == b"A" * 1000 + b"B" * 1000 + b"C" * 1000

    def test_bigWrite(self, reactor: Any) -> None:
        """
        A write larger than the socket buffers arrives whole: the writer that
        did not drain waits for writability until it does.
        """
        data = os.urandom(BIG)
        sender, receiver = Recorder(), Recorder()

        def check(proto: Recorder) -> None:
            if len(proto.received) == len(data):
                reactor.stop()

        receiver.onData = check
        pair(reactor, sender, receiver)
        reactor.callWhenRunning(sender.transport.write, data)
        runReactor(reactor)
        assert bytes(receiver.received) == data

    def test_loseConnectionWithBufferedData(self, reactor: Any) -> None:
        """
        C{loseConnection()} after a large write: every byte arrives, then the
        connection closes cleanly on both sides.
        """
        data = os.urandom(BIG)
        ended: list[Recorder] = []

        def lost(proto: Recorder) -> None:
            ended.append(proto)
            if len(ended) == 2:
                reactor.stop()

        sender, receiver = Recorder(lost), Recorder(lost)
        pair(reactor, sender, receiver)

        def send() -> None:
            sender.transport.write(data)
            sender.transport.loseConnection()

        reactor.callWhenRunning(send)
        runReactor(reactor)
        assert bytes(receiver.received) == data
        assert sender.lost is not None and sender.lost.check(error.ConnectionDone)
        assert receiver.lost is not None and receiver.lost.check(error.ConnectionDone)

    def test_halfClose(self, reactor: Any) -> None:
        """
        C{loseWriteConnection()} with buffered data: the peer reads it all,
        then end of file, and can still answer.
        """
        data = os.urandom(BIG // 4)
        closer = HalfCloseRecorder()
        peer = HalfCloseRecorder()

        def peerDone(proto: Recorder) -> None:
            # The closer's data is all in: answer on the open direction.
            assert bytes(proto.received) == data
            proto.transport.write(b"answer")
            proto.transport.loseConnection()

        def closerDone(proto: Recorder) -> None:
            reactor.stop()

        peer.onLost = peerDone
        closer.onLost = closerDone
        pair(reactor, closer, peer)

        def send() -> None:
            closer.transport.write(data)
            closer.transport.loseWriteConnection()

        reactor.callWhenRunning(send)
        runReactor(reactor)
        assert peer.readLost
        assert closer.writeLost
        assert bytes(closer.received) == b"answer"
        # Both directions are shut; close the socket.
        closer.onLost = None
        closer.transport.connectionLost(Failure(error.ConnectionDone()))

    def test_pullProducer(self, reactor: Any) -> None:
        """
        A pull producer writing one chunk per C{resumeProducing} gets all of
        them to the peer, in order.
        """
        chunks = [bytes([i % 256]) * 1000 for i in range(200)]

        @implementer(interfaces.IPullProducer)
        class Pull:
            def __init__(self, transport: Any) -> None:
                self.transport = transport
                self.left = list(chunks)

            def resumeProducing(self) -> None:
                if self.left:
                    self.transport.write(self.left.pop(0))
                else:
                    self.transport.unregisterProducer()
                    self.transport.loseConnection()

            def stopProducing(self) -> None:
                pass

        receiver = Recorder(lambda proto: reactor.stop())
        sender = Recorder()
        pair(reactor, sender, receiver)
        reactor.callWhenRunning(
            lambda: sender.transport.registerProducer(Pull(sender.transport), False)
        )
        runReactor(reactor)
        assert bytes(receiver.received) == b"".join(chunks)

    def test_pushProducer(self, reactor: Any) -> None:
        """
        A push producer paused by a full buffer and resumed as it drains
        gets everything to the peer, in order.
        """
        chunk = 64 * 1024
        total = 40

        @implementer(interfaces.IPushProducer)
        class Push:
            def __init__(self, transport: Any) -> None:
                self.transport = transport
                self.sent = 0
                self.paused = False
                self.pauses = 0

            def produce(self) -> None:
                while not self.paused and self.sent < total:
                    self.transport.write(bytes([self.sent % 256]) * chunk)
                    self.sent += 1
                if self.sent == total:
                    self.sent += 1
                    self.transport.unregisterProducer()
                    self.transport.loseConnection()

            def pauseProducing(self) -> None:
                self.paused = True
                self.pauses += 1

            def resumeProducing(self) -> None:
                self.paused = False
                self.produce()

            def stopProducing(self) -> None:
                pass

        receiver = Recorder(lambda proto: reactor.stop())
        sender = Recorder()
        pair(reactor, sender, receiver)
        producer = Push(sender.transport)

        def start() -> None:
            sender.transport.registerProducer(producer, True)
            producer.produce()

        reactor.callWhenRunning(start)
        runReactor(reactor)
        assert producer.pauses > 0
        assert bytes(receiver.received) == b"".join(
            bytes([i % 256]) * chunk for i in range(total)
        )

    # Twisted 26.10's own TLS code hands pyOpenSSL (26.4) the X509 objects
    # that pyOpenSSL now deprecates.
    @pytest.mark.filterwarnings("ignore:Passing pyOpenSSL:DeprecationWarning")
    def test_tls(self, reactor: Any) -> None:
        """
        TLS over a socket pair (Twisted's memory-BIO TLS, which writes to the
        underlying transport): a large message goes each way intact.
        """
        pytest.importorskip("OpenSSL")
        from twisted.internet import ssl
        from twisted.protocols.tls import TLSMemoryBIOFactory
        from twisted.test import __file__ as twistedTests

        with open(os.path.join(os.path.dirname(twistedTests), "server.pem"), "rb") as f:
            pem = f.read()
        serverOptions = ssl.PrivateCertificate.loadPEM(pem).options()
        clientOptions = ssl.CertificateOptions()
        data = os.urandom(BIG // 4)

        class Echo(protocol.Protocol):
            def dataReceived(self, data: bytes) -> None:
                self.transport.write(data)

        client = Recorder()

        def check(proto: Recorder) -> None:
            if len(proto.received) == len(data):
                reactor.stop()

        client.onData = check
        left, right = socket.socketpair()
        for sock, options, isClient, factory in (
            (left, serverOptions, False, protocol.Factory.forProtocol(Echo)),
            (right, clientOptions, True, protocol.Factory.forProtocol(lambda: client)),
        ):
            sock.setblocking(False)
            reactor.adoptStreamConnection(
                sock.fileno(),
                socket.AF_UNIX,
                TLSMemoryBIOFactory(options, isClient, factory),
            )
            sock.close()
        reactor.callWhenRunning(lambda: client.transport.write(data))
        runReactor(reactor, timeout=20)
        assert bytes(client.received) == data

    def test_getWritersAndRemoveAll(self, reactor: Any) -> None:
        """
        A transport with buffered data is among C{getWriters()}, and
        C{removeAll()} returns it.
        """
        proto = Recorder()
        peer = half(reactor, proto)
        proto.transport.write(b"x")
        assert proto.transport in reactor.getWriters()
        removed = reactor.removeAll()
        assert proto.transport in removed
        assert proto.transport not in reactor.getWriters()
        assert proto.transport not in reactor.getReaders()
        proto.transport.connectionLost(Failure(Exception("test over")))
        peer.close()


class TestLogContext:
    """
    The log context while a transport's code runs (C{log.callWithLogger}: the
    fast epoll reactor and the flush push it in one frame instead of five).
    """

    def test_systemIsLogPrefix(self, reactor: Any) -> None:
        """
        In C{dataReceived} and in code run by a flushed C{doWrite}, the
        legacy log context's C{system} is the transport's C{logPrefix()},
        and the rest of the enclosing context is kept.
        """
        from twisted.python import context
        from twisted.python.log import ILogContext

        seen: list[dict[str, Any]] = []

        @implementer(interfaces.IPullProducer)
        class Pull:
            calls = 0

            def resumeProducing(self) -> None:
                # First from registerProducer itself, then from doWrite once
                # the write drained.
                self.calls += 1
                if self.calls == 2:
                    seen.append(dict(context.get(ILogContext)))
                    reactor.stop()

            def stopProducing(self) -> None:
                pass

        class Reader(Recorder):
            def dataReceived(self, data: bytes) -> None:
                seen.append(dict(context.get(ILogContext)))
                self.transport.registerProducer(Pull(), False)
                self.transport.write(b"pong")

        reader = Reader()
        peer = half(reactor, reader)
        peer.send(b"ping")
        context.call(
            {ILogContext: {"system": "outer", "extra": 1}},
            runReactor, reactor,
        )
        prefix = reader.transport.logPrefix()
        assert seen == [{"system": prefix, "extra": 1}, {"system": prefix, "extra": 1}]
        assert context.get(ILogContext) == {"system": "-"}
        peer.close()

    def test_buggyLogPrefix(self, reactor: Any) -> None:
        """
        A transport whose C{logPrefix()} raises: the error is logged and
        its code runs with C{system} C{"(buggy logPrefix method)"}.
        """
        from twisted.python import context
        from twisted.python.log import ILogContext

        seen: list[str] = []

        class Reader(Recorder):
            def dataReceived(self, data: bytes) -> None:
                seen.append(context.get(ILogContext)["system"])
                reactor.stop()

        reader = Reader()
        peer = half(reactor, reader)
        reader.transport.logPrefix = lambda: 1 / 0
        peer.send(b"ping")
        with capturedEvents() as events:
            runReactor(reactor)
        assert seen == ["(buggy logPrefix method)"]
        assertFailuresLoggedAs(events, ZeroDivisionError, "(buggy logPrefix method)")
        peer.close()

    def test_buggyLogPrefixWhileWriting(self, reactor: Any) -> None:
        """
        A transport whose C{logPrefix()} raises: code run by its
        C{doWrite} (a pull producer resumed once the write drained) runs
        with C{system} C{"(buggy logPrefix method)"}, and the error is
        logged under that name.
        """
        from twisted.python import context
        from twisted.python.log import ILogContext

        seen: list[str] = []

        @implementer(interfaces.IPullProducer)
        class Pull:
            calls = 0

            def resumeProducing(self) -> None:
                # First from registerProducer itself, then from doWrite.
                self.calls += 1
                if self.calls == 2:
                    seen.append(context.get(ILogContext)["system"])
                    reactor.stop()

            def stopProducing(self) -> None:
                pass

        proto = Recorder()
        peer = half(reactor, proto)
        proto.transport.logPrefix = lambda: 1 / 0
        proto.transport.write(b"x")
        proto.transport.registerProducer(Pull(), False)
        with capturedEvents() as events:
            runReactor(reactor)
        assert seen == ["(buggy logPrefix method)"]
        assertFailuresLoggedAs(events, ZeroDivisionError, "(buggy logPrefix method)")
        assert pending(peer) == b"x"
        peer.close()

    def test_doWriteRaises(self, reactor: Any) -> None:
        """
        An exception from code run by a transport's C{doWrite} is logged
        with the transport's C{logPrefix()} as C{system}, and the transport
        is disconnected with it as the reason, as Twisted's
        C{_doReadOrWrite} does.
        """

        @implementer(interfaces.IPullProducer)
        class Pull:
            calls = 0

            def resumeProducing(self) -> None:
                self.calls += 1
                if self.calls == 2:
                    raise ZeroDivisionError("from resumeProducing")

            def stopProducing(self) -> None:
                pass

        proto = Recorder(lambda proto: reactor.stop())
        peer = half(reactor, proto)
        proto.transport.write(b"x")
        proto.transport.registerProducer(Pull(), False)
        prefix = proto.transport.logPrefix()
        with capturedEvents() as events:
            runReactor(reactor)
        assert proto.lost is not None
        assert proto.lost.check(ZeroDivisionError)
        assert len(failureEvents(events)) == 1
        assertFailuresLoggedAs(events, ZeroDivisionError, prefix)
        assert proto.transport not in reactor.getWriters()
        assert proto.transport not in reactor.getReaders()
        assert pending(peer) == b"x"
        peer.close()

    def test_patchedCallWithLogger(
        self, reactor: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        A C{log.callWithLogger} patched by a program or a test is used.
        """
        from twisted.python import log

        calls: list[Any] = []
        original = log.callWithLogger

        def counting(logger: Any, func: Any, *args: Any, **kw: Any) -> Any:
            calls.append(logger)
            return original(logger, func, *args, **kw)

        monkeypatch.setattr(log, "callWithLogger", counting)
        reader = Recorder()
        reader.onData = lambda proto: reactor.stop()
        peer = half(reactor, reader)
        peer.send(b"ping")
        runReactor(reactor)
        assert reader.transport in calls
        peer.close()


# --- the mechanism, fast reactors only ---------------------------------------------


@pytest.fixture
def fast(
    cReactorImpl: Any, flavour: str, buildReactor: Callable[[type], Any]
) -> Iterator[Any]:
    """
    A fresh fast reactor of each flavour; the connections the test left are
    closed at the end.
    """
    built = buildReactor(cReactorImpl.classes[flavour])
    yield built
    closeConnections(built)


class TestMechanism:
    """
    How the fast reactors get there.
    """

    def test_recordedNotRegistered(self, fast: Any) -> None:
        """
        A write only records the transport; the next iteration sends the data
        before polling and never registers the descriptor for writability.
        """
        proto = Recorder()
        peer = half(fast, proto)
        proto.transport.write(b"hello")
        assert not isWriterRegistered(fast, proto.transport)
        assert pending(peer) == b""
        fast.iterate(0)
        assert pending(peer) == b"hello"
        assert not isWriterRegistered(fast, proto.transport)
        assert proto.transport not in fast.getWriters()
        peer.close()

    def test_notDrainedRegisters(self, fast: Any) -> None:
        """
        A write that cannot drain is registered for writability after the
        flush, as Twisted registers it; once the peer reads, it drains and is
        unregistered.
        """
        proto = Recorder()
        peer = half(fast, proto)
        data = os.urandom(BIG)
        proto.transport.write(data)
        fast.iterate(0)
        assert isWriterRegistered(fast, proto.transport)
        received = bytearray()

        def drained() -> bool:
            received.extend(pending(peer))
            return len(received) == len(data)

        spin(fast, drained, timeout=10)
        assert bytes(received) == data
        fast.iterate(0)
        assert not isWriterRegistered(fast, proto.transport)
        assert proto.transport not in fast.getWriters()
        peer.close()

    def test_connectingStaysOnTwistedPath(self, fast: Any) -> None:
        """
        A socket that is not connected yet (a client whose C{connect()} is in
        progress waits for writability to learn its result) is registered
        as Twisted registers it.
        """
        left, right = socket.socketpair()
        left.setblocking(False)
        connecting = tcp.Connection(left, Recorder(), fast)
        assert not connecting.connected
        fast.addWriter(connecting)
        assert isWriterRegistered(fast, connecting)
        fast.removeWriter(connecting)
        assert not isWriterRegistered(fast, connecting)
        left.close()
        right.close()

    def test_switchedOffOnReactor(self, fast: Any) -> None:
        """
        C{reactor.flushBeforePoll = False}: writes register for writability
        as in Twisted.
        """
        fast.flushBeforePoll = False
        proto = Recorder()
        peer = half(fast, proto)
        proto.transport.write(b"x")
        assert isWriterRegistered(fast, proto.transport)
        fast.iterate(0)
        assert pending(peer) == b"x"
        peer.close()

    def test_switchedOffByEnvironment(
        self, cReactorImpl: Any, flavour: str, buildReactor: Callable[[type], Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """
        C{TWISTED_FAST_FLUSH_BEFORE_POLL=0} (or another off spelling) when the
        reactor is made turns it off; unset, empty or on, it is on.
        """
        for value, expected in (
            ("0", False), ("off", False), (" False ", False), ("no", False),
            ("1", True), ("", True), ("yes", True),
        ):
            monkeypatch.setenv("TWISTED_FAST_FLUSH_BEFORE_POLL", value)
            assert buildReactor(cReactorImpl.classes[flavour]).flushBeforePoll is expected
        monkeypatch.delenv("TWISTED_FAST_FLUSH_BEFORE_POLL")
        assert buildReactor(cReactorImpl.classes[flavour]).flushBeforePoll is True

    def test_timeoutRecomputed(self, fast: Any) -> None:
        """
        A timed call scheduled by code the flush runs (here C{connectionLost}
        after C{loseConnection()}) runs without waiting for the timeout
        computed before the flush.
        """
        proto = Recorder(lambda p: fast.callLater(0, fast.stop))
        peer = half(fast, proto)

        def send() -> None:
            proto.transport.write(b"bye")
            proto.transport.loseConnection()

        fast.callWhenRunning(send)
        elapsed = runReactor(fast, timeout=10)
        assert elapsed < 5
        assert pending(peer) == b"bye"
        peer.close()

    @pytest.mark.parametrize("how", ["stop", "crash"])
    def test_stopFromFlush(self, fast: Any, how: str) -> None:
        """
        C{reactor.stop()} or C{crash()} called by code the flush runs: the
        poll does not block, the reactor stops at once.
        """
        proto = Recorder(lambda p: getattr(fast, how)())
        peer = half(fast, proto)

        def send() -> None:
            proto.transport.write(b"bye")
            proto.transport.loseConnection()

        fast.callWhenRunning(send)
        safety = fast.callLater(10, fast.crash)
        fast.run(installSignalHandlers=False)
        assert safety.active()
        safety.cancel()
        assert pending(peer) == b"bye"
        peer.close()

    def test_removedDuringFlush(self, fast: Any) -> None:
        """
        A recorded transport that another one's C{connectionLost} (run by the
        flush) disconnects is skipped: its data is never sent, nothing fails.
        """
        second = Recorder()
        first = Recorder(lambda p: second.transport.abortConnection())
        peer1 = half(fast, first)
        peer2 = half(fast, second)
        writes: list[str] = []
        for name, proto in (("first", first), ("second", second)):
            transport = proto.transport
            transport.doWrite = (
                lambda name=name, original=transport.doWrite: (
                    writes.append(name) or original()
                )
            )
        first.transport.write(b"1")
        first.transport.loseConnection()
        second.transport.write(b"2")
        with capturedEvents() as events:
            spin(fast, lambda: second.lost is not None)
        assert failureEvents(events) == []
        assert writes == ["first"]
        assert pending(peer1) == b"1"
        assert pending(peer2) == b""
        peer1.close()
        peer2.close()

    def test_writesAgainDuringItsFlush(self, fast: Any) -> None:
        """
        A pull producer writes again from inside its own flush: it stays
        recorded, the poll that follows does not block, and the descriptor
        gets one C{doWrite} per iteration.
        """

        @implementer(interfaces.IPullProducer)
        class Pull:
            def __init__(self, transport: Any) -> None:
                self.transport = transport
                self.count = 0

            def resumeProducing(self) -> None:
                self.count += 1
                self.transport.write(b"%d," % (self.count,))

            def stopProducing(self) -> None:
                pass

        proto = Recorder()
        peer = half(fast, proto)
        transport = proto.transport
        doWrites: list[int] = []
        iterations: list[int] = []
        original = transport.doWrite
        transport.doWrite = lambda: doWrites.append(len(iterations)) or original()
        producer = Pull(transport)
        transport.registerProducer(producer, False)
        for i in range(5):
            iterations.append(i)
            # A timeout that would be seen: the poll must not block.
            fast.iterate(30)
        assert doWrites == sorted(set(doWrites))
        assert len(doWrites) == 5
        assert transport in fast.getWriters()
        assert not isWriterRegistered(fast, transport)
        transport.unregisterProducer()
        fast.iterate(0)
        assert pending(peer) == b"".join(b"%d," % (i,) for i in range(1, producer.count + 1))
        peer.close()

    def test_replacedDoReadOrWrite(self, fast: Any) -> None:
        """
        A C{_doReadOrWrite} replaced on the reactor is what the flush runs
        (the flush runs Twisted's inline only while it is Twisted's).
        """
        calls: list[tuple[Any, ...]] = []
        original = fast._doReadOrWrite

        def replaced(*args: Any) -> None:
            calls.append(args)
            original(*args)

        fast._doReadOrWrite = replaced
        proto = Recorder()
        peer = half(fast, proto)
        proto.transport.write(b"hello")
        fast.iterate(0)
        # (selectable, fd, event) for epoll and poll, (selectable, method)
        # for select.
        assert [args[0] for args in calls] == [proto.transport]
        assert pending(peer) == b"hello"
        del fast._doReadOrWrite
        peer.close()

    def test_removeAllForgetsRecorded(self, fast: Any) -> None:
        """
        After C{removeAll()}, the next iteration flushes nothing.
        """
        proto = Recorder()
        peer = half(fast, proto)
        proto.transport.write(b"x")
        assert proto.transport in fast.removeAll()
        fast.iterate(0)
        assert pending(peer) == b""
        proto.transport.connectionLost(Failure(Exception("test over")))
        peer.close()
