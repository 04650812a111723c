"""
pytest plugin: run a test session with twisted-fast in place.

Opt-in: nothing changes unless the run asks for it, with C{--twisted-fast} on
the command line or C{twisted_fast = true} in the ini file.  Then
L{twisted_fast.install} runs in C{pytest_load_initial_conftests}, before
pytest imports the first C{conftest.py} files and any test module, so that a
C{conftest.py} that imports C{twisted.internet.reactor} gets the fast reactor,
C{from twisted.internet.task import Clock} at the top of a conftest or a test
module gets the fast class, and so does
C{twisted.internet.testing.MemoryReactorClock}.  The header of the run says
which mode (C extension or fallback) is active, which reactor runs, and which
modules kept Twisted's classes because they imported them before the
install.

C{pytest_load_initial_conftests} is only called for plugins registered before
pytest loads the first conftest files: through the C{pytest11} entry point
C{twisted_fast} (loaded whenever the package is installed, or with C{-p
twisted_fast} when plugin autoloading is off), C{-p
twisted_fast.pytest_plugin}, or C{PYTEST_PLUGINS}.  Named in a conftest's
C{pytest_plugins} instead, the plugin installs in C{pytest_configure}, after
that conftest was imported.

Beside pytest-twisted, which installs a reactor in its own
C{pytest_configure}: with its C{--reactor=default} this plugin installs the
fast reactor first, which is the default reactor's fast variant (so
pytest-twisted accepts it); with any other choice (C{asyncio},
C{qt5reactor}) pytest-twisted's reactor stays, this plugin puts the fast
classes in place just after it (in C{pytest_sessionstart}), and the header
says the reactor is not fast.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

import pytest

_INI = "twisted_fast"

#: Set on the config once this plugin has called L{twisted_fast.install}.
_INSTALLED = pytest.StashKey[bool]()

#: The names pytest-twisted is registered under: its C{pytest11} entry point,
#: or its module when named with C{-p}.
_PYTEST_TWISTED = ("twisted", "pytest_twisted")


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
    group.addoption(
        "--twisted-fast-timers",
        action="store_true",
        default=False,
        help="at the end of the run, list the tests whose timed calls on the "
        "real (fast) reactor ran latest or longest (a Clock's fake time is "
        "left out)",
    )


def _enabled(config: pytest.Config, options: argparse.Namespace | None = None) -> bool:
    """
    Whether the run asks for twisted-fast.

    @param options: the command line options parsed so far, if not
        C{config.option} (in C{pytest_load_initial_conftests} only
        C{config.known_args_namespace} holds them).
    """
    options = config.option if options is None else options
    return bool(getattr(options, "twisted_fast", False) or config.getini(_INI))


def _hasPytestTwisted(config: pytest.Config) -> bool:
    """
    Whether pytest-twisted is registered.
    """
    return any(config.pluginmanager.hasplugin(name) for name in _PYTEST_TWISTED)


def _otherReactorWanted(
    config: pytest.Config, options: argparse.Namespace | None = None
) -> bool:
    """
    Whether pytest-twisted is active and asked for a reactor other than its
    default one (C{--reactor=asyncio}, C{--reactor=qt5reactor}).

    @param options: as for L{_enabled}.
    """
    if not _hasPytestTwisted(config):
        return False
    options = config.option if options is None else options
    return getattr(options, "reactor", "default") not in (None, "default")


def _reactorOptionGiven(args: list[str]) -> bool:
    """
    Whether the command line has a C{--reactor} option, which only a plugin
    not registered yet (pytest-twisted named in a conftest's
    C{pytest_plugins}) can have added.
    """
    return any(arg == "--reactor" or arg.startswith("--reactor=") for arg in args)


def _install(config: pytest.Config) -> None:
    """
    Call L{twisted_fast.install} and remember it.
    """
    import twisted_fast

    # In fallback mode install() warns with the reason, which the header
    # gives too; under filterwarnings=error that warning, raised in a
    # configure hook, would stop the run with an internal error.
    with warnings.catch_warnings():
        if not twisted_fast.ACCELERATED:
            warnings.simplefilter("ignore", twisted_fast.TwistedFastWarning)
        twisted_fast.install()
    config.stash[_INSTALLED] = True


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, args: list[str]
) -> None:
    """
    Install twisted-fast before pytest imports the first C{conftest.py}
    files, so that their imports of Twisted get the fast reactor and classes.

    The command line is not fully parsed yet: the options are read from
    C{known_args_namespace}, the ini file is.  When the choice of reactor is
    pytest-twisted's (see L{_otherReactorWanted}), or may be (a C{--reactor}
    option no registered plugin knows yet), the install waits for
    L{pytest_configure} or L{pytest_sessionstart}.
    """
    options = early_config.known_args_namespace
    if not _enabled(early_config, options):
        return
    if _otherReactorWanted(early_config, options):
        return
    if not _hasPytestTwisted(early_config) and _reactorOptionGiven(args):
        return
    _install(early_config)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """
    Install twisted-fast before collection imports any test module, and
    before other plugins install a reactor, if L{pytest_load_initial_conftests}
    did not (this plugin was registered by a conftest, or a C{--reactor}
    option was waiting for its plugin).
    """
    if config.stash.get(_INSTALLED, False):
        return
    if _enabled(config) and not _otherReactorWanted(config):
        _install(config)


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
            _install(config)


def _keptTwistedClasses() -> list[str]:
    """
    Find the module-level names, outside Twisted and twisted-fast, that
    still hold one of the Twisted classes L{twisted_fast.install} replaced:
    imported by name before the install (C{from twisted.internet.task import
    Clock} in a conftest the install came too late for), they stay Twisted's.

    @return: C{module.name} of each, sorted.
    """
    from twisted_fast import _install as installation

    originals = {
        id(value): value
        for value in installation._saved.values()
        if isinstance(value, type)
    }
    if not originals:
        return []
    kept = []
    for moduleName, module in list(sys.modules.items()):
        if moduleName.partition(".")[0] in ("twisted", "twisted_fast"):
            continue
        try:
            names: dict[str, Any] = vars(module)
        except TypeError:
            continue
        for name, value in list(names.items()):
            if id(value) in originals and originals[id(value)] is value:
                kept.append(f"{moduleName}.{name}")
    return sorted(kept)


def pytest_report_header(config: pytest.Config) -> str | None:
    """
    Say which mode is active, when the plugin is on: the classes, the
    reactor, and any module that kept Twisted's classes.
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
    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import reactor

        kind = "fast" if isFastReactor(reactor) else "not fast"
        line += f"; reactor {type(reactor).__module__}.{type(reactor).__name__} ({kind})"
    kept = _keptTwistedClasses()
    if kept:
        line += (
            "; imported before the install, these keep Twisted's classes: "
            + ", ".join(kept)
        )
    return line


# --- --twisted-fast-timers ---------------------------------------------------

#: How many tests each table of --twisted-fast-timers lists.
TIMERS_SHOWN = 10

_TIMERS = pytest.StashKey[list[tuple[str, Any]]]()


def _globalTimerStats() -> Any:
    """
    @return: the global reactor's L{twisted_fast.TimerStats}, or C{None}
        when there are none (no reactor installed yet, not a fast one,
        fallback mode).
    """
    if "twisted.internet.reactor" not in sys.modules:
        return None
    import twisted_fast

    try:
        return twisted_fast.timerStats()
    except twisted_fast.StatsUnavailable:
        return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """
    With C{--twisted-fast-timers}, give each test (set-up, call and
    tear-down) a window of the global reactor's timer statistics of its own.
    """
    config = item.config
    if not config.getoption("--twisted-fast-timers"):
        return (yield)
    if _globalTimerStats() is not None:
        import twisted_fast

        twisted_fast.resetTimerStats()
    try:
        return (yield)
    finally:
        stats = _globalTimerStats()
        if stats is not None and stats.fired:
            config.stash.setdefault(_TIMERS, []).append((item.nodeid, stats))


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:10.2f}"


def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: pytest.Config
) -> None:
    """
    With C{--twisted-fast-timers}, the tests whose real-reactor timed calls
    ran latest (largest lateness) and longest (time inside timed calls).
    """
    if not config.getoption("--twisted-fast-timers"):
        return
    write = terminalreporter.write_line
    terminalreporter.section("twisted-fast timers")
    seen = config.stash.get(_TIMERS, [])
    if not seen:
        import twisted_fast

        why = twisted_fast.FALLBACK_REASON or "the global reactor is not a fast reactor"
        ran = "no test ran a timed call on a fast global reactor"
        write(f"{ran} ({why})." if not twisted_fast.ACCELERATED else f"{ran}.")
        return
    for title, key in (
        ("latest (largest lateness)", lambda entry: entry[1].maxLateness),
        ("longest (time inside timed calls)", lambda entry: entry[1].busy),
    ):
        write(f"{title}:")
        write(f"{'max late ms':>11} {'p99 late ms':>11} {'busy ms':>10} {'calls':>7}  test")
        for nodeid, stats in sorted(seen, key=key, reverse=True)[:TIMERS_SHOWN]:
            write(
                f"{_milliseconds(stats.maxLateness):>11} "
                f"{_milliseconds(stats.percentile(99)):>11} "
                f"{_milliseconds(stats.busy)} {stats.fired:7d}  {nodeid}"
            )
