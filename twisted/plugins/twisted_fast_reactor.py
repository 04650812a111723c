# Twisted plugin: the "fast" reactor (python -m twisted.trial --reactor=fast,
# twistd --reactor=fast).  Installed by twisted-fast into twisted/plugins/;
# this directory has no __init__.py on purpose (twisted.plugins is Twisted's).
#
# Twisted's plugin system imports this module whenever it scans for plugins,
# for any program: it imports nothing of twisted-fast and cannot fail.  The
# description, which says whether the reactor is the fast one (with the C
# extension) or Twisted's own (fallback mode), is worked out when it is read
# (twistd --help-reactors).
from twisted.application.reactors import Reactor

_ACCELERATED = (
    "The platform's default reactor with its timed calls on a C heap (twisted-fast)."
)


def _description() -> str:
    """
    What C{--reactor=fast} installs here, for C{--help-reactors}.
    """
    try:
        from twisted_fast import _compat
        from twisted_fast.reactor import defaultReactorClass

        if _compat.ACCELERATED:
            return _ACCELERATED
        return (
            f"twisted-fast in fallback mode ({_compat.FALLBACK_REASON}): Twisted's"
            f" own {defaultReactorClass().__name__}, timed calls in Python."
        )
    except Exception as e:
        # The plugin is listed all the same; installing it will say more.
        return f"twisted-fast's reactor (twisted_fast does not import: {e})."


class _FastReactor(Reactor):
    """
    Twisted's L{Reactor} plugin, with the description worked out when read.
    """

    @property
    def description(self) -> str:
        return _description()

    @description.setter
    def description(self, value: str) -> None:
        # Reactor.__init__ sets it: the computed one stands.
        pass


fast = _FastReactor(
    "fast",
    "twisted_fast.reactor",
    _ACCELERATED,
)
