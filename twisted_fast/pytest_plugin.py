"""
pytest plugin: run a test session with twisted-fast in place.

Opt-in: nothing changes unless the run asks for it, with C{--twisted-fast} on
the command line or C{twisted_fast = true} in the ini file.  Then
L{twisted_fast.install} runs before any test module is imported, so that
C{from twisted.internet.task import Clock} at the top of a test module, and
C{twisted.internet.testing.MemoryReactorClock}, get the fast classes, and the
header of the run says which mode (C extension or fallback) is active.

Registered through the C{pytest11} entry point as C{twisted_fast}.
"""

from __future__ import annotations

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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """
    Install twisted-fast before collection imports any test module.
    """
    if _enabled(config):
        import twisted_fast

        twisted_fast.install()


def pytest_report_header(config: pytest.Config) -> str | None:
    """
    Say which mode is active, when the plugin is on.
    """
    if not _enabled(config):
        return None
    import twisted_fast
    from twisted_fast.reactor import isFastReactor

    mode = "C extension" if twisted_fast.ACCELERATED else "fallback (Twisted's own classes)"
    line = f"twisted-fast {twisted_fast.__version__}: {mode}"
    import sys

    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import reactor

        kind = "fast" if isFastReactor(reactor) else "not fast"
        line += f"; reactor {type(reactor).__module__}.{type(reactor).__name__} ({kind})"
    return line
