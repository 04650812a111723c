"""
Packaging.  The optional C extension: a failed build still installs, and
C{TWISTED_FAST_NO_EXTENSIONS} switches the extension off at build time and at
run time.  The release artifacts: what the sdist and the wheel carry, C{twine
check}, and each installed in a fresh virtualenv, where the package, its
reactor plugin and some of the project's tests run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import tomllib
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _copyProject(target: Path) -> Path:
    """
    Copy what a build needs into C{target}, without any built extension.
    """
    for name in ("setup.py", "pyproject.toml", "README.md", "LICENSE"):
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


def _reasonIn(path: Path, **env: str) -> str:
    """
    @return: C{FALLBACK_REASON} as a fresh interpreter importing the package
        from C{path} sees it.
    """
    result = subprocess.run(
        [sys.executable, "-c", "import twisted_fast; print(twisted_fast.FALLBACK_REASON)"],
        cwd=path,
        env=_environment(PYTHONPATH=str(path), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "value, built",
    [("0", True), ("false", True), (" Off ", True), ("no", True),
     ("1", False), ("TRUE", False), ("yes", False), ("on", False), ("maybe", False)],
)
def test_noExtensionsSpellings(tmp_path: Path, value: str, built: bool) -> None:
    """
    At build time C{TWISTED_FAST_NO_EXTENSIONS} reads the spellings of true
    and false that the package reads at run time (one definition,
    C{twisted_fast/_switches.py}, which C{setup.py} loads by path): with a
    false one the build is tried (and fails here, the compiler being
    C{/bin/false}); with a true one it is skipped; with a value that is
    neither, it is skipped and the build says it did not understand it.
    """
    project = _copyProject(tmp_path)
    result = _buildInPlace(project, CC="/bin/false", TWISTED_FAST_NO_EXTENSIONS=value)
    assert result.returncode == 0, result.stderr
    assert ("could not be built" in result.stderr) is built, result.stderr
    assert ("not a recognised value" in result.stderr) is (value == "maybe"), result.stderr


def test_failedBuildRecorded(tmp_path: Path) -> None:
    """
    A failed build leaves C{twisted_fast/_build_failed.txt} beside where the
    extension would be, with the compiler's error, and the package gives it
    as its reason; a later build that succeeds removes it.  (The later build
    finds the extension already built, copied from this checkout into its
    build directory: what matters is that a build that ends well removes
    the record, and the compiler, C{/bin/false} still, is not needed.)
    """
    # This interpreter's build: a checkout may hold one per CPython.
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    built = [p for p in (ROOT / "twisted_fast").glob("_speedups*") if p.name.endswith(suffix)]
    project = _copyProject(tmp_path)
    marker = project / "twisted_fast" / "_build_failed.txt"
    result = _buildInPlace(project, CC="/bin/false")
    assert result.returncode == 0, result.stderr
    assert "/bin/false" in marker.read_text()
    reason = _reasonIn(project)
    assert reason.startswith("the C extension was not built at install time: "), reason
    assert "/bin/false" in reason
    assert "twisted_fast/_build_failed.txt" in result.stderr
    if not built:
        pytest.skip("the C extension is not built in place: no extension to reuse")
    seeded = project / "seeded" / "twisted_fast"
    seeded.mkdir(parents=True)
    shutil.copy(built[0], seeded / built[0].name)
    result = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace", "--build-lib", "seeded"],
        cwd=project, env=_environment(CC="/bin/false"), capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "could not be built" not in result.stderr
    assert not marker.exists()
    assert not (seeded / "_build_failed.txt").exists()
    assert _modeIn(project) == "True twisted_fast._speedups"


def test_failedBuildPipInstall(tmp_path: Path) -> None:
    """
    C{pip install} with a compiler that fails: the install succeeds, C{pip
    install -v} shows the warning (pip shows a build backend's output only
    with C{-v}), the installed package carries the record of the failure
    (listed in its C{RECORD}, so that uninstalling removes it) and gives it
    as its reason at the first import.
    """
    project = _copyCheckout(tmp_path / "project")
    target = tmp_path / "target"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-v", "--no-build-isolation",
         "--no-deps", "--no-index", "--target", str(target), str(project)],
        cwd=tmp_path, env=_environment(CC="/bin/false", PIP_DISABLE_PIP_VERSION_CHECK="1"),
        capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING: the C extension twisted_fast._speedups could not be built:" in output
    assert (target / "twisted_fast" / "_build_failed.txt").exists()
    [record] = target.glob("twisted_fast-*.dist-info/RECORD")
    assert "twisted_fast/_build_failed.txt," in record.read_text()
    assert not list((target / "twisted_fast").glob("_speedups*.so"))
    reason = _reasonIn(target)
    assert reason.startswith("the C extension was not built at install time: "), reason
    assert "/bin/false" in reason


# --- release artifacts ----------------------------------------------------------
#
# Built once per run (python -m build: the sdist, then the wheel from the
# sdist), checked, then each installed in a fresh virtualenv of its own, where
# a smoke program and a few of the project's test modules (from the sdist,
# not from this checkout) run against the installed package.  The fresh
# virtualenvs get Twisted and the test tools at the versions pinned for the
# Twisted this run uses.

#: What pip says when it cannot reach the package index.
_OFFLINE_MARKERS = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "Could not fetch URL",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
)

#: Test modules of the sdist run in each fresh virtualenv.
_SMOKE_TESTS = ("tests/test_clock.py", "tests/test_reactor_install.py")

# A smoke run in a fresh virtualenv, from a directory with no checkout in it.
_SMOKE = textwrap.dedent(
    """
    import sysconfig
    from importlib.metadata import files
    from pathlib import Path

    import twisted_fast
    from twisted_fast import task

    site = Path(sysconfig.get_path("platlib")).resolve()
    assert Path(twisted_fast.__file__).resolve().parent.parent == site, (
        twisted_fast.__file__)
    assert twisted_fast.ACCELERATED is True
    assert task.Clock.__module__ == "twisted_fast._speedups"

    clock = task.Clock()
    fired = []
    clock.callLater(2, fired.append, "later")
    clock.callLater(1, fired.append, "sooner")
    clock.advance(1.5)
    assert fired == ["sooner"], fired
    clock.advance(1)
    assert fired == ["sooner", "later"], fired

    # The plugin is a lone module in Twisted's twisted/plugins/; twisted/ and
    # twisted/plugins/ stay Twisted's.
    ours = {str(name) for name in files("twisted-fast")}
    assert "twisted/plugins/twisted_fast_reactor.py" in ours
    assert not {"twisted/__init__.py", "twisted/plugins/__init__.py"} & ours
    assert {"twisted_fast/py.typed", "twisted_fast/_speedups.pyi",
            "twisted_fast/task.pyi"} <= ours
    from twisted.application.reactors import getReactorTypes, installReactor
    fast = [r for r in getReactorTypes() if r.shortName == "fast"]
    assert [r.moduleName for r in fast] == ["twisted_fast.reactor"], fast

    reactor = installReactor("fast")
    from twisted_fast.reactor import isFastReactor
    assert isFastReactor(reactor), reactor
    ran = []
    d = task.deferLater(reactor, 0.01, lambda: "ran")
    d.addCallback(ran.append)
    d.addBoth(lambda _: reactor.stop())
    reactor.run()
    assert ran == ["ran"], ran
    print("smoke:", type(reactor).__name__)
    """
)


def _pipEnvironment() -> dict[str, str]:
    """
    The environment for pip, build and the fresh virtualenvs: no
    C{TWISTED_FAST_*} switch (the artifacts are built with the extension, and
    must have it: C{TWISTED_FAST_REQUIRE_EXTENSION}), nothing that points
    into this checkout or this virtualenv.
    """
    environment = _environment(
        TWISTED_FAST_REQUIRE_EXTENSION="1", PIP_DISABLE_PIP_VERSION_CHECK="1"
    )
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS",
                 "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        environment.pop(name, None)
    return environment


def _run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=_pipEnvironment(), capture_output=True, text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{command} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result


def _skipIfOffline(probe: Path) -> None:
    """
    Skip, saying why, when pip cannot reach the package index (the builds
    fetch setuptools into their isolated environments, the fresh virtualenvs
    fetch Twisted): fetch the build requirement once and look at how it
    failed.  Any other failure fails.
    """
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--retries", "1",
         "--timeout", "20", "--dest", str(probe), "setuptools>=77"],
        env=_pipEnvironment(), capture_output=True, text=True, timeout=300,
    )
    if result.returncode == 0:
        return
    output = result.stdout + result.stderr
    for line in output.splitlines():
        if any(marker in line for marker in _OFFLINE_MARKERS):
            pytest.skip(
                f"the package index is unreachable (pip download setuptools: {line.strip()})"
            )
    raise AssertionError(f"pip download setuptools failed:\n{output}")


def _pinned() -> Path:
    """
    The requirements file that pins the Twisted this run uses (test.txt or
    test-oldest.txt), used as constraints in the fresh virtualenvs.
    """
    import twisted

    for name in ("test.txt", "test-oldest.txt"):
        path = ROOT / "requirements" / name
        if f"Twisted=={twisted.__version__}" in path.read_text().split():
            return path
    return ROOT / "requirements" / "test.txt"


def _copyCheckout(target: Path) -> Path:
    """
    Copy this checkout into C{target} without what builds, runs and tools
    leave in it, so that the build sees what a clean checkout has.
    """
    shutil.copytree(
        ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "build-asan", "dist", "*.egg-info",
            "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", "*.so",
            "*.o", "dropin.cache", "valgrind.log", "bench-results",
        ),
    )
    return target


@dataclass(frozen=True)
class Artifacts:
    """
    The release artifacts of one run, and the sdist unpacked.
    """

    sdist: Path
    wheel: Path
    tree: Path


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    """
    C{python -m build} on a copy of this checkout: the sdist, then the wheel
    built from the sdist.
    """
    missing = [name for name in ("build", "twine") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(
            f"{' and '.join(missing)} not installed here: requirements/test.txt "
            "and requirements/test-oldest.txt pin them"
        )
    base = tmp_path_factory.mktemp("release")
    _skipIfOffline(base / "probe")
    project = _copyCheckout(base / "project")
    dist = base / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(project)], cwd=base)
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    with tarfile.open(sdist) as archive:
        archive.extractall(base / "unpacked", filter="data")
    [tree] = (base / "unpacked").iterdir()
    return Artifacts(sdist, wheel, tree)


def _freshVenv(where: Path, artifact: Path, *extra: str) -> Path:
    """
    A new virtualenv with C{artifact} installed (an sdist compiles the
    extension), and Twisted, pytest, hypothesis and setuptools at the pinned
    versions.  (Twisted 22.10's C{python -m twisted.trial} goes through
    C{pkg_resources}, which in the setuptools a new virtualenv may come with
    does not find today's C{zope.interface}.)

    @return: its python.
    """
    _run([sys.executable, "-m", "venv", str(where)], cwd=where.parent)
    python = where / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "-c", str(_pinned()),
          str(artifact), "pytest", "hypothesis", "setuptools", *extra], cwd=where.parent)
    return python


@pytest.fixture(scope="module")
def sdistPython(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    The python of a fresh virtualenv where the sdist was installed.
    """
    return _freshVenv(tmp_path_factory.mktemp("venv-sdist") / "venv", artifacts.sdist)


@pytest.fixture(scope="module")
def wheelPython(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    The python of a fresh virtualenv where the wheel was installed, with
    mypy too when this run's pins have it (for the typing tests).
    """
    pins = _pinned().read_text().split()
    typing = [name for name in ("mypy", "mypy-zope")
              if any(pin.startswith(f"{name}==") for pin in pins)]
    return _freshVenv(tmp_path_factory.mktemp("venv-wheel") / "venv", artifacts.wheel, *typing)


def _names(artifact: Path) -> set[str]:
    """
    The file names in an sdist (without its top directory) or a wheel.
    """
    if artifact.suffix == ".whl":
        with zipfile.ZipFile(artifact) as archive:
            return {name for name in archive.namelist() if not name.endswith("/")}
    with tarfile.open(artifact) as archive:
        return {
            member.name.split("/", 1)[1] for member in archive.getmembers()
            if member.isfile()
        }


def _checkoutFiles(*patterns: str) -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for pattern in patterns for path in ROOT.glob(pattern)
        if "__pycache__" not in path.parts
    }


#: What neither artifact may carry (the record of a failed build: the
#: release wheel has the extension, and the sdist builds its own).
_NEVER = re.compile(
    r"(^|/)(__pycache__/|dropin\.cache$)|\.(so|o|pyc)$"
    r"|^twisted/__init__\.py$|^twisted/plugins/__init__\.py$"
    r"|(^|/)_build_failed\.txt$"
)


@pytest.mark.slow
@pytest.mark.release
def test_sdistContents(artifacts: Artifacts) -> None:
    """
    The sdist carries all it takes to build and test: the C sources and
    headers, the package with its stub, the plugin, the tests, the
    requirements, the Makefile, README and LICENSE; and no build leftovers,
    no C{twisted/__init__.py}.
    """
    names = _names(artifacts.sdist)
    expected = _checkoutFiles(
        "src/*.c", "src/*.h", "tests/*.py", "tests/*.txt", "tests/typing_sample/*.py",
        "requirements/*.txt", "twisted_fast/**/*.py", ".ci/*",
    ) | {
        "setup.py", "pyproject.toml", "MANIFEST.in", "Makefile", "README.md",
        "LICENSE", "PKG-INFO", "twisted/plugins/twisted_fast_reactor.py",
        "twisted_fast/py.typed", "twisted_fast/_speedups.pyi", "twisted_fast/task.pyi",
    }
    assert {"src/heap.h", "tests/conftest.py", "requirements/test.txt"} <= expected
    assert sorted(expected - names) == []
    assert sorted(name for name in names if _NEVER.search(name)) == []


@pytest.mark.slow
@pytest.mark.release
def test_wheelContents(artifacts: Artifacts) -> None:
    """
    The wheel carries the package with the compiled extension, its stub and
    C{py.typed}, the plugin as a lone module of Twisted's
    C{twisted/plugins/}, the license and the pytest entry point; not
    C{twisted/__init__.py} nor C{twisted/plugins/__init__.py} (they are
    Twisted's), nor tests or C sources.
    """
    names = _names(artifacts.wheel)
    info = f"{artifacts.wheel.name.split('-')[0]}-{artifacts.wheel.name.split('-')[1]}.dist-info"
    expected = _checkoutFiles("twisted_fast/**/*.py") | {
        "twisted/plugins/twisted_fast_reactor.py",
        "twisted_fast/py.typed",
        "twisted_fast/_speedups.pyi",
        "twisted_fast/task.pyi",
        f"{info}/licenses/LICENSE",
    }
    assert sorted(expected - names) == []
    assert len([n for n in names if re.fullmatch(r"twisted_fast/_speedups\..*\.so", n)]) == 1
    assert sorted(
        name for name in names
        if _NEVER.search(name) and not name.startswith("twisted_fast/_speedups.")
    ) == []
    assert sorted(n for n in names if n.startswith(("tests/", "src/", "twisted/"))) == [
        "twisted/plugins/twisted_fast_reactor.py"
    ]
    with zipfile.ZipFile(artifacts.wheel) as archive:
        metadata = archive.read(f"{info}/METADATA").decode()
        entryPoints = archive.read(f"{info}/entry_points.txt").decode()
    assert "[pytest11]\ntwisted_fast = twisted_fast.pytest_plugin" in entryPoints
    for line in ("License-Expression: MIT", "Requires-Python: >=3.11",
                 "Requires-Dist: Twisted>=22.10.0",
                 "Description-Content-Type: text/markdown"):
        assert line in metadata.splitlines(), line


@pytest.mark.slow
@pytest.mark.release
def test_twineCheck(artifacts: Artifacts) -> None:
    """
    C{twine check --strict} passes on both artifacts (the README renders on
    PyPI, the metadata is complete).
    """
    result = _run(
        [sys.executable, "-m", "twine", "check", "--strict",
         str(artifacts.sdist), str(artifacts.wheel)],
        cwd=artifacts.sdist.parent,
    )
    assert result.stdout.count("PASSED") == 2, result.stdout


def _smoke(python: Path, where: Path) -> None:
    result = _run([str(python), "-c", _SMOKE], cwd=where)
    assert result.stdout.startswith("smoke: Fast"), result.stdout


def _sdistTests(python: Path, artifacts: Artifacts, where: Path, *modules: str) -> str:
    """
    Run some of the sdist's test modules on the installed package, from a
    directory that is not the sdist (so that its twisted_fast is not the one
    imported).
    """
    result = _run(
        [str(python), "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         *(str(artifacts.tree / module) for module in modules)],
        cwd=where,
    )
    output = result.stdout + result.stderr
    assert " passed" in output and " failed" not in output, output
    assert "C extension not in use" not in output, output
    return output


@pytest.mark.slow
@pytest.mark.release
def test_sdistInstalls(artifacts: Artifacts, sdistPython: Path, tmp_path: Path) -> None:
    """
    C{pip install} of the sdist in a fresh virtualenv compiles the extension;
    the package runs accelerated, the C{fast} reactor plugin is found and
    runs, and the sdist's tests pass against the installed package.
    """
    _smoke(sdistPython, tmp_path)
    _sdistTests(sdistPython, artifacts, tmp_path, *_SMOKE_TESTS)


@pytest.mark.slow
@pytest.mark.release
def test_wheelInstalls(artifacts: Artifacts, wheelPython: Path, tmp_path: Path) -> None:
    """
    C{pip install} of the wheel in a fresh virtualenv: the same checks, and
    the typing tests on the installed package (stub and C{py.typed} as mypy
    finds them in site-packages) when this run's pins have mypy.
    """
    _smoke(wheelPython, tmp_path)
    output = _sdistTests(
        wheelPython, artifacts, tmp_path, *_SMOKE_TESTS, "tests/test_typing.py"
    )
    if "mypy==" in _pinned().read_text():
        assert "mypy and mypy-zope are not installed" not in output, output


@pytest.mark.slow
@pytest.mark.release
def test_wheelUninstallsCleanly(wheelPython: Path, tmp_path: Path) -> None:
    """
    Uninstalling twisted-fast leaves Twisted whole: its C{twisted/plugins/}
    package still imports and lists its own plugins.
    """
    _run([str(wheelPython), "-m", "pip", "uninstall", "-q", "-y", "twisted-fast"],
         cwd=tmp_path)
    result = _run(
        [str(wheelPython), "-c",
         "import twisted.plugins, twisted.internet.default\n"
         "from twisted.application.reactors import getReactorTypes\n"
         "names = {r.shortName for r in getReactorTypes()}\n"
         "assert 'fast' not in names and 'poll' in names, names\n"
         "print(twisted.plugins.__file__)"],
        cwd=tmp_path,
    )
    assert result.stdout.strip().endswith("twisted/plugins/__init__.py"), result.stdout


# --- cibuildwheel -----------------------------------------------------------------


def _pyproject() -> dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _claimedPythons() -> list[str]:
    """
    The CPython versions the classifiers name, as C{"311"}, C{"312"}...
    """
    prefix = "Programming Language :: Python :: 3."
    return [
        "3" + classifier[len(prefix):]
        for classifier in _pyproject()["project"]["classifiers"]
        if classifier.startswith(prefix)
    ]


def _pins(path: Path) -> dict[str, str]:
    """
    C{name: "name==version"} for each pin of a requirements file, names
    normalised.
    """
    pins = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            pins[re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()] = line.strip()
    return pins


def test_cibuildwheelConfig() -> None:
    """
    C{[tool.cibuildwheel]} builds every CPython the classifiers name and
    nothing else (no PyPy, GraalPy or free-threaded build), fails a build
    whose extension does not compile, and tests each wheel with the suite
    (not Twisted's own suites, not the slow tests), its test requirements
    pinned as in C{requirements/test.txt}.
    """
    config = _pyproject()["tool"]["cibuildwheel"]
    claimed = _claimedPythons()
    assert claimed == ["311", "312", "313", "314", "315"]
    assert _pyproject()["project"]["requires-python"] == ">=3.11"
    assert config["build"] == [f"cp{version}-*" for version in claimed]

    def selected(identifier: str) -> bool:
        return any(fnmatch(identifier, pattern) for pattern in config["build"]) and not any(
            fnmatch(identifier, pattern) for pattern in config["skip"]
        )

    for version in claimed:
        for platform in ("manylinux_x86_64", "musllinux_aarch64", "macosx_arm64"):
            assert selected(f"cp{version}-{platform}")
            assert not selected(f"cp{version}t-{platform}")
        assert not selected(f"pp{version}-manylinux_x86_64")
        assert not selected(f"gp{version}_242-manylinux_x86_64")
    for version in ("310", "316"):
        assert not selected(f"cp{version}-manylinux_x86_64")
    assert config["environment"] == {"TWISTED_FAST_REQUIRE_EXTENSION": "1"}
    assert config["test-command"] == (
        'python -m pytest {project}/tests -m "not upstream and not slow"'
    )
    pinned = _pins(ROOT / "requirements" / "test.txt")
    for requirement in config["test-requires"]:
        name = re.sub(r"[-_.]+", "-", requirement.split("==")[0]).lower()
        assert pinned[name] == requirement


@pytest.mark.parametrize(
    "platform, archs, suffixes",
    [
        ("linux", "x86_64,aarch64", ["manylinux_x86_64", "manylinux_aarch64",
                                     "musllinux_x86_64", "musllinux_aarch64"]),
        ("macos", "x86_64,arm64", ["macosx_x86_64", "macosx_arm64"]),
    ],
    ids=["linux", "macos"],
)
def test_cibuildwheelIdentifiers(platform: str, archs: str, suffixes: list[str],
                                 tmp_path: Path) -> None:
    """
    cibuildwheel itself reads the configuration (it refuses unknown
    options) and selects one build per claimed CPython and platform.
    """
    if importlib.util.find_spec("cibuildwheel") is None:
        pytest.skip(
            "cibuildwheel is not installed here: requirements/test.txt pins it "
            "(make test checks the configuration in its first run), "
            "requirements/test-oldest.txt and cibuildwheel's test-requires do not"
        )
    result = _run(
        [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers",
         "--platform", platform, "--archs", archs, str(ROOT)],
        cwd=tmp_path, timeout=120,
    )
    expected = {f"cp{version}-{suffix}" for version in _claimedPythons() for suffix in suffixes}
    assert set(result.stdout.split()) == expected, result.stdout + result.stderr
