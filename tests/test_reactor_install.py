"""
How L{twisted_fast.install}, L{twisted_fast.reactor.install} and the C{fast}
reactor plugin put the fast reactor in place, each in a fresh interpreter
(a process has one global reactor).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import twisted_fast
from twisted_fast import _compat

# Where the package under test was imported from: this checkout, or
# site-packages when the suite runs against an installed package.
ROOT = Path(twisted_fast.__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not _compat.ACCELERATED, reason="C extension not in use: no fast reactor"
)


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """
    Run C{code} (or, with C{args}, C{python args...}) in a fresh interpreter
    that imports the package from where this process imported it.
    """
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    environment.pop("TWISTED_FAST_NO_EXTENSIONS", None)
    command = [sys.executable, *(args or ("-c", textwrap.dedent(code)))]
    return subprocess.run(
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_installWithNoReactor() -> None:
    """
    With no reactor installed yet, C{twisted_fast.install()} installs the
    fast variant of the platform's default reactor, silently.
    """
    result = _run(
        """
        import warnings
        warnings.simplefilter("error")
        import twisted_fast
        assert twisted_fast.install() is True
        from twisted.internet import reactor
        from twisted_fast.reactor import defaultReactorClass, isFastReactor
        assert isFastReactor(reactor), reactor
        assert type(reactor) is defaultReactorClass()
        assert twisted_fast.install() is True
        print(type(reactor).__name__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "FastEPollReactor"


def test_installAfterAnotherReactor() -> None:
    """
    With Twisted's own reactor already installed, C{install()} still patches
    the classes and says once, with a L{TwistedFastWarning}, that the
    reactor's timed calls stay in Python.
    """
    result = _run(
        """
        import warnings
        from twisted.internet import reactor
        import twisted_fast
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert twisted_fast.install() is True
            assert twisted_fast.install() is True
        assert len(caught) == 1, caught
        assert caught[0].category is twisted_fast.TwistedFastWarning
        print(caught[0].message)
        print(caught[0].filename)
        """
    )
    assert result.returncode == 0, result.stderr
    message, filename = result.stdout.strip().splitlines()
    assert "(twisted.internet.epollreactor.EPollReactor) was installed before" in message
    assert "--reactor=fast" in message
    assert filename == "<string>"


def test_installAfterAsyncioReactor() -> None:
    """
    With the asyncio reactor installed, the warning says that asyncio keeps
    its own timers.
    """
    result = _run(
        """
        import warnings
        from twisted.internet import asyncioreactor
        asyncioreactor.install()
        import twisted_fast
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            twisted_fast.install()
        print(caught[0].message)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "keeps asyncio's own timers" in result.stdout


def test_reactorInstall() -> None:
    """
    C{twisted_fast.reactor.install()} installs and returns the fast reactor,
    like C{twisted.internet.epollreactor.install()}.
    """
    result = _run(
        """
        from twisted_fast import reactor as fast
        installed = fast.install()
        from twisted.internet import reactor
        assert reactor is installed and fast.isFastReactor(reactor)
        """
    )
    assert result.returncode == 0, result.stderr


def test_trialPlugin(tmp_path: Path) -> None:
    """
    C{python -m twisted.trial --reactor=fast} runs tests on the fast reactor.
    """
    (tmp_path / "test_which.py").write_text(
        textwrap.dedent(
            """
            from twisted.trial.unittest import TestCase
            class Which(TestCase):
                def test_reactor(self):
                    from twisted.internet import reactor
                    from twisted_fast.reactor import isFastReactor
                    self.assertTrue(isFastReactor(reactor), reactor)
                    d = __import__("twisted.internet.task").internet.task.deferLater(
                        reactor, 0.01, lambda: "done")
                    d.addCallback(self.assertEqual, "done")
                    return d
            """
        )
    )
    environment = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}")
    environment.pop("TWISTED_FAST_NO_EXTENSIONS", None)
    result = subprocess.run(
        [sys.executable, "-m", "twisted.trial", "--reactor=fast", "test_which"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED (successes=1)" in result.stdout
