# Twisted plugin: the "fast" reactor (python -m twisted.trial --reactor=fast,
# twistd --reactor=fast).  Installed by twisted-fast into twisted/plugins/;
# this directory has no __init__.py on purpose (twisted.plugins is Twisted's).
from twisted.application.reactors import Reactor

fast = Reactor(
    "fast",
    "twisted_fast.reactor",
    "The platform's default reactor with its timed calls on a C heap "
    "(twisted-fast).",
)
