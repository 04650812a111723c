"""
pytest plugin: run a test session with twisted-fast in place.

Opt-in: nothing changes unless the run asks for it, with C{--twisted-fast} on
the command line or C{twisted_fast = true} in the ini file.  Then
L{twisted_fast.install} runs before any test module is imported, so that
C{from twisted.internet.task import Clock} at the top of a test module, and
C{twisted.internet.testing.MemoryReactorClock}, get the fast classes, and the
header of the run says which mode (C extension or fallback) is active.

Beside pytest-twisted, which installs a reactor in its own
C{pytest_configure}: with its C{--reactor=default} this plugin runs first and
installs the fast reactor, which is the default reactor's fast variant (so
pytest-twisted accepts it); with any other choice (C{asyncio},
C{qt5reactor}) pytest-twisted's reactor stays, this plugin puts the fast
classes in place just after it, and the header says the reactor is not fast.

Registered through the C{pytest11} entry point as C{twisted_fast}.
"""

from __future__ import annotations

import warnings

import pytest

_INI = "twisted_fast"


def pytest_addoption(parser: pytest.Parser) -> None:
    """
    Add C{--twisted-fast} and the C{twisted_fast} ini option.
    """
    group = parser.getgroup("twisted-fast")
    group.addoption(
        "--twisted-fast",
        action="store_true",
        default=False,
        help="put twisted-fast's classes (and, if no reactor is installed "
        "yet, the fast reactor) in place of Twisted's for this run",
    )
    parser.addini(
        _INI,
        type="bool",
        default=False,
        help="like --twisted-fast",
    )


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("--twisted-fast") or config.getini(_INI))


def _otherReactorWanted(config: pytest.Config) -> bool:
    """
    Whether pytest-twisted is active and asked for a reactor other than its
    default one (C{--reactor=asyncio}, C{--reactor=qt5reactor}).
    """
    if not config.pluginmanager.hasplugin("twisted"):  # pytest-twisted's name
        return False
    return config.getoption("reactor", "default") not in (None, "default")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """
    Install twisted-fast before collection imports any test module, and
    before other plugins install a reactor.
    """
    if _enabled(config) and not _otherReactorWanted(config):
        import twisted_fast

        twisted_fast.install()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """
    When pytest-twisted installed the reactor asked for (in its
    C{pytest_configure}), install the fast classes beside it, before
    collection and before the header is written.
    """
    config = session.config
    if _enabled(config) and _otherReactorWanted(config):
        import twisted_fast

        # The user chose that reactor; the header says it is not fast, so
        # install()'s warning that the reactor stays would only repeat it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", twisted_fast.TwistedFastWarning)
            twisted_fast.install()


def pytest_report_header(config: pytest.Config) -> str | None:
    """
    Say which mode is active, when the plugin is on.
    """
    if not _enabled(config):
        return None
    import twisted_fast
    from twisted_fast.reactor import isFastReactor

    mode = (
        "C extension"
        if twisted_fast.ACCELERATED
        else f"fallback (Twisted's own classes): {twisted_fast.FALLBACK_REASON}"
    )
    line = f"twisted-fast {twisted_fast.__version__}: {mode}"
    import sys

    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import reactor

        kind = "fast" if isFastReactor(reactor) else "not fast"
        line += f"; reactor {type(reactor).__module__}.{type(reactor).__name__} ({kind})"
    return line
