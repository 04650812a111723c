"""
C{python -m twisted_fast}: say which mode twisted-fast is in and why, what
L{twisted_fast.install} would replace, which reactor it would install, and
what it runs on.  It changes nothing: no class is replaced and no reactor is
installed.
"""

from __future__ import annotations

import platform
import sys

import twisted

import twisted_fast
from twisted_fast import _compat, _install
from twisted_fast.reactor import defaultReactorClass, isFastReactor


def _name(value: object) -> str:
    """
    @return: the module and qualified name of C{value}, a class.
    """
    return f"{getattr(value, '__module__', '?')}.{getattr(value, '__name__', value)}"


def _patches() -> list[str]:
    """
    @return: one line for each name that L{twisted_fast.install} would
        replace, C{module.attribute -> replacement}.
    """
    lines = []
    for moduleName, attribute, value in _install._replacements():
        if isinstance(value, type):
            target = _name(value)
            if value is _install._fastMemoryReactorClock():
                target += " (on the fast Clock)"
        else:
            target = f"{_name(type(value))} instance"
        lines.append(f"  {moduleName}.{attribute} -> {target}")
    return lines


def _reactor() -> str:
    """
    @return: which reactor L{twisted_fast.install} would install, and which
        is installed already, if any.
    """
    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import reactor

        kind = "fast" if isFastReactor(reactor) else "not fast"
        installed = f"{_name(type(reactor))} is installed already ({kind})"
    else:
        installed = "no reactor is installed yet"
    if _compat.ACCELERATED:
        return f"install() would install {_name(defaultReactorClass())} ({installed})"
    return (
        "install() would install none (fallback mode); Twisted's default is"
        f" {_name(defaultReactorClass())} ({installed})"
    )


def report() -> str:
    """
    @return: the status report, as C{python -m twisted_fast} prints it.
    """
    lines = [f"twisted-fast {twisted_fast.__version__}"]
    if _compat.ACCELERATED:
        speedups = _compat.speedups
        lines.append(f"mode: C extension ({speedups.__name__}, {speedups.__file__})")
        lines.append("install() would patch:")
        lines += _patches()
    else:
        lines.append("mode: fallback (Twisted's own classes)")
        lines.append(f"reason: {_compat.FALLBACK_REASON}")
        if _compat.FALLBACK_REASON and "not built at install time" in _compat.FALLBACK_REASON:
            lines.append(
                "to build it: fix what the build reported (it needs a C compiler and"
                " the Python headers), then"
                " pip install -v --force-reinstall --no-deps --no-cache-dir twisted-fast"
                " (-v shows the compiler's output; --no-cache-dir skips the wheel"
                " pip kept from the failed build)"
            )
        lines.append("install() would patch: nothing (fallback mode)")
    lines.append(f"reactor: {_reactor()}")
    lines.append(
        f"Python: {platform.python_version()} ({platform.python_implementation()})"
        f" {sys.executable}"
    )
    lines.append(f"Twisted: {twisted.__version__}")
    lines.append(f"platform: {platform.platform()}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """
    Print L{report}.
    """
    sys.stdout.write(report())


if __name__ == "__main__":
    main()
