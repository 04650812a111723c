"""
The mode (C extension or fallback) is never silent: C{FALLBACK_REASON} says
why the C extension is not in use, C{install()} warns in fallback mode unless
it was asked for, the C{fast} reactor says which reactor it is (in C{twistd
--help-reactors} and in the log of C{twistd}), the pytest header gives the
reason, C{TWISTED_FAST_NO_EXTENSIONS} reads the usual spellings of true and
false, C{python -m twisted_fast} reports it all, and C{help(twisted_fast)}
reads as text.

Most cases run in a fresh interpreter: the mode is chosen once, at import.
Broken installs are made in a temporary copy of the package: an empty file in
place of the extension (C{file too short}), or no extension and the record
of a failed build.
"""

from __future__ import annotations

import importlib.machinery
import os
import pydoc
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import twisted_fast
from twisted.python.reflect import qual
from twisted_fast import _compat, _install, _switches
from twisted_fast.reactor import defaultReactorClass

# Where the package under test was imported from: this checkout, or
# site-packages when the suite runs against an installed package.
ROOT = Path(twisted_fast.__file__).resolve().parent.parent

#: Whether this checkout's extension can be imported (not only whether this
#: run uses it: the fallback run of the suite sets TWISTED_FAST_NO_EXTENSIONS).
BUILT = (ROOT / "twisted_fast" / ("_speedups" + sysconfig.get_config_var("EXT_SUFFIX"))).exists()

needsExtension = pytest.mark.skipif(
    not BUILT, reason="the C extension is not built here"
)


def _environment(path: Path = ROOT, **env: str) -> dict[str, str]:
    """
    This process's environment without any C{TWISTED_FAST_*} switch, the
    package imported from C{path}, plus C{env}.
    """
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("TWISTED_FAST_")
    }
    environment["PYTHONPATH"] = str(path)
    environment.update(env)
    return environment


def _python(
    code: str, *, path: Path = ROOT, cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    """
    Run C{code} in a fresh interpreter that imports the package from
    C{path}, and check that it succeeded.
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=_environment(path, **env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# What a fresh interpreter reports: its mode and reason, and what install()
# returns and warns (warnings as errors elsewhere: only install() may warn).
_MODE = """
    import warnings
    warnings.simplefilter("error")
    import twisted_fast
    print("ACCELERATED", twisted_fast.ACCELERATED)
    print("REASON", twisted_fast.FALLBACK_REASON)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        print("INSTALL", twisted_fast.install(), twisted_fast.install())
    for warning in caught:
        print("WARNING", warning.category.__name__, warning.message)
        print("WHERE", warning.filename)
"""


def _mode(path: Path = ROOT, **env: str) -> dict[str, list[str]]:
    """
    @return: what L{_MODE} printed, as lists of values by key.
    """
    seen: dict[str, list[str]] = {}
    for line in _python(_MODE, path=path, cwd=path, **env).stdout.splitlines():
        key, _, value = line.partition(" ")
        seen.setdefault(key, []).append(value)
    return seen


def _defaultReactors() -> tuple[str, str]:
    """
    @return: the platform's default reactor class here: Twisted's own (what
        the fallback installs) and its fast variant, by their full names.
    """
    chosen = defaultReactorClass()
    twisted = chosen.__bases__[-1] if _compat.ACCELERATED else chosen
    return qual(twisted), f"twisted_fast.reactor.Fast{twisted.__name__}"


TWISTED_DEFAULT, FAST_DEFAULT = _defaultReactors()


def _brokenCopy(where: Path) -> Path:
    """
    A copy of the package without its C extension, in C{where}.

    @return: the directory to put on the path.
    """
    shutil.copytree(
        ROOT / "twisted_fast",
        where / "twisted_fast",
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", _switches.BUILD_FAILED),
    )
    return where


# --- the switch's spellings --------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, (False, True)),
        ("", (False, True)),
        ("0", (False, True)),
        ("false", (False, True)),
        ("False", (False, True)),
        (" NO ", (False, True)),
        ("off\n", (False, True)),
        ("1", (True, True)),
        ("true", (True, True)),
        ("TRUE", (True, True)),
        (" yes", (True, True)),
        ("On", (True, True)),
        ("2", (True, False)),
        ("y", (True, False)),
        ("enabled", (True, False)),
    ],
)
def test_readSwitch(value: str | None, expected: tuple[bool, bool]) -> None:
    """
    L{_switches.readSwitch} (read by C{setup.py} at build time and by
    L{twisted_fast._compat} at run time) reads the usual spellings of false
    and true in any case, with surrounding whitespace; anything else counts
    as set, and is said not to be recognised.
    """
    assert _switches.readSwitch(value) == expected


@needsExtension
@pytest.mark.parametrize("value", ["0", "false", "FALSE", " off ", "no", ""])
def test_switchOff(value: str) -> None:
    """
    C{TWISTED_FAST_NO_EXTENSIONS} set to a spelling of false leaves the C
    extension in use.
    """
    seen = _mode(TWISTED_FAST_NO_EXTENSIONS=value)
    assert seen["ACCELERATED"] == ["True"]
    assert seen["REASON"] == ["None"]
    assert seen["INSTALL"] == ["True True"]


@pytest.mark.parametrize("value", ["1", "true", "Yes", " ON "])
def test_switchOn(value: str) -> None:
    """
    C{TWISTED_FAST_NO_EXTENSIONS} set to a spelling of true selects the
    fallback, says so in C{FALLBACK_REASON}, and C{install()} says nothing
    more: the fallback was asked for.
    """
    seen = _mode(TWISTED_FAST_NO_EXTENSIONS=value)
    assert seen["ACCELERATED"] == ["False"]
    assert seen["REASON"] == [f"disabled by TWISTED_FAST_NO_EXTENSIONS={value.strip()}"]
    assert seen["INSTALL"] == ["False False"]
    assert "WARNING" not in seen


def test_switchUnrecognised() -> None:
    """
    A value of C{TWISTED_FAST_NO_EXTENSIONS} that is neither true nor false
    counts as set, and is not silent: the reason says it was not understood
    and C{install()} warns, once.
    """
    seen = _mode(TWISTED_FAST_NO_EXTENSIONS="maybe")
    assert seen["ACCELERATED"] == ["False"]
    [reason] = seen["REASON"]
    assert reason.startswith("disabled by TWISTED_FAST_NO_EXTENSIONS='maybe'")
    assert "not a recognised value" in reason
    assert [w.split(" ", 1)[0] for w in seen["WARNING"]] == ["TwistedFastWarning"]
    assert reason in seen["WARNING"][0]


# --- FALLBACK_REASON and install() ---------------------------------------------


def test_reasonInProcess() -> None:
    """
    C{twisted_fast.FALLBACK_REASON} is L{None} exactly when the C extension
    is in use, and a sentence otherwise; it is public.
    """
    assert "FALLBACK_REASON" in twisted_fast.__all__
    assert twisted_fast.FALLBACK_REASON is _compat.FALLBACK_REASON
    if twisted_fast.ACCELERATED:
        assert twisted_fast.FALLBACK_REASON is None
    else:
        assert isinstance(twisted_fast.FALLBACK_REASON, str)
        assert twisted_fast.FALLBACK_REASON


def test_brokenExtension(tmp_path: Path) -> None:
    """
    An extension that is there but does not import (here an empty file:
    C{file too short}) gives the fallback mode, with the import error as the
    reason; C{install()} warns with it, once, at the caller's line.
    """
    path = _brokenCopy(tmp_path)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (path / "twisted_fast" / f"_speedups{suffix}").write_bytes(b"")
    seen = _mode(path)
    assert seen["ACCELERATED"] == ["False"]
    [reason] = seen["REASON"]
    assert reason.startswith("the C extension failed to import: "), reason
    if sys.platform == "linux":
        assert "too short" in reason, reason
    assert seen["INSTALL"] == ["False False"]
    [warning] = seen["WARNING"]
    assert warning.startswith("TwistedFastWarning "), warning
    assert "fallback mode" in warning and reason in warning
    assert seen["WHERE"] == ["<string>"]


def test_missingExtension(tmp_path: Path) -> None:
    """
    With no extension and no record of a failed build (built with
    C{TWISTED_FAST_NO_EXTENSIONS}, or a checkout not built), the reason says
    that the module is missing.
    """
    seen = _mode(_brokenCopy(tmp_path))
    assert seen["ACCELERATED"] == ["False"]
    assert seen["REASON"] == [
        "the C extension failed to import: No module named"
        " 'twisted_fast._speedups' (it was not built)"
    ]
    assert len(seen["WARNING"]) == 1


def test_failedBuildRecorded(tmp_path: Path) -> None:
    """
    With no extension and the record that C{setup.py} leaves when the build
    failed, the reason is that failure.
    """
    path = _brokenCopy(tmp_path)
    (path / "twisted_fast" / _switches.BUILD_FAILED).write_text(
        "src/module.c:1:10: fatal error: Python.h: No such file or directory\n"
        "command '/usr/bin/gcc' failed with exit code 1\n"
    )
    seen = _mode(path)
    assert seen["REASON"] == [
        "the C extension was not built at install time: src/module.c:1:10:"
        " fatal error: Python.h: No such file or directory; command"
        " '/usr/bin/gcc' failed with exit code 1"
    ]
    assert seen["REASON"][0] in seen["WARNING"][0]


@needsExtension
def test_staleRecordIgnored(tmp_path: Path) -> None:
    """
    A record of a failed build beside an extension that imports is stale:
    the extension is used.
    """
    marker = tmp_path / "twisted_fast" / _switches.BUILD_FAILED
    shutil.copytree(
        ROOT / "twisted_fast", tmp_path / "twisted_fast",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    marker.write_text("old failure\n")
    seen = _mode(tmp_path)
    assert seen["ACCELERATED"] == ["True"]
    assert seen["REASON"] == ["None"]


def test_notCPython() -> None:
    """
    On an interpreter other than CPython the reason names it.
    """
    result = _python(
        """
        import platform
        platform.python_implementation = lambda: "PyPy"
        import twisted_fast
        print(twisted_fast.ACCELERATED, twisted_fast.FALLBACK_REASON)
        """
    )
    assert result.stdout.strip() == "False not CPython (PyPy)"


def test_warningOnlyOnce() -> None:
    """
    In fallback mode that was not asked for, C{install()} warns with a
    L{twisted_fast.TwistedFastWarning} that gives the reason, once per
    process.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compat, "ACCELERATED", False)
        patch.setattr(_compat, "FALLBACK_REASON", "a test's reason")
        patch.setattr(_compat, "FALLBACK_REQUESTED", False)
        patch.setattr(_install, "_warnedAbout", set())
        with pytest.warns(twisted_fast.TwistedFastWarning, match="a test's reason") as caught:
            assert twisted_fast.install() is False
            assert twisted_fast.install() is False
    assert len(caught) == 1
    assert caught[0].filename == __file__
    assert not twisted_fast.installed()


# --- the fast reactor: twistd, the plugin ----------------------------------------


def _twistd(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-c", "from twisted.scripts.twistd import run; run()", *args],
        env=_environment(ROOT, **env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _fastLine(helpReactors: str) -> str:
    [line] = [line for line in helpReactors.splitlines() if line.split()[:1] == ["fast"]]
    return line


@needsExtension
def test_helpReactorsAccelerated() -> None:
    """
    C{twistd --help-reactors} describes the C{fast} reactor as what it is
    with the C extension: the default reactor with its timed calls on a C
    heap.
    """
    line = _fastLine(_twistd("--help-reactors").stdout)
    assert "timed calls on a C heap" in line
    assert "fallback" not in line


def test_helpReactorsFallback() -> None:
    """
    In fallback mode, C{twistd --help-reactors} says that C{fast} is
    Twisted's own default reactor, and why.
    """
    line = _fastLine(_twistd("--help-reactors", TWISTED_FAST_NO_EXTENSIONS="1").stdout)
    assert "C heap" not in line
    assert "fallback mode" in line
    assert "disabled by TWISTED_FAST_NO_EXTENSIONS=1" in line


def test_pluginImportIsLight() -> None:
    """
    Importing the plugin module (as Twisted's plugin system does for every
    plugin) imports neither twisted-fast nor any reactor.
    """
    result = _python(
        """
        import sys
        from twisted.plugins import twisted_fast_reactor
        print(sorted(name for name in sys.modules
                     if name.startswith("twisted_fast")
                     or name == "twisted.internet.reactor"))
        """
    )
    assert result.stdout.strip() == "[]"


_TAC = """
from twisted.application import service
from twisted.internet import reactor

application = service.Application("mode")
reactor.callLater(0.05, reactor.stop)
"""


@pytest.mark.parametrize("fallback", [False, True], ids=["c", "fallback"])
def test_twistdLogsMode(tmp_path: Path, fallback: bool) -> None:
    """
    C{twistd --reactor=fast} logs, near its start, which reactor runs and
    whether its timed calls are on the C heap; in fallback mode, why not.
    """
    if not fallback and not BUILT:
        pytest.skip("the C extension is not built here")
    (tmp_path / "mode.tac").write_text(_TAC)
    env = {"TWISTED_FAST_NO_EXTENSIONS": "1"} if fallback else {}
    _twistd(
        "--reactor=fast", "--nodaemon", "--pidfile=", "--logfile=twistd.log",
        "--python=mode.tac", cwd=tmp_path, **env,
    )
    log = (tmp_path / "twistd.log").read_text()
    [line] = [line for line in log.splitlines() if "twisted-fast" in line]
    assert twisted_fast.__version__ in line
    if fallback:
        assert f"reactor class: {TWISTED_DEFAULT}." in log
        assert "fallback mode (disabled by TWISTED_FAST_NO_EXTENSIONS=1)" in line
        assert TWISTED_DEFAULT in line
        assert "timed calls in Python" in line
    else:
        assert f"reactor class: {FAST_DEFAULT}." in log
        assert FAST_DEFAULT in line
        assert "timed calls on a C heap" in line


def test_reactorInstallWarnsInFallback(tmp_path: Path) -> None:
    """
    C{twisted_fast.reactor.install()} (C{--reactor=fast}) in a fallback mode
    that was not asked for installs Twisted's default reactor and warns,
    with the reason; asked for with the environment variable, it does not
    warn.
    """
    path = _brokenCopy(tmp_path)
    code = """
        import warnings
        warnings.simplefilter("error")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from twisted_fast import reactor as fast
            installed = fast.install()
        print(type(installed).__name__)
        for warning in caught:
            print(warning.category.__name__, warning.message)
    """
    lines = _python(code, path=path, cwd=path).stdout.splitlines()
    assert lines[0] == TWISTED_DEFAULT.rsplit(".", 1)[1]
    [warning] = lines[1:]
    assert warning.startswith("TwistedFastWarning ")
    assert "No module named 'twisted_fast._speedups'" in warning
    result = _python(code, TWISTED_FAST_NO_EXTENSIONS="1")
    assert result.stdout.splitlines() == [TWISTED_DEFAULT.rsplit(".", 1)[1]]


# --- the pytest header --------------------------------------------------------


def test_pytestHeaderReason(tmp_path: Path) -> None:
    """
    The header of a pytest run with the plugin on gives the reason for the
    fallback mode.
    """
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    environment = _environment(TWISTED_FAST_NO_EXTENSIONS="1")
    environment.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:twisted",
         "-p", "twisted_fast.pytest_plugin", "--twisted-fast", "test_nothing.py"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
    )
    # Registered twice (entry point, -p) where the package is installed.
    if "Plugin already registered" in result.stdout + result.stderr:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:twisted",
             "--twisted-fast", "test_nothing.py"],
            cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    header = result.stdout.split("collected")[0]
    assert (
        f"twisted-fast {twisted_fast.__version__}: fallback (Twisted's own classes):"
        " disabled by TWISTED_FAST_NO_EXTENSIONS=1" in header
    ), header


# --- python -m twisted_fast ------------------------------------------------------


def _status(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "twisted_fast"],
        env=_environment(ROOT, **env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return result.stdout


@needsExtension
def test_statusAccelerated() -> None:
    """
    C{python -m twisted_fast} with the C extension: the version, the mode,
    each name C{install()} would patch and with what, the reactor
    C{install()} would install (none is installed in a fresh process), and
    the Python, Twisted and platform it runs on.
    """
    import platform

    import twisted

    out = _status()
    assert out.startswith(f"twisted-fast {twisted_fast.__version__}\n"), out
    assert "mode: C extension (twisted_fast._speedups" in out
    assert "reason" not in out
    for line in [
        "twisted.internet.task.Clock -> twisted_fast._speedups.Clock",
        "twisted.internet.task.LoopingCall -> twisted_fast.task.LoopingCall",
        "twisted.internet.task.Cooperator -> twisted_fast.task.Cooperator",
        "twisted.internet.task.CooperativeTask -> twisted_fast.task.CooperativeTask",
        "twisted.internet.base.DelayedCall -> twisted_fast._speedups.DelayedCall",
        "twisted.internet.testing.MemoryReactorClock -> "
        "twisted.internet.testing.MemoryReactorClock (on the fast Clock)",
    ]:
        assert f"  {line}\n" in out, (line, out)
    assert (
        f"reactor: install() would install {FAST_DEFAULT}"
        " (no reactor is installed yet)\n" in out
    ), out
    assert f"Python: {platform.python_version()} ({platform.python_implementation()})" in out
    assert f"Twisted: {twisted.__version__}\n" in out
    assert f"platform: {platform.platform()}\n" in out


def test_statusFallback() -> None:
    """
    C{python -m twisted_fast} in fallback mode says so and why, that
    C{install()} would patch nothing and install no reactor, and which
    reactor Twisted would then pick.
    """
    import twisted

    out = _status(TWISTED_FAST_NO_EXTENSIONS="yes")
    assert out.startswith(f"twisted-fast {twisted_fast.__version__}\n"), out
    assert "mode: fallback (Twisted's own classes)\n" in out
    assert "reason: disabled by TWISTED_FAST_NO_EXTENSIONS=yes\n" in out
    assert "install() would patch: nothing (fallback mode)\n" in out
    assert (
        "reactor: install() would install none (fallback mode); Twisted's default"
        f" is {TWISTED_DEFAULT} (no reactor is installed yet)\n"
    ) in out
    assert f"Twisted: {twisted.__version__}\n" in out


def test_statusBuildFailed(tmp_path: Path) -> None:
    """
    C{python -m twisted_fast} after a failed build gives the compiler's
    error and says how to rebuild.
    """
    path = _brokenCopy(tmp_path)
    (path / "twisted_fast" / _switches.BUILD_FAILED).write_text(
        "src/module.c:1:10: fatal error: Python.h: No such file or directory\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "twisted_fast"], env=_environment(path),
        capture_output=True, text=True, timeout=120, cwd=path,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "reason: the C extension was not built at install time: src/module.c:1:10:"
        " fatal error: Python.h: No such file or directory\n" in result.stdout
    ), result.stdout
    assert "--no-cache-dir" in result.stdout


# --- help(twisted_fast) -----------------------------------------------------------

_MARKUP = re.compile(r"\b[CLIBU]\{")


def test_helpReadsAsText() -> None:
    """
    The package's docstring, as C{help()} shows it, is plain prose with no
    epytext markup, names what tells the mode, and shows how to use it; the
    first paragraph of each public function's docstring has no markup
    either.
    """
    doc = twisted_fast.__doc__ or ""
    assert not _MARKUP.search(doc), doc
    for name in ("install()", "ACCELERATED", "FALLBACK_REASON", "python -m twisted_fast"):
        assert name in doc, name
    text = pydoc.plain(pydoc.render_doc(twisted_fast))
    assert "FALLBACK_REASON" in text
    for function in (twisted_fast.install, twisted_fast.uninstall, twisted_fast.installed):
        first = (function.__doc__ or "").strip().split("\n\n")[0]
        assert first and not first.startswith("@"), function
        assert not _MARKUP.search(first), (function, first)
