"""
The optional C extension: a failed build still installs, and
C{TWISTED_FAST_NO_EXTENSIONS} switches the extension off at build time and at
run time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _copyProject(target: Path) -> Path:
    """
    Copy what a build needs into C{target}, without any built extension.
    """
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "src", target / "src")
    shutil.copytree(
        ROOT / "twisted_fast",
        target / "twisted_fast",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    return target


def _environment(**env: str) -> dict[str, str]:
    """
    This process's environment without any C{TWISTED_FAST_*} switch, plus
    C{env}.
    """
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("TWISTED_FAST_")
    }
    environment.update(env)
    return environment


def _buildInPlace(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=project,
        env=_environment(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _modeIn(project: Path, **env: str) -> str:
    """
    @return: C{ACCELERATED} and the module of C{twisted_fast.task.Clock}, as
        a fresh interpreter importing the package from C{project} sees them.
    """
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import twisted_fast, twisted_fast.task as t;"
            "print(twisted_fast.ACCELERATED, t.Clock.__module__)",
        ],
        cwd=project,
        env=_environment(PYTHONPATH=str(project), **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_failedBuildStillInstalls(tmp_path: Path) -> None:
    """
    When the compiler fails, the build exits 0, says once and clearly that it
    fell back, and the package imports in fallback mode.
    """
    project = _copyProject(tmp_path)
    result = _buildInPlace(project, CC="/bin/false")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("could not be built") == 1, result.stderr
    assert "fallback mode" in result.stderr
    assert not list((project / "twisted_fast").glob("_speedups*.so"))
    assert _modeIn(project) == "False twisted.internet.task"


def test_noExtensionsSkipsBuild(tmp_path: Path) -> None:
    """
    C{TWISTED_FAST_NO_EXTENSIONS=1} at build time builds nothing and warns
    about nothing.
    """
    project = _copyProject(tmp_path)
    result = _buildInPlace(project, TWISTED_FAST_NO_EXTENSIONS="1")
    assert result.returncode == 0, result.stderr
    assert "could not be built" not in result.stderr
    assert not list((project / "twisted_fast").glob("_speedups*.so"))


def test_noExtensionsAtRunTime() -> None:
    """
    C{TWISTED_FAST_NO_EXTENSIONS=1} at run time skips a built extension.
    """
    if not list((ROOT / "twisted_fast").glob("_speedups*.so")):
        pytest.skip("the C extension is not built in place")
    assert _modeIn(ROOT, TWISTED_FAST_NO_EXTENSIONS="1") == (
        "False twisted.internet.task"
    )
    assert _modeIn(ROOT, TWISTED_FAST_NO_EXTENSIONS="0") == "True twisted_fast._speedups"
