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
    pytestTwisted: bool = False,
) -> subprocess.CompletedProcess[str]:
    """
    Run pytest with this plugin on C{tests}, with pytest-twisted blocked
    unless C{pytestTwisted} (it is auto-loaded where it is installed).
    """
    (tmp_path / "test_user.py").write_text(tests)
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini)
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    environment.pop("PYTEST_ADDOPTS", None)
    environment.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    plugins = [*_load("twisted_fast", "twisted_fast.pytest_plugin")]
    plugins += _load("twisted", "pytest_twisted") if pytestTwisted else ["-p", "no:twisted"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-s", *plugins, "-p", "no:cacheprovider",
         *args, "test_user.py"],
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
        words = line.split(" ", 2) if line.startswith("test_user.py ") else [""] + line.split(" ", 1)
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
