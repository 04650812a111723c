"""
Patch Twisted's module attributes with the fast classes, and undo it.

Only module attributes are replaced: code that looks the names up when it runs
(C{task.Clock()}, C{base.DelayedCall(...)} inside L{ReactorBase.callLater})
gets the fast classes, while classes that already subclassed Twisted's own
keep them.  C{twisted.internet.testing.MemoryReactorClock} is such a
subclass, so it is replaced by the same class built on the fast L{Clock}.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

from twisted_fast import _compat

# (module name, attribute name) -> original value, while installed.
_saved: dict[tuple[str, str], Any] = {}


def _replacements() -> list[tuple[str, str, Any]]:
    """
    Say what L{install} replaces: C{(module, attribute, new value)} triples.
    """
    if not _compat.ACCELERATED:
        return []
    from twisted_fast import task as fastTask

    patches: list[tuple[str, str, Any]] = [
        ("twisted.internet.task", "Clock", _compat.Clock),
        ("twisted.internet.task", "LoopingCall", _compat.LoopingCall),
        ("twisted.internet.task", "Cooperator", _compat.Cooperator),
        ("twisted.internet.task", "CooperativeTask", _compat.CooperativeTask),
        ("twisted.internet.task", "_theCooperator", fastTask._theCooperator),
        ("twisted.internet.base", "DelayedCall", _compat.DelayedCall),
    ]
    memoryReactorClock = _fastMemoryReactorClock()
    patches.append(("twisted.internet.testing", "MemoryReactorClock", memoryReactorClock))
    # Importing the deprecated proto_helpers warns: patch it only if already in use.
    if "twisted.test.proto_helpers" in sys.modules:
        patches.append(
            ("twisted.test.proto_helpers", "MemoryReactorClock", memoryReactorClock)
        )
    return patches


_memoryReactorClock: type | None = None


def _fastMemoryReactorClock() -> type:
    """
    Build (once) C{MemoryReactorClock} on top of the fast L{Clock}, exactly as
    C{twisted.internet.testing} builds it on Twisted's.
    """
    global _memoryReactorClock
    if _memoryReactorClock is None:
        from twisted.internet import testing

        original = _saved.get(
            ("twisted.internet.testing", "MemoryReactorClock"),
            testing.MemoryReactorClock,
        )

        class MemoryReactorClock(testing.MemoryReactor, _compat.Clock):
            __doc__ = original.__doc__

            def __init__(self) -> None:
                testing.MemoryReactor.__init__(self)
                _compat.Clock.__init__(self)

        MemoryReactorClock.__module__ = original.__module__
        _memoryReactorClock = MemoryReactorClock
    return _memoryReactorClock


class TwistedFastWarning(UserWarning):
    """
    twisted-fast could not do all it would: the C extension is not in use
    (fallback mode, and not asked for), or a reactor other than the fast one
    was installed already.
    """


_warnedAbout: set[str] = set()


def _warnOnce(message: str, stacklevel: int = 4) -> None:
    """
    Warn with C{message}, once per process.

    @param stacklevel: as for L{warnings.warn}, counted from here: the
        default points at the caller of L{install} through
        L{_installReactor}.
    """
    if message not in _warnedAbout:
        _warnedAbout.add(message)
        warnings.warn(message, TwistedFastWarning, stacklevel=stacklevel)


def warnIfFallback(what: str, stacklevel: int) -> None:
    """
    In fallback mode, unless C{TWISTED_FAST_NO_EXTENSIONS} asked for it, say
    once why, with a L{TwistedFastWarning}.

    @param what: what the caller did instead, to end the message.
    @param stacklevel: as for L{warnings.warn} called by the caller: C{2}
        points at the caller's caller.
    """
    if _compat.ACCELERATED or _compat.FALLBACK_REQUESTED:
        return
    # Two frames more: this function's and _warnOnce's.
    _warnOnce(
        f"twisted-fast is in fallback mode ({_compat.FALLBACK_REASON}): {what}",
        stacklevel + 2,
    )


def _installReactor() -> None:
    """
    Install the fast reactor, or say once why the installed one stays.
    """
    from twisted_fast import reactor as fastReactor

    if "twisted.internet.reactor" not in sys.modules:
        fastReactor.install()
        return
    from twisted.internet import reactor

    if fastReactor.isFastReactor(reactor):
        return
    kind = f"{type(reactor).__module__}.{type(reactor).__qualname__}"
    if "asyncio" in kind:
        _warnOnce(
            f"twisted-fast: the installed reactor is {kind}: it keeps asyncio's"
            " own timers (reactor.callLater is asyncio's call_later); Clock and"
            " DelayedCall are accelerated."
        )
    else:
        _warnOnce(
            f"twisted-fast: a reactor ({kind}) was installed before"
            " twisted_fast.install(), so its timed calls stay in Python; call"
            " install() before anything imports twisted.internet.reactor, or"
            " use --reactor=fast.  Clock and DelayedCall are accelerated."
        )


def install() -> bool:
    """
    Put the fast classes in place of Twisted's own and, if no reactor is
    installed yet, install the fast reactor.  Idempotent.

    When a reactor other than the fast one is installed already, the
    classes are still replaced, and a TwistedFastWarning says once that the
    reactor's timed calls stay in Python.  In fallback mode nothing is
    replaced, and a TwistedFastWarning gives the reason once, unless
    TWISTED_FAST_NO_EXTENSIONS asked for the fallback.

    @return: C{True} if the C extension is in use and the classes were
        installed; C{False} in fallback mode (see
        L{twisted_fast.FALLBACK_REASON}), where Twisted's own classes and
        reactor stay in place.
    """
    if not _compat.ACCELERATED:
        warnIfFallback(
            "install() leaves Twisted's own classes and reactor in place", stacklevel=2
        )
        return False
    _installReactor()
    for moduleName, name, value in _replacements():
        try:
            module = importlib.import_module(moduleName)
        except ImportError:
            continue
        key = (moduleName, name)
        if key not in _saved:
            _saved[key] = getattr(module, name)
        setattr(module, name, value)
    return True


def uninstall() -> None:
    """
    Put back everything install() replaced.  Idempotent.  (The reactor stays:
    a process has one.)
    """
    while _saved:
        (moduleName, name), value = _saved.popitem()
        setattr(importlib.import_module(moduleName), name, value)


def installed() -> bool:
    """
    Tell whether install() is in effect.

    @return: C{True} between a successful L{install} and L{uninstall}.
    """
    return bool(_saved)
