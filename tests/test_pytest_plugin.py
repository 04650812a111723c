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
from pathlib import Path

import pytest

from twisted_fast import _compat

ROOT = Path(__file__).resolve().parent.parent

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


def _runPytest(tmp_path: Path, *args: str, ini: str = "") -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini)
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    environment.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-p", "twisted_fast.pytest_plugin",
         "-p", "no:cacheprovider", *args, "test_user.py"],
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
    assert "twisted-fast" not in result.stdout.split("collected")[0]


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
