"""
Typing (PEP 561): the stub of the C extension (C{twisted_fast/_speedups.pyi})
matches the built extension, as mypy's stubtest sees it; a small Twisted
program written against twisted-fast (C{tests/typing_sample/sample.py})
type-checks with no error and runs; and the types it sees are real ones, not
C{Any}: a wrong program is refused.

mypy runs with the project's configuration (C{[tool.mypy]} in
C{pyproject.toml}: mypy-zope, as Twisted itself uses), in a subprocess.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import twisted_fast
from twisted_fast import _compat

# The checkout (or the unpacked sdist) the tests come from: its
# pyproject.toml, the sample and the allowlist.
PROJECT = Path(__file__).resolve().parent.parent
# Where the package under test was imported from: the same checkout, or
# site-packages when the suite runs against an installed package.
PACKAGE_PARENT = Path(twisted_fast.__file__).resolve().parent.parent
# mypy finds an installed package through site-packages (where it must not
# run from), and the checkout's package from the directory it runs in.
INSTALLED = str(PACKAGE_PARENT) in {
    str(Path(sysconfig.get_path(name)).resolve()) for name in ("purelib", "platlib")
}
SAMPLE = PROJECT / "tests" / "typing_sample" / "sample.py"
ALLOWLIST = PROJECT / "tests" / "stubtest_allowlist.txt"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None
    or importlib.util.find_spec("mypy_zope") is None,
    reason="mypy and mypy-zope are not installed here: requirements/test.txt "
    "pins them (make test checks the types against the newest supported "
    "Twisted), requirements/test-oldest.txt and cibuildwheel's test-requires "
    "do not",
)


@pytest.fixture(scope="module")
def mypyCache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    One mypy cache for this module's runs, outside the checkout.
    """
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture(scope="module")
def mypyDir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    The directory to run mypy in: the checkout the package was imported
    from, or an empty one when it is installed.
    """
    return tmp_path_factory.mktemp("mypy-run") if INSTALLED else PACKAGE_PARENT


def _environment() -> dict[str, str]:
    """
    This process's environment, with the package under test first on the
    path, and no C{TWISTED_FAST_*} switch.
    """
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("TWISTED_FAST_")
    }
    environment["PYTHONPATH"] = str(PACKAGE_PARENT)
    environment.pop("MYPYPATH", None)
    return environment


def _mypy(cache: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "mypy",
            "--config-file", str(PROJECT / "pyproject.toml"),
            "--cache-dir", str(cache),
            "--no-error-summary", "--show-error-codes", "--no-color-output",
            *args,
        ],
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_stubMatchesExtension(request: pytest.FixtureRequest, mypyDir: Path) -> None:
    """
    C{python -m mypy.stubtest twisted_fast._speedups} finds nothing, with the
    allowlist of what a stub cannot express (and stubtest fails on an entry
    of it that is no longer needed).
    """
    from conftest import cSkipReason

    reason = cSkipReason(request.config)
    if reason is not None:
        # stubtest compares with the extension that twisted_fast imports.
        pytest.skip(reason)
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy.stubtest",
            "--mypy-config-file", str(PROJECT / "pyproject.toml"),
            "--allowlist", str(ALLOWLIST),
            "twisted_fast._speedups",
        ],
        cwd=mypyDir,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_sampleTypeChecks(mypyCache: Path, mypyDir: Path) -> None:
    """
    mypy finds no error in the sample program, nor in the public modules of
    the package it imports.
    """
    modules = ["twisted_fast", "twisted_fast.task", "twisted_fast.reactor",
               "twisted_fast.pytest_plugin", "twisted_fast.trial"]
    result = _mypy(mypyCache, mypyDir, *(f"--module={name}" for name in modules))
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
    result = _mypy(mypyCache, mypyDir, "--strict", "--follow-imports=silent", str(SAMPLE))
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_sampleRuns() -> None:
    """
    The sample is a real program: it runs, on the fast classes and reactor
    when the extension is in use.
    """
    environment = _environment()
    if not _compat.ACCELERATED:
        environment["TWISTED_FAST_NO_EXTENSIONS"] = "1"
    result = subprocess.run(
        [sys.executable, str(SAMPLE)],
        cwd=SAMPLE.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    accelerated = _compat.ACCELERATED
    assert result.stdout.splitlines() == [
        f"accelerated {accelerated} {accelerated}",
        "coiterated cooperated tick deferLater 42 tick callLater tick stopped False now 6.0",
        f"reactor {accelerated}",
    ]


# Each line marked "# E: code" must draw that error, and no other line any.
WRONG = textwrap.dedent(
    """
    import twisted_fast
    from twisted.internet.interfaces import IDelayedCall
    from twisted_fast import task
    from twisted_fast._speedups import DelayedCall

    clock = task.Clock()
    clock.advance("1")  # E: arg-type
    call: IDelayedCall = clock.callLater(1, print)
    dc: DelayedCall = clock.callLater(1, print)
    dc.reset("later")  # E: arg-type
    when: str = clock.seconds()  # E: assignment
    clock.callLater(1)  # E: call-arg
    task.LoopingCall(print).start("often")  # E: arg-type
    task.Cooperator().cooperate(3)  # E: type-var
    task.coiterate([1, 2])  # E: type-var
    clock.rightNow = "noon"  # E: assignment
    clock.notAMethod()  # E: attr-defined
    twisted_fast.FALLBACK_REASON.upper()  # E: union-attr
    """
)


def test_wrongProgramRefused(tmp_path: Path, mypyCache: Path, mypyDir: Path) -> None:
    """
    The names of L{twisted_fast.task} carry real types: mypy refuses misuse
    of them, line by line.
    """
    program = tmp_path / "wrong.py"
    program.write_text(WRONG)
    expected = {
        f"{program.name}:{number}: [{line.split('# E: ')[1]}]"
        for number, line in enumerate(WRONG.splitlines(), 1)
        if "# E: " in line
    }
    result = _mypy(mypyCache, mypyDir, str(program))
    found = {
        f"{Path(line.split(':')[0]).name}:{line.split(':')[1]}: [{line.rsplit('[', 1)[1]}"
        for line in result.stdout.splitlines()
        if ": error: " in line
    }
    assert found == expected, result.stdout + result.stderr
