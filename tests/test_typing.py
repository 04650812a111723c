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
import twisted_fast.task
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
DROPIN = PROJECT / "tests" / "typing_sample" / "dropin.py"
# The import line of DROPIN that switches it between Twisted and twisted-fast.
SWITCH = "from twisted_fast.task import (  # the switch"
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
    C{python -m mypy.stubtest twisted_fast._speedups twisted_fast.task} finds
    nothing, with the allowlist of what a stub cannot express (and stubtest
    fails on an entry of it that is no longer needed).
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
            "twisted_fast.task",
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
    the package it imports, nor in C{twisted_fast/task.py} behind its stub.
    """
    modules = ["twisted_fast", "twisted_fast.task", "twisted_fast.reactor",
               "twisted_fast.pytest_plugin", "twisted_fast.trial"]
    result = _mypy(mypyCache, mypyDir, *(f"--module={name}" for name in modules))
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
    if not INSTALLED:
        # --module reads twisted_fast/task.pyi; naming the file reads the code.
        result = _mypy(mypyCache, mypyDir, str(PACKAGE_PARENT / "twisted_fast" / "task.py"))
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


def _switched(program: Path, module: str) -> None:
    """
    Write L{DROPIN} to C{program}, importing its names from C{module}.
    """
    source = DROPIN.read_text()
    assert source.count(SWITCH) == 1
    program.write_text(
        source.replace(SWITCH, SWITCH.replace("twisted_fast.task", module))
    )


def _expectedReveals(source: str, side: str) -> dict[int, str]:
    """
    Read what each C{reveal_type} line of L{DROPIN} must show: the comment
    lines above it that start with C{# side: }.
    """
    expected: dict[int, str] = {}
    pending: str | None = None
    for number, line in enumerate(source.splitlines(), 1):
        if line.startswith(f"# {side}: "):
            pending = line.split(": ", 1)[1]
        elif line.startswith("reveal_type("):
            assert pending is not None, line
            expected[number], pending = pending, None
    return expected


@pytest.mark.parametrize(
    "module, side", [("twisted_fast.task", "fast"), ("twisted.internet.task", "Twisted")]
)
def test_dropInSwitch(
    module: str, side: str, tmp_path: Path, mypyCache: Path, mypyDir: Path
) -> None:
    """
    The program of C{tests/typing_sample/dropin.py} passes C{mypy --strict}
    whether its names come from C{twisted_fast.task} or from
    C{twisted.internet.task}; and the public names of C{twisted_fast.task}
    are typed as themselves: C{LoopingCall.withCount} makes a
    C{twisted_fast.task.LoopingCall} (or the subclass it is called on), whose
    C{start} returns a C{Deferred} of one, C{Cooperator().cooperate} a
    C{twisted_fast.task.CooperativeTask}, and C{Clock().callLater} an
    C{IDelayedCall} provider.
    """
    program = tmp_path / "dropin.py"
    _switched(program, module)
    result = _mypy(
        mypyCache, mypyDir, "--strict", "--follow-imports=silent", str(program)
    )
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert errors == [], result.stdout + result.stderr
    revealed = {
        int(line.split(":")[1]): line.split('Revealed type is "', 1)[1][:-1]
        for line in result.stdout.splitlines()
        if "Revealed type is" in line
    }
    expected = _expectedReveals(program.read_text(), side)
    assert len(expected) == 8
    assert revealed == expected, result.stdout + result.stderr


@pytest.mark.parametrize("module", ["twisted_fast.task", "twisted.internet.task"])
def test_dropInRuns(module: str, tmp_path: Path) -> None:
    """
    The program of C{tests/typing_sample/dropin.py} runs with either import,
    on the fast classes when the extension is in use: the types it reveals
    are what it gets.
    """
    program = tmp_path / "dropin.py"
    _switched(program, module)
    environment = _environment()
    if not _compat.ACCELERATED:
        environment["TWISTED_FAST_NO_EXTENSIONS"] = "1"
    result = subprocess.run(
        [sys.executable, str(program)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Runtime type is 'LoopingCall'" in result.stderr, result.stderr


# The line after each "# E: code text" comment must draw that error, with that
# text in its message, and no other line any.  The classes of twisted_fast.task
# and Twisted's are told apart by their public names.
MIXED = textwrap.dedent(
    """
    from collections.abc import Iterator
    from twisted.internet import task as tw
    from twisted.internet.base import DelayedCall
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IDelayedCall, IReactorTime
    from twisted_fast import task

    def count() -> Iterator[int]:
        yield 1

    # Subclasses of Twisted's classes:
    twistedLoop: tw.LoopingCall = task.LoopingCall(print)
    twistedCoop: tw.Cooperator = task.Cooperator()
    twistedJob: tw.CooperativeTask[Iterator[int]] = task.cooperate(count())
    # E: assignment variable has type "twisted_fast.task.LoopingCall"
    loop: task.LoopingCall = tw.LoopingCall(print)
    # E: assignment variable has type "twisted_fast.task.Cooperator"
    coop: task.Cooperator = tw.Cooperator()
    # E: assignment variable has type "twisted_fast.task.CooperativeTask[Iterator[int]]"
    job: task.CooperativeTask[Iterator[int]] = tw.cooperate(count())
    # Deferred is invariant: start() says which LoopingCall it fires with.
    # E: assignment expression has type "Deferred[twisted_fast.task.LoopingCall]"
    done: Deferred[tw.LoopingCall] = task.LoopingCall(print).start(1)

    # Not subclasses of Twisted's (README, difference 17), but
    # providers of the same interfaces:
    time: IReactorTime = task.Clock()
    call: IDelayedCall = task.Clock().callLater(1, print)
    # E: assignment expression has type "twisted_fast.task.Clock"
    clock: tw.Clock = task.Clock()
    # E: assignment variable has type "twisted.internet.base.DelayedCall"
    dc: DelayedCall = task.Clock().callLater(1, print)
    """
)


def test_errorsNamePublicClasses(
    tmp_path: Path, mypyCache: Path, mypyDir: Path
) -> None:
    """
    The classes of L{twisted_fast.task} are subclasses of Twisted's where they
    are at run time and only there, and mypy's messages name them by their
    public names (C{twisted_fast.task.LoopingCall}), never by the private
    module that builds them.
    """
    program = tmp_path / "mixed.py"
    program.write_text(MIXED)
    expected = {
        number + 1: tuple(line.split("# E: ", 1)[1].split(" ", 1))
        for number, line in enumerate(MIXED.splitlines(), 1)
        if line.startswith("# E: ")
    }
    assert len(expected) == 6
    result = _mypy(mypyCache, mypyDir, str(program))
    errors = {
        int(line.split(":")[1]): line
        for line in result.stdout.splitlines()
        if ": error: " in line
    }
    assert sorted(errors) == sorted(expected), result.stdout + result.stderr
    for number, (code, text) in expected.items():
        assert errors[number].endswith(f"[{code}]"), errors[number]
        assert text in errors[number], errors[number]
    assert "_compat" not in result.stdout, result.stdout
    if _compat.ACCELERATED:
        # The same at run time (in the fallback mode the names are Twisted's).
        assert [
            issubclass(fast, twisted)
            for fast, twisted in [
                (twisted_fast.task.LoopingCall, _compat.TwistedLoopingCall),
                (twisted_fast.task.Cooperator, _compat.TwistedCooperator),
                (twisted_fast.task.CooperativeTask, _compat.TwistedCooperativeTask),
                (twisted_fast.task.Clock, _compat.TwistedClock),
            ]
        ] == [True, True, True, False]
