"""
The pytest plugin (C{twisted_fast.pytest_plugin}): off unless asked for; when
on, the fast classes are in place before test modules are imported, and the
header says which mode is active.  Each case runs pytest in a subprocess on a
small test module written for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

import twisted_fast
from twisted_fast import _compat

# Where the package under test was imported from: this checkout, or
# site-packages when the suite runs against an installed package.
ROOT = Path(twisted_fast.__file__).resolve().parent.parent

# A test module that imports Twisted's names at its top, as user code does,
# and reports what it got.
USER_TESTS = textwrap.dedent(
    """
    from twisted.internet.task import Clock, LoopingCall
    from twisted.internet.testing import MemoryReactorClock

    def test_which():
        print("CLOCK", Clock.__module__)
        print("LOOPINGCALL", LoopingCall.__module__)
        print("MRC_BASES", [b.__module__ for b in MemoryReactorClock.__mro__])
        clock = Clock()
        calls = []
        clock.callLater(1, calls.append, 1)
        clock.advance(1)
        assert calls == [1]
    """
)


def _load(entryPoint: str, module: str) -> list[str]:
    """
    The options that load a plugin: none when pytest loads it anyway through
    its installed C{pytest11} entry point (naming it again with C{-p} would
    register it twice).
    """
    if any(found.name == entryPoint for found in entry_points(group="pytest11")):
        return []
    return ["-p", module]


def _runPytest(
    tmp_path: Path,
    *args: str,
    ini: str = "",
    tests: str = USER_TESTS,
    pytestTwisted: bool | None = False,
    conftest: str | None = None,
    package: str | None = None,
    plugins: list[str] | None = None,
    pythonPath: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """
    Run pytest with this plugin on C{tests}, with pytest-twisted blocked
    unless C{pytestTwisted} (it is auto-loaded where it is installed).

    @param pytestTwisted: load pytest-twisted (C{True}), block it
        (C{False}), or neither (L{None}: a conftest may register it).
    @param conftest: the text of a C{conftest.py} beside the tests, if any.
    @param package: put the tests (and the conftest) in this test package
        (a folder with an C{__init__.py}) instead of the root folder.
    @param plugins: the options that load this plugin, instead of
        L{_load}'s.
    @param pythonPath: further C{PYTHONPATH} entries, after the package's.
    @param env: further environment variables.
    """
    folder = tmp_path / package if package else tmp_path
    folder.mkdir(exist_ok=True)
    if package:
        (folder / "__init__.py").write_text("")
    (folder / "test_user.py").write_text(tests)
    if conftest is not None:
        (folder / "conftest.py").write_text(conftest)
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *pythonPath]))
    environment.pop("PYTEST_ADDOPTS", None)
    environment.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    environment.update(env or {})
    if plugins is None:
        plugins = _load("twisted_fast", "twisted_fast.pytest_plugin")
    plugins = list(plugins)
    if pytestTwisted is not None:
        plugins += _load("twisted", "pytest_twisted") if pytestTwisted else ["-p", "no:twisted"]
    target = str((folder / "test_user.py").relative_to(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-s", *plugins, "-p", "no:cacheprovider",
         *args, target],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _seen(output: str, key: str) -> str:
    """
    What the user's test printed after C{key} (pytest may prefix the first
    line with the file name).
    """
    for line in output.splitlines():
        first = line.split(" ", 1)[0]
        words = line.split(" ", 2) if first.endswith(".py") else [""] + line.split(" ", 1)
        if len(words) >= 3 and words[1] == key:
            return words[2]
    raise AssertionError(f"{key} not in output:\n{output}")


def test_offByDefault(tmp_path: Path) -> None:
    """
    Loaded but not asked for, the plugin changes nothing and says nothing.
    """
    result = _runPytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _seen(result.stdout, "CLOCK") == "twisted.internet.task"
    # pytest's own "plugins:" line names the distribution when it is installed.
    header = result.stdout.split("collected")[0].splitlines()
    assert [line for line in header if "twisted-fast" in line and not line.startswith("plugins:")] == []


@pytest.mark.parametrize(
    "args, ini", [(("--twisted-fast",), ""), ((), "twisted_fast = true\n")],
    ids=["option", "ini"],
)
def test_on(tmp_path: Path, args: tuple[str, ...], ini: str) -> None:
    """
    With C{--twisted-fast} or C{twisted_fast = true}, a test module's
    top-level imports get the fast classes, and the header says so.
    """
    result = _runPytest(tmp_path, *args, ini=ini)
    assert result.returncode == 0, result.stdout + result.stderr
    if _compat.ACCELERATED:
        assert _seen(result.stdout, "CLOCK") == "twisted_fast._speedups"
        assert _seen(result.stdout, "LOOPINGCALL") == "twisted_fast.task"
        assert "twisted_fast._speedups" in _seen(result.stdout, "MRC_BASES")
        assert "twisted-fast 0.1.0: C extension; reactor " in result.stdout
        assert "(fast)" in result.stdout.split("collected")[0]
    else:
        assert _seen(result.stdout, "CLOCK") == "twisted.internet.task"
        assert "twisted-fast 0.1.0: fallback (Twisted's own classes)" in result.stdout


# A test module for pytest-twisted: its decorators, the reactor it runs, and
# a Clock imported at the top.
PYTEST_TWISTED_TESTS = textwrap.dedent(
    """
    import pytest_twisted
    from twisted.internet import task
    from twisted.internet.task import Clock

    @pytest_twisted.inlineCallbacks
    def test_inlineCallbacks():
        from twisted.internet import reactor
        print("REACTOR", f"{type(reactor).__module__}.{type(reactor).__name__}")
        print("CLOCK", Clock.__module__)
        clock = Clock()
        d = task.deferLater(clock, 1, lambda: 3)
        clock.advance(1)
        assert (yield d) == 3
        assert (yield task.deferLater(reactor, 0.01, lambda: 7)) == 7

    @pytest_twisted.ensureDeferred
    async def test_ensureDeferred():
        from twisted.internet import reactor
        ticks = []
        loop = task.LoopingCall(ticks.append, None)
        loop.clock = reactor
        done = loop.start(0.001)
        await task.deferLater(reactor, 0.05, lambda: None)
        loop.stop()
        assert (await done) is loop
        assert len(ticks) >= 2
    """
)


@pytest.mark.parametrize("reactor", ["default", "asyncio"])
def test_besidePytestTwisted(tmp_path: Path, reactor: str) -> None:
    """
    With pytest-twisted and its C{--reactor} option: with C{default}, this
    plugin installs the fast reactor first (the default reactor's fast
    variant, which pytest-twisted accepts); with C{asyncio}, pytest-twisted's
    reactor stays and the classes are the fast ones.  Tests decorated with
    C{pytest_twisted.inlineCallbacks} and C{ensureDeferred} pass, a warning
    would fail the run, and the header says which reactor runs.
    """
    pytest.importorskip(
        "pytest_twisted",
        reason="pytest-twisted is not installed (requirements/test.txt pins it)",
    )
    result = _runPytest(
        tmp_path,
        "--twisted-fast",
        f"--reactor={reactor}",
        ini="filterwarnings = error\n",
        tests=PYTEST_TWISTED_TESTS,
        pytestTwisted=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in result.stdout, output
    header = result.stdout.split("collected")[0]
    assert "twisted-1." in header  # pytest-twisted is active
    running = _seen(result.stdout, "REACTOR")
    if reactor == "asyncio":
        assert running == "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
    if _compat.ACCELERATED:
        assert _seen(result.stdout, "CLOCK") == "twisted_fast._speedups"
        assert f"twisted-fast 0.1.0: C extension; reactor {running} " in header
        if reactor == "default":
            assert running.startswith("twisted_fast.reactor.Fast"), running
            assert f"{running} (fast)" in header
        else:
            assert f"{running} (not fast)" in header
    else:
        assert _seen(result.stdout, "CLOCK") == "twisted.internet.task"
        assert "twisted-fast 0.1.0: fallback (Twisted's own classes)" in header
        assert f"{running} (not fast)" in header


# A conftest.py that imports Twisted at its top, as magic-wormhole's does
# (the reactor) and as many do (a Clock for a fixture): pytest imports it
# before it configures its plugins.
CONFTEST = textwrap.dedent(
    """
    import pytest
    from twisted.internet import reactor
    from twisted.internet.task import Clock

    @pytest.fixture
    def clock():
        return Clock()
    """
)

# Tests that report the reactor and the class of the conftest's Clock.
CONFTEST_TESTS = textwrap.dedent(
    """
    def test_conftestClock(clock):
        from twisted.internet import reactor
        print("REACTOR", f"{type(reactor).__module__}.{type(reactor).__name__}")
        print("FIXTURE_CLOCK", type(clock).__module__)
        calls = []
        clock.callLater(1, calls.append, 1)
        clock.advance(1)
        assert calls == [1]
    """
)

# The same, and a test that runs pytest-twisted's reactor.
PYTEST_TWISTED_CONFTEST_TESTS = CONFTEST_TESTS + textwrap.dedent(
    """
    import pytest_twisted
    from twisted.internet import task

    @pytest_twisted.inlineCallbacks
    def test_reactorRuns():
        from twisted.internet import reactor
        assert (yield task.deferLater(reactor, 0.01, lambda: 7)) == 7
    """
)

_ENABLE = pytest.mark.parametrize(
    "args, ini", [(("--twisted-fast",), ""), ((), "twisted_fast = true\n")],
    ids=["option", "ini"],
)


def _header(result: subprocess.CompletedProcess[str]) -> str:
    """
    @return: the header of a run, up to the number of tests collected.
    """
    return result.stdout.split("collected")[0]


def _assertConftestGotFast(result: subprocess.CompletedProcess[str], passed: int) -> None:
    """
    The run of L{CONFTEST_TESTS} passed, the conftest's imports got the fast
    reactor and the fast C{Clock} (Twisted's own in fallback mode), nothing
    warned, and the header's line says exactly that.
    """
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"{passed} passed" in result.stdout, output
    assert "TwistedFastWarning" not in output, output
    header = _header(result)
    running = _seen(result.stdout, "REACTOR")
    if _compat.ACCELERATED:
        assert running.startswith("twisted_fast.reactor.Fast"), output
        assert _seen(result.stdout, "FIXTURE_CLOCK") == "twisted_fast._speedups"
        assert f"twisted-fast 0.1.0: C extension; reactor {running} (fast)\n" in header, output
    else:
        assert not running.startswith("twisted_fast."), output
        assert _seen(result.stdout, "FIXTURE_CLOCK") == "twisted.internet.task"
        assert (
            f"twisted-fast 0.1.0: fallback (Twisted's own classes):"
            f" {_compat.FALLBACK_REASON}; reactor {running} (not fast)\n"
        ) in header, output


@_ENABLE
@pytest.mark.parametrize("package", [None, "tests"], ids=["root", "package"])
def test_conftestImportsTwisted(
    tmp_path: Path, args: tuple[str, ...], ini: str, package: str | None
) -> None:
    """
    A C{conftest.py} (at the root, or in the test package) that imports the
    reactor and C{Clock} at its top gets the fast reactor and the fast
    C{Clock}: the plugin installs before pytest imports the first conftest
    files, with the option and with the ini option.
    """
    result = _runPytest(
        tmp_path, *args, ini=ini, tests=CONFTEST_TESTS, conftest=CONFTEST, package=package
    )
    _assertConftestGotFast(result, 1)


def _fakeDistribution(folder: Path) -> Path:
    """
    Write the metadata of an installed C{twisted-fast} distribution, with its
    C{pytest11} entry point, for a checkout that is not installed.

    @return: the folder to put on C{PYTHONPATH}.
    """
    info = folder / f"twisted_fast-{twisted_fast.__version__}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: twisted-fast\nVersion: {twisted_fast.__version__}\n"
    )
    (info / "entry_points.txt").write_text(
        "[pytest11]\ntwisted_fast = twisted_fast.pytest_plugin\n"
    )
    return folder


@_ENABLE
@pytest.mark.parametrize("via", ["entry point", "-p", "PYTEST_PLUGINS"])
def test_conftestImportsTwistedRegistered(
    tmp_path: Path, args: tuple[str, ...], ini: str, via: str
) -> None:
    """
    However the plugin is registered before pytest loads the first conftest
    files (the C{pytest11} entry point of the installed package, C{-p}, or
    C{PYTEST_PLUGINS} with plugin autoloading off), a conftest's imports of
    Twisted get the fast reactor and classes.
    """
    registered = any(e.name == "twisted_fast" for e in entry_points(group="pytest11"))
    run: dict[str, Any]
    if via == "entry point":
        site = () if registered else (str(_fakeDistribution(tmp_path / "site")),)
        run = {"plugins": [], "pythonPath": site}
    else:
        noAutoload = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        if via == "-p":
            run = {"plugins": ["-p", "twisted_fast.pytest_plugin"], "env": noAutoload}
        else:
            plugins = {"PYTEST_PLUGINS": "twisted_fast.pytest_plugin"}
            run = {"plugins": [], "env": {**noAutoload, **plugins}}
    result = _runPytest(
        tmp_path, *args, ini=ini, tests=CONFTEST_TESTS, conftest=CONFTEST, **run
    )
    _assertConftestGotFast(result, 1)
    if via == "entry point":
        plugins = [line for line in _header(result).splitlines() if line.startswith("plugins:")]
        assert f"twisted-fast-{twisted_fast.__version__}" in plugins[0], result.stdout


def test_registeredByConftest(tmp_path: Path) -> None:
    """
    Named in a conftest's C{pytest_plugins}, the plugin installs after that
    conftest imported Twisted: the header says that the reactor is not fast
    and which of the conftest's names kept Twisted's classes.
    """
    conftest = 'pytest_plugins = ["twisted_fast.pytest_plugin"]\n' + CONFTEST
    result = _runPytest(
        tmp_path,
        "--twisted-fast",
        tests=CONFTEST_TESTS,
        conftest=conftest,
        plugins=[],
        env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    running = _seen(result.stdout, "REACTOR")
    assert f"reactor {running} (not fast)" in _header(result), output
    assert _seen(result.stdout, "FIXTURE_CLOCK") == "twisted.internet.task"
    if _compat.ACCELERATED:
        assert "TwistedFastWarning" in output, output
        assert (
            "; imported before the install, these keep Twisted's classes: conftest.Clock\n"
        ) in _header(result), output
    else:
        assert "keep Twisted's classes" not in output, output


@pytest.mark.parametrize(
    "args, ini, package",
    [(("--twisted-fast",), "", None), ((), "twisted_fast = true\n", "tests")],
    ids=["option-root", "ini-package"],
)
def test_besidePytestTwistedConftestImportsTwisted(
    tmp_path: Path, args: tuple[str, ...], ini: str, package: str | None
) -> None:
    """
    With pytest-twisted and its default reactor, a conftest that imports the
    reactor and C{Clock} gets the fast reactor, which pytest-twisted then
    runs, and the fast C{Clock}.
    """
    pytest.importorskip(
        "pytest_twisted",
        reason="pytest-twisted is not installed (requirements/test.txt pins it)",
    )
    result = _runPytest(
        tmp_path,
        *args,
        ini=ini + "filterwarnings = error\n",
        tests=PYTEST_TWISTED_CONFTEST_TESTS,
        conftest=CONFTEST,
        package=package,
        pytestTwisted=True,
    )
    _assertConftestGotFast(result, 2)
    assert "twisted-1." in _header(result), result.stdout  # pytest-twisted is active


def test_besidePytestTwistedAsyncioConftestClock(tmp_path: Path) -> None:
    """
    With pytest-twisted's C{--reactor=asyncio}, the classes are installed
    after its reactor, so after pytest imported the conftest files: a name a
    conftest imported keeps Twisted's class, and the header says so.
    """
    pytest.importorskip(
        "pytest_twisted",
        reason="pytest-twisted is not installed (requirements/test.txt pins it)",
    )
    conftest = CONFTEST.replace("from twisted.internet import reactor\n", "")
    result = _runPytest(
        tmp_path,
        "--twisted-fast",
        "--reactor=asyncio",
        ini="filterwarnings = error\n",
        tests=PYTEST_TWISTED_CONFTEST_TESTS,
        conftest=conftest,
        pytestTwisted=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in result.stdout, output
    running = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
    assert _seen(result.stdout, "REACTOR") == running
    assert _seen(result.stdout, "FIXTURE_CLOCK") == "twisted.internet.task"
    header = _header(result)
    if _compat.ACCELERATED:
        assert f"C extension; reactor {running} (not fast); imported before the" in header
        assert "keep Twisted's classes: conftest.Clock\n" in header, output
    else:
        assert f"reactor {running} (not fast)\n" in header, output


def test_besidePytestTwistedRegisteredByConftest(tmp_path: Path) -> None:
    """
    When a conftest registers pytest-twisted (plugin autoloading off), its
    C{--reactor} option is not known when pytest loads the first conftest
    files: the plugin does not install the fast reactor then, and
    pytest-twisted's C{--reactor=asyncio} is the reactor that runs.
    """
    pytest.importorskip(
        "pytest_twisted",
        reason="pytest-twisted is not installed (requirements/test.txt pins it)",
    )
    result = _runPytest(
        tmp_path,
        "--twisted-fast",
        "--reactor=asyncio",
        ini="filterwarnings = error\n",
        tests=PYTEST_TWISTED_CONFTEST_TESTS,
        conftest='pytest_plugins = ["pytest_twisted"]\n'
        + CONFTEST.replace("from twisted.internet import reactor\n", ""),
        plugins=["-p", "twisted_fast.pytest_plugin"],
        env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        pytestTwisted=None,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in result.stdout, output
    running = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
    assert _seen(result.stdout, "REACTOR") == running
    assert f"reactor {running} (not fast)" in _header(result), output


TIMER_TESTS = """
import time

from twisted.internet import reactor
from twisted.internet.task import Clock


def _runOne(delay, sleep):
    ran = []
    reactor.callLater(delay, ran.append, 1)
    time.sleep(sleep)
    reactor.iterate(0)
    assert ran == [1]


def test_late():
    _runOne(0, 0.2)


def test_onTime():
    _runOne(0, 0)


def test_fakeClockOnly():
    clock = Clock()
    clock.callLater(1, lambda: None)
    clock.advance(500)  # 499 s late in the clock's own time: not the reactor's


def test_noTimers():
    pass
"""


def test_timersTable(tmp_path: Path) -> None:
    """
    C{--twisted-fast-timers} ends the run with the tests whose timed calls
    on the real reactor ran latest and longest: the test that let a call
    wait 0.2 s comes first with a lateness of at least 200 ms; a test whose
    only timed call was on a C{Clock} (fake time) and a test without timed
    calls are not listed.
    """
    result = _runPytest(tmp_path, "--twisted-fast", "--twisted-fast-timers", tests=TIMER_TESTS)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "4 passed" in result.stdout, output
    if not _compat.ACCELERATED:
        assert "no test ran a timed call on a fast global reactor" in output, output
        assert _compat.FALLBACK_REASON in output, output
        return
    table = result.stdout.split("twisted-fast timers")[1]
    latest = table.split("latest (largest lateness):")[1].split("longest")[0]
    rows = [line.split() for line in latest.splitlines()[2:] if line.strip()]
    assert [row[-1] for row in rows] == [
        "test_user.py::test_late", "test_user.py::test_onTime"
    ], output
    assert float(rows[0][0]) >= 200.0, output
    assert "test_fakeClockOnly" not in table and "test_noTimers" not in table, output


def test_timersTableOff(tmp_path: Path) -> None:
    """
    Without C{--twisted-fast-timers} there is no table.
    """
    result = _runPytest(tmp_path, "--twisted-fast", tests=TIMER_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "twisted-fast timers" not in result.stdout
