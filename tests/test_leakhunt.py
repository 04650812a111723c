"""
The leak hunter, C{.ci/leakhunt.py}: it finds leaks (a module planted with
some), and the quick hunt over C{test_refs.py} and C{test_delayedcall.py}
finds none.  C{make leaks} runs the full hunt (README, "Reliability").
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HUNTER = ROOT / ".ci" / "leakhunt.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUNTER.exists(), reason="no .ci/leakhunt.py in this copy"),
]


def hunt(*args: str) -> subprocess.CompletedProcess[str]:
    """
    Run the hunter with C{args}.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return subprocess.run(
        [sys.executable, str(HUNTER), *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )


def test_findsPlantedLeaks(tmp_path: Path) -> None:
    """
    A module whose tests keep objects, or open files, on each run is
    reported, and so are those tests (the hunt test by test); a test that
    leaks nothing is not.
    """
    module = tmp_path / "test_planted.py"
    module.write_text(textwrap.dedent(
        """
        KEPT = []

        def test_clean():
            assert [object()]

        def test_keepsObjects():
            KEPT.append([object()])

        def test_opensFiles():
            KEPT.append(open(__file__))
        """
    ))
    result = hunt("-R", "1:3", str(module))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any("test_planted.py " in line and "LEAK" in line for line in lines)
    assert any("::test_keepsObjects" in line and "LEAK: objects" in line for line in lines)
    assert any("::test_opensFiles" in line and "fds" in line for line in lines)
    assert not any("::test_clean" in line for line in lines)


def test_quickHuntFindsNothing() -> None:
    """
    The quick hunt (C{--quick}) finds no leak in the modules it runs.
    """
    result = hunt("--quick")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 leaking or failing" in result.stdout
